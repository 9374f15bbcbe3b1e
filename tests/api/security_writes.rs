//! The write policy, one test per rule of the security review of December 2026
//! (`shared/reviews/security-2026-12.md`): each reproduction now gets GLPI's refusal and
//! changes nothing.

use crate::helpers::*;
use serde_json::{json, Value};

const PW: &str = "password-123";
const SUPER_ADMIN: i64 = 4;
const ADMIN: i64 = 3;

struct World {
    app: TestApp,
    admin: String,
    a: i64,
    b: i64,
    ssa: i64,
    techc: i64,
    ticket_a: i64,
    ticket_b: i64,
    pc_a: i64,
    pc_b: i64,
    monitor_a: i64,
}

/// The review's fixture: lycées A and B under the root; `ssa` Self-Service on A, `techb`
/// Technician on B (recursive), `techc` Technician on B (not recursive).
async fn world() -> World {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let a = app.entity(&admin, "Entity A").await;
    let b = app.entity(&admin, "Entity B").await;
    let ssa = app.user(&admin, "ssa", SELF_SERVICE, a, false).await;
    app.user(&admin, "techb", TECHNICIAN, b, true).await;
    let techc = app.user(&admin, "techc", TECHNICIAN, b, false).await;
    let pc_a = app.add(&admin, "Computer", json!({"name": "pc-ent1", "entities_id": a, "serial": "SER1"})).await;
    let pc_b = app.add(&admin, "Computer", json!({"name": "pc-ent2", "entities_id": b})).await;
    let monitor_a = app.add(&admin, "Monitor", json!({"name": "mon-a", "entities_id": a})).await;
    let ticket_a = app
        .add(&admin, "Ticket", json!({"name": "A", "content": "a", "entities_id": a, "_users_id_requester": ssa}))
        .await;
    let ticket_b = app.add(&admin, "Ticket", json!({"name": "B", "content": "b", "entities_id": b})).await;
    World { app, admin, a, b, ssa, techc, ticket_a, ticket_b, pc_a, pc_b, monitor_a }
}

fn refused(r: &Resp, code: &str) {
    assert_eq!(r.status, 400, "{}", r.text);
    assert_eq!(r.code(), code, "{}", r.text);
}

async fn field(app: &TestApp, admin: &str, path: &str, key: &str) -> Value {
    app.get(path, admin).await.body[key].clone()
}

#[actix_web::test]
async fn a_user_is_edited_only_by_someone_holding_their_rights_everywhere() {
    let w = world().await;
    let app = &w.app;
    let tech = app.login("techc", PW).await;
    assert_eq!(app.get("/User/1", &tech).await.status, 403);
    let r = app.put("/User/1", &tech, json!({"input": {"password": "owned-pw-1", "password2": "owned-pw-1"}})).await;
    refused(&r, "ERROR_GLPI_UPDATE");
    for input in [json!({"is_active": 0}), json!({"name": "renamed"}), json!({"_reset_api_token": 1})] {
        refused(&app.put("/User/1", &tech, json!({ "input": input })).await, "ERROR_GLPI_UPDATE");
    }
    refused(&app.delete("/User/1?force_purge=1", &tech, None).await, "ERROR_GLPI_DELETE");
    assert_eq!(field(app, &w.admin, "/User/1", "name").await, "admin");
    assert_eq!(field(app, &w.admin, "/User/1", "is_active").await, 1);
    app.login("admin", ADMIN_PW).await;
    // A user of B with the same rights as techc is within reach; an Admin of B is not.
    let peer = app.user(&w.admin, "peer_b", TECHNICIAN, w.b, false).await;
    let boss = app.user(&w.admin, "boss_b", ADMIN, w.b, false).await;
    assert_eq!(app.put(&format!("/User/{peer}"), &tech, json!({"input": {"phone": "01"}})).await.status, 200);
    let r = app.put(&format!("/User/{boss}"), &tech, json!({"input": {"phone": "01"}})).await;
    refused(&r, "ERROR_GLPI_UPDATE");
    // The same user with a second profile in A, where techc has none, is out of reach too.
    app.add(&w.admin, "Profile_User", json!({"users_id": peer, "profiles_id": SELF_SERVICE, "entities_id": w.a})).await;
    refused(&app.put(&format!("/User/{peer}"), &tech, json!({"input": {"phone": "02"}})).await, "ERROR_GLPI_UPDATE");
    // Their e-mails are edits of them.
    let r = app.post("/UserEmail", &tech, json!({"input": {"users_id": boss, "email": "x@evil.example"}})).await;
    refused(&r, "ERROR_GLPI_ADD");
}

#[actix_web::test]
async fn a_profile_is_granted_only_if_no_stronger_than_the_granters() {
    let w = world().await;
    let app = &w.app;
    let tech = app.login("techc", PW).await;
    let grant = |p: i64, e: i64, rec: i64| json!({"input": {"users_id": w.techc, "profiles_id": p, "entities_id": e, "is_recursive": rec}});
    refused(&app.post("/Profile_User", &tech, grant(SUPER_ADMIN, w.b, 1)).await, "ERROR_GLPI_ADD");
    refused(&app.post("/Profile_User", &tech, grant(ADMIN, w.b, 0)).await, "ERROR_GLPI_ADD");
    // No grant in an entity the granter lacks, nor recursively below a non-recursive one.
    refused(&app.post("/Profile_User", &tech, grant(SELF_SERVICE, w.a, 0)).await, "ERROR_GLPI_ADD");
    let own = app.get(&format!("/User/{}/Profile_User", w.techc), &w.admin).await.body[0]["id"].as_i64().unwrap();
    let r = app.put(&format!("/Profile_User/{own}"), &tech, json!({"input": {"profiles_id": SUPER_ADMIN}})).await;
    refused(&r, "ERROR_GLPI_UPDATE");
    assert_eq!(field(app, &w.admin, &format!("/Profile_User/{own}"), "profiles_id").await, TECHNICIAN);
    let r = app.post("/changeActiveProfile", &tech, json!({"profiles_id": SUPER_ADMIN})).await;
    assert_eq!(r.status, 404, "{}", r.text);
    // A weaker profile in the granter's own entity is fine.
    assert_eq!(app.post("/Profile_User", &tech, grant(SELF_SERVICE, w.b, 0)).await.status, 201);
    // The Super-Admin's own assignment cannot be taken away by a technician.
    let sa = app.get("/User/1/Profile_User", &w.admin).await.body[0]["id"].as_i64().unwrap();
    refused(&app.delete(&format!("/Profile_User/{sa}"), &tech, None).await, "ERROR_GLPI_DELETE");
}

#[actix_web::test]
async fn only_the_super_admin_edits_profiles() {
    let w = world().await;
    let app = &w.app;
    app.user(&w.admin, "adm_root", ADMIN, 0, true).await;
    let adm = app.login("adm_root", PW).await;
    refused(&app.post("/Profile", &adm, json!({"input": {"name": "evil"}})).await, "ERROR_GLPI_ADD");
    refused(&app.put("/Profile/6", &adm, json!({"input": {"name": "evil"}})).await, "ERROR_GLPI_UPDATE");
    assert_eq!(app.post("/Profile", &w.admin, json!({"input": {"name": "Région"}})).await.status, 201);
}

#[actix_web::test]
async fn private_followups_and_tasks_stay_private_in_search() {
    let w = world().await;
    let app = &w.app;
    for (it, content, private) in [
        ("ITILFollowup", "public followup", 0),
        ("ITILFollowup", "PRIVATE tech note", 1),
        ("TicketTask", "PRIVATE TASK", 1),
        ("TicketTask", "public task", 0),
    ] {
        let parent = if it == "ITILFollowup" {
            json!({"itemtype": "Ticket", "items_id": w.ticket_a})
        } else {
            json!({"tickets_id": w.ticket_a})
        };
        let mut input = parent;
        input["content"] = json!(content);
        input["is_private"] = json!(private);
        app.add(&w.admin, it, input).await;
    }
    let ss = app.login("ssa", PW).await;
    let r = app
        .get("/search/Ticket?criteria[0][field]=25&criteria[0][searchtype]=contains&criteria[0][value]=PRIVATE", &ss)
        .await;
    assert_eq!(r.body["totalcount"], 0, "the criterion is no oracle: {}", r.text);
    let r = app
        .get("/search/Ticket?criteria[0][field]=26&criteria[0][searchtype]=contains&criteria[0][value]=PRIVATE", &ss)
        .await;
    assert_eq!(r.body["totalcount"], 0, "{}", r.text);
    let r = app.get("/search/Ticket?forcedisplay[0]=25&forcedisplay[1]=26&forcedisplay[2]=91&forcedisplay[3]=27&forcedisplay[4]=28", &ss).await;
    assert_eq!(r.body["totalcount"], 1, "{}", r.text);
    let row = &r.body["data"][0];
    assert_eq!(row["25"], "public followup", "{}", r.text);
    assert_eq!(row["26"], "public task", "{}", r.text);
    assert_eq!(row["91"], "0");
    // Count options count the rows the reader may see (GLPI's datatype "count").
    assert_eq!(row["27"], "1", "{}", r.text);
    assert_eq!(row["28"], "1", "{}", r.text);
    let r = app.get(&format!("/search/Ticket?forcedisplay[0]=27&forcedisplay[1]=28&criteria[0][field]=2&criteria[0][searchtype]=equals&criteria[0][value]={}", w.ticket_a), &w.admin).await;
    assert_eq!(r.body["data"][0]["27"], "2", "{}", r.text);
    assert_eq!(r.body["data"][0]["28"], "2", "{}", r.text);
}

#[actix_web::test]
async fn both_sides_of_a_relation_must_be_visible_to_the_writer() {
    let w = world().await;
    let app = &w.app;
    let tech = app.login("techb", PW).await;
    let r = app
        .post(
            "/Item_Ticket",
            &tech,
            json!({"input": {"tickets_id": w.ticket_b, "itemtype": "Computer", "items_id": w.pc_a}}),
        )
        .await;
    refused(&r, "ERROR_GLPI_ADD");
    let r = app
        .post(
            "/Computer_Item",
            &tech,
            json!({"input": {"computers_id": w.pc_b, "itemtype": "Monitor", "items_id": w.monitor_a}}),
        )
        .await;
    refused(&r, "ERROR_GLPI_ADD");
    assert_eq!(app.get(&format!("/Computer/{}/Item_Ticket", w.pc_a), &w.admin).await.body, json!([]));
    // Own items link as before, and an existing link cannot be swung to the other side.
    let link = app
        .add(&tech, "Item_Ticket", json!({"tickets_id": w.ticket_b, "itemtype": "Computer", "items_id": w.pc_b}))
        .await;
    let r = app.put(&format!("/Item_Ticket/{link}"), &tech, json!({"input": {"items_id": w.pc_a}})).await;
    refused(&r, "ERROR_GLPI_UPDATE");
    assert_eq!(field(app, &w.admin, &format!("/Item_Ticket/{link}"), "items_id").await, w.pc_b);
    // A link column to another lycée's item (a location, a user) is refused the same way.
    let loc_a = app.add(&w.admin, "Location", json!({"name": "CDI", "entities_id": w.a})).await;
    let r = app.put(&format!("/Computer/{}", w.pc_b), &tech, json!({"input": {"locations_id": loc_a}})).await;
    refused(&r, "ERROR_GLPI_UPDATE");
    let r = app.put(&format!("/Computer/{}", w.pc_b), &tech, json!({"input": {"users_id": w.ssa}})).await;
    refused(&r, "ERROR_GLPI_UPDATE");
}

#[actix_web::test]
async fn self_service_sets_only_the_helpdesk_fields_of_a_new_ticket() {
    let w = world().await;
    let app = &w.app;
    let ss = app.login("ssa", PW).await;
    let r = app
        .post(
            "/Ticket",
            &ss,
            json!({"input": {"name": "f", "content": "x", "users_id_recipient": w.techc, "_users_id_assign": w.techc,
                "status": 6, "priority": 6, "is_deleted": 1, "date": "2001-01-01 00:00:00", "_users_id_requester": 1}}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    let id = r.body["id"].as_i64().unwrap();
    let t = app.get(&format!("/Ticket/{id}"), &w.admin).await.body;
    assert_eq!(t["status"], 1);
    assert_eq!(t["users_id_recipient"], w.ssa);
    assert_eq!(t["priority"], 3);
    assert_eq!(t["is_deleted"], 0);
    assert_ne!(t["date"], "2001-01-01 00:00:00");
    let actors = app.get(&format!("/Ticket/{id}/Ticket_User"), &w.admin).await.body;
    let actors: Vec<(i64, i64)> = actors
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["users_id"].as_i64().unwrap(), a["type"].as_i64().unwrap()))
        .collect();
    assert_eq!(actors, vec![(w.ssa, 1)], "only the requester herself");
    // Observers of another lycée are refused.
    let r =
        app.post("/Ticket", &ss, json!({"input": {"name": "o", "content": "x", "_users_id_observer": w.techc}})).await;
    refused(&r, "ERROR_GLPI_ADD");
}

#[actix_web::test]
async fn self_service_updates_no_ticket_even_its_own_new_one() {
    let w = world().await;
    let app = &w.app;
    let ss = app.login("ssa", PW).await;
    let id = app.add(&ss, "Ticket", json!({"name": "x", "content": "x", "_users_id_requester": w.ssa})).await;
    for input in
        [json!({"priority": 6}), json!({"is_deleted": 1}), json!({"_users_id_assign": w.techc}), json!({"name": "y"})]
    {
        refused(&app.put(&format!("/Ticket/{id}"), &ss, json!({ "input": input })).await, "ERROR_GLPI_UPDATE");
    }
    let t = app.get(&format!("/Ticket/{id}"), &w.admin).await.body;
    assert_eq!((t["name"].clone(), t["status"].clone(), t["is_deleted"].clone()), (json!("x"), json!(1), json!(0)));
}

#[actix_web::test]
async fn assignment_needs_the_assign_right() {
    let w = world().await;
    let app = &w.app;
    // Technicians hold OWN (take a ticket) but not ASSIGN (give it to someone else).
    let tech = app.login("techb", PW).await;
    let peer = app.user(&w.admin, "peer_b", TECHNICIAN, w.b, false).await;
    let r = app
        .post("/Ticket_User", &tech, json!({"input": {"tickets_id": w.ticket_b, "users_id": peer, "type": 2}}))
        .await;
    refused(&r, "ERROR_GLPI_ADD");
    let id = app.add(&tech, "Ticket", json!({"name": "x", "content": "x", "_users_id_assign": peer})).await;
    assert_eq!(
        app.get(&format!("/Ticket/{id}/Ticket_User"), &w.admin)
            .await
            .body
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["type"] == 2)
            .count(),
        0
    );
    let techb_id = app.get("/getFullSession", &tech).await.body["session"]["glpiID"].as_i64().unwrap();
    let r = app
        .post("/Ticket_User", &tech, json!({"input": {"tickets_id": w.ticket_b, "users_id": techb_id, "type": 2}}))
        .await;
    assert_eq!(r.status, 201, "a technician takes a ticket: {}", r.text);
    // The Super-Admin assigns anyone.
    let r = app
        .post("/Ticket_User", &w.admin, json!({"input": {"tickets_id": w.ticket_b, "users_id": peer, "type": 2}}))
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
}

#[actix_web::test]
async fn followup_author_date_and_privacy_are_set_by_the_server() {
    let w = world().await;
    let app = &w.app;
    let ss = app.login("ssa", PW).await;
    let id = app
        .add(
            &ss,
            "ITILFollowup",
            json!({"itemtype": "Ticket", "items_id": w.ticket_a, "content": "as admin", "users_id": 1, "is_private": 1,
                "date": "2001-01-01 00:00:00"}),
        )
        .await;
    let f = app.get(&format!("/ITILFollowup/{id}"), &w.admin).await.body;
    assert_eq!(f["users_id"], w.ssa);
    assert_eq!(f["is_private"], 0);
    assert_ne!(f["date"], "2001-01-01 00:00:00");
    // An observer adds followups only to tickets it requested or observes.
    app.user(&w.admin, "obs", OBSERVER, 0, true).await;
    let obs = app.login("obs", PW).await;
    let r = app
        .post("/ITILFollowup", &obs, json!({"input": {"itemtype": "Ticket", "items_id": w.ticket_b, "content": "x"}}))
        .await;
    refused(&r, "ERROR_GLPI_ADD");
}

#[actix_web::test]
async fn the_entity_tree_refuses_cycles() {
    let w = world().await;
    let app = &w.app;
    let child = app.add(&w.admin, "Entity", json!({"name": "Annexe", "entities_id": w.a})).await;
    refused(
        &app.put(&format!("/Entity/{}", w.a), &w.admin, json!({"input": {"entities_id": w.a}})).await,
        "ERROR_GLPI_UPDATE",
    );
    refused(
        &app.put(&format!("/Entity/{}", w.a), &w.admin, json!({"input": {"entities_id": child}})).await,
        "ERROR_GLPI_UPDATE",
    );
    refused(&app.put("/Entity/0", &w.admin, json!({"input": {"entities_id": w.a}})).await, "ERROR_GLPI_UPDATE");
    let r = app.get("/getMyEntities?is_recursive=1", &w.admin).await;
    assert_eq!(r.body["myentities"].as_array().unwrap().len(), 4, "{}", r.text);
    // A legitimate move keeps the descendants' complete names right.
    assert_eq!(
        app.put(&format!("/Entity/{}", w.a), &w.admin, json!({"input": {"entities_id": w.b}})).await.status,
        200
    );
    assert_eq!(
        field(app, &w.admin, &format!("/Entity/{child}"), "completename").await,
        "Région > Entity B > Entity A > Annexe"
    );
    assert_eq!(field(app, &w.admin, &format!("/Entity/{child}"), "level").await, 4);
    // An entity with sub-entities is not deleted from under them.
    refused(&app.delete(&format!("/Entity/{}", w.b), &w.admin, None).await, "ERROR_GLPI_DELETE");
}

#[actix_web::test]
async fn items_in_a_missing_entity_are_refused() {
    let w = world().await;
    let app = &w.app;
    refused(
        &app.post("/Computer", &w.admin, json!({"input": {"name": "ghost", "entities_id": 999}})).await,
        "ERROR_GLPI_ADD",
    );
    refused(
        &app.put(&format!("/Computer/{}", w.pc_a), &w.admin, json!({"input": {"entities_id": 999}})).await,
        "ERROR_GLPI_UPDATE",
    );
    // A technician cannot move its item to a lycée it does not have.
    let tech = app.login("techb", PW).await;
    refused(
        &app.put(&format!("/Computer/{}", w.pc_b), &tech, json!({"input": {"entities_id": w.a}})).await,
        "ERROR_GLPI_UPDATE",
    );
    assert_eq!(field(app, &w.admin, &format!("/Computer/{}", w.pc_b), "entities_id").await, w.b);
}

#[actix_web::test]
async fn a_deleted_entity_takes_its_profile_assignments_with_it() {
    let w = world().await;
    let app = &w.app;
    let gone = app.entity(&w.admin, "Fermé").await;
    let u = app.user(&w.admin, "tech_gone", TECHNICIAN, gone, false).await;
    app.add(&w.admin, "Profile_User", json!({"users_id": u, "profiles_id": TECHNICIAN, "entities_id": w.b})).await;
    let t = app.login("tech_gone", PW).await;
    assert_eq!(app.delete(&format!("/Entity/{gone}"), &w.admin, None).await.status, 200);
    let pus = app.get(&format!("/User/{u}/Profile_User"), &w.admin).await.body;
    assert!(pus.as_array().unwrap().iter().all(|p| p["entities_id"] != gone), "{pus}");
    // The session still answers, without the lost entity and without a 500.
    let r = app.get("/Computer", &t).await;
    assert!(r.status.as_u16() < 500, "{}", r.text);
}

#[actix_web::test]
async fn purging_a_user_removes_its_profile_assignments() {
    let w = world().await;
    let app = &w.app;
    let u = app.user(&w.admin, "leaver", TECHNICIAN, w.b, false).await;
    app.add(&w.admin, "UserEmail", json!({"users_id": u, "email": "leaver@lycee.example"})).await;
    assert_eq!(app.delete(&format!("/User/{u}?force_purge=1"), &w.admin, None).await.status, 200);
    // Orphans are hidden from the API by the scope, so count them in the database itself.
    for table in ["profiles_users", "useremails"] {
        let n = count(app, &format!("SELECT COUNT(*) AS n FROM \"{table}\" WHERE \"users_id\" = {u}"));
        assert_eq!(n, 0, "{table} rows of the purged user");
    }
}

fn count(app: &TestApp, sql: &str) -> i64 {
    let db = parc::db::Db::open(&app.db.url, 1).unwrap();
    let mut c = db.pool.get().unwrap();
    let mut q = parc::db::sql::Sql::new(c.backend());
    q.push(sql);
    q.load_ints(&mut c).unwrap()[0]
}

#[actix_web::test]
async fn a_sub_row_moved_to_another_user_needs_that_users_rights_too() {
    let w = world().await;
    let app = &w.app;
    let tech = app.login("techc", PW).await;
    let peer = app.user(&w.admin, "peer_b", TECHNICIAN, w.b, false).await;
    let boss = app.user(&w.admin, "boss_b", ADMIN, w.b, false).await;
    let mail = app.add(&tech, "UserEmail", json!({"users_id": peer, "email": "peer@lycee.example"})).await;
    let r = app.put(&format!("/UserEmail/{mail}"), &tech, json!({"input": {"users_id": boss}})).await;
    refused(&r, "ERROR_GLPI_UPDATE");
    assert_eq!(field(app, &w.admin, &format!("/UserEmail/{mail}"), "users_id").await, peer);
}
