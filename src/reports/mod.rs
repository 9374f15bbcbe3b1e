//! Regional reports: inventory, tickets and interventions, grouped by establishment,
//! département, académie or the whole region, scoped by the caller's rights. Each report is
//! a list of `(group, metric, dimension, value)` rows, so JSON, CSV and XLSX come from one
//! shape. Plus the full-fleet computer export, streamed in constant memory.

pub mod export;
pub mod format;
mod interventions;
mod inventory;
mod tickets;

use crate::access::{self, Op};
use crate::auth::session::Session;
use crate::db::sql::Sql;
use crate::db::{Backend, DbConn};
use crate::itemtypes::{self, ItemTypeDef};
use chrono::NaiveDate;
use serde::Serialize;
use std::collections::BTreeMap;

pub use interventions::interventions;
pub use inventory::inventory;
pub use tickets::tickets;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupBy {
    Establishment,
    Departement,
    Academie,
    Region,
}

impl GroupBy {
    pub fn parse(s: Option<&str>) -> Result<GroupBy, String> {
        Ok(match s.unwrap_or("establishment") {
            "establishment" => GroupBy::Establishment,
            "departement" => GroupBy::Departement,
            "academie" => GroupBy::Academie,
            "region" => GroupBy::Region,
            other => {
                return Err(format!(
                    "unknown group_by '{}': expected establishment, departement, academie or region",
                    other.chars().take(30).collect::<String>()
                ))
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Establishment => "establishment",
            GroupBy::Departement => "departement",
            GroupBy::Academie => "academie",
            GroupBy::Region => "region",
        }
    }

    /// SQL for the group key of rows whose entity is `alias."entities_id"`; needs
    /// [`push_group_join`]. Rows outside any establishment fall in "(none)".
    fn key_sql(self) -> &'static str {
        match self {
            GroupBy::Establishment => "COALESCE(e.\"uai\", '(none)')",
            GroupBy::Departement => "COALESCE(e.\"departement\", '(none)')",
            GroupBy::Academie => "COALESCE(e.\"academie\", '(none)')",
            GroupBy::Region => "'region'",
        }
    }
}

/// ` GROUP BY …` over the group key and dimensions, leaving out constants (PostgreSQL
/// refuses a string constant in GROUP BY); empty when everything is constant.
fn group_clause(g: GroupBy, dims: &[&str]) -> String {
    let parts: Vec<&str> =
        std::iter::once(g.key_sql()).chain(dims.iter().copied()).filter(|p| !p.starts_with('\'')).collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(" GROUP BY {}", parts.join(", "))
    }
}

pub fn push_group_join(sql: &mut Sql, alias: &str) {
    sql.push(" LEFT JOIN \"establishments\" e ON e.\"entities_id\" = ").push(alias).push(".\"entities_id\"");
}

/// A reporting period [from, to), at most five years.
#[derive(Debug, Clone)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn parse(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> Result<Period, String> {
        let date = |s: &str| {
            NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d")
                .map_err(|_| format!("bad date '{}': expected YYYY-MM-DD", s.chars().take(20).collect::<String>()))
        };
        let to = to.map(date).transpose()?.unwrap_or(today + chrono::Duration::days(1));
        let from = from.map(date).transpose()?.unwrap_or(to - chrono::Duration::days(365));
        if from >= to {
            return Err("from must be before to".into());
        }
        if (to - from).num_days() > 5 * 366 {
            return Err("the period may not exceed 5 years".into());
        }
        Ok(Period { from, to })
    }

    pub fn bounds(&self) -> (String, String) {
        (format!("{} 00:00:00", self.from), format!("{} 00:00:00", self.to))
    }
}

/// One cell of a report.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Row {
    pub group: String,
    pub metric: String,
    pub dimension: String,
    pub value: f64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub report: String,
    pub group_by: String,
    pub generated_at: String,
    pub from: Option<String>,
    pub to: Option<String>,
    /// Group key -> label (establishment name, département, académie).
    pub groups: BTreeMap<String, String>,
    pub rows: Vec<Row>,
}

impl Report {
    fn new(name: &str, group_by: GroupBy, period: Option<&Period>) -> Report {
        Report {
            report: name.into(),
            group_by: group_by.as_str().into(),
            generated_at: crate::itemtypes::store::now(),
            from: period.map(|p| p.from.to_string()),
            to: period.map(|p| p.to.to_string()),
            groups: BTreeMap::new(),
            rows: Vec::new(),
        }
    }

    fn push(&mut self, group: &str, metric: &str, dimension: &str, value: f64) {
        self.rows.push(Row { group: group.into(), metric: metric.into(), dimension: dimension.into(), value });
    }
}

pub(crate) fn def(name: &str) -> &'static ItemTypeDef {
    itemtypes::find(name).expect("declared itemtype")
}

/// Refuse a report on data the caller cannot read at all.
pub fn check_read(s: &Session, itemtype: &str) -> Result<(), String> {
    if access::type_allows(&s.rights, def(itemtype), Op::Read) {
        Ok(())
    } else {
        Err(format!("missing read right on {itemtype}"))
    }
}

/// Labels of the groups seen in a report.
fn labels(c: &mut DbConn, group_by: GroupBy, report: &mut Report) -> diesel::QueryResult<()> {
    let mut sql = Sql::new(c.backend());
    let (key, label) = match group_by {
        GroupBy::Establishment => ("\"uai\"", "\"name\""),
        GroupBy::Departement => ("\"departement\"", "\"departement\""),
        GroupBy::Academie => ("\"academie\"", "\"academie\""),
        GroupBy::Region => {
            report.groups.insert("region".into(), "Région".into());
            return Ok(());
        }
    };
    sql.push("SELECT DISTINCT ")
        .push(key)
        .push(" || '\u{1f}' || COALESCE(")
        .push(label)
        .push(", '') AS s FROM \"establishments\"");
    for s in sql.load_strings(c)? {
        if let Some((k, l)) = s.split_once('\u{1f}') {
            if report.rows.iter().any(|r| r.group == k) {
                report.groups.insert(k.into(), l.into());
            }
        }
    }
    if report.rows.iter().any(|r| r.group == "(none)") {
        report.groups.insert("(none)".into(), "Hors établissement".into());
    }
    Ok(())
}

/// Seconds between two timestamp columns, per backend.
fn seconds_between(backend: Backend, a: &str, b: &str) -> String {
    match backend {
        Backend::Sqlite => format!("CAST((julianday({b}) - julianday({a})) * 86400 AS INTEGER)"),
        Backend::Postgres => format!("CAST(EXTRACT(EPOCH FROM ({b} - {a})) AS BIGINT)"),
    }
}

/// Run `SELECT key || SEP || dim || SEP || value` and add the rows under `metric`.
fn collect(c: &mut DbConn, sql: &Sql, report: &mut Report, metric: &str) -> diesel::QueryResult<()> {
    push_lines(report, metric, sql.load_strings(c)?);
    Ok(())
}

/// Add `group SEP dimension SEP value` lines to the report under `metric`.
fn push_lines(report: &mut Report, metric: &str, lines: Vec<String>) {
    for s in lines {
        let mut parts = s.splitn(3, '\u{1f}');
        let (Some(g), Some(d), Some(v)) = (parts.next(), parts.next(), parts.next()) else { continue };
        report.push(g, metric, d, v.parse().unwrap_or(0.0));
    }
}

/// Run independent report queries, each giving `group SEP dimension SEP value` rows, on
/// `c` and on up to three more pooled connections at once (a regional report is a dozen
/// grouped scans of the fleet; the machine's cores then share them), and add their rows
/// to the report in the order of `plan`.
fn collect_parallel(
    c: &mut DbConn,
    pool: Option<&crate::db::Pool>,
    plan: Vec<(&'static str, Sql)>,
    report: &mut Report,
) -> diesel::QueryResult<()> {
    let cores = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let helpers: Vec<_> = match pool {
        Some(p) if plan.len() > 1 => (1..cores.min(4)).filter_map(|_| p.try_get()).collect(),
        _ => Vec::new(),
    };
    let lanes = helpers.len() + 1;
    // Query i runs on lane i % lanes; results come back in plan order.
    let mut results: Vec<Option<diesel::QueryResult<Vec<String>>>> = (0..plan.len()).map(|_| None).collect();
    std::thread::scope(|scope| {
        let plan = &plan;
        let handles: Vec<_> = helpers
            .into_iter()
            .enumerate()
            .map(|(h, mut conn)| {
                scope.spawn(move || {
                    plan.iter()
                        .enumerate()
                        .filter(|(i, _)| i % lanes == h + 1)
                        .map(|(i, (_, sql))| (i, sql.load_strings(&mut conn)))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for (i, (_, sql)) in plan.iter().enumerate().filter(|(i, _)| i % lanes == 0) {
            results[i] = Some(sql.load_strings(c));
        }
        for h in handles {
            for (i, r) in h.join().unwrap_or_default() {
                results[i] = Some(r);
            }
        }
    });
    for ((metric, sql), result) in plan.iter().zip(results) {
        // A lane that panicked left its queries unrun: run them here.
        let lines = match result {
            Some(r) => r?,
            None => sql.load_strings(c)?,
        };
        push_lines(report, metric, lines);
    }
    Ok(())
}

/// `CAST(x AS TEXT)` on both backends, for concatenation.
fn txt(x: &str) -> String {
    format!("CAST({x} AS TEXT)")
}

/// p-th percentile (0..=100) of sorted values, nearest-rank.
fn percentile(sorted: &[i64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil().max(1.0) as usize;
    sorted[rank.min(sorted.len()) - 1] as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_and_percentiles() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap();
        assert!(Period::parse(Some("2020-01-01"), Some("2026-01-01"), today).is_err());
        assert!(Period::parse(Some("2026-01-02"), Some("2026-01-01"), today).is_err());
        assert!(Period::parse(Some("2026-13-01"), None, today).is_err());
        let p = Period::parse(None, None, today).unwrap();
        assert_eq!(p.to.to_string(), "2026-11-29");
        assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 50.0), 5.0);
        assert_eq!(percentile(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 90.0), 9.0);
        assert!(GroupBy::parse(Some("planet")).is_err());
    }
}
