//! CAS sign-on from the ENT (Apereo CAS protocol 2.0 `serviceValidate`, 3.0
//! `p3/serviceValidate`): URLs, the validation call, response parsing in both attribute
//! layouts, mapping to the directory person, and single logout.
//!
//! Service tickets are secrets: they are never logged (reqwest errors are stripped of their
//! URL, which carries the ticket) and only their SHA-256 is stored, for single logout.

use super::repo;
use super::Uai;
use crate::auth::session::{self, Session};
use crate::db::DbConn;
use crate::entities::Tree;
use diesel::prelude::*;
use quick_xml::events::Event;
use quick_xml::Reader;
use std::collections::HashMap;
use std::time::Duration;

/// Where the CAS server is and how Parc is known to it.
#[derive(Debug, Clone)]
pub struct CasConfig {
    /// CAS base URL, e.g. `https://ent.iledefrance.fr/cas`.
    pub base: String,
    /// Parc's callback URL, the CAS `service`.
    pub service: String,
    /// 2: `/serviceValidate`; 3: `/p3/serviceValidate`.
    pub version: u8,
}

impl CasConfig {
    pub fn new(cas_url: &str, public_url: &str, version: u8) -> CasConfig {
        CasConfig {
            base: cas_url.trim_end_matches('/').to_string(),
            service: format!("{}/auth/cas/callback", public_url.trim_end_matches('/')),
            version,
        }
    }

    pub fn login_url(&self) -> String {
        format!("{}/login?service={}", self.base, enc(&self.service))
    }

    fn validate_url(&self, ticket: &str) -> String {
        let path = if self.version >= 3 { "p3/serviceValidate" } else { "serviceValidate" };
        format!("{}/{path}?service={}&ticket={}", self.base, enc(&self.service), enc(ticket))
    }
}

/// Query-string encoding that keeps RFC 3986's unreserved characters (`ST-1-abc` stays).
const QUERY: &percent_encoding::AsciiSet =
    &percent_encoding::NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

fn enc(s: &str) -> String {
    percent_encoding::utf8_percent_encode(s, QUERY).to_string()
}

#[derive(Debug, thiserror::Error)]
pub enum CasError {
    #[error("CAS sign-on is not configured on this server")]
    NotConfigured,
    #[error("missing or malformed CAS ticket")]
    BadTicket,
    #[error("the CAS server refused the ticket ({code})")]
    Rejected { code: String },
    #[error("the CAS server could not be reached: {0}")]
    Unavailable(String),
    #[error("the CAS server's answer is not a CAS response")]
    BadResponse,
    #[error("no directory person matches this CAS account")]
    UnknownPerson,
    #[error("{0}")]
    NoAccess(String),
    #[error("database unavailable")]
    Db(#[from] diesel::result::Error),
    #[error("database unavailable")]
    Pool(#[from] crate::db::DbError),
}

impl CasError {
    pub fn code(&self) -> &'static str {
        match self {
            CasError::NotConfigured => "cas_not_configured",
            CasError::BadTicket => "bad_request",
            CasError::Rejected { .. } => "cas_validation_failed",
            CasError::Unavailable(_) => "cas_unavailable",
            CasError::BadResponse => "cas_bad_response",
            CasError::UnknownPerson => "unknown_person",
            CasError::NoAccess(_) => "forbidden",
            CasError::Db(_) | CasError::Pool(_) => "unavailable",
        }
    }
}

/// A validated CAS authentication: the CAS user and its attributes (multi-valued).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CasUser {
    pub user: String,
    pub attributes: HashMap<String, Vec<String>>,
}

impl CasUser {
    fn attr(&self, names: &[&str]) -> Vec<&str> {
        names.iter().flat_map(|n| self.attributes.get(*n).into_iter().flatten()).map(String::as_str).collect()
    }
}

#[derive(Debug, PartialEq)]
pub enum CasResponse {
    Success(CasUser),
    Failure { code: String },
}

/// Parse a `serviceValidate` answer. Attributes are read both inside `cas:attributes` (CAS
/// 3) and directly under `cas:authenticationSuccess` (OPEN ENT NG's CAS 2 extension).
pub fn parse_response(xml: &str) -> Result<CasResponse, CasError> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<String> = Vec::new();
    let mut text = String::new();
    let mut user = CasUser::default();
    let (mut success, mut failure) = (false, None::<String>);
    const CONTAINERS: &[&str] = &["serviceResponse", "authenticationSuccess", "attributes", "proxies"];
    loop {
        match reader.read_event().map_err(|_| CasError::BadResponse)? {
            Event::Start(e) => {
                let name = e.local_name().as_ref().to_string();
                if name == "authenticationSuccess" {
                    success = true;
                }
                if name == "authenticationFailure" {
                    let code = e.try_get_attribute("code").ok().flatten().map(|a| a.value.as_ref().to_string());
                    failure = Some(code.unwrap_or_else(|| "UNKNOWN".into()));
                }
                stack.push(name);
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => text.extend(super::aaf::xml_reference(&r)),
            Event::End(_) => {
                let name = stack.pop().unwrap_or_default();
                if success && !CONTAINERS.contains(&name.as_str()) && name != "proxyGrantingTicket" {
                    let v = text.trim().to_string();
                    if name == "user" {
                        user.user = v;
                    } else {
                        user.attributes.entry(name).or_default().push(v);
                    }
                }
                text.clear();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    match (success, failure) {
        (true, _) if !user.user.is_empty() => Ok(CasResponse::Success(user)),
        (_, Some(code)) => Ok(CasResponse::Failure { code }),
        _ => Err(CasError::BadResponse),
    }
}

/// The service ticket named by a single-logout request (`samlp:SessionIndex`).
pub fn parse_logout_request(xml: &str) -> Option<String> {
    let mut reader = Reader::from_str(xml);
    let mut inside = false;
    let mut out = String::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => inside = e.local_name().as_ref() == "SessionIndex",
            Event::Text(t) if inside => out.push_str(&t.xml10_content()),
            Event::End(_) if inside => return Some(out.trim().to_string()).filter(|s| !s.is_empty()),
            Event::Eof => return None,
            _ => {}
        }
    }
}

/// Service tickets are `ST-…` (or proxy `PT-…`), at most 256 printable characters.
pub fn check_ticket(t: &str) -> Result<(), CasError> {
    let ok =
        (t.starts_with("ST-") || t.starts_with("PT-")) && t.len() <= 256 && t.bytes().all(|b| b.is_ascii_graphic());
    ok.then_some(()).ok_or(CasError::BadTicket)
}

/// rustls needs its crypto provider chosen once per process, before any HTTPS client is
/// built (ring: it builds with a C compiler alone). Idempotent.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// One HTTP client for the process. Idle connections are not pooled: a validation is one
/// call per sign-on, and a pooled connection must not outlive the worker runtime that
/// opened it. TLS is rustls on ring, with the system's trust store.
fn client() -> &'static reqwest::Client {
    static CLIENT: std::sync::OnceLock<reqwest::Client> = std::sync::OnceLock::new();
    CLIENT.get_or_init(|| {
        install_tls_provider();
        reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(5))
            .timeout(Duration::from_secs(10))
            .pool_max_idle_per_host(0)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("HTTP client with TLS")
    })
}

/// Ask the CAS server whether the ticket is valid for our service.
pub async fn validate(cfg: &CasConfig, ticket: &str) -> Result<CasUser, CasError> {
    check_ticket(ticket)?;
    // The URL carries the ticket: errors are reported without it.
    let unavailable = |e: reqwest::Error| CasError::Unavailable(e.without_url().to_string());
    let resp = client().get(cfg.validate_url(ticket)).send().await.map_err(unavailable)?;
    if !resp.status().is_success() {
        return Err(CasError::Unavailable(format!("HTTP {}", resp.status())));
    }
    let body = resp.bytes().await.map_err(unavailable)?;
    if body.len() > 1 << 20 {
        return Err(CasError::BadResponse);
    }
    let xml = std::str::from_utf8(&body).map_err(|_| CasError::BadResponse)?;
    match parse_response(xml)? {
        CasResponse::Success(u) => Ok(u),
        CasResponse::Failure { code } => Err(CasError::Rejected { code }),
    }
}

/// A Parc session opened through CAS.
pub struct SignOn {
    pub token: String,
    pub session: Session,
    pub uai: Option<String>,
}

/// Find the directory person of a CAS account: by AAF id (`uid`), then by login, then by
/// e-mail.
fn find_person(c: &mut DbConn, u: &CasUser) -> QueryResult<Option<i64>> {
    for id in u.attr(&["uid", "ENTPersonJointure"]) {
        if let Some(f) = repo::person_user_by_aaf_id(c, id)? {
            return Ok(Some(f));
        }
    }
    if let Some(user) = session::user_by_login(c, &u.user)? {
        if repo::is_person(c, user.id)? {
            return Ok(Some(user.id as i64));
        }
    }
    for mail in u.attr(&["mail", "ENTPersonMail", "email"]) {
        if let Some(f) = repo::person_user_by_email(c, mail)? {
            return Ok(Some(f));
        }
    }
    Ok(None)
}

/// Map the CAS account to its directory person and open a Parc session on the
/// establishment the ENT names (`ENTPersonStructRattachRNE`), or the person's first one.
pub fn sign_on(c: &mut DbConn, u: &CasUser, ticket: &str) -> Result<SignOn, CasError> {
    let uid = find_person(c, u)?.ok_or(CasError::UnknownPerson)?;
    let user = session::user_by_id(c, uid)?.ok_or(CasError::UnknownPerson)?;
    if user.is_active != 1 || user.is_deleted != 0 {
        return Err(CasError::NoAccess("this person has left the directory".into()));
    }
    let uais: Vec<Uai> = u
        .attr(&["ENTPersonStructRattachRNE", "ENTStructureUAI", "uai"])
        .into_iter()
        .filter_map(|raw| Uai::parse(raw).map_err(|e| tracing::warn!(error = %e, "CAS: invalid UAI ignored")).ok())
        .collect();
    let assigned = session::assignments(c, uid)?;
    let entities: Vec<i64> = assigned.iter().map(|a| a.entities_id as i64).collect();
    let estabs = repo::establishments_of_entities(c, &entities)?;
    let chosen = assigned
        .iter()
        .find(|a| {
            uais.is_empty()
                || estabs.get(&(a.entities_id as i64)).is_some_and(|(uai, _)| uais.iter().any(|x| x.as_str() == uai))
        })
        .ok_or_else(|| {
            let list: Vec<&str> = uais.iter().map(Uai::as_str).collect();
            CasError::NoAccess(if assigned.is_empty() {
                "this person has no profile in Parc".into()
            } else {
                format!("this person has no profile in establishment(s) {}", list.join(", "))
            })
        })?
        .clone();
    c.transaction(|c| {
        let tree = Tree::load(c)?;
        let (token, s) = session::open(c, &user, 0, &tree).map_err(|e| match e {
            session::AuthError::Db(d) => CasError::Db(d),
            _ => CasError::NoAccess("this person has no profile in Parc".into()),
        })?;
        session::set_profile(c, &s, chosen.profiles_id)?;
        let mut narrowed = s.clone();
        narrowed.profiles_id = chosen.profiles_id as i64;
        session::set_entities(c, &narrowed, Some(chosen.entities_id as i64), chosen.is_recursive != 0, &tree)?;
        repo::insert_cas_ticket(c, &crate::auth::token::digest(ticket), s.id)?;
        let session =
            session::load(c, &token, 60, &tree).map_err(|_| CasError::BadResponse)?.ok_or(CasError::UnknownPerson)?;
        let uai = estabs.get(&(chosen.entities_id as i64)).map(|(u, _)| u.clone());
        Ok(SignOn { token, session, uai })
    })
}

/// Single logout: end the session opened with this service ticket. Returns whether one was.
pub fn single_logout(c: &mut DbConn, ticket: &str) -> QueryResult<bool> {
    let hash = crate::auth::token::digest(ticket);
    let Some(sid) = repo::cas_ticket_session(c, &hash)? else { return Ok(false) };
    session::kill(c, sid)?;
    repo::delete_cas_ticket(c, &hash)?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/directory/cas/");

    fn read(n: &str) -> String {
        std::fs::read_to_string(format!("{DIR}{n}")).unwrap()
    }

    #[test]
    fn both_attribute_layouts_failure_and_logout() {
        let CasResponse::Success(u) = parse_response(&read("serviceValidate_success_cas2_extension.xml")).unwrap()
        else {
            panic!()
        };
        assert_eq!(u.user, "claire.martin");
        assert_eq!(u.attr(&["uid"]), ["9900001"]);
        assert_eq!(u.attr(&["ENTPersonStructRattachRNE"]), ["0770934X"]);
        let CasResponse::Success(u) = parse_response(&read("p3_serviceValidate_success_attributes.xml")).unwrap()
        else {
            panic!()
        };
        assert_eq!(u.user, "philippe.lefevre");
        assert_eq!(u.attr(&["ENTPersonStructRattachRNE"]), ["0770934X", "0930117X"]);
        assert_eq!(u.attr(&["sn"]), ["LEFÈVRE"]);
        assert_eq!(
            parse_response(&read("serviceValidate_failure_invalid_ticket.xml")).unwrap(),
            CasResponse::Failure { code: "INVALID_TICKET".into() }
        );
        assert!(parse_response("<html>proxy error</html>").is_err());
        assert_eq!(
            parse_logout_request(&read("slo_logoutRequest.xml")).as_deref(),
            Some("ST-1856339-aA5Yuvrxzpv8Tau1cYQ7")
        );
    }

    #[test]
    fn urls() {
        let c = CasConfig::new("https://ent.example/cas/", "https://parc.example", 3);
        assert_eq!(
            c.login_url(),
            "https://ent.example/cas/login?service=https%3A%2F%2Fparc.example%2Fauth%2Fcas%2Fcallback"
        );
        assert!(c.validate_url("ST-1").starts_with("https://ent.example/cas/p3/serviceValidate?service="));
        assert!(check_ticket("ST-1-abc").is_ok());
        assert!(check_ticket("ST-1 abc").is_err());
        assert!(check_ticket("TGT-1").is_err());
    }
}
