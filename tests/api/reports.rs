use crate::helpers::*;
use serde_json::Value;

fn seed(app: &TestApp) {
    let db = parc::db::Db::open(&app.db.url, 1).unwrap();
    let mut c = db.pool.get().unwrap();
    let mut sink = parc::demo::sink::DbSink::new(&mut c);
    let plan = parc::demo::Plan { seed: 7, lycees: 6, computers: 120, tickets: 60 };
    parc::demo::generate(&mut sink, &plan, false).unwrap();
}

fn sql_count(app: &TestApp, sql: &str) -> i64 {
    let db = parc::db::Db::open(&app.db.url, 1).unwrap();
    let mut c = db.pool.get().unwrap();
    let mut q = parc::db::sql::Sql::new(c.backend());
    q.push(sql);
    q.load_ints(&mut c).unwrap()[0]
}

async fn get(app: &TestApp, token: &str, path: &str) -> Resp {
    app.raw(app.client.get(format!("{}/api/v1{path}", app.base)).bearer_auth(token)).await
}

fn sum(r: &Resp, metric: &str, dimension: Option<&str>) -> f64 {
    r.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|x| x["metric"] == metric && dimension.is_none_or(|d| x["dimension"] == d))
        .map(|x| x["value"].as_f64().unwrap())
        .sum()
}

#[actix_web::test]
async fn reports_match_direct_sql_counts() {
    let app = spawn_app().await;
    seed(&app);
    let t = app.admin().await;
    let r = get(&app, &t, "/reports/inventory?group_by=departement").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let computers = sql_count(&app, "SELECT COUNT(*) AS n FROM computers WHERE is_deleted = 0");
    assert_eq!(sum(&r, "assets_by_type", Some("Computer")) as i64, computers);
    assert_eq!(
        sum(&r, "assets_by_type", Some("Monitor")) as i64,
        sql_count(&app, "SELECT COUNT(*) AS n FROM monitors")
    );
    let w10 = sql_count(
        &app,
        "SELECT COUNT(*) AS n FROM items_operatingsystems io JOIN operatingsystems os ON os.id = io.operatingsystems_id WHERE os.name LIKE 'Windows 10%'",
    );
    assert_eq!(sum(&r, "windows10_end_of_support", None) as i64, w10);
    assert_eq!(sum(&r, "computers_by_age", None) as i64, computers);
    assert_eq!(sum(&r, "computers_by_warranty", None) as i64, computers);
    assert!(r.body["groups"].as_object().unwrap().contains_key("075"), "{}", r.body["groups"]);
    // Per establishment, each lycée's count is its own.
    let r = get(&app, &t, "/reports/inventory?group_by=establishment").await;
    let first = r.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["metric"] == "assets_by_type" && x["dimension"] == "Computer")
        .unwrap()
        .clone();
    let uai = first["group"].as_str().unwrap();
    let direct = sql_count(
        &app,
        &format!("SELECT COUNT(*) AS n FROM computers c JOIN establishments e ON e.entities_id = c.entities_id WHERE e.uai = '{uai}'"),
    );
    assert_eq!(first["value"].as_f64().unwrap() as i64, direct);

    // Tickets over two years: opened = tickets dated in the period.
    let r = get(&app, &t, "/reports/tickets?group_by=academie&from=2024-11-01&to=2026-11-02").await;
    assert_eq!(r.status, 200, "{}", r.text);
    let opened =
        sql_count(&app, "SELECT COUNT(*) AS n FROM tickets WHERE date >= '2024-11-01' AND date < '2026-11-02'");
    assert_eq!(sum(&r, "opened", None) as i64, opened);
    let solved = sql_count(
        &app,
        "SELECT COUNT(*) AS n FROM tickets WHERE solvedate >= '2024-11-01' AND solvedate < '2026-11-02'",
    );
    assert_eq!(sum(&r, "solved", None) as i64, solved);
    assert!(sum(&r, "solve_median_s", None) > 0.0);

    // Files, named after the report and date.
    let r = get(&app, &t, "/reports/inventory?group_by=region&format=csv").await;
    assert_eq!(r.header("content-type").as_deref(), Some("text/csv; charset=utf-8"));
    assert!(r.header("content-disposition").unwrap().contains("inventory-region-"));
    assert!(r.text.starts_with("group,group_label,metric,dimension,value"));
    let r = app.raw(app.client.get(format!("{}/api/v1/reports/tickets?format=xlsx", app.base)).bearer_auth(&t)).await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-disposition").unwrap().ends_with(".xlsx\""));

    // Bad requests.
    assert_eq!(get(&app, &t, "/reports/inventory?group_by=planet").await.status, 400);
    assert_eq!(get(&app, &t, "/reports/tickets?from=2015-01-01&to=2026-01-01").await.status, 400);
    assert_eq!(get(&app, &t, "/reports/tickets?from=2026-02-01&to=2026-01-01").await.status, 400);
    assert_eq!(get(&app, &t, "/reports/weather").await.status, 404);
    assert_eq!(get(&app, &t, "/reports/inventory?format=pdf").await.status, 400);
}

#[actix_web::test]
async fn the_fleet_export_streams_every_visible_computer() {
    let app = spawn_app().await;
    seed(&app);
    let t = app.admin().await;
    let r = get(&app, &t, "/exports/computers").await;
    assert_eq!(r.status, 200);
    let lines: Vec<&str> = r.text.lines().collect();
    assert_eq!(lines.len() as i64, 1 + sql_count(&app, "SELECT COUNT(*) AS n FROM computers"));
    assert!(lines[0].starts_with("id,name,serial"));
    let r = get(&app, &t, "/exports/computers?format=ndjson").await;
    let first: Value = serde_json::from_str(r.text.lines().next().unwrap()).unwrap();
    let uai = first["uai"].as_str().unwrap().to_string();
    assert!(first["id"].is_i64(), "ids are numbers: {first}");
    let keys: Vec<&String> = first.as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 16);
    assert_eq!((keys[0].as_str(), keys[15].as_str()), ("id", "buy_date"));
    let r = get(&app, &t, &format!("/exports/computers?format=ndjson&establishment={uai}")).await;
    let direct = sql_count(&app, &format!("SELECT COUNT(*) AS n FROM computers c JOIN establishments e ON e.entities_id = c.entities_id WHERE e.uai = '{uai}'"));
    assert_eq!(r.text.lines().count() as i64, direct);
    assert_eq!(get(&app, &t, "/exports/computers?establishment=0750654X").await.status, 400);
    assert_eq!(get(&app, &t, "/exports/computers?format=xml").await.status, 400);
    // A technician of one lycée exports only that lycée.
    let entity =
        sql_count(&app, &format!("SELECT CAST(entities_id AS BIGINT) AS n FROM establishments WHERE uai = '{uai}'"));
    app.user(&t, "tech_one", TECHNICIAN, entity, false).await;
    let tt = app.login("tech_one", "password-123").await;
    let r = get(&app, &tt, "/exports/computers?format=ndjson").await;
    assert_eq!(r.text.lines().count() as i64, direct);
    let r = get(&app, &tt, "/reports/inventory").await;
    let groups: Vec<&String> = r.body["groups"].as_object().unwrap().keys().collect();
    assert_eq!(groups, vec![&uai]);
}

/// `demo-data --url`: the generator writes through a live server's GLPI API (the blocking
/// reqwest sink, off the runtime's thread as in the CLI) and the rows arrive.
#[actix_web::test]
async fn the_demo_generator_writes_through_the_api() {
    let app = spawn_app().await;
    let token = {
        let db = parc::db::Db::open(&app.db.url, 1).unwrap();
        let mut c = db.pool.get().unwrap();
        parc::auth::session::reset_api_token(&mut c, 1).unwrap()
    };
    let base = app.base.clone();
    let summary = actix_web::rt::task::spawn_blocking(move || {
        let mut sink = parc::demo::sink::ApiSink::connect(&base, &token)?;
        let plan = parc::demo::Plan { seed: 3, lycees: 2, computers: 12, tickets: 4 };
        parc::demo::generate(&mut sink, &plan, false)
    })
    .await
    .unwrap()
    .unwrap();
    assert!(!summary.to_string().is_empty());
    assert_eq!(sql_count(&app, "SELECT COUNT(*) AS n FROM computers"), 12);
    assert_eq!(sql_count(&app, "SELECT COUNT(*) AS n FROM tickets"), 4);
    let bad = actix_web::rt::task::spawn_blocking(move || parc::demo::sink::ApiSink::connect(&app.base, "nope").err())
        .await
        .unwrap()
        .expect("a bad token is refused");
    assert!(bad.to_string().contains("initSession answered 401"), "{bad}");
}
