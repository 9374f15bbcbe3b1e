//! OPTIC interventions: one agent's visit to one establishment. Rules hold whichever API
//! writes them: departure after arrival, agents only visit establishments they are
//! assigned to, and one agent's visits never overlap. Each ticket worked on gets a
//! TicketTask with its time, linked back to the intervention.

pub mod paris;
pub mod repo;

use crate::auth::session::Session;
use crate::db::sql::Sql;
use crate::db::{Backend, DbConn};
use crate::itemtypes::store::{self, StoreError};
use crate::itemtypes::value as params;
use crate::itemtypes::{self, ItemTypeDef};
use serde_json::{json, Map, Value};

pub const DONE: i64 = 1;
pub const CANCELLED: i64 = 2;
pub const RIGHT: &str = "plugin_optic_intervention";

/// Managers (the PURGE bit) may log visits for any agent; agents only for themselves.
pub fn is_manager(s: &Session) -> bool {
    s.rights.has(RIGHT, crate::auth::rights::PURGE)
}

fn int(v: Option<&Value>) -> Option<i64> {
    params::as_str(v).and_then(|x| x.trim().parse().ok())
}

fn text(v: Option<&Value>) -> Option<String> {
    params::as_str(v).filter(|x| !x.trim().is_empty())
}

pub fn is_assigned(c: &mut DbConn, users_id: i64, entities_id: i64) -> diesel::QueryResult<bool> {
    let mut sql = Sql::new(c.backend());
    sql.push("SELECT COUNT(*) AS n FROM \"plugin_optic_assignments\" WHERE \"users_id\" = ")
        .bind(users_id)
        .push(" AND \"entities_id\" = ")
        .bind(entities_id);
    Ok(sql.load_ints(c)?.first().copied().unwrap_or(0) > 0)
}

/// Another live visit of the same agent overlapping [begin, end).
fn overlapping(c: &mut DbConn, users_id: i64, begin: &str, end: &str, except: i64) -> diesel::QueryResult<Option<i64>> {
    if c.backend() == Backend::Postgres {
        // Serialise concurrent writes for one agent: lock their user row until commit.
        let mut lock = Sql::new(Backend::Postgres);
        lock.push("SELECT CAST(\"id\" AS BIGINT) AS n FROM \"users\" WHERE \"id\" = ")
            .bind(users_id)
            .push(" FOR UPDATE");
        lock.load_ints(c)?;
    }
    let mut sql = Sql::new(c.backend());
    sql.push("SELECT CAST(\"id\" AS BIGINT) AS n FROM \"plugin_optic_interventions\" WHERE \"users_id\" = ")
        .bind(users_id);
    sql.push(" AND \"status\" <> ").bind(CANCELLED).push(" AND \"id\" <> ").bind(except).push(" AND \"date_begin\" < ");
    store::push_value(&mut sql, itemtypes::FieldType::DateTime, end.to_string().into());
    sql.push(" AND \"date_end\" > ");
    store::push_value(&mut sql, itemtypes::FieldType::DateTime, begin.to_string().into());
    sql.push(" LIMIT 1");
    Ok(sql.load_ints(c)?.first().copied())
}

/// What an OPTIC agent may have done on a visit or to an item.
pub const ACTIONS: &[&str] = &["repair", "install", "replace", "move", "diagnose", "configure", "other"];

/// Check a list of actions against the vocabulary; the stored form is comma-separated.
pub fn check_actions<S: AsRef<str>>(actions: &[S]) -> Result<String, String> {
    for a in actions {
        if !ACTIONS.contains(&a.as_ref()) {
            return Err(format!(
                "unknown action '{}'; expected one of {}",
                a.as_ref().chars().take(30).collect::<String>(),
                ACTIONS.join(", ")
            ));
        }
    }
    Ok(actions.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(","))
}

/// The action vocabulary, whichever API writes (`actions` of a visit, `action` of an item).
fn check_vocabulary(def: &ItemTypeDef, input: &mut Map<String, Value>) -> Result<(), StoreError> {
    let key = match def.name {
        "PluginOpticIntervention" => "actions",
        "PluginOpticIntervention_Item" => "action",
        _ => return Ok(()),
    };
    let Some(v) = text(input.get(key)) else { return Ok(()) };
    let list: Vec<&str> = v.split(',').map(str::trim).filter(|a| !a.is_empty()).collect();
    let checked = check_actions(&list).map_err(StoreError::Invalid)?;
    input.insert(key.into(), json!(checked));
    Ok(())
}

/// Check and complete an intervention before it is written (both APIs).
pub fn prepare(
    c: &mut DbConn,
    s: &Session,
    def: &ItemTypeDef,
    before: Option<&Map<String, Value>>,
    input: &mut Map<String, Value>,
) -> Result<(), StoreError> {
    check_vocabulary(def, input)?;
    if def.name != "PluginOpticIntervention" {
        return Ok(());
    }
    let merged: Map<String, Value> = before.cloned().unwrap_or_default().into_iter().chain(input.clone()).collect();
    let pick = |k: &str| merged.get(k).cloned();
    let agent = int(pick("users_id").as_ref()).filter(|u| *u > 0).unwrap_or(s.users_id());
    if agent != s.users_id() && !is_manager(s) {
        return Err(StoreError::Invalid("An agent may only log their own interventions".into()));
    }
    input.insert("users_id".into(), json!(agent));
    let status = int(pick("status").as_ref()).unwrap_or(DONE);
    if status != DONE && status != CANCELLED {
        return Err(StoreError::Invalid(format!("Invalid intervention status {status}: 1 done, 2 cancelled")));
    }
    let parse = |k: &str| -> Result<String, StoreError> {
        let v = text(pick(k).as_ref()).ok_or_else(|| StoreError::Invalid(format!("{k} is required")))?;
        store::parse_datetime(&v).ok_or_else(|| StoreError::Invalid(format!("{k} is not a date: {v}")))
    };
    let (begin, end) = (parse("date_begin")?, parse("date_end")?);
    if end <= begin {
        return Err(StoreError::Invalid("The departure must come after the arrival".into()));
    }
    if int(pick("travel_duration").as_ref()).unwrap_or(0) < 0 {
        return Err(StoreError::Invalid("travel_duration must not be negative".into()));
    }
    let entity = int(pick("entities_id").as_ref()).unwrap_or(s.entities_id);
    if status == DONE {
        if !is_assigned(c, agent, entity)? {
            return Err(StoreError::Invalid(format!("Agent {agent} is not assigned to establishment {entity}")));
        }
        let own = before.and_then(|b| b.get("id")).and_then(Value::as_i64).unwrap_or(0);
        if let Some(other) = overlapping(c, agent, &begin, &end, own)? {
            return Err(StoreError::Invalid(format!("This visit overlaps intervention {other} of the same agent")));
        }
    }
    Ok(())
}

/// Log work on a ticket: a TicketTask with its time, linked to the intervention.
pub fn add_ticket_work(
    c: &mut DbConn,
    s: &Session,
    intervention: i64,
    ticket: i64,
    seconds: i64,
    note: &str,
    begin: &str,
) -> Result<i64, StoreError> {
    let tdef = itemtypes::find("Ticket").expect("declared");
    let t = store::get_raw(c, tdef, ticket)?
        .ok_or_else(|| StoreError::Invalid(format!("Ticket {ticket} does not exist")))?;
    let iv = store::get_raw(c, itemtypes::find("PluginOpticIntervention").expect("declared"), intervention)?
        .ok_or(StoreError::NotFound)?;
    if t.get("entities_id") != iv.get("entities_id") {
        return Err(StoreError::Invalid(format!("Ticket {ticket} belongs to another establishment")));
    }
    if !(0..=24 * 3600).contains(&seconds) {
        return Err(StoreError::Invalid("ticket time must be between 0 and 24 hours".into()));
    }
    let task = itemtypes::find("TicketTask").expect("declared");
    let mut input = Map::new();
    input.insert("tickets_id".into(), json!(ticket));
    input.insert("content".into(), json!(format!("Intervention OPTIC #{intervention}: {note}")));
    input.insert("actiontime".into(), json!(seconds));
    input.insert("state".into(), json!(2));
    input.insert("users_id_tech".into(), iv.get("users_id").cloned().unwrap_or(json!(0)));
    crate::tickets::prepare_add(c, s, task, &mut input)?;
    // The task is dated by the visit it records (authorship rules would date it now).
    input.insert("date".into(), json!(begin));
    let values = store::validate_input(task, &input)?;
    let task_id = store::insert(c, task, values, &s.actor())?;
    crate::tickets::after_add(c, s, task, task_id, &input)?;
    let link = itemtypes::find("PluginOpticIntervention_Ticket").expect("declared");
    let mut l = Map::new();
    l.insert("plugin_optic_interventions_id".into(), json!(intervention));
    l.insert("tickets_id".into(), json!(ticket));
    l.insert("tickettasks_id".into(), json!(task_id));
    l.insert("actiontime".into(), json!(seconds));
    let values = store::validate_input(link, &l)?;
    store::insert(c, link, values, &s.actor())?;
    Ok(task_id)
}

/// Find an asset of an establishment by id, inventory number or serial (a scanned label).
pub fn find_item(
    c: &mut DbConn,
    entity: i64,
    tag: &str,
    itemtype: Option<&str>,
) -> Result<(&'static str, i64), StoreError> {
    let types: Vec<&'static str> = match itemtype {
        Some(t) => vec![itemtypes::find(t).ok_or_else(|| StoreError::Invalid(format!("Unknown itemtype {t}")))?.name],
        None => vec!["Computer", "Monitor", "Peripheral", "Printer", "NetworkEquipment", "Phone"],
    };
    let tag = tag.trim();
    for ty in types {
        let def = itemtypes::find(ty).expect("declared");
        if !def.has("otherserial") {
            continue;
        }
        let mut sql = Sql::new(c.backend());
        sql.push("SELECT CAST(\"id\" AS BIGINT) AS n FROM ")
            .ident(def.table)
            .push(" WHERE \"entities_id\" = ")
            .bind(entity);
        sql.push(" AND \"is_deleted\" = 0 AND (\"otherserial\" = ").bind(tag).push(" OR \"serial\" = ").bind(tag);
        if let Ok(id) = tag.parse::<i64>() {
            sql.push(" OR \"id\" = ").bind(id);
        }
        sql.push(") ORDER BY \"id\" LIMIT 1");
        if let Some(id) = sql.load_ints(c)?.first() {
            return Ok((ty, *id));
        }
    }
    Err(StoreError::Invalid(format!(
        "No item tagged '{}' in this establishment",
        tag.chars().take(64).collect::<String>()
    )))
}

/// Cancel: the visit stays in history with status 2; its ticket tasks are removed so
/// the tickets' time totals stay true.
pub fn cancel(c: &mut DbConn, s: &Session, id: i64) -> Result<(), StoreError> {
    let def = itemtypes::find("PluginOpticIntervention").expect("declared");
    store::get_raw(c, def, id)?.ok_or(StoreError::NotFound)?;
    let mut sql = Sql::new(c.backend());
    sql.push("SELECT CAST(\"tickettasks_id\" AS BIGINT) AS n FROM \"plugin_optic_interventions_tickets\" WHERE \"plugin_optic_interventions_id\" = ").bind(id);
    let task_def = itemtypes::find("TicketTask").expect("declared");
    for task in sql.load_ints(c)? {
        if let Some(Value::Object(before)) = store::get_raw(c, task_def, task)? {
            store::delete(c, task_def, task, true, &s.actor())?;
            crate::tickets::after_delete(c, s, task_def, &before, true)?;
        }
    }
    let mut f = Map::new();
    f.insert("status".into(), json!(CANCELLED));
    let values = store::validate_input(def, &f)?;
    store::update(c, def, id, values, &s.actor())?;
    Ok(())
}
