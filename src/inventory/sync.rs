//! Reconciling one section of an asset: the rows the agent reports against the dynamic
//! rows already stored. Matching rows are updated only where a value differs, new ones are
//! inserted with `is_dynamic = 1`, dynamic rows no longer reported are deleted, and rows
//! entered by hand (`is_dynamic = 0`) are never looked at.

use super::rows::{self, Result};
use crate::db::sql::{Sql, Val};
use crate::db::DbConn;
use serde_json::Value;
use std::collections::HashMap;

/// The rows of one section: which table, which parent, which columns identify a row.
pub struct Spec {
    pub table: &'static str,
    /// Equalities selecting the parent's rows, also written on inserted rows.
    pub owner: Vec<(&'static str, Val)>,
    /// Columns whose values identify "the same" row between two inventories.
    pub key: &'static [&'static str],
}

/// Counts of what a reconciliation changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    /// Dynamic rows the parent has once reconciled (one per desired row).
    pub total: usize,
    pub added: usize,
    pub updated: usize,
    pub removed: usize,
}

impl Counts {
    /// Anything added, updated or removed (`total` alone is no change).
    pub fn changed(&self) -> bool {
        self.added + self.updated + self.removed > 0
    }
}

pub type Row = Vec<(&'static str, Val)>;

fn key_val(v: &Val) -> String {
    match v {
        Val::Null => "n".into(),
        Val::Int(i) => format!("i{i}"),
        Val::Float(f) => format!("f{f}"),
        Val::Text(s) => format!("s{s}"),
    }
}

fn key_json(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => "n".into(),
        Some(Value::Number(n)) => n.as_i64().map(|i| format!("i{i}")).unwrap_or_else(|| format!("f{n}")),
        Some(Value::String(s)) => format!("s{s}"),
        Some(other) => format!("s{other}"),
    }
}

impl Spec {
    fn push_owner(&self, sql: &mut Sql) {
        sql.push(" WHERE t.\"is_dynamic\" = 1");
        for (c, v) in &self.owner {
            sql.push(" AND t.").ident(c).push(" = ").bind(v.clone());
        }
    }

    /// Reconcile; returns the id of each desired row, in order, when `need_ids`.
    /// `fresh` says the parent was just created, so there is nothing to load.
    pub fn sync(
        &self,
        conn: &mut DbConn,
        desired: Vec<Row>,
        need_ids: bool,
        fresh: bool,
    ) -> Result<(Vec<i64>, Counts)> {
        let mut counts = Counts::default();
        let cols: Vec<&'static str> = desired.first().map(|r| r.iter().map(|(c, _)| *c).collect()).unwrap_or_default();
        let existing = if fresh {
            Vec::new()
        } else {
            let load_cols: Vec<&'static str> = if cols.is_empty() { self.key.to_vec() } else { cols.clone() };
            rows::select(conn, self.table, &load_cols, |s| self.push_owner(s))?
        };
        let mut by_key: HashMap<String, Vec<Value>> = HashMap::new();
        for row in existing {
            let k: Vec<String> = self.key.iter().map(|c| key_json(row.get(*c))).collect();
            by_key.entry(k.join("\u{1}")).or_default().push(row);
        }
        let mut ids = Vec::with_capacity(desired.len());
        let mut inserts: Vec<(usize, Row)> = Vec::new();
        for (i, row) in desired.into_iter().enumerate() {
            let k: Vec<String> = self
                .key
                .iter()
                .map(|c| row.iter().find(|(n, _)| n == c).map(|(_, v)| key_val(v)).unwrap_or_else(|| "n".into()))
                .collect();
            match by_key.get_mut(&k.join("\u{1}")).and_then(Vec::pop) {
                Some(old) => {
                    let id = old["id"].as_i64().unwrap_or(0);
                    let changed: Row = row.into_iter().filter(|(c, v)| !rows::same(old.get(*c), v)).collect();
                    if !changed.is_empty() {
                        rows::update_row(conn, self.table, id, &changed)?;
                        counts.updated += 1;
                    }
                    ids.push(id);
                }
                None => {
                    ids.push(0);
                    inserts.push((i, row));
                }
            }
        }
        let stale: Vec<i64> = by_key.into_values().flatten().filter_map(|r| r["id"].as_i64()).collect();
        counts.removed = stale.len();
        rows::delete_ids(conn, self.table, &stale)?;
        counts.added = inserts.len();
        let with_owner = |row: Row| -> Row {
            let mut full = row;
            full.extend(self.owner.iter().cloned());
            full.push(("is_dynamic", Val::Int(1)));
            full
        };
        if need_ids {
            for (i, row) in inserts {
                ids[i] = rows::insert_returning(conn, self.table, &with_owner(row))?;
            }
        } else if !inserts.is_empty() {
            let full: Vec<Row> = inserts.into_iter().map(|(_, r)| with_owner(r)).collect();
            let names: Vec<&'static str> = full[0].iter().map(|(c, _)| *c).collect();
            let values: Vec<Vec<Val>> = full.into_iter().map(|r| r.into_iter().map(|(_, v)| v).collect()).collect();
            rows::insert_many(conn, self.table, &names, &values)?;
        }
        counts.total = ids.len();
        Ok((ids, counts))
    }
}

/// Row counts of several sections in one round trip (each count is tagged with its
/// position, as UNION ALL does not promise an order).
pub fn count_many(conn: &mut DbConn, specs: &[Spec]) -> Result<Vec<i64>> {
    if specs.is_empty() {
        return Ok(Vec::new());
    }
    const SHIFT: i64 = 1 << 32;
    let mut sql = Sql::new(conn.backend());
    for (i, spec) in specs.iter().enumerate() {
        if i > 0 {
            sql.push(" UNION ALL ");
        }
        sql.push("SELECT CAST(").bind(i as i64 * SHIFT).push(" AS BIGINT) + COUNT(*) AS n FROM ").ident(spec.table);
        sql.push(" t");
        spec.push_owner(&mut sql);
    }
    let mut out = vec![0; specs.len()];
    for packed in sql.load_ints(conn)? {
        if let Some(slot) = out.get_mut((packed / SHIFT) as usize) {
            *slot = packed % SHIFT;
        }
    }
    Ok(out)
}
