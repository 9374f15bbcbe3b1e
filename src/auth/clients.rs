//! API clients (GLPI's `glpi_apiclients`): which addresses may call the APIs, and with
//! which app token. Both the GLPI API and the native API apply the same rule.

use super::session::ApiClient;
use std::net::{IpAddr, Ipv4Addr};

#[derive(Debug, thiserror::Error)]
pub enum ClientRefusal {
    #[error("There isn't an active API client matching your IP address in the configuration ({0})")]
    NotAllowedIp(IpAddr),
    #[error("parameter app_token seems wrong")]
    WrongAppToken,
    #[error("missing parameter app_token")]
    MissingAppToken,
}

/// The API client matching the caller's IP and app token (GLPI's `initApi` +
/// `checkAppToken`). Returns the client id.
pub fn client_for(clients: &[ApiClient], ip: Option<IpAddr>, app_token: &str) -> Result<i32, ClientRefusal> {
    let ip = ip.unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
    let matching: Vec<_> = clients.iter().filter(|cl| cl.matches_ip(ip)).collect();
    if matching.is_empty() {
        return Err(ClientRefusal::NotAllowedIp(ip));
    }
    let digest = (!app_token.is_empty()).then(|| super::token::digest(app_token));
    let found = matching.iter().find(|cl| cl.app_token == digest);
    match (found, digest) {
        (Some(cl), _) => Ok(cl.id),
        // A client without token accepts any request that sends none, even if another
        // client needs one; a wrong token is refused.
        (None, Some(_)) => Err(ClientRefusal::WrongAppToken),
        (None, None) => Err(ClientRefusal::MissingAppToken),
    }
}
