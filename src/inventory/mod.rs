//! Inventory from the agents found in lycées: the GLPI Agent (native JSON protocol, full
//! and partial inventories) and FusionInventory 2.x (legacy XML protocol), on the URLs a
//! GLPI 10 server answers.
//!
//! The request is decoded (`decode`: compression, size cap), read into one model
//! (`xml` converts to the JSON format, `schema` checks it, `json` maps it to `model`),
//! imported in one transaction (`import`, with `routing` to the lycée of the TAG,
//! `sections` and `sync` for the components, `rows` for the SQL), and answered the way
//! each agent expects (`protocol`, `routes`).

pub mod batch;
pub mod doc;
pub mod import;
pub mod json;
pub mod locks;
pub mod model;
pub mod routing;
pub mod rows;
pub mod schema;
pub mod sections;
pub mod software;
pub mod sync;
pub mod throttle;
pub mod xml;
