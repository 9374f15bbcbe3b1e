//! Integration tests: the real server over HTTP, on SQLite or PostgreSQL.

mod directory;
mod errors;
mod foundation;
mod golden;
mod helpers;
mod interventions;
mod inventory;
mod items;
mod native;
mod reports;
mod rights;
mod schema;
mod search;
mod security_auth;
mod security_db;
mod security_inventory;
mod security_writes;
mod sessions;
mod tickets;
mod write_matrix;
