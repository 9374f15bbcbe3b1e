//! Parsing and validation of GLPI search criteria (`criteria[i][…]`, nested groups,
//! meta criteria), with bounds on size and depth so hostile input cannot blow up.

use super::options::{self, SearchOption};
use crate::itemtypes::{self, ItemTypeDef};
use crate::web::glpi::error::GlpiError;
use crate::web::glpi::params;
use serde_json::Value;

pub const MAX_DEPTH: usize = 6;
pub const MAX_LEAVES: usize = 64;
pub const MAX_VALUE_LEN: usize = 512;

#[derive(Debug, Clone, Copy, Default)]
pub struct Link {
    pub or: bool,
    pub not: bool,
}

impl Link {
    fn parse(v: Option<&Value>) -> Link {
        match params::as_str(v).map(|s| s.trim().to_ascii_uppercase()).as_deref() {
            Some("OR") => Link { or: true, not: false },
            Some("AND NOT") => Link { or: false, not: true },
            Some("OR NOT") => Link { or: true, not: true },
            _ => Link::default(),
        }
    }
}

#[derive(Debug, Clone)]
pub enum Node {
    Leaf { link: Link, meta: Option<&'static ItemTypeDef>, option: SearchOption, searchtype: String, value: String },
    Group { link: Link, children: Vec<Node> },
}

impl Node {
    pub fn link(&self) -> Link {
        match self {
            Node::Leaf { link, .. } | Node::Group { link, .. } => *link,
        }
    }
}

fn malformed() -> GlpiError {
    GlpiError::generic("Malformed search criteria")
}

pub fn parse(def: &'static ItemTypeDef, raw: Option<&Value>) -> Result<Vec<Node>, GlpiError> {
    let mut leaves = 0;
    match raw {
        None => Ok(vec![]),
        Some(v @ (Value::Array(_) | Value::Object(_))) => parse_list(def, v, 0, &mut leaves),
        Some(Value::String(s)) if s.is_empty() => Ok(vec![]),
        Some(_) => Err(malformed()),
    }
}

fn parse_list(def: &'static ItemTypeDef, v: &Value, depth: usize, leaves: &mut usize) -> Result<Vec<Node>, GlpiError> {
    if depth > MAX_DEPTH {
        return Err(malformed());
    }
    let mut out = Vec::new();
    for item in params::as_list(v) {
        let Value::Object(c) = item else { return Err(malformed()) };
        let link = Link::parse(c.get("link"));
        if let Some(children) = c.get("criteria") {
            if !matches!(children, Value::Array(_) | Value::Object(_)) {
                return Err(malformed());
            }
            out.push(Node::Group { link, children: parse_list(def, children, depth + 1, leaves)? });
            continue;
        }
        *leaves += 1;
        if *leaves > MAX_LEAVES {
            return Err(malformed());
        }
        let (Some(field), Some(searchtype), Some(value)) = (c.get("field"), c.get("searchtype"), c.get("value")) else {
            return Err(malformed());
        };
        let field = params::as_str(Some(field)).ok_or_else(malformed)?;
        let searchtype = params::as_str(Some(searchtype)).ok_or_else(malformed)?.to_ascii_lowercase();
        let value = params::as_str(Some(value)).unwrap_or_default();
        // NUL: PostgreSQL refuses it in text (a 500), SQLite would compare it.
        if value.len() > MAX_VALUE_LEN || value.contains('\0') {
            return Err(malformed());
        }
        let meta = if params::truthy(c.get("meta")) {
            let it = params::as_str(c.get("itemtype")).and_then(|t| itemtypes::find(&t)).ok_or_else(malformed)?;
            Some(it)
        } else {
            None
        };
        let target = meta.unwrap_or(def);
        let bad = || GlpiError::generic("Bad field ID in search criteria");
        if field.is_empty() || !field.bytes().all(|b| b.is_ascii_digit()) || field.len() > 9 {
            return Err(bad());
        }
        let id: u32 = field.parse().map_err(|_| bad())?;
        let option = options::for_itemtype(target).by_id.get(&id).cloned().ok_or_else(bad)?;
        if option.nosearch {
            return Err(GlpiError::generic("Forbidden field ID in search criteria"));
        }
        out.push(Node::Leaf { link, meta, option, searchtype, value });
    }
    Ok(out)
}
