//! GLPI's search engine (`/search/:itemtype`) and `listSearchOptions`.
//!
//! Criteria are validated against the itemtype's search options, each option is resolved
//! to columns and joins through the declarations, and the SQL is built with bound values
//! only. Multi-valued options (operating systems, ticket actors, …) become correlated
//! subqueries: EXISTS for filters, an aggregate for display, so rows are never duplicated
//! and counts need no DISTINCT.

mod criteria;
mod dates;
pub mod options;

use super::error::GlpiError;
use super::{ok, params, respond, Ctx, GlpiResult};
use crate::access::{self, Op};
use crate::auth::session::Session;
use crate::db::sql::{escape_like, Sql};
use crate::db::{Backend, DbConn};
use crate::items::read::{self, Trash};
use crate::itemtypes::store::{self, Projected};
use crate::itemtypes::value::preview as truncate;
use crate::itemtypes::{FieldType, ItemTypeDef};
use criteria::Node;
use options::{ManyLink, Resolved, SearchOption};
use serde_json::{json, Map, Value};

/// Separator of aggregated multi-valued cells (unit separator, never typed by users).
const SEP: char = '\u{1f}';

pub async fn list_search_options(_ctx: Ctx, _s: Session, def: &'static ItemTypeDef) -> GlpiResult {
    ok(&options::for_itemtype(def).listing)
}

struct Column {
    key: String,
    id: u32,
    resolved: Option<Resolved>,
    /// Set for meta columns: the linked itemtype.
    meta: Option<&'static ItemTypeDef>,
}

pub async fn search(ctx: Ctx, s: Session, def: &'static ItemTypeDef) -> GlpiResult {
    let set = options::for_itemtype(def);
    let nodes = criteria::parse(def, ctx.param("criteria"))?;
    let uid_cols = ctx.param("uid_cols").is_some();
    let with_indexes = ctx.param("withindexes").is_some();
    let give_items = ctx.param("giveItems").is_some();
    let raw = ctx.flag("rawdata");
    let trash = ctx.flag("is_deleted") as i64;

    let (sort_ids, orders) = sort_and_order(&ctx);
    let forced = forced_display(&ctx, set)?;
    let page = s.user.list_limit.unwrap_or(15).max(1) as i64;
    let (start, end) = range(&ctx, page)?;
    let limit = (end - start + 1).min(100_000);

    let state = ctx.state.clone();
    let cache = state.db.tree.clone();
    let (sort_echo, order_echo) = (sort_ids.clone(), orders.clone());
    let (rows, total) = state
        .db
        .run(move |c| -> Result<(Vec<Value>, i64), GlpiError> {
            let tree = cache.get(c)?;
            let many_entities = tree.len() > 1
                && def.has("entities_id")
                && def.name != "Entity"
                && (def.has("is_recursive") || s.active.len() > 1);
            let columns = displayed_columns(def, set, &nodes, &forced, &sort_ids, many_entities, uid_cols);

            let mut b = Builder { c, main_table: def.table, s: &s, tree: &tree };
            let mut where_sql =
                read::scoped_where(b.c.backend(), &s, def, Trash::Only(trash), true, |_| Ok::<(), GlpiError>(()))?;
            if !nodes.is_empty() {
                let mut crit = Sql::new(b.c.backend());
                b.nodes(&mut crit, def, &nodes)?;
                if !crit.text().is_empty() {
                    where_sql.push(" AND (");
                    where_sql.append(crit);
                    where_sql.push(")");
                }
            }

            let total = read::count(b.c, def, &where_sql)?;
            if start > total {
                return Err(GlpiError::range_exceed(total));
            }
            if total == 0 {
                return Ok((vec![], 0));
            }

            // Display: one expression per column; joins needed by single-valued ones.
            let mut joins = String::new();
            let mut exprs: Vec<(String, String, FieldType)> = vec![("__id".into(), "t.\"id\"".into(), FieldType::Int)];
            for col in &columns {
                let (expr, ty) = match (&col.meta, &col.resolved) {
                    (Some(m), Some(r)) => (b.meta_display(def, m, col.id, r), FieldType::Str),
                    (None, Some(r)) if r.many.is_some() => {
                        (b.many_display(def, r, set.by_id[&col.id].datatype == "count"), FieldType::Str)
                    }
                    (None, Some(r)) => {
                        for (n, (table, alias, prev, fk)) in r.joins.iter().enumerate() {
                            let a = join_alias(col.id, alias);
                            let p = if n == 0 { prev.clone() } else { join_alias(col.id, prev) };
                            joins.push_str(&format!(" LEFT JOIN \"{table}\" {a} ON {a}.\"id\" = {p}.\"{fk}\""));
                        }
                        let alias = if r.joins.is_empty() { "t".to_string() } else { join_alias(col.id, &r.alias) };
                        (format!("{alias}.\"{}\"", r.column), r.ty)
                    }
                    (_, None) => ("NULL".into(), FieldType::Str),
                };
                exprs.push((col.key.clone(), expr, ty));
            }
            let mut order_by = Vec::new();
            for (i, sid) in sort_ids.iter().enumerate() {
                let dir = orders.get(i).copied().unwrap_or("ASC");
                if let Some(pos) = columns.iter().position(|c| i64::from(c.id) == *sid && c.meta.is_none()) {
                    if columns[pos].resolved.is_some() {
                        order_by.push(format!("{} {dir}", exprs[pos + 1].1));
                    }
                }
            }
            order_by.push("t.\"id\" ASC".into());

            // The page's ids first (joins only for sorting), then its cells by id: deep
            // offsets and costly display columns never touch more than one page of rows.
            let ids = read::page_ids(b.c, def, &joins, &where_sql, &order_by.join(", "), limit, start)?;
            let mut sql = Sql::new(b.c.backend());
            let cols: Vec<Projected> =
                exprs.iter().map(|(k, e, ty)| Projected { key: k, alias: "", column: e, ty: *ty }).collect();
            store::select_json(&mut sql, &cols, |q| {
                q.ident(def.table).push(" t").push(&joins).push(" WHERE t.\"id\"").in_ids(ids.iter().copied());
            });
            let mut by_id: std::collections::HashMap<i64, Value> =
                sql.load_json(b.c)?.into_iter().filter_map(|r| Some((r.get("__id")?.as_i64()?, r))).collect();
            let rows: Vec<Value> = ids.iter().filter_map(|id| by_id.remove(id)).collect();
            Ok((rows, total))
        })
        .await?;

    let page = Page { start, total, sort: sort_echo, order: order_echo };
    Ok(answer(&ctx, def, rows, page, with_indexes, give_items, raw))
}

/// A page of results and what the answer echoes of the request.
struct Page {
    start: i64,
    total: i64,
    sort: Vec<i64>,
    order: Vec<&'static str>,
}

/// GLPI's answer: cells (multi-valued aggregates as a string or a list of strings), counts,
/// echoes, `Content-Range` and `Accept-Range`.
fn answer(
    ctx: &Ctx,
    def: &'static ItemTypeDef,
    rows: Vec<Value>,
    page: Page,
    with_indexes: bool,
    give_items: bool,
    raw: bool,
) -> actix_web::HttpResponse {
    let Page { start, total, sort: sort_echo, order: order_echo } = page;
    // Cells: multi-valued aggregates become a string or a list of strings, as in GLPI.
    let mut data_list = Vec::with_capacity(rows.len());
    let mut data_idx = Map::new();
    for row in rows {
        let Value::Object(mut o) = row else { continue };
        let id = o.shift_remove("__id").unwrap_or(Value::Null);
        for v in o.values_mut() {
            if let Value::String(sv) = v {
                if sv.contains(SEP) {
                    *v = Value::Array(sv.split(SEP).map(|p| Value::String(p.to_string())).collect());
                }
            }
        }
        if with_indexes {
            data_idx.insert(id.to_string(), Value::Object(o));
        } else {
            data_list.push(Value::Object(o));
        }
    }
    let count = if with_indexes { data_idx.len() } else { data_list.len() } as i64;
    let range_end = if total == 0 { -1 } else { (start + count - 1).max(start).min(total - 1) };
    let range_end = if count == 0 && total > 0 { start - 1 } else { range_end };
    let content_range = read::content_range(start, range_end, total);
    let mut body = Map::new();
    body.insert("totalcount".into(), json!(total));
    body.insert("count".into(), json!(count));
    body.insert("sort".into(), json!(sort_echo));
    body.insert("order".into(), json!(order_echo));
    if count > 0 {
        let data = if with_indexes { Value::Object(data_idx) } else { Value::Array(data_list) };
        if give_items {
            body.insert("data_html".into(), data.clone());
        }
        body.insert("data".into(), data);
    }
    if raw {
        body.insert("rawdata".into(), json!({"itemtype": def.name, "search": {"criteria": ctx.param("criteria")}}));
    }
    body.insert("content-range".into(), json!(content_range));
    let status =
        if count < total { actix_web::http::StatusCode::PARTIAL_CONTENT } else { actix_web::http::StatusCode::OK };
    let mut resp = respond(status, &Value::Object(body));
    super::paging_headers(&mut resp, def.name, (total > 0).then_some(content_range.as_str()));
    resp
}

/// Sort options and orders, echoed as GLPI does (unknown ids are echoed and ignored).
fn sort_and_order(ctx: &Ctx) -> (Vec<i64>, Vec<&'static str>) {
    let sort_ids: Vec<i64> = match ctx.param("sort") {
        None => vec![1],
        Some(v @ (Value::Array(_) | Value::Object(_))) => params::as_list(v)
            .into_iter()
            .map(|x| params::as_str(Some(x)).and_then(|s| s.parse().ok()).unwrap_or(0))
            .collect(),
        Some(v) => vec![params::as_str(Some(v)).and_then(|s| s.trim().parse().ok()).unwrap_or(0)],
    };
    let orders: Vec<&'static str> = match ctx.param("order") {
        Some(v @ (Value::Array(_) | Value::Object(_))) => params::as_list(v).into_iter().map(order_of).collect(),
        Some(v) => vec![order_of(v)],
        None => vec!["ASC"],
    };
    (sort_ids, orders)
}

/// `forcedisplay` option ids; a `nodisplay` option is refused as GLPI does.
fn forced_display(ctx: &Ctx, set: &options::OptionSet) -> Result<Vec<u32>, GlpiError> {
    let forced: Vec<u32> = ctx
        .param("forcedisplay")
        .map(|v| params::as_list(v).into_iter().filter_map(|x| params::as_str(Some(x))?.trim().parse().ok()).collect())
        .unwrap_or_default();
    if forced.iter().any(|id| set.by_id.get(id).is_some_and(|o| o.nodisplay)) {
        return Err(GlpiError::generic("ID is forbidden along with 'forcedisplay' parameter."));
    }
    Ok(forced)
}

/// `range=a-b`, or the user's page size.
fn range(ctx: &Ctx, page: i64) -> Result<(i64, i64), GlpiError> {
    let Some(r) = params::as_str(ctx.param("range")) else { return Ok((0, page - 1)) };
    let (a, b) = r.split_once('-').ok_or_else(GlpiError::bad_range)?;
    let a: i64 = a.trim().parse().map_err(|_| GlpiError::bad_range())?;
    let b: i64 = b.trim().parse().map_err(|_| GlpiError::bad_range())?;
    if a < 0 || b < a {
        return Err(GlpiError::bad_range());
    }
    Ok((a, b))
}

/// Displayed columns in GLPI's order, without duplicates: the name, the entity when the
/// session reaches several, the defaults or the forced ones, the criteria's and the sort's.
fn displayed_columns(
    def: &'static ItemTypeDef,
    set: &'static options::OptionSet,
    nodes: &[Node],
    forced: &[u32],
    sort_ids: &[i64],
    many_entities: bool,
    uid_cols: bool,
) -> Vec<Column> {
    let mut ids: Vec<u32> = vec![1];
    if many_entities {
        ids.push(80);
    }
    if forced.is_empty() {
        ids.extend(options::default_columns(def));
    } else {
        ids.extend(forced.iter().copied());
    }
    collect_fields(nodes, &mut ids);
    ids.extend(sort_ids.iter().filter_map(|i| u32::try_from(*i).ok()));
    if def.name == "Ticket" {
        ids.retain(|i| *i != 2);
        ids.insert(0, 2);
    }
    let mut seen = std::collections::HashSet::new();
    ids.retain(|i| set.by_id.contains_key(i) && seen.insert(*i));
    let mut columns: Vec<Column> = ids
        .iter()
        .map(|id| {
            let o = set.by_id[id].clone();
            Column {
                key: if uid_cols { o.uid.clone() } else { id.to_string() },
                id: *id,
                resolved: options::resolve(def, &o),
                meta: None,
            }
        })
        .collect();
    add_meta_columns(nodes, uid_cols, &mut columns);
    columns
}

fn order_of(v: &Value) -> &'static str {
    match params::as_str(Some(v)).map(|s| s.trim().to_ascii_uppercase()).as_deref() {
        Some("DESC") => "DESC",
        _ => "ASC",
    }
}

fn join_alias(id: u32, alias: &str) -> String {
    format!("o{id}{alias}")
}

fn collect_fields(nodes: &[Node], ids: &mut Vec<u32>) {
    for n in nodes {
        match n {
            Node::Leaf { meta: None, option, .. } => ids.push(option.id),
            Node::Leaf { .. } => {}
            Node::Group { children, .. } => collect_fields(children, ids),
        }
    }
}

fn add_meta_columns(nodes: &[Node], uid_cols: bool, columns: &mut Vec<Column>) {
    for n in nodes {
        match n {
            Node::Leaf { meta: Some(m), option, .. } => {
                let key = if uid_cols { option.uid.clone() } else { option.id.to_string() };
                let resolved = options::resolve(m, option);
                // A meta column with the same key replaces the main one, as in GLPI.
                columns.retain(|c| c.key != key);
                columns.push(Column { key, id: option.id, resolved, meta: Some(m) });
            }
            Node::Group { children, .. } => add_meta_columns(children, uid_cols, columns),
            _ => {}
        }
    }
}

/// Builds WHERE fragments; holds the connection to expand trees for `under`.
struct Builder<'a> {
    c: &'a mut DbConn,
    /// Table of the searched itemtype (alias `t`).
    main_table: &'static str,
    s: &'a Session,
    tree: &'a crate::entities::Tree,
}

fn agg(backend: Backend, expr: &str) -> String {
    match backend {
        Backend::Sqlite => format!("group_concat({expr}, char(31))"),
        Backend::Postgres => format!("string_agg(CAST({expr} AS TEXT), chr(31))"),
    }
}

fn text_expr(backend: Backend, expr: &str, ty: FieldType) -> String {
    match (backend, ty) {
        (Backend::Postgres, FieldType::DateTime) => format!("to_char({expr}, 'YYYY-MM-DD HH24:MI:SS')"),
        (Backend::Postgres, FieldType::Date) => format!("to_char({expr}, 'YYYY-MM-DD')"),
        (Backend::Postgres, FieldType::Str) => expr.to_string(),
        (Backend::Postgres, _) => format!("CAST({expr} AS TEXT)"),
        _ => expr.to_string(),
    }
}

impl Builder<'_> {
    fn backend(&self) -> Backend {
        self.c.backend()
    }

    fn nodes(&mut self, sql: &mut Sql, def: &'static ItemTypeDef, nodes: &[Node]) -> Result<(), GlpiError> {
        let mut first = true;
        for n in nodes {
            let link = n.link();
            let mut part = Sql::new(self.backend());
            match n {
                Node::Group { children, .. } => {
                    let mut inner = Sql::new(self.backend());
                    self.nodes(&mut inner, def, children)?;
                    if inner.text().is_empty() {
                        continue;
                    }
                    part.push(if link.not { "NOT (" } else { "(" });
                    part.append(inner);
                    part.push(")");
                }
                Node::Leaf { meta, option, searchtype, value, .. } => {
                    if value.is_empty() {
                        continue; // GLPI ignores criteria without a value
                    }
                    let negate = link.not;
                    match meta {
                        Some(m) => self.meta_cond(&mut part, def, m, option, searchtype, value, negate)?,
                        None => {
                            let r = options::resolve(def, option)
                                .ok_or_else(|| GlpiError::generic("Forbidden field ID in search criteria"))?;
                            self.leaf(&mut part, def, "t", option, &r, searchtype, value, negate)?
                        }
                    }
                }
            }
            if !first {
                sql.push(if link.or { " OR " } else { " AND " });
            }
            sql.append(part);
            first = false;
        }
        Ok(())
    }

    /// One criterion on main alias `main` (the item row, or a meta row).
    #[allow(clippy::too_many_arguments)]
    fn leaf(
        &mut self,
        sql: &mut Sql,
        def: &'static ItemTypeDef,
        main: &str,
        opt: &SearchOption,
        r: &Resolved,
        searchtype: &str,
        value: &str,
        negate: bool,
    ) -> Result<(), GlpiError> {
        let (searchtype, negate) = match searchtype {
            "notcontains" => ("contains", !negate),
            "notequals" => ("equals", !negate),
            "notunder" => ("under", !negate),
            other => (other, negate),
        };
        if let Some(m) = &r.many {
            // EXISTS over the child rows; negation is NOT EXISTS of the positive test.
            sql.push(if negate { "NOT EXISTS (SELECT 1 FROM " } else { "EXISTS (SELECT 1 FROM " });
            sql.ident(m.rel.table).push(" r");
            if let Some((target, fk)) = &m.target {
                sql.push(" LEFT JOIN ").ident(target.table).push(" x ON x.\"id\" = r.").ident(fk);
            }
            sql.push(" WHERE ");
            push_many_link(sql, self.s, def, m, main);
            let (alias, col, ty) = if m.show_fk && searchtype == "equals" {
                let fk = m.target.as_ref().map(|(_, fk)| fk.clone()).unwrap_or_else(|| "id".into());
                ("r".to_string(), fk, FieldType::Int)
            } else {
                (r.alias.clone(), r.column.clone(), r.ty)
            };
            sql.push(" AND ");
            let expr = format!("{alias}.\"{col}\"");
            let id_expr = match (searchtype == "equals", r.target.is_some(), m.show_fk) {
                (true, true, false) => Some("x.\"id\"".to_string()),
                (true, _, true) => Some(expr.clone()),
                _ => None,
            };
            self.test(sql, opt, &expr, id_expr.as_deref(), r.target, ty, searchtype, value, false)?;
            sql.push(")");
            return Ok(());
        }
        // Single-valued: the fk on the row that links to the target is enough for ids.
        let (expr, id_expr) = if r.joins.is_empty() {
            let e = format!("{main}.\"{}\"", r.column);
            let id = (opt.datatype == "itemlink" && r.column == "name"
                || r.column == "completename" && def.name == r.target.map(|t| t.name).unwrap_or(""))
            .then(|| format!("{main}.\"id\""));
            (e, id)
        } else {
            // Inline the 1-1 joins as a scalar subquery chain, so filters need no JOIN.
            let mut chain = String::new();
            let mut prev = main.to_string();
            let mut last_fk = String::new();
            for (n, (table, alias, _, fk)) in r.joins.iter().enumerate() {
                let a = format!("w{n}{alias}");
                if n == 0 {
                    last_fk = format!("{prev}.\"{fk}\"");
                }
                chain = if chain.is_empty() {
                    format!("FROM \"{table}\" {a} WHERE {a}.\"id\" = {prev}.\"{fk}\"")
                } else {
                    chain.replacen("FROM ", &format!("FROM \"{table}\" {a}, "), 1)
                        + &format!(" AND {a}.\"id\" = {prev}.\"{fk}\"")
                };
                prev = a;
            }
            let value_expr = format!("(SELECT {prev}.\"{}\" {chain})", r.column);
            let id = if r.joins.len() == 1 { Some(last_fk) } else { Some(format!("(SELECT {prev}.\"id\" {chain})")) };
            (value_expr, id)
        };
        self.test(sql, opt, &expr, id_expr.as_deref(), r.target, r.ty, searchtype, value, negate)
    }

    /// The comparison itself, following GLPI's rules per searchtype and datatype.
    #[allow(clippy::too_many_arguments)]
    fn test(
        &mut self,
        sql: &mut Sql,
        opt: &SearchOption,
        expr: &str,
        id_expr: Option<&str>,
        target: Option<&'static ItemTypeDef>,
        ty: FieldType,
        searchtype: &str,
        value: &str,
        negate: bool,
    ) -> Result<(), GlpiError> {
        let value = value.trim();
        let backend = self.backend();
        let numeric = matches!(
            opt.datatype.as_str(),
            "number" | "integer" | "count" | "mio" | "decimal" | "timestamp" | "progressbar" | "bool"
        ) || (opt.datatype == "specific" && ty == FieldType::Int);
        let dated = matches!(ty, FieldType::DateTime | FieldType::Date);
        let mut pos = Sql::new(backend);
        let mut null_sensitive = true;
        // Ticket status keywords and "at least" priorities.
        if opt.uid.ends_with(".status") && opt.table.ends_with("tickets") && searchtype == "equals" {
            let set: Vec<i64> = match value {
                "notold" => vec![1, 2, 3, 4],
                "notclosed" => vec![1, 2, 3, 4, 5],
                "process" => vec![2, 3],
                "old" => vec![5, 6],
                "all" => vec![1, 2, 3, 4, 5, 6],
                v => vec![v.parse().unwrap_or(-1)],
            };
            pos.push(expr).push(" IN (").push(&set.iter().map(i64::to_string).collect::<Vec<_>>().join(", ")).push(")");
        } else if matches!(opt.uid.rsplit('.').next(), Some("priority" | "urgency" | "impact"))
            && searchtype == "equals"
        {
            let v: i64 = value.parse().unwrap_or(0);
            match v {
                0 => {
                    pos.push("1=1");
                }
                v if v < 0 => {
                    pos.push(expr).push(" >= ").bind(-v);
                }
                v => {
                    pos.push(expr).push(" = ").bind(v);
                }
            }
        } else if searchtype == "under" {
            let target = target.ok_or_else(|| GlpiError::generic("Bad field ID in search criteria"))?;
            let id: i64 = value.parse().unwrap_or(-1);
            let ids = self.descendants(target, id)?;
            let e = id_expr.unwrap_or(expr);
            pos.push(e).in_ids(ids);
        } else if searchtype == "equals" && (id_expr.is_some() && (target.is_some() || opt.datatype == "itemlink")) {
            let e = id_expr.expect("checked");
            match value.parse::<i64>() {
                Ok(0) => {
                    pos.push("(").push(e).push(" = 0 OR ").push(e).push(" IS NULL)");
                    null_sensitive = false;
                }
                Ok(v) => {
                    pos.push(e).push(" = ").bind(v);
                }
                Err(_) if value == "myself" => {
                    pos.push(e).push(" = ").bind(self.s.users_id());
                }
                Err(_) => {
                    pos.push("1=0");
                }
            }
        } else if dated && matches!(searchtype, "equals" | "lessthan" | "morethan" | "contains") {
            let (op, v) = match (searchtype, value.chars().next()) {
                ("lessthan", _) => ("<", value),
                ("morethan", _) => (">", value),
                ("contains", Some(c @ ('<' | '>'))) => (if c == '<' { "<" } else { ">" }, &value[1..]),
                ("contains", _) => ("like", value),
                _ => ("prefix", value),
            };
            match op {
                "like" => {
                    pos.push(&text_expr(backend, expr, ty))
                        .push(" LIKE ")
                        .bind(format!("%{}%", escape_like(v)))
                        .push(" ESCAPE '\\'");
                }
                "prefix" => {
                    let abs = dates::resolve(v).unwrap_or_else(|| v.trim_end_matches(":00").to_string());
                    let abs = abs.trim_end_matches(":00").to_string();
                    pos.push(&text_expr(backend, expr, ty))
                        .push(" LIKE ")
                        .bind(format!("{}%", escape_like(&abs)))
                        .push(" ESCAPE '\\'");
                }
                _ => {
                    let Some(abs) = dates::resolve(v.trim_start_matches('=')) else {
                        return Err(GlpiError::generic(format!(
                            "Bad date value in search criteria: {}",
                            truncate(value)
                        )));
                    };
                    pos.push(&text_expr(backend, expr, ty)).push(" ").push(op).push(" ").bind(abs);
                }
            }
        } else if numeric {
            let (op, num) = ["<=", ">=", "<", ">"]
                .iter()
                .find_map(|op| value.strip_prefix(op).map(|rest| (*op, rest.trim())))
                .unwrap_or(("=", value));
            match num.parse::<f64>() {
                Ok(n) if n.is_finite() => {
                    pos.push(expr).push(" ").push(op).push(" ");
                    if n.fract() == 0.0 {
                        pos.bind(n as i64);
                    } else {
                        pos.bind(crate::db::sql::Val::Float(n));
                    }
                }
                _ if opt.datatype == "bool" && value.eq_ignore_ascii_case("yes") => {
                    pos.push(expr).push(" = 1");
                }
                _ if opt.datatype == "bool" && value.eq_ignore_ascii_case("no") => {
                    pos.push(expr).push(" = 0");
                }
                _ => {
                    pos.push("1=0");
                }
            }
        } else if searchtype == "equals" {
            push_ci_eq(&mut pos, backend, expr, ty, value);
        } else {
            // contains on text (§4.3): NULL keywords, anchors, `_` literal, `%` wildcard.
            let t = text_expr(backend, expr, ty);
            match value {
                "NULL" | "null" => {
                    pos.push("(").push(expr).push(" IS NULL OR ").push(&t).push(" = '')");
                    null_sensitive = false;
                }
                "^$" | "$" => {
                    pos.push(expr).push(" IS NULL");
                    null_sensitive = false;
                }
                "^" => {
                    pos.push(expr).push(" IS NOT NULL");
                    null_sensitive = false;
                }
                v => {
                    let start = v.starts_with('^');
                    let end = v.ends_with('$') && v.len() > 1;
                    let raw = v.trim_start_matches('^');
                    let raw = if end { &raw[..raw.len() - 1] } else { raw };
                    let body = raw.replace('\\', "\\\\").replace('_', "\\_");
                    let pat = format!("{}{}{}", if start { "" } else { "%" }, body, if end { "" } else { "%" });
                    if start && end && !raw.contains('%') && ty == FieldType::Str {
                        // Exact value: an index seek on LOWER(col) (see the search_indexes migration).
                        push_ci_eq(&mut pos, backend, expr, ty, raw);
                    } else if let Some(fts) = trigram_table(backend, self.main_table, expr, raw) {
                        // Substring on an asset name or serial: the FTS5 trigram index.
                        let (table, col) = fts;
                        pos.push(&expr[..expr.find('.').unwrap_or(0)])
                            .push(".\"id\" IN (SELECT rowid FROM \"")
                            .push(&table);
                        // No ESCAPE clause: it disables FTS5's trigram LIKE optimisation
                        // (trigram_table only accepts values without wildcard characters).
                        pos.push("\" WHERE ").push(&col).push(" LIKE ").bind(pat).push(")");
                    } else {
                        match backend {
                            Backend::Sqlite => pos.push(&t).push(" LIKE ").bind(pat).push(" ESCAPE '\\'"),
                            // Backslash is PostgreSQL's default LIKE escape; an explicit ESCAPE
                            // would hide the pattern from pg_trgm.
                            Backend::Postgres => pos.push(&t).push(" ILIKE ").bind(pat),
                        };
                    }
                }
            }
        }
        if negate {
            sql.push("(NOT (");
            sql.append(pos);
            sql.push(")");
            if null_sensitive {
                sql.push(" OR ").push(expr).push(" IS NULL");
            }
            sql.push(")");
        } else {
            sql.push("(");
            sql.append(pos);
            sql.push(")");
        }
        Ok(())
    }

    /// A tree item and all its descendants (for `under`).
    fn descendants(&mut self, target: &'static ItemTypeDef, id: i64) -> Result<Vec<i64>, GlpiError> {
        if target.name == "Entity" {
            return Ok(self.tree.expand(id, true).into_iter().collect());
        }
        let parent = format!("{}_id", target.table);
        if !target.has(&parent) {
            return Ok(vec![id]);
        }
        let mut sql = Sql::new(self.backend());
        sql.push("SELECT CAST(\"id\" AS BIGINT) * 2147483648 + CAST(")
            .ident(&parent)
            .push(" AS BIGINT) AS n FROM ")
            .ident(target.table);
        let pairs: Vec<(i64, i64)> =
            sql.load_ints(self.c)?.into_iter().map(|p| (p.div_euclid(2147483648), p.rem_euclid(2147483648))).collect();
        let mut out = vec![id];
        let mut i = 0;
        while i < out.len() && out.len() < 100_000 {
            let cur = out[i];
            out.extend(pairs.iter().filter(|(_, p)| *p == cur).map(|(c, _)| *c).filter(|c| *c != cur));
            i += 1;
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }

    /// Display expression of a multi-valued option: an aggregate over the child rows.
    /// `count` options (GLPI's "Number of followups") show how many child rows there are.
    fn many_display(&self, def: &'static ItemTypeDef, r: &Resolved, count: bool) -> String {
        let m = r.many.as_ref().expect("many");
        let backend = self.backend();
        let mut s = Sql::new(backend);
        let shown = if count {
            String::new()
        } else if m.show_fk {
            format!("r.\"{}\"", m.target.as_ref().map(|(_, fk)| fk.as_str()).unwrap_or("id"))
        } else {
            text_expr(backend, &format!("{}.\"{}\"", r.alias, r.column), r.ty)
        };
        let value = if count { "CAST(COUNT(*) AS TEXT)".to_string() } else { agg(backend, &shown) };
        s.push("(SELECT ").push(&value).push(" FROM ").ident(m.rel.table).push(" r");
        if let Some((target, fk)) = &m.target {
            s.push(" LEFT JOIN ").ident(target.table).push(" x ON x.\"id\" = r.").ident(fk);
        }
        s.push(" WHERE ");
        push_many_link(&mut s, self.s, def, m, "t");
        s.push(")");
        s.text().to_string()
    }

    /// Display of a meta column: the linked items' values, aggregated.
    fn meta_display(&self, def: &'static ItemTypeDef, m: &'static ItemTypeDef, id: u32, r: &Resolved) -> String {
        let backend = self.backend();
        let Some(from) = meta_from(def, m) else { return "NULL".into() };
        let value = if r.many.is_some() {
            return "NULL".into();
        } else if r.joins.is_empty() {
            format!("m.\"{}\"", r.column)
        } else {
            format!("{}.\"{}\"", join_alias(id, &r.alias), r.column)
        };
        let mut joins = String::new();
        for (n, (table, alias, prev, fk)) in r.joins.iter().enumerate() {
            let a = join_alias(id, alias);
            let p = if n == 0 { "m".to_string() } else { join_alias(id, prev) };
            joins.push_str(&format!(" LEFT JOIN \"{table}\" {a} ON {a}.\"id\" = {p}.\"{fk}\""));
        }
        format!("(SELECT {} {from}{joins})", agg(backend, &text_expr(backend, &value, r.ty)))
    }

    #[allow(clippy::too_many_arguments)]
    fn meta_cond(
        &mut self,
        sql: &mut Sql,
        def: &'static ItemTypeDef,
        m: &'static ItemTypeDef,
        opt: &SearchOption,
        searchtype: &str,
        value: &str,
        negate: bool,
    ) -> Result<(), GlpiError> {
        let from = meta_from(def, m).ok_or_else(|| {
            GlpiError::generic(format!("Meta criteria on {} are not available for {}", m.name, def.name))
        })?;
        let r = options::resolve(m, opt).ok_or_else(|| GlpiError::generic("Forbidden field ID in search criteria"))?;
        sql.push(if negate { "NOT EXISTS (SELECT 1 " } else { "EXISTS (SELECT 1 " }).push(&from);
        if !access::type_allows(&self.s.rights, m, Op::Read) {
            sql.push(" AND 1=0");
        }
        access::push_scope(sql, self.s, m, "m");
        sql.push(" AND ");
        self.leaf(sql, m, "m", opt, &r, searchtype, value, false)?;
        sql.push(")");
        Ok(())
    }
}

/// Asset tables with an FTS5 trigram index on SQLite (see the search_indexes migration).
const TRIGRAM_TABLES: &[&str] = &["computers", "monitors", "peripherals", "printers", "networkequipments", "phones"];

/// The FTS5 trigram table for `t."name"|"serial"|"otherserial"` of the searched asset
/// table, on SQLite, when the value has the three characters a trigram lookup needs.
fn trigram_table(backend: Backend, main_table: &str, expr: &str, raw: &str) -> Option<(String, String)> {
    if backend != Backend::Sqlite
        || raw.contains('%')
        || raw.chars().count() < 3
        || !TRIGRAM_TABLES.contains(&main_table)
    {
        return None;
    }
    let (alias, col) = expr.split_once('.')?;
    let col = col.trim_matches('"');
    (alias == "t" && matches!(col, "name" | "serial" | "otherserial"))
        .then(|| (format!("{main_table}_trgm"), col.to_string()))
}

fn push_ci_eq(pos: &mut Sql, backend: Backend, expr: &str, ty: FieldType, value: &str) {
    let t = text_expr(backend, expr, ty);
    pos.push("LOWER(").push(&t).push(") = LOWER(").bind(value).push(")");
}

fn push_many_link(sql: &mut Sql, s: &Session, def: &'static ItemTypeDef, m: &options::Many, main: &str) {
    match &m.link {
        ManyLink::Fk(fk) => {
            sql.push("r.").ident(fk).push(" = ").push(main).push(".\"id\"");
        }
        ManyLink::Poly(name) => {
            sql.push("r.\"items_id\" = ").push(main).push(".\"id\" AND r.\"itemtype\" = '").push(name).push("'");
        }
    }
    if let Some((col, v)) = m.filter {
        sql.push(" AND r.").ident(col).push(" = ").push(&v.to_string());
    }
    if m.rel.has("is_deleted") && m.rel.name != def.name {
        sql.push(" AND r.\"is_deleted\" = 0");
    }
    access::push_private_filter(sql, s, m.rel, "r");
}

/// `FROM … WHERE <link to t>` reaching the rows of meta itemtype `m` (alias `m`) linked
/// to the main row `t`. Names come from declarations only.
fn meta_from(def: &'static ItemTypeDef, m: &'static ItemTypeDef) -> Option<String> {
    let assets = ["Computer", "Monitor", "Peripheral", "Printer", "NetworkEquipment", "Phone", "Software"];
    Some(match (def.name, m.name) {
        (_, "Entity") if def.has("entities_id") => "FROM \"entities\" m WHERE m.\"id\" = t.\"entities_id\"".into(),
        ("Ticket", a) if assets.contains(&a) => format!(
            "FROM \"items_tickets\" mi JOIN \"{}\" m ON m.\"id\" = mi.\"items_id\" WHERE mi.\"itemtype\" = '{a}' AND mi.\"tickets_id\" = t.\"id\"",
            m.table
        ),
        (a, "Ticket") if assets.contains(&a) => format!(
            "FROM \"items_tickets\" mi JOIN \"tickets\" m ON m.\"id\" = mi.\"tickets_id\" WHERE mi.\"itemtype\" = '{a}' AND mi.\"items_id\" = t.\"id\""
        ),
        (a, "Software") if assets.contains(&a) => format!(
            "FROM \"items_softwareversions\" mi JOIN \"softwareversions\" mv ON mv.\"id\" = mi.\"softwareversions_id\" \
             JOIN \"softwares\" m ON m.\"id\" = mv.\"softwares_id\" WHERE mi.\"itemtype\" = '{a}' AND mi.\"items_id\" = t.\"id\" AND mi.\"is_deleted\" = 0"
        ),
        ("Computer", d @ ("Monitor" | "Peripheral" | "Printer" | "Phone")) => format!(
            "FROM \"computers_items\" mi JOIN \"{}\" m ON m.\"id\" = mi.\"items_id\" WHERE mi.\"itemtype\" = '{d}' AND mi.\"computers_id\" = t.\"id\"",
            m.table
        ),
        (d @ ("Monitor" | "Peripheral" | "Printer" | "Phone"), "Computer") => format!(
            "FROM \"computers_items\" mi JOIN \"computers\" m ON m.\"id\" = mi.\"computers_id\" WHERE mi.\"itemtype\" = '{d}' AND mi.\"items_id\" = t.\"id\""
        ),
        ("Ticket", "User") => "FROM \"tickets_users\" mi JOIN \"users\" m ON m.\"id\" = mi.\"users_id\" WHERE mi.\"tickets_id\" = t.\"id\"".into(),
        _ => return None,
    })
}
