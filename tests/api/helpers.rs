//! Test harness: each test starts the real server on a random port against a fresh
//! database. SQLite by default; a throwaway PostgreSQL database per test when
//! `PARC_TEST_DATABASE_URL` is set (e.g. `postgres://postgres@127.0.0.1:5432/postgres`).

use parc::config::ServeSettings;
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub const ADMIN_PW: &str = "admin-password-for-tests";

pub struct TestDb {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    File(std::path::PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    pub fn new() -> TestDb {
        let id = uuid::Uuid::new_v4().simple().to_string();
        match std::env::var("PARC_TEST_DATABASE_URL") {
            Ok(admin_url) if !admin_url.is_empty() => {
                let name = format!("parc_test_{id}");
                psql(&admin_url, &format!("CREATE DATABASE \"{name}\""));
                let base = admin_url.rsplit_once('/').map(|(b, _)| b).unwrap_or(&admin_url);
                TestDb { url: format!("{base}/{name}"), cleanup: Cleanup::Postgres { admin_url, name } }
            }
            _ => {
                let path = std::env::temp_dir().join(format!("parc-test-{id}.db"));
                TestDb { url: format!("sqlite://{}", path.display()), cleanup: Cleanup::File(path) }
            }
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self.cleanup, Cleanup::Postgres { .. })
    }
}

fn psql(url: &str, sql: &str) {
    use diesel::connection::SimpleConnection;
    use diesel::Connection;
    let mut c = diesel::PgConnection::establish(url).expect("connect to the PostgreSQL test server");
    c.batch_execute(sql).expect("admin SQL");
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::File(p) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
                }
            }
            Cleanup::Postgres { admin_url, name } => {
                psql(admin_url, &format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
            }
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: TestDb,
}

pub struct Resp {
    pub status: StatusCode,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_string)
    }
    /// The GLPI error code of an error answer.
    pub fn code(&self) -> &str {
        self.body[0].as_str().unwrap_or("")
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(tweak: impl FnOnce(&mut ServeSettings)) -> TestApp {
    let db = TestDb::new();
    let mut settings = ServeSettings::for_tests(ADMIN_PW);
    tweak(&mut settings);
    let pool = parc::db::Db::open(&db.url, 4).expect("open test database");
    {
        let mut c = pool.pool.get().unwrap();
        parc::bootstrap::ensure_admin(&mut c, "admin", Some(ADMIN_PW)).unwrap();
    }
    let app = parc::app::Application::build(settings, pool).expect("build app");
    let base = format!("http://127.0.0.1:{}", app.port());
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp { base, client: reqwest::Client::new(), db }
}

impl TestApp {
    pub async fn call(&self, method: Method, path: &str, token: Option<&str>, body: Option<Value>) -> Resp {
        let mut req = self.client.request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.header("Session-Token", t);
        }
        if let Some(b) = body {
            req = req.header("Content-Type", "application/json").body(b.to_string());
        }
        let r = req.send().await.expect("request");
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, headers, body, text }
    }

    pub async fn raw(&self, req: reqwest::RequestBuilder) -> Resp {
        let r = req.send().await.expect("request");
        let status = r.status();
        let headers = r.headers().clone();
        let text = r.text().await.unwrap_or_default();
        let body = serde_json::from_str(&text).unwrap_or(Value::Null);
        Resp { status, headers, body, text }
    }

    pub async fn get(&self, path: &str, token: &str) -> Resp {
        self.call(Method::GET, &format!("/apirest.php{path}"), Some(token), None).await
    }
    pub async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::POST, &format!("/apirest.php{path}"), Some(token), Some(body)).await
    }
    pub async fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        self.call(Method::PUT, &format!("/apirest.php{path}"), Some(token), Some(body)).await
    }
    pub async fn delete(&self, path: &str, token: &str, body: Option<Value>) -> Resp {
        self.call(Method::DELETE, &format!("/apirest.php{path}"), Some(token), body).await
    }

    /// initSession with Basic auth; panics unless it succeeds.
    pub async fn login(&self, login: &str, password: &str) -> String {
        let r = self
            .raw(self.client.get(format!("{}/apirest.php/initSession", self.base)).basic_auth(login, Some(password)))
            .await;
        assert_eq!(r.status, 200, "login {login}: {}", r.text);
        r.body["session_token"].as_str().expect("session_token").to_string()
    }

    pub async fn admin(&self) -> String {
        self.login("admin", ADMIN_PW).await
    }

    /// Create an item as `token`; returns its id.
    pub async fn add(&self, token: &str, itemtype: &str, input: Value) -> i64 {
        let r = self.post(&format!("/{itemtype}"), token, serde_json::json!({ "input": input })).await;
        assert_eq!(r.status, 201, "add {itemtype}: {}", r.text);
        r.body["id"].as_i64().expect("id")
    }

    /// An establishment entity under the root, with its UAI in `tag`.
    pub async fn entity(&self, token: &str, name: &str) -> i64 {
        self.add(token, "Entity", serde_json::json!({"name": name, "entities_id": 0})).await
    }

    /// A user with one profile assignment (non-recursive unless said), default profile removed.
    pub async fn user(&self, token: &str, login: &str, profile: i64, entity: i64, recursive: bool) -> i64 {
        let uid = self
            .add(
                token,
                "User",
                serde_json::json!({"name": login, "password": "password-123", "password2": "password-123"}),
            )
            .await;
        // Replace the automatic default assignment, as the reference data set does.
        let pus = self.get(&format!("/User/{uid}/Profile_User"), token).await;
        for pu in pus.body.as_array().cloned().unwrap_or_default() {
            let r = self.delete(&format!("/Profile_User/{}", pu["id"]), token, None).await;
            assert_eq!(r.status, 200, "{}", r.text);
        }
        self.add(
            token,
            "Profile_User",
            serde_json::json!({"users_id": uid, "profiles_id": profile, "entities_id": entity, "is_recursive": recursive as i64}),
        )
        .await;
        let r = self.put(&format!("/User/{uid}"), token, serde_json::json!({"input": {"profiles_id": profile}})).await;
        assert_eq!(r.status, 200, "{}", r.text);
        uid
    }
}

pub const SELF_SERVICE: i64 = 1;
pub const OBSERVER: i64 = 2;
pub const TECHNICIAN: i64 = 6;
