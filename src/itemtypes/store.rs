//! Generic storage of itemtype rows: read, list, insert, update, trash and purge, with
//! the change log written on every write. Works from the declarations alone.

use super::{FieldType, ItemTypeDef};
use crate::db::sql::{Sql, Val};
use crate::db::{Backend, DbConn};
use serde_json::{Map, Value};

/// Who performs a write, for the change log.
#[derive(Debug, Clone)]
pub struct Actor {
    pub users_id: i64,
    pub login: String,
}

impl Actor {
    pub fn system() -> Self {
        Actor { users_id: 0, login: "parc".into() }
    }
    fn log_name(&self) -> String {
        format!("{} ({})", self.login, self.users_id)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("Item not found")]
    NotFound,
    #[error("{0}")]
    Invalid(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

pub type StoreResult<T> = Result<T, StoreError>;

pub use crate::db::bulk::writes;
use crate::db::bulk::wrote;

pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%d %H:%M:%S").to_string()
}

/// The `guid` of a new row: a UUIDv7 whose random bits come from the thread's RNG
/// (`Uuid::now_v7` asks the kernel each time, which shows when an inventory inserts
/// 800 rows at once).
pub fn new_guid() -> String {
    use rand::RngExt;
    let ms = chrono::Utc::now().timestamp_millis().max(0) as u64;
    let random: [u8; 10] = rand::rng().random();
    uuid::Builder::from_unix_timestamp_millis(ms, &random).into_uuid().to_string()
}

/// One output column of a JSON row: `key` = `alias.column`, or, when `alias` is empty,
/// `column` is a trusted SQL expression built from declarations.
pub struct Projected<'a> {
    pub key: &'a str,
    pub alias: &'a str,
    pub column: &'a str,
    pub ty: FieldType,
}

/// Write `SELECT <json of cols> AS j FROM <from>`; the caller appends WHERE/ORDER/LIMIT
/// through `tail`, which runs inside the FROM scope on both backends.
pub fn select_json(sql: &mut Sql, cols: &[Projected<'_>], from: impl FnOnce(&mut Sql)) {
    match sql.backend {
        Backend::Sqlite => {
            sql.push("SELECT json_object(");
            for (i, c) in cols.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                sql.push("'").push(c.key).push("', ");
                push_expr(sql, c);
            }
            sql.push(") AS j FROM ");
            from(sql);
        }
        Backend::Postgres => {
            // row_to_json has no argument limit (json_build_object stops at 100) and keeps
            // column order. Timestamps are formatted the way GLPI prints them.
            sql.push("SELECT CAST(row_to_json(x) AS TEXT) AS j FROM (SELECT ");
            for (i, c) in cols.iter().enumerate() {
                if i > 0 {
                    sql.push(", ");
                }
                match c.ty {
                    FieldType::DateTime => {
                        sql.push("to_char(");
                        push_expr(sql, c);
                        sql.push(", 'YYYY-MM-DD HH24:MI:SS')");
                    }
                    FieldType::Date => {
                        sql.push("to_char(");
                        push_expr(sql, c);
                        sql.push(", 'YYYY-MM-DD')");
                    }
                    _ => push_expr(sql, c),
                }
                sql.push(" AS ").ident(c.key);
            }
            sql.push(" FROM ");
            from(sql);
            sql.push(") x");
        }
    }
}

fn push_expr(sql: &mut Sql, c: &Projected<'_>) {
    if c.alias.is_empty() {
        sql.push(c.column);
    } else {
        sql.col(c.alias, c.column);
    }
}

/// Projection of every visible column of an itemtype under alias `t`.
pub fn visible_projection(def: &'static ItemTypeDef) -> Vec<Projected<'static>> {
    def.visible_columns().map(|f| Projected { key: f.name, alias: "t", column: f.name, ty: f.ty }).collect()
}

/// Write a bound value for a column, with the cast PostgreSQL needs for date types.
pub fn push_value(sql: &mut Sql, ty: FieldType, v: Val) {
    let cast = match (sql.backend, ty, &v) {
        (_, _, Val::Null) => None,
        (Backend::Postgres, FieldType::DateTime, _) => Some("TIMESTAMP"),
        (Backend::Postgres, FieldType::Date, _) => Some("DATE"),
        _ => None,
    };
    match cast {
        Some(c) => {
            sql.push("CAST(").bind(v).push(" AS ").push(c).push(")");
        }
        None => {
            sql.bind(v);
        }
    }
}

/// Read one row by id, with all visible columns. No rights check: callers check.
pub fn get(conn: &mut DbConn, def: &'static ItemTypeDef, id: i64) -> StoreResult<Option<Value>> {
    let mut sql = Sql::new(conn.backend());
    select_json(&mut sql, &visible_projection(def), |s| {
        s.ident(def.table).push(" t WHERE t.\"id\" = ").bind(id);
    });
    Ok(sql.load_json(conn)?.into_iter().next())
}

/// Rows by id, in the order of `ids` (missing ids are skipped).
pub fn get_many(conn: &mut DbConn, def: &'static ItemTypeDef, ids: &[i64]) -> StoreResult<Vec<Value>> {
    if ids.is_empty() {
        return Ok(vec![]);
    }
    let mut sql = Sql::new(conn.backend());
    select_json(&mut sql, &visible_projection(def), |s| {
        s.ident(def.table).push(" t WHERE t.\"id\"").in_ids(ids.iter().copied());
    });
    let mut by_id: std::collections::HashMap<i64, Value> =
        sql.load_json(conn)?.into_iter().filter_map(|r| Some((r.get("id")?.as_i64()?, r))).collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// Convert a JSON input value to a bound value for a column, the way GLPI's PHP layer
/// accepts it (numeric strings for ints, numbers for strings), rejecting the rest.
pub fn coerce(def: &ItemTypeDef, field: &super::Field, v: &Value) -> StoreResult<Val> {
    let bad =
        || StoreError::Invalid(format!("Field {} of {} item has a wrong type: {}", field.name, def.name, short(v)));
    let null_or = |fallback: Val| if field.nullable { Val::Null } else { fallback };
    let val = match (field.ty, v) {
        (_, Value::Null) if field.nullable => Val::Null,
        (_, Value::Null) => default_val(field).ok_or_else(bad)?,
        (FieldType::Int, Value::Number(n)) => match n.as_i64() {
            Some(i) => Val::Int(i),
            None => match n.as_f64() {
                Some(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Val::Int(f as i64),
                _ => return Err(bad()),
            },
        },
        (FieldType::Int, Value::Bool(b)) => Val::Int(*b as i64),
        (FieldType::Int, Value::String(s)) if s.trim().is_empty() => null_or(Val::Int(0)),
        (FieldType::Int, Value::String(s)) => Val::Int(s.trim().parse().map_err(|_| bad())?),
        (FieldType::Str, Value::String(s)) => Val::Text(s.clone()),
        (FieldType::Str, Value::Number(n)) => Val::Text(n.to_string()),
        (FieldType::Str, Value::Bool(b)) => Val::Text(if *b { "1" } else { "0" }.into()),
        (FieldType::DateTime | FieldType::Date, Value::String(s))
            if s.trim().is_empty() || s.eq_ignore_ascii_case("null") =>
        {
            Val::Null
        }
        (FieldType::DateTime, Value::String(s)) => Val::Text(parse_datetime(s).ok_or_else(bad)?),
        (FieldType::Date, Value::String(s)) => Val::Text(parse_datetime(s).ok_or_else(bad)?[..10].to_string()),
        (FieldType::Dec, Value::Number(n)) => Val::Text(format_dec(field, n.as_f64().ok_or_else(bad)?)),
        (FieldType::Dec, Value::String(s)) => {
            let f: f64 = if s.trim().is_empty() { 0.0 } else { s.trim().parse().map_err(|_| bad())? };
            if !f.is_finite() {
                return Err(bad());
            }
            Val::Text(format_dec(field, f))
        }
        (FieldType::Num, Value::Number(n)) => Val::Float(n.as_f64().ok_or_else(bad)?),
        (FieldType::Num, Value::String(s)) => {
            let f: f64 = s.trim().parse().map_err(|_| bad())?;
            if !f.is_finite() {
                return Err(bad());
            }
            Val::Float(f)
        }
        _ => return Err(bad()),
    };
    // Integer columns are 32-bit on both backends: refuse here rather than fail in SQL.
    if let Val::Int(i) = val {
        if i32::try_from(i).is_err() {
            return Err(StoreError::Invalid(format!("Field {} of {} item is out of range: {i}", field.name, def.name)));
        }
    }
    // Strings hold no NUL (PostgreSQL refuses it in text; SQLite would store it) and no
    // more than their GLPI column (MySQL in strict mode refuses longer values too).
    if let (FieldType::Str, Val::Text(s)) = (field.ty, &val) {
        let why = if s.contains('\0') { Some("contains a NUL character".into()) } else { field.size.overflow(s) };
        if let Some(why) = why {
            return Err(StoreError::Invalid(format!("Field {} of {} item {why}", field.name, def.name)));
        }
    }
    Ok(val)
}

fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 40 {
        format!("{}…", s.chars().take(40).collect::<String>())
    } else {
        s
    }
}

fn default_val(field: &super::Field) -> Option<Val> {
    match (field.ty, field.default) {
        (FieldType::Int, Some(d)) => d.parse().ok().map(Val::Int),
        (FieldType::Int, None) => Some(Val::Int(0)),
        (FieldType::Str | FieldType::Dec, Some(d)) => Some(Val::Text(d.to_string())),
        (FieldType::Num, Some(d)) => d.parse().ok().map(Val::Float),
        _ => None,
    }
}

fn format_dec(field: &super::Field, f: f64) -> String {
    let scale = field.default.and_then(|d| d.split_once('.')).map(|(_, frac)| frac.len()).unwrap_or(4);
    format!("{f:.scale$}")
}

/// Accepts `YYYY-MM-DD HH:MM:SS`, `YYYY-MM-DD HH:MM`, ISO `T` forms and a bare date.
pub fn parse_datetime(s: &str) -> Option<String> {
    use chrono::{NaiveDate, NaiveDateTime};
    let s = s.trim();
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M"] {
        if let Ok(dt) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(dt.format("%Y-%m-%d %H:%M:%S").to_string());
        }
    }
    if let Ok(dt) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(dt.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string());
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().map(|d| format!("{} 00:00:00", d.format("%Y-%m-%d")))
}

/// Validate an input object against the declaration: known columns only (keys starting
/// with `_` are GLPI's special inputs, handled by callers), correct types.
pub fn validate_input(
    def: &'static ItemTypeDef,
    input: &Map<String, Value>,
) -> StoreResult<Vec<(&'static super::Field, Val)>> {
    let mut out = Vec::with_capacity(input.len());
    for (k, v) in input {
        if k.starts_with('_') || k == "id" {
            continue;
        }
        let field = def
            .column(k)
            .ok_or_else(|| StoreError::Invalid(format!("Field {k} is not valid for {} item.", def.name)))?;
        if def.hidden.contains(&field.name) && !matches!(field.name, "password") {
            return Err(StoreError::Invalid(format!("Field {k} cannot be written directly.")));
        }
        out.push((field, coerce(def, field, v)?));
    }
    Ok(out)
}

/// Insert a row from validated values; fills guid and dates. Returns the new id.
pub fn insert(
    conn: &mut DbConn,
    def: &'static ItemTypeDef,
    values: Vec<(&'static super::Field, Val)>,
    actor: &Actor,
) -> StoreResult<i64> {
    insert_many(conn, def, vec![values], actor)?.into_iter().next().ok_or(StoreError::NotFound)
}

/// Insert rows that set the same columns in one statement (bulk imports: one round trip
/// instead of one per row), each logged as a creation. Returns the new ids in row order.
pub fn insert_many(
    conn: &mut DbConn,
    def: &'static ItemTypeDef,
    rows: Vec<Vec<(&'static super::Field, Val)>>,
    actor: &Actor,
) -> StoreResult<Vec<i64>> {
    let now = now();
    let mut rows = rows;
    for values in &mut rows {
        for (name, v) in [("date_creation", &now), ("date_mod", &now)] {
            if let Some(f) = def.column(name) {
                if !values.iter().any(|(g, _)| g.name == name) {
                    values.push((f, Val::Text(v.clone())));
                }
            }
        }
    }
    let Some(first) = rows.first() else { return Ok(vec![]) };
    for f in def.columns() {
        if f.required && !first.iter().any(|(g, _)| g.name == f.name) {
            return Err(StoreError::Invalid(format!("Field {} is mandatory for {} item.", f.name, def.name)));
        }
    }
    let columns: Vec<&'static str> = first.iter().map(|(f, _)| f.name).collect();
    if rows.iter().any(|r| r.len() != columns.len() || r.iter().zip(&columns).any(|((f, _), c)| f.name != *c)) {
        return Err(StoreError::Invalid("rows inserted together must set the same columns".into()));
    }
    let values: Vec<Vec<Val>> = rows.into_iter().map(|r| r.into_iter().map(|(_, v)| v).collect()).collect();
    let ids = crate::db::bulk::insert(conn, def.table, &columns, &values, true)?;
    if ids.len() != values.len() {
        return Err(StoreError::NotFound);
    }
    // Each creation is logged; a log row binds 9 values.
    for chunk in ids.chunks(3_000) {
        let mut log = Sql::new(conn.backend());
        log.push(LOG_INSERT);
        for (i, id) in chunk.iter().enumerate() {
            log.push(if i > 0 { ", " } else { "" });
            let row = LogRow {
                itemtype: def.name,
                items_id: *id,
                itemtype_link: "",
                linked_action: 20,
                id_search_option: 0,
                old: "",
                new: "",
            };
            push_log_row(&mut log, &row, actor);
        }
        log.execute(conn)?;
    }
    wrote();
    Ok(ids)
}

/// Update columns of a row; logs each changed field. Returns false when nothing changed.
pub fn update(
    conn: &mut DbConn,
    def: &'static ItemTypeDef,
    id: i64,
    values: Vec<(&'static super::Field, Val)>,
    actor: &Actor,
) -> StoreResult<bool> {
    let before = get_raw(conn, def, id)?.ok_or(StoreError::NotFound)?;
    let changed: Vec<_> = values.into_iter().filter(|(f, v)| !same(before.get(f.name), v)).collect();
    if changed.is_empty() {
        return Ok(false);
    }
    let mut sql = Sql::new(conn.backend());
    sql.push("UPDATE ").ident(def.table).push(" SET ");
    for (i, (f, v)) in changed.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.ident(f.name).push(" = ");
        push_value(&mut sql, f.ty, v.clone());
    }
    if def.has("date_mod") && !changed.iter().any(|(f, _)| f.name == "date_mod") {
        sql.push(", \"date_mod\" = ");
        push_value(&mut sql, FieldType::DateTime, Val::Text(now()));
    }
    sql.push(" WHERE \"id\" = ").bind(id);
    sql.execute(conn)?;
    wrote();
    for (f, v) in &changed {
        if def.hidden.contains(&f.name) {
            continue; // never log secrets
        }
        let old = display(before.get(f.name));
        let new = match v {
            Val::Null => String::new(),
            Val::Int(i) => i.to_string(),
            Val::Float(x) => x.to_string(),
            Val::Text(s) => s.clone(),
        };
        log(conn, def.name, id, 0, 0, &old, &new, actor)?;
    }
    Ok(true)
}

/// Move to the trash (`is_deleted = 1`) when the itemtype has one, else purge.
pub fn delete(conn: &mut DbConn, def: &'static ItemTypeDef, id: i64, purge: bool, actor: &Actor) -> StoreResult<()> {
    let exists = get_raw(conn, def, id)?.is_some();
    if !exists {
        return Err(StoreError::NotFound);
    }
    wrote();
    let mut sql = Sql::new(conn.backend());
    if !purge && def.has("is_deleted") {
        sql.push("UPDATE ").ident(def.table).push(" SET \"is_deleted\" = 1");
        if def.has("date_mod") {
            sql.push(", \"date_mod\" = ");
            push_value(&mut sql, FieldType::DateTime, Val::Text(now()));
        }
        sql.push(" WHERE \"id\" = ").bind(id);
        sql.execute(conn)?;
        log(conn, def.name, id, 13, 0, "", "", actor)?;
    } else {
        sql.push("DELETE FROM ").ident(def.table).push(" WHERE \"id\" = ").bind(id);
        sql.execute(conn)?;
        log(conn, def.name, id, 12, 0, "", "Item purged", actor)?;
    }
    Ok(())
}

/// Row with every column (hidden ones too), for internal checks and diffs.
pub fn get_raw(conn: &mut DbConn, def: &'static ItemTypeDef, id: i64) -> StoreResult<Option<Value>> {
    let cols: Vec<_> =
        def.columns().iter().map(|f| Projected { key: f.name, alias: "t", column: f.name, ty: f.ty }).collect();
    let mut sql = Sql::new(conn.backend());
    select_json(&mut sql, &cols, |s| {
        s.ident(def.table).push(" t WHERE t.\"id\" = ").bind(id);
    });
    Ok(sql.load_json(conn)?.into_iter().next())
}

fn same(old: Option<&Value>, new: &Val) -> bool {
    match (old, new) {
        (None | Some(Value::Null), Val::Null) => true,
        (Some(Value::Number(n)), Val::Int(i)) => n.as_i64() == Some(*i),
        (Some(Value::Number(n)), Val::Float(f)) => n.as_f64() == Some(*f),
        (Some(Value::String(s)), Val::Text(t)) => s == t,
        _ => false,
    }
}

fn display(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Append a change-log row (GLPI's glpi_logs). `linked_action` follows GLPI's codes:
/// 0 field change, 13 trash, 12 message, 17 sub-item added, 20 creation.
#[allow(clippy::too_many_arguments)]
pub fn log(
    conn: &mut DbConn,
    itemtype: &str,
    items_id: i64,
    linked_action: i64,
    id_search_option: i64,
    old: &str,
    new: &str,
    actor: &Actor,
) -> StoreResult<()> {
    log_linked(conn, itemtype, items_id, "", linked_action, id_search_option, old, new, actor)
}

#[allow(clippy::too_many_arguments)]
pub fn log_linked(
    conn: &mut DbConn,
    itemtype: &str,
    items_id: i64,
    itemtype_link: &str,
    linked_action: i64,
    id_search_option: i64,
    old: &str,
    new: &str,
    actor: &Actor,
) -> StoreResult<()> {
    let mut sql = Sql::new(conn.backend());
    sql.push(LOG_INSERT);
    let row = LogRow { itemtype, items_id, itemtype_link, linked_action, id_search_option, old, new };
    push_log_row(&mut sql, &row, actor);
    sql.execute(conn)?;
    Ok(())
}

const LOG_INSERT: &str = "INSERT INTO \"logs\" (\"guid\", \"itemtype\", \"items_id\", \"itemtype_link\", \"linked_action\", \"user_name\", \"date_mod\", \"id_search_option\", \"old_value\", \"new_value\") VALUES ";

/// One change-log row (GLPI's glpi_logs), less its author and date.
struct LogRow<'a> {
    itemtype: &'a str,
    items_id: i64,
    itemtype_link: &'a str,
    linked_action: i64,
    id_search_option: i64,
    old: &'a str,
    new: &'a str,
}

/// `(…)` values of one change-log row.
fn push_log_row(sql: &mut Sql, r: &LogRow<'_>, actor: &Actor) {
    sql.push("(")
        .bind(new_guid())
        .push(", ")
        .bind(r.itemtype)
        .push(", ")
        .bind(r.items_id)
        .push(", ")
        .bind(r.itemtype_link)
        .push(", ")
        .bind(r.linked_action)
        .push(", ")
        .bind(actor.log_name())
        .push(", ");
    push_value(sql, FieldType::DateTime, Val::Text(now()));
    sql.push(", ").bind(r.id_search_option).push(", ").bind(r.old).push(", ").bind(r.new).push(")");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_unique_time_ordered_v7() {
        let a: Vec<String> = (0..10_000).map(|_| new_guid()).collect();
        let unique: std::collections::HashSet<&String> = a.iter().collect();
        assert_eq!(unique.len(), a.len());
        let u = uuid::Uuid::parse_str(&a[0]).unwrap();
        assert_eq!(u.get_version_num(), 7);
        let ms = u.get_timestamp().unwrap().to_unix();
        assert!((chrono::Utc::now().timestamp() - ms.0 as i64).abs() < 5);
    }

    #[test]
    fn datetimes_are_normalised() {
        assert_eq!(parse_datetime("2025-09-01 10:00").as_deref(), Some("2025-09-01 10:00:00"));
        assert_eq!(parse_datetime("2025-09-01T10:00:05").as_deref(), Some("2025-09-01 10:00:05"));
        assert_eq!(parse_datetime("2025-09-01").as_deref(), Some("2025-09-01 00:00:00"));
        assert_eq!(parse_datetime("2025-13-01"), None);
        assert_eq!(parse_datetime("yesterday"), None);
    }
}
