DROP TABLE "cas_sessions";
DROP TABLE "directory_profile_map";
DROP TABLE "directory_people";
DROP TABLE "establishments";
