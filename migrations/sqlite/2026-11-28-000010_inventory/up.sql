-- Agent inventories (issue 5).

-- IP addresses of network ports (glpi_ipaddresses, without GLPI's binary columns).
-- Parc attaches them to the NetworkPort directly (GLPI goes through a NetworkName);
-- mainitemtype/mainitems_id name the asset that owns the port.
CREATE TABLE "ipaddresses" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "guid" TEXT NOT NULL UNIQUE,
  "entities_id" INTEGER NOT NULL DEFAULT 0,
  "items_id" INTEGER NOT NULL DEFAULT 0,
  "itemtype" TEXT NOT NULL,
  "version" INTEGER DEFAULT 0,
  "name" TEXT,
  "is_deleted" INTEGER NOT NULL DEFAULT 0,
  "is_dynamic" INTEGER NOT NULL DEFAULT 0,
  "mainitems_id" INTEGER NOT NULL DEFAULT 0,
  "mainitemtype" TEXT
);
CREATE INDEX "ix_ipaddresses_itemtype_items_id" ON "ipaddresses" ("itemtype", "items_id");
CREATE INDEX "ix_ipaddresses_mainitemtype_mainitems_id" ON "ipaddresses" ("mainitemtype", "mainitems_id");
CREATE INDEX "ix_ipaddresses_name" ON "ipaddresses" ("name");

-- GLPI keys agents on their deviceid; the unique index also makes two concurrent first
-- contacts of one agent create one row.
CREATE UNIQUE INDEX "ux_agents_deviceid" ON "agents" ("deviceid");

-- Digest and row count of each section last imported for an asset: an unchanged
-- re-inventory skips the section without reading its rows.
CREATE TABLE "inventory_sections" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "itemtype" TEXT NOT NULL,
  "items_id" INTEGER NOT NULL,
  "section" TEXT NOT NULL,
  "digest" TEXT NOT NULL,
  "nrows" INTEGER NOT NULL DEFAULT 0,
  UNIQUE ("itemtype", "items_id", "section")
);

-- Lookups of the importer: entity by inventory tag, software by name in an entity,
-- versions by software, computers by MAC (optional rule).
CREATE INDEX "ix_entities_tag" ON "entities" ("tag");
CREATE INDEX "ix_softwares_entities_id_name" ON "softwares" ("entities_id", "name");
CREATE INDEX "ix_networkports_mac" ON "networkports" ("mac");
CREATE INDEX "ix_computers_items_computers_id_itemtype" ON "computers_items" ("computers_id", "itemtype");
