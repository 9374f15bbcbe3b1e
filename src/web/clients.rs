//! The API-client rule (`auth::clients`) applied to a request, for both API faces: the
//! client list comes from the application's cache.

use crate::app::State;
use crate::auth::clients::{client_for, ClientRefusal};
use crate::auth::session::active_clients;
use std::net::IpAddr;

#[derive(Debug, thiserror::Error)]
pub enum ClientCheckError {
    #[error(transparent)]
    Refused(#[from] ClientRefusal),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

/// [`client_for`] against the cached client list, read from the database only when the
/// cache is stale.
pub async fn check(state: &State, ip: Option<IpAddr>, app_token: &str) -> Result<i32, ClientCheckError> {
    let clients = match state.clients.fresh() {
        Some(list) => list,
        None => {
            let st = state.clone();
            state
                .db
                .run(move |c| -> Result<_, ClientCheckError> {
                    Ok(st.clients.get(|| active_clients(c)).map_err(crate::db::DbError::Query)?)
                })
                .await?
        }
    };
    Ok(client_for(&clients, ip, app_token)?)
}
