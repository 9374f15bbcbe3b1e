//! Inventory report: assets by type, computers by manufacturer/model and by OS/version
//! (Windows 10 end of support), age buckets, warranty state, silent agents.

use super::{collect_parallel, def, group_clause, labels, push_group_join, txt, GroupBy, Report};
use crate::access;
use crate::auth::session::Session;
use crate::db::sql::Sql;
use crate::db::{Backend, DbConn};

const ASSETS: &[&str] = &["Computer", "Monitor", "Peripheral", "Printer", "NetworkEquipment", "Phone"];

/// `SELECT <key> SEP <dim> SEP COUNT(*) FROM <table> t [join] WHERE live <scope> GROUP BY 1` helper.
fn grouped(c: &mut DbConn, s: &Session, g: GroupBy, itemtype: &str, dim: &str, joins: &str, extra_where: &str) -> Sql {
    let d = def(itemtype);
    let mut sql = Sql::new(c.backend());
    sql.push("SELECT ")
        .push(g.key_sql())
        .push(" || '\u{1f}' || ")
        .push(&txt(dim))
        .push(" || '\u{1f}' || ")
        .push(&txt("COUNT(*)"));
    sql.push(" AS s FROM ").ident(d.table).push(" t");
    push_group_join(&mut sql, "t");
    sql.push(joins).push(" WHERE t.\"is_deleted\" = 0");
    if d.has("is_template") {
        sql.push(" AND t.\"is_template\" = 0");
    }
    sql.push(extra_where);
    access::push_scope(&mut sql, s, d, "t");
    sql.push(&group_clause(g, &[dim]));
    sql
}

pub fn inventory(
    c: &mut DbConn,
    pool: Option<&crate::db::Pool>,
    s: &Session,
    g: GroupBy,
) -> diesel::QueryResult<Report> {
    let mut r = Report::new("inventory", g, None);
    let backend = c.backend();
    let mut plan: Vec<(&'static str, Sql)> = Vec::new();
    for it in ASSETS {
        if !access::type_allows(&s.rights, def(it), access::Op::Read) {
            continue;
        }
        let sql = grouped(c, s, g, it, &format!("'{it}'"), "", "");
        plan.push(("assets_by_type", sql));
    }
    let mm = "COALESCE(m.\"name\", '(unknown)') || ' / ' || COALESCE(mo.\"name\", '(unknown)')";
    let sql = grouped(
        c,
        s,
        g,
        "Computer",
        mm,
        " LEFT JOIN \"manufacturers\" m ON m.\"id\" = t.\"manufacturers_id\" LEFT JOIN \"computermodels\" mo ON mo.\"id\" = t.\"computermodels_id\"",
        "",
    );
    plan.push(("computers_by_manufacturer_model", sql));
    let os = "COALESCE(os.\"name\", '(unknown)') || ' ' || COALESCE(ov.\"name\", '')";
    let os_join = " LEFT JOIN \"items_operatingsystems\" io ON io.\"itemtype\" = 'Computer' AND io.\"items_id\" = t.\"id\" AND io.\"is_deleted\" = 0 \
                   LEFT JOIN \"operatingsystems\" os ON os.\"id\" = io.\"operatingsystems_id\" \
                   LEFT JOIN \"operatingsystemversions\" ov ON ov.\"id\" = io.\"operatingsystemversions_id\"";
    let sql = grouped(c, s, g, "Computer", os, os_join, "");
    plan.push(("computers_by_os", sql));
    let sql = grouped(c, s, g, "Computer", "'Windows 10'", os_join, " AND os.\"name\" LIKE 'Windows 10%'");
    plan.push(("windows10_end_of_support", sql));

    // Age from the purchase date, else the first inventory (row creation).
    let today = chrono::Utc::now().date_naive();
    let years = |n: i64| (today - chrono::Duration::days(365 * n)).to_string();
    let since = match backend {
        Backend::Sqlite => "COALESCE(ic.\"buy_date\", substr(t.\"date_creation\", 1, 10))".to_string(),
        Backend::Postgres => "COALESCE(ic.\"buy_date\", CAST(t.\"date_creation\" AS DATE))".to_string(),
    };
    let lit = |d: String| match backend {
        Backend::Sqlite => format!("'{d}'"),
        Backend::Postgres => format!("DATE '{d}'"),
    };
    let age = format!(
        "CASE WHEN {since} IS NULL THEN 'unknown' WHEN {since} > {} THEN '<1y' WHEN {since} > {} THEN '1-3y' WHEN {since} > {} THEN '3-5y' WHEN {since} > {} THEN '5-7y' ELSE '>7y' END",
        lit(years(1)),
        lit(years(3)),
        lit(years(5)),
        lit(years(7))
    );
    let ic_join = " LEFT JOIN \"infocoms\" ic ON ic.\"itemtype\" = 'Computer' AND ic.\"items_id\" = t.\"id\"";
    let sql = grouped(c, s, g, "Computer", &age, ic_join, "");
    plan.push(("computers_by_age", sql));

    // Warranty end = warranty start + duration (months); -1 means lifetime.
    let end = match backend {
        Backend::Sqlite => "date(ic.\"warranty_date\", '+' || ic.\"warranty_duration\" || ' months')".to_string(),
        Backend::Postgres => "(ic.\"warranty_date\" + make_interval(months => ic.\"warranty_duration\"))".to_string(),
    };
    let soon = (today + chrono::Duration::days(90)).to_string();
    let warranty = format!(
        "CASE WHEN ic.\"warranty_duration\" = -1 THEN 'in_warranty' WHEN ic.\"warranty_date\" IS NULL OR ic.\"warranty_duration\" = 0 THEN 'unknown' \
         WHEN {end} < {} THEN 'expired' WHEN {end} < {} THEN 'ending_90d' ELSE 'in_warranty' END",
        lit(today.to_string()),
        lit(soon)
    );
    let sql = grouped(c, s, g, "Computer", &warranty, ic_join, "");
    plan.push(("computers_by_warranty", sql));

    // Agents not seen for 30 days (inventory agents of visible computers).
    let cutoff = (chrono::Utc::now().naive_utc() - chrono::Duration::days(30)).format("%Y-%m-%d %H:%M:%S").to_string();
    let mut sql = Sql::new(backend);
    sql.push("SELECT ").push(g.key_sql()).push(" || '\u{1f}' || 'agents' || '\u{1f}' || ").push(&txt("COUNT(*)"));
    sql.push(
        " AS s FROM \"agents\" a JOIN \"computers\" t ON a.\"itemtype\" = 'Computer' AND a.\"items_id\" = t.\"id\"",
    );
    push_group_join(&mut sql, "t");
    sql.push(" WHERE t.\"is_deleted\" = 0 AND (a.\"last_contact\" IS NULL OR a.\"last_contact\" < ");
    crate::itemtypes::store::push_value(&mut sql, crate::itemtypes::FieldType::DateTime, cutoff.into());
    sql.push(")");
    access::push_scope(&mut sql, s, def("Computer"), "t");
    sql.push(&group_clause(g, &[]));
    plan.push(("agents_silent_30d", sql));
    collect_parallel(c, pool, plan, &mut r)?;
    labels(c, g, &mut r)?;
    Ok(r)
}
