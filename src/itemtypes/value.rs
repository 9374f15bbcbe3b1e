//! Loose coercion of JSON input values, as GLPI (PHP) reads them: numbers and booleans as
//! text, objects with numeric keys as lists, PHP truthiness. Used by the domain rules and by
//! every API face.

use serde_json::Value;

/// Read a parameter that PHP would see as a list: a JSON array, or an object with keys.
pub fn as_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        Value::Object(o) => {
            let mut items: Vec<(&String, &Value)> = o.iter().collect();
            items.sort_by_key(|(k, _)| k.parse::<i64>().unwrap_or(i64::MAX));
            items.into_iter().map(|(_, v)| v).collect()
        }
        Value::Null => vec![],
        other => vec![other],
    }
}

/// PHP truthiness of a parameter value.
pub fn truthy(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_f64().is_some_and(|f| f != 0.0),
        Some(Value::String(s)) => !(s.is_empty() || s == "0" || s.eq_ignore_ascii_case("false")),
        Some(Value::Array(a)) => !a.is_empty(),
        Some(Value::Object(o)) => !o.is_empty(),
    }
}

/// A parameter as a string (numbers are printed).
pub fn as_str(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "1".into() } else { "0".into() }),
        _ => None,
    }
}

/// The first 40 characters of a value echoed in an error message.
pub fn preview(s: &str) -> String {
    s.chars().take(40).collect()
}
