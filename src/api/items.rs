//! Native read endpoints for computers and tickets, under the same rights as the GLPI API.

use super::Caller;
use crate::access::{self, Op};
use crate::db::sql::Sql;
use crate::error::ApiError;
use crate::itemtypes::{self, store, ItemTypeDef};
use crate::startup::State;
use actix_web::get;
use actix_web::web::{Json, Path, Query};
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
            let mut count = Sql::new(c.backend());
            count.push("SELECT COUNT(*) AS n FROM ").ident(def.table).push(" t WHERE 1=1");
            if def.has("is_deleted") {
                count.push(" AND t.\"is_deleted\" = 0");
            }
            access::push_scope(&mut count, &s, def, "t");
            let total = count.load_ints(c)?.first().copied().unwrap_or(0);
            let mut sql = Sql::new(c.backend());
            store::select_json(&mut sql, &store::visible_projection(def), |q| {
                q.ident(def.table).push(" t WHERE 1=1");
                if def.has("is_deleted") {
                    q.push(" AND t.\"is_deleted\" = 0");
                }
                access::push_scope(q, &s, def, "t");
                q.push(" ORDER BY t.\"id\" LIMIT ").bind(page.limit).push(" OFFSET ").bind(page.offset);
            });
            Ok((sql.load_json(c)?, total))
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
            Ok(row)
        })
        .await?;
    Ok(Json(row))
}

fn def(name: &str) -> &'static ItemTypeDef {
    itemtypes::find(name).expect("declared itemtype")
}

/// Computers visible to the caller, paginated.
#[utoipa::path(tag = "assets", params(Page), security(("bearer" = [])),
    responses((status = 200, body = ItemPage), (status = 401, body = crate::error::ErrorBody), (status = 403, body = crate::error::ErrorBody)))]
#[get("/computers")]
pub async fn list_computers(state: State, caller: Caller, page: Query<Page>) -> Result<Json<ItemPage>, ApiError> {
    list(state, caller, def("Computer"), page.into_inner()).await
}

/// One computer.
#[utoipa::path(tag = "assets", params(("id" = i64, Path, description = "Computer id")), security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorBody)))]
#[get("/computers/{id}")]
pub async fn get_computer(state: State, caller: Caller, id: Path<i64>) -> Result<Json<Value>, ApiError> {
    get(state, caller, def("Computer"), id.into_inner()).await
}

/// Tickets visible to the caller (staff see only their own), paginated.
#[utoipa::path(tag = "tickets", params(Page), security(("bearer" = [])),
    responses((status = 200, body = ItemPage), (status = 401, body = crate::error::ErrorBody)))]
#[get("/tickets")]
pub async fn list_tickets(state: State, caller: Caller, page: Query<Page>) -> Result<Json<ItemPage>, ApiError> {
    list(state, caller, def("Ticket"), page.into_inner()).await
}

/// One ticket.
#[utoipa::path(tag = "tickets", params(("id" = i64, Path, description = "Ticket id")), security(("bearer" = [])),
    responses((status = 200, body = Object), (status = 404, body = crate::error::ErrorBody)))]
#[get("/tickets/{id}")]
pub async fn get_ticket(state: State, caller: Caller, id: Path<i64>) -> Result<Json<Value>, ApiError> {
    get(state, caller, def("Ticket"), id.into_inner()).await
}
