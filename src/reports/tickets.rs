//! Tickets report over a period, by group and ITIL category: opened, solved, backlog and its
//! age, and the median / p90 time to take into account and to solve.

use super::{collect, def, group_clause, labels, percentile, push_group_join, txt, GroupBy, Period, Report};
use crate::access;
use crate::auth::session::Session;
use crate::db::sql::Sql;
use crate::db::DbConn;
use crate::itemtypes::{store, FieldType};
use std::collections::BTreeMap;

fn base(c: &DbConn, s: &Session, g: GroupBy, select: &str, cond: impl FnOnce(&mut Sql)) -> Sql {
    let mut sql = Sql::new(c.backend());
    sql.push("SELECT ")
        .push(g.key_sql())
        .push(" || '\u{1f}' || COALESCE(cat.\"completename\", '(none)') || '\u{1f}' || ")
        .push(select);
    sql.push(" AS s FROM \"tickets\" t");
    push_group_join(&mut sql, "t");
    sql.push(" LEFT JOIN \"itilcategories\" cat ON cat.\"id\" = t.\"itilcategories_id\" WHERE t.\"is_deleted\" = 0");
    cond(&mut sql);
    access::push_scope(&mut sql, s, def("Ticket"), "t");
    sql
}

fn dt(sql: &mut Sql, v: &str) {
    store::push_value(sql, FieldType::DateTime, v.to_string().into());
}

pub fn tickets(c: &mut DbConn, s: &Session, g: GroupBy, p: &Period) -> diesel::QueryResult<Report> {
    let mut r = Report::new("tickets", g, Some(p));
    let (from, to) = p.bounds();
    let group = group_clause(g, &["cat.\"completename\""]);
    let count = txt("COUNT(*)");
    let mut sql = base(c, s, g, &count, |q| {
        q.push(" AND t.\"date\" >= ");
        dt(q, &from);
        q.push(" AND t.\"date\" < ");
        dt(q, &to);
    });
    sql.push(&group);
    collect(c, &sql, &mut r, "opened")?;
    let mut sql = base(c, s, g, &count, |q| {
        q.push(" AND t.\"solvedate\" >= ");
        dt(q, &from);
        q.push(" AND t.\"solvedate\" < ");
        dt(q, &to);
    });
    sql.push(&group);
    collect(c, &sql, &mut r, "solved")?;
    // Backlog at the end of the period (opened before it, not solved by then), by age today.
    // One row per ticket, counted here: the bucket needs bound dates in the select list.
    let now = store::now();
    let age_of =
        |d: i64| (chrono::Utc::now().naive_utc() - chrono::Duration::days(d)).format("%Y-%m-%d %H:%M:%S").to_string();
    let mut sql = Sql::new(c.backend());
    sql.push("SELECT ").push(g.key_sql()).push(" || '\u{1f}' || CASE WHEN t.\"date\" >= ");
    dt(&mut sql, &age_of(7));
    sql.push(" THEN '<7d' WHEN t.\"date\" >= ");
    dt(&mut sql, &age_of(30));
    sql.push(" THEN '7-30d' WHEN t.\"date\" >= ");
    dt(&mut sql, &age_of(90));
    sql.push(" THEN '30-90d' ELSE '>90d' END AS s FROM \"tickets\" t");
    push_group_join(&mut sql, "t");
    sql.push(" WHERE t.\"is_deleted\" = 0 AND t.\"date\" < ");
    dt(&mut sql, if to < now { &to } else { &now });
    sql.push(" AND (t.\"solvedate\" IS NULL OR t.\"solvedate\" >= ");
    dt(&mut sql, &to);
    sql.push(") AND t.\"status\" NOT IN (5, 6)");
    access::push_scope(&mut sql, s, def("Ticket"), "t");
    let mut counts: BTreeMap<(String, String), f64> = BTreeMap::new();
    for row in sql.load_strings(c)? {
        if let Some((g, b)) = row.split_once('\u{1f}') {
            *counts.entry((g.to_string(), b.to_string())).or_default() += 1.0;
        }
    }
    for ((g, b), n) in counts {
        r.push(&g, "backlog_by_age", &b, n);
    }
    // Delays of tickets opened in the period: median and p90, per group and category.
    let sql = base(
        c,
        s,
        g,
        &format!("{} || '\u{1f}' || {}", txt("t.\"takeintoaccount_delay_stat\""), txt("t.\"solve_delay_stat\"")),
        |q| {
            q.push(" AND t.\"date\" >= ");
            dt(q, &from);
            q.push(" AND t.\"date\" < ");
            dt(q, &to);
        },
    );
    let mut delays: BTreeMap<(String, String), (Vec<i64>, Vec<i64>)> = BTreeMap::new();
    for row in sql.load_strings(c)? {
        let parts: Vec<&str> = row.split('\u{1f}').collect();
        if parts.len() < 4 {
            continue;
        }
        let e = delays.entry((parts[0].to_string(), parts[1].to_string())).or_default();
        let (take, solve): (i64, i64) = (parts[2].parse().unwrap_or(0), parts[3].parse().unwrap_or(0));
        if take > 0 {
            e.0.push(take);
        }
        if solve > 0 {
            e.1.push(solve);
        }
    }
    for ((g, cat), (mut take, mut solve)) in delays {
        take.sort_unstable();
        solve.sort_unstable();
        r.push(&g, "take_into_account_median_s", &cat, percentile(&take, 50.0));
        r.push(&g, "take_into_account_p90_s", &cat, percentile(&take, 90.0));
        r.push(&g, "solve_median_s", &cat, percentile(&solve, 50.0));
        r.push(&g, "solve_p90_s", &cat, percentile(&solve, 90.0));
    }
    labels(c, g, &mut r)?;
    Ok(r)
}
