//! The one scoped read. Every list of items, whichever face asks (the native API's lists,
//! GLPI's getItems and sub-item lists, GLPI's search engine), reads through here: the
//! conditions every read applies (the session's scope from `access`, the trash, templates),
//! the exact total, and a page of ids found first so that costly columns and deep offsets
//! never touch more than one page of rows.

use crate::access;
use crate::auth::session::Session;
use crate::db::sql::Sql;
use crate::db::{Backend, DbConn};
use crate::itemtypes::ItemTypeDef;
use diesel::QueryResult;

/// What a list reads of the trash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trash {
    /// Only rows outside the trash (`is_deleted = 0`), or only those in it (`1`).
    Only(i64),
    /// Both.
    Any,
}

/// The ` WHERE …` of a scoped read of `def` under alias `t`: the caller's own conditions
/// (`extra`, each starting with ` AND `), the trash, templates left out when asked, then the
/// session's scope.
pub fn scoped_where<E>(
    backend: Backend,
    s: &Session,
    def: &'static ItemTypeDef,
    trash: Trash,
    without_templates: bool,
    extra: impl FnOnce(&mut Sql) -> Result<(), E>,
) -> Result<Sql, E> {
    let mut q = Sql::new(backend);
    q.push(" WHERE 1=1");
    extra(&mut q)?;
    if let (Trash::Only(t), true) = (trash, def.has("is_deleted")) {
        q.push(" AND t.\"is_deleted\" = ").bind(t);
    }
    if without_templates && def.has("is_template") {
        q.push(" AND t.\"is_template\" = 0");
    }
    access::push_scope(&mut q, s, def, "t");
    Ok(q)
}

/// The exact number of rows a scoped read finds.
pub fn count(c: &mut DbConn, def: &ItemTypeDef, where_sql: &Sql) -> QueryResult<i64> {
    let mut q = Sql::new(c.backend());
    q.push("SELECT COUNT(*) AS n FROM ").ident(def.table).push(" t");
    q.append(where_sql.clone());
    Ok(q.load_ints(c)?.first().copied().unwrap_or(0))
}

/// One page of ids, in `order_by` order (`joins` serve the sort only).
pub fn page_ids(
    c: &mut DbConn,
    def: &ItemTypeDef,
    joins: &str,
    where_sql: &Sql,
    order_by: &str,
    limit: i64,
    offset: i64,
) -> QueryResult<Vec<i64>> {
    let mut q = Sql::new(c.backend());
    q.push("SELECT CAST(t.\"id\" AS BIGINT) AS n FROM ").ident(def.table).push(" t").push(joins);
    q.append(where_sql.clone());
    q.push(" ORDER BY ").push(order_by);
    q.push(" LIMIT ").bind(limit).push(" OFFSET ").bind(offset);
    q.load_ints(c)
}

/// The `Content-Range` of a page: `start-end/total`.
pub fn content_range(start: i64, end: i64, total: i64) -> String {
    format!("{start}-{end}/{total}")
}
