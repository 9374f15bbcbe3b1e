use crate::helpers::*;
use reqwest::Method;
use serde_json::json;

#[actix_web::test]
async fn init_session_three_ways_and_kill() {
    let app = spawn_app().await;
    let t = app.admin().await;
    // user_token header, after issuing a token through the API (as GLPI's _reset_api_token).
    let r = app.put("/User/1", &t, json!({"input": {"_reset_api_token": true}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let user = app.get("/User/1", &t).await;
    assert!(user.body.get("api_token").is_none(), "token never shown");
    assert!(user.body.get("password").is_none(), "password never shown");
    // The CLI path prints the token once: emulate it through the library.
    let db = parc::db::Db::open(&app.db.url, 1).unwrap();
    let token = parc::auth::session::reset_api_token(&mut db.pool.get().unwrap(), 1).unwrap();
    let r = app
        .raw(
            app.client
                .get(format!("{}/apirest.php/initSession", app.base))
                .header("Authorization", format!("user_token {token}")),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    // Query parameters, with the full session.
    let r = app
        .call(
            Method::GET,
            &format!("/apirest.php/initSession?login=admin&password={ADMIN_PW}&get_full_session=true"),
            None,
            None,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["session"]["glpiname"], "admin");
    assert_eq!(r.body["session"]["glpiID"], 1);
    let t2 = r.body["session_token"].as_str().unwrap().to_string();
    // Kill it: afterwards it is invalid everywhere.
    assert_eq!(app.get("/killSession", &t2).await.status, 200);
    let r = app.get("/getFullSession", &t2).await;
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "ERROR_SESSION_TOKEN_INVALID");
    // The first session still works.
    assert_eq!(app.get("/getFullSession", &t).await.status, 200);
}

#[actix_web::test]
async fn bad_credentials_are_glpi_errors() {
    let app = spawn_app().await;
    let r = app
        .raw(app.client.get(format!("{}/apirest.php/initSession", app.base)).basic_auth("admin", Some("wrong")))
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.body, json!(["ERROR_GLPI_LOGIN", "Incorrect username or password"]));
    let r = app
        .raw(app.client.get(format!("{}/apirest.php/initSession", app.base)).header("Authorization", "user_token nope"))
        .await;
    assert_eq!(r.status, 401);
    assert_eq!(r.code(), "ERROR_GLPI_LOGIN_USER_TOKEN");
    let r = app.call(Method::GET, "/apirest.php/initSession", None, None).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "ERROR_LOGIN_PARAMETERS_MISSING");
    let r = app.call(Method::GET, "/apirest.php/getFullSession", None, None).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "ERROR_SESSION_TOKEN_MISSING");
    let r = app.get("/getFullSession", "not-a-session").await;
    assert_eq!(r.status, 401);
    let r = app
        .raw(
            app.client
                .get(format!("{}/apirest.php/initSession", app.base))
                .basic_auth("admin", Some(ADMIN_PW))
                .header("App-Token", "bogus"),
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.code(), "ERROR_WRONG_APP_TOKEN_PARAMETER");
}

#[actix_web::test]
async fn sessions_expire_when_idle() {
    let app = spawn_app_with(|s| s.session_idle_secs = 0).await;
    let t = app.admin().await;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(app.get("/getMyProfiles", &t).await.status, 401);
}

#[actix_web::test]
async fn profiles_entities_and_config() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let r = app.get("/getMyProfiles", &t).await;
    assert_eq!(r.body["myprofiles"][0]["name"], "Super-Admin");
    let r = app.get("/getActiveProfile", &t).await;
    assert_eq!(r.body["active_profile"]["computer"], 255);
    let a = app.entity(&t, "Lycee A (0750654D)").await;
    let r = app.get("/getActiveEntities", &t).await;
    let active: Vec<i64> = r.body["active_entity"]["active_entities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_i64().unwrap())
        .collect();
    assert!(active.contains(&0) && active.contains(&a), "{active:?}");
    let r = app.post("/changeActiveEntities", &t, json!({"entities_id": a, "is_recursive": false})).await;
    assert_eq!(r.body, json!(true));
    let r = app.get("/getActiveEntities", &t).await;
    assert_eq!(r.body["active_entity"]["active_entities"], json!([{"id": a}]));
    let r = app.post("/changeActiveEntities", &t, json!({"entities_id": 0, "is_recursive": 1})).await;
    assert_eq!(r.status, 400, "an integer is_recursive is refused like GLPI");
    let r = app.post("/changeActiveEntities", &t, json!({"entities_id": 999999})).await;
    assert_eq!(r.body, json!(false));
    let r = app.get("/getGlpiConfig", &t).await;
    assert_eq!(r.body["cfg_glpi"]["version"], "10.0.19");
    let r = app.post("/changeActiveProfile", &t, json!({"profiles_id": 2})).await;
    assert_eq!(r.status, 404, "not assigned");
}

#[actix_web::test]
async fn lost_password_answers_like_glpi_without_mail() {
    let app = spawn_app().await;
    let r = app.call(Method::PUT, "/apirest.php/lostPassword", None, Some(json!({"email": "a@b.fr"}))).await;
    assert_eq!(r.status, 400);
    assert!(r.body[1].as_str().unwrap().starts_with("Email notifications are disabled"));
    let r = app.call(Method::GET, "/apirest.php/lostPassword", None, None).await;
    assert!(r.body[1].as_str().unwrap().starts_with("Only HTTP verb PUT is allowed"));
}
