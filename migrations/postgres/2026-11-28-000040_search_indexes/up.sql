-- Indexes for GLPI searches at the scale of a region (200,000 computers).
-- * Anchored values and `equals` on text compare LOWER(col); text_pattern_ops also serves
--   prefix searches (LIKE 'abc%').
-- * `contains` is ILIKE '%abc%': pg_trgm GIN indexes answer it without a scan. pg_trgm is a
--   trusted extension; where it is not installed the search still works, by scanning.
DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm; EXCEPTION WHEN OTHERS THEN RAISE NOTICE 'pg_trgm unavailable: substring search will scan'; END $$;

CREATE INDEX "ix_computers_lower_name" ON "computers" (LOWER("name") text_pattern_ops);
CREATE INDEX "ix_computers_lower_serial" ON "computers" (LOWER("serial") text_pattern_ops);
CREATE INDEX "ix_computers_lower_otherserial" ON "computers" (LOWER("otherserial") text_pattern_ops);
DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
  EXECUTE 'CREATE INDEX "ix_computers_trgm_name" ON "computers" USING gin ("name" gin_trgm_ops)';
  EXECUTE 'CREATE INDEX "ix_computers_trgm_serial" ON "computers" USING gin ("serial" gin_trgm_ops)';
  EXECUTE 'CREATE INDEX "ix_computers_trgm_otherserial" ON "computers" USING gin ("otherserial" gin_trgm_ops)';
END IF; END $$;

CREATE INDEX "ix_monitors_lower_name" ON "monitors" (LOWER("name") text_pattern_ops);
CREATE INDEX "ix_monitors_lower_serial" ON "monitors" (LOWER("serial") text_pattern_ops);
CREATE INDEX "ix_monitors_lower_otherserial" ON "monitors" (LOWER("otherserial") text_pattern_ops);
DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
  EXECUTE 'CREATE INDEX "ix_monitors_trgm_name" ON "monitors" USING gin ("name" gin_trgm_ops)';
  EXECUTE 'CREATE INDEX "ix_monitors_trgm_serial" ON "monitors" USING gin ("serial" gin_trgm_ops)';
  EXECUTE 'CREATE INDEX "ix_monitors_trgm_otherserial" ON "monitors" USING gin ("otherserial" gin_trgm_ops)';
END IF; END $$;

CREATE INDEX "ix_peripherals_lower_name" ON "peripherals" (LOWER("name") text_pattern_ops);
CREATE INDEX "ix_peripherals_lower_serial" ON "peripherals" (LOWER("serial") text_pattern_ops);
CREATE INDEX "ix_peripherals_lower_otherserial" ON "peripherals" (LOWER("otherserial") text_pattern_ops);
DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
  EXECUTE 'CREATE INDEX "ix_peripherals_trgm_name" ON "peripherals" USING gin ("name" gin_trgm_ops)';
  EXECUTE 'CREATE INDEX "ix_peripherals_trgm_serial" ON "peripherals" USING gin ("serial" gin_trgm_ops)';
  EXECUTE 'CREATE INDEX "ix_peripherals_trgm_otherserial" ON "peripherals" USING gin ("otherserial" gin_trgm_ops)';
END IF; END $$;

CREATE INDEX "ix_printers_lower_name" ON "printers" (LOWER("name") text_pattern_ops);
CREATE INDEX "ix_printers_lower_serial" ON "printers" (LOWER("serial") text_pattern_ops);
CREATE INDEX "ix_printers_lower_otherserial" ON "printers" (LOWER("otherserial") text_pattern_ops);
DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
  EXECUTE 'CREATE INDEX "ix_printers_trgm_name" ON "printers" USING gin ("name" gin_trgm_ops)';
  EXECUTE 'CREATE INDEX "ix_printers_trgm_serial" ON "printers" USING gin ("serial" gin_trgm_ops)';
  EXECUTE 'CREATE INDEX "ix_printers_trgm_otherserial" ON "printers" USING gin ("otherserial" gin_trgm_ops)';
END IF; END $$;

CREATE INDEX "ix_networkequipments_lower_name" ON "networkequipments" (LOWER("name") text_pattern_ops);
CREATE INDEX "ix_networkequipments_lower_serial" ON "networkequipments" (LOWER("serial") text_pattern_ops);
CREATE INDEX "ix_networkequipments_lower_otherserial" ON "networkequipments" (LOWER("otherserial") text_pattern_ops);
DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
  EXECUTE 'CREATE INDEX "ix_networkequipments_trgm_name" ON "networkequipments" USING gin ("name" gin_trgm_ops)';
  EXECUTE 'CREATE INDEX "ix_networkequipments_trgm_serial" ON "networkequipments" USING gin ("serial" gin_trgm_ops)';
  EXECUTE 'CREATE INDEX "ix_networkequipments_trgm_otherserial" ON "networkequipments" USING gin ("otherserial" gin_trgm_ops)';
END IF; END $$;

CREATE INDEX "ix_phones_lower_name" ON "phones" (LOWER("name") text_pattern_ops);
CREATE INDEX "ix_phones_lower_serial" ON "phones" (LOWER("serial") text_pattern_ops);
CREATE INDEX "ix_phones_lower_otherserial" ON "phones" (LOWER("otherserial") text_pattern_ops);
DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
  EXECUTE 'CREATE INDEX "ix_phones_trgm_name" ON "phones" USING gin ("name" gin_trgm_ops)';
  EXECUTE 'CREATE INDEX "ix_phones_trgm_serial" ON "phones" USING gin ("serial" gin_trgm_ops)';
  EXECUTE 'CREATE INDEX "ix_phones_trgm_otherserial" ON "phones" USING gin ("otherserial" gin_trgm_ops)';
END IF; END $$;

