use crate::helpers::*;
use serde_json::{json, Value};

fn ids(r: &Resp, col: &str) -> Vec<Value> {
    r.body["data"].as_array().map(|a| a.iter().map(|row| row[col].clone()).collect()).unwrap_or_default()
}

#[actix_web::test]
async fn list_search_options_match_glpi_captures() {
    let app = spawn_app().await;
    let t = app.admin().await;
    for it in [
        "Computer",
        "Monitor",
        "Peripheral",
        "Printer",
        "NetworkEquipment",
        "Phone",
        "Software",
        "Ticket",
        "User",
        "Entity",
        "Location",
    ] {
        let golden: Value = serde_json::from_str(
            &std::fs::read_to_string(format!(
                "{}/tests/golden/listSearchOptions-{it}.json",
                env!("CARGO_MANIFEST_DIR")
            ))
            .unwrap(),
        )
        .unwrap();
        let r = app.get(&format!("/listSearchOptions/{it}"), &t).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.body, golden, "listSearchOptions/{it} differs from GLPI 10.0.19");
        // Same key order as GLPI.
        let keys: Vec<&String> = r.body.as_object().unwrap().keys().collect();
        let gkeys: Vec<&String> = golden.as_object().unwrap().keys().collect();
        assert_eq!(keys, gkeys);
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
