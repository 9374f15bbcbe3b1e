//! The one bulk insert, for the item store, the inventory importer and the demo generator:
//! rows with the same columns, a fresh guid each, the creation dates the caller did not set,
//! values typed by the table's declaration, in statements of bounded size; and the one
//! write epoch that every write bumps, so that cached list totals are dropped at once.

use super::sql::{array_literal, Sql, Val};
use super::{Backend, DbConn};
use crate::itemtypes::{self, store, FieldType};
use diesel::QueryResult;
use std::sync::atomic::{AtomicU64, Ordering};

/// Bumped on every write in this process (the counts cache checks it).
static WRITES: AtomicU64 = AtomicU64::new(0);

/// The write epoch: it changes whenever rows were written.
pub fn writes() -> u64 {
    WRITES.load(Ordering::Relaxed)
}

/// Record that rows were written (inserted here, or updated and deleted by a caller).
pub fn wrote() {
    WRITES.fetch_add(1, Ordering::Relaxed);
}

/// Insert `rows` (each with a value per column of `cols`) into `table`; with `returning`,
/// the new ids in row order.
pub fn insert(
    conn: &mut DbConn,
    table: &'static str,
    cols: &[&'static str],
    rows: &[Vec<Val>],
    returning: bool,
) -> QueryResult<Vec<i64>> {
    if rows.is_empty() {
        return Ok(vec![]);
    }
    let mut ids = Vec::with_capacity(if returning { rows.len() } else { 0 });
    let statements: Vec<Sql> = if conn.backend() == Backend::Postgres && rows.len() > 1 {
        // One statement whatever the count: arrays are one parameter each.
        vec![insert_unnest(table, cols, rows)]
    } else {
        // Stay well under SQLite's 32766 bound parameters.
        let per = (20_000 / (cols.len() + 3)).max(1);
        rows.chunks(per).map(|chunk| insert_values(conn.backend(), table, cols, chunk)).collect()
    };
    for mut sql in statements {
        if returning {
            sql.push(" RETURNING CAST(\"id\" AS BIGINT) AS n");
            // RETURNING order is unspecified, but ids are drawn in row order on both backends.
            let mut new = sql.load_ints(conn)?;
            new.sort_unstable();
            ids.extend(new);
        } else {
            sql.execute(conn)?;
        }
    }
    wrote();
    Ok(ids)
}

fn field_type(table: &str, col: &str) -> FieldType {
    itemtypes::by_table(table).and_then(|d| d.column(col)).map(|f| f.ty).unwrap_or(FieldType::Str)
}

/// The creation dates a table has and the caller did not set.
fn insert_dates(table: &str, cols: &[&'static str]) -> Vec<&'static str> {
    let def = itemtypes::by_table(table);
    ["date_creation", "date_mod"].into_iter().filter(|d| def.is_some_and(|t| t.has(d)) && !cols.contains(d)).collect()
}

fn insert_head(sql: &mut Sql, table: &'static str, cols: &[&'static str], dates: &[&'static str]) {
    sql.push("INSERT INTO ").ident(table).push(" (\"guid\"");
    for c in cols.iter().chain(dates) {
        sql.push(", ").ident(c);
    }
    sql.push(")");
}

/// `INSERT … VALUES (…), (…)`.
fn insert_values(backend: Backend, table: &'static str, cols: &[&'static str], rows: &[Vec<Val>]) -> Sql {
    let dates = insert_dates(table, cols);
    let now = store::now();
    let mut sql = Sql::new(backend);
    insert_head(&mut sql, table, cols, &dates);
    sql.push(" VALUES ");
    for (i, row) in rows.iter().enumerate() {
        sql.push(if i == 0 { "(" } else { ", (" }).bind(store::new_guid());
        for (c, v) in cols.iter().zip(row) {
            sql.push(", ");
            store::push_value(&mut sql, field_type(table, c), v.clone());
        }
        for _ in &dates {
            sql.push(", ");
            store::push_value(&mut sql, FieldType::DateTime, Val::Text(now.clone()));
        }
        sql.push(")");
    }
    sql
}

/// PostgreSQL: `INSERT … SELECT … FROM unnest(<one array per column>)`. A first inventory
/// inserts ~830 software installations at once; as one array per column the statement
/// is parsed and planned in constant time, where a VALUES list of 5,000 parameters cost
/// more than the insert itself.
fn insert_unnest(table: &'static str, cols: &[&'static str], rows: &[Vec<Val>]) -> Sql {
    let dates = insert_dates(table, cols);
    let mut sql = Sql::new(Backend::Postgres);
    insert_head(&mut sql, table, cols, &dates);
    sql.push(" SELECT u.c0");
    for (i, c) in cols.iter().enumerate() {
        // The column's declared type (an all-NULL column must still be cast to it); the
        // values' own type for columns no itemtype declares.
        let declared = itemtypes::by_table(table).and_then(|d| d.column(c)).map(|f| f.ty);
        let first = rows.iter().filter_map(|r| r.get(i)).find(|v| **v != Val::Null);
        let ty = match (declared, first) {
            (Some(FieldType::Int), _) | (None, Some(Val::Int(_))) => "BIGINT",
            (Some(FieldType::Num), _) | (None, Some(Val::Float(_))) => "DOUBLE PRECISION",
            (Some(FieldType::DateTime), _) => "TIMESTAMP",
            (Some(FieldType::Date), _) => "DATE",
            _ => "TEXT",
        };
        sql.push(&format!(", CAST(u.c{} AS {ty})", i + 1));
    }
    let now = store::now();
    for _ in &dates {
        sql.push(", ");
        store::push_value(&mut sql, FieldType::DateTime, Val::Text(now.clone()));
    }
    sql.push(" FROM unnest(CAST(");
    let guids: Vec<Val> = rows.iter().map(|_| Val::Text(store::new_guid())).collect();
    sql.bind(array_literal(&guids)).push(" AS TEXT[])");
    for i in 0..cols.len() {
        let column: Vec<Val> = rows.iter().map(|r| r.get(i).cloned().unwrap_or(Val::Null)).collect();
        sql.push(", CAST(").bind(array_literal(&column)).push(" AS TEXT[])");
    }
    sql.push(") AS u(c0");
    for i in 0..cols.len() {
        sql.push(&format!(", c{}", i + 1));
    }
    sql.push(")");
    sql
}
