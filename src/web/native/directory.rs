//! Native directory endpoints: establishments (list and detail) and the sync upload.

use super::Caller;
use crate::app::State;
use crate::auth::rights;
use crate::directory::repo::{self, EstabData, EstabFilter, Establishment};
use crate::directory::sync::{self, Format, Input, Report};
use crate::directory::{academies, annuaire, EstabState, Uai};
use crate::web::error::ApiError;
use actix_web::web::{Bytes, Json, Path, Query};
use actix_web::{get, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct EstabQuery {
    /// Exact UAI.
    pub uai: Option<String>,
    /// Département code (`094` or `94`).
    pub departement: Option<String>,
    /// Académie code (`24`) or name (`Créteil`).
    pub academie: Option<String>,
    /// Establishment type (`kind`) as the feed gives it (`Lycée`, `LYC`...).
    #[serde(rename = "type", alias = "kind")]
    pub kind: Option<String>,
    /// `open`, `to_close`, `to_open` or `closed`.
    pub state: Option<String>,
    /// Search in the name, town and UAI (case-insensitive).
    pub q: Option<String>,
    /// Rows to skip.
    #[serde(default)]
    pub offset: i64,
    /// Rows to return (1 to 1000, default 50).
    #[serde(default = "default_limit")]
    pub limit: i64,
}

fn default_limit() -> i64 {
    50
}

/// An establishment of the directory and its entity.
#[derive(Debug, Serialize, ToSchema)]
pub struct EstablishmentOut {
    pub entities_id: i64,
    #[serde(flatten)]
    pub data: EstabData,
}

impl From<Establishment> for EstablishmentOut {
    fn from(x: Establishment) -> Self {
        EstablishmentOut { entities_id: x.entities_id as i64, data: x.data }
    }
}

#[derive(Serialize, ToSchema)]
pub struct EstabPage {
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
    pub items: Vec<EstablishmentOut>,
}

fn bad(m: impl Into<String>) -> ApiError {
    ApiError::BadRequest(m.into())
}

fn parse_uai(raw: &str) -> Result<Uai, ApiError> {
    Uai::parse(raw).map_err(|e| bad(e.to_string()))
}

/// Establishments visible to the caller (staff: their own), filtered and paginated.
#[utoipa::path(tag = "directory", params(EstabQuery), security(("bearer" = [])),
    responses((status = 200, body = EstabPage), crate::web::error::ErrorResponses))]
#[get("/establishments")]
pub async fn list_establishments(
    state: State,
    caller: Caller,
    query: Query<EstabQuery>,
) -> Result<Json<EstabPage>, ApiError> {
    let q = query.into_inner();
    if !(1..=1000).contains(&q.limit) || q.offset < 0 {
        return Err(ApiError::Validation("limit must be 1..=1000 and offset >= 0".into()));
    }
    let s = caller.0;
    let academie = match q.academie.as_deref() {
        None => None,
        Some(a) => {
            Some(academies::resolve(Some(a), Some(a), None).map(|x| x.code).ok_or_else(|| bad("empty académie"))?)
        }
    };
    let st = match q.state.as_deref() {
        None => None,
        Some(x) => Some(EstabState::parse(x).ok_or_else(|| bad(format!("unknown state {x:?}")))?.as_str().to_string()),
    };
    let f = EstabFilter {
        uai: q.uai.as_deref().map(parse_uai).transpose()?.map(|u| u.to_string()),
        departement: q.departement.as_deref().map(annuaire::departement),
        academie_code: academie,
        kind: q.kind,
        state: st,
        q: q.q.filter(|x| !x.trim().is_empty()).map(|x| x.trim().to_string()),
        visible: (!s.all_entities).then(|| s.active.iter().map(|x| *x as i32).collect()),
    };
    let (offset, limit) = (q.offset, q.limit);
    let (total, rows) =
        state.db.run(move |c| Ok::<_, ApiError>(repo::establishments_page(c, &f, offset, limit)?)).await?;
    Ok(Json(EstabPage { total, offset, limit, items: rows.into_iter().map(Into::into).collect() }))
}

/// Asset counts of an establishment, by type.
#[derive(Serialize, ToSchema)]
pub struct AssetCounts {
    pub computers: i64,
    pub monitors: i64,
    pub networkequipments: i64,
    pub peripherals: i64,
    pub printers: i64,
    pub phones: i64,
    pub total: i64,
}

#[derive(Serialize, ToSchema)]
pub struct EstablishmentDetail {
    #[serde(flatten)]
    pub establishment: EstablishmentOut,
    pub assets: AssetCounts,
    /// Tickets not yet solved (new, assigned, planned, waiting).
    pub open_tickets: i64,
}

/// One establishment with its counts of assets and open tickets.
#[utoipa::path(tag = "directory", params(("uai" = String, Path, description = "UAI, e.g. 0750654D")),
    security(("bearer" = [])),
    responses((status = 200, body = EstablishmentDetail), crate::web::error::ErrorResponses))]
#[get("/establishments/{uai}")]
pub async fn get_establishment(
    state: State,
    caller: Caller,
    uai: Path<String>,
) -> Result<Json<EstablishmentDetail>, ApiError> {
    let uai = parse_uai(&uai.into_inner())?;
    let s = caller.0;
    let detail = state
        .db
        .run(move |c| -> Result<_, ApiError> {
            let x = repo::establishment_by_uai(c, uai.as_str())?
                .ok_or_else(|| ApiError::NotFound(format!("no establishment {uai}")))?;
            let eid = x.entities_id as i64;
            if !s.sees_entity(eid, false) {
                return Err(ApiError::Forbidden("outside your establishments".into()));
            }
            let mut a = AssetCounts {
                computers: repo::asset_count(c, "computers", eid)?,
                monitors: repo::asset_count(c, "monitors", eid)?,
                networkequipments: repo::asset_count(c, "networkequipments", eid)?,
                peripherals: repo::asset_count(c, "peripherals", eid)?,
                printers: repo::asset_count(c, "printers", eid)?,
                phones: repo::asset_count(c, "phones", eid)?,
                total: 0,
            };
            a.total = a.computers + a.monitors + a.networkequipments + a.peripherals + a.printers + a.phones;
            let open_tickets = repo::open_ticket_count(c, eid)?;
            Ok(EstablishmentDetail { establishment: x.into(), assets: a, open_tickets })
        })
        .await?;
    Ok(Json(detail))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct SyncQuery {
    /// `auto` (default: from the content), `csv` or `json` (annuaire), `aaf` (XML).
    pub format: Option<Format>,
    /// File name, shown in the report and used to order several uploads.
    pub name: Option<String>,
    /// Report what would change without writing.
    #[serde(default)]
    pub dry_run: bool,
}

/// Import one directory file (the body, as is): what `parc directory sync` does, for the
/// Région's super-admins. Rejected rows are listed; a file that cannot be read changes
/// nothing and answers 422 with the report.
#[utoipa::path(tag = "directory", params(SyncQuery), security(("bearer" = [])),
    request_body(content = String, description = "The file: annuaire CSV or JSON, or AAF XML",
                 content_type = "application/octet-stream"),
    responses((status = 200, body = Report), crate::web::error::ErrorResponses,
              (status = 422, body = Report)))]
#[post("/directory/sync")]
pub async fn sync_upload(
    state: State,
    caller: Caller,
    query: Query<SyncQuery>,
    body: Bytes,
) -> Result<actix_web::HttpResponse, ApiError> {
    let s = caller.0;
    if !(s.all_entities && s.rights.has("entity", rights::CREATE | rights::UPDATE)) {
        return Err(ApiError::Forbidden("directory imports are for the Région's super-admins".into()));
    }
    let q = query.into_inner();
    let input = Input {
        name: q.name.unwrap_or_else(|| "upload".into()),
        bytes: body.to_vec(),
        format: q.format.unwrap_or(Format::Auto),
    };
    let actor = s.actor();
    let report = state
        .db
        .run(move |c| Ok::<_, ApiError>(sync::run(c, vec![input], q.dry_run, &actor, &mut |_, _, _| {})))
        .await?;
    tracing::info!(totals = ?report.totals(), dry_run = report.dry_run, "directory upload applied");
    let status = if report.failed() {
        actix_web::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        actix_web::http::StatusCode::OK
    };
    Ok(actix_web::HttpResponse::build(status).json(report))
}
