DELETE FROM "apiclients";
DELETE FROM "requesttypes";
DELETE FROM "entities";
DELETE FROM "profilerights";
DELETE FROM "profiles";
