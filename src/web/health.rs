//! Routes outside the two APIs: liveness, readiness, and the JSON error fallback.

use crate::app::State;
use crate::web::error::ApiError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{web, HttpRequest, HttpResponse};
use tracing::Span;
use tracing_actix_web::{DefaultRootSpanBuilder, RootSpanBuilder};

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/health", web::head().to(HttpResponse::Ok))
        .route("/ready", web::get().to(ready));
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Health {
    /// Always `ok`.
    status: &'static str,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub(crate) struct Ready {
    /// Always `ready`.
    status: &'static str,
    /// `sqlite` or `postgres`.
    database: String,
}

/// Liveness: the process answers (`HEAD /health` too, with an empty body).
#[utoipa::path(get, path = "/health", tag = "health",
    responses((status = 200, body = Health, description = "The process answers")))]
pub(crate) async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: the database answers.
#[utoipa::path(get, path = "/ready", tag = "health",
    responses((status = 200, body = Ready, description = "The database answers"),
              crate::web::error::UnavailableResponse))]
pub(crate) async fn ready(state: State) -> Result<HttpResponse, ApiError> {
    state
        .db
        .run(|c| {
            use diesel::connection::SimpleConnection;
            c.batch_execute("SELECT 1").map_err(ApiError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Ready { status: "ready", database: format!("{:?}", state.db.backend).to_lowercase() }))
}

pub async fn not_found(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Err(ApiError::NotFound(format!("no route for {} {}", req.method(), req.path())))
}

/// actix answers some errors itself (405, oversized payloads before extractors...) with
/// plain text: wrap those in the native JSON error body. JSON bodies pass untouched, and
/// so do the agent protocol's answers, whose exact bytes agents depend on.
pub fn json_errors<B: MessageBody + 'static>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_json =
        res.headers().get(actix_web::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
            v.starts_with("application/json") || v.starts_with("application/xml") || v.starts_with("application/x-")
        });
    let agent_answer = res.response().extensions().contains::<crate::web::agent::AgentAnswer>();
    if is_json || agent_answer || res.status().is_success() || res.request().path().starts_with("/front/") {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (req, _) = res.into_parts();
    let body = serde_json::json!({
        "error": status.canonical_reason().unwrap_or("error").to_lowercase().replace(' ', "_"),
        "message": status.canonical_reason().unwrap_or("error"),
    });
    let resp: HttpResponse<BoxBody> = HttpResponse::build(status).json(body);
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, resp).map_into_right_body()))
}

/// Root span per request, with method, route, path, status and request id. The query
/// string is deliberately left out: GLPI clients may put passwords and tokens there.
/// Latency is reported when the span closes (`time.busy`).
pub struct RequestSpan;

impl RootSpanBuilder for RequestSpan {
    fn on_request_start(request: &ServiceRequest) -> Span {
        use actix_web::HttpMessage;
        let request_id =
            request.extensions().get::<tracing_actix_web::RequestId>().map(|r| r.to_string()).unwrap_or_default();
        tracing::info_span!(
            "request",
            method = %request.method(),
            path = %request.path(),
            route = tracing::field::Empty,
            request_id = %request_id,
            http.status_code = tracing::field::Empty,
            otel.status_code = tracing::field::Empty,
            exception.message = tracing::field::Empty,
            exception.details = tracing::field::Empty,
        )
    }

    fn on_request_end<B: MessageBody>(span: Span, outcome: &Result<ServiceResponse<B>, actix_web::Error>) {
        if let Ok(res) = outcome {
            if let Some(route) = res.request().match_pattern() {
                span.record("route", route.as_str());
            }
        }
        DefaultRootSpanBuilder::on_request_end(span, outcome);
    }
}
