//! Tickets tied to the directory: each ticket's entity is an establishment; its UAI and name
//! are shown with it, and tickets can be filtered by UAI.

use super::repo;
use super::{EstabState, Uai};
use crate::db::schema::establishments;
use crate::db::DbConn;
use diesel::prelude::*;
use serde_json::{json, Value};

/// Add `uai` and `establishment` (name) to ticket rows; null outside the directory.
pub fn decorate(c: &mut DbConn, rows: &mut [Value]) -> QueryResult<()> {
    let ids: Vec<i64> = rows.iter().filter_map(|r| r.get("entities_id").and_then(Value::as_i64)).collect();
    let found = repo::establishments_of_entities(c, &ids)?;
    for r in rows.iter_mut() {
        let e = r.get("entities_id").and_then(Value::as_i64).and_then(|e| found.get(&e));
        if let Some(o) = r.as_object_mut() {
            o.insert("uai".into(), json!(e.map(|x| &x.0)));
            o.insert("establishment".into(), json!(e.map(|x| &x.1)));
        }
    }
    Ok(())
}

/// The entity of an establishment.
pub fn entity_of(c: &mut DbConn, uai: &Uai) -> QueryResult<Option<i64>> {
    establishments::table
        .select(establishments::entities_id)
        .filter(establishments::uai.eq(uai.as_str()))
        .first::<i32>(c)
        .optional()
        .map(|e| e.map(i64::from))
}

/// Once the directory is in use, a new ticket must concern an open establishment.
pub fn check_new_ticket(c: &mut DbConn, entities_id: i64) -> Result<(), String> {
    let state: Option<String> = establishments::table
        .select(establishments::state)
        .filter(establishments::entities_id.eq(entities_id as i32))
        .first(c)
        .optional()
        .map_err(|e| e.to_string())?;
    match state.as_deref().and_then(EstabState::parse) {
        Some(EstabState::Closed) => Err("this establishment is closed: no new ticket can be opened for it".into()),
        Some(_) => Ok(()),
        None => {
            let any: i64 = establishments::table.count().get_result(c).map_err(|e| e.to_string())?;
            if any > 0 {
                Err(format!("a ticket concerns an establishment, and entity {entities_id} is not one"))
            } else {
                Ok(())
            }
        }
    }
}
