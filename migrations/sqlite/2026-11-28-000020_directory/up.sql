-- The establishment directory (issue 6): establishments keyed by UAI, each linked to its
-- entity (Région > académie > establishment); directory people (AAF PersEducNat) linked to
-- their Parc user; the function -> profile table; CAS service tickets -> sessions for single
-- logout. Dates are ISO text (YYYY-MM-DD) on both backends: they come from the feeds as text.

CREATE TABLE "establishments" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "uai" TEXT NOT NULL UNIQUE,
  "entities_id" INTEGER NOT NULL,
  -- AAF ENTStructureJointure, when the establishment came through the AAF feed.
  "aaf_id" TEXT UNIQUE,
  -- Date (YYYYMMDD) of the AAF file that last changed it: older files do not undo newer ones.
  "aaf_date" TEXT,
  "name" TEXT NOT NULL,
  "kind" TEXT,
  "nature" TEXT,
  "sector" TEXT,
  "address" TEXT,
  "postcode" TEXT,
  "commune_code" TEXT,
  "town" TEXT,
  "departement" TEXT,
  "academie_code" TEXT,
  "academie" TEXT,
  "region_code" TEXT,
  "region" TEXT,
  "latitude" REAL,
  "longitude" REAL,
  "phone" TEXT,
  "email" TEXT,
  "siret" TEXT,
  -- open | to_close | to_open | closed. Closed establishments are kept with their entity.
  "state" TEXT NOT NULL DEFAULT 'open',
  "opened_on" TEXT,
  "closed_on" TEXT,
  "source_updated_on" TEXT,
  -- annuaire | aaf: the annuaire is the reference for descriptive fields, AAF fills gaps.
  "source" TEXT NOT NULL,
  "date_creation" TEXT NOT NULL,
  "date_mod" TEXT NOT NULL
);
CREATE INDEX "ix_establishments_entities_id" ON "establishments" ("entities_id");
CREATE INDEX "ix_establishments_departement" ON "establishments" ("departement");
CREATE INDEX "ix_establishments_academie_code" ON "establishments" ("academie_code");

CREATE TABLE "directory_people" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  -- AAF ENTPersonJointure.
  "aaf_id" TEXT NOT NULL UNIQUE,
  "users_id" INTEGER NOT NULL UNIQUE,
  "category" TEXT NOT NULL,
  -- Attached structures (AAF jointure ids) and functions (jointure$CODE), comma-separated, sorted.
  "structures" TEXT NOT NULL DEFAULT '',
  "functions" TEXT NOT NULL DEFAULT '',
  "email" TEXT,
  -- Set when the person left the directory: the user is disabled, history and tickets stay.
  "left_on" TEXT,
  -- Date (YYYYMMDD) of the AAF file that last changed the person.
  "aaf_date" TEXT,
  "date_creation" TEXT NOT NULL,
  "date_mod" TEXT NOT NULL
);

-- Which Parc profile an AAF function code gives, on the establishment of that function.
CREATE TABLE "directory_profile_map" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "function_code" TEXT NOT NULL UNIQUE,
  "profiles_id" INTEGER NOT NULL,
  "is_recursive" INTEGER NOT NULL DEFAULT 0
);
-- Default: direction, gestionnaire and teachers may open and follow tickets for their lycée.
INSERT INTO "directory_profile_map" ("function_code", "profiles_id", "is_recursive") VALUES
  ('DIR', 1, 0), ('DEC', 1, 0), ('DECPR', 1, 0), ('DSES', 1, 0), ('ADF', 1, 0), ('ENS', 1, 0);

-- CAS single logout: the service ticket (stored as SHA-256, it is a secret) -> Parc session.
CREATE TABLE "cas_sessions" (
  "ticket_hash" TEXT PRIMARY KEY,
  "sessions_id" INTEGER NOT NULL,
  "created_at" BIGINT NOT NULL
);
CREATE INDEX "ix_cas_sessions_sessions_id" ON "cas_sessions" ("sessions_id");
