//! Errors, mapped to HTTP in one place.
//!
//! The native API answers `{"error": "<code>", "message": "…"}`; the GLPI API answers
//! GLPI's `["ERROR_CODE", "message"]` arrays (see `glpi::error`). Internal causes are
//! logged, never sent to the client.

use crate::db::DbError;
use actix_web::{http::StatusCode, HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

/// Body of every native API error.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// Stable machine-readable code, e.g. `not_found`.
    pub error: &'static str,
    /// Human-readable explanation.
    pub message: String,
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

impl From<crate::auth::clients::ClientCheckError> for ApiError {
    fn from(e: crate::auth::clients::ClientCheckError) -> Self {
        use crate::auth::clients::ClientCheckError as E;
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
