//! The GLPI 10 legacy REST API (`/apirest.php/…`, also `/api.php/v1/…` as GLPI 11 does).
//!
//! This layer translates GLPI requests to Parc's domain (itemtype store, access rules,
//! ticket rules) and back; it owns no data. One dispatcher parses the path like GLPI's
//! `APIRest::call()` and routes to the session endpoints or the generic item endpoints.

pub mod error;
mod items;
pub mod params;
pub mod search;
mod session;

use crate::app::State;
use crate::auth::session::Session;
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use error::GlpiError;
use futures_util::StreamExt;
use serde_json::{Map, Value};

pub type GlpiResult = Result<HttpResponse, GlpiError>;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(glpi_scope("/apirest.php")).service(glpi_scope("/api.php/v1"));
}

fn glpi_scope(path: &str) -> impl actix_web::dev::HttpServiceFactory {
    use actix_web::dev::Service;
    web::scope(path).default_service(web::to(dispatch)).wrap_fn(|req, srv| {
        let cors = Cors::of(req.request());
        let answer = srv.call(req);
        async move {
            let mut res = answer.await?;
            cors.apply(res.headers_mut());
            Ok(res)
        }
    })
}

/// GLPI's `API::cors()`: browser clients may call the API from any origin; their preflight
/// is answered without authentication (see `dispatch`).
struct Cors {
    origin: bool,
    expose: bool,
    methods: bool,
    headers: bool,
}

impl Cors {
    fn of(req: &HttpRequest) -> Cors {
        let h = req.headers();
        let m = req.method();
        Cors {
            origin: h.contains_key("origin"),
            expose: m == Method::GET || m == Method::OPTIONS,
            methods: m == Method::OPTIONS && h.contains_key("access-control-request-method"),
            headers: m == Method::OPTIONS && h.contains_key("access-control-request-headers"),
        }
    }

    fn apply(&self, h: &mut actix_web::http::header::HeaderMap) {
        use actix_web::http::header::{self as hd, HeaderValue as V};
        let pairs = [
            (self.origin, hd::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
            (self.expose, hd::ACCESS_CONTROL_EXPOSE_HEADERS, "content-type, content-range, accept-range"),
            (self.methods, hd::ACCESS_CONTROL_ALLOW_METHODS, "PUT, GET, POST, DELETE, OPTIONS"),
            (
                self.headers,
                hd::ACCESS_CONTROL_ALLOW_HEADERS,
                "origin, content-type, accept, session-token, authorization, app-token",
            ),
        ];
        for (name, value) in pairs.into_iter().filter(|p| p.0).map(|p| (p.1, p.2)) {
            h.insert(name, V::from_static(value));
        }
    }
}

/// JSON answer with GLPI's headers (no caching, UTF-8, slashes not escaped).
pub fn respond(status: StatusCode, body: &Value) -> HttpResponse {
    HttpResponse::build(status)
        .content_type("application/json; charset=UTF-8")
        .insert_header(("Cache-Control", "no-store, no-cache, must-revalidate"))
        .insert_header(("Expires", "Mon, 26 Jul 1997 05:00:00 GMT"))
        .body(serde_json::to_string(body).unwrap_or_else(|_| "null".into()))
}

/// GLPI's paging headers: `Accept-Range: <Itemtype> 1000` always, `Content-Range` when
/// there are rows.
pub fn paging_headers(resp: &mut HttpResponse, itemtype: &str, content_range: Option<&str>) {
    use actix_web::http::header::{HeaderName, HeaderValue, CONTENT_RANGE};
    let h = resp.headers_mut();
    // Itemtype names and ranges are ASCII: the header values are always valid.
    h.insert(
        HeaderName::from_static("accept-range"),
        HeaderValue::from_str(&format!("{itemtype} 1000")).expect("ascii"),
    );
    if let Some(range) = content_range {
        h.insert(CONTENT_RANGE, HeaderValue::from_str(range).expect("ascii"));
    }
}

pub fn ok(body: &Value) -> GlpiResult {
    Ok(respond(StatusCode::OK, body))
}

/// Everything a GLPI endpoint needs about its request.
pub struct Ctx {
    pub state: State,
    pub method: Method,
    pub params: Map<String, Value>,
    /// Path segments after the resource (`/Ticket/5/TicketTask` → `["5", "TicketTask"]`).
    pub rest: Vec<String>,
    pub client_ip: Option<std::net::IpAddr>,
    pub session_token: Option<String>,
}

impl Ctx {
    pub fn param(&self, k: &str) -> Option<&Value> {
        self.params.get(k)
    }
    pub fn flag(&self, k: &str) -> bool {
        params::truthy(self.params.get(k))
    }
}

async fn read_body(mut payload: web::Payload, limit: usize) -> Result<Vec<u8>, GlpiError> {
    let mut body = Vec::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| GlpiError::json_invalid())?;
        if body.len() + chunk.len() > limit {
            return Err(GlpiError::too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

async fn dispatch(req: HttpRequest, payload: web::Payload, state: State) -> HttpResponse {
    let settings = state.clone();
    match answer(req, payload, state).await {
        Ok(r) => r,
        Err(e) => e.render(&settings.settings.api_url),
    }
}

async fn answer(req: HttpRequest, payload: web::Payload, state: State) -> GlpiResult {
    let limit = state.settings.body_limit;
    let body = read_body(payload, limit).await?;
    let path = req.match_info().unprocessed().to_string();
    let segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(|s| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned())
        .collect();
    // The optional `api/` rewrite of GLPI 10.
    let segments: Vec<String> = match segments.first().map(String::as_str) {
        Some("api") => segments[1..].to_vec(),
        _ => segments,
    };
    let method = req.method().clone();
    if method == Method::OPTIONS {
        return Ok(HttpResponse::Ok().content_type("text/html; charset=UTF-8").finish());
    }
    let params = collect_params(&req, &method, &body)?;
    let Some(resource) = segments.first().cloned() else {
        return ok(&Value::String(
            "Parc GLPI-compatible API. See https://glpi-project.github.io/glpi/apirest.html".into(),
        ));
    };
    let session_token = params::as_str(params.get("session_token")).filter(|s| !s.is_empty());
    let ctx = Ctx {
        state: state.clone(),
        method,
        params,
        rest: segments[1..].to_vec(),
        client_ip: req.peer_addr().map(|a| a.ip()),
        session_token,
    };
    tracing::Span::current().record("route", format!("/apirest.php/{resource}").as_str());
    match resource.as_str() {
        "initSession" => session::init_session(ctx).await,
        "lostPassword" => session::lost_password(ctx).await,
        _ => {
            let s = authenticate(&ctx).await?;
            route(ctx, s, &resource).await
        }
    }
}

async fn route(ctx: Ctx, s: Session, resource: &str) -> GlpiResult {
    use Method as M;
    match (resource, &ctx.method) {
        ("killSession", &M::GET) => session::kill_session(ctx, s).await,
        ("getMyProfiles", &M::GET) => session::my_profiles(ctx, s).await,
        ("getActiveProfile", &M::GET) => session::active_profile(ctx, s).await,
        ("changeActiveProfile", &M::POST) => session::change_profile(ctx, s).await,
        ("getMyEntities", &M::GET) => session::my_entities(ctx, s).await,
        ("getActiveEntities", &M::GET) => session::active_entities(ctx, s).await,
        ("changeActiveEntities", &M::POST) => session::change_entities(ctx, s).await,
        ("getFullSession", &M::GET) => session::full_session(ctx, s).await,
        ("getGlpiConfig", &M::GET) => session::glpi_config(ctx, s).await,
        ("getMultipleItems", &M::GET) => items::get_multiple(ctx, s).await,
        _ => items::route(ctx, s, resource).await,
    }
}

/// Merge query string, body and headers into one map, as GLPI's `parseIncomingParams`.
fn collect_params(req: &HttpRequest, method: &Method, body: &[u8]) -> Result<Map<String, Value>, GlpiError> {
    let mut params = params::parse_str(req.query_string());
    let content_type = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/json")
        .to_ascii_lowercase();
    let blank = body.iter().all(|b| b.is_ascii_whitespace());
    if *method == Method::GET && !blank {
        return Err(GlpiError::json_forbidden());
    }
    if !blank {
        if content_type.starts_with("application/json") {
            let v: Value = serde_json::from_slice(body).map_err(|_| GlpiError::json_invalid())?;
            if let Value::Object(o) = v {
                params.extend(o);
            } else if params::truthy(Some(&v)) {
                // GLPI ignores falsy bodies; a non-object JSON body is not usable input.
                return Err(GlpiError::bad_array());
            }
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            let form = params::parse_str(&String::from_utf8_lossy(body));
            params.extend(form);
        }
    }
    // Booleans: only top-level "true"/"false" strings, like GLPI.
    for v in params.values_mut() {
        if v == "true" {
            *v = Value::Bool(true);
        } else if v == "false" {
            *v = Value::Bool(false);
        }
    }
    let h = req.headers();
    let header = |n: &str| h.get(n).and_then(|v| v.to_str().ok()).map(str::to_string);
    if let Some(t) = header("session-token") {
        params.insert("session_token".into(), Value::String(t));
    }
    if let Some(t) = header("app-token") {
        params.insert("app_token".into(), Value::String(t));
    }
    if let Some(auth) = header("authorization") {
        if auth.contains("user_token") {
            if let Some(tok) = auth.split_whitespace().nth(1) {
                params.insert("user_token".into(), Value::String(tok.to_string()));
            }
        } else if let Some(b64) = auth.strip_prefix("Basic ").or_else(|| auth.strip_prefix("basic ")) {
            use base64::Engine;
            if let Ok(raw) = base64::engine::general_purpose::STANDARD.decode(b64.trim()) {
                let raw = String::from_utf8_lossy(&raw).into_owned();
                if let Some((l, p)) = raw.split_once(':') {
                    params.insert("login".into(), Value::String(l.to_string()));
                    params.insert("password".into(), Value::String(p.to_string()));
                }
            }
        }
    }
    Ok(params)
}

/// App token check then session check, as GLPI's `initEndpoint()`. Both are answered from
/// short-lived caches when possible, so a plain read costs one query.
async fn authenticate(ctx: &Ctx) -> Result<Session, GlpiError> {
    let app_token = params::as_str(ctx.param("app_token")).unwrap_or_default();
    let ip = ctx.client_ip;
    let token = ctx.session_token.clone().ok_or_else(GlpiError::session_missing);
    let idle = ctx.state.settings.session_idle_secs;
    let state = ctx.state.clone();
    let digest = token.as_ref().map(|t| crate::auth::token::digest(t)).ok();
    if let Some(s) = digest.as_deref().and_then(|d| state.sessions.get(d)) {
        // Cached session: at most the client list is read (when its own cache expired).
        crate::web::clients::check(&state, ip, &app_token).await?;
        return Ok(s);
    }
    let cache = state.db.tree.clone();
    let st = state.clone();
    let s = state
        .db
        .run(move |c| -> Result<Session, GlpiError> {
            let clients = st.clients.get(|| crate::auth::session::active_clients(c))?;
            client_for(&clients, ip, &app_token)?;
            let token = token?;
            let tree = cache.get(c)?;
            crate::auth::session::load(c, &token, idle, &tree)
                .map_err(|_| GlpiError::session_invalid())?
                .ok_or_else(GlpiError::session_invalid)
        })
        .await?;
    if let Some(d) = digest {
        state.sessions.put(d, s.clone());
    }
    Ok(s)
}

/// IP filter and app token (GLPI's `initApi` + `checkAppToken`). Returns the client id.
pub fn check_client(
    c: &mut crate::db::DbConn,
    ip: Option<std::net::IpAddr>,
    app_token: &str,
) -> Result<i32, GlpiError> {
    let clients = crate::auth::session::active_clients(c)?;
    client_for(&clients, ip, app_token)
}

fn client_for(
    clients: &[crate::auth::session::ApiClient],
    ip: Option<std::net::IpAddr>,
    app_token: &str,
) -> Result<i32, GlpiError> {
    Ok(crate::auth::clients::client_for(clients, ip, app_token)?)
}

/// `search/:itemtype` and `listSearchOptions/:itemtype`.
pub async fn search_route(ctx: Ctx, s: Session, resource: &str) -> GlpiResult {
    let def = ctx.rest.first().and_then(|t| crate::itemtypes::find(t)).ok_or_else(GlpiError::resource_not_found)?;
    if !crate::access::type_allows(&s.rights, def, crate::access::Op::Read) {
        return Err(GlpiError::right_missing());
    }
    match resource {
        "listSearchOptions" => search::list_search_options(ctx, s, def).await,
        _ => search::search(ctx, s, def).await,
    }
}
