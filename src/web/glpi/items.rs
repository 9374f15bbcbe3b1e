//! Generic item endpoints, served for every declared itemtype: getItem, getItems,
//! sub-items, getMultipleItems, add, update and delete (trash or purge).

use super::error::GlpiError;
use super::{ok, params, respond, Ctx, GlpiResult};
use crate::access::{self, Op};
use crate::auth::session::Session;
use crate::db::sql::Sql;
use crate::db::{Backend, DbConn};
use crate::items::read::{self, Trash};
use crate::items::{add_one, delete_one, update_one, Refusal};
use crate::itemtypes::store::{self, StoreError};
use crate::itemtypes::value::preview as truncate;
use crate::itemtypes::{self, fk_target, FieldType, ItemTypeDef};
use actix_web::http::{Method, StatusCode};
use actix_web::HttpResponse;
use serde_json::{json, Map, Value};

use crate::items::NO_RIGHT;

/// Outcome of one element of a bulk add: (new id, message) or why it was refused.
type AddResult = Result<(i64, String), Refusal>;
/// Outcome of one element of a bulk update or delete, with its id.
type WriteResult = (i64, Result<(), Refusal>);

pub async fn route(ctx: Ctx, s: Session, resource: &str) -> GlpiResult {
    if resource == "listSearchOptions" || resource == "search" {
        return crate::web::glpi::search_route(ctx, s, resource).await;
    }
    let def = itemtypes::find(resource).ok_or_else(GlpiError::resource_not_found)?;
    // `/Type/:id/SubType[/:sub_id]`. GLPI ignores an invalid sub-type and answers the
    // parent; Parc refuses it, so `Computer/1/..%2FUser` cannot pass for a valid path.
    let id = ctx.rest.first().map(|x| parse_id(x)).transpose()?;
    let sub = ctx.rest.get(1).map(|t| itemtypes::find(t).ok_or_else(GlpiError::resource_not_found)).transpose()?;
    let sub_id = ctx.rest.get(2).and_then(|x| x.parse::<i64>().ok());
    match ctx.method.clone() {
        Method::GET => match (id, sub, sub_id) {
            (Some(_), Some(child), Some(cid)) => get_item(ctx, s, child, cid).await,
            (Some(pid), Some(child), None) => list(ctx, s, child, Some((def, pid))).await,
            (Some(id), None, _) => get_item(ctx, s, def, id).await,
            (None, _, _) => list(ctx, s, def, None).await,
        },
        Method::POST => add(ctx, s, sub.unwrap_or(def)).await,
        Method::PUT | Method::PATCH => {
            update(ctx, s, if sub_id.is_some() { sub.unwrap_or(def) } else { def }, sub_id.or(id)).await
        }
        Method::DELETE => delete(ctx, s, if sub_id.is_some() { sub.unwrap_or(def) } else { def }, sub_id.or(id)).await,
        _ => Err(GlpiError::new(405, "ERROR_METHOD_NOT_ALLOWED", "Method Not Allowed", true)),
    }
}

/// Ids are non-negative integers that fit the database; anything else is refused.
fn parse_id(s: &str) -> Result<i64, GlpiError> {
    match s.parse::<i64>() {
        Ok(n) if (0..=i32::MAX as i64).contains(&n) => Ok(n),
        Ok(_) => Err(GlpiError::item_not_found()),
        Err(_) => Err(GlpiError::generic(format!("Bad id '{}': it must be a positive integer", truncate(s)))),
    }
}

/// Options of getItem / getItems that shape each row.
#[derive(Clone)]
struct RenderOpts {
    api_url: String,
    expand: bool,
    hateoas: bool,
    keys_names: Vec<String>,
    with: Vec<&'static str>,
}

impl RenderOpts {
    fn from(ctx: &Ctx) -> Self {
        let with = [
            "with_devices",
            "with_disks",
            "with_softwares",
            "with_connections",
            "with_networkports",
            "with_infocoms",
            "with_contracts",
            "with_documents",
            "with_tickets",
            "with_problems",
            "with_changes",
            "with_notes",
            "with_logs",
        ]
        .into_iter()
        .filter(|k| ctx.flag(k))
        .collect();
        RenderOpts {
            api_url: ctx.state.settings.api_url.trim_end_matches('/').to_string(),
            expand: ctx.flag("expand_dropdowns"),
            hateoas: ctx.param("get_hateoas").is_none() || ctx.flag("get_hateoas"),
            keys_names: ctx
                .param("add_keys_names")
                .map(|v| params::as_list(v).into_iter().filter_map(|x| params::as_str(Some(x))).collect())
                .unwrap_or_default(),
            with,
        }
    }
}

async fn get_item(ctx: Ctx, s: Session, def: &'static ItemTypeDef, id: i64) -> GlpiResult {
    let opts = RenderOpts::from(&ctx);
    let sha1 = ctx.flag("get_sha1");
    let row = ctx
        .state
        .db
        .run(move |c| -> Result<Value, GlpiError> {
            let row = store::get(c, def, id).map_err(store_err)?.ok_or_else(GlpiError::item_not_found)?;
            let visible = match access::row_visible_fast(&s, def, &row) {
                Some(v) => v,
                None => access::row_visible(c, &s, def, id)?,
            };
            if !access::type_allows(&s.rights, def, Op::Read) || !visible {
                return Err(GlpiError::right_missing());
            }
            render(c, &s, def, row, &opts)
        })
        .await?;
    if sha1 {
        use sha1::Digest;
        let json = serde_json::to_string(&row).unwrap_or_default();
        let d = sha1::Sha1::digest(json.as_bytes());
        return ok(&Value::String(d.iter().map(|b| format!("{b:02x}")).collect()));
    }
    ok(&row)
}

fn store_err(e: StoreError) -> GlpiError {
    match e {
        StoreError::NotFound => GlpiError::item_not_found(),
        StoreError::Invalid(m) => GlpiError::generic(m),
        StoreError::Db(d) => d.into(),
    }
}

/// Display name of a row for dropdown expansion and `_keys_names`.
fn display_name(c: &mut DbConn, target: &'static ItemTypeDef, id: i64) -> Result<Option<String>, GlpiError> {
    let col = if target.has("completename") {
        "completename"
    } else if target.has("name") {
        "name"
    } else {
        return Ok(None);
    };
    let mut sql = Sql::new(c.backend());
    sql.push("SELECT COALESCE(")
        .ident(col)
        .push(", '') AS s FROM ")
        .ident(target.table)
        .push(" WHERE \"id\" = ")
        .bind(id);
    Ok(sql.load_strings(c)?.into_iter().next())
}

/// Add HATEOAS links, expanded dropdowns, `_keys_names` and `with_*` sections to a row.
fn render(
    c: &mut DbConn,
    s: &Session,
    def: &'static ItemTypeDef,
    row: Value,
    o: &RenderOpts,
) -> Result<Value, GlpiError> {
    let Value::Object(mut obj) = row else { return Ok(row) };
    obj.shift_remove("guid");
    let id = obj.get("id").and_then(Value::as_i64).unwrap_or(0);
    let mut links = Vec::new();
    let mut keys_names = Map::new();
    let poly_type = obj.get("itemtype").and_then(Value::as_str).map(str::to_string);
    let fields: Vec<String> = obj.keys().cloned().collect();
    for k in fields {
        let target = if k == "items_id" { poly_type.as_deref().and_then(itemtypes::find) } else { fk_target(&k) };
        let Some(target) = target else { continue };
        let Some(v) = obj.get(&k).and_then(Value::as_i64) else { continue };
        if v <= 0 && !(k == "entities_id" && v == 0) {
            continue;
        }
        if o.hateoas {
            links.push(json!({"rel": target.name, "href": format!("{}/{}/{}", o.api_url, target.name, v)}));
        }
        let wants_key = o.keys_names.iter().any(|n| n == &k);
        if o.expand || wants_key {
            let name = display_name(c, target, v)?;
            if wants_key {
                keys_names.insert(k.clone(), json!(name.clone().unwrap_or_default()));
            }
            if o.expand {
                if let Some(n) = name {
                    obj.insert(k.clone(), Value::String(n));
                }
            }
        }
    }
    if o.keys_names.iter().any(|n| n == "id") {
        keys_names.insert("id".into(), json!(display_name(c, def, id)?.unwrap_or_default()));
    }
    for w in &o.with {
        let (key, value) = with_section(c, s, def, id, w)?;
        obj.insert(key.into(), value);
    }
    if o.hateoas {
        for child in def.children {
            links.push(json!({"rel": child, "href": format!("{}/{}/{}/{}/", o.api_url, def.name, id, child)}));
        }
        obj.insert("links".into(), Value::Array(links));
    }
    if !o.keys_names.is_empty() {
        obj.insert("_keys_names".into(), Value::Object(keys_names));
    }
    Ok(Value::Object(obj))
}

/// Rows of `child` hanging off (`parent`, `id`) through `itemtype`/`items_id`.
fn poly_rows(
    c: &mut DbConn,
    child: &'static ItemTypeDef,
    parent: &str,
    id: i64,
    extra: &str,
) -> Result<Vec<Value>, GlpiError> {
    let mut sql = Sql::new(c.backend());
    store::select_json(&mut sql, &store::visible_projection(child), |q| {
        q.ident(child.table).push(" t WHERE t.\"itemtype\" = ").bind(parent).push(" AND t.\"items_id\" = ").bind(id);
        q.push(extra).push(" ORDER BY t.\"id\"");
    });
    let mut rows = sql.load_json(c)?;
    for r in &mut rows {
        if let Some(o) = r.as_object_mut() {
            o.shift_remove("guid");
        }
    }
    Ok(rows)
}

fn with_section(
    c: &mut DbConn,
    s: &Session,
    def: &'static ItemTypeDef,
    id: i64,
    w: &str,
) -> Result<(&'static str, Value), GlpiError> {
    let it = |n| itemtypes::find(n).expect("declared itemtype");
    Ok(match w {
        "with_logs" => {
            if !s.rights.has("logs", crate::auth::rights::READ) {
                return Ok(("_logs", json!({"error": 401, "message": NO_RIGHT})));
            }
            let rows = poly_rows(c, it("Log"), def.name, id, "")?;
            let map: Map<String, Value> = rows.into_iter().rev().map(|r| (r["id"].to_string(), r)).collect();
            ("_logs", Value::Object(map))
        }
        "with_disks" => {
            let rows = poly_rows(c, it("Item_Disk"), def.name, id, " AND t.\"is_deleted\" = 0")?;
            ("_disks", Value::Array(rows.into_iter().map(|r| json!({"name": r})).collect()))
        }
        "with_infocoms" => {
            let rows = poly_rows(c, it("Infocom"), def.name, id, "")?;
            ("_infocoms", rows.into_iter().next().unwrap_or_else(|| json!([])))
        }
        "with_networkports" => {
            let rows = poly_rows(c, it("NetworkPort"), def.name, id, " AND t.\"is_deleted\" = 0")?;
            let mut by_type: Map<String, Value> = [
                "NetworkPortEthernet",
                "NetworkPortWifi",
                "NetworkPortAggregate",
                "NetworkPortAlias",
                "NetworkPortDialup",
                "NetworkPortLocal",
                "NetworkPortFiberchannel",
            ]
            .into_iter()
            .map(|k| (k.to_string(), json!([])))
            .collect();
            for mut r in rows {
                let kind = r["instantiation_type"].as_str().unwrap_or("NetworkPortEthernet").to_string();
                let ips = poly_rows(
                    c,
                    it("IPAddress"),
                    "NetworkPort",
                    r["id"].as_i64().unwrap_or(0),
                    " AND t.\"is_deleted\" = 0",
                )?;
                if let Some(o) = r.as_object_mut() {
                    if let Some(pid) = o.shift_remove("id") {
                        o.insert("netport_id".into(), pid);
                    }
                    // GLPI nests addresses under the port's NetworkName; Parc stores them on
                    // the port itself, so the name block is synthetic (id 0).
                    if !ips.is_empty() {
                        let addresses: Vec<Value> = ips
                            .iter()
                            .map(|ip| json!({"id": ip["id"].to_string(), "name": ip["name"], "IPNetwork": []}))
                            .collect();
                        let name = o.get("name").cloned().unwrap_or(Value::Null);
                        o.insert(
                            "NetworkName".into(),
                            json!({"id": 0, "name": name, "fqdns_id": 0, "FQDN": {"id": 0, "name": null, "fqdn": null}, "IPAddress": addresses}),
                        );
                    }
                }
                if let Some(Value::Array(a)) = by_type.get_mut(&kind) {
                    a.push(r);
                }
            }
            ("_networkports", Value::Object(by_type))
        }
        "with_softwares" => {
            if !s.rights.has("software", crate::auth::rights::READ) {
                return Ok(("_softwares", json!({"error": 401, "message": NO_RIGHT})));
            }
            let mut sql = Sql::new(c.backend());
            sql.push(
                "SELECT CAST(sw.\"softwarecategories_id\" AS BIGINT) * 0 + isv.\"id\" AS n FROM \"items_softwareversions\" isv \
                 JOIN \"softwareversions\" sv ON sv.\"id\" = isv.\"softwareversions_id\" \
                 JOIN \"softwares\" sw ON sw.\"id\" = sv.\"softwares_id\" WHERE isv.\"itemtype\" = ",
            )
            .bind(def.name)
            .push(" AND isv.\"items_id\" = ")
            .bind(id)
            .push(" AND isv.\"is_deleted\" = 0 ORDER BY sw.\"name\", sv.\"name\"");
            let ids = sql.load_ints(c)?;
            let mut out = Vec::with_capacity(ids.len());
            if !ids.is_empty() {
                let mut q = Sql::new(c.backend());
                let cols = [
                    store::Projected {
                        key: "softwarecategories_id",
                        alias: "sw",
                        column: "softwarecategories_id",
                        ty: FieldType::Int,
                    },
                    store::Projected { key: "softwares_id", alias: "sv", column: "softwares_id", ty: FieldType::Int },
                    store::Projected {
                        key: "softwareversions_id",
                        alias: "isv",
                        column: "softwareversions_id",
                        ty: FieldType::Int,
                    },
                    store::Projected { key: "is_dynamic", alias: "isv", column: "is_dynamic", ty: FieldType::Int },
                    store::Projected { key: "states_id", alias: "sv", column: "states_id", ty: FieldType::Int },
                    store::Projected { key: "is_valid", alias: "sw", column: "is_valid", ty: FieldType::Int },
                ];
                store::select_json(&mut q, &cols, |q| {
                    q.push("\"items_softwareversions\" isv JOIN \"softwareversions\" sv ON sv.\"id\" = isv.\"softwareversions_id\" \
                            JOIN \"softwares\" sw ON sw.\"id\" = sv.\"softwares_id\" WHERE isv.\"itemtype\" = ")
                        .bind(def.name)
                        .push(" AND isv.\"items_id\" = ")
                        .bind(id)
                        .push(" AND isv.\"is_deleted\" = 0 ORDER BY sw.\"name\", sv.\"name\"");
                });
                out = q.load_json(c)?;
            }
            ("_softwares", Value::Array(out))
        }
        "with_connections" => {
            if def.name != "Computer" {
                return Ok(("_connections", json!([])));
            }
            let links_def = it("Computer_Item");
            let mut sql = Sql::new(c.backend());
            store::select_json(&mut sql, &store::visible_projection(links_def), |q| {
                q.ident(links_def.table).push(" t WHERE t.\"computers_id\" = ").bind(id).push(" ORDER BY t.\"id\"");
            });
            let mut by_type: Map<String, Value> = Map::new();
            for link in sql.load_json(c)? {
                let Some(ty) = link["itemtype"].as_str().and_then(itemtypes::find) else { continue };
                let Some(iid) = link["items_id"].as_i64() else { continue };
                let Some(Value::Object(item)) = store::get(c, ty, iid).map_err(store_err)? else { continue };
                let mut o = Map::new();
                o.insert("assoc_id".into(), link["id"].clone());
                o.insert("assoc_computers_id".into(), link["computers_id"].clone());
                o.insert("assoc_itemtype".into(), link["itemtype"].clone());
                o.insert("assoc_items_id".into(), link["items_id"].clone());
                o.insert("assoc_is_dynamic".into(), link["is_dynamic"].clone());
                o.insert("assoc_is_deleted".into(), link["is_deleted"].clone());
                for (k, v) in item {
                    if k != "guid" {
                        o.insert(k, v);
                    }
                }
                if let Value::Array(a) = by_type.entry(ty.name.to_string()).or_insert_with(|| json!([])) {
                    a.push(Value::Object(o));
                }
            }
            ("_connections", if by_type.is_empty() { json!([]) } else { Value::Object(by_type) })
        }
        "with_devices" => {
            let mut out = Map::new();
            for name in ["Item_DeviceFirmware", "Item_DeviceProcessor", "Item_DeviceMemory"] {
                let rows = poly_rows(c, it(name), def.name, id, " AND t.\"is_deleted\" = 0")?;
                if rows.is_empty() {
                    continue;
                }
                let m: Map<String, Value> = rows
                    .into_iter()
                    .map(|mut r| {
                        let key = r["id"].to_string();
                        if let Some(o) = r.as_object_mut() {
                            o.shift_remove("items_id");
                            o.shift_remove("itemtype");
                            o.shift_remove("is_deleted");
                        }
                        (key, r)
                    })
                    .collect();
                out.insert(name.into(), Value::Object(m));
            }
            ("_devices", if out.is_empty() { json!([]) } else { Value::Object(out) })
        }
        "with_tickets" => {
            let ticket = it("Ticket");
            let mut sql = Sql::new(c.backend());
            store::select_json(&mut sql, &store::visible_projection(ticket), |q| {
                q.push("\"tickets\" t WHERE t.\"id\" IN (SELECT it.\"tickets_id\" FROM \"items_tickets\" it WHERE it.\"itemtype\" = ")
                    .bind(def.name)
                    .push(" AND it.\"items_id\" = ")
                    .bind(id)
                    .push(")");
                access::push_scope(q, s, ticket, "t");
                q.push(" ORDER BY t.\"id\"");
            });
            let mut rows = sql.load_json(c)?;
            for r in &mut rows {
                if let Some(o) = r.as_object_mut() {
                    o.shift_remove("guid");
                }
            }
            ("_tickets", Value::Array(rows))
        }
        "with_contracts" => ("_contracts", json!([])),
        "with_documents" => ("_documents", json!([])),
        "with_problems" => ("_problems", json!([])),
        "with_changes" => ("_changes", json!([])),
        _ => ("_notes", json!([])),
    })
}

/// Parsed `range`: (start, end inclusive, given explicitly).
fn parse_range(ctx: &Ctx, page: i64) -> Result<(i64, i64, bool), GlpiError> {
    match params::as_str(ctx.param("range")) {
        None => Ok((0, page - 1, false)),
        Some(r) => {
            let (a, b) = r.split_once('-').ok_or_else(GlpiError::bad_range)?;
            let a: i64 = a.trim().parse().map_err(|_| GlpiError::bad_range())?;
            let b: i64 = b.trim().parse().map_err(|_| GlpiError::bad_range())?;
            if a < 0 || b < a {
                return Err(GlpiError::bad_range());
            }
            Ok((a, b, true))
        }
    }
}

/// Escape LIKE wildcards and apply GLPI's `^`/`$` anchors.
pub fn like_pattern(text: &str) -> String {
    let (start, body) = match text.strip_prefix('^') {
        Some(rest) => (true, rest),
        None => (false, text),
    };
    let (end, body) = match body.strip_suffix('$') {
        Some(rest) => (true, rest),
        None => (false, body),
    };
    let escaped = crate::db::sql::escape_like(body);
    format!("{}{}{}", if start { "" } else { "%" }, escaped, if end { "" } else { "%" })
}

/// Case-insensitive LIKE on both backends.
pub fn push_like(sql: &mut Sql, alias: &str, column: &str, pattern: String) {
    match sql.backend {
        Backend::Sqlite => sql.col(alias, column).push(" LIKE ").bind(pattern).push(" ESCAPE '\\'"),
        Backend::Postgres => {
            sql.push("CAST(").col(alias, column).push(" AS TEXT) ILIKE ").bind(pattern).push(" ESCAPE '\\'")
        }
    };
}

async fn list(
    ctx: Ctx,
    s: Session,
    def: &'static ItemTypeDef,
    parent: Option<(&'static ItemTypeDef, i64)>,
) -> GlpiResult {
    if !access::type_allows(&s.rights, def, Op::Read) {
        return Err(GlpiError::right_missing());
    }
    let page = s.user.list_limit.unwrap_or(15).max(1) as i64;
    let (start, end, explicit) = parse_range(&ctx, page)?;
    let sort = params::as_str(ctx.param("sort")).unwrap_or_else(|| "id".into());
    if !def.has(&sort) || def.hidden.contains(&sort.as_str()) {
        return Err(GlpiError::generic(format!("sort param is not a field of {}", def.glpi_table())));
    }
    let sort_col = def.column(&sort).expect("checked").name;
    let desc = match params::as_str(ctx.param("order")).map(|o| o.to_ascii_uppercase()) {
        None => false,
        Some(o) if o == "ASC" => false,
        Some(o) if o == "DESC" => true,
        Some(_) => return Err(GlpiError::generic("order must be DESC or ASC")),
    };
    let mut text_filters = Vec::new();
    if let Some(Value::Object(st)) = ctx.param("searchText") {
        for (k, v) in st {
            let Some(text) = params::as_str(Some(v)).filter(|t| !t.is_empty()) else { continue };
            match def.column(k) {
                Some(f) if def.hidden.contains(&f.name) => {}
                Some(f) if text.contains('\0') => {
                    return Err(GlpiError::generic(format!("searchText[{}] contains a NUL character", f.name)))
                }
                Some(f) => text_filters.push((f.name, text)),
                None => {
                    return Err(GlpiError::new(
                        400,
                        "ERROR_FIELD_NOT_FOUND",
                        format!("Field {k} is not valid for {} item.", def.name),
                        true,
                    ))
                }
            }
        }
    }
    let trash = def.has("is_deleted").then(|| ctx.flag("is_deleted") as i64);
    let only_id = ctx.flag("only_id");
    let opts = RenderOpts::from(&ctx);
    let limit = end - start + 1;
    let st = ctx.state.clone();
    let (rows, total) = ctx
        .state
        .db
        .run(move |c| -> Result<(Vec<Value>, i64), GlpiError> {
            if let Some((pdef, pid)) = parent {
                store::get(c, pdef, pid).map_err(store_err)?.ok_or_else(GlpiError::item_not_found)?;
                if !access::type_allows(&s.rights, pdef, Op::Read) || !access::row_visible(c, &s, pdef, pid)? {
                    return Err(GlpiError::right_missing());
                }
            }
            let trash = trash.map_or(Trash::Any, Trash::Only);
            let where_sql = read::scoped_where(c.backend(), &s, def, trash, false, |q| -> Result<(), GlpiError> {
                if let Some((pdef, pid)) = parent {
                    let fk = format!("{}_id", pdef.table);
                    if def.has(&fk) {
                        q.push(" AND ").col("t", &fk).push(" = ").bind(pid);
                    } else if def.has("itemtype") && def.has("items_id") {
                        q.push(" AND t.\"itemtype\" = ").bind(pdef.name).push(" AND t.\"items_id\" = ").bind(pid);
                    } else if pdef.has(&format!("{}_id", def.table)) {
                        q.push(" AND t.\"id\" IN (SELECT pp.").ident(&format!("{}_id", def.table)).push(" FROM ");
                        q.ident(pdef.table).push(" pp WHERE pp.\"id\" = ").bind(pid).push(")");
                    } else {
                        return Err(GlpiError::parent_not_found());
                    }
                }
                for (col, text) in &text_filters {
                    q.push(" AND ");
                    push_like(q, "t", col, like_pattern(text));
                }
                Ok(())
            })?;
            // Plain lists (no filter but the scope) reuse a total counted within two seconds.
            let plain = parent.is_none() && text_filters.is_empty();
            let key = format!("{}|{:?}|{}|{:?}|{}", def.name, trash, s.all_entities, s.active, s.users_id());
            let cached = if plain { st.counts.get(&key) } else { None };
            let total = match cached {
                Some(n) => n,
                None => {
                    let n = read::count(c, def, &where_sql)?;
                    if plain {
                        st.counts.put(key, n);
                    }
                    n
                }
            };
            if start > total {
                return Err(GlpiError::range_exceed(total));
            }
            // Page ids first (an index-only walk even for deep offsets), then the rows.
            let mut order = format!("t.\"{sort_col}\" {}", if desc { "DESC" } else { "ASC" });
            if sort_col != "id" {
                order.push_str(", t.\"id\" ASC");
            }
            let ids = read::page_ids(c, def, "", &where_sql, &order, limit, start)?;
            let rows = store::get_many(c, def, &ids).map_err(store_err)?;
            let rows = rows
                .into_iter()
                .map(|r| {
                    if only_id {
                        let mut o = Map::new();
                        o.insert("id".into(), r["id"].clone());
                        if opts.hateoas {
                            let rendered = render(
                                c,
                                &s,
                                def,
                                r,
                                &RenderOpts { expand: false, keys_names: vec![], with: vec![], ..opts.clone() },
                            )?;
                            let links: Vec<Value> = rendered["links"]
                                .as_array()
                                .map(|l| {
                                    l.iter()
                                        .filter(|x| x["href"].as_str().is_some_and(|h| h.ends_with('/')))
                                        .cloned()
                                        .collect()
                                })
                                .unwrap_or_default();
                            o.insert("links".into(), Value::Array(links));
                        }
                        Ok(Value::Object(o))
                    } else {
                        let opts = RenderOpts {
                            with: opts.with.iter().copied().filter(|w| *w == "with_networkports").collect(),
                            ..opts.clone()
                        };
                        render(c, &s, def, r, &opts)
                    }
                })
                .collect::<Result<Vec<_>, GlpiError>>()?;
            Ok((rows, total))
        })
        .await?;
    Ok(list_response(def, rows, total, start, end, explicit, page))
}

/// Status and range headers of getItems, reproducing GLPI's header arithmetic.
fn list_response(
    def: &ItemTypeDef,
    rows: Vec<Value>,
    total: i64,
    start: i64,
    end: i64,
    explicit: bool,
    page: i64,
) -> HttpResponse {
    let header_end = if explicit { end } else { page };
    let header_end = header_end.min(total - 1);
    let partial = (if explicit { end - start + 1 } else { page + 1 }) < total;
    let status = if partial && total > 0 { StatusCode::PARTIAL_CONTENT } else { StatusCode::OK };
    let mut resp = respond(status, &Value::Array(rows));
    let range = (total > 0).then(|| read::content_range(start, header_end, total));
    super::paging_headers(&mut resp, def.name, range.as_deref());
    resp
}

pub async fn get_multiple(ctx: Ctx, s: Session) -> GlpiResult {
    let items = match ctx.param("items") {
        Some(v @ (Value::Array(_) | Value::Object(_))) => params::as_list(v).into_iter().cloned().collect::<Vec<_>>(),
        _ => return Err(GlpiError::bad_array()),
    };
    let mut wanted = Vec::new();
    for it in items {
        let ty = params::as_str(it.get("itemtype"))
            .and_then(|t| itemtypes::find(&t))
            .ok_or_else(GlpiError::resource_not_found)?;
        let id = params::as_str(it.get("items_id")).ok_or_else(GlpiError::bad_array)?;
        wanted.push((ty, parse_id(&id)?));
    }
    let opts = RenderOpts::from(&ctx);
    let out = ctx
        .state
        .db
        .run(move |c| -> Result<Vec<Value>, GlpiError> {
            let mut out = Vec::new();
            for (def, id) in wanted {
                let row = store::get(c, def, id).map_err(store_err)?.ok_or_else(GlpiError::item_not_found)?;
                if !access::type_allows(&s.rights, def, Op::Read) || !access::row_visible(c, &s, def, id)? {
                    return Err(GlpiError::right_missing());
                }
                out.push(render(c, &s, def, row, &opts)?);
            }
            Ok(out)
        })
        .await?;
    ok(&Value::Array(out))
}

/// `input` as a list of objects, and whether it was a single object.
fn inputs(ctx: &Ctx) -> Result<(Vec<Value>, bool), GlpiError> {
    match ctx.param("input") {
        Some(Value::Object(o)) => Ok((vec![Value::Object(o.clone())], true)),
        Some(Value::Array(a)) => Ok((a.clone(), false)),
        _ => Err(GlpiError::bad_array()),
    }
}

/// Largest bulk add answered with a `Link` header.
const MAX_LINKS: usize = 100;

async fn add(ctx: Ctx, s: Session, def: &'static ItemTypeDef) -> GlpiResult {
    let (items, single) = inputs(&ctx)?;
    let api_url = ctx.state.settings.api_url.trim_end_matches('/').to_string();
    let results = ctx
        .state
        .db
        .run(move |c| -> Result<Vec<AddResult>, GlpiError> {
            Ok(items.into_iter().map(|i| add_one(c, &s, def, i)).collect())
        })
        .await?;
    let ok_count = results.iter().filter(|r| r.is_ok()).count();
    let bodies: Vec<Value> = results
        .iter()
        .map(|r| match r {
            Ok((id, m)) => json!({"id": id, "message": m}),
            Err(e) => json!({"id": false, "message": e.message()}),
        })
        .collect();
    if single {
        return match &results[0] {
            Ok((id, _)) => {
                let mut resp = respond(StatusCode::CREATED, &bodies[0]);
                resp.headers_mut().insert(
                    actix_web::http::header::LOCATION,
                    actix_web::http::header::HeaderValue::from_str(&format!("{api_url}/{}/{id}", def.name))
                        .expect("ascii"),
                );
                Ok(resp)
            }
            Err(e) => Err(GlpiError::refused("ERROR_GLPI_ADD", e)),
        };
    }
    // GLPI sends one `Link` URL per created item; past a hundred the header outgrows what
    // common clients read (64 KB for Python's http.client), so it is left out: the ids are
    // in the body.
    if ok_count == results.len() && results.len() > MAX_LINKS {
        Ok(respond(StatusCode::CREATED, &Value::Array(bodies)))
    } else if ok_count == results.len() {
        let link = results
            .iter()
            .filter_map(|r| r.as_ref().ok())
            .map(|(id, _)| format!("{api_url}/{}/{id}", def.name))
            .collect::<Vec<_>>()
            .join(",");
        let mut resp = respond(StatusCode::CREATED, &Value::Array(bodies));
        if let Ok(v) = actix_web::http::header::HeaderValue::from_str(&link) {
            resp.headers_mut().insert(actix_web::http::header::LINK, v);
        }
        Ok(resp)
    } else if ok_count == 0 {
        Err(GlpiError::with_value(400, "ERROR_GLPI_ADD", Value::Array(bodies)))
    } else {
        Err(GlpiError::with_value(207, "ERROR_GLPI_PARTIAL_ADD", Value::Array(bodies)))
    }
}

async fn update(ctx: Ctx, s: Session, def: &'static ItemTypeDef, url_id: Option<i64>) -> GlpiResult {
    let (items, single) = inputs(&ctx)?;
    if url_id.is_some() && !single {
        return Err(GlpiError::bad_array());
    }
    let results = ctx
        .state
        .db
        .run(move |c| -> Result<Vec<Option<WriteResult>>, GlpiError> {
            Ok(items
                .into_iter()
                .map(|i| {
                    let Value::Object(mut obj) = i else { return None };
                    let id = match obj
                        .shift_remove("id")
                        .map(|v| params::as_str(Some(&v)).and_then(|x| x.parse::<i64>().ok()))
                    {
                        Some(Some(id)) => id,
                        Some(None) => return None,
                        None => url_id?,
                    };
                    Some((id, update_one(c, &s, def, id, obj)))
                })
                .collect())
        })
        .await?;
    let bodies: Vec<Value> = results
        .iter()
        .filter_map(|r| match r {
            None => Some(json!([])),
            Some((_, Err(Refusal::NotFound))) => None,
            Some((id, Ok(()))) => Some(json!({id.to_string(): true, "message": ""})),
            Some((id, Err(e))) => Some(json!({id.to_string(): false, "message": e.message()})),
        })
        .collect();
    let ok_count = results.iter().filter(|r| matches!(r, Some((_, Ok(()))))).count();
    if single {
        return match results.first() {
            Some(Some((_, Ok(())))) => ok(&Value::Array(bodies)),
            // GLPI's own answer to an unknown id (a `null` message), kept for parity.
            Some(Some((_, Err(Refusal::NotFound)))) => {
                Err(GlpiError::with_value(400, "ERROR_GLPI_UPDATE", Value::Null))
            }
            Some(None) | None => Err(GlpiError::new(
                400,
                "ERROR_GLPI_UPDATE",
                "the id of the item to update is missing or invalid",
                false,
            )),
            Some(Some((_, Err(e)))) => Err(GlpiError::refused("ERROR_GLPI_UPDATE", e)),
        };
    }
    if ok_count == results.len() {
        ok(&Value::Array(bodies))
    } else if ok_count == 0 {
        Err(GlpiError::with_value(400, "ERROR_GLPI_UPDATE", Value::Array(bodies)))
    } else {
        Err(GlpiError::with_value(207, "ERROR_GLPI_PARTIAL_UPDATE", Value::Array(bodies)))
    }
}

async fn delete(ctx: Ctx, s: Session, def: &'static ItemTypeDef, url_id: Option<i64>) -> GlpiResult {
    let purge = ctx.flag("force_purge");
    let (items, single) = match url_id {
        Some(id) => (vec![json!({"id": id})], true),
        None => inputs(&ctx)?,
    };
    let results = ctx
        .state
        .db
        .run(move |c| -> Result<Vec<WriteResult>, GlpiError> {
            Ok(items
                .into_iter()
                .filter_map(|i| params::as_str(i.get("id")).and_then(|x| x.parse::<i64>().ok()))
                .map(|id| (id, delete_one(c, &s, def, id, purge)))
                .collect())
        })
        .await?;
    let bodies: Vec<Value> = results
        .iter()
        .map(|(id, r)| match r {
            Ok(()) => json!({id.to_string(): true, "message": ""}),
            Err(e) => json!({id.to_string(): false, "message": e.message()}),
        })
        .collect();
    let ok_count = results.iter().filter(|(_, r)| r.is_ok()).count();
    if single {
        return match results.first() {
            Some((_, Ok(()))) => ok(&Value::Array(bodies)),
            Some((_, Err(e))) => Err(GlpiError::refused("ERROR_GLPI_DELETE", e)),
            None => Err(GlpiError::bad_array()),
        };
    }
    if ok_count == results.len() {
        ok(&Value::Array(bodies))
    } else if ok_count == 0 {
        Err(GlpiError::with_value(400, "ERROR_GLPI_DELETE", Value::Array(bodies)))
    } else {
        Err(GlpiError::with_value(207, "ERROR_GLPI_PARTIAL_DELETE", Value::Array(bodies)))
    }
}
