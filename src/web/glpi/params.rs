//! GLPI's flat parameter map: the PHP-style query string (`criteria[0][field]=1`,
//! `forcedisplay[]=2`), then the JSON or form body, then the auth headers.

use serde_json::{Map, Value};

/// Parse a query string the way PHP's `parse_str` does, into nested JSON objects.
/// Numeric keys stay object keys ("0", "1"): use [`as_list`] to read them as a list.
pub use crate::itemtypes::value::{as_list, as_str, truthy};

pub fn parse_str(qs: &str) -> Map<String, Value> {
    let mut root = Map::new();
    for pair in qs.split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let key = decode(k);
        let val = decode(v);
        let (base, rest) = match key.find('[') {
            Some(i) if i > 0 => (&key[..i], &key[i..]),
            _ => (key.as_str(), ""),
        };
        let mut path: Vec<String> = Vec::new();
        let mut r = rest;
        while let Some(stripped) = r.strip_prefix('[') {
            match stripped.find(']') {
                Some(end) => {
                    path.push(stripped[..end].to_string());
                    r = &stripped[end + 1..];
                }
                None => break,
            }
        }
        if path.len() > 64 {
            continue; // absurd nesting is dropped rather than built
        }
        insert(&mut root, base.to_string(), &path, Value::String(val));
    }
    root
}

fn insert(map: &mut Map<String, Value>, key: String, path: &[String], val: Value) {
    if path.is_empty() {
        map.insert(key, val);
        return;
    }
    let entry = map.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !entry.is_object() {
        *entry = Value::Object(Map::new());
    }
    let obj = entry.as_object_mut().expect("object");
    let next = if path[0].is_empty() {
        // `a[]=x` appends at the next integer index, as PHP does.
        let n = obj.keys().filter_map(|k| k.parse::<i64>().ok()).max().map(|m| m + 1).unwrap_or(0);
        n.to_string()
    } else {
        path[0].clone()
    };
    insert(obj, next, &path[1..], val);
}

fn decode(s: &str) -> String {
    let s = s.replace('+', " ");
    percent_encoding::percent_decode_str(&s).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn brackets_nest_like_php() {
        let m = parse_str("criteria[0][field]=1&criteria[0][value]=a%20b&forcedisplay[]=2&forcedisplay[]=3&x=1+2");
        assert_eq!(Value::Object(m.clone())["criteria"]["0"]["value"], json!("a b"));
        assert_eq!(as_list(&m["forcedisplay"]), vec![&json!("2"), &json!("3")]);
        assert_eq!(m["x"], json!("1 2"));
    }

    #[test]
    fn truthiness() {
        assert!(truthy(Some(&json!("true"))));
        assert!(truthy(Some(&json!(1))));
        assert!(!truthy(Some(&json!("0"))));
        assert!(!truthy(Some(&json!("false"))));
        assert!(!truthy(None));
    }
}
