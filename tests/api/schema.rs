//! The generated migrations (`tools/gen_items_sql.py`) against the declarations in
//! `src/itemtypes/defs.rs`: after migrating, every declared itemtype's table has exactly
//! the declared columns (plus Parc's `guid`), in order, with the declared type family and
//! nullability. Read from the live schema of the backend under test.

use crate::helpers::TestDb;
use parc::db::sql::Sql;
use parc::db::Backend;
use parc::itemtypes::{FieldType, ALL};

/// `name|type|notnull` per column of a table, in table order.
fn live_columns(c: &mut parc::db::DbConn, table: &str) -> Vec<String> {
    let mut q = Sql::new(c.backend());
    if c.backend() == Backend::Postgres {
        q.push(
            "SELECT column_name || '|' || data_type || '|' || CASE WHEN is_nullable = 'NO' THEN '1' ELSE '0' END AS s \
             FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ",
        )
        .bind(table)
        .push(" ORDER BY ordinal_position");
    } else {
        // An INTEGER PRIMARY KEY is reported nullable by SQLite; it cannot hold NULL.
        q.push("SELECT name || '|' || type || '|' || CASE WHEN \"notnull\" = 1 OR pk = 1 THEN '1' ELSE '0' END AS s FROM pragma_table_info(")
            .bind(table)
            .push(") ORDER BY cid");
    }
    q.load_strings(c).unwrap()
}

fn sql_type(backend: Backend, ty: FieldType) -> &'static str {
    match (backend, ty) {
        (Backend::Sqlite, FieldType::Int) => "INTEGER",
        (Backend::Sqlite, FieldType::Num) => "REAL",
        (Backend::Sqlite, _) => "TEXT",
        (Backend::Postgres, FieldType::Int) => "integer",
        (Backend::Postgres, FieldType::Str | FieldType::Dec) => "text",
        (Backend::Postgres, FieldType::DateTime) => "timestamp without time zone",
        (Backend::Postgres, FieldType::Date) => "date",
        (Backend::Postgres, FieldType::Num) => "double precision",
    }
}

#[test]
fn migrated_tables_match_the_itemtype_declarations() {
    let db = TestDb::new();
    let pool = parc::db::Db::open(&db.url, 1).expect("open and migrate");
    let mut c = pool.pool.get().unwrap();
    let backend = c.backend();
    let text = sql_type(backend, FieldType::Str);
    let mut problems = Vec::new();
    for def in ALL {
        let mut want: Vec<String> = Vec::new();
        for f in def.columns() {
            want.push(format!("{}|{}|{}", f.name, sql_type(backend, f.ty), if f.nullable { 0 } else { 1 }));
            if f.name == "id" {
                want.push(format!("guid|{text}|1"));
            }
        }
        let got = live_columns(&mut c, def.table);
        if got != want {
            let missing: Vec<_> = want.iter().filter(|w| !got.contains(w)).collect();
            let extra: Vec<_> = got.iter().filter(|g| !want.contains(g)).collect();
            problems.push(format!(
                "{} ({}): declared but not live {missing:?}, live but not declared {extra:?}, or out of order",
                def.name, def.table
            ));
        }
    }
    assert!(problems.is_empty(), "{:?} schema differs from defs.rs:\n{}", backend, problems.join("\n"));
}
