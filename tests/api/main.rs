//! Integration tests: the real server over HTTP, on SQLite or PostgreSQL.

mod directory;
mod errors;
mod foundation;
mod helpers;
mod items;
mod native;
mod rights;
mod sessions;
mod tickets;
