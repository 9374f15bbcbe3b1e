//! The agent inventory protocol (GLPI Agent JSON, FusionInventory XML) over HTTP: body
//! decoding, the protocol's answers, and the routes that hand documents to `inventory`.

pub mod decode;
pub mod protocol;
pub mod routes;

pub use routes::{configure, AgentAnswer};
