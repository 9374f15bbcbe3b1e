//! An inventory document as read from the wire, without copying: strings and keys borrow
//! from the request body when they hold no escape, and objects keep their keys in order in
//! a `Vec`. An inventory is ~230 kB of small objects read once, so this costs about a
//! third of a `serde_json::Value` (no key hashing, no allocation per key), which matters
//! at hundreds of inventories per second.
//!
//! Nesting is bounded by serde_json's recursion limit (128), as for any JSON Parc reads,
//! and size by [`parse_bounded`]'s count of values. NUL characters are dropped from
//! strings and keys.

use serde::de::{Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

#[derive(Debug, Clone, PartialEq)]
pub enum Doc<'a> {
    Null,
    Bool(bool),
    Int(i64),
    UInt(u64),
    Float(f64),
    Str(Cow<'a, str>),
    Array(Vec<Doc<'a>>),
    Object(Obj<'a>),
}

/// Keys in document order. A repeated key reads as its last value, as with serde_json.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Obj<'a>(pub Vec<(Cow<'a, str>, Doc<'a>)>);

impl<'a> Obj<'a> {
    pub fn get(&self, key: &str) -> Option<&Doc<'a>> {
        self.0.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &Doc<'a>)> {
        self.0.iter().map(|(k, v)| (k.as_ref(), v))
    }
}

impl<'a> Doc<'a> {
    pub fn get(&self, key: &str) -> Option<&Doc<'a>> {
        self.as_object()?.get(key)
    }

    pub fn as_object(&self) -> Option<&Obj<'a>> {
        match self {
            Doc::Object(o) => Some(o),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&[Doc<'a>]> {
        match self {
            Doc::Array(a) => Some(a),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Doc::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The same document as a `serde_json::Value` (for messages, and tests).
    pub fn to_value(&self) -> Value {
        match self {
            Doc::Null => Value::Null,
            Doc::Bool(b) => Value::Bool(*b),
            Doc::Int(i) => Value::from(*i),
            Doc::UInt(u) => Value::from(*u),
            Doc::Float(f) => serde_json::Number::from_f64(*f).map(Value::Number).unwrap_or(Value::Null),
            Doc::Str(s) => Value::String(s.to_string()),
            Doc::Array(a) => Value::Array(a.iter().map(Doc::to_value).collect()),
            Doc::Object(o) => Value::Object(o.0.iter().map(|(k, v)| (k.to_string(), v.to_value())).collect()),
        }
    }

    /// A view of a `serde_json::Value` (the XML protocol is converted to one).
    pub fn from_value(v: &'a Value) -> Doc<'a> {
        match v {
            Value::Null => Doc::Null,
            Value::Bool(b) => Doc::Bool(*b),
            Value::Number(n) => match (n.as_i64(), n.as_u64()) {
                (Some(i), _) => Doc::Int(i),
                (None, Some(u)) => Doc::UInt(u),
                _ => Doc::Float(n.as_f64().unwrap_or_default()),
            },
            Value::String(s) => Doc::Str(without_nul(Cow::Borrowed(s))),
            Value::Array(a) => Doc::Array(a.iter().map(Doc::from_value).collect()),
            Value::Object(o) => Doc::Object(Obj(o
                .iter()
                .map(|(k, v)| (without_nul(Cow::Borrowed(k.as_str())), Doc::from_value(v)))
                .collect())),
        }
    }
}

impl fmt::Display for Doc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.to_value())
    }
}

/// What a document may still hold: every value and every key costs one. Checked while
/// parsing, so an over-long document is refused before its tree is built (a 32 MB body of
/// `{},{},…` would otherwise become ~10 million nodes, hundreds of MB).
struct Budget(Cell<usize>);

impl Budget {
    fn spend<E: serde::de::Error>(&self) -> Result<(), E> {
        match self.0.get() {
            0 => Err(E::custom(TOO_MANY)),
            n => {
                self.0.set(n - 1);
                Ok(())
            }
        }
    }
}

const TOO_MANY: &str = "the document holds too many values";

/// Agents sometimes send NUL characters in DMI strings. They mean nothing, SQLite would
/// store them and PostgreSQL refuses them: they are dropped where strings are read.
fn without_nul(s: Cow<'_, str>) -> Cow<'_, str> {
    if s.contains('\0') {
        Cow::Owned(s.replace('\0', ""))
    } else {
        s
    }
}

#[derive(Clone, Copy)]
struct DocSeed<'b>(&'b Budget);

impl<'de> DeserializeSeed<'de> for DocSeed<'_> {
    type Value = Doc<'de>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Doc<'de>, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for DocSeed<'_> {
    type Value = Doc<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_unit<E: serde::de::Error>(self) -> Result<Doc<'de>, E> {
        self.0.spend()?;
        Ok(Doc::Null)
    }
    fn visit_none<E: serde::de::Error>(self) -> Result<Doc<'de>, E> {
        self.visit_unit()
    }
    fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<Doc<'de>, E> {
        self.0.spend()?;
        Ok(Doc::Bool(b))
    }
    fn visit_i64<E: serde::de::Error>(self, i: i64) -> Result<Doc<'de>, E> {
        self.0.spend()?;
        Ok(Doc::Int(i))
    }
    fn visit_u64<E: serde::de::Error>(self, u: u64) -> Result<Doc<'de>, E> {
        self.0.spend()?;
        Ok(i64::try_from(u).map(Doc::Int).unwrap_or(Doc::UInt(u)))
    }
    fn visit_f64<E: serde::de::Error>(self, f: f64) -> Result<Doc<'de>, E> {
        self.0.spend()?;
        Ok(Doc::Float(f))
    }
    // An unescaped string cannot hold a NUL (JSON forbids raw control characters).
    fn visit_borrowed_str<E: serde::de::Error>(self, s: &'de str) -> Result<Doc<'de>, E> {
        self.0.spend()?;
        Ok(Doc::Str(Cow::Borrowed(s)))
    }
    fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Doc<'de>, E> {
        self.visit_string(s.to_string())
    }
    fn visit_string<E: serde::de::Error>(self, s: String) -> Result<Doc<'de>, E> {
        self.0.spend()?;
        Ok(Doc::Str(without_nul(Cow::Owned(s))))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Doc<'de>, A::Error> {
        self.0.spend()?;
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element_seed(self)? {
            items.push(item);
        }
        Ok(Doc::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Doc<'de>, A::Error> {
        self.0.spend()?;
        let mut entries = Vec::new();
        while let Some(Key(k)) = map.next_key()? {
            self.0.spend()?;
            entries.push((k, map.next_value_seed(self)?));
        }
        // A one-key object would keep room for four entries: 170 bytes lost per object,
        // most of the cost of a document of small objects.
        entries.shrink_to_fit();
        Ok(Doc::Object(Obj(entries)))
    }
}

impl<'de> Deserialize<'de> for Doc<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        DocSeed(&Budget(Cell::new(usize::MAX))).deserialize(d)
    }
}

/// An object key, borrowed when it can be (`Cow<str>` itself always copies).
struct Key<'de>(Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string key")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(without_nul(Cow::Owned(s.to_string()))))
            }
            fn visit_string<E>(self, s: String) -> Result<Key<'de>, E> {
                Ok(Key(without_nul(Cow::Owned(s))))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

/// Read a JSON body. UTF-8 is checked once for the whole body, which is faster than
/// string by string.
pub fn parse(body: &[u8]) -> Result<Doc<'_>, ParseError> {
    parse_bounded(body, usize::MAX)
}

/// [`parse`], refusing a document of more than `max_values` values and keys.
pub fn parse_bounded(body: &[u8], max_values: usize) -> Result<Doc<'_>, ParseError> {
    let text = std::str::from_utf8(body).map_err(|_| ParseError::Utf8)?;
    let budget = Budget(Cell::new(max_values));
    let mut de = serde_json::Deserializer::from_str(text);
    let doc = DocSeed(&budget).deserialize(&mut de).and_then(|d| de.end().map(|()| d));
    match doc {
        Err(_) if budget.0.get() == 0 => Err(ParseError::TooMany(max_values)),
        other => other.map_err(ParseError::Json),
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ParseError {
    #[error("not UTF-8")]
    Utf8,
    #[error("{0}")]
    Json(serde_json::Error),
    #[error("more than {0} values")]
    TooMany(usize),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_like_serde_json() {
        let body =
            br#"{"a": "x\"y", "b": [1, -2, 3.5, 18446744073709551615, true, null], "c": {"d": "e"}, "a": "last"}"#;
        let doc = parse(body).unwrap();
        assert_eq!(doc.get("a").and_then(Doc::as_str), Some("last"));
        let expected: Value = serde_json::from_slice(body).unwrap();
        assert_eq!(doc.to_value(), expected);
        assert!(matches!(doc.get("c").unwrap().get("d"), Some(Doc::Str(Cow::Borrowed("e")))));
        assert_eq!(Doc::from_value(&expected).to_value(), expected);
        assert!(parse(b"{\"a\": }").is_err());
        let nul = parse(br#"{"a\u0000": "x\u0000y", "b": ["\u0000"]}"#).unwrap();
        assert_eq!(nul.to_value(), serde_json::json!({"a": "xy", "b": [""]}));
        let v = serde_json::json!({"n\u{0}": "a\u{0}b"});
        assert_eq!(Doc::from_value(&v).to_value(), serde_json::json!({"n": "ab"}));
        let many = br#"{"softwares": [{}, {}, {}, {}]}"#;
        assert!(matches!(parse_bounded(many, 6), Err(ParseError::TooMany(6))), "object, key, array, four objects");
        assert!(parse_bounded(many, 7).is_ok());
        let deep = "[".repeat(200) + &"]".repeat(200);
        assert!(parse(deep.as_bytes()).is_err(), "nesting is bounded");
    }
}
