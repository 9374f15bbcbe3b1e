//! Interventions report over a period: hours on site and travelling per agent and per
//! group, visits per group, tickets closed per visit.

use super::{def, labels, push_group_join, seconds_between, txt, GroupBy, Period, Report};
use crate::access;
use crate::auth::session::Session;
use crate::db::sql::Sql;
use crate::db::DbConn;
use crate::itemtypes::{store, FieldType};
use std::collections::BTreeMap;

pub fn interventions(c: &mut DbConn, s: &Session, g: GroupBy, p: &Period) -> diesel::QueryResult<Report> {
    let mut r = Report::new("interventions", g, Some(p));
    let (from, to) = p.bounds();
    let on_site = seconds_between(c.backend(), "t.\"date_begin\"", "t.\"date_end\"");
    // One row per visit: group, agent, seconds on site, travel, tickets of it now closed.
    let mut sql = Sql::new(c.backend());
    sql.push("SELECT ")
        .push(g.key_sql())
        .push(" || '\u{1f}' || COALESCE(u.\"name\", ")
        .push(&txt("t.\"users_id\""))
        .push(")");
    sql.push(" || '\u{1f}' || ").push(&txt(&on_site)).push(" || '\u{1f}' || ").push(&txt("t.\"travel_duration\""));
    sql.push(" || '\u{1f}' || ").push(&txt(
        "(SELECT COUNT(*) FROM \"plugin_optic_interventions_tickets\" it JOIN \"tickets\" tk ON tk.\"id\" = it.\"tickets_id\" \
          WHERE it.\"plugin_optic_interventions_id\" = t.\"id\" AND tk.\"status\" IN (5, 6))",
    ));
    sql.push(" AS s FROM \"plugin_optic_interventions\" t");
    push_group_join(&mut sql, "t");
    sql.push(" LEFT JOIN \"users\" u ON u.\"id\" = t.\"users_id\" WHERE t.\"status\" = 1 AND t.\"date_begin\" >= ");
    store::push_value(&mut sql, FieldType::DateTime, from.into());
    sql.push(" AND t.\"date_begin\" < ");
    store::push_value(&mut sql, FieldType::DateTime, to.into());
    access::push_scope(&mut sql, s, def("PluginOpticIntervention"), "t");
    #[derive(Default)]
    struct Acc {
        visits: f64,
        site: f64,
        travel: f64,
        closed: f64,
    }
    let mut by_group: BTreeMap<String, Acc> = BTreeMap::new();
    let mut by_agent: BTreeMap<(String, String), Acc> = BTreeMap::new();
    for row in sql.load_strings(c)? {
        let p: Vec<&str> = row.split('\u{1f}').collect();
        if p.len() < 5 {
            continue;
        }
        let (site, travel, closed): (f64, f64, f64) =
            (p[2].parse().unwrap_or(0.0), p[3].parse().unwrap_or(0.0), p[4].parse().unwrap_or(0.0));
        for acc in [
            by_group.entry(p[0].to_string()).or_default(),
            by_agent.entry((p[0].to_string(), p[1].to_string())).or_default(),
        ] {
            acc.visits += 1.0;
            acc.site += site;
            acc.travel += travel;
            acc.closed += closed;
        }
    }
    let hours = |sec: f64| (sec / 36.0).round() / 100.0;
    for (g, a) in &by_group {
        r.push(g, "visits", "", a.visits);
        r.push(g, "hours_on_site", "", hours(a.site));
        r.push(g, "hours_travelling", "", hours(a.travel));
        r.push(
            g,
            "tickets_closed_per_visit",
            "",
            if a.visits > 0.0 { (a.closed / a.visits * 100.0).round() / 100.0 } else { 0.0 },
        );
    }
    for ((g, agent), a) in &by_agent {
        r.push(g, "agent_visits", agent, a.visits);
        r.push(g, "agent_hours_on_site", agent, hours(a.site));
        r.push(g, "agent_hours_travelling", agent, hours(a.travel));
    }
    labels(c, g, &mut r)?;
    Ok(r)
}
