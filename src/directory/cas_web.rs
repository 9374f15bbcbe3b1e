//! CAS web
