//! Bearer authentication for the native API: a user API token or a GLPI session token,
//! under the same rights.

use crate::app::State;
use crate::auth::session::{self, Session};
use crate::web::error::ApiError;
use actix_web::{dev::Payload, FromRequest, HttpRequest};
use std::future::Future;
use std::pin::Pin;

/// The authenticated caller of a native endpoint.
pub struct Caller(pub Session);

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<State>().cloned();
        let bearer = req
            .headers()
            .get(actix_web::http::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")))
            .map(|t| t.trim().to_string());
        let ip = req.peer_addr().map(|a| a.ip());
        let app_token = req.headers().get("app-token").and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
        Box::pin(async move {
            let state = state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("state missing")))?;
            // The API clients' IP ranges and app tokens hold here as on the GLPI API.
            crate::web::clients::check(&state, ip, &app_token).await?;
            let token = bearer.filter(|t| !t.is_empty()).ok_or(ApiError::Unauthorized)?;
            let digest = crate::auth::token::digest(&token);
            if let Some(s) = state.sessions.get(&digest) {
                return Ok(Caller(s));
            }
            let idle = state.settings.session_idle_secs;
            let cache = state.db.tree.clone();
            let s = state
                .db
                .run(move |c| -> Result<Option<Session>, ApiError> {
                    let tree = cache.get(c)?;
                    if let Some(s) = session::load(c, &token, idle, &tree).map_err(auth_err)? {
                        return Ok(Some(s));
                    }
                    // A user API token: resolve to a transient session with the default profile.
                    match session::check_user_token(c, &token) {
                        Ok(user) => session::transient(c, &user, &tree).map_err(auth_err).map(Some),
                        Err(session::AuthError::BadUserToken) => Ok(None),
                        Err(e) => Err(auth_err(e)),
                    }
                })
                .await?;
            if let Some(s) = &s {
                state.sessions.put(digest, s.clone());
            }
            s.map(Caller).ok_or(ApiError::Unauthorized)
        })
    }
}

fn auth_err(e: session::AuthError) -> ApiError {
    match e {
        session::AuthError::Db(d) => d.into(),
        session::AuthError::NoProfile => ApiError::Forbidden("the user has no profile".into()),
        _ => ApiError::Unauthorized,
    }
}
