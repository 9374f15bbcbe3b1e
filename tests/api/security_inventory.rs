//! The agent endpoint against an outsider (security review of December 2026, findings 7,
//! 13 and 14): what an anonymous inventory may not do, and what it costs.

use crate::helpers::*;
use parc::config::LinkManual;
use parc::web::agent::decode::{compress, inflate, Encoding};
use serde_json::{json, Value};

const ZLIB: &str = "application/x-compress-zlib";

fn fixture_json(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/inventory/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_slice(&std::fs::read(path).expect("fixture")).expect("json fixture")
}

/// Status, headers and the decompressed answer.
async fn post(
    app: &TestApp,
    content_type: &str,
    agent_id: bool,
    body: Vec<u8>,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut req = app.client.post(format!("{}/", app.base)).header("Content-Type", content_type).body(body);
    if agent_id {
        req = req.header("GLPI-Agent-ID", "0fe7e85a-eb4b-11f1-a94a-799c64a740fd");
    }
    let r = req.send().await.expect("request");
    let (status, headers) = (r.status().as_u16(), r.headers().clone());
    let raw = r.bytes().await.unwrap_or_default().to_vec();
    let enc = if headers.get("content-type").is_some_and(|v| v == ZLIB) { Encoding::Zlib } else { Encoding::Identity };
    let plain = if raw.is_empty() { raw } else { inflate(enc, &raw, 1 << 20).expect("answer decodes") };
    (status, headers, String::from_utf8_lossy(&plain).into_owned())
}

async fn send_inventory(app: &TestApp, doc: &Value) -> (u16, String) {
    let (status, _, text) = post(app, ZLIB, true, compress(Encoding::Zlib, doc.to_string().as_bytes())).await;
    (status, text)
}

async fn computers(app: &TestApp, t: &str) -> Vec<Value> {
    app.get("/Computer?range=0-999", t).await.body.as_array().cloned().unwrap_or_default()
}

async fn softwares_of(app: &TestApp, t: &str, id: i64) -> usize {
    let c = app.get(&format!("/Computer/{id}?with_softwares=true"), t).await.body;
    c["_softwares"].as_array().map_or(0, Vec::len)
}

/// The review's hijack: the fixture with another deviceid and name, the serial of a
/// computer of the region, and no TAG.
fn hijack(serial: &str) -> Value {
    let mut doc = fixture_json("glpi-agent-inventory.json");
    doc["deviceid"] = json!("hijack-1");
    doc["content"]["hardware"]["name"] = json!("hijacked");
    doc["content"]["bios"]["ssn"] = json!(serial);
    doc.as_object_mut().unwrap().remove("tag");
    doc
}

#[actix_web::test]
async fn inventory_without_tag_never_moves_an_existing_computer() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let lycee = app.add(&t, "Entity", json!({"name": "Lycee A (0750654D)", "entities_id": 0, "tag": "0750654D"})).await;
    let mut doc = fixture_json("inventory_format-example-computer_1.json");
    doc["tag"] = json!("0750654D");
    assert_eq!(send_inventory(&app, &doc).await.0, 200);
    let id = computers(&app, &t).await[0]["id"].as_i64().unwrap();
    // The agent lost its TAG, then got a wrong one: the computer stays in its lycée.
    doc.as_object_mut().unwrap().remove("tag");
    assert_eq!(send_inventory(&app, &doc).await.0, 200);
    assert_eq!(app.get(&format!("/Computer/{id}"), &t).await.body["entities_id"], lycee);
    doc["tag"] = json!("9999999Z");
    assert_eq!(send_inventory(&app, &doc).await.0, 200);
    let c = app.get(&format!("/Computer/{id}"), &t).await.body;
    assert_eq!(c["entities_id"], lycee, "an unknown TAG moves nothing either");
    assert_eq!(app.get(&format!("/Computer/{id}/Agent"), &t).await.body[0]["entities_id"], lycee);
    assert_eq!(computers(&app, &t).await.len(), 1);
    assert!(
        app.get("/Entity?range=0-99", &t).await.body.as_array().unwrap().iter().all(|e| e["name"] != "Quarantaine"),
        "no quarantine was needed"
    );
    // A new computer without a known TAG still goes to the quarantine.
    let (status, _) = send_inventory(&app, &fixture_json("inventory_format-example-computer_2.json")).await;
    assert_eq!(status, 200);
    let other = computers(&app, &t).await.into_iter().find(|c| c["id"] != id).expect("second computer");
    assert_ne!(other["entities_id"], lycee);
    assert_ne!(other["entities_id"], 0);
}

#[actix_web::test]
async fn hand_made_computer_is_not_taken_over_without_a_rule() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let lycee = app.entity(&t, "Entity A").await;
    let id = app.add(&t, "Computer", json!({"name": "pc-ent1", "entities_id": lycee, "serial": "SER1"})).await;
    let before = app.get(&format!("/Computer/{id}"), &t).await.body;
    let (status, text) = send_inventory(&app, &hijack("SER1")).await;
    assert_eq!((status, text.as_str()), (200, r#"{"expiration":"24","status":"ok"}"#));
    // By name too: an inventory called like the hand-made computer does not take it.
    let mut by_name = fixture_json("glpi-agent-inventory.json");
    by_name["content"]["hardware"]["name"] = json!("pc-ent1");
    assert_eq!(send_inventory(&app, &by_name).await.0, 200);
    let after = app.get(&format!("/Computer/{id}"), &t).await.body;
    assert_eq!(after, before, "the hand-made computer is untouched");
    assert_eq!(softwares_of(&app, &t, id).await, 0);
    assert_eq!(app.get(&format!("/Computer/{id}/Agent"), &t).await.body, json!([]));
    // The inventories made dynamic computers of their own, outside the lycée.
    let list = computers(&app, &t).await;
    assert_eq!(list.len(), 3, "{list:?}");
    let new = list.iter().find(|c| c["name"] == "hijacked").expect("new computer");
    assert_eq!((new["serial"].as_str(), new["is_dynamic"].as_i64()), (Some("SER1"), Some(1)));
    assert_ne!(new["entities_id"], lycee);
    // Re-sent, the inventory updates its own computer, still not the hand-made one.
    assert_eq!(send_inventory(&app, &hijack("SER1")).await.0, 200);
    assert_eq!(computers(&app, &t).await.len(), 3);
    assert_eq!(app.get(&format!("/Computer/{id}"), &t).await.body, before);
}

#[actix_web::test]
async fn hand_made_computer_is_linked_by_serial_when_the_rule_says_so() {
    let app = spawn_app_with(|s| s.inventory.link_manual = LinkManual::Serial).await;
    let t = app.admin().await;
    let lycee = app.entity(&t, "Entity A").await;
    let id = app.add(&t, "Computer", json!({"name": "pc-ent1", "entities_id": lycee, "serial": "SER1"})).await;
    assert_eq!(send_inventory(&app, &hijack("SER1")).await.0, 200);
    let c = app.get(&format!("/Computer/{id}"), &t).await.body;
    assert_eq!((c["name"].as_str(), c["is_dynamic"].as_i64()), (Some("hijacked"), Some(1)));
    assert_eq!(c["entities_id"], lycee, "linked, it stays in its lycée without a TAG");
    assert_eq!(softwares_of(&app, &t, id).await, 826);
    assert_eq!(computers(&app, &t).await.len(), 1);
    // The rule is about serials: a name alone still links nothing hand-made.
    let other = app.add(&t, "Computer", json!({"name": "pc-ent2", "entities_id": lycee})).await;
    let mut by_name = fixture_json("glpi-agent-inventory.json");
    by_name["content"]["hardware"]["name"] = json!("pc-ent2");
    assert_eq!(send_inventory(&app, &by_name).await.0, 200);
    assert_eq!(app.get(&format!("/Computer/{other}"), &t).await.body["is_dynamic"], 0);
}

#[actix_web::test]
async fn anonymous_inventories_are_rate_limited_per_address() {
    let app = spawn_app_with(|s| {
        s.inventory.anonymous_rate = 2;
        s.inventory.rate_exempt = String::new();
    })
    .await;
    let contact = br#"{"action":"contact","deviceid":"d-1","enabled-tasks":["inventory"]}"#.to_vec();
    for _ in 0..2 {
        assert_eq!(post(&app, "application/json", true, contact.clone()).await.0, 200);
    }
    // The GLPI Agent gets its JSON error, compressed like its request.
    let (status, headers, text) = post(&app, ZLIB, true, compress(Encoding::Zlib, &contact)).await;
    assert_eq!(status, 429, "{text}");
    let retry: u64 = headers.get("retry-after").expect("Retry-After").to_str().unwrap().parse().unwrap();
    assert!((1..=31).contains(&retry), "{retry}");
    assert_eq!(headers.get("content-type").unwrap(), ZLIB);
    let body: Value = serde_json::from_str(&text).unwrap();
    assert_eq!((body["status"].as_str(), body["expiration"].as_i64()), (Some("error"), Some(24)), "{text}");
    assert!(body["message"].as_str().unwrap().contains("Too many"), "{text}");
    // FusionInventory (no GLPI-Agent-ID) gets the legacy XML error.
    let prolog = b"<?xml version=\"1.0\"?><REQUEST><QUERY>PROLOG</QUERY><DEVICEID>fi-1</DEVICEID></REQUEST>".to_vec();
    let (status, headers, text) = post(&app, ZLIB, false, compress(Encoding::Zlib, &prolog)).await;
    assert_eq!(status, 429);
    assert!(headers.get("retry-after").is_some());
    assert!(text.starts_with("<?xml version=\"1.0\"?>\n<REPLY><ERROR><![CDATA[Too many"), "{text}");
    // Nothing of the refused requests was recorded.
    let t = app.admin().await;
    assert_eq!(app.get("/Agent", &t).await.body.as_array().map(Vec::len), Some(1));

    // Loopback is exempt by default (benchmarks, CI agents on the same host).
    let local = spawn_app_with(|s| s.inventory.anonymous_rate = 1).await;
    for _ in 0..3 {
        assert_eq!(post(&local, "application/json", true, contact.clone()).await.0, 200);
    }
    // With authentication on, agents that authenticate are never throttled; refused
    // credentials are, so the agent password cannot be guessed at full speed.
    let auth = spawn_app_with(|s| {
        s.inventory.anonymous_rate = 1;
        s.inventory.rate_exempt = String::new();
        s.inventory.user = Some("agent".into());
        s.inventory.password = Some("s3cret-agent".into());
    })
    .await;
    for _ in 0..3 {
        let req = auth.client.post(format!("{}/", auth.base)).basic_auth("agent", Some("s3cret-agent"));
        let r = req.header("Content-Type", "application/json").body(contact.clone()).send().await.unwrap();
        assert_eq!(r.status(), 200);
    }
    let guess = |pw: &'static str| {
        let req = auth.client.post(format!("{}/", auth.base)).basic_auth("agent", Some(pw));
        req.header("Content-Type", "application/json").body(contact.clone()).send()
    };
    assert_eq!(guess("guess-1").await.unwrap().status(), 401);
    assert_eq!(guess("guess-2").await.unwrap().status(), 429);
}

#[actix_web::test]
async fn inventory_strings_with_nul_import_on_both_backends() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let mut doc = fixture_json("inventory_format-example-computer_2.json");
    doc["deviceid"] = json!("nul\u{0}-agent");
    doc["content"]["hardware"]["name"] = json!("pc\u{0}-nul\u{0}");
    doc["content"]["bios"]["ssn"] = json!("\u{0}SN-NUL");
    doc["content"]["softwares"] = json!([{"name": "soft\u{0}ware", "version": "1.0\u{0}"}, {"name": "\u{0}"}]);
    let (status, text) = send_inventory(&app, &doc).await;
    assert_eq!(status, 200, "{text}");
    let list = computers(&app, &t).await;
    assert_eq!(list.len(), 1);
    assert_eq!((list[0]["name"].as_str(), list[0]["serial"].as_str()), (Some("pc-nul"), Some("SN-NUL")));
    let id = list[0]["id"].as_i64().unwrap();
    assert_eq!(softwares_of(&app, &t, id).await, 1, "a name of NULs only is no name");
    let names: Vec<Value> = app.get("/Software?range=0-99", &t).await.body.as_array().unwrap().to_vec();
    assert!(names.iter().any(|s| s["name"] == "software"), "{names:?}");
    assert_eq!(app.get("/SoftwareVersion?range=0-99", &t).await.body[0]["name"], "1.0");
    assert_eq!(app.get(&format!("/Computer/{id}/Agent"), &t).await.body[0]["deviceid"], "nul-agent");
    // The same inventory again finds the same computer.
    assert_eq!(send_inventory(&app, &doc).await.0, 200);
    assert_eq!(computers(&app, &t).await.len(), 1);
    // FusionInventory XML carrying a raw NUL byte in a DMI string.
    let xml = "<?xml version=\"1.0\"?><REQUEST><QUERY>INVENTORY</QUERY><DEVICEID>fi-nul</DEVICEID><CONTENT>\
               <HARDWARE><NAME>fi\0-pc</NAME></HARDWARE><BIOS><SSN>FI\0SN</SSN></BIOS>\
               <VERSIONCLIENT>FusionInventory-Agent_v2.6-3</VERSIONCLIENT></CONTENT></REQUEST>";
    let (status, _, text) = post(&app, "application/xml", false, xml.as_bytes().to_vec()).await;
    assert_eq!(status, 200, "{text}");
    let list = computers(&app, &t).await;
    assert!(list.iter().any(|c| c["name"] == "fi-pc" && c["serial"] == "FISN"), "{list:?}");
}

#[actix_web::test]
async fn inflated_inventory_with_huge_sections_is_refused_cheaply() {
    // The review's body, scaled to the tests' 4 MiB cap: 1.3 million empty software
    // entries in a few kB of zlib.
    let app = spawn_app().await;
    let mut json = br#"{"action":"inventory","deviceid":"b","content":{"softwares":["#.to_vec();
    json.extend_from_slice(&b"{},".repeat(1_300_000));
    json.extend_from_slice(b"{}]}}");
    let body = compress(Encoding::Zlib, &json);
    assert!(body.len() < 64 * 1024 && json.len() < 4 * 1024 * 1024);
    let started = std::time::Instant::now();
    let (status, _, text) = post(&app, ZLIB, true, body).await;
    assert_eq!(status, 413, "{text}");
    let answer: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(answer["message"], "Inventory too large: more than 500000 values");
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    // The legacy protocol has a like bound, counted in elements (a quarter as many).
    let mut xml = b"<?xml version=\"1.0\"?><REQUEST><QUERY>INVENTORY</QUERY><CONTENT>".to_vec();
    xml.extend_from_slice(&b"<SOFTWARES/>".repeat(200_000));
    xml.extend_from_slice(b"</CONTENT></REQUEST>");
    let (status, _, text) = post(&app, ZLIB, false, compress(Encoding::Zlib, &xml)).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("<ERROR><![CDATA[Inventory too large: more than 125000 elements"), "{text}");
    let t = app.admin().await;
    assert!(computers(&app, &t).await.is_empty());

    // The bound counts values: the 826-software fixture (13,106 of them) fits in 20,000.
    let small = spawn_app_with(|s| s.inventory.max_values = 20_000).await;
    assert_eq!(send_inventory(&small, &fixture_json("glpi-agent-inventory.json")).await.0, 200);
    let mut big = fixture_json("glpi-agent-inventory.json");
    big["content"]["softwares"] = json!(vec![json!({"name": "x"}); 7_000]);
    assert_eq!(send_inventory(&small, &big).await.0, 413);
}
