//! Reads of interventions and their links for the APIs' views and lists.

use crate::access;
use crate::auth::session::Session;
use crate::db::sql::Sql;
use crate::db::DbConn;
use crate::itemtypes::{self, store, FieldType, ItemTypeDef};
use diesel::QueryResult;
use serde_json::Value;

/// Visible rows of a link itemtype that point at intervention `id`, in id order.
fn links(c: &mut DbConn, itemtype: &str, id: i64) -> QueryResult<Vec<Value>> {
    let def: &ItemTypeDef = itemtypes::find(itemtype).expect("declared");
    let mut sql = Sql::new(c.backend());
    store::select_json(&mut sql, &store::visible_projection(def), |q| {
        q.ident(def.table).push(" t WHERE t.\"plugin_optic_interventions_id\" = ").bind(id).push(" ORDER BY t.\"id\"");
    });
    sql.load_json(c)
}

/// The tickets worked on during intervention `id`.
pub fn ticket_links(c: &mut DbConn, id: i64) -> QueryResult<Vec<Value>> {
    links(c, "PluginOpticIntervention_Ticket", id)
}

/// The items handled during intervention `id`.
pub fn item_links(c: &mut DbConn, id: i64) -> QueryResult<Vec<Value>> {
    links(c, "PluginOpticIntervention_Item", id)
}

/// A history query: by establishment and/or agent, visits ending after `from` and
/// beginning before `to` (UTC, `YYYY-MM-DD HH:MM:SS`).
pub struct History {
    pub establishment: Option<i64>,
    pub agent: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub offset: i64,
    pub limit: i64,
}

/// Ids of the interventions of a history the session may see, oldest first.
pub fn history_ids(c: &mut DbConn, s: &Session, h: History) -> QueryResult<Vec<i64>> {
    let mut sql = Sql::new(c.backend());
    sql.push("SELECT CAST(t.\"id\" AS BIGINT) AS n FROM \"plugin_optic_interventions\" t WHERE 1=1");
    if let Some(e) = h.establishment {
        sql.push(" AND t.\"entities_id\" = ").bind(e);
    }
    if let Some(a) = h.agent {
        sql.push(" AND t.\"users_id\" = ").bind(a);
    }
    if let Some(f) = h.from {
        sql.push(" AND t.\"date_end\" > ");
        store::push_value(&mut sql, FieldType::DateTime, f.into());
    }
    if let Some(t) = h.to {
        sql.push(" AND t.\"date_begin\" < ");
        store::push_value(&mut sql, FieldType::DateTime, t.into());
    }
    let def = itemtypes::find("PluginOpticIntervention").expect("declared");
    access::push_scope(&mut sql, s, def, "t");
    sql.push(" ORDER BY t.\"date_begin\", t.\"id\" LIMIT ").bind(h.limit).push(" OFFSET ").bind(h.offset);
    sql.load_ints(c)
}
