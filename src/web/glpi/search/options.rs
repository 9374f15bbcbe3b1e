//! Search options per itemtype, as data. For the itemtypes GLPI documents, the options are
//! the ones real GLPI 10.0.19 lists (captured `listSearchOptions` answers, stored as JSON
//! next to this file, the only copy: `tests/api/search.rs` checks the served answer against
//! the captures). Other itemtypes get the generic options derived from their columns.
//! Each option is then resolved to SQL through its `uid` path and the itemtype declarations.

use crate::itemtypes::{self, FieldType, ItemTypeDef, Parent};
use serde_json::{json, Map, Value};
use std::collections::HashMap;
use std::sync::OnceLock;

/// One search option, as listSearchOptions shows it.
#[derive(Debug, Clone)]
pub struct SearchOption {
    pub id: u32,
    pub name: String,
    pub table: String,
    pub field: String,
    pub datatype: String,
    pub nosearch: bool,
    pub nodisplay: bool,
    pub searchtypes: Vec<String>,
    pub uid: String,
}

pub struct OptionSet {
    /// The listSearchOptions answer, in GLPI's order (group headers included).
    pub listing: Value,
    pub by_id: HashMap<u32, SearchOption>,
}

const CAPTURED: &[(&str, &str)] = &[
    ("Computer", include_str!("../searchoptions/Computer.json")),
    ("Entity", include_str!("../searchoptions/Entity.json")),
    ("Location", include_str!("../searchoptions/Location.json")),
    ("Monitor", include_str!("../searchoptions/Monitor.json")),
    ("NetworkEquipment", include_str!("../searchoptions/NetworkEquipment.json")),
    ("Peripheral", include_str!("../searchoptions/Peripheral.json")),
    ("Phone", include_str!("../searchoptions/Phone.json")),
    ("Printer", include_str!("../searchoptions/Printer.json")),
    ("Software", include_str!("../searchoptions/Software.json")),
    ("Ticket", include_str!("../searchoptions/Ticket.json")),
    ("User", include_str!("../searchoptions/User.json")),
];

fn parse_set(listing: Value) -> OptionSet {
    let mut by_id = HashMap::new();
    if let Value::Object(o) = &listing {
        for (k, v) in o {
            let Ok(id) = k.parse::<u32>() else { continue };
            let s = |key: &str| v.get(key).and_then(Value::as_str).unwrap_or("").to_string();
            by_id.insert(
                id,
                SearchOption {
                    id,
                    name: s("name"),
                    table: s("table"),
                    field: s("field"),
                    datatype: s("datatype"),
                    nosearch: v.get("nosearch").and_then(Value::as_bool).unwrap_or(false),
                    nodisplay: v.get("nodisplay").and_then(Value::as_bool).unwrap_or(false),
                    searchtypes: v
                        .get("available_searchtypes")
                        .and_then(Value::as_array)
                        .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_string)).collect())
                        .unwrap_or_default(),
                    uid: s("uid"),
                },
            );
        }
    }
    OptionSet { listing, by_id }
}

/// Options derived from the columns, for itemtypes GLPI's captures do not cover.
fn generic(def: &'static ItemTypeDef) -> Value {
    let table = def.glpi_table();
    let mut m = Map::new();
    m.insert("common".into(), json!({"name": "Characteristics"}));
    let mut add = |id: u32, name: &str, table: &str, field: &str, datatype: &str, types: &[&str], uid: String| {
        m.insert(
            id.to_string(),
            json!({"name": name, "table": table, "field": field, "datatype": datatype, "nosearch": false,
                   "nodisplay": false, "available_searchtypes": types, "uid": uid}),
        );
    };
    let text = ["contains", "notcontains"];
    let dates = ["equals", "notequals", "lessthan", "morethan", "contains", "notcontains"];
    let label = if def.has("completename") { "completename" } else { "name" };
    if def.has(label) {
        add(
            1,
            "Name",
            &table,
            label,
            "itemlink",
            &["contains", "notcontains", "equals", "notequals"],
            format!("{}.{label}", def.name),
        );
    }
    add(2, "ID", &table, "id", "number", &text, format!("{}.id", def.name));
    if def.has("comment") {
        add(16, "Comments", &table, "comment", "text", &text, format!("{}.comment", def.name));
    }
    if def.has("date_mod") {
        add(19, "Last update", &table, "date_mod", "datetime", &dates, format!("{}.date_mod", def.name));
    }
    if def.has("date_creation") {
        add(121, "Creation date", &table, "date_creation", "datetime", &dates, format!("{}.date_creation", def.name));
    }
    if def.has("entities_id") && def.name != "Entity" {
        add(
            80,
            "Entity",
            "glpi_entities",
            "completename",
            "dropdown",
            &["contains", "notcontains", "equals", "notequals", "under", "notunder"],
            format!("{}.Entity.completename", def.name),
        );
    }
    if def.has("is_recursive") {
        add(86, "Child entities", &table, "is_recursive", "bool", &["equals"], format!("{}.is_recursive", def.name));
    }
    // Every other column, from 1001 on, so generic tools can reach them.
    let mut next = 1001;
    for f in def.visible_columns() {
        if matches!(f.name, "id" | "name" | "comment" | "date_mod" | "date_creation" | "entities_id" | "is_recursive") {
            continue;
        }
        if let Some(target) = itemtypes::fk_target(f.name) {
            let col = if target.has("completename") { "completename" } else { "name" };
            let uid = if f.name == format!("{}_id", target.table) {
                format!("{}.{}.{col}", def.name, target.name)
            } else {
                format!("{}.{}.{}.{col}", def.name, f.name, target.name)
            };
            add(
                next,
                f.name,
                &target.glpi_table(),
                col,
                "dropdown",
                &["contains", "notcontains", "equals", "notequals"],
                uid,
            );
        } else {
            let (dt, types): (&str, &[&str]) = match f.ty {
                FieldType::DateTime => ("datetime", &dates),
                FieldType::Date => ("date", &dates),
                FieldType::Int | FieldType::Num => ("number", &text),
                FieldType::Dec => ("decimal", &text),
                FieldType::Str => ("string", &text),
            };
            add(next, f.name, &table, f.name, dt, types, format!("{}.{}", def.name, f.name));
        }
        next += 1;
    }
    Value::Object(m)
}

pub fn for_itemtype(def: &'static ItemTypeDef) -> &'static OptionSet {
    static SETS: OnceLock<HashMap<&'static str, OptionSet>> = OnceLock::new();
    let sets = SETS.get_or_init(|| {
        itemtypes::ALL
            .iter()
            .map(|d| {
                let listing = CAPTURED
                    .iter()
                    .find(|(n, _)| *n == d.name)
                    .map(|(_, j)| serde_json::from_str(j).expect("captured search options are valid JSON"))
                    .unwrap_or_else(|| generic(d));
                (d.name, parse_set(listing))
            })
            .collect()
    });
    &sets[def.name]
}

/// How an option reaches its value from the main row.
#[derive(Debug, Clone)]
pub struct Resolved {
    /// 1-1 joins, in order: (table, alias, previous alias, fk column on the previous table).
    pub joins: Vec<(&'static str, String, String, String)>,
    /// A 1-n step: the value is aggregated in a correlated subquery.
    pub many: Option<Many>,
    /// Alias and column holding the value.
    pub alias: String,
    pub column: String,
    pub ty: FieldType,
    /// Target of a dropdown-like option (equals compares its id; under walks its tree).
    pub target: Option<&'static ItemTypeDef>,
}

#[derive(Debug, Clone)]
pub struct Many {
    /// The relation table (child rows of the main item).
    pub rel: &'static ItemTypeDef,
    /// How rel rows point to the main row.
    pub link: ManyLink,
    /// Optional join from the relation row to a target table through an fk column.
    pub target: Option<(&'static ItemTypeDef, String)>,
    /// Extra equality on the relation row, e.g. Ticket_User.type = 1 for requesters.
    pub filter: Option<(&'static str, i64)>,
    /// Display the relation's fk (user ids for ITIL actors) instead of the target field.
    pub show_fk: bool,
}

#[derive(Debug, Clone)]
pub enum ManyLink {
    Fk(String),
    Poly(&'static str),
}

/// GLPI's ITIL actor options carry a type filter their uid does not show.
fn actor_filter(main: &str, id: u32) -> Option<(&'static str, i64, bool)> {
    if main != "Ticket" {
        return None;
    }
    Some(match id {
        4 => ("type", 1, true),
        5 => ("type", 2, true),
        66 => ("type", 3, true),
        71 => ("type", 1, false),
        8 => ("type", 2, false),
        65 => ("type", 3, false),
        _ => return None,
    })
}

/// Resolve an option through its uid: `Main[.linkfield|.Itemtype]*.field`.
pub fn resolve(def: &'static ItemTypeDef, opt: &SearchOption) -> Option<Resolved> {
    let segs: Vec<&str> = opt.uid.split('.').collect();
    if segs.len() < 2 || segs[0] != def.name {
        return None;
    }
    let field = *segs.last()?;
    let mut cur: &'static ItemTypeDef = def;
    let mut cur_alias = "t".to_string();
    let mut joins = Vec::new();
    let mut many: Option<Many> = None;
    let mut i = 1;
    let mut n = 0;
    while i < segs.len() - 1 {
        let seg = segs[i];
        n += 1;
        if cur.has(seg) && seg.contains("_id") {
            // A named link column, followed by its target itemtype.
            let target = itemtypes::find(segs.get(i + 1)?)?;
            let alias = format!("j{n}");
            if many.is_some() {
                many.as_mut()?.target = Some((target, seg.to_string()));
            } else {
                joins.push((target.table, alias.clone(), cur_alias.clone(), seg.to_string()));
            }
            cur = target;
            cur_alias = alias;
            i += 2;
            continue;
        }
        let next = itemtypes::find(seg)?;
        let fk = format!("{}_id", next.table);
        if many.is_none() && cur.has(&fk) {
            let alias = format!("j{n}");
            joins.push((next.table, alias.clone(), cur_alias.clone(), fk));
            cur = next;
            cur_alias = alias;
        } else if many.is_none() && cur.name == def.name {
            let back = format!("{}_id", def.table);
            let link = if next.has(&back) {
                ManyLink::Fk(back)
            } else if next.parent == Parent::Poly || (next.has("itemtype") && next.has("items_id")) {
                ManyLink::Poly(def.name)
            } else {
                return None;
            };
            let filter = actor_filter(def.name, opt.id);
            many = Some(Many {
                rel: next,
                link,
                target: None,
                filter: filter.map(|(c, v, _)| (c, v)),
                show_fk: filter.is_some_and(|(_, _, ids)| ids),
            });
            cur = next;
            cur_alias = "r".into();
        } else if let Some(m) = many.as_mut().filter(|m| m.target.is_none() && cur.has(&fk)) {
            m.target = Some((next, fk));
            cur = next;
            cur_alias = "x".into();
        } else {
            return None;
        }
        i += 1;
    }
    let col = cur.column(field)?;
    let target = if opt.table != def.glpi_table() && many.is_none() { Some(cur) } else { None };
    let target = target.or_else(|| many.as_ref().and_then(|m| m.target.as_ref().map(|(t, _)| *t)));
    Some(Resolved { joins, many, alias: cur_alias, column: col.name.to_string(), ty: col.ty, target })
}

/// Default displayed columns (global display preferences after a GLPI install).
pub fn default_columns(def: &ItemTypeDef) -> &'static [u32] {
    match def.name {
        "Computer" => &[31, 23, 5, 4, 40, 45, 3, 19, 17],
        "Monitor" | "Peripheral" | "Phone" => &[31, 23, 3, 4, 40, 19, 7],
        "Printer" => &[31, 23, 3, 4, 40, 19],
        "NetworkEquipment" => &[31, 23, 3, 4, 40, 11, 19],
        "Software" => &[23, 5, 4, 72, 163],
        "Ticket" => &[12, 19, 15, 3, 4, 5, 7, 18],
        "User" => &[34, 5, 6, 3, 8],
        "Group" => &[16],
        _ => &[],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opt(it: &str, id: u32) -> (&'static ItemTypeDef, SearchOption) {
        let def = itemtypes::find(it).unwrap();
        (def, for_itemtype(def).by_id[&id].clone())
    }

    #[test]
    fn resolves_main_columns_dropdowns_and_relations() {
        let (d, o) = opt("Computer", 1);
        let r = resolve(d, &o).unwrap();
        assert!(r.joins.is_empty() && r.many.is_none() && r.column == "name");
        let (d, o) = opt("Computer", 3);
        let r = resolve(d, &o).unwrap();
        assert_eq!(r.joins[0].0, "locations");
        assert_eq!(r.column, "completename");
        let (d, o) = opt("Computer", 45);
        let r = resolve(d, &o).unwrap();
        assert_eq!(r.many.as_ref().unwrap().rel.name, "Item_OperatingSystem");
        let (d, o) = opt("Ticket", 4);
        let r = resolve(d, &o).unwrap();
        let m = r.many.unwrap();
        assert_eq!(m.filter, Some(("type", 1)));
        assert!(m.show_fk);
        let (d, o) = opt("Ticket", 22);
        let r = resolve(d, &o).unwrap();
        assert_eq!(r.joins[0].3, "users_id_recipient");
    }

    #[test]
    fn every_itemtype_has_options() {
        for def in itemtypes::ALL {
            let set = for_itemtype(def);
            assert!(set.by_id.contains_key(&2) || def.name == "Log", "{} lacks option 2", def.name);
        }
        assert!(for_itemtype(itemtypes::find("Computer").unwrap()).by_id.len() >= 128);
    }
}
