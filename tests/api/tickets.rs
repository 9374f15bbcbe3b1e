use crate::helpers::*;
use serde_json::json;

#[actix_web::test]
async fn ticket_life_cycle_follows_glpi_rules() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let pc = app.add(&t, "Computer", json!({"name": "pc-salle-12"})).await;
    let tid = app
        .add(&t, "Ticket", json!({"name": "Imprimante HS", "content": "<p>Plus d'encre</p>", "urgency": 4, "impact": 2, "_users_id_requester": 1}))
        .await;
    let r = app.get(&format!("/Ticket/{tid}"), &t).await;
    assert_eq!(r.body["priority"], 3, "matrix[4][2]");
    assert_eq!(r.body["status"], 1);
    assert_eq!(r.body["content"], "<p>Plus d'encre</p>", "text comes back raw");
    assert_eq!(r.body["users_id_recipient"], 1);
    let actors = app.get(&format!("/Ticket/{tid}/Ticket_User"), &t).await;
    assert_eq!(actors.body[0]["type"], 1);
    app.add(&t, "Item_Ticket", json!({"tickets_id": tid, "itemtype": "Computer", "items_id": pc})).await;
    let r = app.get(&format!("/Computer/{pc}?with_tickets=true"), &t).await;
    assert_eq!(r.body["_tickets"][0]["id"], tid);
    app.add(&t, "ITILFollowup", json!({"itemtype": "Ticket", "items_id": tid, "content": "On regarde"})).await;
    app.add(&t, "TicketTask", json!({"tickets_id": tid, "content": "Changement cartouche", "actiontime": 1800})).await;
    app.add(&t, "TicketTask", json!({"tickets_id": tid, "content": "Test impression", "actiontime": 600})).await;
    let r = app.get(&format!("/Ticket/{tid}"), &t).await;
    assert_eq!(r.body["actiontime"], 2400, "sum of task times");
    assert!(r.body["takeintoaccountdate"].is_string());
    assert_eq!(app.get(&format!("/Ticket/{tid}/TicketTask"), &t).await.body.as_array().unwrap().len(), 2);
    assert_eq!(app.get(&format!("/Ticket/{tid}/ITILFollowup"), &t).await.body[0]["content"], "On regarde");
    app.add(&t, "ITILSolution", json!({"itemtype": "Ticket", "items_id": tid, "content": "Cartouche changée"})).await;
    let r = app.get(&format!("/Ticket/{tid}"), &t).await;
    assert_eq!(r.body["status"], 5);
    assert!(r.body["solvedate"].is_string());
    assert!(r.body["closedate"].is_null());
    assert_eq!(app.get(&format!("/Ticket/{tid}/ITILSolution"), &t).await.body[0]["status"], 2);
    let r = app
        .post("/ITILSolution", &t, json!({"input": {"itemtype": "Ticket", "items_id": tid, "content": "again"}}))
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body[1], "The item is already solved, did anyone pushed a solution before you?");
    let r = app.put(&format!("/Ticket/{tid}"), &t, json!({"input": {"status": 6}})).await;
    assert_eq!(r.status, 200);
    let r = app.get(&format!("/Ticket/{tid}"), &t).await;
    assert_eq!(r.body["status"], 6);
    assert!(r.body["closedate"].is_string());
}

#[actix_web::test]
async fn assigning_a_technician_moves_the_ticket_to_processing() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let tid = app.add(&t, "Ticket", json!({"name": "Wifi", "content": "coupé", "_users_id_assign": 1})).await;
    let r = app.get(&format!("/Ticket/{tid}"), &t).await;
    assert_eq!(r.body["status"], 2);
    assert_eq!(r.body["priority"], 3);
    let r = app.post("/Ticket", &t, json!({"input": {"name": "x", "content": "y", "urgency": 9}})).await;
    assert_eq!(r.status, 400);
}
