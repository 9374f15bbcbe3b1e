//! The application's shared state: the database pool, the settings and every cache, in one
//! room that handlers read and nothing else owns.

use crate::config::ServeSettings;
use crate::db::Db;
use actix_web::web;
use std::sync::Arc;

/// Shared state of all workers.
pub struct AppState {
    pub db: Db,
    pub settings: ServeSettings,
    pub sessions: crate::auth::cache::SessionCache,
    pub clients: crate::auth::cache::ClientCache,
    pub counts: crate::auth::cache::CountCache,
    /// Failed sign-ins per login and per address.
    pub logins: crate::auth::throttle::LoginThrottle,
    pub session_purge: crate::auth::session::Purge,
    /// Inventory imports under way.
    pub inventory: crate::inventory::batch::Imports,
    /// Rate limit of anonymous agent requests, per address.
    pub agents: crate::inventory::throttle::Throttle,
}

pub type State = web::Data<Arc<AppState>>;
