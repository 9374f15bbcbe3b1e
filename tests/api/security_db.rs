//! Database-layer findings of the December 2026 review (10, 11, 12, 14, 23): bound
//! variables, write locks, empty id lists, NUL bytes and column sizes.

use crate::helpers::*;
use parc::itemtypes::{self, store};
use serde_json::{json, Map, Value};

/// A second pool on the test database, to set up rows or states the API would not create.
fn direct(app: &TestApp) -> parc::db::Db {
    parc::db::Db::open(&app.db.url, 1).expect("open the test database")
}

fn row(pairs: &[(&str, Value)]) -> Map<String, Value> {
    pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect()
}

#[actix_web::test]
async fn range_larger_than_the_bind_limit_is_answered() {
    let app = spawn_app().await;
    let t = app.admin().await;
    // More rows than the backend's bound variables (SQLite 32,766, PostgreSQL 65,535);
    // inserted through the store in a few statements (the bulk API would take minutes).
    let n: usize = if app.db.is_postgres() { 66_000 } else { 33_000 };
    let computer = itemtypes::find("Computer").unwrap();
    let rows = (0..n)
        .map(|i| {
            store::validate_input(computer, &row(&[("name", json!(format!("pc-{i}"))), ("entities_id", json!(0))]))
        })
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let db = direct(&app);
    store::insert_many(&mut db.pool.get().unwrap(), computer, rows, &store::Actor::system()).unwrap();
    // The insert (or the previous request) can outlast the server's keep-alive: a fresh
    // client per request never reuses a connection the server may be closing.
    let get = |path: String| {
        app.raw(reqwest::Client::new().get(format!("{}/apirest.php{path}", app.base)).header("Session-Token", &t))
    };
    let r = get(format!("/Computer?range=0-{}&only_id=true&get_hateoas=false", n + 10)).await;
    assert_eq!(r.status, 200, "{}", &r.text[..r.text.len().min(300)]);
    assert_eq!(r.body.as_array().map(Vec::len), Some(n));
    assert_eq!(r.header("content-range").as_deref(), Some(&*format!("0-{}/{n}", n - 1)));

    let r = get(format!("/search/Computer?range=0-{}&forcedisplay[0]=2", n - 1)).await;
    assert_eq!(r.status, 200, "{}", &r.text[..r.text.len().min(300)]);
    assert_eq!(r.body["count"], json!(n));
    assert_eq!(r.body["data"].as_array().map(Vec::len), Some(n));
}

#[actix_web::test]
async fn concurrent_writes_wait_for_a_long_bulk_add() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    app.user(&admin, "ssa", SELF_SERVICE, 0, true).await;
    let ss = app.login("ssa", "password-123").await;
    let items: Vec<Value> = (0..3_000).map(|i| json!({"name": format!("bulk-{i}"), "entities_id": 0})).collect();
    let done = std::cell::Cell::new(false);
    let bulk = async {
        let r = app.post("/Computer", &admin, json!({ "input": items })).await;
        done.set(true);
        r
    };
    // Another user creates tickets for as long as the bulk add runs (it takes seconds).
    let tickets = async {
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let mut answers = Vec::new();
        while !done.get() {
            let r = app.post("/Ticket", &ss, json!({"input": {"name": "n", "content": "x"}})).await;
            answers.push((r.status.as_u16(), r.text));
        }
        answers
    };
    let (bulk, answers) = tokio::join!(bulk, tickets);
    assert_eq!(bulk.status, 201, "{}", &bulk.text[..bulk.text.len().min(300)]);
    assert!(answers.len() >= 3, "only {} tickets were created during the bulk add", answers.len());
    for (status, text) in &answers {
        assert_eq!(*status, 201, "{text}");
    }
    // Interleaved, not starved until the bulk add ended: computers were created after the
    // first ticket (the change log's ids follow the commits).
    let db = direct(&app);
    let mut c = db.pool.get().unwrap();
    let log_id = |c: &mut parc::db::DbConn, itemtype: &str, agg: &str| {
        let mut q = parc::db::sql::Sql::new(c.backend());
        q.push(&format!("SELECT CAST({agg}(\"id\") AS BIGINT) AS n FROM \"logs\" WHERE \"linked_action\" = 20"));
        q.push(" AND \"itemtype\" = ").bind(itemtype);
        q.load_ints(c).unwrap()[0]
    };
    let first_ticket = log_id(&mut c, "Ticket", "MIN");
    let last_computer = log_id(&mut c, "Computer", "MAX");
    assert!(last_computer > first_ticket, "the first ticket waited for the whole bulk add");
}

#[actix_web::test]
async fn user_without_entities_gets_empty_lists_not_500() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let ent = app.entity(&admin, "Lycée A").await;
    app.add(&admin, "Computer", json!({"name": "pc-a", "entities_id": ent})).await;
    app.user(&admin, "orphan", TECHNICIAN, ent, false).await;
    // The state a deleted entity used to leave: an assignment to an entity that is gone.
    let db = direct(&app);
    let mut c = db.pool.get().unwrap();
    let mut sql = parc::db::sql::Sql::new(c.backend());
    sql.push("UPDATE \"profiles_users\" SET \"entities_id\" = 999 WHERE \"entities_id\" = ").bind(ent);
    sql.execute(&mut c).unwrap();
    let t = app.login("orphan", "password-123").await;

    let r = app.get("/Computer", &t).await;
    assert_eq!((r.status.as_u16(), r.body.clone()), (200, json!([])), "{}", r.text);
    let r = app.get("/search/Computer", &t).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["totalcount"], json!(0));
    for path in ["/User", "/Entity", "/Ticket", "/ITILFollowup"] {
        let r = app.get(path, &t).await;
        assert!(r.status.is_success(), "{path}: {} {}", r.status, r.text);
    }
    let r = app.raw(app.client.get(format!("{}/api/v1/tickets", app.base)).bearer_auth(&t)).await;
    assert_eq!(r.status, 200, "{}", r.text);
}

#[actix_web::test]
async fn user_create_refuses_a_missing_entity() {
    let app = spawn_app().await;
    let db = direct(&app);
    let mut c = db.pool.get().unwrap();
    let e = parc::bootstrap::create_user(&mut c, "nowhere", "password-123", 6, 999, false).unwrap_err();
    assert!(e.to_string().contains("entity 999 does not exist"), "{e}");
    let e = parc::bootstrap::create_user(&mut c, "nowhere", "password-123", 999, 0, false).unwrap_err();
    assert!(e.to_string().contains("profile 999 does not exist"), "{e}");
    assert!(parc::bootstrap::create_user(&mut c, "somewhere", "password-123", 6, 0, false).is_ok());
}

#[actix_web::test]
async fn nul_bytes_are_refused_with_400_on_both_backends() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let r = app.post("/Computer", &t, json!({"input": {"name": "a\u{0}b"}})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.code(), "ERROR_GLPI_ADD");
    assert!(r.body[1].as_str().unwrap().contains("Field name"), "{}", r.text);

    let id = app.add(&t, "Computer", json!({"name": "pc"})).await;
    let r = app.put(&format!("/Computer/{id}"), &t, json!({"input": {"comment": "x\u{0}"}})).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.code(), "ERROR_GLPI_UPDATE");
    assert!(r.body[1].as_str().unwrap().contains("Field comment"), "{}", r.text);
    let r = app.post("/Ticket", &t, json!({"input": {"name": "n", "content": "\u{0}"}})).await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "ERROR_GLPI_ADD"), "{}", r.text);

    let r = app
        .get("/search/Computer?criteria[0][field]=1&criteria[0][searchtype]=contains&criteria[0][value]=%00", &t)
        .await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "ERROR"), "{}", r.text);
    let r = app.get("/Computer?searchText[name]=%00", &t).await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "ERROR"), "{}", r.text);
    assert_eq!(app.get(&format!("/Computer/{id}"), &t).await.body["comment"], json!(null));
}

#[actix_web::test]
async fn strings_longer_than_the_column_are_refused() {
    let app = spawn_app().await;
    let t = app.admin().await;
    // varchar(255): characters, not bytes.
    app.add(&t, "Computer", json!({"name": "é".repeat(255)})).await;
    let r = app.post("/Computer", &t, json!({"input": {"name": "n".repeat(100_000)}})).await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "ERROR_GLPI_ADD"), "{}", &r.text[..r.text.len().min(300)]);
    assert!(r.text.len() < 1_000, "the refusal does not echo the value");
    assert!(r.body[1].as_str().unwrap().contains("Field name"), "{}", r.text);
    let r = app.post("/Computer", &t, json!({"input": {"name": "n".repeat(256)}})).await;
    assert_eq!(r.status, 400, "{}", r.text);

    // text: 65,535 bytes.
    let id = app.add(&t, "Computer", json!({"name": "pc", "comment": "c".repeat(65_535)})).await;
    let r = app.put(&format!("/Computer/{id}"), &t, json!({"input": {"comment": "c".repeat(65_536)}})).await;
    assert_eq!((r.status.as_u16(), r.code()), (400, "ERROR_GLPI_UPDATE"), "{}", &r.text[..r.text.len().min(300)]);
    assert!(r.body[1].as_str().unwrap().contains("Field comment"), "{}", r.text);

    // longtext (ticket content): well past text's size.
    app.add(&t, "Ticket", json!({"name": "long", "content": "x".repeat(200_000)})).await;
}
