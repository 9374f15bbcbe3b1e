//! Every HTTP face of Parc, above the domain: the native API, the GLPI API, the agent
//! inventory protocol, CAS sign-on and the health probes, with their errors. Nothing
//! outside `web/` and `app/` imports it; each face translates HTTP to domain calls.

pub mod agent;
pub mod cas;
pub mod clients;
pub mod error;
pub mod glpi;
pub mod health;
pub mod native;
