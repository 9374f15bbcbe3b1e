DROP TABLE "profilerights";
DROP TABLE "sessions";
DROP TABLE "apiclients";
DROP TABLE "parc_meta";
