//! GLPI's error answers: a two-element JSON array `["ERROR_CODE", message]` with GLPI's
//! HTTP status. Messages marked "+doc" in the reference get the documentation suffix.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::Value;

#[derive(Debug)]
pub struct GlpiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: Value,
    pub doc: bool,
}

impl std::fmt::Display for GlpiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.code, self.message)
    }
}

/// Seconds a client should wait after a 503 (the database was busy or unreachable).
pub const RETRY_AFTER_SECS: u32 = 2;

/// GLPI's default `url_base_api`, for errors rendered outside a request's settings.
const DEFAULT_API_URL: &str = "http://localhost/apirest.php";

impl GlpiError {
    pub fn new(status: u16, code: &'static str, message: impl Into<String>, doc: bool) -> Self {
        GlpiError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST),
            code,
            message: Value::String(message.into()),
            doc,
        }
    }

    /// Bulk results or another structured message.
    pub fn with_value(status: u16, code: &'static str, message: Value) -> Self {
        GlpiError { status: StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST), code, message, doc: false }
    }

    pub fn bad_request() -> Self {
        Self::new(400, "ERROR", "Bad Request", true)
    }
    pub fn generic(msg: impl Into<String>) -> Self {
        Self::new(400, "ERROR", msg, true)
    }
    pub fn resource_not_found() -> Self {
        Self::new(
            400,
            "ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM",
            "resource not found or not an instance of CommonDBTM",
            true,
        )
    }
    pub fn parent_not_found() -> Self {
        Self::new(
            400,
            "ERROR_ITEMTYPE_NOT_FOUND_NOR_COMMONDBTM",
            "parent itemtype not found or not an instance of CommonDBTM",
            true,
        )
    }
    pub fn item_not_found() -> Self {
        Self::new(404, "ERROR_ITEM_NOT_FOUND", "Item not found", false)
    }
    pub fn right_missing() -> Self {
        Self::new(403, "ERROR_RIGHT_MISSING", "You don't have permission to perform this action.", false)
    }
    pub fn session_missing() -> Self {
        Self::new(400, "ERROR_SESSION_TOKEN_MISSING", "parameter session_token is missing or empty", true)
    }
    pub fn session_invalid() -> Self {
        Self::new(401, "ERROR_SESSION_TOKEN_INVALID", "session_token seems invalid", false)
    }
    pub fn json_invalid() -> Self {
        Self::new(400, "ERROR_JSON_PAYLOAD_INVALID", "JSON payload seems not valid", false)
    }
    pub fn json_forbidden() -> Self {
        Self::new(400, "ERROR_JSON_PAYLOAD_FORBIDDEN", "GET Request should not have json payload (http body)", true)
    }
    pub fn bad_array() -> Self {
        Self::new(400, "ERROR_BAD_ARRAY", "input parameter must be an array of objects", true)
    }
    pub fn range_exceed(total: i64) -> Self {
        Self::new(400, "ERROR_RANGE_EXCEED_TOTAL", format!("Provided range exceed total count of data: {total}"), true)
    }
    pub fn bad_range() -> Self {
        Self::new(400, "ERROR", "range must be in format : [start-end] with integers", true)
    }
    pub fn too_large() -> Self {
        Self::new(413, "ERROR", "Request body too large", false)
    }
    /// The database is busy or unreachable; sent with `Retry-After`.
    pub fn unavailable() -> Self {
        Self::new(503, "ERROR", "Database unavailable", false)
    }
    /// A single write refused: GLPI's 400 with the operation's code (`ERROR_GLPI_ADD`, …),
    /// or 503 with the same code when the database was busy.
    pub fn refused(code: &'static str, r: &crate::items::Refusal) -> Self {
        let status = if matches!(r, crate::items::Refusal::Unavailable) { 503 } else { 400 };
        Self::new(status, code, r.message(), false)
    }
    pub fn internal() -> Self {
        Self::new(500, "ERROR_UNKNOWN", "An error occurred during the items search.", true)
    }
}

impl From<crate::db::DbError> for GlpiError {
    fn from(e: crate::db::DbError) -> Self {
        tracing::error!(error = %e, "database error");
        match e {
            crate::db::DbError::Query(q) if !crate::db::is_transient(&q) => GlpiError::internal(),
            _ => GlpiError::unavailable(),
        }
    }
}

impl From<crate::auth::clients::ClientRefusal> for GlpiError {
    fn from(e: crate::auth::clients::ClientRefusal) -> Self {
        use crate::auth::clients::ClientRefusal as R;
        let (code, doc) = match e {
            R::NotAllowedIp(_) => ("ERROR_NOT_ALLOWED_IP", false),
            R::WrongAppToken => ("ERROR_WRONG_APP_TOKEN_PARAMETER", true),
            R::MissingAppToken => ("ERROR_APP_TOKEN_PARAMETERS_MISSING", true),
        };
        GlpiError::new(400, code, e.to_string(), doc)
    }
}

impl From<crate::web::clients::ClientCheckError> for GlpiError {
    fn from(e: crate::web::clients::ClientCheckError) -> Self {
        use crate::web::clients::ClientCheckError as E;
        match e {
            E::Refused(r) => r.into(),
            E::Db(d) => d.into(),
        }
    }
}

impl From<diesel::result::Error> for GlpiError {
    fn from(e: diesel::result::Error) -> Self {
        tracing::error!(error = %e, "database error");
        if crate::db::is_transient(&e) {
            return GlpiError::unavailable();
        }
        GlpiError::internal()
    }
}

impl ResponseError for GlpiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        self.render(DEFAULT_API_URL)
    }
}

impl GlpiError {
    /// The answer, with "+doc" messages pointing at `api_url` (the `PARC_API_URL` setting).
    pub fn render(&self, api_url: &str) -> HttpResponse {
        let api_url = api_url.trim_end_matches('/');
        let message = match (&self.message, self.doc) {
            (Value::String(s), true) => {
                Value::String(format!("{s}; view documentation in your browser at {api_url}/#{}", self.code))
            }
            (m, _) => m.clone(),
        };
        let mut resp = super::respond(self.status, &Value::Array(vec![Value::String(self.code.into()), message]));
        if self.status == StatusCode::SERVICE_UNAVAILABLE {
            resp.headers_mut().insert(actix_web::http::header::RETRY_AFTER, RETRY_AFTER_SECS.into());
        }
        resp
    }
}
