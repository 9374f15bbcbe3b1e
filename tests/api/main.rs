//! Integration tests: the real server over HTTP, on SQLite or PostgreSQL.

mod errors;
mod foundation;
mod helpers;
mod inventory;
mod items;
mod native;
mod rights;
mod sessions;
mod tickets;
