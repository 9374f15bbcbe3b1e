use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

async fn bearer(app: &TestApp, login: &str, pw: &str) -> String {
    // A GLPI session token works as a bearer token on the native API.
    app.login(login, pw).await
}

#[actix_web::test]
async fn native_api_uses_the_same_rights() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let a = app.entity(&admin, "Lycee A").await;
    let b = app.entity(&admin, "Lycee B").await;
    app.user(&admin, "staff_a", SELF_SERVICE, a, false).await;
    let tok = bearer(&app, "staff_a", "password-123").await;
    let auth = |rb: reqwest::RequestBuilder| rb.bearer_auth(&tok);
    let r = app.raw(auth(app.client.get(format!("{}/api/v1/me", app.base)))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["login"], "staff_a");
    let r = app
        .raw(auth(app.client.post(format!("{}/api/v1/tickets", app.base))).json(&json!({"content": "écran noir"})))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body["entities_id"], a);
    let r = app
        .raw(
            auth(app.client.post(format!("{}/api/v1/tickets", app.base)))
                .json(&json!({"content": "x", "entities_id": b})),
        )
        .await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body["error"], "forbidden");
    let r = app.raw(auth(app.client.get(format!("{}/api/v1/tickets", app.base)))).await;
    assert_eq!(r.body["total"], 1);
    let r = app.raw(auth(app.client.get(format!("{}/api/v1/computers", app.base)))).await;
    assert_eq!(r.status, 403);
    let r = app.call(Method::GET, "/api/v1/me", None, None).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body["error"], "unauthorized");
}

#[actix_web::test]
async fn native_api_rejects_bad_bodies_with_json() {
    let app = spawn_app().await;
    let tok = app.admin().await;
    let url = format!("{}/api/v1/tickets", app.base);
    let r =
        app.raw(app.client.post(&url).bearer_auth(&tok).header("Content-Type", "application/json").body("{bad")).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body["error"], "bad_request");
    let r = app.raw(app.client.post(&url).bearer_auth(&tok).header("Content-Type", "text/plain").body("hello")).await;
    assert_eq!(r.status, 415);
    assert_eq!(r.body["error"], "unsupported_media_type");
    let r = app.raw(app.client.post(&url).bearer_auth(&tok).json(&json!({"content": 5}))).await;
    assert_eq!(r.status, 400);
    let r = app.raw(app.client.post(&url).bearer_auth(&tok).json(&json!({"content": "x", "urgency": 9}))).await;
    assert_eq!(r.status, 422);
    let r = app.raw(app.client.get(format!("{}/api/v1/computers?limit=0", app.base)).bearer_auth(&tok)).await;
    assert_eq!(r.status, 422);
    let r = app.raw(app.client.get(format!("{}/api/v1/computers?limit=abc", app.base)).bearer_auth(&tok)).await;
    assert_eq!(r.status, 400);
    let r = app.raw(app.client.get(format!("{}/api/v1/computers/abc", app.base)).bearer_auth(&tok)).await;
    assert_eq!(r.status, 400);
    let r = app.raw(app.client.delete(format!("{}/health", app.base))).await;
    assert!(r.status.is_client_error());
    assert!(r.body.is_object(), "JSON even for actix's own errors: {}", r.text);
}
