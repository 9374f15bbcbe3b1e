use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

#[actix_web::test]
async fn malformed_and_hostile_input_gets_glpi_errors() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let r = app
        .raw(
            app.client
                .post(format!("{}/apirest.php/Computer", app.base))
                .header("Session-Token", &t)
                .header("Content-Type", "application/json")
                .body("{bad"),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!(["ERROR_JSON_PAYLOAD_INVALID", "JSON payload seems not valid"]));
    let r = app.post("/Computer", &t, json!({"nope": 1})).await;
    assert_eq!(r.code(), "ERROR_BAD_ARRAY");
    let r = app.post("/Computer", &t, json!({"input": "x"})).await;
    assert_eq!(r.code(), "ERROR_BAD_ARRAY");
    let r = app.get("/NotAnItemtype", &t).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM");
    assert_eq!(app.get("/Computer/424242", &t).await.status, 404);
    assert_eq!(app.get("/Computer/-1", &t).await.status, 404);
    assert_eq!(app.get("/Computer/99999999999999999999", &t).await.status, 400);
    let r = app.get("/Computer/abc", &t).await;
    assert_eq!(r.status, 400);
    let r = app.post("/Computer", &t, json!({"input": {"name": "x", "is_deleted": {"a": 1}}})).await;
    assert_eq!(r.code(), "ERROR_GLPI_ADD");
    assert!(r.body[1].as_str().unwrap().contains("wrong type"));
    let r = app.post("/Computer", &t, json!({"input": {"name": "x", "locations_id": 99_999_999_999_i64}})).await;
    assert_eq!(r.code(), "ERROR_GLPI_ADD");
    assert!(r.body[1].as_str().unwrap().contains("out of range"), "{}", r.text);
    let r = app.post("/Computer", &t, json!({"input": {"name": "x", "date_mod": "yesterday"}})).await;
    assert_eq!(r.code(), "ERROR_GLPI_ADD");
    let r = app
        .raw(app.client.get(format!("{}/apirest.php/Computer", app.base)).header("Session-Token", &t).body("{\"a\":1}"))
        .await;
    assert_eq!(r.code(), "ERROR_JSON_PAYLOAD_FORBIDDEN");
    let r = app.put("/Computer/77", &t, json!({"input": {"name": "ghost"}})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!(["ERROR_GLPI_UPDATE", null]));
    // SQL in values stays a value.
    let r = app.get("/Computer?searchText[name]=%27%3B%20DROP%20TABLE%20computers%3B--", &t).await;
    assert_eq!(r.status, 200);
    assert_eq!(app.get("/Computer", &t).await.status, 200);
}

#[actix_web::test]
async fn oversized_bodies_are_refused_without_writing() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let big = "x".repeat(2 * 1024 * 1024);
    let r = app.post("/Computer", &t, json!({"input": {"name": big}})).await;
    assert_eq!(r.status, 413);
    assert_eq!(app.get("/Computer", &t).await.body, json!([]));
    let r = app.call(Method::POST, "/api/v1/tickets", None, Some(json!({"name": big}))).await;
    assert_eq!(r.status, 413);
    assert_eq!(r.body["error"], "payload_too_large");
}
