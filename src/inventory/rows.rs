//! Database plumbing for the importer: the write transaction, cross-backend locks, bulk
//! inserts without per-row change-log entries, and find-or-create of dictionary rows
//! (manufacturers, models, OS names, device models, …).

use crate::db::bulk;
use crate::db::sql::{array_literal, Sql, Val};
use crate::db::{Backend, DbConn, DbError};
use crate::itemtypes::store::{self, Projected};
use crate::itemtypes::{self, FieldType};
use serde_json::Value;
use std::collections::HashMap;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The inventory cannot be imported as sent (answered 400).
    #[error("{0}")]
    Refused(String),
    #[error("database error: {0}")]
    Db(#[from] diesel::result::Error),
    #[error("{0}")]
    Internal(String),
}

impl From<crate::itemtypes::store::StoreError> for ImportError {
    fn from(e: crate::itemtypes::store::StoreError) -> Self {
        match e {
            crate::itemtypes::store::StoreError::Db(d) => ImportError::Db(d),
            other => ImportError::Internal(other.to_string()),
        }
    }
}

impl From<DbError> for ImportError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Query(q) => ImportError::Db(q),
            other => ImportError::Internal(other.to_string()),
        }
    }
}

pub type Result<T> = std::result::Result<T, ImportError>;

/// Run `f` in one write transaction. On SQLite it starts `IMMEDIATE`: the write lock is
/// taken first, so two imports never both read and then fail to upgrade. A panic rolls
/// back and becomes an error.
pub fn write_tx<T>(conn: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T>) -> Result<T> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?,
        DbConn::Postgres(c) => {
            AnsiTransactionManager::begin_transaction(c)?;
            // Agents send their inventory again at the next run: an import lost to a
            // crash in the last moments is harmless, so commits do not wait for the WAL
            // flush (the database stays consistent either way).
            diesel::connection::SimpleConnection::batch_execute(c, "SET LOCAL synchronous_commit TO OFF")?;
        }
    }
    let out = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(conn)))
        .unwrap_or_else(|_| Err(ImportError::Internal("the import failed unexpectedly".into())));
    let end = match (&out, &mut *conn) {
        (Ok(_), DbConn::Sqlite(c)) => AnsiTransactionManager::commit_transaction(c),
        (Ok(_), DbConn::Postgres(c)) => AnsiTransactionManager::commit_transaction(c),
        (Err(_), DbConn::Sqlite(c)) => AnsiTransactionManager::rollback_transaction(c),
        (Err(_), DbConn::Postgres(c)) => AnsiTransactionManager::rollback_transaction(c),
    };
    match (out, end) {
        (Ok(v), Ok(())) => {
            // Once committed: a total counted meanwhile must not outlive the import.
            bulk::wrote();
            Ok(v)
        }
        (Ok(_), Err(e)) => Err(e.into()),
        (Err(e), _) => Err(e),
    }
}

/// Stable 63-bit key of a lock name (PostgreSQL advisory locks take a bigint).
fn lock_key(name: &str) -> i64 {
    use sha2::Digest;
    let d = sha2::Sha256::digest(name.as_bytes());
    i64::from_be_bytes(d[..8].try_into().expect("8 bytes")) & i64::MAX
}

/// Serialize with other transactions naming the same keys, until commit. SQLite already
/// serializes writers (see [`write_tx`]); PostgreSQL uses transaction advisory locks,
/// taken in a fixed order so that two imports cannot deadlock.
pub fn lock(conn: &mut DbConn, names: &[String]) -> Result<()> {
    if conn.backend() != Backend::Postgres {
        return Ok(());
    }
    let mut keys: Vec<i64> = names.iter().map(|n| lock_key(n)).collect();
    keys.sort_unstable();
    keys.dedup();
    if keys.is_empty() {
        return Ok(());
    }
    // One round trip; the sorted subquery feeds the locks in key order.
    let keys: Vec<Val> = keys.into_iter().map(Val::Int).collect();
    let mut sql = Sql::new(Backend::Postgres);
    sql.push("SELECT CAST(COUNT(pg_advisory_xact_lock(k)) AS BIGINT) AS n FROM (SELECT unnest(CAST(")
        .bind(array_literal(&keys))
        .push(" AS BIGINT[])) AS k ORDER BY k) s");
    sql.load_ints(conn)?;
    Ok(())
}

/// Per-import state: the connection, a cache of dictionary ids, the dictionary lock.
pub struct Tx<'c> {
    pub conn: &'c mut DbConn,
    dict: HashMap<String, i64>,
    dict_locked: bool,
}

impl<'c> Tx<'c> {
    pub fn new(conn: &'c mut DbConn) -> Self {
        Tx { conn, dict: HashMap::new(), dict_locked: false }
    }

    pub fn backend(&self) -> Backend {
        self.conn.backend()
    }

    /// Creating shared rows (dictionaries, software) is serialized by one lock, taken
    /// at most once per import and always after the identity locks.
    pub fn lock_dictionary(&mut self) -> Result<()> {
        if !self.dict_locked {
            lock(self.conn, &["parc-inventory-dictionary".into()])?;
            self.dict_locked = true;
        }
        Ok(())
    }

    /// Id of the row of `table` whose `keys` columns have these values, created with
    /// `extra` if absent. `None` (not 0) for an empty name, as GLPI leaves the field unset.
    pub fn find_or_create(
        &mut self,
        table: &'static str,
        keys: &[(&'static str, Val)],
        extra: &[(&'static str, Val)],
    ) -> Result<i64> {
        let cache_key = format!("{table}\u{1}{keys:?}");
        if let Some(id) = self.dict.get(&cache_key) {
            return Ok(*id);
        }
        let id = match self.find(table, keys)? {
            Some(id) => id,
            None => {
                self.lock_dictionary()?;
                match self.find(table, keys)? {
                    Some(id) => id,
                    None => {
                        let cols: Vec<(&'static str, Val)> = keys.iter().chain(extra).cloned().collect();
                        insert_returning(self.conn, table, &cols)?
                    }
                }
            }
        };
        self.dict.insert(cache_key, id);
        Ok(id)
    }

    /// A flat dropdown by name (0 when the name is absent).
    pub fn dropdown(&mut self, table: &'static str, name: Option<&str>) -> Result<i64> {
        match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => self.find_or_create(table, &[("name", Val::Text(n.to_string()))], &[]),
            None => Ok(0),
        }
    }

    /// Many names of one flat dropdown at once: one query for those not cached yet.
    pub fn dropdowns(&mut self, table: &'static str, names: &[&str]) -> Result<HashMap<String, i64>> {
        let key = |n: &str| format!("{table}\u{1}{:?}", [("name", Val::Text(n.to_string()))]);
        let missing: Vec<&str> = names.iter().copied().filter(|n| !self.dict.contains_key(&key(n))).collect();
        for chunk in missing.chunks(500) {
            let found = select(self.conn, table, &["name"], |s| {
                s.push(" WHERE t.\"name\"").in_texts(chunk.iter().copied()).push(" ORDER BY t.\"id\" DESC");
            })?;
            for r in found {
                if let (Some(n), Some(id)) = (r["name"].as_str(), r["id"].as_i64()) {
                    self.dict.insert(key(n), id);
                }
            }
        }
        let mut out = HashMap::new();
        for n in names {
            out.insert(n.to_string(), self.dropdown(table, Some(n))?);
        }
        Ok(out)
    }

    fn find(&mut self, table: &str, keys: &[(&str, Val)]) -> Result<Option<i64>> {
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT CAST(\"id\" AS BIGINT) AS n FROM ").ident(table).push(" WHERE 1=1");
        for (c, v) in keys {
            // An absent value is a key too: `= NULL` would never match, and each
            // import would create the row again.
            match v {
                Val::Null => sql.push(" AND ").ident(c).push(" IS NULL"),
                v => sql.push(" AND ").ident(c).push(" = ").bind(v.clone()),
            };
        }
        sql.push(" ORDER BY \"id\" LIMIT 1");
        Ok(sql.load_ints(self.conn)?.into_iter().next())
    }
}

fn field_type(table: &str, col: &str) -> FieldType {
    itemtypes::by_table(table).and_then(|d| d.column(col)).map(|f| f.ty).unwrap_or(FieldType::Str)
}

/// Insert one row (with a fresh guid and creation dates when the table has them).
pub fn insert_returning(conn: &mut DbConn, table: &'static str, cols: &[(&'static str, Val)]) -> Result<i64> {
    let names: Vec<&'static str> = cols.iter().map(|(c, _)| *c).collect();
    let row: Vec<Val> = cols.iter().map(|(_, v)| v.clone()).collect();
    bulk::insert(conn, table, &names, std::slice::from_ref(&row), true)?
        .into_iter()
        .next()
        .ok_or_else(|| ImportError::Internal(format!("no id for {table}")))
}

/// Insert many rows with the same columns (no change-log rows: the import is one event).
pub fn insert_many(conn: &mut DbConn, table: &'static str, cols: &[&'static str], rows: &[Vec<Val>]) -> Result<()> {
    bulk::insert(conn, table, cols, rows, false)?;
    Ok(())
}

/// `UPDATE table SET … WHERE id = ?`; also bumps `date_mod` when the table has it.
pub fn update_row(conn: &mut DbConn, table: &'static str, id: i64, values: &[(&'static str, Val)]) -> Result<()> {
    if values.is_empty() {
        return Ok(());
    }
    let mut sql = Sql::new(conn.backend());
    sql.push("UPDATE ").ident(table).push(" SET ");
    for (i, (c, v)) in values.iter().enumerate() {
        if i > 0 {
            sql.push(", ");
        }
        sql.ident(c).push(" = ");
        store::push_value(&mut sql, field_type(table, c), v.clone());
    }
    if itemtypes::by_table(table).is_some_and(|d| d.has("date_mod")) && !values.iter().any(|(c, _)| *c == "date_mod") {
        sql.push(", \"date_mod\" = ");
        store::push_value(&mut sql, FieldType::DateTime, Val::Text(store::now()));
    }
    sql.push(" WHERE \"id\" = ").bind(id);
    sql.execute(conn)?;
    Ok(())
}

pub fn delete_ids(conn: &mut DbConn, table: &'static str, ids: &[i64]) -> Result<()> {
    for chunk in ids.chunks(1000) {
        let mut sql = Sql::new(conn.backend());
        sql.push("DELETE FROM ").ident(table).push(" WHERE \"id\" IN (");
        for (i, id) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(", ");
            }
            sql.bind(*id);
        }
        sql.push(")");
        sql.execute(conn)?;
    }
    Ok(())
}

/// Rows of `table` as JSON objects with `id` and `cols`, filtered by `filter` (which
/// starts with ` WHERE`).
pub fn select(
    conn: &mut DbConn,
    table: &'static str,
    cols: &[&'static str],
    filter: impl FnOnce(&mut Sql),
) -> Result<Vec<Value>> {
    let proj: Vec<Projected<'_>> = std::iter::once("id")
        .chain(cols.iter().copied())
        .map(|c| Projected { key: c, alias: "t", column: c, ty: field_type(table, c) })
        .collect();
    let mut sql = Sql::new(conn.backend());
    store::select_json(&mut sql, &proj, |s| {
        s.ident(table).push(" t");
        filter(s);
    });
    Ok(sql.load_json(conn)?)
}

/// Is a stored JSON value equal to the value about to be written?
pub fn same(old: Option<&Value>, new: &Val) -> bool {
    match (old, new) {
        (None | Some(Value::Null), Val::Null) => true,
        (Some(Value::Number(n)), Val::Int(i)) => n.as_i64() == Some(*i),
        (Some(Value::Number(n)), Val::Float(f)) => n.as_f64() == Some(*f),
        (Some(Value::String(s)), Val::Text(t)) => s == t,
        (Some(Value::String(s)), Val::Int(i)) => s.parse::<i64>().ok() == Some(*i),
        _ => false,
    }
}

/// A text value, NULL when absent.
pub fn opt(s: Option<&str>) -> Val {
    s.map(|s| Val::Text(s.to_string())).unwrap_or(Val::Null)
}
