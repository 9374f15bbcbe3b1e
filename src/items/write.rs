//! Item writes shared by both APIs: rights and entity checks, the domain rules (tickets,
//! users), the store and the change log, each write in its own transaction.

use crate::access::write as policy;
use crate::auth::session::Session;
use crate::db::sql::Sql;
use crate::db::DbConn;
use crate::itemtypes::store::{self, StoreError};
use crate::itemtypes::value as params;
use crate::itemtypes::{self, Hook, ItemTypeDef, Kind};
use serde_json::{json, Map, Value};

pub const NO_RIGHT: &str = "You don't have permission to perform this action.";

pub fn item_label(def: &ItemTypeDef, input: &Map<String, Value>, id: i64) -> String {
    let name = input.get("name").and_then(|v| params::as_str(Some(v))).unwrap_or_default();
    if def.name == "User" {
        let real = [input.get("realname"), input.get("firstname")]
            .into_iter()
            .filter_map(|v| params::as_str(v))
            .collect::<Vec<_>>()
            .join(" ");
        if !real.trim().is_empty() {
            return format!("Item successfully added: {real}");
        }
    }
    match (def.has("name"), def.name) {
        (true, "Ticket") => format!("Item successfully added: {name} ({id})"),
        (true, _) => format!("Item successfully added: {name}"),
        _ => String::new(),
    }
}

/// Why a single write failed, shown in the per-item result.
pub enum Refusal {
    Right,
    NotFound,
    Invalid(String),
    /// The database was busy or unreachable: answered 503, worth retrying.
    Unavailable,
}

impl Refusal {
    pub fn message(&self) -> String {
        match self {
            Refusal::Right => NO_RIGHT.into(),
            Refusal::NotFound => "Item not found".into(),
            Refusal::Invalid(m) => m.clone(),
            Refusal::Unavailable => "The database is busy, retry later".into(),
        }
    }
}

impl From<StoreError> for Refusal {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Refusal::NotFound,
            StoreError::Invalid(m) => Refusal::Invalid(m),
            StoreError::Db(d) if crate::db::is_transient(&d) => {
                tracing::warn!(error = %d, "write failed, database busy");
                Refusal::Unavailable
            }
            StoreError::Db(d) => {
                tracing::error!(error = %d, "write failed");
                Refusal::Invalid("The item could not be saved".into())
            }
        }
    }
}

impl From<diesel::result::Error> for Refusal {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::Db(e).into()
    }
}

/// One transaction: diesel rolls back when `f` returns an error.
fn transaction<T>(c: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T, Refusal>) -> Result<T, Refusal> {
    let out = c.write_transaction(f);
    // Once committed: a total counted while the write ran must not be kept. A refused
    // write changed nothing and drops no cache.
    if out.is_ok() {
        crate::db::bulk::wrote();
    }
    out
}

pub fn add_one(c: &mut DbConn, s: &Session, def: &'static ItemTypeDef, input: Value) -> Result<(i64, String), Refusal> {
    let Value::Object(mut input) = input else {
        return Err(Refusal::Invalid("input parameter must be an array of objects".into()));
    };
    if def.has("entities_id") && !input.contains_key("entities_id") && !policy::inherits_entity(def) {
        input.insert(
            "entities_id".into(),
            json!(if s.entities_id >= 0 { s.entities_id } else { *s.active.iter().next().unwrap_or(&0) }),
        );
    }
    transaction(c, |c| {
        if def.hooked(Hook::Tickets) {
            crate::tickets::prepare_add(c, s, def, &mut input)?;
        }
        if def.hooked(Hook::Interventions) {
            crate::interventions::prepare(c, s, def, None, &mut input)?;
        }
        inherit_entity(c, def, &mut input)?;
        check_types(def, &input)?;
        policy::check_create(c, s, def, &input)?;
        if def.hooked(Hook::Users) {
            crate::users::prepare_write(&mut input, None).map_err(Refusal::Invalid)?;
        }
        tree_names(c, def, &mut input, None)?;
        let values = store::validate_input(def, &input)?;
        let id = store::insert(c, def, values, &s.actor())?;
        if def.hooked(Hook::EntityTree) {
            crate::entities::changed();
        }
        if def.hooked(Hook::Tickets) {
            crate::tickets::after_add(c, s, def, id, &input)?;
        }
        if def.hooked(Hook::Users) {
            crate::users::after_add(c, s, id, &input)?;
        }
        Ok((id, item_label(def, &input, id)))
    })
}

/// Ill-typed input is answered as such before any right is weighed on its values.
/// (`password2` is the users' confirmation input, consumed later by `users::prepare_write`.)
fn check_types(def: &'static ItemTypeDef, input: &Map<String, Value>) -> Result<(), Refusal> {
    if def.hooked(Hook::Users) && input.contains_key("password2") {
        let mut probe = input.clone();
        probe.shift_remove("password2");
        store::validate_input(def, &probe)?;
    } else {
        store::validate_input(def, input)?;
    }
    Ok(())
}

/// A sub-item lives in the entity of the item it hangs off: its `entities_id` (and
/// `is_recursive`) are copied from there, whatever the input says.
fn inherit_entity(c: &mut DbConn, def: &'static ItemTypeDef, input: &mut Map<String, Value>) -> Result<(), Refusal> {
    if !def.has("entities_id") || !policy::inherits_entity(def) {
        return Ok(());
    }
    let (pdef, pid) = match def.parent {
        itemtypes::Parent::Fk { column, itemtype } => (itemtypes::find(itemtype), input.get(column)),
        _ => (input.get("itemtype").and_then(Value::as_str).and_then(itemtypes::find), input.get("items_id")),
    };
    let pid = params::as_str(pid).and_then(|p| p.trim().parse::<i64>().ok()).unwrap_or(0);
    let Some(pdef) = pdef.filter(|p| p.has("entities_id")) else { return Ok(()) };
    if let Some(Value::Object(parent)) = store::get_raw(c, pdef, pid)? {
        for k in ["entities_id", "is_recursive"] {
            if def.has(k) {
                input.insert(k.into(), parent.get(k).cloned().unwrap_or(json!(0)));
            }
        }
    }
    Ok(())
}

pub fn update_one(
    c: &mut DbConn,
    s: &Session,
    def: &'static ItemTypeDef,
    id: i64,
    input: Map<String, Value>,
) -> Result<(), Refusal> {
    transaction(c, |c| {
        let Some(Value::Object(before)) = store::get_raw(c, def, id)? else { return Err(Refusal::NotFound) };
        let mut input = input;
        if def.hooked(Hook::Tickets) {
            crate::tickets::prepare_update(c, s, def, id, &before, &mut input)?;
        }
        if policy::inherits_entity(def) {
            input.shift_remove("entities_id");
            input.shift_remove("is_recursive");
            if ["itemtype", "items_id"].iter().any(|k| input.contains_key(*k))
                || matches!(def.parent, itemtypes::Parent::Fk { column, .. } if input.contains_key(column))
            {
                let mut merged = before.clone();
                merged.extend(input.iter().map(|(k, v)| (k.clone(), v.clone())));
                inherit_entity(c, def, &mut merged)?;
                for k in ["entities_id", "is_recursive"] {
                    if let Some(v) = merged.get(k).filter(|_| def.has(k)) {
                        input.insert(k.into(), v.clone());
                    }
                }
            }
        }
        check_types(def, &input)?;
        policy::check_update(c, s, def, &before, &input)?;
        if def.hooked(Hook::Interventions) {
            crate::interventions::prepare(c, s, def, Some(&before), &mut input)?;
        }
        if def.hooked(Hook::Users) {
            crate::users::prepare_write(&mut input, Some(&before)).map_err(Refusal::Invalid)?;
        }
        tree_names(c, def, &mut input, Some(&before))?;
        let values = store::validate_input(def, &input)?;
        store::update(c, def, id, values.clone(), &s.actor())?;
        if input.contains_key("completename") {
            rename_descendants(c, def, id)?;
        }
        if def.hooked(Hook::EntityTree) {
            crate::entities::changed();
        }
        if def.hooked(Hook::Tickets) {
            crate::tickets::after_update(c, s, def, id, &before, &input)?;
        }
        if def.hooked(Hook::Users) {
            crate::users::after_update(c, id, &input)?;
        }
        if def.hooked(Hook::FieldLocks) {
            crate::inventory::locks::after_update(c, def, id, &before, &values, &s.actor())?;
        }
        Ok(())
    })
}

pub fn delete_one(c: &mut DbConn, s: &Session, def: &'static ItemTypeDef, id: i64, purge: bool) -> Result<(), Refusal> {
    transaction(c, |c| {
        let Some(Value::Object(before)) = store::get_raw(c, def, id)? else { return Err(Refusal::NotFound) };
        let purge = purge || !def.has("is_deleted") || before.get("is_template").and_then(Value::as_i64) == Some(1);
        policy::check_delete(c, s, def, &before, purge)?;
        store::delete(c, def, id, purge, &s.actor())?;
        if purge {
            cascade(c, def, id)?;
        }
        if def.hooked(Hook::EntityTree) {
            crate::entities::changed();
        }
        if def.hooked(Hook::Tickets) {
            crate::tickets::after_delete(c, s, def, &before, purge)?;
        }
        Ok(())
    })
}

/// Rows that only mean something with their owner go with it: a purged user's profile
/// assignments, e-mails, groups and OPTIC assignments; a deleted entity's assignments
/// (left behind, they gave their users an empty set of entities).
fn cascade(c: &mut DbConn, def: &'static ItemTypeDef, id: i64) -> Result<(), Refusal> {
    let owned: &[(&str, &str)] = if def.hooked(Hook::Users) {
        &[
            ("profiles_users", "users_id"),
            ("useremails", "users_id"),
            ("groups_users", "users_id"),
            ("plugin_optic_assignments", "users_id"),
        ]
    } else if def.hooked(Hook::EntityTree) {
        &[("profiles_users", "entities_id"), ("plugin_optic_assignments", "entities_id")]
    } else {
        &[]
    };
    for (table, column) in owned {
        let mut sql = Sql::new(c.backend());
        sql.push("DELETE FROM ").ident(table).push(" WHERE ").ident(column).push(" = ").bind(id);
        sql.execute(c)?;
    }
    Ok(())
}

/// After a tree dropdown is renamed or moved, its descendants' `completename` and `level`
/// follow.
fn rename_descendants(c: &mut DbConn, def: &'static ItemTypeDef, id: i64) -> Result<(), Refusal> {
    let parent_col = def.tree_parent();
    let mut todo = vec![id];
    let mut seen = std::collections::HashSet::new();
    while let Some(pid) = todo.pop() {
        if !seen.insert(pid) {
            continue;
        }
        let Some(Value::Object(p)) = store::get_raw(c, def, pid)? else { continue };
        let pc = p.get("completename").and_then(Value::as_str).unwrap_or_default().to_string();
        let pl = p.get("level").and_then(Value::as_i64).unwrap_or(0);
        let mut q = Sql::new(c.backend());
        q.push("SELECT CAST(\"id\" AS BIGINT) AS n FROM ").ident(def.table).push(" WHERE ").ident(&parent_col);
        q.push(" = ").bind(pid).push(" AND \"id\" <> ").bind(pid);
        for child in q.load_ints(c)? {
            let mut names = Sql::new(c.backend());
            names
                .push("SELECT COALESCE(\"name\", '') AS s FROM ")
                .ident(def.table)
                .push(" WHERE \"id\" = ")
                .bind(child);
            let name = names.load_strings(c)?.into_iter().next().unwrap_or_default();
            let mut u = Sql::new(c.backend());
            u.push("UPDATE ").ident(def.table).push(" SET \"completename\" = ").bind(format!("{pc} > {name}"));
            if def.has("level") {
                u.push(", \"level\" = ").bind(pl + 1);
            }
            u.push(" WHERE \"id\" = ").bind(child);
            u.execute(c)?;
            todo.push(child);
        }
    }
    Ok(())
}

/// Tree dropdowns (Location, Entity, ITILCategory, State, Group…) keep GLPI's
/// `completename` ("Parent > Child") and `level` in step with their name and parent.
fn tree_names(
    c: &mut DbConn,
    def: &'static ItemTypeDef,
    input: &mut Map<String, Value>,
    before: Option<&Map<String, Value>>,
) -> Result<(), Refusal> {
    if def.kind != Kind::TreeDropdown || !def.has("completename") {
        return Ok(());
    }
    let parent_col = def.tree_parent();
    if before.is_some() && !input.contains_key("name") && !input.contains_key(&parent_col) {
        return Ok(());
    }
    let pick = |k: &str| input.get(k).cloned().or_else(|| before.and_then(|b| b.get(k).cloned()));
    let name = pick("name").and_then(|v| params::as_str(Some(&v))).unwrap_or_default();
    let parent = pick(&parent_col).and_then(|v| params::as_str(Some(&v))).and_then(|v| v.parse::<i64>().ok());
    let own_id = before.and_then(|b| b.get("id")).and_then(Value::as_i64);
    let parent_row = match parent {
        Some(p) if (p > 0 || def.hooked(Hook::EntityTree)) && Some(p) != own_id => match store::get_raw(c, def, p)? {
            Some(Value::Object(o)) => Some(o),
            _ => return Err(Refusal::Invalid(format!("{} {p} does not exist", def.name))),
        },
        _ => None,
    };
    let (complete, level) = match parent_row {
        Some(p) => {
            let pc = p.get("completename").and_then(Value::as_str).unwrap_or_default().to_string();
            let pl = p.get("level").and_then(Value::as_i64).unwrap_or(0);
            (format!("{pc} > {name}"), pl + 1)
        }
        None => (name, 1),
    };
    input.insert("completename".into(), json!(complete));
    if def.has("level") {
        input.insert("level".into(), json!(level));
    }
    Ok(())
}
