-- Parc's own tables (not GLPI itemtypes). parc_meta marks the database as Parc's:
-- a database with tables but without it is refused at start.
CREATE TABLE "parc_meta" ("key" TEXT PRIMARY KEY, "value" TEXT NOT NULL);
INSERT INTO "parc_meta" ("key", "value") VALUES ('app', 'parc');

-- GLPI API clients (glpi_apiclients): IP ranges and optional app token (stored hashed).
CREATE TABLE "apiclients" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "guid" TEXT NOT NULL UNIQUE,
  "entities_id" INTEGER NOT NULL DEFAULT 0,
  "is_recursive" INTEGER NOT NULL DEFAULT 0,
  "name" TEXT,
  "date_mod" TEXT,
  "is_active" INTEGER NOT NULL DEFAULT 0,
  "ipv4_range_start" BIGINT,
  "ipv4_range_end" BIGINT,
  "ipv6" TEXT,
  "app_token" TEXT,
  "app_token_date" TEXT,
  "dolog_method" INTEGER NOT NULL DEFAULT 0,
  "comment" TEXT,
  "date_creation" TEXT
);
CREATE UNIQUE INDEX "ux_apiclients_app_token" ON "apiclients" ("app_token");

-- API sessions live in the database so several Parc instances can serve one API.
-- Only a SHA-256 of the token is stored; times are Unix seconds (UTC).
CREATE TABLE "sessions" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "token_hash" TEXT NOT NULL UNIQUE,
  "users_id" INTEGER NOT NULL,
  "profiles_id" INTEGER NOT NULL,
  "entities_id" INTEGER NOT NULL,
  "is_recursive" INTEGER NOT NULL DEFAULT 1,
  "apiclients_id" INTEGER NOT NULL DEFAULT 0,
  "created_at" BIGINT NOT NULL,
  "last_activity" BIGINT NOT NULL
);
CREATE INDEX "ix_sessions_users_id" ON "sessions" ("users_id");
CREATE INDEX "ix_sessions_last_activity" ON "sessions" ("last_activity");

-- GLPI profile rights: one bitmask per (profile, right name).
CREATE TABLE "profilerights" (
  "id" INTEGER PRIMARY KEY AUTOINCREMENT,
  "profiles_id" INTEGER NOT NULL,
  "name" TEXT NOT NULL,
  "rights" INTEGER NOT NULL DEFAULT 0,
  UNIQUE ("profiles_id", "name")
);
