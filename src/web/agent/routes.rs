//! The URLs agents are pointed at, all served by one handler as GLPI does: `/` (POST
//! only), `/front/inventory.php`, `/Inventory`, `/marketplace/glpiinventory/`,
//! `/plugins/glpiinventory/`, `/plugins/fusioninventory/` and `/ocsinventory` (where
//! FusionInventory 2.6 posts when its server URL has no path), with any trailing path.

use super::decode::{self, DecodeError, Encoding, Hint};
use super::protocol::{Format, Reply};
use crate::app::State;
use crate::inventory::doc::{self, Doc};
use crate::inventory::import::{self, AgentInfo};
use crate::inventory::model::Inventory;
use crate::inventory::rows::ImportError;
use crate::inventory::{json, schema, xml};
use actix_web::http::{header, Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;
use std::sync::Arc;

/// Marks protocol answers so that the JSON error fallback leaves them as they are.
#[derive(Debug, Clone, Copy)]
pub struct AgentAnswer;

const PREFIXES: &[&str] = &[
    "/front/inventory.php",
    "/Inventory",
    "/marketplace/glpiinventory",
    "/plugins/glpiinventory",
    "/plugins/fusioninventory",
    "/ocsinventory",
];

pub fn configure(cfg: &mut web::ServiceConfig) {
    // On `/` only POST is the agent protocol; other methods keep the app's behaviour.
    cfg.service(web::resource("/").route(web::post().to(agent)).default_service(web::to(root_other)));
    for prefix in PREFIXES {
        cfg.service(web::scope(prefix).default_service(web::to(agent)));
    }
}

fn mark(mut resp: HttpResponse) -> HttpResponse {
    resp.extensions_mut().insert(AgentAnswer);
    resp
}

/// The legacy FusionInventory REST call (`GET ?action=getConfig…`) is not implemented,
/// by GLPI either; the agent then skips those tasks.
fn legacy_rest(req: &HttpRequest) -> Option<HttpResponse> {
    (req.method() == Method::GET && req.query_string().split('&').any(|p| p.starts_with("action="))).then(|| {
        mark(
            HttpResponse::BadRequest()
                .content_type("application/json")
                .insert_header((header::CACHE_CONTROL, "no-cache,no-store"))
                .body(Reply::json_error(400, "Protocol not supported").body),
        )
    })
}

async fn root_other(req: HttpRequest) -> actix_web::Result<HttpResponse> {
    match legacy_rest(&req) {
        Some(resp) => Ok(resp),
        None => Ok(crate::web::health::not_found(req).await?),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Auth {
    /// No credentials configured: everyone is anonymous.
    Open,
    Valid,
    Refused,
}

/// Authorization: Basic, when `PARC_INVENTORY_USER` and `PARC_INVENTORY_PASSWORD` are set.
fn authorized(req: &HttpRequest, cfg: &crate::config::InventorySettings) -> Auth {
    use base64::Engine;
    use secrecy::ExposeSecret;
    use sha2::Digest;
    let (Some(user), Some(password)) = (&cfg.user, &cfg.password) else { return Auth::Open };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic ").or_else(|| v.strip_prefix("basic ")))
        .and_then(|b| base64::engine::general_purpose::STANDARD.decode(b.trim()).ok())
        .unwrap_or_default();
    // Compare digests: equal length, no early exit on the first differing byte.
    let expected = sha2::Sha256::digest(format!("{user}:{}", password.expose_secret()).as_bytes());
    let got = sha2::Sha256::digest(&given);
    if expected.iter().zip(got.iter()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0 {
        Auth::Valid
    } else {
        Auth::Refused
    }
}

/// 429 for an anonymous request over its address's rate, in the protocol the agent
/// speaks: a GLPI Agent (its header, or a JSON body) reads JSON, FusionInventory XML.
/// Decided before the body is read, so a flood costs no inflating or parsing.
fn throttled(req: &HttpRequest, state: &State, hint: Hint, echo: &Echo) -> Option<HttpResponse> {
    let ip = req.peer_addr()?.ip();
    let limited = state.agents.hit(ip).err()?;
    let secs = limited.wait.as_secs() + 1;
    if limited.first {
        tracing::warn!(client = %ip, retry_after = secs, "anonymous agent requests over the rate limit: refused");
    }
    let json = hint == Hint::Json || req.headers().contains_key("GLPI-Agent-ID");
    let format = if json { Format::Json } else { Format::Xml };
    let msg = format!("Too many inventories from this address, retry in {secs} s");
    let mut resp = echo.respond(Reply::error(format, 429, &msg));
    resp.headers_mut().insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
    Some(resp)
}

/// How to answer: the request's compression and the headers GLPI echoes.
struct Echo {
    enc: Encoding,
    compressed_type: String,
    headers: Vec<(String, String)>,
}

impl Echo {
    fn new(req: &HttpRequest, content_type: &str) -> Echo {
        let headers = ["GLPI-Agent-ID", "GLPI-Request-ID"]
            .into_iter()
            .filter_map(|h| req.headers().get(h).and_then(|v| v.to_str().ok()).map(|v| (h.to_string(), v.to_string())))
            .collect();
        let ct = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        Echo { enc: Encoding::Identity, compressed_type: ct, headers }
    }

    fn respond(&self, reply: Reply) -> HttpResponse {
        let body = decode::compress(self.enc, reply.body.as_bytes());
        let content_type = match (self.enc, reply.format) {
            (Encoding::Identity, Format::Json) => "application/json".to_string(),
            (Encoding::Identity, Format::Xml) => "application/xml".to_string(),
            // A sniffed body had no compression type to echo: use the agents' own.
            (enc, _) if !self.compressed_type.starts_with("application/x-") => match enc {
                Encoding::Gzip => "application/x-compress-gzip".into(),
                Encoding::Deflate => "application/x-compress-deflate".into(),
                _ => "application/x-compress-zlib".into(),
            },
            _ => self.compressed_type.clone(),
        };
        let mut b =
            HttpResponse::build(StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR));
        b.insert_header((header::CONTENT_TYPE, content_type))
            .insert_header((header::CACHE_CONTROL, "no-cache,no-store"))
            .insert_header((header::PRAGMA, "no-cache"));
        for (k, v) in &self.headers {
            b.insert_header((k.as_str(), v.as_str()));
        }
        mark(b.body(body))
    }
}

fn too_large(hint: Hint, max: usize) -> Reply {
    let format = if hint == Hint::Json { Format::Json } else { Format::Xml };
    Reply::error(format, 413, &format!("Inventory too large: the limit is {max} bytes once decompressed"))
}

fn too_many(format: Format, max: usize) -> Reply {
    let what = if format == Format::Json { "values" } else { "elements" };
    Reply::error(format, 413, &format!("Inventory too large: more than {max} {what}"))
}

pub async fn agent(req: HttpRequest, mut payload: web::Payload, state: State) -> HttpResponse {
    if req.method() != Method::POST {
        // GLPI: 405 with an empty body on a plain GET of the inventory URL.
        return legacy_rest(&req)
            .unwrap_or_else(|| mark(HttpResponse::MethodNotAllowed().insert_header((header::ALLOW, "POST")).finish()));
    }
    let cfg = &state.settings.inventory;
    let auth = authorized(&req, cfg);
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let mut echo = Echo::new(&req, &content_type);
    let classified = decode::classify(&content_type);
    if auth != Auth::Valid {
        let (enc, hint) = classified.as_ref().copied().unwrap_or((Encoding::Identity, Hint::Guess));
        echo.enc = enc;
        if let Some(resp) = throttled(&req, &state, hint, &echo) {
            return resp;
        }
    }
    if auth == Auth::Refused {
        return mark(
            HttpResponse::Unauthorized()
                .insert_header((header::WWW_AUTHENTICATE, "Basic realm=\"GLPI inventory\""))
                .finish(),
        );
    }
    let (announced, hint) = match classified {
        Ok(c) => c,
        Err(_) => {
            return mark(
                HttpResponse::UnsupportedMediaType()
                    .content_type("text/html; charset=UTF-8")
                    .body("Unsupported compression"),
            )
        }
    };
    let max = cfg.max_bytes;
    let mut raw = Vec::new();
    while let Some(chunk) = payload.next().await {
        let Ok(chunk) = chunk else { return echo.respond(Reply::xml_error(400, "XML not well formed!")) };
        if raw.len() + chunk.len() > max {
            return echo.respond(too_large(hint, max));
        }
        raw.extend_from_slice(&chunk);
    }
    let sniffed = announced == Encoding::Identity && hint == Hint::Guess;
    echo.enc = if sniffed { decode::sniff(&raw) } else { announced };
    let body = match decode::inflate(echo.enc, &raw, max) {
        Ok(b) => {
            drop(raw);
            b
        }
        Err(DecodeError::TooLarge) => return echo.respond(too_large(hint, max)),
        // Looked compressed but was not: read it as sent.
        Err(_) if sniffed => {
            echo.enc = Encoding::Identity;
            raw
        }
        Err(_) => return echo.respond(Reply::xml_error(400, "XML not well formed!")),
    };
    drop(payload);
    let agent_id = req.headers().contains_key("GLPI-Agent-ID");
    let info = AgentInfo {
        useragent: req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).map(str::to_string),
        remote_addr: req.connection_info().realip_remote_addr().map(|a| a.to_string()),
    };
    let json_mode = match hint {
        Hint::Json => true,
        Hint::Xml => false,
        Hint::Guess => body.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{'),
    };
    let reply = if json_mode {
        json_request(&state, body, agent_id, info).await
    } else {
        xml_request(&state, body, agent_id, info).await
    };
    echo.respond(reply)
}

// The body and the document are dropped before the import is awaited: a lycée's
// computers sending at once then each hold only their model while they wait.
async fn json_request(state: &State, body: Vec<u8>, agent_id: bool, info: AgentInfo) -> Reply {
    let inventory = {
        let doc = match doc::parse_bounded(&body, state.settings.inventory.max_values) {
            Ok(doc @ Doc::Object(_)) => doc,
            Err(doc::ParseError::TooMany(n)) => return too_many(Format::Json, n),
            _ => return Reply::json_error(400, "JSON not well formed!"),
        };
        let action = doc.get("action").or_else(|| doc.get("query")).and_then(Doc::as_str).unwrap_or("inventory");
        match action.to_ascii_lowercase().as_str() {
            "inventory" => read(&doc, Format::Json),
            "contact" => return contact(state, &doc, info).await,
            "get_params" => return Reply::params(),
            _ => return Reply::unsupported(Format::Json, action),
        }
    };
    drop(body);
    match import_doc(state, inventory, info).await {
        Ok(()) if agent_id => Reply::ok(),
        Ok(()) => Reply::legacy_send(),
        Err(r) => r,
    }
}

async fn xml_request(state: &State, body: Vec<u8>, agent_id: bool, info: AgentInfo) -> Reply {
    let inventory = {
        let request = match xml::parse_bounded(&body, state.settings.inventory.max_xml_elements()) {
            Ok(r) => r,
            Err(xml::XmlError::TooMany(n)) => return too_many(Format::Xml, n),
            Err(xml::XmlError::NotWellFormed) => return Reply::xml_error(400, "XML not well formed!"),
            Err(xml::XmlError::Dtd) => {
                return Reply::xml_error(400, "XML with a DTD or entity declarations is refused")
            }
        };
        match request.query.as_str() {
            // A GLPI Agent says so with its header and gets the native answer: it then
            // switches to JSON for good.
            "PROLOG" if agent_id => return Reply::ok(),
            "PROLOG" => return Reply::prolog(),
            "INVENTORY" => read(&Doc::from_value(&request.to_json()), Format::Xml),
            other => return Reply::unsupported(Format::Xml, other),
        }
    };
    drop(body);
    match import_doc(state, inventory, info).await {
        Ok(()) => Reply::xml_inventory(),
        Err(r) => r,
    }
}

/// CONTACT refreshes the agent record (by deviceid) and hands out the task list.
async fn contact(state: &State, doc: &Doc<'_>, info: AgentInfo) -> Reply {
    let tasks: Vec<String> = ["enabled-tasks", "installed-tasks"]
        .iter()
        .find_map(|k| doc.get(k).and_then(Doc::as_array))
        .map(|a| a.iter().filter_map(Doc::as_str).map(str::to_string).collect())
        .unwrap_or_default();
    let text = |k: &str| doc.get(k).and_then(Doc::as_str).unwrap_or("").trim().to_string();
    let inv = crate::inventory::model::Inventory {
        deviceid: text("deviceid"),
        tag: text("tag"),
        agent_version: text("version"),
        ..Default::default()
    };
    let saved = state
        .db
        .run(move |c| crate::inventory::rows::write_tx(c, |c| import::upsert_agent(c, &inv, None, &info)))
        .await;
    if let Err(e) = saved {
        tracing::error!(error = %e, "agent contact not recorded");
        return Reply::json_error(500, "Agent contact could not be recorded");
    }
    Reply::contact(&tasks)
}

/// Validate an inventory document and read it into the model; the error is the protocol answer.
fn read(doc: &Doc, format: Format) -> Result<(Arc<Inventory>, Format), Reply> {
    if let Some(v) = schema::violations(doc) {
        return Err(Reply::error(format, 400, &format!("JSON does not validate. Violations:\n{v}")));
    }
    let inv = json::to_model(doc);
    if inv.itemtype != "Computer" {
        return Err(Reply::error(format, 400, &format!("Inventory of itemtype '{}' is not supported", inv.itemtype)));
    }
    Ok((Arc::new(inv), format))
}

/// Import a read inventory; the error is the protocol answer.
async fn import_doc(
    state: &State,
    read: Result<(Arc<Inventory>, Format), Reply>,
    info: AgentInfo,
) -> Result<(), Reply> {
    let (inv, format) = read?;
    let cfg = state.settings.inventory.clone();
    let app = Arc::clone(state);
    let started = std::time::Instant::now();
    // Wait for a slot before taking a database connection.
    // The slot goes with the import, which runs on even if the agent hangs up.
    let Ok(slot) = Arc::clone(&state.inventory.slots).acquire_owned().await else {
        return Err(Reply::error(format, 503, "The server is shutting down"));
    };
    let span = tracing::Span::current();
    let result = web::block(move || {
        let _slot = slot;
        let _entered = span.enter();
        // A conflict with a concurrent import (another backend's unique index, a
        // serialization failure) is retried: the second try sees the first's rows.
        let mut attempt = 0;
        loop {
            match import::import(&app.inventory, &app.db, Arc::clone(&inv), &cfg, info.clone()) {
                Err(ImportError::Db(diesel::result::Error::DatabaseError(kind, _)))
                    if attempt < 2
                        && matches!(
                            kind,
                            diesel::result::DatabaseErrorKind::UniqueViolation
                                | diesel::result::DatabaseErrorKind::SerializationFailure
                        ) =>
                {
                    attempt += 1;
                }
                other => return other,
            }
        }
    })
    .await
    .unwrap_or_else(|_| Err(ImportError::Internal("the import was interrupted".into())));
    match result {
        Ok(o) => {
            tracing::info!(
                computer = o.computer_id,
                entity = o.entity_id,
                created = o.created,
                changed = o.changed,
                ms = started.elapsed().as_millis() as u64,
                "inventory imported"
            );
            Ok(())
        }
        Err(ImportError::Refused(m)) => Err(Reply::error(format, 400, &m)),
        Err(e) => {
            tracing::error!(error = %e, "inventory import failed");
            Err(Reply::error(format, 500, "Inventory import failed"))
        }
    }
}
