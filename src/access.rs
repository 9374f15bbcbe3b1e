//! Who may see and change what: GLPI's right bitmasks per itemtype, entity scoping with
//! recursion, and the ticket rules (Self-Service sees only tickets where it is an actor).
//! Both the GLPI API and the native API go through here, and so does search.

use crate::auth::rights::{self, Rights};
use crate::auth::session::Session;
use crate::db::sql::Sql;
use crate::db::DbConn;
use crate::itemtypes::{find, ItemTypeDef, Kind, Parent};

pub mod write;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Read,
    Create,
    Update,
    Delete,
    Purge,
}

/// Relation rows (Ticket_User, Computer_Item, …) take their rights from the parent's
/// right name; writing them means updating the parent.
fn is_parent_governed(def: &ItemTypeDef) -> bool {
    def.kind == Kind::Relation && !matches!(def.right, "followup" | "task")
}

/// Does the active profile allow `op` on this itemtype at all?
pub fn type_allows(r: &Rights, def: &ItemTypeDef, op: Op) -> bool {
    let name = def.right;
    let bits = match (op, name) {
        (Op::Read, _) => rights::READ,
        (Op::Create, "followup") => {
            rights::followup::ADDMYTICKET | rights::followup::ADDALLTICKET | rights::followup::ADDGROUPTICKET
        }
        (Op::Create, "task") => rights::task::ADDALLITEM,
        (Op::Update, "followup") => rights::followup::UPDATEMY | rights::followup::UPDATEALL,
        (Op::Update, "task") => rights::task::UPDATEMY | rights::task::UPDATEALL,
        (Op::Delete | Op::Purge, "followup") => rights::PURGE | rights::followup::UPDATEALL,
        (Op::Delete | Op::Purge, "task") => rights::PURGE | rights::task::UPDATEALL,
        (_, _) if is_parent_governed(def) => rights::UPDATE,
        (Op::Create, _) => rights::CREATE,
        (Op::Update, _) => rights::UPDATE,
        (Op::Delete, _) if def.has("is_deleted") => rights::DELETE,
        (Op::Delete | Op::Purge, _) => rights::PURGE,
    };
    r.get(name) & bits != 0
}

/// Ticket readers limited to their own tickets (Self-Service: READMY without READALL).
pub fn ticket_own_only(s: &Session) -> bool {
    !s.rights.has("ticket", rights::ticket::READALL)
}

fn push_ids(sql: &mut Sql, ids: impl IntoIterator<Item = i64>) {
    sql.id_list(ids);
}

/// Append ` AND …` conditions so that rows of `def` under `alias` are those the session
/// may see. Bound values only; nothing from the request becomes SQL text.
pub fn push_scope(sql: &mut Sql, s: &Session, def: &'static ItemTypeDef, alias: &str) {
    push_scope_depth(sql, s, def, alias, 0)
}

fn push_scope_depth(sql: &mut Sql, s: &Session, def: &'static ItemTypeDef, alias: &str, depth: usize) {
    let me = s.users_id();
    match def.name {
        "Entity" => {
            if !s.all_entities {
                sql.push(" AND ").col(alias, "id").push(" IN ");
                push_ids(sql, s.active.iter().copied());
            }
            return;
        }
        "User" => {
            if !s.all_entities {
                sql.push(" AND (").col(alias, "id").push(" = ").bind(me);
                sql.push(" OR EXISTS (SELECT 1 FROM \"profiles_users\" pu WHERE pu.\"users_id\" = ").col(alias, "id");
                sql.push(" AND pu.\"entities_id\" IN ");
                push_ids(sql, s.active.iter().copied());
                sql.push("))");
            }
            return;
        }
        _ => {}
    }
    if def.has("entities_id") && def.kind != Kind::Relation || def.has("entities_id") && def.parent == Parent::Poly {
        if !s.all_entities {
            sql.push(" AND (").col(alias, "entities_id").push(" IN ");
            push_ids(sql, s.active.iter().copied());
            if def.has("is_recursive") && !s.ancestors.is_empty() {
                sql.push(" OR (").col(alias, "is_recursive").push(" = 1 AND ").col(alias, "entities_id").push(" IN ");
                push_ids(sql, s.ancestors.iter().copied());
                sql.push(")");
            }
            sql.push(")");
        }
        if def.name == "Ticket" && ticket_own_only(s) {
            sql.push(" AND (").col(alias, "users_id_recipient").push(" = ").bind(me);
            sql.push(" OR EXISTS (SELECT 1 FROM \"tickets_users\" tu WHERE tu.\"tickets_id\" = ").col(alias, "id");
            sql.push(" AND tu.\"users_id\" = ").bind(me).push("))");
        }
        return;
    }
    push_private_filter(sql, s, def, alias);
    if depth > 2 {
        return;
    }
    let sub = format!("p{depth}");
    match def.parent {
        Parent::Fk { column, itemtype } => {
            if let Some(parent) = find(itemtype) {
                sql.push(" AND ").col(alias, column).push(" IN (SELECT ").col(&sub, "id").push(" FROM ");
                sql.ident(parent.table).push(" ").push(&sub).push(" WHERE 1=1");
                push_scope_depth(sql, s, parent, &sub, depth + 1);
                sql.push(")");
            }
        }
        Parent::Poly => {
            // Followups and solutions hang off tickets in Parc; field locks off the
            // computers the inventory manages.
            let parent_name = if def.name == "Lockedfield" { "Computer" } else { "Ticket" };
            let parent = find(parent_name).expect("declared");
            sql.push(" AND ").col(alias, "itemtype").push(" = ").bind(parent_name).push(" AND ").col(alias, "items_id");
            sql.push(" IN (SELECT ")
                .col(&sub, "id")
                .push(" FROM ")
                .ident(parent.table)
                .push(" ")
                .push(&sub)
                .push(" WHERE 1=1");
            push_scope_depth(sql, s, parent, &sub, depth + 1);
            sql.push(")");
        }
        Parent::None => {}
    }
}

/// Private followups and tasks are seen by their author and by profiles with the
/// "see private" right only: in lists, sub-items, search joins and counts alike.
pub fn push_private_filter(sql: &mut Sql, s: &Session, def: &ItemTypeDef, alias: &str) {
    if matches!(def.name, "ITILFollowup" | "TicketTask") && !s.rights.has(def.right, rights::followup::SEEPRIVATE) {
        // The id is the session's own integer, written as a literal so that search can
        // embed the condition in display expressions (which carry no bound values).
        let me = s.users_id().to_string();
        sql.push(" AND (").col(alias, "is_private").push(" = 0 OR ").col(alias, "users_id").push(" = ").push(&me);
        sql.push(")");
    }
}

/// Visibility decided from the row itself, without a query, when only the entity rule
/// applies; `None` when the row needs the full scope query (own tickets, users, children).
pub fn row_visible_fast(s: &Session, def: &'static ItemTypeDef, row: &serde_json::Value) -> Option<bool> {
    let special = matches!(def.name, "User" | "Entity" | "ITILFollowup" | "TicketTask")
        || (def.name == "Ticket" && ticket_own_only(s))
        || def.kind == Kind::Relation && def.parent != Parent::Poly
        || !def.has("entities_id");
    if special {
        return None;
    }
    if s.all_entities {
        return Some(true);
    }
    let e = row.get("entities_id")?.as_i64()?;
    let rec = row.get("is_recursive").and_then(serde_json::Value::as_i64) == Some(1);
    Some(s.sees_entity(e, rec))
}

/// Is row `id` of `def` within what the session may see?
pub fn row_visible(conn: &mut DbConn, s: &Session, def: &'static ItemTypeDef, id: i64) -> diesel::QueryResult<bool> {
    let mut sql = Sql::new(conn.backend());
    sql.push("SELECT COUNT(*) AS n FROM ").ident(def.table).push(" t WHERE t.\"id\" = ").bind(id);
    push_scope(&mut sql, s, def, "t");
    Ok(sql.load_ints(conn)?.first().copied().unwrap_or(0) > 0)
}
