//! Golden replays of answers captured from a real GLPI 10.0.19 (`tests/golden/transcripts`):
//! the same request is sent to Parc, and the status, the JSON content type, the error code
//! and the message (before GLPI's documentation link) must be the same.

use crate::helpers::*;
use serde_json::Value;

/// How each transcript's credentials map onto this test server.
enum Auth {
    /// Keep the captured headers (they are wrong on purpose).
    AsCaptured,
    /// Our admin session instead of the captured one.
    Session,
    /// Basic auth with our admin login and a wrong password.
    WrongPassword,
    /// Basic auth with our admin credentials.
    Admin,
}

const CASES: &[(&str, Auth)] = &[
    ("05-error-initSession-wrong-password", Auth::WrongPassword),
    ("06-error-initSession-bad-user_token", Auth::AsCaptured),
    ("07-error-initSession-bad-app_token", Auth::Admin),
    ("65-error-missing-item-404", Auth::Session),
    ("66-error-unknown-itemtype", Auth::Session),
    ("67-error-unknown-endpoint", Auth::Session),
    ("68-error-bad-session-token", Auth::AsCaptured),
    ("69-error-no-session-token", Auth::AsCaptured),
    ("70-error-bad-json-body", Auth::Session),
    ("71-error-no-input-key", Auth::Session),
    ("72-error-range-exceed-total", Auth::Session),
    ("73-error-bad-range-format", Auth::Session),
    ("74-error-search-unknown-field", Auth::Session),
    ("305-lostPassword-PUT-no-session", Auth::AsCaptured),
    ("306-lostPassword-GET-no-session", Auth::AsCaptured),
    ("315-GET-Computer-order-bad", Auth::Session),
];

fn message_head(v: &Value) -> String {
    v.as_str().map(|s| s.split("; view documentation").next().unwrap_or("").to_string()).unwrap_or_default()
}

#[actix_web::test]
async fn parc_answers_like_the_captured_glpi() {
    let app = spawn_app().await;
    let token = app.admin().await;
    app.add(&token, "Computer", serde_json::json!({"name": "golden-pc"})).await;
    for (name, auth) in CASES {
        let path = format!("{}/tests/golden/transcripts/{name}.json", env!("CARGO_MANIFEST_DIR"));
        let t: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let req = &t["request"];
        let method = reqwest::Method::from_bytes(req["method"].as_str().unwrap().as_bytes()).unwrap();
        let query = req["query"].as_str().unwrap_or("");
        let url = format!(
            "{}{}{}{}",
            app.base,
            req["path"].as_str().unwrap(),
            if query.is_empty() { "" } else { "?" },
            query
        );
        let mut rb = app.client.request(method, url);
        for (k, v) in req["headers"].as_object().unwrap() {
            let v = v.as_str().unwrap_or("");
            match (k.as_str(), auth) {
                ("Content-Length" | "Host" | "Connection" | "Accept-Encoding", _) => continue,
                ("Session-Token", Auth::Session) => rb = rb.header("Session-Token", &token),
                ("Authorization", Auth::WrongPassword) => rb = rb.basic_auth("admin", Some("not-the-password")),
                ("Authorization", Auth::Admin) => rb = rb.basic_auth("admin", Some(ADMIN_PW)),
                _ => rb = rb.header(k.as_str(), v),
            }
        }
        if let Some(b) = req["body"].as_str() {
            rb = rb.body(b.to_string());
        }
        let got = app.raw(rb).await;
        let want = &t["response"];
        assert_eq!(got.status.as_u16() as i64, want["status"].as_i64().unwrap(), "{name}: {}", got.text);
        assert!(got.header("content-type").unwrap_or_default().starts_with("application/json"), "{name}");
        assert_eq!(got.body[0], want["body"][0], "{name}: error code");
        if *name != "72-error-range-exceed-total" {
            // 72's message carries GLPI's own row count.
            assert_eq!(message_head(&got.body[1]), message_head(&want["body"][1]), "{name}: message");
        }
    }
}
