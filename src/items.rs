//! Item writes shared by both APIs: rights and entity checks, the domain rules (tickets,
//! users), the store and the change log, each write in its own transaction.

use crate::access::{self, Op};
use crate::auth::session::Session;
use crate::db::DbConn;
use crate::glpi::params;
use crate::itemtypes::store::{self, StoreError};
use crate::itemtypes::{self, ItemTypeDef, Kind};
use serde_json::{json, Map, Value};

pub const NO_RIGHT: &str = "You don't have permission to perform this action.";

fn truncate(s: &str) -> String {
    s.chars().take(40).collect()
}

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

/// May the session write a row of `def` whose (new) values are `row`? Checks the type right,
/// the entity, and for parent-governed rows that the parent is visible.
fn may_write(
    c: &mut DbConn,
    s: &Session,
    def: &'static ItemTypeDef,
    op: Op,
    row: &Map<String, Value>,
) -> Result<bool, Refusal> {
    if !access::type_allows(&s.rights, def, op) && !crate::tickets::own_ticket_exception(c, s, def, op, row)? {
        return Ok(false);
    }
    if def.name == "Entity" {
        let parent = row.get("entities_id").and_then(Value::as_i64).unwrap_or(0);
        return Ok(
            s.active.contains(&parent) || row.get("id").and_then(Value::as_i64).is_some_and(|i| s.active.contains(&i))
        );
    }
    if def.has("entities_id") && def.name != "User" {
        let e = row
            .get("entities_id")
            .and_then(|v| params::as_str(Some(v)))
            .and_then(|v| v.parse::<i64>().ok())
            .unwrap_or(-1);
        let rec = row.get("is_recursive").and_then(Value::as_i64).unwrap_or(0) == 1;
        let visible = if op == Op::Create { s.all_entities || s.active.contains(&e) } else { s.sees_entity(e, rec) };
        if !visible {
            return Ok(false);
        }
    }
    // Children: the parent must be visible to the session.
    match def.parent {
        itemtypes::Parent::Fk { column, itemtype } => {
            let pid =
                row.get(column).and_then(|v| params::as_str(Some(v))).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
            let pdef = itemtypes::find(itemtype).expect("declared");
            if store::get(c, pdef, pid)?.is_none() {
                return Err(Refusal::Invalid(format!("{} {} does not exist", pdef.name, pid)));
            }
            if !access::row_visible(c, s, pdef, pid)? {
                return Ok(false);
            }
        }
        itemtypes::Parent::Poly => {
            let ty = row.get("itemtype").and_then(Value::as_str).unwrap_or("");
            let pid = row
                .get("items_id")
                .and_then(|v| params::as_str(Some(v)))
                .and_then(|v| v.parse::<i64>().ok())
                .unwrap_or(0);
            if let Some(pdef) = itemtypes::find(ty) {
                if store::get(c, pdef, pid)?.is_none() {
                    return Err(Refusal::Invalid(format!("{} {} does not exist", pdef.name, pid)));
                }
                if !access::row_visible(c, s, pdef, pid)? {
                    return Ok(false);
                }
            } else if op == Op::Create {
                return Err(Refusal::Invalid(format!("Unknown itemtype '{}'", truncate(ty))));
            }
        }
        itemtypes::Parent::None => {}
    }
    Ok(true)
}

/// One transaction: diesel rolls back when `f` returns an error.
fn transaction<T>(c: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T, Refusal>) -> Result<T, Refusal> {
    c.write_transaction(f)
}

pub fn add_one(c: &mut DbConn, s: &Session, def: &'static ItemTypeDef, input: Value) -> Result<(i64, String), Refusal> {
    let Value::Object(mut input) = input else {
        return Err(Refusal::Invalid("input parameter must be an array of objects".into()));
    };
    if def.name == "Log" {
        return Err(Refusal::Right);
    }
    if def.has("entities_id")
        && !input.contains_key("entities_id")
        && def.parent != itemtypes::Parent::Poly
        && def.kind != Kind::Relation
    {
        input.insert(
            "entities_id".into(),
            json!(if s.entities_id >= 0 { s.entities_id } else { *s.active.iter().next().unwrap_or(&0) }),
        );
    }
    transaction(c, |c| {
        crate::tickets::prepare_add(c, s, def, &mut input)?;
        crate::interventions::prepare(c, s, def, None, &mut input)?;
        if !may_write(c, s, def, Op::Create, &input)? {
            return Err(Refusal::Right);
        }
        crate::users::prepare_write(def, &mut input).map_err(Refusal::Invalid)?;
        tree_names(c, def, &mut input, None)?;
        let values = store::validate_input(def, &input)?;
        let id = store::insert(c, def, values, &s.actor())?;
        if def.name == "Entity" {
            crate::entities::changed();
        }
        crate::tickets::after_add(c, s, def, id, &input)?;
        crate::users::after_add(c, s, def, id, &input)?;
        Ok((id, item_label(def, &input, id)))
    })
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
        if !may_write(c, s, def, Op::Update, &before)? {
            return Err(Refusal::Right);
        }
        let mut input = input;
        let mut merged = before.clone();
        for (k, v) in &input {
            merged.insert(k.clone(), v.clone());
        }
        // Moving an item to another entity, or a sub-item to another parent, needs rights
        // there too.
        let parent_column = match def.parent {
            itemtypes::Parent::Fk { column, .. } => Some(column),
            _ => None,
        };
        let changes = |k: &str| input.contains_key(k) && params::as_str(input.get(k)) != params::as_str(before.get(k));
        let moves =
            ["entities_id", "itemtype", "items_id"].iter().any(|k| changes(k)) || parent_column.is_some_and(changes);
        if moves && !may_write(c, s, def, Op::Create, &merged)? {
            return Err(Refusal::Right);
        }
        crate::tickets::prepare_update(c, s, def, id, &before, &mut input)?;
        crate::interventions::prepare(c, s, def, Some(&before), &mut input)?;
        crate::users::prepare_write(def, &mut input).map_err(Refusal::Invalid)?;
        tree_names(c, def, &mut input, Some(&before))?;
        let values = store::validate_input(def, &input)?;
        store::update(c, def, id, values.clone(), &s.actor())?;
        if def.name == "Entity" {
            crate::entities::changed();
        }
        crate::tickets::after_update(c, s, def, id, &before, &input)?;
        crate::users::after_update(c, s, def, id, &input)?;
        crate::inventory::locks::after_update(c, def, id, &before, &values, &s.actor())?;
        Ok(())
    })
}

pub fn delete_one(c: &mut DbConn, s: &Session, def: &'static ItemTypeDef, id: i64, purge: bool) -> Result<(), Refusal> {
    transaction(c, |c| {
        let Some(Value::Object(before)) = store::get_raw(c, def, id)? else { return Err(Refusal::NotFound) };
        let purge = purge || !def.has("is_deleted") || before.get("is_template").and_then(Value::as_i64) == Some(1);
        if def.name == "Log" || (def.name == "Entity" && id == 0) {
            return Err(Refusal::Right);
        }
        if !may_write(c, s, def, if purge { Op::Purge } else { Op::Delete }, &before)? {
            return Err(Refusal::Right);
        }
        store::delete(c, def, id, purge, &s.actor())?;
        if def.name == "Entity" {
            crate::entities::changed();
        }
        crate::tickets::after_delete(c, s, def, &before, purge)?;
        Ok(())
    })
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
    let parent_col = if def.name == "Entity" { "entities_id".to_string() } else { format!("{}_id", def.table) };
    if before.is_some() && !input.contains_key("name") && !input.contains_key(&parent_col) {
        return Ok(());
    }
    let pick = |k: &str| input.get(k).cloned().or_else(|| before.and_then(|b| b.get(k).cloned()));
    let name = pick("name").and_then(|v| params::as_str(Some(&v))).unwrap_or_default();
    let parent = pick(&parent_col).and_then(|v| params::as_str(Some(&v))).and_then(|v| v.parse::<i64>().ok());
    let own_id = before.and_then(|b| b.get("id")).and_then(Value::as_i64);
    let parent_row = match parent {
        Some(p) if (p > 0 || def.name == "Entity") && Some(p) != own_id => match store::get_raw(c, def, p)? {
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
