//! The answers agents expect, byte for byte as GLPI 10.0.19 writes them: `expiration` is
//! the string `"24"` in success answers and the integer 24 in errors; XML answers have no
//! trailing newline.

use serde_json::{json, Value};

/// Hours before the agent's next contact (GLPI's `inventory_frequency`).
pub const EXPIRATION: i64 = 24;
/// The GLPI version announced to agents in the CONTACT answer.
pub const GLPI_VERSION: &str = "10.0.19";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Json,
    Xml,
}

/// An answer before compression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub format: Format,
    pub body: String,
}

const XML_HEAD: &str = "<?xml version=\"1.0\"?>\n";

impl Reply {
    fn json(status: u16, v: Value) -> Reply {
        Reply { status, format: Format::Json, body: v.to_string() }
    }

    fn xml(status: u16, inner: &str) -> Reply {
        Reply { status, format: Format::Xml, body: format!("{XML_HEAD}<REPLY>{inner}</REPLY>") }
    }

    /// `{"expiration":"24","status":"ok"}`: PROLOG with GLPI-Agent-ID, inventory, get_params.
    pub fn ok() -> Reply {
        Reply::json(200, json!({"expiration": EXPIRATION.to_string(), "status": "ok"}))
    }

    /// JSON inventory sent without GLPI-Agent-ID: GLPI answers in the legacy shape.
    pub fn legacy_send() -> Reply {
        Reply::json(200, json!({"RESPONSE": "SEND"}))
    }

    /// CONTACT: inventory is handled here; every other enabled task is disabled.
    pub fn contact(enabled_tasks: &[String]) -> Reply {
        let disabled: Vec<&String> = enabled_tasks.iter().filter(|t| t.as_str() != "inventory").collect();
        let mut v = serde_json::Map::new();
        if !disabled.is_empty() {
            let msg: Vec<String> = disabled.iter().map(|t| format!("{t} task not supported")).collect();
            v.insert("message".into(), json!(msg.join(";")));
            v.insert("disabled".into(), json!(disabled));
        }
        v.insert("expiration".into(), json!(EXPIRATION.to_string()));
        v.insert("status".into(), json!("ok"));
        v.insert("tasks".into(), json!({"inventory": {"server": "glpi", "version": GLPI_VERSION}}));
        Reply::json(200, Value::Object(v))
    }

    /// `get_params`: no remote inventory credentials are configured here.
    pub fn params() -> Reply {
        Reply::json(200, json!({"expiration": EXPIRATION.to_string(), "status": "ok", "credentials": []}))
    }

    pub fn json_error(status: u16, message: &str) -> Reply {
        Reply::json(status, json!({"status": "error", "message": message, "expiration": EXPIRATION}))
    }

    /// The legacy PROLOG answer; `RESPONSE=SEND` is what makes FusionInventory send.
    pub fn prolog() -> Reply {
        Reply::xml(200, &format!("<PROLOG_FREQ>{EXPIRATION}</PROLOG_FREQ><RESPONSE>SEND</RESPONSE>"))
    }

    pub fn xml_inventory() -> Reply {
        Reply::xml(200, "<RESPONSE>SEND</RESPONSE>")
    }

    pub fn xml_error(status: u16, message: &str) -> Reply {
        // A CDATA section cannot hold "]]>": split it across two sections.
        let safe = message.replace("]]>", "]]]]><![CDATA[>");
        Reply::xml(status, &format!("<ERROR><![CDATA[{safe}]]></ERROR>"))
    }

    /// An error in the form of the request's protocol.
    pub fn error(format: Format, status: u16, message: &str) -> Reply {
        match format {
            Format::Json => Reply::json_error(status, message),
            Format::Xml => Reply::xml_error(status, message),
        }
    }

    pub fn unsupported(format: Format, query: &str) -> Reply {
        Reply::error(format, 501, &format!("Query '{query}' is not supported."))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_glpi_bytes() {
        assert_eq!(Reply::ok().body, r#"{"expiration":"24","status":"ok"}"#);
        assert_eq!(
            Reply::prolog().body,
            "<?xml version=\"1.0\"?>\n<REPLY><PROLOG_FREQ>24</PROLOG_FREQ><RESPONSE>SEND</RESPONSE></REPLY>"
        );
        assert_eq!(Reply::prolog().body.len(), 91);
        assert_eq!(Reply::xml_inventory().body.len(), 62);
        assert_eq!(
            Reply::xml_error(400, "XML not well formed!").body,
            "<?xml version=\"1.0\"?>\n<REPLY><ERROR><![CDATA[XML not well formed!]]></ERROR></REPLY>"
        );
        assert_eq!(
            Reply::json_error(400, "JSON not well formed!").body,
            r#"{"status":"error","message":"JSON not well formed!","expiration":24}"#
        );
        let tasks: Vec<String> =
            ["collect", "deploy", "esx", "inventory", "netdiscovery", "netinventory", "remoteinventory", "wakeonlan"]
                .map(String::from)
                .to_vec();
        assert_eq!(
            Reply::contact(&tasks).body,
            r#"{"message":"collect task not supported;deploy task not supported;esx task not supported;netdiscovery task not supported;netinventory task not supported;remoteinventory task not supported;wakeonlan task not supported","disabled":["collect","deploy","esx","netdiscovery","netinventory","remoteinventory","wakeonlan"],"expiration":"24","status":"ok","tasks":{"inventory":{"server":"glpi","version":"10.0.19"}}}"#
        );
    }
}
