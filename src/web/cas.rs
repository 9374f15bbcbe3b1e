//! CAS routes: `GET /auth/cas/login` (redirect to the CAS login), `GET /auth/cas/callback`
//! (ticket validation, answers a Parc session token usable as GLPI `Session-Token` and as
//! native `Bearer`), `POST /auth/cas/callback` (single-logout back channel).

use crate::app::State;
use crate::directory::cas::{self, CasConfig, CasError};
use crate::web::error::CasErrorResponses;
use actix_web::{http::StatusCode, web, HttpResponse, ResponseError};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/auth/cas/login", web::get().to(login))
        .route("/auth/cas/callback", web::get().to(callback))
        .route("/auth/cas/callback", web::post().to(logout));
}

fn config(state: &State) -> Result<CasConfig, CasError> {
    let s = &state.settings;
    let url = s.cas_url.as_deref().filter(|u| !u.is_empty()).ok_or(CasError::NotConfigured)?;
    Ok(CasConfig::new(url, &s.public_url, s.cas_version))
}

/// Redirect to the CAS server's login page, which sends the browser back to the callback.
#[utoipa::path(get, path = "/auth/cas/login", tag = "cas",
    responses((status = 302, description = "Redirect to the CAS login", headers(("Location" = String))),
              CasErrorResponses))]
pub(crate) async fn login(state: State) -> Result<HttpResponse, CasError> {
    let cfg = config(&state)?;
    Ok(HttpResponse::Found().insert_header(("Location", cfg.login_url())).finish())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Callback {
    /// The service ticket issued by the CAS server (`ST-…`).
    ticket: Option<String>,
}

/// The Parc session opened by a CAS sign-on.
#[derive(Serialize, ToSchema)]
pub(crate) struct CasSession {
    /// Usable as GLPI `Session-Token` and as native `Bearer`.
    session_token: String,
    users_id: i64,
    login: String,
    profile: String,
    entities_id: i64,
    /// The establishment of the user, when the directory knows one.
    uai: Option<String>,
}

/// Validate the service ticket with the CAS server and open a Parc session.
#[utoipa::path(get, path = "/auth/cas/callback", tag = "cas", params(Callback),
    responses((status = 200, body = CasSession), CasErrorResponses))]
pub(crate) async fn callback(state: State, q: web::Query<Callback>) -> Result<HttpResponse, CasError> {
    let cfg = config(&state)?;
    let ticket = q.into_inner().ticket.ok_or(CasError::BadTicket)?;
    let user = cas::validate(&cfg, &ticket).await?;
    let sign_on = state
        .db
        .run(move |c| cas::sign_on(c, &user, &ticket))
        .await
        .inspect_err(|e| tracing::warn!(error = %e, "CAS sign-on refused"))?;
    let s = &sign_on.session;
    tracing::info!(users_id = s.users_id(), "CAS sign-on");
    let body = CasSession {
        users_id: s.users_id(),
        login: s.user.login().to_string(),
        profile: s.profile_name.clone(),
        entities_id: s.entities_id,
        uai: sign_on.uai,
        session_token: sign_on.token,
    };
    Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(body))
}

#[derive(Deserialize, ToSchema)]
pub(crate) struct Slo {
    /// The SAML `LogoutRequest` naming the service ticket of the ended session.
    #[serde(rename = "logoutRequest")]
    logout_request: String,
}

/// The CAS server posts `logoutRequest` when the user signs out of the ENT.
#[utoipa::path(post, path = "/auth/cas/callback", tag = "cas",
    request_body(content = Slo, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, description = "The sessions opened with that ticket are ended"), CasErrorResponses))]
pub(crate) async fn logout(state: State, form: web::Form<Slo>) -> Result<HttpResponse, CasError> {
    let ticket = cas::parse_logout_request(&form.logout_request).ok_or(CasError::BadTicket)?;
    let ended = state.db.run(move |c| cas::single_logout(c, &ticket).map_err(CasError::from)).await?;
    tracing::info!(ended, "CAS single logout");
    Ok(HttpResponse::Ok().finish())
}

/// CAS failures in the native API's error format.
impl ResponseError for CasError {
    fn status_code(&self) -> StatusCode {
        match self {
            CasError::NotConfigured | CasError::Db(_) | CasError::Pool(_) => StatusCode::SERVICE_UNAVAILABLE,
            CasError::BadTicket => StatusCode::BAD_REQUEST,
            CasError::Rejected { .. } => StatusCode::UNAUTHORIZED,
            CasError::Unavailable(_) | CasError::BadResponse => StatusCode::BAD_GATEWAY,
            CasError::UnknownPerson | CasError::NoAccess(_) => StatusCode::FORBIDDEN,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let CasError::Db(e) = self {
            tracing::error!(error = %e, "CAS sign-on: database error");
        }
        HttpResponse::build(self.status_code())
            .json(crate::web::error::ErrorBody { error: self.code(), message: self.to_string() })
    }
}
