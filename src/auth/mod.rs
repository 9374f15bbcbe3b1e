//! Credentials: password hashing, random tokens, and the rights model.

pub mod cache;
pub mod clients;
pub mod password;
pub mod rights;
pub mod session;
pub mod throttle;
pub mod token;
