//! Agent inventories: both protocols on the real server, import, re-import, partial,
//! routing by TAG, bad input and concurrency. Bodies are the fixtures the real agents sent.

use crate::helpers::*;
use parc::web::agent::decode::{compress, inflate, Encoding};
use serde_json::{json, Value};

const ZLIB: &str = "application/x-compress-zlib";
const AGENT_ID: &str = "0fe7e85a-eb4b-11f1-a94a-799c64a740fd";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{}/tests/fixtures/inventory/{name}", env!("CARGO_MANIFEST_DIR"))).expect("fixture")
}

fn fixture_json(name: &str) -> Value {
    serde_json::from_slice(&fixture(name)).expect("json fixture")
}

/// An agent answer, decompressed as the agent would.
struct Answer {
    status: u16,
    content_type: String,
    raw: Vec<u8>,
    text: String,
    headers: reqwest::header::HeaderMap,
}

impl Answer {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or(Value::Null)
    }
}

async fn post(app: &TestApp, path: &str, content_type: Option<&str>, agent_id: bool, body: Vec<u8>) -> Answer {
    let mut req = app.client.post(format!("{}{path}", app.base)).body(body);
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    if agent_id {
        req = req.header("GLPI-Agent-ID", AGENT_ID);
    }
    send(req).await
}

async fn send(req: reqwest::RequestBuilder) -> Answer {
    let r = req.send().await.expect("request");
    let status = r.status().as_u16();
    let headers = r.headers().clone();
    let content_type = headers.get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let raw = r.bytes().await.unwrap_or_default().to_vec();
    let enc = match content_type.as_str() {
        "application/x-compress-zlib" => Encoding::Zlib,
        "application/x-compress-gzip" => Encoding::Gzip,
        "application/x-compress-deflate" => Encoding::Deflate,
        _ => Encoding::Identity,
    };
    let plain = if raw.is_empty() { Vec::new() } else { inflate(enc, &raw, 1 << 20).expect("answer decodes") };
    Answer { status, content_type, text: String::from_utf8_lossy(&plain).into_owned(), raw, headers }
}

/// A JSON inventory as the GLPI Agent sends it: zlib, with its GLPI-Agent-ID.
async fn send_inventory(app: &TestApp, doc: &Value) -> Answer {
    post(app, "/", Some(ZLIB), true, compress(Encoding::Zlib, doc.to_string().as_bytes())).await
}

async fn computers(app: &TestApp, t: &str) -> Vec<Value> {
    app.get("/Computer?range=0-999", t).await.body.as_array().cloned().unwrap_or_default()
}

async fn computer_with(app: &TestApp, t: &str, id: i64) -> Value {
    let r = app
        .get(
            &format!("/Computer/{id}?with_softwares=true&with_networkports=true&with_disks=true&with_devices=true&with_connections=true&with_logs=true"),
            t,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.body
}

fn count_ports(c: &Value) -> usize {
    c["_networkports"].as_object().map(|m| m.values().map(|v| v.as_array().map_or(0, Vec::len)).sum()).unwrap_or(0)
}

fn count(v: &Value) -> usize {
    v.as_array().map(Vec::len).or_else(|| v.as_object().map(|o| o.len())).unwrap_or(0)
}

#[actix_web::test]
async fn prolog_contact_and_legacy_answers_match_glpi() {
    let app = spawn_app().await;
    let prolog = fixture("fusioninventory-2.6-prolog.xml");
    // FusionInventory: zlib at the default level, XML reply, no trailing newline.
    let a = post(&app, "/front/inventory.php", Some(ZLIB), false, compress(Encoding::Zlib, &prolog)).await;
    assert_eq!(a.status, 200);
    assert_eq!(a.content_type, ZLIB);
    assert_eq!(&a.raw[..2], &[0x78, 0x9c]);
    assert_eq!(
        a.text,
        "<?xml version=\"1.0\"?>\n<REPLY><PROLOG_FREQ>24</PROLOG_FREQ><RESPONSE>SEND</RESPONSE></REPLY>"
    );
    assert_eq!(a.headers.get("cache-control").unwrap(), "no-cache,no-store");
    let a = post(&app, "/plugins/fusioninventory/", Some("application/xml"), false, prolog.clone()).await;
    assert_eq!((a.status, a.content_type.as_str()), (200, "application/xml"));
    assert_eq!(a.text.len(), 91);
    // GLPI Agent: the same PROLOG with its header gets the native answer.
    let a = post(&app, "/", Some(ZLIB), true, compress(Encoding::Zlib, &fixture("glpi-agent-prolog.xml"))).await;
    assert_eq!(a.text, r#"{"expiration":"24","status":"ok"}"#);
    assert_eq!(a.headers.get("glpi-agent-id").unwrap(), AGENT_ID);
    // CONTACT in every compression, answered in kind.
    let contact = fixture("glpi-agent-contact-request.json");
    let expected = r#"{"message":"collect task not supported;deploy task not supported;esx task not supported;netdiscovery task not supported;netinventory task not supported;remoteinventory task not supported;wakeonlan task not supported","disabled":["collect","deploy","esx","netdiscovery","netinventory","remoteinventory","wakeonlan"],"expiration":"24","status":"ok","tasks":{"inventory":{"server":"glpi","version":"10.0.19"}}}"#;
    for (ct, enc) in [
        ("application/json", Encoding::Identity),
        (ZLIB, Encoding::Zlib),
        ("application/x-compress-gzip", Encoding::Gzip),
        ("application/x-compress-deflate", Encoding::Deflate),
    ] {
        let a = post(&app, "/marketplace/glpiinventory/", Some(ct), true, compress(enc, &contact)).await;
        assert_eq!((a.status, a.content_type.as_str()), (200, ct));
        assert_eq!(a.text, expected);
    }
    let req = app
        .client
        .post(format!("{}/front/inventory.php", app.base))
        .header("Content-Type", "application/json")
        .header("GLPI-Request-ID", "68663A35")
        .body(contact.clone());
    assert_eq!(send(req).await.headers.get("glpi-request-id").unwrap(), "68663A35");
    // The contact recorded the agent.
    let t = app.admin().await;
    let agents = app.get("/Agent", &t).await;
    assert_eq!(agents.body[0]["deviceid"], "vm-2026-11-28-16-45-04");
    assert_eq!(agents.body[0]["tag"], "research-tag");
    // Unsupported actions, legacy REST, plain GET.
    let a = post(&app, "/", Some("application/json"), true, br#"{"action":"register","deviceid":"x"}"#.to_vec()).await;
    assert_eq!(a.status, 501);
    assert_eq!(a.text, r#"{"status":"error","message":"Query 'register' is not supported.","expiration":24}"#);
    let a = send(app.client.get(format!("{}/front/inventory.php?action=getConfig&machineid=x", app.base))).await;
    assert_eq!(
        (a.status, a.text.as_str()),
        (400, r#"{"status":"error","message":"Protocol not supported","expiration":24}"#)
    );
    let a = send(app.client.get(format!("{}/front/inventory.php", app.base))).await;
    assert_eq!((a.status, a.text.as_str()), (405, ""));
    let a = send(app.client.get(format!("{}/?action=getConfig&task%5BDeploy%5D=3.3", app.base))).await;
    assert_eq!(a.status, 400);
    assert_eq!(app.call(reqwest::Method::GET, "/", None, None).await.status, 404, "GET / is not the agent protocol");
}

#[actix_web::test]
async fn glpi_agent_inventory_imports_reimports_and_applies_partial() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let doc = fixture_json("glpi-agent-inventory.json");
    let a = send_inventory(&app, &doc).await;
    assert_eq!((a.status, a.text.as_str()), (200, r#"{"expiration":"24","status":"ok"}"#), "{}", a.text);
    let list = computers(&app, &t).await;
    assert_eq!(list.len(), 1);
    let id = list[0]["id"].as_i64().unwrap();
    let c = computer_with(&app, &t, id).await;
    assert_eq!(c["name"], "vm");
    assert_eq!(c["is_dynamic"], 1);
    assert_eq!(c["contact"], "wtmp");
    assert_eq!(c["last_boot"], "2026-11-28 16:33:24");
    assert_eq!(count(&c["_softwares"]), 826);
    assert_eq!(count_ports(&c), 4);
    assert_eq!(c["_networkports"]["NetworkPortLocal"][0]["name"], "lo");
    let eth0 = &c["_networkports"]["NetworkPortEthernet"][2];
    assert_eq!(eth0["name"], "eth0");
    assert_eq!(eth0["NetworkName"]["IPAddress"][0]["name"], "192.0.2.2");
    assert_eq!(count(&eth0["NetworkName"]["IPAddress"]), 3);
    assert_eq!(count(&c["_disks"]), 1);
    assert_eq!(c["_disks"][0]["name"]["mountpoint"], "/");
    assert_eq!(count(&c["_devices"]["Item_DeviceProcessor"]), 1);
    assert_eq!(count(&c["_logs"]), 1, "one summary row: {}", c["_logs"]);
    let os = app.get(&format!("/Computer/{id}/Item_OperatingSystem"), &t).await;
    assert_eq!(os.body[0]["hostid"], "007f0100");
    let addresses = app.get("/IPAddress?range=0-99", &t).await;
    assert_eq!(count(&addresses.body), 5, "lo ×2 and eth0 ×3: {}", addresses.text);
    let agent = app.get(&format!("/Computer/{id}/Agent"), &t).await;
    assert_eq!(agent.body[0]["deviceid"], "vm-2026-11-28-16-45-04");
    assert_eq!(agent.body[0]["version"], "1.12-dev");

    // The same inventory again: nothing changes, nothing is logged.
    let a = send_inventory(&app, &doc).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let again = computer_with(&app, &t, id).await;
    assert_eq!(computers(&app, &t).await.len(), 1);
    assert_eq!(again["_logs"], c["_logs"]);
    assert_eq!(again["_softwares"], c["_softwares"]);
    assert_eq!(again["date_mod"], c["date_mod"]);

    // Partial: only the drives changed; software and ports stay.
    let partial = fixture_json("glpi-agent-inventory-partial.json");
    let a = send_inventory(&app, &partial).await;
    assert_eq!(a.status, 200, "{}", a.text);
    let after = computer_with(&app, &t, id).await;
    assert_eq!(count(&after["_softwares"]), 826);
    assert_eq!(count_ports(&after), 4);
    assert_eq!(after["_disks"][0]["name"]["freesize"], 79000);
    assert_eq!(count(&after["_logs"]), 2);

    // A full inventory without software removes the dynamic installations only.
    let sv = app.get("/SoftwareVersion?range=0-0", &t).await.body[0]["id"].as_i64().unwrap();
    app.add(&t, "Item_SoftwareVersion", json!({"itemtype": "Computer", "items_id": id, "softwareversions_id": sv}))
        .await;
    let mut trimmed = doc.clone();
    trimmed["content"].as_object_mut().unwrap().remove("softwares");
    assert_eq!(send_inventory(&app, &trimmed).await.status, 200);
    let after = computer_with(&app, &t, id).await;
    assert_eq!(count(&after["_softwares"]), 1, "the installation entered by hand stays");
    assert_eq!(after["_softwares"][0]["is_dynamic"], 0);
    assert_eq!(count_ports(&after), 4);
}

#[actix_web::test]
async fn fusioninventory_xml_inventory_lands_on_the_same_computer() {
    let app = spawn_app().await;
    let t = app.admin().await;
    assert_eq!(send_inventory(&app, &fixture_json("glpi-agent-inventory.json")).await.status, 200);
    let xml = fixture("fusioninventory-2.6-inventory.xml");
    let a = post(&app, "/plugins/fusioninventory/", Some(ZLIB), false, compress(Encoding::Zlib, &xml)).await;
    assert_eq!((a.status, a.text.as_str()), (200, "<?xml version=\"1.0\"?>\n<REPLY><RESPONSE>SEND</RESPONSE></REPLY>"));
    // Matched by name (no serial, no UUID in a container), as GLPI did.
    let list = computers(&app, &t).await;
    assert_eq!(list.len(), 1);
    let c = computer_with(&app, &t, list[0]["id"].as_i64().unwrap()).await;
    assert_eq!(count(&c["_softwares"]), 764);
    assert_eq!(count_ports(&c), 4);
    let agents = app.get(&format!("/Computer/{}/Agent", list[0]["id"]), &t).await;
    assert_eq!(count(&agents.body), 1, "the computer's agent was replaced");
    assert_eq!(agents.body[0]["deviceid"], "vm-2026-11-28-16-39-48");
    let a = post(&app, "/plugins/fusioninventory/", Some("application/xml"), false, xml).await;
    assert_eq!((a.status, a.content_type.as_str()), (200, "application/xml"));
    assert_eq!(
        count(&computer_with(&app, &t, list[0]["id"].as_i64().unwrap()).await["_logs"]),
        c["_logs"].as_object().unwrap().len()
    );
}

#[actix_web::test]
async fn upstream_examples_import_with_devices_and_partial_software() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let full = fixture_json("inventory_format-example-computer_1.json");
    assert_eq!(send_inventory(&app, &full).await.status, 200);
    let list = computers(&app, &t).await;
    let id = list[0]["id"].as_i64().unwrap();
    let c = computer_with(&app, &t, id).await;
    assert_eq!(c["serial"], "640HP72");
    assert_eq!(c["uuid"], "4c4c4544-0034-3010-8048-b6c04f503732");
    assert_ne!(c["manufacturers_id"], 0);
    assert_eq!(count(&c["_devices"]["Item_DeviceMemory"]), 2);
    // The BIOS, as GLPI stores it: a firmware device of type BIOS linked to the computer.
    let links = c["_devices"]["Item_DeviceFirmware"].as_object().expect("BIOS link");
    assert_eq!(links.len(), 1);
    let fw_id = links.values().next().unwrap()["devicefirmwares_id"].as_i64().unwrap();
    let fw = app.get(&format!("/DeviceFirmware/{fw_id}?expand_dropdowns=true"), &t).await.body;
    assert_eq!(fw["designation"], "Dell Inc. BIOS");
    assert_eq!(fw["version"], "1.4.3");
    assert_eq!(fw["date"], "2016-02-06");
    assert_eq!(fw["devicefirmwaretypes_id"], "BIOS");
    assert_eq!(count(&c["_disks"]), 6);
    assert_eq!(count_ports(&c), 5);
    assert_eq!(count(&c["_connections"]["Monitor"]), 1);
    assert_eq!(c["_connections"]["Monitor"][0]["serial"], "ABH55D");
    assert_eq!(count(&c["_connections"]["Printer"]), 1);
    assert_eq!(count(&c["_connections"]["Peripheral"]), 3);
    let before = c["_softwares"].clone();
    // Re-import: idempotent.
    assert_eq!(send_inventory(&app, &full).await.status, 200);
    assert_eq!(computer_with(&app, &t, id).await["_logs"], c["_logs"]);
    // Partial with new software versions: the versions move, the rest stays.
    assert_eq!(
        send_inventory(&app, &fixture_json("inventory_format-example-computer_1_partial_softs.json")).await.status,
        200
    );
    let after = computer_with(&app, &t, id).await;
    assert_eq!(count(&after["_softwares"]), 6);
    assert_ne!(after["_softwares"], before);
    assert_eq!(count(&after["_disks"]), 6);
    assert_eq!(count(&after["_connections"]["Monitor"]), 1);
    // A second computer, without serial number in its own entity of the quarantine.
    assert_eq!(send_inventory(&app, &fixture_json("inventory_format-example-computer_2.json")).await.status, 200);
    assert_eq!(computers(&app, &t).await.len(), 2);
}

#[actix_web::test]
async fn routes_by_uai_tag_to_the_lycee_or_quarantine() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let a = app.add(&t, "Entity", json!({"name": "Lycee A (0750654D)", "entities_id": 0, "tag": "0750654D"})).await;
    let b = app.add(&t, "Entity", json!({"name": "Lycee B (0750655E)", "entities_id": 0, "tag": "0750655E"})).await;
    let mut doc = fixture_json("inventory_format-example-computer_2.json");
    doc["tag"] = json!(" 0750654d ");
    assert_eq!(send_inventory(&app, &doc).await.status, 200);
    let list = computers(&app, &t).await;
    assert_eq!(list[0]["entities_id"], a);
    let id = list[0]["id"].as_i64().unwrap();
    // Moved to lycée B: the computer follows its new TAG, with its agent.
    doc["tag"] = json!("0750655E");
    assert_eq!(send_inventory(&app, &doc).await.status, 200);
    assert_eq!(app.get(&format!("/Computer/{id}"), &t).await.body["entities_id"], b);
    assert_eq!(app.get(&format!("/Computer/{id}/Agent"), &t).await.body[0]["entities_id"], b);
    // Unknown and missing TAGs: the quarantine, created once, never a lycée.
    let mut other = fixture_json("glpi-agent-inventory.json");
    other["tag"] = json!("9999999Z");
    assert_eq!(send_inventory(&app, &other).await.status, 200);
    other.as_object_mut().unwrap().remove("tag");
    other["content"]["hardware"]["name"] = json!("vm2");
    assert_eq!(send_inventory(&app, &other).await.status, 200);
    let entities = app.get("/Entity?range=0-99", &t).await.body;
    let quarantine: Vec<&Value> = entities.as_array().unwrap().iter().filter(|e| e["name"] == "Quarantaine").collect();
    assert_eq!(quarantine.len(), 1);
    let q = quarantine[0]["id"].as_i64().unwrap();
    let list = computers(&app, &t).await;
    assert_eq!(list.iter().filter(|c| c["entities_id"] == q).count(), 2);
}

#[actix_web::test]
async fn configured_quarantine_and_basic_auth() {
    let app = spawn_app_with(|s| {
        s.inventory.quarantine_entity = Some(0);
        s.inventory.user = Some("agent".into());
        s.inventory.password = Some("s3cret-agent".into());
    })
    .await;
    let doc = fixture_json("inventory_format-example-computer_2.json");
    let body = doc.to_string().into_bytes();
    let a = post(&app, "/", Some("application/json"), true, body.clone()).await;
    assert_eq!(a.status, 401);
    assert!(a.headers.get("www-authenticate").is_some());
    let req = app.client.post(format!("{}/", app.base)).basic_auth("agent", Some("wrong")).body(body.clone());
    assert_eq!(send(req).await.status, 401);
    let req = app
        .client
        .post(format!("{}/", app.base))
        .basic_auth("agent", Some("s3cret-agent"))
        .header("Content-Type", "application/json")
        .body(body);
    let a = send(req).await;
    assert_eq!((a.status, a.text.as_str()), (200, r#"{"RESPONSE":"SEND"}"#), "no GLPI-Agent-ID: legacy shape");
    let t = app.admin().await;
    assert_eq!(computers(&app, &t).await[0]["entities_id"], 0);
}

#[actix_web::test]
async fn bad_input_gets_clear_protocol_errors() {
    let app = spawn_app().await;
    let xml_error = "<?xml version=\"1.0\"?>\n<REPLY><ERROR><![CDATA[XML not well formed!]]></ERROR></REPLY>";
    let json_error = r#"{"status":"error","message":"JSON not well formed!","expiration":24}"#;
    // Zip bomb: 64 MiB of zeros in ~64 KiB of zlib, over the 4 MiB test limit.
    let bomb = compress(Encoding::Zlib, &vec![0u8; 64 * 1024 * 1024]);
    let a = post(&app, "/", Some(ZLIB), true, bomb).await;
    assert_eq!(a.status, 413, "{}", a.text);
    assert!(a.text.contains("too large"));
    let garbage = b"this is neither JSON nor XML\n".to_vec();
    let a = post(&app, "/front/inventory.php", Some("text/plain"), true, garbage.clone()).await;
    assert_eq!((a.status, a.content_type.as_str(), a.text.as_str()), (400, "application/xml", xml_error));
    let a = post(&app, "/front/inventory.php", Some("application/json"), true, garbage.clone()).await;
    assert_eq!((a.status, a.text.as_str()), (400, json_error));
    let a = post(&app, "/front/inventory.php", Some(ZLIB), true, compress(Encoding::Zlib, &garbage)).await;
    assert_eq!((a.status, a.content_type.as_str(), a.text.as_str()), (400, ZLIB, xml_error));
    let contact = fixture("glpi-agent-contact-request.json");
    let a = post(&app, "/front/inventory.php", Some(ZLIB), true, contact.clone()).await;
    assert_eq!((a.status, a.text.as_str()), (400, xml_error), "labelled zlib but is not");
    let a = post(&app, "/front/inventory.php", None, false, Vec::new()).await;
    assert_eq!((a.status, a.text.as_str()), (400, xml_error));
    let binary: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 24) as u8).collect();
    assert_eq!(post(&app, "/", Some("application/octet-stream"), false, binary).await.status, 400);
    let truncated = fixture("glpi-agent-inventory.json")[..4096].to_vec();
    let a = post(&app, "/", Some(ZLIB), true, compress(Encoding::Zlib, &truncated)).await;
    assert_eq!((a.status, a.text.as_str()), (400, json_error));
    let a = post(&app, "/", Some("application/x-compress-br"), true, contact).await;
    assert_eq!((a.status, a.text.as_str()), (415, "Unsupported compression"));
    // DTD and entities: refused, never expanded.
    let dtd = br#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><REQUEST><QUERY>PROLOG</QUERY><DEVICEID>&b;</DEVICEID></REQUEST>"#;
    let a = post(&app, "/", Some("application/xml"), false, dtd.to_vec()).await;
    assert_eq!(a.status, 400);
    assert!(a.text.contains("<ERROR>"), "{}", a.text);
    // Schema violations, in the agent's own form.
    let a = post(&app, "/", Some("application/json"), true, br#"{"action": "inventory", "deviceid": "d", "itemtype": "Computer", "content": {"hardware": "not-an-object", "versionclient": "x"}}"#.to_vec()).await;
    assert_eq!(a.status, 400);
    assert_eq!(a.json()["message"], "JSON does not validate. Violations:\nObject expected, \"not-an-object\" received at #->properties:content->properties:hardware\n");
    let a = post(
        &app,
        "/",
        Some("application/json"),
        true,
        br#"{"action": "inventory", "deviceid": "d", "itemtype": "Computer", "tag": "x"}"#.to_vec(),
    )
    .await;
    assert_eq!(a.status, 400);
    assert!(a.json()["message"].as_str().unwrap().contains("Required property missing: content"));
    let a = post(
        &app,
        "/",
        Some("application/json"),
        true,
        br#"{"action": "frobnicate", "deviceid": "d", "content": {"versionclient": "x"}}"#.to_vec(),
    )
    .await;
    assert_eq!(
        (a.status, a.text.as_str()),
        (501, r#"{"status":"error","message":"Query 'frobnicate' is not supported.","expiration":24}"#)
    );
    // Nothing was imported, the server still answers.
    let t = app.admin().await;
    assert!(computers(&app, &t).await.is_empty());
}

#[actix_web::test]
async fn concurrent_posts_of_one_computer_create_one_computer() {
    let app = spawn_app().await;
    let doc = fixture_json("glpi-agent-inventory.json");
    let posts = (0..4).map(|_| send_inventory(&app, &doc));
    for a in futures_util::future::join_all(posts).await {
        assert_eq!(a.status, 200, "{}", a.text);
    }
    let t = app.admin().await;
    let list = computers(&app, &t).await;
    assert_eq!(list.len(), 1);
    let c = computer_with(&app, &t, list[0]["id"].as_i64().unwrap()).await;
    assert_eq!(count(&c["_softwares"]), 826);
    assert_eq!(count(&app.get("/Agent", &t).await.body), 1);
    assert_eq!(
        count(&app.get("/Software?range=0-9999", &t).await.body),
        826,
        "software rows are shared, not duplicated"
    );
}

#[actix_web::test]
async fn software_names_with_sql_and_array_syntax_round_trip() {
    // PostgreSQL receives bulk rows as array literals: quotes, backslashes, braces,
    // commas and the word NULL must come back exactly as the agent sent them.
    let app = spawn_app().await;
    let t = app.admin().await;
    let names = ["say \"hi\"", "back\\slash\\", "{braces,comma}", "NULL", "  l'été  ", "x'); DROP TABLE softwares; --"];
    let mut doc = fixture_json("inventory_format-example-computer_2.json");
    doc["content"]["softwares"] = names
        .iter()
        .map(|n| json!({"name": n, "version": "1.0\"", "publisher": "Pub \\ \"Q\"", "install_date": "2024-05-06"}))
        .collect();
    // Two processors without core or thread counts: an all-NULL integer column.
    doc["content"]["cpus"] = json!([{"name": "CPU A", "speed": 2000}, {"name": "CPU B", "speed": 2000}]);
    assert_eq!(send_inventory(&app, &doc).await.status, 200);
    let stored: Vec<String> = app
        .get("/Software?range=0-99", &t)
        .await
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    for n in names {
        assert!(stored.contains(&n.trim().to_string()), "{n:?} not in {stored:?}");
    }
    let versions = app.get("/SoftwareVersion?range=0-99", &t).await.body;
    assert!(versions.as_array().unwrap().iter().all(|v| v["name"] == "1.0\""), "{versions}");
    let id = computers(&app, &t).await[0]["id"].as_i64().unwrap();
    let c = computer_with(&app, &t, id).await;
    assert_eq!(count(&c["_softwares"]), names.len());
    assert_eq!(count(&c["_devices"]["Item_DeviceProcessor"]), 2);
    // Unchanged re-import: nothing moves.
    assert_eq!(send_inventory(&app, &doc).await.status, 200);
    assert_eq!(computer_with(&app, &t, id).await["_softwares"], c["_softwares"]);
    // One software fewer: the row count recorded for the section is the real one (an
    // unchanged re-import compares them to skip the section).
    doc["content"]["softwares"].as_array_mut().unwrap().pop();
    assert_eq!(send_inventory(&app, &doc).await.status, 200);
    let db = parc::db::Db::open(&app.db.url, 1).unwrap();
    let mut conn = db.pool.get().unwrap();
    let mut q = parc::db::sql::Sql::new(conn.backend());
    q.push("SELECT CAST(nrows AS BIGINT) AS n FROM inventory_sections WHERE section = 'softwares' UNION ALL ");
    q.push("SELECT COUNT(*) AS n FROM items_softwareversions WHERE is_dynamic = 1");
    let n = q.load_ints(&mut conn).unwrap();
    assert_eq!(n, vec![names.len() as i64 - 1; 2]);
}

#[actix_web::test]
async fn fields_changed_by_hand_are_locked_against_the_inventory() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let full = fixture_json("inventory_format-example-computer_1.json");
    assert_eq!(send_inventory(&app, &full).await.status, 200);
    let id = computers(&app, &t).await[0]["id"].as_i64().unwrap();
    let original = computer_with(&app, &t, id).await;
    // A technician renames the computer and notes its room; the agent knows neither.
    let r = app
        .put(&format!("/Computer/{id}"), &t, json!({"input": {"name": "CDI-poste-3", "comment": "salle 112"}}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let locks = app.get("/Lockedfield?range=0-50", &t).await.body;
    let locks = locks.as_array().expect("locks");
    assert_eq!(locks.len(), 1, "only the inventoried field is locked: {locks:?}");
    assert_eq!((locks[0]["field"].as_str(), locks[0]["items_id"].as_i64()), (Some("name"), Some(id)));
    // The next inventory keeps the name and still updates what is not locked.
    let mut next = full.clone();
    next["content"]["hardware"]["lastloggeduser"] = json!("j.dupont");
    assert_eq!(send_inventory(&app, &next).await.status, 200);
    let after = computer_with(&app, &t, id).await;
    assert_eq!(after["name"], "CDI-poste-3");
    assert_eq!(after["comment"], "salle 112");
    assert_eq!(after["contact"], "j.dupont");
    // Removing the lock hands the field back to the agent.
    let lock_id = locks[0]["id"].as_i64().unwrap();
    assert_eq!(app.delete(&format!("/Lockedfield/{lock_id}"), &t, None).await.status, 200);
    assert_eq!(send_inventory(&app, &next).await.status, 200);
    assert_eq!(computer_with(&app, &t, id).await["name"], original["name"]);
}

#[actix_web::test]
async fn a_list_total_is_right_right_after_an_inventory_import() {
    let app = spawn_app().await;
    let t = app.admin().await;
    app.add(&t, "Computer", json!({"name": "hand-made"})).await;
    let total = |r: &Resp| r.header("content-range").unwrap_or_default();
    // A plain list total is cached a little while; an import must drop it at once.
    assert_eq!(total(&app.get("/Computer?range=0-0", &t).await), "0-0/1");
    let r = send_inventory(&app, &fixture_json("glpi-agent-inventory.json")).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app.get("/Computer?range=0-0", &t).await;
    assert_eq!(total(&r), "0-0/2", "{}", r.text);
}
