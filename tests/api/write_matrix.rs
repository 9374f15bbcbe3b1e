//! The isolation matrix for writes, generated from the itemtype declarations: every
//! entity-bound itemtype × add / update / delete / purge / entity move / relation side ×
//! Self-Service, Observer, Technician and Admin of lycée A × lycée A and lycée B.
//! A new itemtype is covered without writing a test: its sample rows are built from its
//! declared columns, parent and links.
//!
//! Must hold: nothing of lycée B is ever created, changed or removed by a user of A (with
//! GLPI's `400 ERROR_GLPI_*` answer), and no probe on A answers a 5xx.

use crate::helpers::*;
use parc::itemtypes::{self, FieldType, ItemTypeDef, Kind, Parent};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

const ADMIN_PROFILE: i64 = 3;
const PW: &str = "password-123";

/// Itemtypes whose rows belong to an entity, directly or through their parent.
fn entity_bound(def: &ItemTypeDef) -> bool {
    def.name != "Log" && (def.has("entities_id") || def.parent != Parent::None || def.name == "User")
}

/// Sub-items whose entity is their parent's (a disk, a port): they do not move alone.
fn inherits_entity(def: &ItemTypeDef) -> bool {
    def.kind == Kind::Relation
        && match def.parent {
            Parent::Poly => true,
            Parent::Fk { itemtype, .. } => {
                itemtypes::find(itemtype).is_some_and(|p| p.has("entities_id") && p.name != "User")
            }
            Parent::None => false,
        }
}

/// Builds sample rows (and their parents) as the Super-Admin.
struct Samples<'a> {
    app: &'a TestApp,
    admin: &'a str,
    n: usize,
    /// One user per lycée (a technician there), target of user links.
    users: HashMap<i64, i64>,
}

impl Samples<'_> {
    fn name(&mut self, def: &ItemTypeDef) -> String {
        self.n += 1;
        format!("m-{}-{}", def.name.to_lowercase(), self.n)
    }

    /// A user with a Technician profile on `entity` only.
    async fn user(&mut self, entity: i64) -> i64 {
        self.n += 1;
        self.app.user(self.admin, &format!("victim{}", self.n), TECHNICIAN, entity, false).await
    }

    async fn entity_user(&mut self, entity: i64) -> i64 {
        if let Some(u) = self.users.get(&entity) {
            return *u;
        }
        let u = self.user(entity).await;
        // The lycée's OPTIC agent, so that interventions may be logged for it there.
        self.app.add(self.admin, "PluginOpticAssignment", json!({"users_id": u, "entities_id": entity})).await;
        self.users.insert(entity, u);
        u
    }

    /// An existing row of `def` in `entity`.
    async fn row(&mut self, def: &'static ItemTypeDef, entity: i64) -> i64 {
        if def.name == "User" {
            return self.user(entity).await;
        }
        let input = Box::pin(self.input(def, entity)).await;
        let r = self.app.post(&format!("/{}", def.name), self.admin, json!({ "input": input })).await;
        assert_eq!(r.status, 201, "sample {} in {entity}: {} from {input}", def.name, r.text);
        r.body["id"].as_i64().unwrap()
    }

    /// The input of a new row of `def` in `entity`, its parent and linked rows created there.
    async fn input(&mut self, def: &'static ItemTypeDef, entity: i64) -> Value {
        let mut o = Map::new();
        if def.has("name") {
            o.insert("name".into(), json!(self.name(def)));
        }
        if def.has("entities_id") {
            o.insert("entities_id".into(), json!(entity));
        }
        if let Parent::Fk { column, itemtype } = def.parent {
            let parent = itemtypes::find(itemtype).unwrap();
            let id = if itemtype == "User" { self.entity_user(entity).await } else { self.row(parent, entity).await };
            o.insert(column.into(), json!(id));
        }
        if def.has("itemtype") && def.has("items_id") {
            let ty = match (def.name, def.parent) {
                ("ITILFollowup" | "ITILSolution", _) => "Ticket",
                ("Computer_Item", _) => "Monitor",
                _ => "Computer",
            };
            let id = self.row(itemtypes::find(ty).unwrap(), entity).await;
            o.insert("itemtype".into(), json!(ty));
            o.insert("items_id".into(), json!(id));
        }
        for f in def.columns() {
            if o.contains_key(f.name) || f.name == "id" {
                continue;
            }
            // Relations name their other side by `<table>_id`: link it in the same lycée.
            let target = itemtypes::fk_target(f.name).filter(|t| format!("{}_id", t.table) == f.name);
            match target {
                Some(t) if def.kind == Kind::Relation && entity_bound(t) && t.name != def.name => {
                    let id = if t.name == "User" { self.entity_user(entity).await } else { self.row(t, entity).await };
                    o.insert(f.name.into(), json!(id));
                }
                _ if f.name == "profiles_id" && def.name == "Profile_User" => {
                    o.insert(f.name.into(), json!(SELF_SERVICE));
                }
                _ if f.required => {
                    let v = if f.ty == FieldType::Int { json!(1) } else { json!(self.name(def)) };
                    o.insert(f.name.into(), v);
                }
                _ => {}
            }
        }
        match def.name {
            "Ticket" | "ITILFollowup" | "TicketTask" | "ITILSolution" => {
                o.insert("content".into(), json!("matrix"));
            }
            "Ticket_User" | "Group_Ticket" => {
                o.insert("type".into(), json!(1));
            }
            "PluginOpticIntervention" => {
                // One day per sample: an agent's visits never overlap.
                self.n += 1;
                let day = chrono::NaiveDate::from_ymd_opt(2020, 1, 1).unwrap() + chrono::Days::new(self.n as u64);
                o.insert("date_begin".into(), json!(format!("{day} 09:00:00")));
                o.insert("date_end".into(), json!(format!("{day} 11:00:00")));
                o.insert("users_id".into(), json!(self.entity_user(entity).await));
            }
            "Lockedfield" => {
                o.insert("field".into(), json!("name"));
            }
            "UserEmail" => {
                o.insert("email".into(), json!(format!("{}@lycee.example", self.name(def))));
            }
            _ => {}
        }
        Value::Object(o)
    }
}

/// A column an update can change harmlessly, with the value to write.
fn editable(def: &ItemTypeDef) -> (&'static str, Value) {
    for c in ["comment", "content", "name", "value", "email"] {
        if let Some(f) = def.column(c) {
            return (f.name, json!("pwned"));
        }
    }
    if let Some(f) = def.columns().iter().find(|f| f.ty == FieldType::Str && !def.hidden.contains(&f.name)) {
        return (f.name, json!("pwned"));
    }
    // Relations without text (Group_Ticket): change the kind of link (3: observer).
    let f = def.columns().iter().find(|f| f.name != "id" && !f.name.contains("_id")).expect("a plain column");
    (f.name, json!(3))
}

struct Tally {
    probes: usize,
    refused_other: usize,
    own_done: usize,
    own_refused: usize,
}

fn assert_refused(r: &Resp, code: &str, what: &str) {
    assert_eq!(r.status, 400, "{what}: {}", r.text);
    assert_eq!(r.code(), code, "{what}: {}", r.text);
}

#[actix_web::test]
async fn no_profile_of_one_lycee_writes_to_another() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let a = app.entity(&admin, "Lycée A").await;
    let b = app.entity(&admin, "Lycée B").await;
    let profiles = [("ss", SELF_SERVICE), ("obs", OBSERVER), ("tech", TECHNICIAN), ("adm", ADMIN_PROFILE)];
    let mut sessions = Vec::new();
    for (login, p) in profiles {
        app.user(&admin, login, p, a, false).await;
        sessions.push((login, app.login(login, PW).await));
    }
    let mut samples = Samples { app: &app, admin: &admin, n: 0, users: HashMap::new() };
    let mut t = Tally { probes: 0, refused_other: 0, own_done: 0, own_refused: 0 };
    let defs: Vec<&'static ItemTypeDef> = itemtypes::ALL.iter().filter(|d| entity_bound(d)).collect();
    for def in &defs {
        let it = def.name;
        let (col, value) = editable(def);
        for (login, tok) in &sessions {
            let what = |op: &str| format!("{login} {op} {it}");
            // Another lycée: every write refused, nothing changed.
            let victim = samples.row(def, b).await;
            let before = app.get(&format!("/{it}/{victim}"), &admin).await.body;
            let input = samples.input(def, b).await;
            let r = app.post(&format!("/{it}"), tok, json!({ "input": input })).await;
            assert_refused(&r, "ERROR_GLPI_ADD", &what("add in B"));
            let r = app.put(&format!("/{it}/{victim}"), tok, json!({"input": { col: value.clone() }})).await;
            assert_refused(&r, "ERROR_GLPI_UPDATE", &what("update in B"));
            let r = app.delete(&format!("/{it}/{victim}"), tok, None).await;
            assert_refused(&r, "ERROR_GLPI_DELETE", &what("delete in B"));
            let r = app.delete(&format!("/{it}/{victim}?force_purge=1"), tok, None).await;
            assert_refused(&r, "ERROR_GLPI_DELETE", &what("purge in B"));
            let after = app.get(&format!("/{it}/{victim}"), &admin).await.body;
            assert_eq!(before, after, "{}: the row of B changed", what("writes"));
            t.probes += 4;
            t.refused_other += 4;

            // Own lycée: no 5xx; what is refused is refused in GLPI's words.
            let own = samples.row(def, a).await;
            let input = samples.input(def, a).await;
            let r = app.post(&format!("/{it}"), tok, json!({ "input": input })).await;
            own_probe(&mut t, &r, 201, "ERROR_GLPI_ADD", &what("add in A"));
            let r = app.put(&format!("/{it}/{own}"), tok, json!({"input": { col: value.clone() }})).await;
            let updated = r.status == 200;
            own_probe(&mut t, &r, 200, "ERROR_GLPI_UPDATE", &what("update in A"));
            // Moving an own row to B, or pointing it at B's side of a relation.
            if def.has("entities_id") && !inherits_entity(def) && updated {
                let r = app.put(&format!("/{it}/{own}"), tok, json!({"input": {"entities_id": b}})).await;
                assert_refused(&r, "ERROR_GLPI_UPDATE", &what("move to B"));
                t.probes += 1;
                t.refused_other += 1;
            }
            if def.has("itemtype") && def.has("items_id") {
                let mut input = samples.input(def, a).await;
                let ty = input["itemtype"].as_str().unwrap().to_string();
                input["items_id"] = json!(samples.row(itemtypes::find(&ty).unwrap(), b).await);
                let r = app.post(&format!("/{it}"), tok, json!({ "input": input })).await;
                assert_refused(&r, "ERROR_GLPI_ADD", &what("link to B's side"));
                t.probes += 1;
                t.refused_other += 1;
            }
            let r = app.delete(&format!("/{it}/{own}?force_purge=1"), tok, None).await;
            own_probe(&mut t, &r, 200, "ERROR_GLPI_DELETE", &what("purge in A"));
            // The Admin of A manages the lycée's assets and tickets.
            if *login == "adm" && (def.kind == Kind::Asset || it == "Ticket") {
                assert_eq!(r.status, 200, "{}: {}", what("purge in A"), r.text);
            }
        }
    }
    println!(
        "write matrix: {} itemtypes × {} profiles, {} probes ({} on the other lycée, all refused; {} done and {} refused on the own lycée)",
        defs.len(),
        sessions.len(),
        t.probes,
        t.refused_other,
        t.own_done,
        t.own_refused
    );
}

fn own_probe(t: &mut Tally, r: &Resp, ok: u16, code: &str, what: &str) {
    t.probes += 1;
    assert!(r.status.as_u16() < 500, "{what}: {}", r.text);
    if r.status.as_u16() == ok {
        t.own_done += 1;
    } else {
        assert_refused(r, code, what);
        t.own_refused += 1;
    }
}
