//! A small dynamic SQL builder for the generic itemtype engine.
//!
//! Itemtypes are data, so their queries are built at run time. User input never becomes
//! SQL text: identifiers come from the static declarations and are quoted, values are
//! bound parameters. Rows come back as one JSON text column built by the database
//! (`json_object` on SQLite, `row_to_json` on PostgreSQL), so any column list can be
//! read without a Rust struct per table.

use super::{Backend, DbConn};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Double, Text};

/// A bound value.
#[derive(Debug, Clone, PartialEq)]
pub enum Val {
    Null,
    Int(i64),
    Float(f64),
    Text(String),
}

impl From<i64> for Val {
    fn from(v: i64) -> Self {
        Val::Int(v)
    }
}
impl From<&str> for Val {
    fn from(v: &str) -> Self {
        Val::Text(v.to_string())
    }
}
impl From<String> for Val {
    fn from(v: String) -> Self {
        Val::Text(v)
    }
}

/// `s` with LIKE's wildcards and escape character escaped, for `LIKE ... ESCAPE '\\'`.
pub fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// A PostgreSQL array literal (`{"a","b",NULL}`) of `values`, to bind as one text
/// parameter and cast to an array type. Every element is quoted, so any text is safe.
pub fn array_literal(values: &[Val]) -> String {
    let mut out = String::with_capacity(values.len() * 8 + 2);
    out.push('{');
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match v {
            Val::Null => out.push_str("NULL"),
            Val::Int(n) => out.push_str(&n.to_string()),
            Val::Float(f) => out.push_str(&f.to_string()),
            Val::Text(t) => {
                out.push('"');
                for c in t.chars() {
                    if c == '"' || c == '\\' {
                        out.push('\\');
                    }
                    out.push(c);
                }
                out.push('"');
            }
        }
    }
    out.push('}');
    out
}

/// Id lists longer than this are bound as one array parameter instead of one per id.
const INLINE_IDS_MAX: usize = 500;

/// Placeholder marker in the text until rendering; never part of trusted SQL.
const MARK: char = '\u{1}';

/// SQL text plus its bound values, written for one backend.
#[derive(Debug, Clone)]
pub struct Sql {
    pub backend: Backend,
    text: String,
    binds: Vec<Val>,
}

impl Sql {
    pub fn new(backend: Backend) -> Self {
        Sql { backend, text: String::with_capacity(256), binds: Vec::new() }
    }

    /// Append trusted SQL text (never user input).
    pub fn push(&mut self, s: &str) -> &mut Self {
        self.text.push_str(s);
        self
    }

    /// Append a quoted identifier. Identifiers only ever come from static declarations,
    /// quoting is for reserved words such as `end` or `date`.
    pub fn ident(&mut self, name: &str) -> &mut Self {
        debug_assert!(!name.contains('"'));
        self.text.push('"');
        self.text.push_str(name);
        self.text.push('"');
        self
    }

    /// Append `alias."column"`.
    pub fn col(&mut self, alias: &str, name: &str) -> &mut Self {
        self.text.push_str(alias);
        self.text.push('.');
        self.ident(name)
    }

    /// Append a bound value. NULL is written as a literal so that its type is inferred
    /// from the context on PostgreSQL.
    pub fn bind(&mut self, v: impl Into<Val>) -> &mut Self {
        let v = v.into();
        if v == Val::Null {
            self.text.push_str("NULL");
            return self;
        }
        self.binds.push(v);
        // Placeholders are numbered when the query runs, so fragments built apart can be
        // appended to each other (PostgreSQL numbers them `$1`, `$2`, …).
        self.text.push(MARK);
        self
    }

    /// Append ` IN (…)` over text values. On PostgreSQL the list is one array parameter,
    /// so a long list neither inflates the statement nor its parse and plan time.
    pub fn in_texts<'v>(&mut self, values: impl IntoIterator<Item = &'v str>) -> &mut Self {
        match self.backend {
            Backend::Postgres => {
                let vals: Vec<Val> = values.into_iter().map(Val::from).collect();
                // In a subquery the array is read once (as `= ANY(CAST(…))` it was read
                // again for every row) and the planner can hash it.
                self.push(" IN (SELECT unnest(CAST(").bind(array_literal(&vals)).push(" AS TEXT[])))")
            }
            Backend::Sqlite => {
                self.push(" IN (");
                for (i, v) in values.into_iter().enumerate() {
                    self.push(if i == 0 { "" } else { ", " }).bind(v);
                }
                self.push(")")
            }
        }
    }

    /// Append ` IN (…)` over ids; see [`Sql::id_list`].
    pub fn in_ids(&mut self, ids: impl IntoIterator<Item = i64>) -> &mut Self {
        self.push(" IN ").id_list(ids)
    }

    /// Append a parenthesised id list for `IN`. An empty list is an empty subquery, which
    /// matches nothing (and `NOT IN` everything): PostgreSQL refuses `IN ()`. A long list
    /// is bound as one parameter (SQLite allows 32,766 bound values per statement,
    /// PostgreSQL 65,535), so a page of any size can be read by id.
    pub fn id_list(&mut self, ids: impl IntoIterator<Item = i64>) -> &mut Self {
        let ids: Vec<i64> = ids.into_iter().collect();
        if ids.is_empty() {
            return self.push("(SELECT 0 WHERE 1 = 0)");
        }
        if ids.len() <= INLINE_IDS_MAX {
            self.push("(");
            for (i, id) in ids.iter().enumerate() {
                self.push(if i == 0 { "" } else { ", " }).bind(*id);
            }
            return self.push(")");
        }
        let list = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        match self.backend {
            Backend::Postgres => self.push("(SELECT unnest(CAST(").bind(format!("{{{list}}}")).push(" AS BIGINT[])))"),
            Backend::Sqlite => self.push("(SELECT value FROM json_each(").bind(format!("[{list}]")).push("))"),
        }
    }

    /// Append another fragment with its bound values.
    pub fn append(&mut self, other: Sql) -> &mut Self {
        self.text.push_str(&other.text);
        self.binds.extend(other.binds);
        self
    }

    /// The final SQL text with the backend's placeholders.
    pub fn render(&self) -> String {
        let mut out = String::with_capacity(self.text.len() + 8);
        let mut n = 0;
        for ch in self.text.chars() {
            if ch == MARK {
                n += 1;
                match self.backend {
                    Backend::Sqlite => out.push('?'),
                    Backend::Postgres => {
                        out.push('$');
                        out.push_str(&n.to_string());
                    }
                }
            } else {
                out.push(ch);
            }
        }
        out
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    fn boxed(
        &self,
    ) -> diesel::query_builder::BoxedSqlQuery<'static, super::MultiBackend, diesel::query_builder::SqlQuery> {
        let mut q = diesel::sql_query(self.render()).into_boxed::<super::MultiBackend>();
        for b in &self.binds {
            q = match b {
                Val::Int(i) => q.bind::<BigInt, _>(*i),
                Val::Float(f) => q.bind::<Double, _>(*f),
                Val::Text(s) => q.bind::<Text, _>(s.clone()),
                Val::Null => unreachable!("NULL is written inline"),
            };
        }
        q
    }

    pub fn execute(&self, conn: &mut DbConn) -> QueryResult<usize> {
        tracing::trace!(sql = %self.render(), "execute");
        self.boxed().execute(conn)
    }

    /// Load rows whose single column `j` holds a JSON document.
    pub fn load_json(&self, conn: &mut DbConn) -> QueryResult<Vec<serde_json::Value>> {
        tracing::trace!(sql = %self.render(), "load");
        let rows: Vec<JsonRow> = self.boxed().load(conn)?;
        rows.into_iter()
            .map(|r| serde_json::from_str(&r.j).map_err(|e| diesel::result::Error::DeserializationError(Box::new(e))))
            .collect()
    }

    /// Load rows whose single column `n` is an integer.
    pub fn load_ints(&self, conn: &mut DbConn) -> QueryResult<Vec<i64>> {
        tracing::trace!(sql = %self.render(), "load ints");
        let rows: Vec<IntRow> = self.boxed().load(conn)?;
        Ok(rows.into_iter().map(|r| r.n).collect())
    }

    /// Load typed rows, for hot paths where building JSON per row would cost too much.
    pub fn load_rows<T>(&self, conn: &mut DbConn) -> QueryResult<Vec<T>>
    where
        T: QueryableByName<super::MultiBackend> + 'static,
    {
        tracing::trace!(sql = %self.text, "load rows");
        self.boxed().load(conn)
    }

    /// Load rows whose single column `s` is text.
    pub fn load_strings(&self, conn: &mut DbConn) -> QueryResult<Vec<String>> {
        let rows: Vec<TextRow> = self.boxed().load(conn)?;
        Ok(rows.into_iter().map(|r| r.s).collect())
    }
}

#[derive(QueryableByName)]
struct JsonRow {
    #[diesel(sql_type = Text)]
    j: String,
}

#[derive(QueryableByName)]
struct IntRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

#[derive(QueryableByName)]
struct TextRow {
    #[diesel(sql_type = Text)]
    s: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_lists_never_render_in_empty_parentheses_nor_bind_per_id_past_the_inline_limit() {
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let mut q = Sql::new(backend);
            q.push("x").in_ids([]);
            assert_eq!(q.render(), "x IN (SELECT 0 WHERE 1 = 0)");
            let mut q = Sql::new(backend);
            q.push("x").in_ids([1, 2]);
            assert_eq!(q.binds.len(), 2);
            let mut q = Sql::new(backend);
            q.push("x").in_ids(0..100_000);
            assert_eq!(q.binds.len(), 1);
        }
    }
}
