//! CAS
