//! Where generated rows go: straight into the database in bulk, or through a live
//! server's GLPI API. Both return the ids of the rows they created, in order.

use crate::db::sql::{Sql, Val};
use crate::db::{Backend, DbConn};
use crate::itemtypes::{self, store, ItemTypeDef};
use serde_json::{Map, Value};

pub struct Establishment {
    pub uai: String,
    pub entities_id: i64,
    pub name: String,
    pub departement: String,
    pub academie: String,
    pub town: String,
}

pub trait Sink {
    fn insert(&mut self, itemtype: &str, rows: Vec<Map<String, Value>>) -> anyhow::Result<Vec<i64>>;
    /// Directory rows of the generated lycées (UAI, entity, name, département, académie).
    /// Through the API this is the directory sync's job, so the default does nothing.
    fn establishments(&mut self, _rows: &[Establishment]) -> anyhow::Result<()> {
        Ok(())
    }
    /// Called once at the end (sequences, statistics).
    fn finish(&mut self) -> anyhow::Result<()> {
        Ok(())
    }
}

/// Bulk multi-row INSERTs with explicit ids, in one transaction per batch. Rows are
/// validated against the declarations like any other write. Demo data is a system load:
/// it does not write the change log row by row.
pub struct DbSink<'a> {
    pub conn: &'a mut DbConn,
    touched: Vec<&'static ItemTypeDef>,
}

impl<'a> DbSink<'a> {
    pub fn new(conn: &'a mut DbConn) -> Self {
        DbSink { conn, touched: Vec::new() }
    }

    fn next_id(&mut self, def: &ItemTypeDef) -> anyhow::Result<i64> {
        let mut sql = Sql::new(self.conn.backend());
        sql.push("SELECT CAST(COALESCE(MAX(\"id\"), 0) AS BIGINT) AS n FROM ").ident(def.table);
        Ok(sql.load_ints(self.conn)?.first().copied().unwrap_or(0) + 1)
    }
}

impl Sink for DbSink<'_> {
    fn insert(&mut self, itemtype: &str, rows: Vec<Map<String, Value>>) -> anyhow::Result<Vec<i64>> {
        use diesel::Connection;
        let def = itemtypes::find(itemtype).ok_or_else(|| anyhow::anyhow!("unknown itemtype {itemtype}"))?;
        if rows.is_empty() {
            return Ok(vec![]);
        }
        if !self.touched.iter().any(|d| d.name == def.name) {
            self.touched.push(def);
        }
        let first = self.next_id(def)?;
        let ids: Vec<i64> = (first..first + rows.len() as i64).collect();
        // Same columns for every row of a batch: the union, missing ones take defaults.
        let mut cols: Vec<&'static itemtypes::Field> = Vec::new();
        for r in &rows {
            for k in r.keys() {
                let f = def.column(k).ok_or_else(|| anyhow::anyhow!("{k} is not a column of {}", def.name))?;
                if !cols.iter().any(|c| c.name == f.name) {
                    cols.push(f);
                }
            }
        }
        let mut names: Vec<&'static str> = vec!["id"];
        names.extend(cols.iter().map(|f| f.name));
        let mut values: Vec<Vec<Val>> = Vec::with_capacity(rows.len());
        for (id, r) in ids.iter().zip(&rows) {
            let mut v = Vec::with_capacity(names.len());
            v.push(Val::Int(*id));
            for f in &cols {
                v.push(match r.get(f.name) {
                    Some(x) => store::coerce(def, f, x).map_err(|e| anyhow::anyhow!("{e}"))?,
                    None => store::coerce(def, f, &Value::Null).unwrap_or(Val::Null),
                });
            }
            values.push(v);
        }
        self.conn.transaction::<_, anyhow::Error, _>(|conn| {
            crate::db::bulk::insert(conn, def.table, &names, &values, false)?;
            Ok(())
        })?;
        Ok(ids)
    }

    fn establishments(&mut self, rows: &[Establishment]) -> anyhow::Result<()> {
        let now = store::now();
        for chunk in rows.chunks(500) {
            let mut sql = Sql::new(self.conn.backend());
            sql.push("INSERT INTO \"establishments\" (\"uai\", \"entities_id\", \"name\", \"kind\", \"sector\", \"town\", \"departement\", \"academie\", \"region\", \"state\", \"source\", \"date_creation\", \"date_mod\") VALUES ");
            for (i, e) in chunk.iter().enumerate() {
                sql.push(if i == 0 { "(" } else { ", (" });
                for (j, v) in [
                    e.uai.as_str(),
                    "",
                    &e.name,
                    "Lycée",
                    "Public",
                    &e.town,
                    &e.departement,
                    &e.academie,
                    "Île-de-France",
                    "open",
                    "demo",
                    &now,
                    &now,
                ]
                .iter()
                .enumerate()
                {
                    if j > 0 {
                        sql.push(", ");
                    }
                    if j == 1 {
                        sql.bind(e.entities_id);
                    } else {
                        sql.bind(*v);
                    }
                }
                sql.push(")");
            }
            sql.execute(self.conn)?;
        }
        Ok(())
    }

    fn finish(&mut self) -> anyhow::Result<()> {
        use diesel::connection::SimpleConnection;
        if self.conn.backend() == Backend::Postgres {
            // Explicit ids do not advance identity sequences.
            for def in &self.touched {
                let mut sql = Sql::new(Backend::Postgres);
                sql.push("SELECT setval(pg_get_serial_sequence('\"")
                    .push(def.table)
                    .push("\"', 'id'), (SELECT MAX(\"id\") FROM ")
                    .ident(def.table)
                    .push("))");
                self.conn.batch_execute(&sql.render())?;
            }
            // Fresh statistics and visibility map (index-only counts) for the benchmark.
            self.conn.batch_execute("VACUUM ANALYZE")?;
        } else {
            self.conn.batch_execute("ANALYZE")?;
        }
        Ok(())
    }
}

/// Through a running Parc (or GLPI) with a session, in bulk POSTs of the GLPI API.
/// Blocking reqwest: the generator is synchronous. It must not run on an async runtime's
/// thread (reqwest's blocking client refuses to), which is why the CLI gives it its own.
pub struct ApiSink {
    client: reqwest::blocking::Client,
    base: String,
    session: String,
}

/// Status and body text of an answer; transport errors are errors, HTTP ones are not.
fn send(req: reqwest::blocking::RequestBuilder) -> anyhow::Result<(u16, String)> {
    let resp = req.send()?;
    let status = resp.status().as_u16();
    Ok((status, resp.text()?))
}

impl ApiSink {
    pub fn connect(url: &str, user_token: &str) -> anyhow::Result<ApiSink> {
        // reqwest is built without a default TLS provider (see Cargo.toml): choose ring.
        crate::directory::cas::install_tls_provider();
        // A bulk POST of 500 computers can take a while on a loaded server.
        let client = reqwest::blocking::Client::builder().timeout(std::time::Duration::from_secs(300)).build()?;
        let base = format!("{}/apirest.php", url.trim_end_matches('/'));
        let (status, body) = send(
            client.get(format!("{base}/initSession")).header("Authorization", format!("user_token {user_token}")),
        )?;
        if status != 200 {
            anyhow::bail!("initSession answered {status}: {body}");
        }
        let v: Value = serde_json::from_str(&body)?;
        let session = v["session_token"].as_str().ok_or_else(|| anyhow::anyhow!("no session_token"))?.to_string();
        Ok(ApiSink { client, base, session })
    }
}

impl Sink for ApiSink {
    fn insert(&mut self, itemtype: &str, rows: Vec<Map<String, Value>>) -> anyhow::Result<Vec<i64>> {
        let mut ids = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(500) {
            let body = serde_json::json!({ "input": chunk }).to_string();
            let (status, text) = send(
                self.client
                    .post(format!("{}/{itemtype}", self.base))
                    .header("Session-Token", &self.session)
                    .header("Content-Type", "application/json")
                    .body(body),
            )?;
            if status != 201 {
                anyhow::bail!("POST {itemtype} answered {status}: {}", text.chars().take(300).collect::<String>());
            }
            let v: Value = serde_json::from_str(&text)?;
            for r in v.as_array().into_iter().flatten() {
                ids.push(r["id"].as_i64().ok_or_else(|| anyhow::anyhow!("no id in {r}"))?);
            }
        }
        Ok(ids)
    }
}
