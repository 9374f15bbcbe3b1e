use crate::helpers::*;
use serde_json::{json, Value};

fn ids(r: &Resp, col: &str) -> Vec<Value> {
    r.body["data"].as_array().map(|a| a.iter().map(|row| row[col].clone()).collect()).unwrap_or_default()
}

/// SHA-256 of the compact JSON (key order kept) of real GLPI 10.0.19's `listSearchOptions`
/// answers, from the reference captures (`glpi-transcripts/listSearchOptions-*.json` of the
/// shared reference; `json.dumps(body, ensure_ascii=False, separators=(",", ":"))`). The
/// server's own copy is `src/glpi/searchoptions/`: a fingerprint instead of a second copy,
/// so that an edit there is caught without keeping 17k lines twice.
const CAPTURED_SHA256: &[(&str, &str)] = &[
    ("Computer", "11d64e35009e2b9e05a3ab11780f6801fbd2551364fc451a10dcaaed8fd5d0a0"),
    ("Monitor", "ddbc96597fcd225fd801c992892c5db0bc1d29436a778bc35ab9069ab5ef8dc5"),
    ("Peripheral", "a25ef2597442f669a3456a12f2da529dfb510ef59f89e7e4c8a8dff4080b36fe"),
    ("Printer", "c49b411dfdaf1bdae1c4d496d8d5151dfce6a9b09271057a0d1fc3bed18003f3"),
    ("NetworkEquipment", "38e7439ccdd0368bd2dbcd5893f0bfc83813b180d2c26598972a82f9f6f3f9f6"),
    ("Phone", "4f1b9976cbd2c9c29cc89b3e8bce2a674560db513971f69cac7e796b0cfc149e"),
    ("Software", "5efc58dddf2dd9c0f397f2319d9fcce11b410f652700ccd26adf9e6b4d26d62f"),
    ("Ticket", "21ae66ec436c0dfb7608ed6306e662e7eb58d31d47b4fb7f4e2209554aab2345"),
    ("User", "df34cdb5e8a9b2228b3374fb1db015cad80400855f7ce33abec8ddb469d5a61e"),
    ("Entity", "f9a8fcddf5c219bdebc7a4e189d1d84a43ec238084defe7b91b15117ac539657"),
    ("Location", "8bb92d879192463be5f135f66d8b4e22bd2f5e30799dc78cf0fc0388dc433d6d"),
];

#[actix_web::test]
async fn list_search_options_match_glpi_captures() {
    use sha2::Digest;
    let app = spawn_app().await;
    let t = app.admin().await;
    // The one exchange captured whole: compared value by value, in GLPI's key order.
    let path = format!("{}/tests/golden/transcripts/34-listSearchOptions-Computer.json", env!("CARGO_MANIFEST_DIR"));
    let capture: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let r = app.get("/listSearchOptions/Computer", &t).await;
    let want = &capture["response"];
    assert_eq!(r.status.as_u16() as i64, want["status"].as_i64().unwrap());
    assert!(r.header("content-type").unwrap_or_default().starts_with("application/json"));
    for (id, option) in want["body"].as_object().unwrap() {
        assert_eq!(&r.body[id], option, "listSearchOptions/Computer option {id} differs from GLPI 10.0.19");
    }
    assert_eq!(r.body, want["body"]);
    let keys: Vec<&String> = r.body.as_object().unwrap().keys().collect();
    let gkeys: Vec<&String> = want["body"].as_object().unwrap().keys().collect();
    assert_eq!(keys, gkeys, "same key order as GLPI");
    // Every captured itemtype, byte for byte by fingerprint.
    for (it, sha) in CAPTURED_SHA256 {
        let r = app.get(&format!("/listSearchOptions/{it}"), &t).await;
        assert_eq!(r.status, 200);
        let got = format!("{:x}", sha2::Sha256::digest(serde_json::to_string(&r.body).unwrap()));
        assert_eq!(&got, sha, "listSearchOptions/{it} differs from GLPI 10.0.19");
    }
    let r = app.get("/listSearchOptions/Manufacturer", &t).await;
    assert_eq!(r.body["1"]["uid"], "Manufacturer.name");
    assert_eq!(r.body["2"]["field"], "id");
}

async fn fleet(app: &TestApp, t: &str) -> (i64, i64) {
    let a = app.entity(t, "Lycee A (0750654D)").await;
    let b = app.entity(t, "Lycee B (0750655E)").await;
    let loc = app.add(t, "Location", json!({"name": "Bâtiment A", "entities_id": a})).await;
    let room = app.add(t, "Location", json!({"name": "Salle 101", "locations_id": loc, "entities_id": a})).await;
    let os = app.add(t, "OperatingSystem", json!({"name": "Windows 10"})).await;
    for i in 0..12 {
        let e = if i % 2 == 0 { a } else { b };
        let id = app
            .add(t, "Computer", json!({"name": format!("LYC-PC-{i:02}"), "serial": format!("SN_{i}"), "entities_id": e, "locations_id": if i < 3 { room } else { 0 }}))
            .await;
        if i < 4 {
            app.add(
                t,
                "Item_OperatingSystem",
                json!({"itemtype": "Computer", "items_id": id, "operatingsystems_id": os}),
            )
            .await;
        }
    }
    (a, b)
}

#[actix_web::test]
async fn search_computers_like_glpi() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let (a, _b) = fleet(&app, &t).await;
    let r = app.get("/search/Computer?criteria[0][field]=1&criteria[0][searchtype]=contains&criteria[0][value]=PC-0&forcedisplay[0]=2&range=0-4", &t).await;
    assert_eq!(r.status, 206, "{}", r.text);
    assert_eq!(r.body["totalcount"], 10);
    assert_eq!(r.body["count"], 5);
    assert_eq!(r.body["sort"], json!([1]));
    assert_eq!(r.body["order"], json!(["ASC"]));
    assert_eq!(r.body["content-range"], "0-4/10");
    assert_eq!(r.header("content-range").as_deref(), Some("0-4/10"));
    assert_eq!(ids(&r, "1")[0], "LYC-PC-00");
    assert!(r.body["data"][0]["2"].is_i64());
    assert!(r.body["data"][0]["80"].as_str().unwrap().starts_with("Région > Lycee"), "{}", r.body);
    // Case-insensitive substring, as GLPI's collation (SQLite answers it from the trigram index).
    let r = app.get("/search/Computer?criteria[0][field]=1&criteria[0][searchtype]=contains&criteria[0][value]=lyc-pc-1&range=0-50", &t).await;
    assert_eq!(r.body["totalcount"], 2);
    let r = app.get("/search/Computer?criteria[0][field]=5&criteria[0][searchtype]=contains&criteria[0][value]=^sn_3$&range=0-50", &t).await;
    assert_eq!(r.body["totalcount"], 1, "exact serial, any case");
    // Default columns, in GLPI's order.
    let r = app.get("/search/Computer?range=0-0", &t).await;
    let keys: Vec<&String> = r.body["data"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["1", "80", "31", "23", "5", "4", "40", "45", "3", "19", "17"]);
    // Anchors, underscore literal, sorting.
    let r = app.get("/search/Computer?criteria[0][field]=5&criteria[0][searchtype]=contains&criteria[0][value]=^SN_1$&forcedisplay[0]=5", &t).await;
    assert_eq!(r.body["totalcount"], 1);
    let r = app.get("/search/Computer?sort=1&order=DESC&range=0-0", &t).await;
    assert_eq!(ids(&r, "1"), vec![json!("LYC-PC-11")]);
    // OR, AND NOT, nested groups.
    let r = app.get("/search/Computer?criteria[0][field]=1&criteria[0][searchtype]=contains&criteria[0][value]=PC-01&criteria[1][link]=OR&criteria[1][field]=1&criteria[1][searchtype]=contains&criteria[1][value]=PC-02&range=0-50", &t).await;
    assert_eq!(r.body["totalcount"], 2);
    let r = app.get("/search/Computer?criteria[0][field]=1&criteria[0][searchtype]=contains&criteria[0][value]=PC&criteria[1][link]=AND NOT&criteria[1][criteria][0][field]=1&criteria[1][criteria][0][searchtype]=contains&criteria[1][criteria][0][value]=PC-1&range=0-50", &t).await;
    assert_eq!(r.body["totalcount"], 10, "{}", r.text);
    // Dropdown equals by id, under a location tree, entity equals, OS through the relation.
    let r = app.get(&format!("/search/Computer?criteria[0][field]=80&criteria[0][searchtype]=equals&criteria[0][value]={a}&range=0-50"), &t).await;
    assert_eq!(r.body["totalcount"], 6);
    let loc = app.get("/Location?searchText[name]=^Bâtiment", &t).await.body[0]["id"].as_i64().unwrap();
    let r = app.get(&format!("/search/Computer?criteria[0][field]=3&criteria[0][searchtype]=under&criteria[0][value]={loc}&range=0-50"), &t).await;
    assert_eq!(r.body["totalcount"], 3, "{}", r.text);
    assert_eq!(r.body["data"][0]["3"], "Bâtiment A > Salle 101");
    let r = app.get("/search/Computer?criteria[0][field]=45&criteria[0][searchtype]=contains&criteria[0][value]=windows&range=0-50", &t).await;
    assert_eq!(r.body["totalcount"], 4);
    assert_eq!(r.body["data"][0]["45"], "Windows 10");
    let r = app.get("/search/Computer?criteria[0][field]=45&criteria[0][searchtype]=notcontains&criteria[0][value]=windows&range=0-50", &t).await;
    assert_eq!(r.body["totalcount"], 8);
    // Options: withindexes, uid_cols.
    let r = app.get("/search/Computer?criteria[0][field]=1&criteria[0][searchtype]=contains&criteria[0][value]=PC-00&withindexes=1&uid_cols=1", &t).await;
    let data = r.body["data"].as_object().unwrap();
    let (_, row) = data.iter().next().unwrap();
    assert_eq!(row["Computer.name"], "LYC-PC-00");
    // Empty result: no data key, GLPI's content-range.
    let r = app
        .get(
            "/search/Computer?criteria[0][field]=1&criteria[0][searchtype]=contains&criteria[0][value]=nothing-here",
            &t,
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.get("data").is_none());
    assert_eq!(r.body["content-range"], "0--1/0");
    assert!(r.header("content-range").is_none());
}

#[actix_web::test]
async fn hostile_criteria_get_glpi_errors() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let r = app
        .get("/search/Computer?criteria[0][field]=999999&criteria[0][searchtype]=contains&criteria[0][value]=x", &t)
        .await;
    assert_eq!(r.status, 400);
    assert!(r.body[1].as_str().unwrap().starts_with("Bad field ID in search criteria"));
    let r = app.get("/search/Computer?criteria[0][field]=1&criteria[0][searchtype]=contains", &t).await;
    assert!(r.body[1].as_str().unwrap().starts_with("Malformed search criteria"));
    let r = app
        .get("/search/Computer?criteria[0][field]=name&criteria[0][searchtype]=contains&criteria[0][value]=x", &t)
        .await;
    assert!(r.body[1].as_str().unwrap().starts_with("Bad field ID"));
    let deep = (0..10).map(|_| "[criteria][0]").collect::<String>();
    let r = app.get(&format!("/search/Computer?criteria[0]{deep}[field]=1&criteria[0]{deep}[searchtype]=contains&criteria[0]{deep}[value]=x"), &t).await;
    assert_eq!(r.status, 400, "{}", r.text);
    let r = app.get("/search/Computer?criteria[0][field]=1&criteria[0][searchtype]=contains&criteria[0][value]=x%27%20OR%201=1--&range=0-5", &t).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["totalcount"], 0);
    let r = app.get("/search/Computer?range=5-1", &t).await;
    assert_eq!(r.code(), "ERROR");
    let r = app
        .get("/search/Computer?criteria[0][field]=19&criteria[0][searchtype]=lessthan&criteria[0][value]=whenever", &t)
        .await;
    assert_eq!(r.status, 400);
    let r = app.get("/search/NotAType", &t).await;
    assert_eq!(r.code(), "ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM");
    let r = app.get("/search/Computer?sort=99999", &t).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["sort"], json!([99999]));
}

#[actix_web::test]
async fn ticket_search_status_actors_meta_and_scope() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let a = app.entity(&t, "Lycee A").await;
    let b = app.entity(&t, "Lycee B").await;
    let staff = app.user(&t, "staff_a", SELF_SERVICE, a, false).await;
    app.user(&t, "tech_a", TECHNICIAN, a, false).await;
    let pc = app.add(&t, "Computer", json!({"name": "LYCA-PC-1", "entities_id": a})).await;
    let t1 = app
        .add(&t, "Ticket", json!({"name": "Écran", "content": "x", "entities_id": a, "_users_id_requester": staff}))
        .await;
    let t2 = app.add(&t, "Ticket", json!({"name": "Wifi", "content": "y", "entities_id": b, "status": 6})).await;
    app.add(&t, "Item_Ticket", json!({"tickets_id": t1, "itemtype": "Computer", "items_id": pc})).await;
    let r = app.get("/search/Ticket?range=0-50", &t).await;
    let keys: Vec<&String> = r.body["data"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys, ["2", "1", "80", "12", "19", "15", "3", "4", "5", "7", "18"]);
    let r = app
        .get(
            "/search/Ticket?criteria[0][field]=12&criteria[0][searchtype]=equals&criteria[0][value]=notold&range=0-50",
            &t,
        )
        .await;
    assert_eq!(ids(&r, "2"), vec![json!(t1)]);
    let r = app
        .get(
            "/search/Ticket?criteria[0][field]=12&criteria[0][searchtype]=equals&criteria[0][value]=old&range=0-50",
            &t,
        )
        .await;
    assert_eq!(ids(&r, "2"), vec![json!(t2)]);
    let r = app.get(&format!("/search/Ticket?criteria[0][field]=4&criteria[0][searchtype]=equals&criteria[0][value]={staff}&range=0-50"), &t).await;
    assert_eq!(ids(&r, "2"), vec![json!(t1)]);
    assert_eq!(r.body["data"][0]["4"], json!(staff.to_string()), "actors show user ids as strings");
    let r = app.get("/search/Ticket?criteria[0][meta]=1&criteria[0][itemtype]=Computer&criteria[0][field]=1&criteria[0][searchtype]=contains&criteria[0][value]=LYCA&range=0-50", &t).await;
    assert_eq!(r.body["totalcount"], 1, "{}", r.text);
    assert_eq!(r.body["data"][0]["1"], "LYCA-PC-1", "the meta column overwrites 1 without uid_cols");
    // Staff see only their tickets, technicians only their entity, inside search too.
    let st = app.login("staff_a", "password-123").await;
    let r = app.get("/search/Ticket?range=0-50", &st).await;
    assert_eq!(ids(&r, "2"), vec![json!(t1)]);
    assert_eq!(app.get("/search/Computer", &st).await.status, 403);
    let tt = app.login("tech_a", "password-123").await;
    let r = app.get("/search/Ticket?range=0-50", &tt).await;
    assert_eq!(ids(&r, "2"), vec![json!(t1)]);
    let r = app.get("/search/Ticket?criteria[0][meta]=1&criteria[0][itemtype]=Computer&criteria[0][field]=1&criteria[0][searchtype]=contains&criteria[0][value]=LYCA&range=0-50", &tt).await;
    assert_eq!(r.body["totalcount"], 1);
}
