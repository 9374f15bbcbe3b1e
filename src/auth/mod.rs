//! Credentials: password hashing, random tokens, and the rights model.

pub mod cache;
pub mod password;
pub mod rights;
pub mod session;
pub mod throttle;
pub mod token;
