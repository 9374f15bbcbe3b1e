//! Checks an inventory against the essential rules of `inventory.schema.json` (version 1.0
//! of glpi-project/inventory_format, embedded as is): types, required properties, no
//! unknown top-level key, enumerations written as `^(a|b)$` patterns. Like GLPI (which
//! validates with `tolerateStrings`), numeric strings pass for integers. Free-form
//! patterns (dates, architectures) and formats are not enforced: GLPI's own converter
//! drops values it cannot parse, and so does the mapping to the model.
//!
//! Violations are worded as GLPI's validator words them, e.g.
//! `Object expected, "x" received at #->properties:content->properties:hardware`.

use super::doc::Doc;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::OnceLock;

static SCHEMA_TEXT: &str = include_str!("inventory.schema.json");

/// The schema, compiled once into a tree of nodes with `$ref`s resolved: checking an
/// inventory then costs no lookup in the schema document itself.
struct Schema {
    nodes: Vec<Node>,
}

#[derive(Default)]
struct Node {
    /// The `type` keyword, as written.
    ty: Option<String>,
    /// A `^(a|b)$` pattern and its alternatives.
    enumeration: Option<(String, Vec<String>)>,
    properties: HashMap<String, usize>,
    required: Vec<String>,
    closed: bool,
    items: Option<usize>,
}

fn schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        let doc: Value = serde_json::from_str(SCHEMA_TEXT).expect("embedded schema is valid JSON");
        let mut s = Schema { nodes: Vec::new() };
        let mut seen = HashMap::new();
        s.compile(&doc, &doc, &mut seen);
        s
    })
}

impl Schema {
    /// Compile `node` (after following its `$ref`); recursive references reuse the node.
    fn compile(&mut self, root: &Value, node: &Value, seen: &mut HashMap<*const Value, usize>) -> usize {
        let node = resolve(root, node);
        if let Some(&i) = seen.get(&(node as *const Value)) {
            return i;
        }
        let i = self.nodes.len();
        self.nodes.push(Node::default());
        seen.insert(node as *const Value, i);
        let mut n = Node {
            ty: node.get("type").and_then(Value::as_str).map(str::to_string),
            enumeration: node.get("pattern").and_then(Value::as_str).and_then(|p| {
                enumeration(p).map(|alts| (p.to_string(), alts.into_iter().map(str::to_string).collect()))
            }),
            required: node
                .get("required")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|r| r.as_str().map(str::to_string))
                .collect(),
            closed: node.get("additionalProperties") == Some(&Value::Bool(false)),
            ..Node::default()
        };
        for (k, sub) in node.get("properties").and_then(Value::as_object).into_iter().flatten() {
            let idx = self.compile(root, sub, seen);
            n.properties.insert(k.clone(), idx);
        }
        if let Some(items) = node.get("items") {
            n.items = Some(self.compile(root, items, seen));
        }
        self.nodes[i] = n;
        i
    }
}

/// Where a value is, written out only when it is reported (`#->properties:a->items:3`).
#[derive(Clone, Copy)]
enum Path<'a> {
    Root,
    Property(&'a Path<'a>, &'a str),
    Item(&'a Path<'a>, usize),
}

impl std::fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Path::Root => f.write_str("#"),
            Path::Property(parent, k) => write!(f, "{parent}->properties:{k}"),
            Path::Item(parent, i) => write!(f, "{parent}->items:{i}"),
        }
    }
}

/// All violations, one per line, each line ending with `\n` (GLPI's message layout).
pub fn violations(doc: &Doc) -> Option<String> {
    let mut out = Vec::new();
    check(schema(), 0, doc, Path::Root, &mut out);
    if out.is_empty() {
        return None;
    }
    out.truncate(20);
    Some(out.into_iter().map(|l| l + "\n").collect())
}

fn resolve<'v>(root: &'v Value, node: &'v Value) -> &'v Value {
    let Some(r) = node.get("$ref").and_then(Value::as_str) else { return node };
    let mut cur = root;
    for part in r.trim_start_matches("#/").split('/') {
        match cur.get(part) {
            Some(v) => cur = v,
            None => return node,
        }
    }
    cur
}

fn show(v: &Doc) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}

fn type_ok(ty: &str, v: &Doc) -> bool {
    match (ty, v) {
        ("object", Doc::Object(_)) | ("array", Doc::Array(_)) => true,
        ("string", Doc::Str(_) | Doc::Int(_) | Doc::UInt(_) | Doc::Float(_) | Doc::Bool(_)) => true,
        ("integer", Doc::Int(_) | Doc::UInt(_)) => true,
        ("integer", Doc::Str(s)) => s.trim().parse::<i64>().is_ok(),
        ("number", Doc::Int(_) | Doc::UInt(_) | Doc::Float(_)) => true,
        ("number", Doc::Str(s)) => s.trim().parse::<f64>().is_ok(),
        ("boolean", Doc::Bool(_)) => true,
        ("boolean", Doc::Int(0 | 1)) => true,
        ("boolean", Doc::Str(s)) => matches!(s.as_ref(), "0" | "1" | "true" | "false"),
        ("null", Doc::Null) => true,
        _ => false,
    }
}

/// `^(a|b|c)$` with literal alternatives, the only patterns enforced.
fn enumeration(pattern: &str) -> Option<Vec<&str>> {
    let inner = pattern.strip_prefix("^(")?.strip_suffix(")$")?;
    let alts: Vec<&str> = inner.split('|').collect();
    alts.iter().all(|a| !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(alts)
}

fn check(s: &Schema, at: usize, v: &Doc, path: Path<'_>, out: &mut Vec<String>) {
    let node = &s.nodes[at];
    if let Some(ty) = &node.ty {
        if !type_ok(ty, v) {
            let mut t = ty.to_string();
            t[..1].make_ascii_uppercase();
            out.push(format!("{t} expected, {} received at {path}", show(v)));
            return;
        }
    }
    if let (Some((p, alts)), Doc::Str(text)) = (&node.enumeration, v) {
        if !alts.iter().any(|a| a == text) {
            out.push(format!("{} does not match to {p} at {path}", show(v)));
        }
    }
    match v {
        Doc::Object(obj) => {
            for r in &node.required {
                if !obj.contains_key(r) {
                    let at = if matches!(path, Path::Root) { String::new() } else { format!(" at {path}") };
                    out.push(format!("Required property missing: {r}, data: {}{at}", show(v)));
                }
            }
            for (i, (k, child)) in obj.iter().enumerate() {
                // A repeated key reads as its last value: earlier ones are not checked.
                if obj.0[i + 1..].iter().any(|(later, _)| later == k) {
                    continue;
                }
                match node.properties.get(k) {
                    Some(&sub) => check(s, sub, child, Path::Property(&path, k), out),
                    None if node.closed => out.push(format!("Additional properties not allowed: {k} at {path}")),
                    None => {}
                }
            }
        }
        Doc::Array(items) => {
            if let Some(item) = node.items {
                for (i, child) in items.iter().enumerate() {
                    check(s, item, child, Path::Item(&path, i), out);
                    if out.len() > 20 {
                        return;
                    }
                }
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn violations(v: &Value) -> Option<String> {
        super::violations(&Doc::from_value(v))
    }

    #[test]
    fn words_violations_like_glpi() {
        let v = json!({"action": "inventory", "deviceid": "d", "itemtype": "Computer", "content": {"hardware": "not-an-object", "versionclient": "x"}});
        assert_eq!(
            violations(&v).unwrap(),
            "Object expected, \"not-an-object\" received at #->properties:content->properties:hardware\n"
        );
        let v = json!({"action": "inventory", "deviceid": "d", "itemtype": "NotAnItemtype", "content": {"versionclient": "x"}});
        assert_eq!(
            violations(&v).unwrap(),
            "\"NotAnItemtype\" does not match to ^(Unmanaged|Computer|Phone|NetworkEquipment|Printer)$ at #->properties:itemtype\n"
        );
        let v = json!({"action": "inventory", "deviceid": "d"});
        assert_eq!(
            violations(&v).unwrap(),
            "Required property missing: content, data: {\"action\":\"inventory\",\"deviceid\":\"d\"}\n"
        );
        let ok = json!({"deviceid": "d", "content": {"versionclient": "x", "hardware": {"memory": "2048"}, "softwares": [{"name": "a"}]}});
        assert_eq!(violations(&ok), None);
        let repeated =
            br#"{"deviceid": "d", "content": {"versionclient": "x", "hardware": "x", "hardware": {"name": "n"}}}"#;
        assert_eq!(super::violations(&crate::inventory::doc::parse(repeated).unwrap()), None, "the last value counts");
        let bad =
            json!({"deviceid": "d", "extra": 1, "content": {"versionclient": "x", "softwares": [{"version": "1"}]}});
        let msg = violations(&bad).unwrap();
        assert!(msg.contains("Additional properties not allowed: extra"), "{msg}");
        assert!(msg.contains("Required property missing: name"), "{msg}");
    }
}
