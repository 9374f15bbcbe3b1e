//! Checks an inventory against the essential rules of `inventory.schema.json` (version 1.0
//! of glpi-project/inventory_format, embedded as is): types, required properties, no
//! unknown top-level key, enumerations written as `^(a|b)$` patterns. Like GLPI (which
//! validates with `tolerateStrings`), numeric strings pass for integers. Free-form
//! patterns (dates, architectures) and formats are not enforced: GLPI's own converter
//! drops values it cannot parse, and so does the mapping to the model.
//!
//! Violations are worded as GLPI's validator words them, e.g.
//! `Object expected, "x" received at #->properties:content->properties:hardware`.

use serde_json::Value;
use std::sync::OnceLock;

static SCHEMA_TEXT: &str = include_str!("inventory.schema.json");

fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| serde_json::from_str(SCHEMA_TEXT).expect("embedded schema is valid JSON"))
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
pub fn violations(doc: &Value) -> Option<String> {
    let mut out = Vec::new();
    check(schema(), doc, Path::Root, &mut out);
    if out.is_empty() {
        return None;
    }
    out.truncate(20);
    Some(out.into_iter().map(|l| l + "\n").collect())
}

fn resolve(node: &Value) -> &Value {
    let Some(r) = node.get("$ref").and_then(Value::as_str) else { return node };
    let mut cur = schema();
    for part in r.trim_start_matches("#/").split('/') {
        match cur.get(part) {
            Some(v) => cur = v,
            None => return node,
        }
    }
    cur
}

fn show(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 80 {
        format!("{}…", s.chars().take(80).collect::<String>())
    } else {
        s
    }
}

fn type_ok(ty: &str, v: &Value) -> bool {
    match (ty, v) {
        ("object", Value::Object(_)) | ("array", Value::Array(_)) => true,
        ("string", Value::String(_) | Value::Number(_) | Value::Bool(_)) => true,
        ("integer", Value::Number(n)) => n.is_i64() || n.is_u64(),
        ("integer", Value::String(s)) => s.trim().parse::<i64>().is_ok(),
        ("number", Value::Number(_)) => true,
        ("number", Value::String(s)) => s.trim().parse::<f64>().is_ok(),
        ("boolean", Value::Bool(_)) => true,
        ("boolean", Value::Number(n)) => matches!(n.as_i64(), Some(0 | 1)),
        ("boolean", Value::String(s)) => matches!(s.as_str(), "0" | "1" | "true" | "false"),
        ("null", Value::Null) => true,
        _ => false,
    }
}

/// `^(a|b|c)$` with literal alternatives, the only patterns enforced.
fn enumeration(pattern: &str) -> Option<Vec<&str>> {
    let inner = pattern.strip_prefix("^(")?.strip_suffix(")$")?;
    let alts: Vec<&str> = inner.split('|').collect();
    alts.iter().all(|a| !a.is_empty() && a.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')).then_some(alts)
}

fn check(node: &Value, v: &Value, path: Path<'_>, out: &mut Vec<String>) {
    let node = resolve(node);
    if let Some(ty) = node.get("type").and_then(Value::as_str) {
        if !type_ok(ty, v) {
            let mut t = ty.to_string();
            t[..1].make_ascii_uppercase();
            out.push(format!("{t} expected, {} received at {path}", show(v)));
            return;
        }
    }
    if let (Some(p), Value::String(s)) = (node.get("pattern").and_then(Value::as_str), v) {
        if enumeration(p).is_some_and(|alts| !alts.contains(&s.as_str())) {
            out.push(format!("{} does not match to {p} at {path}", show(v)));
        }
    }
    match v {
        Value::Object(obj) => {
            let props = node.get("properties").and_then(Value::as_object);
            for req in node.get("required").and_then(Value::as_array).into_iter().flatten() {
                if let Some(r) = req.as_str() {
                    if !obj.contains_key(r) {
                        let at = if matches!(path, Path::Root) { String::new() } else { format!(" at {path}") };
                        out.push(format!("Required property missing: {r}, data: {}{at}", show(v)));
                    }
                }
            }
            for (k, child) in obj {
                match props.and_then(|p| p.get(k)) {
                    Some(sub) => check(sub, child, Path::Property(&path, k), out),
                    None if node.get("additionalProperties") == Some(&Value::Bool(false)) => {
                        out.push(format!("Additional properties not allowed: {k} at {path}"));
                    }
                    None => {}
                }
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = node.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(item_schema, item, Path::Item(&path, i), out);
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
        let bad =
            json!({"deviceid": "d", "extra": 1, "content": {"versionclient": "x", "softwares": [{"version": "1"}]}});
        let msg = violations(&bad).unwrap();
        assert!(msg.contains("Additional properties not allowed: extra"), "{msg}");
        assert!(msg.contains("Required property missing: name"), "{msg}");
    }
}
