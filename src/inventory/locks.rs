//! Fields of an inventoried computer that a person changed by hand are locked, as in
//! GLPI 10 (`glpi_lockedfields`): later inventories leave them alone. Deleting the lock
//! (`DELETE /apirest.php/Lockedfield/:id`) hands the field back to the agent.

use crate::db::sql::{Sql, Val};
use crate::db::DbConn;
use crate::itemtypes::store::{self, Actor, StoreResult};
use crate::itemtypes::{Field, ItemTypeDef};
use serde_json::{Map, Value};

/// The computer fields inventories write: a change by hand of one of them locks it.
pub const INVENTORIED: &[&str] = &[
    "name",
    "serial",
    "uuid",
    "otherserial",
    "manufacturers_id",
    "computermodels_id",
    "computertypes_id",
    "contact",
    "last_boot",
];

/// After a change through the API: lock the inventoried fields it changed on a
/// computer that the inventory manages (`is_dynamic = 1`). `values` are the validated
/// values written, so a value that only looks different (`" pc-1 "`) locks nothing.
pub fn after_update(
    c: &mut DbConn,
    def: &'static ItemTypeDef,
    id: i64,
    before: &Map<String, Value>,
    values: &[(&'static Field, Val)],
    actor: &Actor,
) -> StoreResult<()> {
    if before.get("is_dynamic").and_then(Value::as_i64) != Some(1) {
        return Ok(());
    }
    let changed: Vec<&str> = values
        .iter()
        .filter(|(f, v)| INVENTORIED.contains(&f.name) && !super::rows::same(before.get(f.name), v))
        .map(|(f, _)| f.name)
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    let already = locked(c, def.name, id)?;
    let lock_def = crate::itemtypes::find("Lockedfield").expect("declared");
    let col = |name: &str| lock_def.column(name).expect("declared column");
    for field in changed.into_iter().filter(|f| !already.iter().any(|a| a == f)) {
        let values = vec![
            (col("itemtype"), Val::Text(def.name.into())),
            (col("items_id"), Val::Int(id)),
            (col("field"), Val::Text(field.into())),
            (col("value"), Val::Text(crate::itemtypes::value::as_str(before.get(field)).unwrap_or_default())),
        ];
        store::insert(c, lock_def, values, actor)?;
    }
    Ok(())
}

/// The locked fields of an item.
pub fn locked(c: &mut DbConn, itemtype: &'static str, id: i64) -> diesel::QueryResult<Vec<String>> {
    let mut sql = Sql::new(c.backend());
    sql.push("SELECT \"field\" AS s FROM \"lockedfields\" WHERE \"itemtype\" = ").bind(itemtype);
    sql.push(" AND \"items_id\" = ").bind(id);
    sql.load_strings(c)
}
