use crate::helpers::*;
use reqwest::Method;

#[actix_web::test]
async fn health_and_ready_answer() {
    let app = spawn_app().await;
    let r = app.call(Method::GET, "/health", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["status"], "ok");
    let r = app.call(Method::GET, "/ready", None, None).await;
    assert_eq!(r.status, 200);
    let expected = if app.db.is_postgres() { "postgres" } else { "sqlite" };
    assert_eq!(r.body["database"], expected);
}

#[actix_web::test]
async fn unknown_route_is_a_json_404() {
    let app = spawn_app().await;
    let r = app.call(Method::GET, "/nope", None, None).await;
    assert_eq!(r.status, 404);
    assert_eq!(r.body["error"], "not_found");
}

#[actix_web::test]
async fn openapi_and_offline_docs_are_served() {
    let app = spawn_app().await;
    let r = app.call(Method::GET, "/api/openapi.json", None, None).await;
    assert_eq!(r.status, 200);
    assert_eq!(r.body["info"]["title"], "Parc API");
    let r = app.call(Method::GET, "/api/docs/", None, None).await;
    assert_eq!(r.status, 200);
    assert!(r.text.contains("swagger"), "docs page: {}", &r.text[..r.text.len().min(200)]);
    assert!(!r.text.contains("https://"), "the docs page must not load anything from the internet");
}

#[test]
fn unreadable_database_url_is_refused_clearly() {
    let err = parc::db::Db::open("mysql://root@localhost/x", 1).err().expect("refused");
    assert!(err.to_string().contains("sqlite:// or postgres://"), "{err}");
    let err = parc::db::Db::open("sqlite:///nonexistent-dir/sub/parc.db", 1).err().expect("refused");
    assert!(err.to_string().contains("does not exist"), "{err}");
}

#[test]
fn a_foreign_sqlite_file_is_never_touched() {
    let path = std::env::temp_dir().join(format!("foreign-{}.db", uuid::Uuid::new_v4()));
    {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let mut c = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        c.batch_execute(
            "CREATE TABLE invoices (id INTEGER PRIMARY KEY, amount REAL); INSERT INTO invoices VALUES (1, 9.5);",
        )
        .unwrap();
    }
    let before = std::fs::read(&path).unwrap();
    let err = parc::db::Db::open(&format!("sqlite://{}", path.display()), 1).err().expect("refused");
    assert!(err.to_string().contains("not a Parc database"), "{err}");
    let after = std::fs::read(&path).unwrap();
    let diff: Vec<usize> = (0..before.len().min(after.len())).filter(|i| before[*i] != after[*i]).take(10).collect();
    assert!(before == after, "the foreign file was modified: len {} -> {}, bytes {diff:?}", before.len(), after.len());
    let _ = std::fs::remove_file(&path);
}

#[test]
fn a_newer_schema_is_refused() {
    let path = std::env::temp_dir().join(format!("newer-{}.db", uuid::Uuid::new_v4()));
    let url = format!("sqlite://{}", path.display());
    drop(parc::db::Db::open(&url, 1).expect("fresh database migrates"));
    {
        use diesel::connection::SimpleConnection;
        use diesel::Connection;
        let mut c = diesel::SqliteConnection::establish(path.to_str().unwrap()).unwrap();
        c.batch_execute("INSERT INTO __diesel_schema_migrations (version) VALUES ('20991231000000')").unwrap();
    }
    let err = parc::db::Db::open(&url, 1).err().expect("refused");
    assert!(err.to_string().contains("newer than this Parc binary"), "{err}");
    for s in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{s}", path.display()));
    }
}

#[actix_web::test]
async fn every_write_lands_in_the_change_log() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let id = app.add(&t, "Computer", serde_json::json!({"name": "pc-log", "serial": "A1"})).await;
    let r = app.put(&format!("/Computer/{id}"), &t, serde_json::json!({"input": {"serial": "B2"}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let logs = app.get(&format!("/Computer/{id}/Log"), &t).await;
    let rows = logs.body.as_array().expect("log rows").clone();
    assert!(rows.iter().any(|l| l["linked_action"] == 20), "creation logged: {rows:?}");
    let change = rows.iter().find(|l| l["linked_action"] == 0).expect("field change logged");
    assert_eq!(change["old_value"], "A1");
    assert_eq!(change["new_value"], "B2");
    assert_eq!(change["user_name"], "admin (1)");
}
