use crate::helpers::*;
use serde_json::{json, Value};

async fn native(app: &TestApp, method: reqwest::Method, path: &str, token: &str, body: Option<Value>) -> Resp {
    let mut rb = app.client.request(method, format!("{}/api/v1{path}", app.base)).bearer_auth(token);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    app.raw(rb).await
}

#[actix_web::test]
async fn an_agent_logs_a_visit_with_tickets_and_items() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let a = app.entity(&admin, "Lycee A (0750654D)").await;
    let b = app.entity(&admin, "Lycee B (0750655E)").await;
    let tech = app.user(&admin, "optic1", TECHNICIAN, a, false).await;
    let r = native(
        &app,
        reqwest::Method::POST,
        &format!("/agents/{tech}/assignments"),
        &admin,
        Some(json!({"entities_id": a})),
    )
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let pc = app
        .add(
            &admin,
            "Computer",
            json!({"name": "A-PC-1", "entities_id": a, "otherserial": "INV-0042", "serial": "SN42"}),
        )
        .await;
    let ticket = app.add(&admin, "Ticket", json!({"name": "Écran", "content": "noir", "entities_id": a})).await;
    let t = app.login("optic1", "password-123").await;
    let post = |body: Value| native(&app, reqwest::Method::POST, "/interventions", &t, Some(body));
    let r = post(json!({
        "entities_id": a, "arrival": "2026-07-01T10:00", "departure": "2026-07-01T12:30", "travel_minutes": 40,
        "actions": ["repair", "replace"], "notes": "Écran remplacé",
        "tickets": [{"ticket_id": ticket, "minutes": 45, "note": "remplacement écran"}],
        "items": [{"tag": "INV-0042", "action": "replace"}]
    }))
    .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    assert_eq!(r.body["arrival_utc"], "2026-07-01 08:00:00", "stored in UTC");
    assert_eq!(r.body["arrival"], "2026-07-01T10:00:00+02:00", "shown in Paris time");
    assert_eq!(r.body["minutes_on_site"], 150);
    assert_eq!(r.body["items"][0]["items_id"], pc);
    let task = r.body["tickets"][0]["task_id"].as_i64().unwrap();
    // GLPI clients see the work as a TicketTask, and the intervention as a plugin itemtype.
    let tk = app.get(&format!("/Ticket/{ticket}"), &admin).await;
    assert_eq!(tk.body["actiontime"], 2700);
    let task_row = app.get(&format!("/TicketTask/{task}"), &admin).await;
    assert!(task_row.body["content"].as_str().unwrap().contains(&format!("#{id}")));
    let g = app.get(&format!("/PluginOpticIntervention/{id}"), &admin).await;
    assert_eq!(g.status, 200);
    assert_eq!(g.body["users_id"], tech);
    let links = app.get(&format!("/PluginOpticIntervention/{id}/PluginOpticIntervention_Ticket"), &admin).await;
    assert_eq!(links.body[0]["tickettasks_id"], task);
    let srch = app.get(&format!("/search/PluginOpticIntervention?criteria[0][field]=80&criteria[0][searchtype]=equals&criteria[0][value]={a}"), &admin).await;
    assert_eq!(srch.body["totalcount"], 1, "{}", srch.text);

    // The rules, each a precise 4xx, and nothing half-written.
    let overlap = post(json!({"entities_id": a, "arrival": "2026-07-01T12:00", "departure": "2026-07-01T13:00"})).await;
    assert_eq!(overlap.status, 422);
    assert!(overlap.body["message"].as_str().unwrap().contains("overlaps"));
    let backwards =
        post(json!({"entities_id": a, "arrival": "2026-07-02T12:00", "departure": "2026-07-02T11:00"})).await;
    assert_eq!(backwards.status, 422);
    let elsewhere =
        post(json!({"entities_id": b, "arrival": "2026-07-03T09:00", "departure": "2026-07-03T10:00"})).await;
    assert!(elsewhere.status == 422 || elsewhere.status == 403, "{}", elsewhere.text);
    let bad_tag = post(json!({"entities_id": a, "arrival": "2026-07-04T09:00", "departure": "2026-07-04T10:00",
                              "tickets": [{"ticket_id": ticket, "minutes": 30}], "items": [{"tag": "NOPE", "action": "repair"}]})).await;
    assert_eq!(bad_tag.status, 422);
    assert!(bad_tag.body["message"].as_str().unwrap().contains("NOPE"));
    assert_eq!(app.get(&format!("/Ticket/{ticket}"), &admin).await.body["actiontime"], 2700, "no task left behind");
    let bad_time = post(json!({"entities_id": a, "arrival": "tomorrow", "departure": "2026-07-04T10:00"})).await;
    assert_eq!(bad_time.status, 422);
    let bad_action = post(
        json!({"entities_id": a, "arrival": "2026-07-05T09:00", "departure": "2026-07-05T10:00", "actions": ["dance"]}),
    )
    .await;
    assert_eq!(bad_action.status, 422);

    // Schedule and history.
    let day = native(&app, reqwest::Method::GET, &format!("/agents/{tech}/schedule?day=2026-07-01"), &t, None).await;
    assert_eq!(day.body["minutes_on_site"], 150);
    assert_eq!(day.body["travel_minutes"], 40);
    let week =
        native(&app, reqwest::Method::GET, &format!("/agents/{tech}/schedule?day=2026-07-03&span=week"), &t, None)
            .await;
    assert_eq!(week.body["from"], "2026-06-29");
    assert_eq!(week.body["interventions"].as_array().unwrap().len(), 1);
    let hist = native(&app, reqwest::Method::GET, &format!("/interventions?establishment={a}"), &admin, None).await;
    assert_eq!(hist.body.as_array().unwrap().len(), 1);

    // The interventions report adds up the visit (the establishment here has no directory row).
    let rep = native(
        &app,
        reqwest::Method::GET,
        "/reports/interventions?group_by=region&from=2026-06-01&to=2026-08-01",
        &admin,
        None,
    )
    .await;
    assert_eq!(rep.status, 200, "{}", rep.text);
    let metric = |m: &str| {
        rep.body["rows"].as_array().unwrap().iter().find(|r| r["metric"] == m).map(|r| r["value"].as_f64().unwrap())
    };
    assert_eq!(metric("visits"), Some(1.0));
    assert_eq!(metric("hours_on_site"), Some(2.5));
    assert_eq!(metric("hours_travelling"), Some(0.67));
    assert_eq!(metric("tickets_closed_per_visit"), Some(0.0));

    // Update re-checks the rules; cancel keeps history and gives the time back.
    let r = native(
        &app,
        reqwest::Method::PATCH,
        &format!("/interventions/{id}"),
        &t,
        Some(json!({"departure": "2026-07-01T09:00"})),
    )
    .await;
    assert_eq!(r.status, 422);
    let r =
        native(&app, reqwest::Method::PATCH, &format!("/interventions/{id}"), &t, Some(json!({"notes": "RAS"}))).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = native(&app, reqwest::Method::DELETE, &format!("/interventions/{id}"), &t, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["status"], "cancelled");
    assert_eq!(app.get(&format!("/Ticket/{ticket}"), &admin).await.body["actiontime"], 0);
    // Other lycée's staff cannot read it.
    app.user(&admin, "staff_b", SELF_SERVICE, b, false).await;
    let sb = app.login("staff_b", "password-123").await;
    let r = native(&app, reqwest::Method::GET, &format!("/interventions/{id}"), &sb, None).await;
    assert_eq!(r.status, 403);
}

#[actix_web::test]
async fn the_action_vocabulary_is_checked_whichever_api_writes() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let a = app.entity(&admin, "Lycee A (0750654D)").await;
    let tech = app.user(&admin, "optic1", TECHNICIAN, a, false).await;
    app.add(&admin, "PluginOpticAssignment", json!({"users_id": tech, "entities_id": a})).await;
    let t = app.login("optic1", "password-123").await;
    let visit = |actions: &str| {
        json!({"input": {"entities_id": a, "date_begin": "2026-07-01 10:00:00", "date_end": "2026-07-01 12:00:00",
            "actions": actions}})
    };
    let r = app.post("/PluginOpticIntervention", &t, visit("nonsense")).await;
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.code(), "ERROR_GLPI_ADD");
    assert!(r.body[1].as_str().unwrap().contains("unknown action 'nonsense'"), "{}", r.text);
    let id = app.add(&t, "PluginOpticIntervention", visit("repair,move")["input"].clone()).await;
    let r = app.put(&format!("/PluginOpticIntervention/{id}"), &t, json!({"input": {"actions": "repair,hack"}})).await;
    assert_eq!(r.code(), "ERROR_GLPI_UPDATE", "{}", r.text);
    assert_eq!(app.get(&format!("/PluginOpticIntervention/{id}"), &admin).await.body["actions"], "repair,move");
}
