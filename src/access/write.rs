//! The write policy: what a session may create, change or remove, for every write path
//! (GLPI API, native API, web pages). It stands on the read scope of `access`:
//! - the type right for the operation (`type_allows`);
//! - the target row visible, and in one of the session's active entities (an item of a
//!   parent entity seen through its recursion is read-only, as in GLPI);
//! - every row the new values point to visible: the parent of a sub-item, both sides of a
//!   relation (`itemtype`/`items_id`), and every `*_id` link to an entity-scoped item;
//! - the new entity active (moving an item to an entity you do not have is refused), and
//!   the entity tree kept a tree;
//! - grants kept below the granter: a user is edited only by someone holding at least that
//!   user's rights everywhere the user has them, a profile is granted only if it is no
//!   stronger than the granter's own, and only the Super-Admin edits profiles.
//!
//! Field-level rules (what a requester may set on a ticket, who writes a followup) are the
//! domain's: `tickets::prepare_add`/`prepare_update`.

use super::{row_visible, type_allows, Op};
use crate::auth::rights::{self, Rights};
use crate::auth::session::{self, Session};
use crate::db::sql::Sql;
use crate::db::DbConn;
use crate::entities::Tree;
use crate::items::Refusal;
use crate::itemtypes::{self, store, ItemTypeDef, Kind, Parent};
use serde_json::{Map, Value};

type Checked = Result<(), Refusal>;

fn int(v: Option<&Value>) -> Option<i64> {
    match v? {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse().ok(),
        Value::Bool(b) => Some(*b as i64),
        _ => None,
    }
}

fn refuse_unless(ok: bool) -> Checked {
    if ok {
        Ok(())
    } else {
        Err(Refusal::Right)
    }
}

/// Create a row whose full values are `row`.
pub fn check_create(c: &mut DbConn, s: &Session, def: &'static ItemTypeDef, row: &Map<String, Value>) -> Checked {
    refuse_unless(type_allows(&s.rights, def, Op::Create))?;
    type_rules(s, def)?;
    new_values(c, s, def, row, None)?;
    if def.name == "Profile_User" {
        grantable(c, s, row)?;
    }
    if let Some(uid) = governing_user(def, row) {
        outranks(c, s, uid)?;
    }
    followup_ticket(c, s, def, row)
}

/// ADDMYTICKET: followups only on tickets the user requested or observes.
fn followup_ticket(c: &mut DbConn, s: &Session, def: &ItemTypeDef, row: &Map<String, Value>) -> Checked {
    if def.name != "ITILFollowup" || s.rights.has("followup", rights::followup::ADDALLTICKET) {
        return Ok(());
    }
    refuse_unless(s.rights.has("followup", rights::followup::ADDMYTICKET) && is_own_ticket(c, s, row)?)
}

fn is_own_ticket(c: &mut DbConn, s: &Session, row: &Map<String, Value>) -> Result<bool, Refusal> {
    let tid = int(row.get("items_id")).unwrap_or(0);
    let mut sql = Sql::new(c.backend());
    sql.push("SELECT COUNT(*) AS n FROM \"tickets\" t WHERE t.\"id\" = ").bind(tid);
    sql.push(" AND (t.\"users_id_recipient\" = ").bind(s.users_id());
    sql.push(
        " OR EXISTS (SELECT 1 FROM \"tickets_users\" tu WHERE tu.\"tickets_id\" = t.\"id\" AND tu.\"type\" IN (1, 3)",
    );
    sql.push(" AND tu.\"users_id\" = ").bind(s.users_id()).push("))");
    Ok(sql.load_ints(c)?.first().copied().unwrap_or(0) > 0)
}

/// Change the row `before` with the values of `input`.
pub fn check_update(
    c: &mut DbConn,
    s: &Session,
    def: &'static ItemTypeDef,
    before: &Map<String, Value>,
    input: &Map<String, Value>,
) -> Checked {
    refuse_unless(type_allows(&s.rights, def, Op::Update))?;
    type_rules(s, def)?;
    target(c, s, def, before, Op::Update)?;
    new_values(c, s, def, input, Some(before))?;
    let mut after = before.clone();
    after.extend(input.iter().map(|(k, v)| (k.clone(), v.clone())));
    if def.name == "Profile_User" {
        grantable(c, s, &after)?;
    }
    if int(after.get("items_id")) != int(before.get("items_id")) {
        followup_ticket(c, s, def, &after)?;
    }
    // A sub-row moved to another user edits that user too.
    match governing_user(def, &after) {
        Some(uid) if Some(uid) != governing_user(def, before) => outranks(c, s, uid)?,
        _ => {}
    }
    Ok(())
}

/// Remove the row `before` (to the trash, or for good).
pub fn check_delete(
    c: &mut DbConn,
    s: &Session,
    def: &'static ItemTypeDef,
    before: &Map<String, Value>,
    purge: bool,
) -> Checked {
    let op = if purge { Op::Purge } else { Op::Delete };
    refuse_unless(type_allows(&s.rights, def, op))?;
    type_rules(s, def)?;
    target(c, s, def, before, op)?;
    if def.name == "Entity" {
        let id = int(before.get("id")).unwrap_or(0);
        refuse_unless(id != crate::entities::ROOT)?;
        let mut sql = Sql::new(c.backend());
        sql.push("SELECT COUNT(*) AS n FROM \"entities\" WHERE \"entities_id\" = ")
            .bind(id)
            .push(" AND \"id\" <> ")
            .bind(id);
        if sql.load_ints(c)?.first().copied().unwrap_or(0) > 0 {
            return Err(Refusal::Invalid("You cannot delete an entity which contains sub-entities.".into()));
        }
    }
    Ok(())
}

/// Itemtypes with a rule of their own, whatever the profile's bits say.
fn type_rules(s: &Session, def: &ItemTypeDef) -> Checked {
    match def.name {
        // The history is written by the server only.
        "Log" => Err(Refusal::Right),
        // Profiles decide every right: only the Super-Admin (configuration rights) edits them.
        "Profile" => refuse_unless(is_super_admin(s)),
        _ => Ok(()),
    }
}

pub fn is_super_admin(s: &Session) -> bool {
    s.all_entities && s.rights.has("config", rights::UPDATE)
}

/// The existing row must be one the session reaches, and may change.
fn target(c: &mut DbConn, s: &Session, def: &'static ItemTypeDef, row: &Map<String, Value>, op: Op) -> Checked {
    let id = int(row.get("id")).ok_or(Refusal::NotFound)?;
    refuse_unless(row_visible(c, s, def, id)?)?;
    refuse_unless(in_active_entity(s, def, row))?;
    match def.name {
        "User" => outranks(c, s, id)?,
        "Profile_User" => grantable(c, s, row)?,
        "ITILFollowup" | "TicketTask" => {
            // UPDATEMY: only one's own followups and tasks.
            let all = if def.name == "ITILFollowup" { rights::followup::UPDATEALL } else { rights::task::UPDATEALL };
            if op == Op::Update && !s.rights.has(def.right, all) {
                refuse_unless(int(row.get("users_id")) == Some(s.users_id()))?;
            }
        }
        _ => {}
    }
    if let Some(uid) = governing_user(def, row) {
        outranks(c, s, uid)?;
    }
    Ok(())
}

/// Items of an entity are written from that entity: an item seen only through the
/// recursion of a parent entity is read-only, as GLPI's `haveAccessToEntity`.
fn in_active_entity(s: &Session, def: &ItemTypeDef, row: &Map<String, Value>) -> bool {
    // A user's `entities_id` is only a default; users have their own rule ([`outranks`]).
    if s.all_entities || !def.has("entities_id") || inherits_entity(def) || def.name == "User" {
        return true;
    }
    let e = if def.name == "Entity" { int(row.get("id")) } else { int(row.get("entities_id")) };
    e.is_some_and(|e| s.active.contains(&e))
}

/// Sub-items take the entity of the item they hang off (`items::add_one` copies it), so
/// their own `entities_id` is no choice of the writer's. A relation under a user (an OPTIC
/// assignment, a profile assignment) names a real entity, checked as any other.
pub fn inherits_entity(def: &ItemTypeDef) -> bool {
    def.kind == Kind::Relation
        && match def.parent {
            Parent::Poly => true,
            Parent::Fk { itemtype, .. } => {
                itemtypes::find(itemtype).is_some_and(|p| p.has("entities_id") && p.name != "User")
            }
            Parent::None => false,
        }
}

/// Sub-rows of a user (e-mails, groups, OPTIC assignments) are edits of that user.
/// Profile assignments have their own rule ([`grantable`]).
fn governing_user(def: &ItemTypeDef, row: &Map<String, Value>) -> Option<i64> {
    match def.parent {
        Parent::Fk { column, itemtype: "User" } if def.name != "Profile_User" => int(row.get(column)),
        _ => None,
    }
}

/// Is `v` a value that points somewhere (GLPI uses 0 for "none")?
fn set(v: Option<&Value>) -> Option<i64> {
    int(v).filter(|i| *i > 0)
}

/// The new values: their entity, their parent and every link they make.
fn new_values(
    c: &mut DbConn,
    s: &Session,
    def: &'static ItemTypeDef,
    input: &Map<String, Value>,
    before: Option<&Map<String, Value>>,
) -> Checked {
    let changes = |k: &str| match before {
        None => input.get(k).is_some_and(|v| !v.is_null()),
        Some(b) => {
            input.contains_key(k)
                && crate::itemtypes::value::as_str(input.get(k)) != crate::itemtypes::value::as_str(b.get(k))
        }
    };
    let merged = |k: &str| input.get(k).or_else(|| before.and_then(|b| b.get(k)));
    if def.name == "Entity" {
        if changes("entities_id") || before.is_none() {
            entity_parent(c, s, before.and_then(|b| int(b.get("id"))), int(merged("entities_id")))?;
        }
    } else if def.has("entities_id") && !inherits_entity(def) && (changes("entities_id") || before.is_none()) {
        let e = int(merged("entities_id")).unwrap_or(-1);
        refuse_unless(s.active.contains(&e))?;
    }
    if let Parent::Fk { column, itemtype } = def.parent {
        if before.is_none() || changes(column) {
            let pdef = itemtypes::find(itemtype).expect("declared");
            linked(c, s, pdef, int(merged(column)).unwrap_or(0), true)?;
        }
    }
    let poly = def.has("itemtype") && def.has("items_id");
    if poly && (before.is_none() || changes("itemtype") || changes("items_id")) {
        let ty = merged("itemtype").and_then(Value::as_str).unwrap_or("");
        let id = int(merged("items_id")).unwrap_or(0);
        match itemtypes::find(ty) {
            Some(pdef) => linked(c, s, pdef, id, def.parent == Parent::Poly)?,
            None if before.is_none() && def.parent == Parent::Poly => {
                return Err(Refusal::Invalid(format!("Unknown itemtype '{}'", crate::itemtypes::value::preview(ty))))
            }
            None => {}
        }
    }
    actors(c, s, def, input, before)?;
    for col in def.columns() {
        let name = col.name;
        let parent_column = matches!(def.parent, Parent::Fk { column, .. } if column == name);
        if matches!(name, "id" | "entities_id" | "items_id") || parent_column || !changes(name) {
            continue;
        }
        if let (Some(tdef), Some(id)) = (itemtypes::fk_target(name), set(input.get(name))) {
            if scoped(tdef) {
                linked(c, s, tdef, id, false)?;
            }
        }
    }
    Ok(())
}

/// Ticket actors: named users and groups must be visible, and assigning needs the right.
fn actors(
    c: &mut DbConn,
    s: &Session,
    def: &ItemTypeDef,
    input: &Map<String, Value>,
    before: Option<&Map<String, Value>>,
) -> Checked {
    let (user, group) = (itemtypes::find("User").expect("declared"), itemtypes::find("Group").expect("declared"));
    if def.name == "Ticket" {
        for id in crate::tickets::actor_inputs(input, "_users_id") {
            linked(c, s, user, id, false)?;
        }
        for id in crate::tickets::actor_inputs(input, "_groups_id") {
            linked(c, s, group, id, false)?;
        }
    }
    if matches!(def.name, "Ticket_User" | "Group_Ticket") {
        let get = |k: &str| int(input.get(k).or_else(|| before.and_then(|b| b.get(k))));
        if get("type") == Some(2) {
            let users: Vec<i64> = get("users_id").into_iter().collect();
            let groups: Vec<i64> = get("groups_id").into_iter().collect();
            refuse_unless(crate::tickets::can_assign(s, &users, &groups))?;
        }
    }
    Ok(())
}

/// Rows the read scope filters: linking to them needs them visible.
fn scoped(def: &ItemTypeDef) -> bool {
    matches!(def.name, "Entity" | "User") || def.has("entities_id") || def.parent != Parent::None
}

/// A link from the written row to row `id` of `tdef`. A parent must exist and, being
/// changed by the write, be in an active entity too.
fn linked(c: &mut DbConn, s: &Session, tdef: &'static ItemTypeDef, id: i64, parent: bool) -> Checked {
    if parent {
        let Some(Value::Object(row)) = store::get_raw(c, tdef, id)? else {
            return Err(Refusal::Invalid(format!("{} {id} does not exist", tdef.name)));
        };
        refuse_unless(row_visible(c, s, tdef, id)? && in_active_entity(s, tdef, &row))
    } else {
        refuse_unless(row_visible(c, s, tdef, id)?)
    }
}

/// An entity's parent: active, existing, and not the entity itself or below it; the root
/// stays the root.
fn entity_parent(c: &mut DbConn, s: &Session, id: Option<i64>, parent: Option<i64>) -> Checked {
    if id == Some(crate::entities::ROOT) {
        return match parent {
            Some(p) if p >= 0 => Err(Refusal::Invalid("The root entity cannot be moved.".into())),
            _ => Ok(()),
        };
    }
    let parent = parent.ok_or_else(|| Refusal::Invalid("An entity needs a parent entity".into()))?;
    refuse_unless(s.active.contains(&parent))?;
    if let Some(id) = id {
        let tree = Tree::load(c)?;
        if tree.expand(id, true).contains(&parent) {
            return Err(Refusal::Invalid("An entity cannot be moved under itself or one of its sub-entities.".into()));
        }
    }
    Ok(())
}

/// Rights of a profile, by right name.
fn profile_rights(c: &mut DbConn, profiles_id: i64) -> Result<Rights, Refusal> {
    use crate::db::schema::profilerights as pr;
    use diesel::prelude::*;
    let rows: Vec<(String, i32)> =
        pr::table.select((pr::name, pr::rights)).filter(pr::profiles_id.eq(profiles_id as i32)).load(c)?;
    Ok(Rights(rows.into_iter().map(|(n, r)| (n, r as i64)).collect()))
}

/// Does `mine` hold every bit of `theirs`?
pub fn dominates(mine: &Rights, theirs: &Rights) -> bool {
    theirs.0.iter().all(|(name, bits)| bits & !mine.get(name) == 0)
}

/// GLPI's "more rights than": the session must hold, in every entity where user `uid` has a
/// profile, at least that profile's rights.
fn outranks(c: &mut DbConn, s: &Session, uid: i64) -> Checked {
    if uid == s.users_id() || is_super_admin(s) {
        return Ok(());
    }
    let tree = Tree::load(c)?;
    for a in session::assignments(c, uid)? {
        let reached = tree.expand(a.entities_id as i64, a.is_recursive != 0);
        refuse_unless(reached.is_subset(&s.active))?;
        refuse_unless(dominates(&s.rights, &profile_rights(c, a.profiles_id as i64)?))?;
    }
    Ok(())
}

/// A profile assignment may be given, changed or taken only within the session's entities
/// and for a profile no stronger than the session's own.
fn grantable(c: &mut DbConn, s: &Session, row: &Map<String, Value>) -> Checked {
    if is_super_admin(s) {
        return Ok(());
    }
    let e = int(row.get("entities_id")).unwrap_or(-1);
    let recursive = int(row.get("is_recursive")).unwrap_or(0) != 0;
    let tree = Tree::load(c)?;
    let reached = tree.expand(e, recursive);
    refuse_unless(!reached.is_empty() && reached.is_subset(&s.active))?;
    let p = int(row.get("profiles_id")).unwrap_or(0);
    refuse_unless(dominates(&s.rights, &profile_rights(c, p)?))
}

/// Actors named in a ticket's input (`_users_id_requester`, …) must be users the session sees.
pub fn check_users_visible(c: &mut DbConn, s: &Session, ids: &[i64]) -> Checked {
    let user = itemtypes::find("User").expect("declared");
    for id in ids {
        refuse_unless(row_visible(c, s, user, *id)?)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dominance_compares_every_bit() {
        let r = |v: &[(&str, i64)]| Rights(v.iter().map(|(n, b)| (n.to_string(), *b)).collect());
        assert!(dominates(&r(&[("user", 1055), ("ticket", 7)]), &r(&[("user", 1), ("ticket", 5)])));
        assert!(!dominates(&r(&[("user", 1055)]), &r(&[("user", 7327)])));
        assert!(!dominates(&r(&[("user", 1055)]), &r(&[("config", 1)])));
        assert!(dominates(&r(&[]), &r(&[("config", 0)])));
    }
}
