//! The legacy FusionInventory XML protocol: `<REQUEST><QUERY>…</QUERY><DEVICEID>…` and,
//! for inventories, the `<CONTENT>` converted to the JSON inventory format the way
//! inventory_format's converter does (lower-case keys, repeated elements as arrays,
//! renamed keys, the TAG moved to the top level).
//!
//! No DTD is read and no entity other than XML's five predefined ones (and character
//! references) is expanded: a document with `<!DOCTYPE` or a custom entity is refused.

use quick_xml::events::Event;
use quick_xml::Reader;
use serde_json::{Map, Value};

#[derive(Debug, PartialEq, Eq)]
pub enum XmlError {
    NotWellFormed,
    /// A DTD or a custom entity: refused, never expanded.
    Dtd,
    /// More elements than allowed: a tree of millions of empty elements would cost
    /// far more memory than the body itself.
    TooMany(usize),
}

/// An element: lower-cased name, its text, its child elements in order.
#[derive(Debug, Default)]
struct Node {
    name: String,
    text: String,
    children: Vec<Node>,
}

/// A parsed `<REQUEST>`.
#[derive(Debug)]
pub struct XmlRequest {
    /// Upper-cased, `INVENTORY` when absent (GLPI's default).
    pub query: String,
    pub deviceid: String,
    root: Node,
}

const MAX_DEPTH: usize = 32;

pub fn parse(body: &[u8]) -> Result<XmlRequest, XmlError> {
    parse_bounded(body, usize::MAX)
}

/// [`parse`], refusing a document of more than `max_elements` elements.
pub fn parse_bounded(body: &[u8], max_elements: usize) -> Result<XmlRequest, XmlError> {
    let mut elements = 0usize;
    let mut count = || {
        elements += 1;
        if elements > max_elements {
            Err(XmlError::TooMany(max_elements))
        } else {
            Ok(())
        }
    };
    let text = std::str::from_utf8(body).map_err(|_| XmlError::NotWellFormed)?;
    let mut reader = Reader::from_str(text);
    reader.config_mut().trim_text(true);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        match reader.read_event().map_err(|_| XmlError::NotWellFormed)? {
            Event::Start(e) => {
                count()?;
                if stack.len() > MAX_DEPTH {
                    return Err(XmlError::NotWellFormed);
                }
                stack.push(Node { name: e.name().as_ref().to_ascii_lowercase(), ..Node::default() });
            }
            Event::Empty(e) => {
                count()?;
                let node = Node { name: e.name().as_ref().to_ascii_lowercase(), ..Node::default() };
                stack.last_mut().ok_or(XmlError::NotWellFormed)?.children.push(node);
            }
            Event::End(_) => {
                let node = stack.pop().ok_or(XmlError::NotWellFormed)?;
                stack.last_mut().ok_or(XmlError::NotWellFormed)?.children.push(node);
            }
            Event::Text(t) => push_text(&mut stack, &t.xml10_content())?,
            Event::CData(t) => push_text(&mut stack, &t.xml10_content())?,
            Event::GeneralRef(r) => {
                let c = match r.resolve_char_ref().map_err(|_| XmlError::NotWellFormed)? {
                    Some(c) => c,
                    None => match r.xml10_content().as_ref() {
                        "amp" => '&',
                        "lt" => '<',
                        "gt" => '>',
                        "quot" => '"',
                        "apos" => '\'',
                        _ => return Err(XmlError::Dtd),
                    },
                };
                push_text(&mut stack, c.encode_utf8(&mut [0; 4]))?;
            }
            Event::DocType(_) => return Err(XmlError::Dtd),
            Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
            Event::Eof => break,
        }
    }
    // Exactly one root element, everything closed.
    let doc = match stack.pop() {
        Some(doc) if stack.is_empty() && doc.children.len() == 1 && doc.text.is_empty() => doc,
        _ => return Err(XmlError::NotWellFormed),
    };
    let root = doc.children.into_iter().next().ok_or(XmlError::NotWellFormed)?;
    let field = |n: &str| root.children.iter().find(|c| c.name == n).map(|c| c.text.trim().to_string());
    Ok(XmlRequest {
        query: field("query").filter(|q| !q.is_empty()).unwrap_or_else(|| "INVENTORY".into()).to_ascii_uppercase(),
        deviceid: field("deviceid").unwrap_or_default(),
        root,
    })
}

fn push_text(stack: &mut [Node], s: &str) -> Result<(), XmlError> {
    match stack {
        [_root] => {
            // Text outside the root element: not a document.
            if s.trim().is_empty() {
                Ok(())
            } else {
                Err(XmlError::NotWellFormed)
            }
        }
        [.., top] => {
            top.text.push_str(s);
            Ok(())
        }
        [] => Err(XmlError::NotWellFormed),
    }
}

/// Sections that are lists even with one element (inventory_format's converter).
const ARRAYS: &[&str] = &[
    "cpus",
    "local_users",
    "local_groups",
    "ports",
    "sounds",
    "usbdevices",
    "batteries",
    "firewalls",
    "monitors",
    "printers",
    "storages",
    "slots",
    "modems",
    "licenseinfos",
    "antivirus",
    "drives",
    "users",
    "networks",
    "controllers",
    "envs",
    "inputs",
    "physical_volumes",
    "volume_groups",
    "logical_volumes",
    "memories",
    "processes",
    "softwares",
    "virtualmachines",
    "firmwares",
    "simcards",
    "sensors",
    "powersupplies",
    "videos",
    "remote_mgmt",
    "cartridges",
    "cameras",
];

/// Element to JSON: text for leaves, objects for the rest, repeated names as arrays;
/// empty elements are dropped.
fn to_value(node: &Node) -> Option<Value> {
    if node.children.is_empty() {
        let t = node.text.trim();
        return (!t.is_empty()).then(|| Value::String(t.to_string()));
    }
    let mut obj = Map::new();
    for child in &node.children {
        let Some(v) = to_value(child) else { continue };
        match obj.get_mut(&child.name) {
            Some(Value::Array(a)) => a.push(v),
            Some(prev) => *prev = Value::Array(vec![prev.take(), v]),
            None => {
                obj.insert(child.name.clone(), v);
            }
        }
    }
    (!obj.is_empty()).then_some(Value::Object(obj))
}

fn rename(o: &mut Map<String, Value>, from: &str, to: &str) {
    if let Some(v) = o.remove(from) {
        o.insert(to.to_string(), v);
    }
}

fn as_list(v: Value) -> Vec<Value> {
    match v {
        Value::Array(a) => a,
        other => vec![other],
    }
}

/// Lower-case an enumerated value and keep it only if the schema knows it.
fn normalize_enum(o: &mut Map<String, Value>, key: &str, aliases: &[(&str, &str)], allowed: &[&str]) {
    let Some(Value::String(s)) = o.get(key) else { return };
    let low = s.to_lowercase();
    let low = aliases.iter().find(|(a, _)| *a == low).map(|(_, b)| b.to_string()).unwrap_or(low);
    if allowed.contains(&low.as_str()) {
        o.insert(key.to_string(), Value::String(low));
    } else {
        o.remove(key);
    }
}

impl XmlRequest {
    /// The inventory in the JSON format (schema 1.0), as GLPI converts it.
    pub fn to_json(&self) -> Value {
        let content_node = self.root.children.iter().find(|c| c.name == "content");
        let mut content = match content_node.and_then(to_value) {
            Some(Value::Object(o)) => o,
            _ => Map::new(),
        };
        rename(&mut content, "firewall", "firewalls");
        let mut tag = None;
        if let Some(infos) = content.remove("accountinfo") {
            for info in as_list(infos) {
                if info.get("keyname").and_then(Value::as_str) == Some("TAG") {
                    tag = info.get("keyvalue").cloned();
                }
            }
        }
        if let Some(Value::Object(hw)) = content.get_mut("hardware") {
            if let Some(vc) = hw.remove("versionclient") {
                content.entry("versionclient").or_insert(vc);
            }
        }
        for key in ARRAYS {
            let Some(v) = content.remove(*key) else { continue };
            let mut items = as_list(v);
            for item in items.iter_mut().filter_map(Value::as_object_mut) {
                match *key {
                    "networks" => {
                        rename(item, "macaddr", "mac");
                        normalize_enum(
                            item,
                            "status",
                            &[],
                            &["up", "down", "dormant", "notpresent", "lowerlayerdown", "unknown", "testing"],
                        );
                        normalize_enum(
                            item,
                            "type",
                            &[("local", "loopback")],
                            &[
                                "ethernet",
                                "wifi",
                                "infiniband",
                                "aggregate",
                                "alias",
                                "dialup",
                                "loopback",
                                "bridge",
                                "fibrechannel",
                                "bluetooth",
                            ],
                        );
                    }
                    "softwares" => rename(item, "installdate", "install_date"),
                    "storages" => rename(item, "serialnumber", "serial"),
                    "local_groups" => {
                        if let Some(m) = item.remove("member") {
                            item.insert("members".into(), Value::Array(as_list(m)));
                        }
                    }
                    "slots" => {
                        normalize_enum(item, "status", &[("in use", "used"), ("available", "free")], &["free", "used"])
                    }
                    "virtualmachines" => normalize_enum(
                        item,
                        "status",
                        &[("stopped", "off"), ("shutoff", "off"), ("up", "running")],
                        &["running", "blocked", "idle", "paused", "shutdown", "crashed", "dying", "off"],
                    ),
                    _ => {}
                }
            }
            content.insert(key.to_string(), Value::Array(items));
        }
        if let Some(Value::Object(bios)) = content.get_mut("bios") {
            normalize_enum(bios, "secure_boot", &[], &["enabled", "disabled", "unsupported"]);
        }
        let action = match self.query.as_str() {
            "SNMP" | "SNMPQUERY" => "netinventory",
            "NETDISCOVERY" => "netdiscovery",
            _ => "inventory",
        };
        let mut top = Map::new();
        top.insert("deviceid".into(), Value::String(self.deviceid.clone()));
        top.insert("action".into(), Value::String(action.into()));
        if let Some(t) = tag {
            top.insert("tag".into(), t);
        }
        top.insert("itemtype".into(), Value::String("Computer".into()));
        top.insert("content".into(), Value::Object(content));
        Value::Object(top)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_prolog() {
        let r = parse(include_bytes!("../../tests/fixtures/inventory/fusioninventory-2.6-prolog.xml")).unwrap();
        assert_eq!(r.query, "PROLOG");
        assert_eq!(r.deviceid, "vm-2026-11-28-16-39-48");
    }

    #[test]
    fn converts_like_inventory_format() {
        let r = parse(include_bytes!("../../tests/fixtures/inventory/fusioninventory-2.6-inventory.xml")).unwrap();
        assert_eq!(r.query, "INVENTORY");
        let doc = r.to_json();
        assert_eq!(crate::inventory::schema::violations(&crate::inventory::doc::Doc::from_value(&doc)), None);
        assert_eq!(doc["tag"], "research-tag");
        assert_eq!(doc["content"]["softwares"].as_array().unwrap().len(), 764);
        assert_eq!(doc["content"]["cpus"].as_array().unwrap().len(), 1);
        assert_eq!(doc["content"]["networks"][0]["mac"], "00:00:00:00:00:00");
        assert_eq!(doc["content"]["networks"][0]["status"], "up");
        assert_eq!(doc["content"]["versionclient"], "FusionInventory-Agent_v2.6-3");
        assert!(doc["content"].get("accountinfo").is_none());
        assert!(doc["content"].get("bios").is_none(), "the empty BIOS disappears");
    }

    #[test]
    fn refuses_dtds_entities_and_junk() {
        let bomb = br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><REQUEST><QUERY>&a;</QUERY></REQUEST>"#;
        assert_eq!(parse(bomb).unwrap_err(), XmlError::Dtd);
        assert_eq!(parse(b"<REQUEST><QUERY>&ext;</QUERY></REQUEST>").unwrap_err(), XmlError::Dtd);
        for junk in [&b"this is neither JSON nor XML\n"[..], b"", b"<REQUEST><QUERY>", b"<a/><b/>", b"\xff\xfe<"] {
            assert_eq!(parse(junk).unwrap_err(), XmlError::NotWellFormed, "{junk:?}");
        }
        let many = format!("<REQUEST>{}</REQUEST>", "<SOFTWARES/>".repeat(11));
        assert_eq!(parse_bounded(many.as_bytes(), 10).unwrap_err(), XmlError::TooMany(10));
        assert!(parse_bounded(many.as_bytes(), 12).is_ok());
        let r = parse(b"<REQUEST><DEVICEID>a&amp;b&#x41;</DEVICEID></REQUEST>").unwrap();
        assert_eq!(r.deviceid, "a&bA");
        assert_eq!(r.query, "INVENTORY");
    }
}
