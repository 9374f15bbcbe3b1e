//! The full-fleet computer export, streamed page by page (keyset pagination on id), so
//! the server's memory stays flat whatever the fleet size.

use crate::access;
use crate::auth::session::Session;
use crate::db::sql::Sql;
use crate::db::DbConn;
use crate::itemtypes::store::{self, Projected};
use crate::itemtypes::FieldType;
use serde_json::Value;

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub uai: Option<String>,
    pub departement: Option<String>,
    pub academie: Option<String>,
}

pub const PAGE: i64 = 2000;

/// Exported columns: (key, SQL expression, type).
const COLUMNS: &[(&str, &str, FieldType)] = &[
    ("id", "t.\"id\"", FieldType::Int),
    ("name", "t.\"name\"", FieldType::Str),
    ("serial", "t.\"serial\"", FieldType::Str),
    ("inventory_number", "t.\"otherserial\"", FieldType::Str),
    ("uai", "e.\"uai\"", FieldType::Str),
    ("establishment", "e.\"name\"", FieldType::Str),
    ("departement", "e.\"departement\"", FieldType::Str),
    ("academie", "e.\"academie\"", FieldType::Str),
    ("manufacturer", "m.\"name\"", FieldType::Str),
    ("model", "mo.\"name\"", FieldType::Str),
    ("type", "ty.\"name\"", FieldType::Str),
    ("state", "st.\"completename\"", FieldType::Str),
    ("location", "lo.\"completename\"", FieldType::Str),
    ("os", "(SELECT os.\"name\" FROM \"items_operatingsystems\" io JOIN \"operatingsystems\" os ON os.\"id\" = io.\"operatingsystems_id\" WHERE io.\"itemtype\" = 'Computer' AND io.\"items_id\" = t.\"id\" ORDER BY io.\"id\" LIMIT 1)", FieldType::Str),
    ("last_inventory_update", "t.\"last_inventory_update\"", FieldType::DateTime),
    ("buy_date", "(SELECT ic.\"buy_date\" FROM \"infocoms\" ic WHERE ic.\"itemtype\" = 'Computer' AND ic.\"items_id\" = t.\"id\" LIMIT 1)", FieldType::Date),
];

pub fn header_csv() -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let _ = w.write_record(COLUMNS.iter().map(|(k, _, _)| *k));
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// One page of computers with id > `after`, as JSON objects.
pub fn page(c: &mut DbConn, s: &Session, f: &Filter, after: i64) -> diesel::QueryResult<Vec<Value>> {
    let cols: Vec<Projected> =
        COLUMNS.iter().map(|(k, e, ty)| Projected { key: k, alias: "", column: e, ty: *ty }).collect();
    let mut sql = Sql::new(c.backend());
    store::select_json(&mut sql, &cols, |q| {
        q.push("\"computers\" t");
        super::push_group_join(q, "t");
        q.push(
            " LEFT JOIN \"manufacturers\" m ON m.\"id\" = t.\"manufacturers_id\" LEFT JOIN \"computermodels\" mo ON mo.\"id\" = t.\"computermodels_id\" \
              LEFT JOIN \"computertypes\" ty ON ty.\"id\" = t.\"computertypes_id\" LEFT JOIN \"states\" st ON st.\"id\" = t.\"states_id\" \
              LEFT JOIN \"locations\" lo ON lo.\"id\" = t.\"locations_id\"",
        );
        q.push(" WHERE t.\"is_deleted\" = 0 AND t.\"is_template\" = 0 AND t.\"id\" > ").bind(after);
        if let Some(u) = &f.uai {
            q.push(" AND e.\"uai\" = ").bind(u.as_str());
        }
        if let Some(d) = &f.departement {
            q.push(" AND e.\"departement\" = ").bind(d.as_str());
        }
        if let Some(a) = &f.academie {
            q.push(" AND (e.\"academie\" = ")
                .bind(a.as_str())
                .push(" OR e.\"academie_code\" = ")
                .bind(a.as_str())
                .push(")");
        }
        access::push_scope(q, s, super::def("Computer"), "t");
        q.push(" ORDER BY t.\"id\" LIMIT ").bind(PAGE);
    });
    sql.load_json(c)
}

pub fn csv_lines(rows: &[Value]) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    for r in rows {
        let rec: Vec<String> = COLUMNS
            .iter()
            .map(|(k, _, _)| match &r[*k] {
                Value::Null => String::new(),
                Value::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect();
        let _ = w.write_record(&rec);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

pub fn ndjson_lines(rows: &[Value]) -> String {
    let mut out = String::new();
    for r in rows {
        out.push_str(&r.to_string());
        out.push('\n');
    }
    out
}
