//! Errors, mapped to HTTP in one place.
//!
//! The native API answers `{"error": "<code>", "message": "…"}`; the GLPI API answers
//! GLPI's `["ERROR_CODE", "message"]` arrays (see `glpi::error`). Internal causes are
//! logged, never sent to the client.

use crate::db::DbError;
use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Response, ResponseBuilder};
use utoipa::ToSchema;

/// Body of every native API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `not_found`.
    pub error: &'static str,
    /// Human-readable explanation.
    pub message: String,
}

/// The error answers shared by the documented routes, each written once in the OpenAPI
/// document's `components.responses` (by [`add_error_responses`]) and referenced by status.
const ERROR_RESPONSES: [(&str, &str, &str); 7] = [
    ("400", "BadRequest", "Malformed request: bad parameter, body or ticket"),
    ("401", "Unauthorized", "No valid token, or the sign-on was refused"),
    ("403", "Forbidden", "Signed in, but not allowed to do this here"),
    ("404", "NotFound", "No such object visible to the caller"),
    ("422", "ValidationFailed", "Well-formed but invalid input"),
    ("502", "BadGateway", "An upstream server (the CAS server) failed or answered nonsense"),
    ("503", "Unavailable", "The database (or CAS, when not configured) is unavailable"),
];

fn error_refs(statuses: &[&str]) -> std::collections::BTreeMap<String, RefOr<Response>> {
    ERROR_RESPONSES
        .iter()
        .filter(|(status, ..)| statuses.contains(status))
        .map(|(status, name, _)| (status.to_string(), RefOr::Ref(Ref::from_response_name(*name))))
        .collect()
}

/// A `utoipa::IntoResponses` type for `responses(..., Type)`: these statuses, by reference.
macro_rules! error_responses {
    ($(#[$doc:meta])* $name:ident: $($status:literal),+) => {
        $(#[$doc])*
        pub struct $name;

        impl utoipa::IntoResponses for $name {
            fn responses() -> std::collections::BTreeMap<String, RefOr<Response>> {
                error_refs(&[$($status),+])
            }
        }
    };
}

error_responses!(
    /// The native API's error answers.
    ErrorResponses: "400", "401", "403", "404", "422"
);
error_responses!(
    /// The CAS routes' error answers (see `CasError`'s status codes).
    CasErrorResponses: "400", "401", "403", "502", "503"
);
error_responses!(
    /// `/ready` when the database does not answer.
    UnavailableResponse: "503"
);

/// Register every error answer as a reusable response with an [`ErrorBody`].
pub fn add_error_responses(components: &mut utoipa::openapi::Components) {
    for (_, name, description) in ERROR_RESPONSES {
        let body = ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build();
        let response = ResponseBuilder::new().description(description).content("application/json", body).build();
        components.responses.insert(name.to_string(), RefOr::T(response));
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Validation(String),
    #[error("authentication required")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("database unavailable")]
    Unavailable,
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Validation(_) => "validation_failed",
            ApiError::Unauthorized => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType(_) => "unsupported_media_type",
            ApiError::Unavailable => "unavailable",
            ApiError::Internal(_) => "internal",
        }
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Pool(_) | DbError::Canceled => {
                tracing::error!(error = %e, "database unavailable");
                ApiError::Unavailable
            }
            DbError::Query(q) => q.into(),
        }
    }
}

impl From<crate::web::clients::ClientCheckError> for ApiError {
    fn from(e: crate::web::clients::ClientCheckError) -> Self {
        use crate::web::clients::ClientCheckError as E;
        match e {
            E::Refused(r) => ApiError::Forbidden(r.to_string()),
            E::Db(d) => d.into(),
        }
    }
}

impl From<crate::itemtypes::store::StoreError> for ApiError {
    fn from(e: crate::itemtypes::store::StoreError) -> Self {
        use crate::itemtypes::store::StoreError as S;
        match e {
            S::NotFound => ApiError::NotFound("not found".into()),
            S::Invalid(m) => ApiError::Validation(m),
            S::Db(d) => d.into(),
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match e {
            E::NotFound => ApiError::NotFound("not found".into()),
            e if crate::db::is_transient(&e) => {
                tracing::warn!(error = %e, "database busy");
                ApiError::Unavailable
            }
            E::DatabaseError(K::UniqueViolation, info) => {
                ApiError::Conflict(format!("already exists: {}", info.message()))
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthorized => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(error = ?cause, "internal error");
        }
        let mut resp = HttpResponse::build(self.status_code());
        if let ApiError::Unauthorized = self {
            // RFC 6750: a 401 names the scheme the client should use.
            resp.insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer"));
        }
        if let ApiError::Unavailable = self {
            resp.insert_header((actix_web::http::header::RETRY_AFTER, crate::web::glpi::error::RETRY_AFTER_SECS));
        }
        resp.json(ErrorBody { error: self.code(), message: self.to_string() })
    }
}

/// Turn actix's own extractor errors (bad JSON, bad query, oversized payload) into JSON.
pub fn json_config(limit: usize) -> actix_web::web::JsonConfig {
    actix_web::web::JsonConfig::default().limit(limit).error_handler(|err, _req| {
        use actix_web::error::JsonPayloadError as J;
        let e = match &err {
            J::Overflow { .. } | J::OverflowKnownLength { .. } => ApiError::PayloadTooLarge,
            J::ContentType => ApiError::UnsupportedMediaType("expected Content-Type: application/json".into()),
            _ => ApiError::BadRequest(format!("invalid JSON body: {err}")),
        };
        e.into()
    })
}

pub fn query_config() -> actix_web::web::QueryConfig {
    actix_web::web::QueryConfig::default()
        .error_handler(|err, _req| ApiError::BadRequest(format!("invalid query string: {err}")).into())
}

pub fn path_config() -> actix_web::web::PathConfig {
    actix_web::web::PathConfig::default()
        .error_handler(|err, _req| ApiError::BadRequest(format!("invalid path parameter: {err}")).into())
}
