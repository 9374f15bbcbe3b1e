//! Isolation between lycées: staff of one never see another's tickets.

use crate::helpers::*;
use serde_json::json;

struct World {
    app: TestApp,
    admin: String,
    a: i64,
    b: i64,
    ticket_a: i64,
    ticket_b: i64,
    pc_a: i64,
    pc_b: i64,
}

async fn world() -> World {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let a = app.entity(&admin, "Lycee A (0750654D)").await;
    let b = app.entity(&admin, "Lycee B (0750655E)").await;
    let staff_a = app.user(&admin, "staff_a", SELF_SERVICE, a, false).await;
    let staff_b = app.user(&admin, "staff_b", SELF_SERVICE, b, false).await;
    app.user(&admin, "tech_a", TECHNICIAN, a, false).await;
    app.user(&admin, "observer", OBSERVER, 0, true).await;
    let pc_a = app.add(&admin, "Computer", json!({"name": "A-PC", "entities_id": a})).await;
    let pc_b = app.add(&admin, "Computer", json!({"name": "B-PC", "entities_id": b})).await;
    let ticket_a = app
        .add(&admin, "Ticket", json!({"name": "A", "content": "a", "entities_id": a, "_users_id_requester": staff_a}))
        .await;
    let ticket_b = app
        .add(&admin, "Ticket", json!({"name": "B", "content": "b", "entities_id": b, "_users_id_requester": staff_b}))
        .await;
    World { app, admin, a, b, ticket_a, ticket_b, pc_a, pc_b }
}

#[actix_web::test]
async fn staff_see_only_their_own_lycee_tickets() {
    let w = world().await;
    let app = &w.app;
    let t = app.login("staff_a", "password-123").await;
    let r = app.get("/Ticket", &t).await;
    let ids: Vec<i64> = r.body.as_array().unwrap().iter().map(|x| x["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![w.ticket_a]);
    assert_eq!(app.get(&format!("/Ticket/{}", w.ticket_a), &t).await.status, 200);
    let r = app.get(&format!("/Ticket/{}", w.ticket_b), &t).await;
    assert_eq!(r.status, 403);
    assert_eq!(r.body, json!(["ERROR_RIGHT_MISSING", "You don't have permission to perform this action."]));
    assert_eq!(app.get(&format!("/Ticket/{}/ITILFollowup", w.ticket_b), &t).await.status, 403);
    assert_eq!(app.get("/Computer", &t).await.status, 403, "no computer right");
    // Opening a ticket in the other lycée is refused, in its own works (entity from the session).
    let r = app.post("/Ticket", &t, json!({"input": {"name": "x", "content": "y", "entities_id": w.b}})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body, json!(["ERROR_GLPI_ADD", "You don't have permission to perform this action."]));
    let r = app.post("/Ticket", &t, json!({"input": {"name": "mine", "content": "y", "_users_id_requester": 2}})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let mine = r.body["id"].as_i64().unwrap();
    assert_eq!(app.get(&format!("/Ticket/{mine}"), &w.admin).await.body["entities_id"], w.a);
    // A followup on one's own ticket is allowed, on the other lycée's refused.
    let r = app
        .post("/ITILFollowup", &t, json!({"input": {"itemtype": "Ticket", "items_id": w.ticket_a, "content": "merci"}}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = app
        .post(
            "/ITILFollowup",
            &t,
            json!({"input": {"itemtype": "Ticket", "items_id": w.ticket_b, "content": "intrus"}}),
        )
        .await;
    assert_eq!(r.status, 400);
    // Updates and deletes of the other lycée's ticket are refused and change nothing.
    let r = app.put(&format!("/Ticket/{}", w.ticket_b), &t, json!({"input": {"name": "pwned"}})).await;
    assert_eq!(r.code(), "ERROR_GLPI_UPDATE");
    let r = app.delete(&format!("/Ticket/{}", w.ticket_b), &t, None).await;
    assert_eq!(r.code(), "ERROR_GLPI_DELETE");
    assert_eq!(app.get(&format!("/Ticket/{}", w.ticket_b), &w.admin).await.body["name"], "B");
    // Self-Service updates no ticket, not even its own new one (GLPI: no ticket UPDATE right).
    let r = app.put(&format!("/Ticket/{}", w.ticket_a), &t, json!({"input": {"urgency": 5}})).await;
    assert_eq!(r.body, json!(["ERROR_GLPI_UPDATE", "You don't have permission to perform this action."]));
}

#[actix_web::test]
async fn technicians_and_observers_follow_their_entities() {
    let w = world().await;
    let app = &w.app;
    let t = app.login("tech_a", "password-123").await;
    let r = app.get("/Computer", &t).await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    assert_eq!(r.body[0]["id"], w.pc_a);
    assert_eq!(app.get(&format!("/Computer/{}", w.pc_b), &t).await.status, 403);
    let r = app.post("/Computer", &t, json!({"input": {"name": "x", "entities_id": w.b}})).await;
    assert_eq!(r.code(), "ERROR_GLPI_ADD");
    let r = app.delete(&format!("/Computer/{}", w.pc_b), &t, None).await;
    assert_eq!(r.code(), "ERROR_GLPI_DELETE");
    let id = app.add(&t, "Computer", json!({"name": "new-in-a"})).await;
    assert_eq!(app.get(&format!("/Computer/{id}"), &t).await.body["entities_id"], w.a);
    // Observer: reads everything, writes no computer, may open tickets.
    let o = app.login("observer", "password-123").await;
    assert_eq!(app.get("/Computer", &o).await.body.as_array().unwrap().len(), 3);
    let r = app.post("/Computer", &o, json!({"input": {"name": "nope"}})).await;
    assert_eq!(r.code(), "ERROR_GLPI_ADD");
    let r = app.put(&format!("/Computer/{}", w.pc_a), &o, json!({"input": {"name": "nope"}})).await;
    assert_eq!(r.code(), "ERROR_GLPI_UPDATE");
    let r = app.post("/Ticket", &o, json!({"input": {"name": "obs", "content": "x", "entities_id": w.b}})).await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Narrowing the observer to B hides A.
    let r = app.post("/changeActiveEntities", &o, json!({"entities_id": w.b, "is_recursive": false})).await;
    assert_eq!(r.body, json!(true));
    assert_eq!(app.get(&format!("/Computer/{}", w.pc_a), &o).await.status, 403);
    let _ = w.a;
}

#[actix_web::test]
async fn a_sub_item_cannot_be_moved_to_a_parent_out_of_reach() {
    // A technician of lycée A may edit a field lock of A's computer, not re-attach it to
    // B's computer (which would freeze B's field against its inventory).
    let w = world().await;
    let app = &w.app;
    let lock =
        app.add(&w.admin, "Lockedfield", json!({"itemtype": "Computer", "items_id": w.pc_a, "field": "name"})).await;
    let t = app.login("tech_a", "password-123").await;
    assert_eq!(app.get(&format!("/Lockedfield/{lock}"), &t).await.status, 200);
    let r = app.put(&format!("/Lockedfield/{lock}"), &t, json!({"input": {"items_id": w.pc_b}})).await;
    assert_ne!(r.status, 200, "{}", r.text);
    assert_eq!(app.get(&format!("/Lockedfield/{lock}"), &w.admin).await.body["items_id"], w.pc_a);
    // Resending the unchanged parent is an ordinary update.
    let r = app.put(&format!("/Lockedfield/{lock}"), &t, json!({"input": {"items_id": w.pc_a, "value": "x"}})).await;
    assert_eq!(r.status, 200, "{}", r.text);
}
