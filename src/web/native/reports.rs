//! Reports and the fleet export in the native API.

use super::Caller;
use crate::app::State;
use crate::reports::{self, export, format, GroupBy, Period, Report};
use crate::web::error::ApiError;
use actix_web::web::{Bytes, Path, Query};
use actix_web::{get, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
pub struct ReportQuery {
    /// establishment (default), departement, academie or region.
    pub group_by: Option<String>,
    /// json (default), csv or xlsx.
    pub format: Option<String>,
    /// Period start (tickets, interventions), YYYY-MM-DD; default one year before `to`.
    pub from: Option<String>,
    /// Period end, exclusive, YYYY-MM-DD; default tomorrow. At most 5 years.
    pub to: Option<String>,
}

fn respond(r: Report, fmt: Option<&str>) -> Result<HttpResponse, ApiError> {
    let attach = |name: String| ("Content-Disposition", format!("attachment; filename=\"{name}\""));
    match fmt.unwrap_or("json") {
        "json" => Ok(HttpResponse::Ok().json(r)),
        "csv" => {
            let body = format::csv(&r).map_err(ApiError::Internal)?;
            Ok(HttpResponse::Ok()
                .content_type("text/csv; charset=utf-8")
                .insert_header(attach(format::filename(&r, "csv")))
                .body(body))
        }
        "xlsx" => {
            let body = format::xlsx(&r).map_err(ApiError::Internal)?;
            Ok(HttpResponse::Ok()
                .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
                .insert_header(attach(format::filename(&r, "xlsx")))
                .body(body))
        }
        other => Err(ApiError::BadRequest(format!(
            "unknown format '{}': json, csv or xlsx",
            other.chars().take(20).collect::<String>()
        ))),
    }
}

/// A regional report: `inventory`, `tickets` or `interventions`, grouped and scoped by the caller's rights.
#[utoipa::path(tag = "reports", params(("kind" = String, Path, description = "inventory, tickets or interventions"), ReportQuery),
    security(("bearer" = [])), responses((status = 200, body = reports::Report), crate::web::error::ErrorResponses))]
#[get("/reports/{kind}")]
pub async fn report(
    state: State,
    kind: Path<String>,
    q: Query<ReportQuery>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let s = caller.0;
    let g = GroupBy::parse(q.group_by.as_deref()).map_err(ApiError::BadRequest)?;
    if !matches!(q.format.as_deref().unwrap_or("json"), "json" | "csv" | "xlsx") {
        return Err(ApiError::BadRequest("format must be json, csv or xlsx".into()));
    }
    let today = chrono::Utc::now().date_naive();
    let period = Period::parse(q.from.as_deref(), q.to.as_deref(), today).map_err(ApiError::BadRequest)?;
    let kind = kind.into_inner();
    let right = match kind.as_str() {
        "inventory" => "Computer",
        "tickets" => "Ticket",
        "interventions" => "PluginOpticIntervention",
        other => {
            return Err(ApiError::NotFound(format!(
                "no report '{}': inventory, tickets or interventions",
                other.chars().take(30).collect::<String>()
            )))
        }
    };
    reports::check_read(&s, right).map_err(ApiError::Forbidden)?;
    let pool = state.db.pool.clone();
    let r = state
        .db
        .run(move |c| -> Result<Report, ApiError> {
            Ok(match kind.as_str() {
                "inventory" => reports::inventory(c, Some(&pool), &s, g)?,
                "tickets" => reports::tickets(c, &s, g, &period)?,
                _ => reports::interventions(c, &s, g, &period)?,
            })
        })
        .await?;
    respond(r, q.format.as_deref())
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ExportQuery {
    /// csv (default) or ndjson.
    pub format: Option<String>,
    /// Only this establishment (UAI).
    pub establishment: Option<String>,
    pub departement: Option<String>,
    /// Académie name or code.
    pub academie: Option<String>,
}

/// All computers the caller may see, streamed as CSV or NDJSON in constant memory.
#[utoipa::path(tag = "reports", params(ExportQuery), security(("bearer" = [])),
    responses((status = 200, description = "CSV or NDJSON stream"), crate::web::error::ErrorResponses))]
#[get("/exports/computers")]
pub async fn export_computers(state: State, q: Query<ExportQuery>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let s = caller.0;
    reports::check_read(&s, "Computer").map_err(ApiError::Forbidden)?;
    let ndjson = match q.format.as_deref().unwrap_or("csv") {
        "csv" => false,
        "ndjson" => true,
        _ => return Err(ApiError::BadRequest("format must be csv or ndjson".into())),
    };
    let uai = match &q.establishment {
        Some(u) => {
            Some(crate::directory::uai::Uai::parse(u).map_err(|e| ApiError::BadRequest(e.to_string()))?.to_string())
        }
        None => None,
    };
    let filter = export::Filter { uai, departement: q.departement.clone(), academie: q.academie.clone() };
    let db = state.db.clone();
    let header = if ndjson { String::new() } else { export::header_csv() };
    // State: (last id, finished). Each step fetches one page on the blocking pool.
    let stream = futures_util::stream::unfold((0i64, false, Some(header)), move |(after, done, header)| {
        let (db, s, filter) = (db.clone(), s.clone(), filter.clone());
        async move {
            if let Some(h) = header {
                return Some((Ok::<Bytes, actix_web::Error>(Bytes::from(h)), (after, done, None)));
            }
            if done {
                return None;
            }
            // The page is formatted on the blocking pool too, off the async workers.
            let page = db
                .run(move |c| {
                    let rows = export::page(c, &s, &filter, after).map_err(ApiError::from)?;
                    let last = rows.last().and_then(export::row_id).unwrap_or(after);
                    let finished = (rows.len() as i64) < export::PAGE;
                    let text = if ndjson { export::ndjson_lines(&rows) } else { export::csv_lines(&rows) };
                    Ok::<_, ApiError>((text, last, finished))
                })
                .await;
            match page {
                Err(e) => {
                    tracing::error!(error = %e, "export page failed");
                    Some((Err(actix_web::error::ErrorInternalServerError("export interrupted")), (after, true, None)))
                }
                Ok((text, last, finished)) => Some((Ok(Bytes::from(text)), (last, finished, None))),
            }
        }
    });
    let date = chrono::Utc::now().format("%Y-%m-%d");
    let (ctype, ext) = if ndjson { ("application/x-ndjson", "ndjson") } else { ("text/csv; charset=utf-8", "csv") };
    Ok(HttpResponse::Ok()
        .content_type(ctype)
        .insert_header(("Content-Disposition", format!("attachment; filename=\"computers-{date}.{ext}\"")))
        .streaming(stream))
}
