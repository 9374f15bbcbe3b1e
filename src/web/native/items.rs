//! Native read endpoints for computers and tickets, under the same rights as the GLPI API.

use super::Caller;
use crate::access::{self, Op};
use crate::app::State;
use crate::directory::{tickets, Uai};
use crate::items::read::{self, Trash};
use crate::itemtypes::{self, store, ItemTypeDef};
use crate::web::error::ApiError;
use actix_web::web::{Json, Path, Query};
use actix_web::{get, post};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

#[derive(Debug, Deserialize, IntoParams)]
pub struct Page {
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

#[derive(Serialize, ToSchema)]
pub struct ItemPage {
    pub total: i64,
    pub offset: i64,
    pub limit: i64,
    /// Rows with GLPI's field names.
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
}

async fn list(state: State, caller: Caller, def: &'static ItemTypeDef, page: Page) -> Result<Json<ItemPage>, ApiError> {
    list_in(state, caller, def, page, None).await
}

/// Rows of `def`, optionally only those of one establishment (`uai`).
async fn list_in(
    state: State,
    caller: Caller,
    def: &'static ItemTypeDef,
    page: Page,
    uai: Option<Uai>,
) -> Result<Json<ItemPage>, ApiError> {
    if !(1..=1000).contains(&page.limit) || page.offset < 0 {
        return Err(ApiError::Validation("limit must be 1..=1000 and offset >= 0".into()));
    }
    let s = caller.0;
    if !access::type_allows(&s.rights, def, Op::Read) {
        return Err(ApiError::Forbidden("missing read right".into()));
    }
    let (items, total) = state
        .db
        .run(move |c| -> Result<_, ApiError> {
            // An unknown establishment has no rows: entity -1 matches nothing.
            let entity = match &uai {
                Some(u) => Some(tickets::entity_of(c, u)?.unwrap_or(-1)),
                None => None,
            };
            let where_sql = read::scoped_where(c.backend(), &s, def, Trash::Only(0), false, |q| {
                if let Some(e) = entity {
                    q.push(" AND t.\"entities_id\" = ").bind(e);
                }
                Ok::<(), ApiError>(())
            })?;
            let total = read::count(c, def, &where_sql)?;
            let ids = read::page_ids(c, def, "", &where_sql, "t.\"id\"", page.limit, page.offset)?;
            let mut rows = store::get_many(c, def, &ids)?;
            if def.name == "Ticket" {
                tickets::decorate(c, &mut rows)?;
            }
            Ok((rows, total))
        })
        .await?;
    Ok(Json(ItemPage { total, offset: page.offset, limit: page.limit, items }))
}

async fn get(state: State, caller: Caller, def: &'static ItemTypeDef, id: i64) -> Result<Json<Value>, ApiError> {
    let s = caller.0;
    if !access::type_allows(&s.rights, def, Op::Read) {
        return Err(ApiError::Forbidden("missing read right".into()));
    }
    let row = state
        .db
        .run(move |c| -> Result<_, ApiError> {
            let row = store::get(c, def, id).map_err(|e| ApiError::Internal(e.into()))?;
            let row = row.ok_or_else(|| ApiError::NotFound(format!("{} {id} not found", def.name)))?;
            if !access::row_visible(c, &s, def, id)? {
                return Err(ApiError::Forbidden("outside your establishments".into()));
            }
            with_establishment(c, def, row)
        })
        .await?;
    Ok(Json(row))
}

/// Tickets carry their establishment's UAI and name.
fn with_establishment(c: &mut crate::db::DbConn, def: &ItemTypeDef, row: Value) -> Result<Value, ApiError> {
    let mut rows = [row];
    if def.name == "Ticket" {
        tickets::decorate(c, &mut rows)?;
    }
    let [row] = rows;
    Ok(row)
}

fn def(name: &str) -> &'static ItemTypeDef {
    itemtypes::find(name).expect("declared itemtype")
}

/// Computers visible to the caller, paginated.
#[utoipa::path(tag = "assets", params(Page), security(("bearer" = [])),
    responses((status = 200, body = ItemPage), crate::web::error::ErrorResponses))]
#[get("/computers")]
pub async fn list_computers(state: State, caller: Caller, page: Query<Page>) -> Result<Json<ItemPage>, ApiError> {
    list(state, caller, def("Computer"), page.into_inner()).await
}

/// One computer.
#[utoipa::path(tag = "assets", params(("id" = i64, Path, description = "Computer id")), security(("bearer" = [])),
    responses((status = 200, body = Object), crate::web::error::ErrorResponses))]
#[get("/computers/{id}")]
pub async fn get_computer(state: State, caller: Caller, id: Path<i64>) -> Result<Json<Value>, ApiError> {
    get(state, caller, def("Computer"), id.into_inner()).await
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct TicketFilter {
    /// Only the tickets of this establishment (UAI, e.g. `0750654D`).
    pub uai: Option<String>,
}

/// Tickets visible to the caller (staff see only their own), paginated, each with its
/// establishment's `uai` and `establishment` name.
#[utoipa::path(tag = "tickets", params(Page, TicketFilter), security(("bearer" = [])),
    responses((status = 200, body = ItemPage), crate::web::error::ErrorResponses))]
#[get("/tickets")]
pub async fn list_tickets(
    state: State,
    caller: Caller,
    page: Query<Page>,
    filter: Query<TicketFilter>,
) -> Result<Json<ItemPage>, ApiError> {
    let uai = match filter.into_inner().uai {
        Some(u) => Some(Uai::parse(&u).map_err(|e| ApiError::BadRequest(e.to_string()))?),
        None => None,
    };
    list_in(state, caller, def("Ticket"), page.into_inner(), uai).await
}

/// One ticket.
#[utoipa::path(tag = "tickets", params(("id" = i64, Path, description = "Ticket id")), security(("bearer" = [])),
    responses((status = 200, body = Object), crate::web::error::ErrorResponses))]
#[get("/tickets/{id}")]
pub async fn get_ticket(state: State, caller: Caller, id: Path<i64>) -> Result<Json<Value>, ApiError> {
    get(state, caller, def("Ticket"), id.into_inner()).await
}

/// A new ticket, opened by the caller for one of their establishments.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    /// Title; built from the content when empty.
    #[serde(default)]
    pub name: String,
    pub content: String,
    /// Establishment entity; defaults to the caller's active entity.
    pub entities_id: Option<i64>,
    /// 1 (very low) to 5 (very high); default 3.
    pub urgency: Option<i64>,
    /// 1 to 5; default 3.
    pub impact: Option<i64>,
    /// 1 incident, 2 request.
    #[serde(rename = "type")]
    pub kind: Option<i64>,
    pub itilcategories_id: Option<i64>,
}

/// Open a ticket. The caller becomes its requester.
#[utoipa::path(tag = "tickets", request_body = NewTicket, security(("bearer" = [])),
    responses((status = 201, body = Object), crate::web::error::ErrorResponses))]
#[post("/tickets")]
pub async fn create_ticket(
    state: State,
    body: Json<NewTicket>,
    caller: Caller,
) -> Result<actix_web::HttpResponse, ApiError> {
    use crate::items::{add_one, Refusal};
    let s = caller.0;
    let t = body.into_inner();
    let mut input = serde_json::Map::new();
    input.insert("name".into(), t.name.into());
    input.insert("content".into(), t.content.into());
    if let Some(e) = t.entities_id {
        input.insert("entities_id".into(), e.into());
    }
    for (k, v) in
        [("urgency", t.urgency), ("impact", t.impact), ("type", t.kind), ("itilcategories_id", t.itilcategories_id)]
    {
        if let Some(v) = v {
            input.insert(k.into(), v.into());
        }
    }
    input.insert("_users_id_requester".into(), s.users_id().into());
    let def = def("Ticket");
    let row = state
        .db
        .run(move |c| -> Result<Value, ApiError> {
            let (id, _) = add_one(c, &s, def, Value::Object(input)).map_err(|r| match r {
                Refusal::Right => ApiError::Forbidden("you may not open a ticket for this establishment".into()),
                Refusal::NotFound => ApiError::NotFound("not found".into()),
                Refusal::Invalid(m) => ApiError::Validation(m),
                Refusal::Unavailable => ApiError::Unavailable,
            })?;
            let row = store::get(c, def, id)
                .map_err(|e| ApiError::Internal(e.into()))?
                .ok_or_else(|| ApiError::NotFound("ticket".into()))?;
            with_establishment(c, def, row)
        })
        .await?;
    Ok(actix_web::HttpResponse::Created().json(row))
}
