-- Indexes for GLPI searches at the scale of a region (200,000 computers).
-- * Anchored values (`^SN123$`) and `equals` on text compare LOWER(col): these expression
--   indexes make exact serial / inventory-number lookups index seeks.
-- * `contains` on names and serials is a substring search: an FTS5 trigram index per asset
--   table answers LIKE '%abc%' without scanning the table. Triggers keep it in step.

CREATE INDEX "ix_computers_lower_name" ON "computers" (LOWER("name"));
CREATE INDEX "ix_computers_lower_serial" ON "computers" (LOWER("serial"));
CREATE INDEX "ix_computers_lower_otherserial" ON "computers" (LOWER("otherserial"));
CREATE VIRTUAL TABLE "computers_trgm" USING fts5(name, serial, otherserial, content='computers', content_rowid='id', tokenize='trigram');
INSERT INTO "computers_trgm" ("computers_trgm") VALUES ('rebuild');
CREATE TRIGGER "computers_trgm_ai" AFTER INSERT ON "computers" BEGIN INSERT INTO "computers_trgm" (rowid, name, serial, otherserial) VALUES (new.id, new.name, new.serial, new.otherserial); END;
CREATE TRIGGER "computers_trgm_ad" AFTER DELETE ON "computers" BEGIN INSERT INTO "computers_trgm" ("computers_trgm", rowid, name, serial, otherserial) VALUES ('delete', old.id, old.name, old.serial, old.otherserial); END;
CREATE TRIGGER "computers_trgm_au" AFTER UPDATE OF name, serial, otherserial ON "computers" BEGIN INSERT INTO "computers_trgm" ("computers_trgm", rowid, name, serial, otherserial) VALUES ('delete', old.id, old.name, old.serial, old.otherserial); INSERT INTO "computers_trgm" (rowid, name, serial, otherserial) VALUES (new.id, new.name, new.serial, new.otherserial); END;

CREATE INDEX "ix_monitors_lower_name" ON "monitors" (LOWER("name"));
CREATE INDEX "ix_monitors_lower_serial" ON "monitors" (LOWER("serial"));
CREATE INDEX "ix_monitors_lower_otherserial" ON "monitors" (LOWER("otherserial"));
CREATE VIRTUAL TABLE "monitors_trgm" USING fts5(name, serial, otherserial, content='monitors', content_rowid='id', tokenize='trigram');
INSERT INTO "monitors_trgm" ("monitors_trgm") VALUES ('rebuild');
CREATE TRIGGER "monitors_trgm_ai" AFTER INSERT ON "monitors" BEGIN INSERT INTO "monitors_trgm" (rowid, name, serial, otherserial) VALUES (new.id, new.name, new.serial, new.otherserial); END;
CREATE TRIGGER "monitors_trgm_ad" AFTER DELETE ON "monitors" BEGIN INSERT INTO "monitors_trgm" ("monitors_trgm", rowid, name, serial, otherserial) VALUES ('delete', old.id, old.name, old.serial, old.otherserial); END;
CREATE TRIGGER "monitors_trgm_au" AFTER UPDATE OF name, serial, otherserial ON "monitors" BEGIN INSERT INTO "monitors_trgm" ("monitors_trgm", rowid, name, serial, otherserial) VALUES ('delete', old.id, old.name, old.serial, old.otherserial); INSERT INTO "monitors_trgm" (rowid, name, serial, otherserial) VALUES (new.id, new.name, new.serial, new.otherserial); END;

CREATE INDEX "ix_peripherals_lower_name" ON "peripherals" (LOWER("name"));
CREATE INDEX "ix_peripherals_lower_serial" ON "peripherals" (LOWER("serial"));
CREATE INDEX "ix_peripherals_lower_otherserial" ON "peripherals" (LOWER("otherserial"));
CREATE VIRTUAL TABLE "peripherals_trgm" USING fts5(name, serial, otherserial, content='peripherals', content_rowid='id', tokenize='trigram');
INSERT INTO "peripherals_trgm" ("peripherals_trgm") VALUES ('rebuild');
CREATE TRIGGER "peripherals_trgm_ai" AFTER INSERT ON "peripherals" BEGIN INSERT INTO "peripherals_trgm" (rowid, name, serial, otherserial) VALUES (new.id, new.name, new.serial, new.otherserial); END;
CREATE TRIGGER "peripherals_trgm_ad" AFTER DELETE ON "peripherals" BEGIN INSERT INTO "peripherals_trgm" ("peripherals_trgm", rowid, name, serial, otherserial) VALUES ('delete', old.id, old.name, old.serial, old.otherserial); END;
CREATE TRIGGER "peripherals_trgm_au" AFTER UPDATE OF name, serial, otherserial ON "peripherals" BEGIN INSERT INTO "peripherals_trgm" ("peripherals_trgm", rowid, name, serial, otherserial) VALUES ('delete', old.id, old.name, old.serial, old.otherserial); INSERT INTO "peripherals_trgm" (rowid, name, serial, otherserial) VALUES (new.id, new.name, new.serial, new.otherserial); END;

CREATE INDEX "ix_printers_lower_name" ON "printers" (LOWER("name"));
CREATE INDEX "ix_printers_lower_serial" ON "printers" (LOWER("serial"));
CREATE INDEX "ix_printers_lower_otherserial" ON "printers" (LOWER("otherserial"));
CREATE VIRTUAL TABLE "printers_trgm" USING fts5(name, serial, otherserial, content='printers', content_rowid='id', tokenize='trigram');
INSERT INTO "printers_trgm" ("printers_trgm") VALUES ('rebuild');
CREATE TRIGGER "printers_trgm_ai" AFTER INSERT ON "printers" BEGIN INSERT INTO "printers_trgm" (rowid, name, serial, otherserial) VALUES (new.id, new.name, new.serial, new.otherserial); END;
CREATE TRIGGER "printers_trgm_ad" AFTER DELETE ON "printers" BEGIN INSERT INTO "printers_trgm" ("printers_trgm", rowid, name, serial, otherserial) VALUES ('delete', old.id, old.name, old.serial, old.otherserial); END;
CREATE TRIGGER "printers_trgm_au" AFTER UPDATE OF name, serial, otherserial ON "printers" BEGIN INSERT INTO "printers_trgm" ("printers_trgm", rowid, name, serial, otherserial) VALUES ('delete', old.id, old.name, old.serial, old.otherserial); INSERT INTO "printers_trgm" (rowid, name, serial, otherserial) VALUES (new.id, new.name, new.serial, new.otherserial); END;

CREATE INDEX "ix_networkequipments_lower_name" ON "networkequipments" (LOWER("name"));
CREATE INDEX "ix_networkequipments_lower_serial" ON "networkequipments" (LOWER("serial"));
CREATE INDEX "ix_networkequipments_lower_otherserial" ON "networkequipments" (LOWER("otherserial"));
CREATE VIRTUAL TABLE "networkequipments_trgm" USING fts5(name, serial, otherserial, content='networkequipments', content_rowid='id', tokenize='trigram');
INSERT INTO "networkequipments_trgm" ("networkequipments_trgm") VALUES ('rebuild');
CREATE TRIGGER "networkequipments_trgm_ai" AFTER INSERT ON "networkequipments" BEGIN INSERT INTO "networkequipments_trgm" (rowid, name, serial, otherserial) VALUES (new.id, new.name, new.serial, new.otherserial); END;
CREATE TRIGGER "networkequipments_trgm_ad" AFTER DELETE ON "networkequipments" BEGIN INSERT INTO "networkequipments_trgm" ("networkequipments_trgm", rowid, name, serial, otherserial) VALUES ('delete', old.id, old.name, old.serial, old.otherserial); END;
CREATE TRIGGER "networkequipments_trgm_au" AFTER UPDATE OF name, serial, otherserial ON "networkequipments" BEGIN INSERT INTO "networkequipments_trgm" ("networkequipments_trgm", rowid, name, serial, otherserial) VALUES ('delete', old.id, old.name, old.serial, old.otherserial); INSERT INTO "networkequipments_trgm" (rowid, name, serial, otherserial) VALUES (new.id, new.name, new.serial, new.otherserial); END;

CREATE INDEX "ix_phones_lower_name" ON "phones" (LOWER("name"));
CREATE INDEX "ix_phones_lower_serial" ON "phones" (LOWER("serial"));
CREATE INDEX "ix_phones_lower_otherserial" ON "phones" (LOWER("otherserial"));
CREATE VIRTUAL TABLE "phones_trgm" USING fts5(name, serial, otherserial, content='phones', content_rowid='id', tokenize='trigram');
INSERT INTO "phones_trgm" ("phones_trgm") VALUES ('rebuild');
CREATE TRIGGER "phones_trgm_ai" AFTER INSERT ON "phones" BEGIN INSERT INTO "phones_trgm" (rowid, name, serial, otherserial) VALUES (new.id, new.name, new.serial, new.otherserial); END;
CREATE TRIGGER "phones_trgm_ad" AFTER DELETE ON "phones" BEGIN INSERT INTO "phones_trgm" ("phones_trgm", rowid, name, serial, otherserial) VALUES ('delete', old.id, old.name, old.serial, old.otherserial); END;
CREATE TRIGGER "phones_trgm_au" AFTER UPDATE OF name, serial, otherserial ON "phones" BEGIN INSERT INTO "phones_trgm" ("phones_trgm", rowid, name, serial, otherserial) VALUES ('delete', old.id, old.name, old.serial, old.otherserial); INSERT INTO "phones_trgm" (rowid, name, serial, otherserial) VALUES (new.id, new.name, new.serial, new.otherserial); END;

