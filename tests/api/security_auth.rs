//! Sign-in, sessions, API clients and protocol hardening (security review 2026-12,
//! findings 4, 8, 15, 17, 18, 20, 21, 24 and 25).

use crate::helpers::*;
use reqwest::Method;
use serde_json::{json, Value};

async fn basic_login(app: &TestApp, login: &str, password: &str) -> Resp {
    app.raw(app.client.get(format!("{}/apirest.php/initSession", app.base)).basic_auth(login, Some(password))).await
}

async fn native(app: &TestApp, path: &str, token: &str, app_token: Option<&str>) -> Resp {
    let mut rb = app.client.get(format!("{}/api/v1{path}", app.base)).bearer_auth(token);
    if let Some(t) = app_token {
        rb = rb.header("App-Token", t);
    }
    app.raw(rb).await
}

fn db(app: &TestApp) -> parc::db::Db {
    parc::db::Db::open(&app.db.url, 1).unwrap()
}

fn count(app: &TestApp, sql: &str) -> i64 {
    let db = db(app);
    let mut c = db.pool.get().unwrap();
    let mut q = parc::db::sql::Sql::new(c.backend());
    q.push(sql);
    q.load_ints(&mut c).unwrap()[0]
}

fn exec(app: &TestApp, sql: &str) {
    use diesel::connection::SimpleConnection;
    let db = db(app);
    let mut c = db.pool.get().unwrap();
    c.batch_execute(sql).unwrap();
}

/// Only one API client is active: `10.0.0.1`–`10.0.0.254`, or any address with an app
/// token. Returns the app token when one is asked for.
fn restrict_api_clients(app: &TestApp, with_token: bool) -> Option<String> {
    let tok = with_token.then(parc::auth::token::generate);
    let (range, digest) = match &tok {
        Some(t) => ("NULL, NULL".to_string(), format!("'{}'", parc::auth::token::digest(t))),
        None => (format!("{}, {}", 0x0a00_0001u32, 0x0a00_00feu32), "NULL".to_string()),
    };
    exec(
        app,
        &format!(
            "UPDATE apiclients SET is_active = 0; \
             INSERT INTO apiclients (guid, name, is_active, ipv4_range_start, ipv4_range_end, app_token) \
             VALUES ('test-client', 'restricted', 1, {range}, {digest});"
        ),
    );
    tok
}

async fn assert_throttled(app: &TestApp, login: &str, password: &str) {
    let r = basic_login(app, login, password).await;
    assert_eq!(r.status, 429, "{}", r.text);
    assert_eq!(r.code(), "ERROR_GLPI_LOGIN", "{}", r.text);
    assert!(r.body[1].is_string(), "{}", r.text);
    let wait: u64 = r.header("retry-after").expect("Retry-After").parse().expect("seconds");
    assert!((1..=60).contains(&wait), "{wait}");
}

#[actix_web::test]
async fn failed_logins_are_throttled_per_account_with_retry_after() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.user(&admin, "bob", SELF_SERVICE, 0, false).await;
    for i in 0..5 {
        let r = basic_login(&app, "admin", &format!("guess-{i}")).await;
        assert_eq!(r.status, 401, "{}", r.text);
    }
    // Even the right password waits until the window ends.
    assert_throttled(&app, "admin", ADMIN_PW).await;
    // Another account is not affected.
    app.login("bob", "password-123").await;
}

#[actix_web::test]
async fn failed_logins_are_throttled_per_client_address() {
    let app = spawn_app_with(|s| {
        s.login.max_failures = 100;
        s.login.max_failures_per_ip = 4;
    })
    .await;
    for i in 0..4 {
        let r = basic_login(&app, &format!("nobody-{i}"), "guess").await;
        assert_eq!(r.status, 401, "{}", r.text);
    }
    assert_throttled(&app, "someone-else", "guess").await;
}

#[actix_web::test]
async fn a_successful_login_resets_the_account_failure_count() {
    let app = spawn_app_with(|s| s.login.max_failures_per_ip = 100).await;
    for round in 0..2 {
        for i in 0..4 {
            let r = basic_login(&app, "admin", &format!("guess-{round}-{i}")).await;
            assert_eq!(r.status, 401, "{}", r.text);
        }
        app.admin().await;
    }
    for i in 0..5 {
        basic_login(&app, "admin", &format!("again-{i}")).await;
    }
    assert_throttled(&app, "admin", ADMIN_PW).await;
}

#[actix_web::test]
async fn disabled_and_password_less_accounts_are_refused_like_wrong_passwords() {
    let app = spawn_app_with(|s| s.login.max_failures = 2).await;
    let admin = app.admin().await;
    let uid = app.user(&admin, "carol", SELF_SERVICE, 0, false).await;
    let r = app.put(&format!("/User/{uid}"), &admin, json!({"input": {"is_active": 0}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let cas = app.add(&admin, "User", json!({"name": "cas-staff"})).await;
    assert!(cas > 0);
    for (login, pw) in [("carol", "password-123"), ("cas-staff", "")] {
        for _ in 0..2 {
            let r = basic_login(&app, login, pw).await;
            assert_eq!(r.status, 401, "{login}: {}", r.text);
            assert_eq!(r.body, json!(["ERROR_GLPI_LOGIN", "Incorrect username or password"]));
        }
        // Their failures count like any other: these logins cannot be probed freely either.
        assert_throttled(&app, login, pw).await;
    }
}

#[actix_web::test]
async fn api_passwords_need_8_characters_and_must_differ_from_the_login() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    for input in
        [json!({"name": "dave", "password": "a"}), json!({"name": "dave-long-login", "password": "dave-long-login"})]
    {
        let r = app.post("/User", &admin, json!({ "input": input })).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.code(), "ERROR_GLPI_ADD");
        assert!(r.body[1].as_str().unwrap_or_default().contains("password"), "{}", r.text);
    }
    let uid = app.add(&admin, "User", json!({"name": "erin-the-user", "password": "good-password"})).await;
    // On update, the stored login counts when the input does not rename the user.
    for input in [json!({"password": "short"}), json!({"password": "erin-the-user"})] {
        let r = app.put(&format!("/User/{uid}"), &admin, json!({ "input": input })).await;
        assert_eq!(r.status, 400, "{}", r.text);
        assert_eq!(r.code(), "ERROR_GLPI_UPDATE");
    }
    let r = app.put(&format!("/User/{uid}"), &admin, json!({"input": {"password": "another-good-one"}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[actix_web::test]
async fn native_api_applies_api_client_ip_ranges() {
    let app = spawn_app().await;
    let session = app.admin().await;
    let user_token = {
        let db = db(&app);
        let mut c = db.pool.get().unwrap();
        parc::auth::session::reset_api_token(&mut c, 1).unwrap()
    };
    assert_eq!(native(&app, "/tickets", &session, None).await.status, 200);
    restrict_api_clients(&app, false);
    // Give the two-second session cache and five-second client cache time to expire.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(5200)).await;
    for token in [&session, &user_token] {
        let r = native(&app, "/tickets", token, None).await;
        assert_eq!(r.status, 403, "{}", r.text);
        assert_eq!(r.body["error"], "forbidden");
        assert!(r.body["message"].as_str().unwrap().contains("IP address"), "{}", r.text);
    }
    let r = app.get("/Computer", &session).await;
    assert_eq!(r.code(), "ERROR_NOT_ALLOWED_IP", "the GLPI API agrees: {}", r.text);
}

#[actix_web::test]
async fn native_api_requires_the_app_token_of_its_api_client() {
    let app = spawn_app().await;
    let session = app.admin().await;
    let app_token = restrict_api_clients(&app, true).unwrap();
    actix_web::rt::time::sleep(std::time::Duration::from_millis(5200)).await;
    let r = native(&app, "/tickets", &session, None).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = native(&app, "/tickets", &session, Some("wrong")).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let r = native(&app, "/tickets", &session, Some(&app_token)).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[actix_web::test]
async fn a_session_in_use_outlives_a_short_idle_time() {
    let app = spawn_app_with(|s| s.session_idle_secs = 4).await;
    let t = app.admin().await;
    for i in 0..7 {
        actix_web::rt::time::sleep(std::time::Duration::from_secs(1)).await;
        let r = app.get("/getActiveProfile", &t).await;
        assert_eq!(r.status, 200, "after {} s of use: {}", i + 1, r.text);
    }
}

#[actix_web::test]
async fn expired_sessions_are_purged() {
    let app = spawn_app_with(|s| s.session_idle_secs = 2).await;
    app.admin().await;
    actix_web::rt::time::sleep(std::time::Duration::from_millis(3500)).await;
    app.admin().await;
    assert_eq!(count(&app, "SELECT COUNT(*) AS n FROM sessions"), 1, "the idle session is gone");
}

#[actix_web::test]
async fn every_answer_carries_security_headers() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let answers = [
        app.raw(app.client.get(format!("{}/health", app.base))).await,
        app.get("/Computer", &t).await,
        app.get("/Computer/999", &t).await,
        native(&app, "/tickets", &t, None).await,
        app.raw(app.client.get(format!("{}/api/docs/", app.base))).await,
    ];
    for r in &answers {
        assert_eq!(r.header("x-content-type-options").as_deref(), Some("nosniff"));
        assert_eq!(r.header("referrer-policy").as_deref(), Some("no-referrer"));
        assert_eq!(r.header("x-frame-options").as_deref(), Some("DENY"));
    }
    let docs = &answers[4];
    assert_eq!(docs.status, 200);
    let csp = docs.header("content-security-policy").expect("CSP on the Swagger UI");
    assert!(csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self' 'unsafe-inline'"), "{csp}");
}

#[actix_web::test]
async fn glpi_api_answers_cors_like_glpi_and_the_native_api_does_not() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let preflight = |url: String| {
        app.client
            .request(Method::OPTIONS, url)
            .header("Origin", "https://helpdesk.example")
            .header("Access-Control-Request-Method", "PUT")
            .header("Access-Control-Request-Headers", "session-token, content-type")
    };
    let r = app.raw(preflight(format!("{}/apirest.php/Computer/1", app.base))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text, "");
    assert_eq!(r.header("access-control-allow-origin").as_deref(), Some("*"));
    assert_eq!(r.header("access-control-allow-methods").as_deref(), Some("PUT, GET, POST, DELETE, OPTIONS"));
    assert_eq!(
        r.header("access-control-allow-headers").as_deref(),
        Some("origin, content-type, accept, session-token, authorization, app-token")
    );
    let get = app
        .raw(
            app.client
                .get(format!("{}/apirest.php/Computer", app.base))
                .header("Session-Token", &t)
                .header("Origin", "https://helpdesk.example"),
        )
        .await;
    assert_eq!(get.header("access-control-allow-origin").as_deref(), Some("*"));
    assert_eq!(
        get.header("access-control-expose-headers").as_deref(),
        Some("content-type, content-range, accept-range")
    );
    let native = app.raw(preflight(format!("{}/api/v1/tickets", app.base))).await;
    assert!(native.header("access-control-allow-origin").is_none());
}

#[actix_web::test]
async fn head_health_answers_200_without_a_body() {
    let app = spawn_app().await;
    let r = app.raw(app.client.head(format!("{}/health", app.base))).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.text, "");
}

#[actix_web::test]
async fn native_401_names_the_bearer_scheme() {
    let app = spawn_app().await;
    let r = app.raw(app.client.get(format!("{}/api/v1/tickets", app.base))).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.header("www-authenticate").as_deref(), Some("Bearer"));
}

#[actix_web::test]
async fn put_without_an_id_says_the_id_is_missing() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let r = app.put("/Computer", &t, json!({"input": {"name": "x"}})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "ERROR_GLPI_UPDATE");
    assert!(r.body[1].as_str().is_some_and(|m| m.contains("id")), "{}", r.text);
}

#[actix_web::test]
async fn an_unknown_sub_itemtype_is_refused() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let pc = app.add(&t, "Computer", json!({"name": "pc-1"})).await;
    for sub in ["..%2F..%2FUser", "NotAnItemtype"] {
        let r = app.get(&format!("/Computer/{pc}/{sub}"), &t).await;
        assert_eq!(r.status, 400, "{sub}: {}", r.text);
        assert_eq!(r.code(), "ERROR_RESOURCE_NOT_FOUND_NOR_COMMONDBTM");
    }
}

#[actix_web::test]
async fn an_arrival_in_the_spring_dst_gap_is_refused_as_a_time_that_does_not_exist() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let a = app.entity(&t, "Lycee A (0750654D)").await;
    let r = app
        .raw(app.client.post(format!("{}/api/v1/interventions", app.base)).bearer_auth(&t).json(&json!({
            "entities_id": a, "arrival": "2026-03-29T02:30", "departure": "2026-03-29T03:10"
        })))
        .await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert!(r.body["message"].as_str().unwrap_or_default().contains("does not exist"), "{}", r.text);
}

#[actix_web::test]
async fn a_large_bulk_add_has_no_huge_link_header() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let items: Vec<Value> = (0..200).map(|i| json!({"name": format!("bulk-{i}")})).collect();
    let r = app.post("/Computer", &t, json!({ "input": items })).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.body.as_array().map(Vec::len), Some(200));
    let link = r.header("link").unwrap_or_default();
    assert!(link.len() <= 4096, "link header of {} bytes", link.len());
    // A small bulk add keeps GLPI's header.
    let r = app.post("/Computer", &t, json!({"input": [{"name": "s1"}, {"name": "s2"}]})).await;
    assert_eq!(r.header("link").map(|l| l.split(',').count()), Some(2));
}
