use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

#[actix_web::test]
async fn computer_crud_trash_and_purge() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let id = app.add(&t, "Computer", json!({"name": "pc-001", "serial": "SER1", "otherserial": "INV-1"})).await;
    let r = app.get(&format!("/Computer/{id}"), &t).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["name"], "pc-001");
    assert_eq!(r.body["entities_id"], 0);
    assert_eq!(r.body["ticket_tco"], "0.0000", "decimals are strings, as in GLPI");
    assert_eq!(r.body["links"][0]["rel"], "Entity");
    let r = app.put(&format!("/Computer/{id}"), &t, json!({"input": {"otherserial": "INV-2"}})).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, json!([{ id.to_string(): true, "message": "" }]));
    // PATCH and bulk update by id in input.
    let r = app
        .call(Method::PATCH, "/apirest.php/Computer/", Some(&t), Some(json!({"input": [{"id": id, "comment": "x"}]})))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(app.get(&format!("/Computer/{id}"), &t).await.body["comment"], "x");
    // Trash: hidden from the list, shown with is_deleted=true.
    let r = app.delete(&format!("/Computer/{id}"), &t, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, json!([{ id.to_string(): true, "message": "" }]));
    assert_eq!(app.get(&format!("/Computer/{id}"), &t).await.body["is_deleted"], 1);
    assert_eq!(app.get("/Computer", &t).await.body, json!([]));
    let r = app.get("/Computer?is_deleted=true", &t).await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    // Purge.
    let r = app.delete(&format!("/Computer/{id}?force_purge=true"), &t, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(app.get(&format!("/Computer/{id}"), &t).await.status, 404);
    let r = app.delete(&format!("/Computer/{id}"), &t, None).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!(["ERROR_GLPI_DELETE", "Item not found"]));
}

#[actix_web::test]
async fn lists_have_glpi_ranges() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let input: Vec<_> = (0..25).map(|i| json!({"name": format!("pc-{i:02}")})).collect();
    let r = app.post("/Computer", &t, json!({ "input": input })).await;
    assert_eq!(r.status, 201);
    assert_eq!(r.body.as_array().unwrap().len(), 25);
    assert!(r.header("link").is_some());
    let r = app.get("/Computer?range=0-9", &t).await;
    assert_eq!(r.status, 206);
    assert_eq!(r.header("content-range").as_deref(), Some("0-9/25"));
    assert_eq!(r.header("accept-range").as_deref(), Some("Computer 1000"));
    assert_eq!(r.body.as_array().unwrap().len(), 10);
    // GLPI: 206 only when the requested span is shorter than the total.
    let r = app.get("/Computer?range=20-99", &t).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.header("content-range").as_deref(), Some("20-24/25"));
    let r = app.get("/Computer?range=0-99", &t).await;
    assert_eq!(r.status, 200);
    // Default page: GLPI's quirky header end = list_limit.
    let r = app.get("/Computer", &t).await;
    assert_eq!(r.status, 206);
    assert_eq!(r.header("content-range").as_deref(), Some("0-15/25"));
    assert_eq!(r.body.as_array().unwrap().len(), 15);
    let r = app.get("/Computer?range=30-40", &t).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "ERROR_RANGE_EXCEED_TOTAL");
    let r = app.get("/Computer?range=abc", &t).await;
    assert_eq!(r.code(), "ERROR");
    let r = app.get("/Computer?sort=name&order=desc&range=0-0", &t).await;
    assert_eq!(r.body[0]["name"], "pc-24");
    let r = app.get("/Computer?sort=nope", &t).await;
    assert!(r.body[1].as_str().unwrap().starts_with("sort param is not a field of glpi_computers"));
    let r = app.get("/Computer?order=sideways", &t).await;
    assert!(r.body[1].as_str().unwrap().starts_with("order must be DESC or ASC"));
    let r = app.get("/Computer?searchText[name]=^pc-1&range=0-99", &t).await;
    assert_eq!(r.body.as_array().unwrap().len(), 10);
    let r = app.get("/Computer?searchText[nope]=x", &t).await;
    assert_eq!(r.code(), "ERROR_FIELD_NOT_FOUND");
    let r = app.get("/Computer?only_id=true&range=0-1", &t).await;
    assert_eq!(r.body[0].as_object().unwrap().keys().filter(|k| *k != "links").count(), 1);
    // Empty lists: 200 [] without Content-Range.
    let r = app.get("/Monitor", &t).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body, json!([]));
    assert!(r.header("content-range").is_none());
}

#[actix_web::test]
async fn bulk_add_partial_failure_keeps_per_item_results() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let r = app
        .post(
            "/Computer",
            &t,
            json!({"input": [{"name": "ok-1"}, {"name": "bad", "locations_id": "not a number"}, {"name": "ok-2"}]}),
        )
        .await;
    assert_eq!(r.status, 207, "{}", r.text);
    assert_eq!(r.code(), "ERROR_GLPI_PARTIAL_ADD");
    let results = r.body[1].as_array().unwrap();
    assert!(results[0]["id"].is_i64());
    assert_eq!(results[1]["id"], json!(false));
    assert!(results[2]["id"].is_i64());
    let r = app.get("/Computer", &t).await;
    assert_eq!(r.body.as_array().unwrap().len(), 2, "the bad row was not written");
    let r = app.post("/Computer", &t, json!({"input": [{"name": 5, "nope": 1}]})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "ERROR_GLPI_ADD");
}

#[actix_web::test]
async fn connections_sub_items_and_multiple_items() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let pc = app.add(&t, "Computer", json!({"name": "pc"})).await;
    let mon = app.add(&t, "Monitor", json!({"name": "screen", "size": 24})).await;
    let link = app.add(&t, "Computer_Item", json!({"computers_id": pc, "itemtype": "Monitor", "items_id": mon})).await;
    let r = app.get(&format!("/Computer/{pc}/Computer_Item"), &t).await;
    assert_eq!(r.body[0]["id"], link);
    let r = app.get(&format!("/Computer/{pc}?with_connections=true"), &t).await;
    assert_eq!(r.body["_connections"]["Monitor"][0]["name"], "screen");
    assert_eq!(app.get(&format!("/Monitor/{mon}"), &t).await.body["size"], "24.00");
    let r = app.get(&format!("/getMultipleItems?items[0][itemtype]=Computer&items[0][items_id]={pc}&items[1][itemtype]=Monitor&items[1][items_id]={mon}"), &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body[1]["name"], "screen");
    let r = app.get(&format!("/getMultipleItems?items[0][itemtype]=Computer&items[0][items_id]={pc}&items[1][itemtype]=Monitor&items[1][items_id]=999"), &t).await;
    assert_eq!(r.status, 404);
    // Item names in any case, doubled and trailing slashes, and the GLPI 11 prefix.
    let r = app.call(Method::GET, &format!("/apirest.php//computer/{pc}/"), Some(&t), None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app.call(Method::GET, &format!("/api.php/v1/Computer/{pc}"), Some(&t), None).await;
    assert_eq!(r.status, 200);
    let r = app.get(&format!("/Computer/{pc}?get_sha1=true"), &t).await;
    assert_eq!(r.body.as_str().map(str::len), Some(40), "a SHA-1 in hex: {}", r.text);
    let r = app.get(&format!("/Computer/{pc}?expand_dropdowns=true&add_keys_names[]=entities_id"), &t).await;
    assert_eq!(r.body["entities_id"], "Région");
    assert_eq!(r.body["_keys_names"]["entities_id"], "Région");
}
