//! Ticket rules, as GLPI 10 applies them: priority from the urgency × impact matrix,
//! actors from `_users_id_*` inputs, status dates and delays, the ticket's total action
//! time as the sum of its tasks, and solutions that solve the ticket.

use crate::auth::rights;
use crate::auth::session::Session;
use crate::db::sql::Sql;
use crate::db::DbConn;
use crate::itemtypes::store::{self, StoreError};
use crate::itemtypes::value as params;
use crate::itemtypes::{self, ItemTypeDef};
use serde_json::{json, Map, Value};

pub const INCOMING: i64 = 1;
pub const ASSIGNED: i64 = 2;
pub const WAITING: i64 = 4;
pub const SOLVED: i64 = 5;
pub const CLOSED: i64 = 6;

/// GLPI's right to set a ticket's priority by hand.
const CHANGEPRIORITY: i64 = 65536;

/// GLPI's default priority matrix, urgency (rows) × impact (columns), 1..=5.
const MATRIX: [[i64; 5]; 5] = [[1, 1, 2, 2, 2], [1, 2, 2, 3, 3], [2, 2, 3, 4, 4], [2, 3, 4, 4, 5], [2, 3, 4, 5, 5]];

pub fn priority(urgency: i64, impact: i64) -> i64 {
    if (1..=5).contains(&urgency) && (1..=5).contains(&impact) {
        MATRIX[(urgency - 1) as usize][(impact - 1) as usize]
    } else {
        ((urgency + impact) as f64 / 2.0).round() as i64
    }
}

pub fn priority_matrix_json() -> Value {
    let mut m = Map::new();
    for u in 1..=5 {
        let mut row = Map::new();
        for i in 1..=5 {
            row.insert(i.to_string(), json!(priority(u, i)));
        }
        m.insert(u.to_string(), Value::Object(row));
    }
    Value::Object(m)
}

fn int(v: Option<&Value>) -> Option<i64> {
    params::as_str(v).and_then(|s| s.trim().parse().ok())
}

fn ticket_def() -> &'static ItemTypeDef {
    itemtypes::find("Ticket").expect("Ticket declared")
}

fn get_ticket(c: &mut DbConn, id: i64) -> Result<Map<String, Value>, StoreError> {
    match store::get_raw(c, ticket_def(), id)? {
        Some(Value::Object(o)) => Ok(o),
        _ => Err(StoreError::Invalid(format!("Ticket {id} does not exist"))),
    }
}

/// Seconds between two GLPI datetimes.
fn delay(from: Option<&Value>, to: &str) -> i64 {
    let parse = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").ok();
    match (from.and_then(Value::as_str).and_then(parse), parse(to)) {
        (Some(a), Some(b)) => (b - a).num_seconds().max(0),
        _ => 0,
    }
}

fn level(input: &Map<String, Value>, key: &str) -> Result<i64, StoreError> {
    match int(input.get(key)) {
        None => Ok(3),
        Some(v) if (1..=5).contains(&v) => Ok(v),
        Some(v) => Err(StoreError::Invalid(format!("{key} must be between 1 and 5, got {v}"))),
    }
}

fn actor_ids(input: &Map<String, Value>, key: &str) -> Vec<i64> {
    match input.get(key) {
        None => vec![],
        Some(Value::Array(a)) => a.iter().filter_map(|v| int(Some(v))).filter(|i| *i > 0).collect(),
        Some(v) => int(Some(v)).filter(|i| *i > 0).into_iter().collect(),
    }
}

fn has_assign_input(input: &Map<String, Value>) -> bool {
    !actor_ids(input, "_users_id_assign").is_empty() || !actor_ids(input, "_groups_id_assign").is_empty()
}

/// What a requester without the ticket UPDATE right (Self-Service) may set when opening a
/// ticket, as GLPI's helpdesk form; everything else is dropped (the GLPI API ignores input
/// it does not take) and set by the server.
const HELPDESK_INPUT: &[&str] =
    &["name", "content", "urgency", "itilcategories_id", "locations_id", "type", "entities_id", "_users_id_observer"];

/// May the session assign `users` and `groups`? ASSIGN assigns anyone, OWN only oneself.
pub fn can_assign(s: &Session, users: &[i64], groups: &[i64]) -> bool {
    s.rights.has("ticket", rights::ticket::ASSIGN)
        || (groups.is_empty()
            && users.iter().all(|u| *u == s.users_id())
            && s.rights.has("ticket", rights::ticket::OWN))
}

/// Actor ids named by `_users_id_*`/`_groups_id_*` inputs.
pub fn actor_inputs(input: &Map<String, Value>, prefix: &str) -> Vec<i64> {
    ["requester", "assign", "observer"].iter().flat_map(|k| actor_ids(input, &format!("{prefix}_{k}"))).collect()
}

/// Drop assignment input the session may not give (GLPI unsets it too).
fn drop_unallowed_assignment(s: &Session, input: &mut Map<String, Value>) {
    let users = actor_ids(input, "_users_id_assign");
    let groups = actor_ids(input, "_groups_id_assign");
    if (!users.is_empty() || !groups.is_empty()) && !can_assign(s, &users, &groups) {
        tracing::debug!(users_id = s.users_id(), "assignment input dropped: no assign right");
        input.shift_remove("_users_id_assign");
        input.shift_remove("_groups_id_assign");
    }
}

/// The author, date and privacy of a followup or task are the server's: the author is the
/// session's user, the date is now, and only a profile that sees private items writes one.
fn authored(s: &Session, def: &ItemTypeDef, input: &mut Map<String, Value>, adding: bool) {
    let me = s.users_id();
    for k in ["users_id", "date", "users_id_editor", "date_creation", "date_mod"] {
        input.shift_remove(k);
    }
    if adding {
        input.insert("users_id".into(), json!(me));
        input.insert("date".into(), json!(store::now()));
    } else if def.has("users_id_editor") {
        input.insert("users_id_editor".into(), json!(me));
    }
    if input.contains_key("is_private") && !s.rights.has(def.right, rights::followup::SEEPRIVATE) {
        if adding {
            input.insert("is_private".into(), json!(0));
        } else {
            input.shift_remove("is_private");
        }
    }
}

/// Defaults and computed fields before a row is inserted.
pub fn prepare_add(
    c: &mut DbConn,
    s: &Session,
    def: &ItemTypeDef,
    input: &mut Map<String, Value>,
) -> Result<(), StoreError> {
    let now = store::now();
    let me = s.users_id();
    match def.name {
        "Ticket" => {
            if !s.rights.has("ticket", rights::UPDATE) {
                input.retain(|k, _| HELPDESK_INPUT.contains(&k.as_str()));
                input.insert("_users_id_requester".into(), json!(me));
            }
            drop_unallowed_assignment(s, input);
            if let Some(e) = int(input.get("entities_id")) {
                crate::directory::tickets::check_new_ticket(c, e).map_err(StoreError::Invalid)?;
            }
            let u = level(input, "urgency")?;
            let i = level(input, "impact")?;
            input.insert("urgency".into(), json!(u));
            input.insert("impact".into(), json!(i));
            if !input.contains_key("priority") || !s.rights.has("ticket", CHANGEPRIORITY) {
                input.insert("priority".into(), json!(priority(u, i)));
            }
            input.entry("date").or_insert_with(|| json!(now));
            input.entry("users_id_recipient").or_insert(json!(me));
            input.insert("users_id_lastupdater".into(), json!(me));
            input.entry("requesttypes_id").or_insert(json!(1));
            input.entry("type").or_insert(json!(1));
            let name_empty = params::as_str(input.get("name")).is_none_or(|n| n.trim().is_empty());
            if name_empty {
                let content = params::as_str(input.get("content")).unwrap_or_default();
                input.insert("name".into(), json!(content.chars().take(70).collect::<String>()));
            }
            let status = int(input.get("status")).unwrap_or(INCOMING);
            if !(1..=6).contains(&status) {
                return Err(StoreError::Invalid(format!("Invalid ticket status {status}")));
            }
            let status = if status == INCOMING && has_assign_input(input) { ASSIGNED } else { status };
            input.insert("status".into(), json!(status));
            if status >= SOLVED {
                let date = input["date"].clone();
                input.entry("solvedate").or_insert(date.clone());
                if status == CLOSED {
                    input.entry("closedate").or_insert(date);
                }
            }
            if has_assign_input(input) {
                input.insert("takeintoaccountdate".into(), json!(now));
                let d = delay(input.get("date"), &now);
                input.insert("takeintoaccount_delay_stat".into(), json!(d));
            }
        }
        "ITILFollowup" => {
            authored(s, def, input, true);
            input.entry("itemtype").or_insert(json!("Ticket"));
        }
        "TicketTask" => {
            authored(s, def, input, true);
            input.entry("state").or_insert(json!(1));
            if let Some(a) = int(input.get("actiontime")) {
                if a < 0 {
                    return Err(StoreError::Invalid("actiontime must not be negative".into()));
                }
            }
            input.entry("uuid").or_insert_with(|| json!(uuid::Uuid::new_v4().to_string()));
        }
        "ITILSolution" => {
            input.entry("itemtype").or_insert(json!("Ticket"));
            let tid = int(input.get("items_id")).unwrap_or(0);
            if input.get("itemtype").and_then(Value::as_str) == Some("Ticket") {
                let t = get_ticket(c, tid)?;
                let st = t.get("status").and_then(Value::as_i64).unwrap_or(1);
                if st == SOLVED || st == CLOSED {
                    return Err(StoreError::Invalid(
                        "The item is already solved, did anyone pushed a solution before you?".into(),
                    ));
                }
            }
            input.insert("users_id".into(), json!(me));
            input.insert("status".into(), json!(2));
        }
        "Ticket_User" | "Group_Ticket" => {
            let t = int(input.get("type")).unwrap_or(1);
            if !(1..=3).contains(&t) {
                return Err(StoreError::Invalid(format!(
                    "Invalid actor type {t}: 1 requester, 2 assigned, 3 observer"
                )));
            }
        }
        _ => {}
    }
    Ok(())
}

fn add_actor(
    c: &mut DbConn,
    s: &Session,
    table: &str,
    tid: i64,
    col: &str,
    id: i64,
    ty: i64,
) -> Result<(), StoreError> {
    let def = itemtypes::by_table(table).expect("actor table declared");
    let mut input = Map::new();
    input.insert("tickets_id".into(), json!(tid));
    input.insert(col.into(), json!(id));
    input.insert("type".into(), json!(ty));
    let values = store::validate_input(def, &input)?;
    store::insert(c, def, values, &s.actor())?;
    Ok(())
}

fn add_actors(c: &mut DbConn, s: &Session, tid: i64, input: &Map<String, Value>) -> Result<(), StoreError> {
    for (key, ty) in [("_users_id_requester", 1), ("_users_id_assign", 2), ("_users_id_observer", 3)] {
        for uid in actor_ids(input, key) {
            if crate::auth::session::user_by_id(c, uid)?.is_none() {
                return Err(StoreError::Invalid(format!("User {uid} does not exist")));
            }
            add_actor(c, s, "tickets_users", tid, "users_id", uid, ty)?;
        }
    }
    for (key, ty) in [("_groups_id_requester", 1), ("_groups_id_assign", 2), ("_groups_id_observer", 3)] {
        for gid in actor_ids(input, key) {
            add_actor(c, s, "groups_tickets", tid, "groups_id", gid, ty)?;
        }
    }
    Ok(())
}

fn set_ticket(c: &mut DbConn, s: &Session, tid: i64, fields: Map<String, Value>) -> Result<(), StoreError> {
    let def = ticket_def();
    let values = store::validate_input(def, &fields)?;
    store::update(c, def, tid, values, &s.actor())?;
    Ok(())
}

/// Recompute a ticket's total action time from its tasks.
fn refresh_actiontime(c: &mut DbConn, s: &Session, tid: i64) -> Result<(), StoreError> {
    let mut sql = Sql::new(c.backend());
    sql.push(
        "SELECT CAST(COALESCE(SUM(\"actiontime\"), 0) AS BIGINT) AS n FROM \"tickettasks\" WHERE \"tickets_id\" = ",
    )
    .bind(tid);
    let total = sql.load_ints(c)?.first().copied().unwrap_or(0);
    let mut f = Map::new();
    f.insert("actiontime".into(), json!(total));
    set_ticket(c, s, tid, f)
}

/// A technician (not the requester) acting on a new ticket takes it into account.
fn take_into_account(c: &mut DbConn, s: &Session, tid: i64) -> Result<(), StoreError> {
    let t = get_ticket(c, tid)?;
    if !t.get("takeintoaccountdate").is_none_or(Value::is_null) || s.interface == "helpdesk" {
        return Ok(());
    }
    let now = store::now();
    let mut f = Map::new();
    f.insert("takeintoaccountdate".into(), json!(now));
    f.insert("takeintoaccount_delay_stat".into(), json!(delay(t.get("date"), &now)));
    set_ticket(c, s, tid, f)
}

pub fn after_add(
    c: &mut DbConn,
    s: &Session,
    def: &ItemTypeDef,
    id: i64,
    input: &Map<String, Value>,
) -> Result<(), StoreError> {
    match def.name {
        "Ticket" => add_actors(c, s, id, input)?,
        "TicketTask" => {
            let tid = int(input.get("tickets_id")).unwrap_or(0);
            refresh_actiontime(c, s, tid)?;
            take_into_account(c, s, tid)?;
            store::log_linked(c, "Ticket", tid, "TicketTask", 17, 0, "", &id.to_string(), &s.actor())?;
        }
        "ITILFollowup" if input.get("itemtype").and_then(Value::as_str) == Some("Ticket") => {
            let tid = int(input.get("items_id")).unwrap_or(0);
            take_into_account(c, s, tid)?;
            store::log_linked(c, "Ticket", tid, "ITILFollowup", 17, 0, "", &id.to_string(), &s.actor())?;
        }
        "ITILSolution" if input.get("itemtype").and_then(Value::as_str) == Some("Ticket") => {
            let tid = int(input.get("items_id")).unwrap_or(0);
            let mut f = Map::new();
            f.insert("status".into(), json!(SOLVED));
            set_ticket(c, s, tid, f)?;
            apply_status_dates(c, s, tid)?;
        }
        "Ticket_User" | "Group_Ticket" if int(input.get("type")) == Some(2) => {
            let tid = int(input.get("tickets_id")).unwrap_or(0);
            let t = get_ticket(c, tid)?;
            if t.get("status").and_then(Value::as_i64) == Some(INCOMING) {
                let mut f = Map::new();
                f.insert("status".into(), json!(ASSIGNED));
                set_ticket(c, s, tid, f)?;
            }
            take_into_account(c, s, tid)?;
        }
        _ => {}
    }
    Ok(())
}

/// Set solvedate/closedate and the delay statistics after a status change.
fn apply_status_dates(c: &mut DbConn, s: &Session, tid: i64) -> Result<(), StoreError> {
    let t = get_ticket(c, tid)?;
    let status = t.get("status").and_then(Value::as_i64).unwrap_or(1);
    let now = store::now();
    let mut f = Map::new();
    let null = |v: Option<&Value>| v.is_none_or(Value::is_null);
    if status >= SOLVED && null(t.get("solvedate")) {
        f.insert("solvedate".into(), json!(now));
        f.insert("solve_delay_stat".into(), json!(delay(t.get("date"), &now)));
    }
    if status == CLOSED && null(t.get("closedate")) {
        f.insert("closedate".into(), json!(now));
        f.insert("close_delay_stat".into(), json!(delay(t.get("date"), &now)));
    }
    if status < SOLVED && !null(t.get("solvedate")) {
        f.insert("solvedate".into(), Value::Null);
        f.insert("closedate".into(), Value::Null);
    }
    if status != CLOSED && status >= SOLVED && !null(t.get("closedate")) {
        f.insert("closedate".into(), Value::Null);
    }
    if status == WAITING && null(t.get("begin_waiting_date")) {
        f.insert("begin_waiting_date".into(), json!(now));
    }
    if status != WAITING && !null(t.get("begin_waiting_date")) {
        let waited = delay(t.get("begin_waiting_date"), &now);
        let total = t.get("waiting_duration").and_then(Value::as_i64).unwrap_or(0) + waited;
        f.insert("waiting_duration".into(), json!(total));
        f.insert("begin_waiting_date".into(), Value::Null);
    }
    if status > INCOMING && null(t.get("takeintoaccountdate")) {
        f.insert("takeintoaccountdate".into(), json!(now));
        f.insert("takeintoaccount_delay_stat".into(), json!(delay(t.get("date"), &now)));
    }
    if f.is_empty() {
        return Ok(());
    }
    set_ticket(c, s, tid, f)
}

pub fn prepare_update(
    _c: &mut DbConn,
    s: &Session,
    def: &ItemTypeDef,
    _id: i64,
    before: &Map<String, Value>,
    input: &mut Map<String, Value>,
) -> Result<(), StoreError> {
    if matches!(def.name, "ITILFollowup" | "TicketTask") {
        authored(s, def, input, false);
    }
    if def.name == "Ticket" {
        drop_unallowed_assignment(s, input);
        if input.contains_key("priority") && !s.rights.has("ticket", CHANGEPRIORITY) {
            input.shift_remove("priority");
        }
        if let Some(st) = int(input.get("status")) {
            if !(1..=6).contains(&st) {
                return Err(StoreError::Invalid(format!("Invalid ticket status {st}")));
            }
            if s.interface == "helpdesk" && Some(st) != before.get("status").and_then(Value::as_i64) {
                return Err(StoreError::Invalid("You don't have permission to perform this action.".into()));
            }
        }
        if input.contains_key("urgency") || input.contains_key("impact") {
            let get = |k: &str| int(input.get(k)).or_else(|| before.get(k).and_then(Value::as_i64)).unwrap_or(3);
            let (u, i) = (get("urgency"), get("impact"));
            if !(1..=5).contains(&u) || !(1..=5).contains(&i) {
                return Err(StoreError::Invalid("urgency and impact must be between 1 and 5".into()));
            }
            if !input.contains_key("priority") || !s.rights.has("ticket", CHANGEPRIORITY) {
                input.insert("priority".into(), json!(priority(u, i)));
            }
        }
        input.insert("users_id_lastupdater".into(), json!(s.users_id()));
    }
    Ok(())
}

pub fn after_update(
    c: &mut DbConn,
    s: &Session,
    def: &ItemTypeDef,
    id: i64,
    before: &Map<String, Value>,
    input: &Map<String, Value>,
) -> Result<(), StoreError> {
    match def.name {
        "Ticket" => {
            add_actors(c, s, id, input)?;
            let status = int(input.get("status"));
            if has_assign_input(input)
                && status.is_none()
                && before.get("status").and_then(Value::as_i64) == Some(INCOMING)
            {
                let mut f = Map::new();
                f.insert("status".into(), json!(ASSIGNED));
                set_ticket(c, s, id, f)?;
            }
            apply_status_dates(c, s, id)?;
        }
        "TicketTask" => {
            let tid = before.get("tickets_id").and_then(Value::as_i64).unwrap_or(0);
            refresh_actiontime(c, s, tid)?;
        }
        _ => {}
    }
    Ok(())
}

pub fn after_delete(
    c: &mut DbConn,
    s: &Session,
    def: &ItemTypeDef,
    before: &Map<String, Value>,
    purge: bool,
) -> Result<(), StoreError> {
    if def.name == "TicketTask" && purge {
        let tid = before.get("tickets_id").and_then(Value::as_i64).unwrap_or(0);
        refresh_actiontime(c, s, tid)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn priority_matrix_is_glpis() {
        assert_eq!(super::priority(3, 3), 3);
        assert_eq!(super::priority(5, 5), 5);
        assert_eq!(super::priority(1, 1), 1);
        assert_eq!(super::priority(4, 2), 3);
        assert_eq!(super::priority(2, 5), 3);
    }
}
