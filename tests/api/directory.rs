//! The establishment directory: annuaire and AAF sync, the tree and the people it builds,
//! isolation between lycées on both APIs, the establishments API, CAS sign-on.

use crate::helpers::*;
use parc::directory::sync::{self, Format, Input, Report};
use parc::itemtypes::store::Actor;
use reqwest::Method;
use serde_json::{json, Value};

const FIX: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/directory/");
const ETAB: &str = "aaf/ENT_IDFTEST_Complet_20250901_EtabEducNat_0000.xml";
const PERS: &str = "aaf/ENT_IDFTEST_Complet_20250901_PersEducNat_0000.xml";
const ETAB_DELTA: &str = "aaf/ENT_IDFTEST_Delta_20250902_EtabEducNat_0000.xml";
const PERS_DELTA: &str = "aaf/ENT_IDFTEST_Delta_20250902_PersEducNat_0000.xml";
const ANNUAIRE_JSON: &str = "annuaire/annuaire_api_records_lycees_idf.json";
const MELUN: &str = "0770934X";
const CHAPTAL: &str = "0750663N";
const CORBUSIER: &str = "0930117X";

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIX}{name}")).unwrap()
}

fn db(app: &TestApp) -> parc::db::Db {
    parc::db::Db::open(&app.db.url, 1).unwrap()
}

/// What `parc directory sync` does, through the library.
fn sync_bytes(app: &TestApp, files: Vec<(&str, Vec<u8>)>) -> Report {
    let inputs = files.into_iter().map(|(n, b)| Input { name: n.into(), bytes: b, format: Format::Auto }).collect();
    let mut c = db(app).pool.get().unwrap();
    sync::run(&mut c, inputs, false, &Actor::system(), &mut |_, _, _| {})
}

fn sync(app: &TestApp, files: &[&str]) -> Report {
    sync_bytes(app, files.iter().map(|f| (*f, fixture(f))).collect())
}

fn totals(r: &Report) -> [usize; 6] {
    r.totals()
}

/// The real binary, as cron runs it.
fn cli(app: &TestApp, args: &[&str]) -> (bool, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_parc"))
        .args(["directory", "sync"])
        .args(args)
        .env("PARC_DATABASE_URL", &app.db.url)
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn sql_int(app: &TestApp, q: &str) -> i64 {
    let mut c = db(app).pool.get().unwrap();
    let mut s = parc::db::sql::Sql::new(c.backend());
    s.push(q);
    s.load_ints(&mut c).unwrap()[0]
}

/// A native bearer token (user API token) for a directory user, who has no password.
fn api_token(app: &TestApp, login: &str) -> String {
    let mut c = db(app).pool.get().unwrap();
    let u = parc::auth::session::user_by_login(&mut c, login).unwrap().expect(login);
    parc::auth::session::reset_api_token(&mut c, u.id as i64).unwrap()
}

async fn glpi_session(app: &TestApp, api_token: &str) -> Resp {
    app.raw(
        app.client
            .get(format!("{}/apirest.php/initSession", app.base))
            .header("Authorization", format!("user_token {api_token}")),
    )
    .await
}

async fn native(app: &TestApp, method: Method, path: &str, token: &str, body: Option<Value>) -> Resp {
    let mut rb = app.client.request(method, format!("{}/api/v1{path}", app.base)).bearer_auth(token);
    if let Some(b) = body {
        rb = rb.json(&b);
    }
    app.raw(rb).await
}

async fn entity_by_tag(app: &TestApp, admin: &str, tag: &str) -> Value {
    let r = app.get(&format!("/Entity?searchText[tag]=^{tag}$"), admin).await;
    r.body[0].clone()
}

#[actix_web::test]
async fn uai_vectors_through_the_api() {
    let app = spawn_app().await;
    let t = app.admin().await;
    let csv = String::from_utf8(fixture("uai/uai_test_vectors.csv")).unwrap();
    for line in csv.lines().skip(1) {
        let f: Vec<&str> = line.split(';').collect();
        let path = format!("/establishments/{}", f[0].replace(' ', "%20"));
        let r = native(&app, Method::GET, &path, &t, None).await;
        if f[1] == "true" {
            assert_eq!(r.status, 404, "{line}: valid, unknown: {}", r.text);
            assert!(r.body["message"].as_str().unwrap().contains(f[2]), "normalised: {}", r.text);
        } else {
            assert_eq!(r.status, 400, "{line}: {}", r.text);
            assert_eq!(r.body["error"], "bad_request");
        }
    }
    let r = native(&app, Method::GET, "/tickets?uai=0750654E", &t, None).await;
    assert_eq!(r.status, 400, "{}", r.text);
}

#[actix_web::test]
async fn sync_builds_the_tree_users_and_profiles_and_is_idempotent() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let files: Vec<String> = [PERS, ETAB, ANNUAIRE_JSON].iter().map(|f| format!("{FIX}{f}")).collect();
    let args: Vec<&str> = files.iter().map(String::as_str).collect();
    let (ok, out) = cli(&app, &args);
    assert!(ok, "{out}");
    assert!(out.contains("total: 9 added, 2 updated, 0 closed, 0 left, 0 unchanged, 0 rejected"), "{out}");
    assert!(out.contains("(staff absent from the complete PersEducNat files) (aaf-complete): 0 added"), "{out}");
    let logs = sql_int(&app, "SELECT COUNT(*) AS n FROM \"logs\"").await;
    // The same files again change nothing, not even the change log.
    let (ok, out) = cli(&app, &args);
    assert!(ok, "{out}");
    assert!(out.contains("total: 0 added, 0 updated, 0 closed, 0 left, 11 unchanged, 0 rejected"), "{out}");
    assert_eq!(sql_int(&app, "SELECT COUNT(*) AS n FROM \"logs\"").await, logs);
    // Région > académie > establishment, the UAI in the tag and the name.
    let creteil = entity_by_tag(&app, &admin, "academie:24").await;
    assert_eq!(creteil["name"], "Académie de Créteil");
    assert_eq!(creteil["entities_id"], 0);
    let melun = entity_by_tag(&app, &admin, MELUN).await;
    assert_eq!(melun["name"], "Lycée polyvalent Léonard de Vinci (0770934X)", "the annuaire's name wins");
    assert_eq!(melun["entities_id"], creteil["id"]);
    assert_eq!(melun["completename"], "Région > Académie de Créteil > Lycée polyvalent Léonard de Vinci (0770934X)");
    assert_eq!(melun["postcode"], "77000");
    assert_eq!(melun["registration_number"], "19770934800019");
    let paris = entity_by_tag(&app, &admin, "academie:01").await;
    assert_eq!(entity_by_tag(&app, &admin, CHAPTAL).await["entities_id"], paris["id"]);
    let corbusier = entity_by_tag(&app, &admin, CORBUSIER).await;
    assert_eq!(corbusier["entities_id"], creteil["id"], "AAF-only establishment under its académie");
    // People: users without password, function -> profile on the function's establishment.
    let users = app.get("/User?searchText[registration_number]=99000&range=0-50", &admin).await;
    assert_eq!(users.body.as_array().unwrap().len(), 6, "{}", users.text);
    let profiles = |login: &'static str| {
        let app = &app;
        let admin = admin.clone();
        async move {
            let u = app.get(&format!("/User?searchText[name]=^{login}$"), &admin).await.body[0].clone();
            let pus = app.get(&format!("/User/{}/Profile_User", u["id"]), &admin).await;
            let mut v: Vec<(i64, i64)> = pus
                .body
                .as_array()
                .unwrap()
                .iter()
                .map(|p| (p["profiles_id"].as_i64().unwrap(), p["entities_id"].as_i64().unwrap()))
                .collect();
            v.sort();
            (u, v)
        }
    };
    let melun_id = melun["id"].as_i64().unwrap();
    let (claire, p) = profiles("claire.martin").await;
    assert_eq!(p, vec![(SELF_SERVICE, melun_id)], "ENS");
    assert_eq!((claire["realname"].as_str(), claire["authtype"].as_i64()), (Some("MARTIN"), Some(5)));
    assert_eq!(profiles("philippe.lefevre").await.1, vec![(SELF_SERVICE, melun_id)], "DIR");
    assert_eq!(profiles("sophie.petit").await.1, vec![(SELF_SERVICE, melun_id)], "ADF (gestionnaire)");
    assert_eq!(profiles("thomas.dubois").await.1, vec![], "DOC: no profile by default");
    let lucas = profiles("lucas.garcia").await.1;
    assert_eq!(lucas, vec![(SELF_SERVICE, melun_id), (SELF_SERVICE, corbusier["id"].as_i64().unwrap())]);
    // Directory people cannot log in with a password.
    let r = app
        .raw(app.client.get(format!("{}/apirest.php/initSession", app.base)).basic_auth("claire.martin", Some("")))
        .await;
    assert_eq!(r.status, 401);
}

#[actix_web::test]
async fn deltas_apply_and_leavers_keep_their_history() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let r = sync(&app, &[ETAB, PERS]);
    assert_eq!(totals(&r), [9, 0, 0, 0, 0, 0], "{r:?}");
    let corbusier = entity_by_tag(&app, &admin, CORBUSIER).await["id"].as_i64().unwrap();
    let chaptal = entity_by_tag(&app, &admin, CHAPTAL).await["id"].as_i64().unwrap();
    // A ticket for Thomas Dubois (librarian, about to leave), opened by an admin.
    let thomas = app.get("/User?searchText[name]=^thomas.dubois$", &admin).await.body[0]["id"].as_i64().unwrap();
    let tid = app
        .add(
            &admin,
            "Ticket",
            json!({"name": "CDI", "content": "poste HS", "entities_id": chaptal, "_users_id_requester": thomas}),
        )
        .await;
    // Dry run first: the report, and nothing written.
    let mut c = db(&app).pool.get().unwrap();
    let inputs = [ETAB_DELTA, PERS_DELTA]
        .iter()
        .map(|f| Input { name: f.to_string(), bytes: fixture(f), format: Format::Auto })
        .collect();
    let dry = sync::run(&mut c, inputs, true, &Actor::system(), &mut |_, _, _| {});
    drop(c);
    assert!(dry.dry_run);
    assert_eq!(totals(&dry), [1, 2, 1, 1, 0, 0], "{dry:?}");
    assert!(dry.files[1].changes.contains(&"- person 9900004 thomas.dubois left".to_string()), "{dry:?}");
    assert_eq!(sync(&app, &[ETAB, PERS]).totals(), [0, 0, 0, 0, 9, 0], "the dry run wrote nothing");
    // The deltas.
    let r = sync(&app, &[PERS_DELTA, ETAB_DELTA]);
    assert_eq!(totals(&r), [1, 2, 1, 1, 0, 0], "{r:?}");
    assert_eq!(totals(&sync(&app, &[PERS_DELTA, ETAB_DELTA])), [0, 0, 0, 0, 5, 0], "deltas are idempotent too");
    // Replaying the older complete files with the delta changes nothing either: a request
    // older than the last change of its row is stale.
    assert_eq!(totals(&sync(&app, &[ETAB, PERS, ETAB_DELTA, PERS_DELTA])), [0, 0, 0, 0, 14, 0]);
    assert_eq!(totals(&sync(&app, &[ETAB, PERS])), [0, 0, 0, 0, 9, 0], "an old complete file undoes nothing");
    let t = app.admin().await;
    let r = native(&app, Method::GET, &format!("/establishments/{CHAPTAL}"), &t, None).await;
    assert_eq!(r.body["phone"], "+33 1 45 22 00 00", "modifyRequest replaced the phone: {}", r.text);
    let r = native(&app, Method::GET, &format!("/establishments/{CORBUSIER}"), &t, None).await;
    assert_eq!(r.body["state"], "closed", "deleteRequest closes: {}", r.text);
    assert_eq!(entity_by_tag(&app, &admin, CORBUSIER).await["id"], corbusier, "never deleted");
    // New person, change of attachment, a leaver who keeps history and tickets.
    assert_eq!(app.get("/User?searchText[name]=^ines.faure$", &admin).await.body[0]["is_active"], 1);
    let lucas = app.get("/User?searchText[name]=^lucas.garcia$", &admin).await.body[0]["id"].clone();
    let pus = app.get(&format!("/User/{lucas}/Profile_User"), &admin).await;
    assert_eq!(pus.body.as_array().unwrap().len(), 1, "{}", pus.text);
    let u = app.get(&format!("/User/{thomas}"), &admin).await;
    assert_eq!(u.body["is_active"], 0);
    assert_eq!(app.get(&format!("/User/{thomas}/Profile_User"), &admin).await.body, json!([]));
    let ticket = app.get(&format!("/Ticket/{tid}/Ticket_User"), &admin).await;
    assert_eq!(ticket.body[0]["users_id"], thomas, "the ticket stays with its requester");
    let logs = app.get(&format!("/User/{thomas}?with_logs=true"), &admin).await;
    assert!(logs.body["_logs"].as_object().unwrap().len() >= 2, "history kept: {}", logs.text);
    // A closed establishment takes no new ticket.
    let r =
        app.post("/Ticket", &admin, json!({"input": {"name": "x", "content": "y", "entities_id": corbusier}})).await;
    assert_eq!(r.status, 400);
    assert!(r.body[1].as_str().unwrap().contains("closed"), "{}", r.text);
    // Tickets now belong to establishments: not to the root or an académie.
    let r = app.post("/Ticket", &admin, json!({"input": {"name": "x", "content": "y", "entities_id": 0}})).await;
    assert_eq!(r.status, 400, "{}", r.text);
}

/// The complete PersEducNat file without one person's addRequest.
fn complete_staff_without(ids: &[&str]) -> Vec<u8> {
    let xml = String::from_utf8(fixture(PERS)).unwrap();
    let mut out = String::new();
    for (i, part) in xml.split("<addRequest>").enumerate() {
        if i > 0 && ids.iter().any(|id| part.contains(&format!("<id>{id}</id>"))) {
            out.push_str(&part[part.find("</addRequest>").unwrap() + "</addRequest>".len()..]);
            continue;
        }
        if i > 0 {
            out.push_str("<addRequest>");
        }
        out.push_str(part);
    }
    out.into_bytes()
}

#[actix_web::test]
async fn a_complete_staff_file_is_the_whole_directory() {
    let app = spawn_app().await;
    sync(&app, &[ETAB, PERS]);
    const NAME: &str = "ENT_IDFTEST_Complet_20250910_PersEducNat_0000.xml";
    // Nadia Rousseau is no longer in the complete export: she left.
    let r = sync_bytes(&app, vec![(NAME, complete_staff_without(&["9900005"]))]);
    let last = r.files.last().unwrap();
    assert_eq!((last.left, last.error.as_deref()), (1, None), "{r:?}");
    assert_eq!(last.changes, ["- person 9900005 nadia.rousseau left"]);
    assert_eq!(totals(&r), [0, 0, 0, 1, 5, 0]);
    assert_eq!(totals(&sync_bytes(&app, vec![(NAME, complete_staff_without(&["9900005"]))])), [0, 0, 0, 0, 5, 0]);
    // Files that lack most people are partial exports, not departures.
    let r = sync_bytes(
        &app,
        vec![(NAME, complete_staff_without(&["9900002", "9900003", "9900004", "9900005", "9900006"]))],
    );
    assert!(r.files.last().unwrap().error.as_deref().unwrap().contains("look partial"), "{r:?}");
    // A complete staff file that cannot be read: nobody is taken for gone.
    let r = sync_bytes(&app, vec![(NAME, b"<ficAlimMENESR><addRequest>".to_vec())]);
    assert!(r.files.last().unwrap().error.as_deref().unwrap().contains("not checked"), "{r:?}");
    assert_eq!(sql_int(&app, "SELECT COUNT(*) AS n FROM \"users\" WHERE \"is_active\" = 0").await, 1);
}

#[actix_web::test]
async fn bad_rows_are_rejected_alone_and_malformed_files_change_nothing() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    let upload = |body: Vec<u8>, query: &'static str, tok: String| {
        let app = &app;
        async move {
            app.raw(app.client.post(format!("{}/api/v1/directory/sync{query}", app.base)).bearer_auth(tok).body(body))
                .await
        }
    };
    let csv = "\u{feff}Identifiant_de_l_etablissement;Nom_etablissement;Code_departement;Code_academie;etat;date_ouverture\r\n\
               0750654D;Lycée Henri-IV;075;01;OUVERT;1965-05-01\r\n\
               0750654E;Mauvaise clé;075;01;OUVERT;1965-05-01\r\n\
               0750655E;Lycée Louis-le-Grand;075;01;OUVERT;01/05/1965\r\n\
               0782562L;Lycée Hoche;078;25;A FERMER;1965-05-01\r\n";
    let r = upload(csv.as_bytes().to_vec(), "?name=annuaire.csv", admin.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.body["files"][0]["added"], 2);
    let rejected: Vec<&str> =
        r.body["files"][0]["rejected"].as_array().unwrap().iter().map(|x| x["at"].as_str().unwrap()).collect();
    assert_eq!(rejected, ["line 3", "line 4"], "{}", r.text);
    let establishments = || sql_int(&app, "SELECT COUNT(*) AS n FROM \"establishments\"");
    let entities = || sql_int(&app, "SELECT COUNT(*) AS n FROM \"entities\"");
    let (n, e) = (establishments().await, entities().await);
    assert_eq!(n, 2);
    // A truncated AAF file, a CSV without UAI column, broken JSON: refused whole, nothing written.
    let mut truncated = fixture(ETAB);
    truncated.truncate(truncated.len() / 2);
    for (body, q) in [
        (truncated, "?format=aaf"),
        (b"nom;ville\r\nx;y\r\n".to_vec(), ""),
        (b"{\"results\": [{\"identifiant_de_l_etablissement\": \"0750654D\"".to_vec(), ""),
    ] {
        let r = upload(body, q, admin.clone()).await;
        assert_eq!(r.status, 422, "{}", r.text);
        assert!(r.body["files"][0]["error"].is_string(), "{}", r.text);
    }
    assert_eq!((establishments().await, entities().await), (n, e));
    // A dry run reports without writing.
    let r = upload(fixture(ETAB), "?dry_run=true", admin.clone()).await;
    assert_eq!(
        (r.status.as_u16(), r.body["dry_run"].clone(), r.body["files"][0]["added"].clone()),
        (200, json!(true), json!(3))
    );
    assert_eq!(establishments().await, n);
    // ISO-8859-15 is honoured: an accented name and the euro sign come back as UTF-8.
    let latin = String::from_utf8(fixture(ETAB)).unwrap().replace("LEONARD DE VINCI", "LÉONARD DE VINCI €");
    let (bytes, _, _) = encoding_rs::ISO_8859_15.encode(&latin);
    let r = upload(bytes.into_owned(), "", admin.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let t = native(&app, Method::GET, &format!("/establishments/{MELUN}"), &admin, None).await;
    assert_eq!(t.body["name"], "LYCEE POLYVALENT LÉONARD DE VINCI €", "{}", t.text);
    // Only the Région's super-admins may import.
    sync(&app, &[PERS]);
    let staff = api_token(&app, "claire.martin");
    let r = upload(fixture(ETAB), "", staff).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert_eq!(r.body["error"], "forbidden");
}

#[actix_web::test]
async fn staff_of_one_lycee_cannot_see_or_touch_another() {
    let app = spawn_app().await;
    let admin = app.admin().await;
    sync(&app, &[ANNUAIRE_JSON, ETAB, PERS, PERS_DELTA]);
    let melun = entity_by_tag(&app, &admin, MELUN).await["id"].as_i64().unwrap();
    let chaptal = entity_by_tag(&app, &admin, CHAPTAL).await["id"].as_i64().unwrap();
    let a = api_token(&app, "claire.martin"); // teacher in Melun
    let b = api_token(&app, "ines.faure"); // teacher at Chaptal (from the delta)
                                           // Each opens a ticket through the native API, on their own establishment by default.
    let r = native(&app, Method::POST, "/tickets", &a, Some(json!({"content": "vidéoprojecteur salle 12"}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!((r.body["uai"].as_str(), r.body["entities_id"].as_i64()), (Some(MELUN), Some(melun)));
    assert_eq!(r.body["establishment"], "Lycée polyvalent Léonard de Vinci");
    let ta = r.body["id"].as_i64().unwrap();
    let r = native(&app, Method::POST, "/tickets", &b, Some(json!({"content": "wifi CDI"}))).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let tb = r.body["id"].as_i64().unwrap();
    // A in B: refused on both APIs.
    let r = native(&app, Method::POST, "/tickets", &a, Some(json!({"content": "x", "entities_id": chaptal}))).await;
    assert_eq!(r.status, 403, "{}", r.text);
    let ga = glpi_session(&app, &a).await.body["session_token"].as_str().unwrap().to_string();
    let r = app.post("/Ticket", &ga, json!({"input": {"name": "x", "content": "y", "entities_id": chaptal}})).await;
    assert_eq!(r.status, 400);
    assert_eq!(r.body[1], "You don't have permission to perform this action.");
    // A sees only A: tickets, establishments, by id or by UAI, on both APIs.
    let r = native(&app, Method::GET, "/tickets", &a, None).await;
    let ids: Vec<i64> = r.body["items"].as_array().unwrap().iter().map(|t| t["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![ta]);
    assert_eq!(native(&app, Method::GET, &format!("/tickets?uai={CHAPTAL}"), &a, None).await.body["total"], 0);
    assert_eq!(native(&app, Method::GET, &format!("/tickets?uai={MELUN}"), &a, None).await.body["total"], 1);
    assert_eq!(native(&app, Method::GET, &format!("/tickets/{tb}"), &a, None).await.status, 403);
    let r = native(&app, Method::GET, "/establishments", &a, None).await;
    assert_eq!(r.body["total"], 1, "{}", r.text);
    assert_eq!(r.body["items"][0]["uai"], MELUN);
    assert_eq!(native(&app, Method::GET, &format!("/establishments/{CHAPTAL}"), &a, None).await.status, 403);
    assert_eq!(app.get(&format!("/Ticket/{tb}"), &ga).await.status, 403);
    let r = app.get("/Ticket", &ga).await;
    assert_eq!(r.body.as_array().unwrap().len(), 1);
    // The GLPI API shows the establishment (name and UAI) of a ticket through its entity.
    let r = app.get(&format!("/Ticket/{ta}?expand_dropdowns=true&add_keys_names[]=entities_id"), &ga).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let name = r.body["entities_id"].as_str().unwrap();
    assert!(name.ends_with("Lycée polyvalent Léonard de Vinci (0770934X)"), "{name}");
    assert!(r.body["_keys_names"]["entities_id"].as_str().unwrap().contains(MELUN));
    // B is as isolated from A.
    assert_eq!(native(&app, Method::GET, &format!("/tickets/{ta}"), &b, None).await.status, 403);
    assert_eq!(native(&app, Method::GET, "/tickets", &b, None).await.body["total"], 1);
}

#[actix_web::test]
async fn establishments_api_filters_pages_and_counts() {
    let app = spawn_app().await;
    let t = app.admin().await;
    sync(&app, &[ANNUAIRE_JSON, ETAB, ETAB_DELTA, "annuaire/annuaire_export_2026_ecoles_94_sample.csv"]);
    let get = |q: String| {
        let app = &app;
        let t = t.clone();
        async move { native(app, Method::GET, &format!("/establishments{q}"), &t, None).await }
    };
    let uais = |r: &Resp| -> Vec<String> {
        r.body["items"].as_array().unwrap().iter().map(|x| x["uai"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(get(String::new()).await.body["total"], 18);
    assert_eq!(uais(&get("?departement=77".into()).await), [MELUN]);
    assert_eq!(get("?academie=Créteil".into()).await.body["total"], 17);
    assert_eq!(get("?academie=24".into()).await.body["total"], 17);
    assert_eq!(get("?academie=01".into()).await.body["total"], 1);
    assert_eq!(get("?type=Ecole".into()).await.body["total"], 15);
    assert_eq!(uais(&get("?state=closed".into()).await), [CORBUSIER]);
    assert_eq!(uais(&get("?q=chaptal".into()).await), [CHAPTAL]);
    assert_eq!(get("?q=FRESNES".into()).await.body["total"], 2, "the town too");
    let r = get("?academie=24&limit=5&offset=15".into()).await;
    assert_eq!((r.body["total"].as_i64(), uais(&r).len()), (Some(17), 2));
    assert_eq!(get(format!("?uai={}", MELUN.to_lowercase())).await.body["total"], 1);
    let r = get("?uai=0770934Y".into()).await;
    assert_eq!((r.status.as_u16(), r.body["error"].as_str()), (400, Some("bad_request")));
    assert_eq!(get("?state=demolished".into()).await.status, 400);
    assert_eq!(get("?limit=0".into()).await.status, 422);
    // Counts of assets and open tickets.
    let melun = get(format!("/{MELUN}")).await;
    assert_eq!(melun.status, 200, "{}", melun.text);
    let eid = melun.body["entities_id"].as_i64().unwrap();
    assert_eq!((melun.body["assets"]["total"].as_i64(), melun.body["open_tickets"].as_i64()), (Some(0), Some(0)));
    app.add(&t, "Computer", json!({"name": "PC-CDI-01", "entities_id": eid})).await;
    app.add(&t, "Printer", json!({"name": "IMP-01", "entities_id": eid})).await;
    app.add(&t, "Ticket", json!({"name": "a", "content": "a", "entities_id": eid})).await;
    let solved = app.add(&t, "Ticket", json!({"name": "b", "content": "b", "entities_id": eid})).await;
    app.put(&format!("/Ticket/{solved}"), &t, json!({"input": {"status": 5}})).await;
    let melun = get(format!("/{MELUN}")).await;
    assert_eq!(melun.body["assets"]["computers"], 1);
    assert_eq!(melun.body["assets"]["total"], 2);
    assert_eq!(melun.body["open_tickets"], 1);
    assert_eq!(melun.body["academie_code"], "24");
    assert_eq!(melun.body["latitude"], 48.55108679994959);
    let r = native(&app, Method::GET, "/establishments/0750654D", &t, None).await;
    assert_eq!((r.status.as_u16(), r.body["error"].as_str()), (404, Some("not_found")));
}

/// A CAS server for the tests: answers `serviceValidate` with the fixtures by ticket.
fn fake_cas() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://127.0.0.1:{}/cas", listener.local_addr().unwrap().port());
    std::thread::spawn(move || {
        use std::io::{BufRead, BufReader, Write};
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut line = String::new();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            reader.read_line(&mut line).unwrap();
            loop {
                let mut h = String::new();
                if reader.read_line(&mut h).unwrap() == 0 || h == "\r\n" {
                    break;
                }
            }
            let path = line.split_whitespace().nth(1).unwrap_or("").to_string();
            let ticket = path.split("ticket=").nth(1).unwrap_or("").to_string();
            let file = |f: &str| String::from_utf8(fixture(&format!("cas/{f}"))).unwrap();
            let (status, body) = match ticket.as_str() {
                _ if !path.contains("service=http%3A%2F%2Fparc.test%2Fauth%2Fcas%2Fcallback") => (
                    200,
                    file("serviceValidate_failure_invalid_ticket.xml").replace("INVALID_TICKET", "INVALID_SERVICE"),
                ),
                t if t.starts_with("ST-CLAIRE") && path.starts_with("/cas/serviceValidate") => {
                    (200, file("serviceValidate_success_cas2_extension.xml"))
                }
                t if t.starts_with("ST-PHILIPPE") && path.starts_with("/cas/p3/serviceValidate") => {
                    (200, file("p3_serviceValidate_success_attributes.xml"))
                }
                t if t.starts_with("ST-STRANGER") => (
                    200,
                    file("serviceValidate_success_cas2_extension.xml")
                        .replace("claire.martin", "jean.inconnu")
                        .replace("9900001", "1234567"),
                ),
                t if t.starts_with("ST-THOMAS") => (
                    200,
                    file("serviceValidate_success_cas2_extension.xml")
                        .replace("claire.martin", "thomas.dubois")
                        .replace("9900001", "9900004")
                        .replace("0770934X", "0750663N"),
                ),
                t if t.starts_with("ST-OOPS") => (500, "oops".to_string()),
                _ => (200, file("serviceValidate_failure_invalid_ticket.xml")),
            };
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Type: application/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    base
}

#[actix_web::test]
async fn cas_sign_on_end_to_end_and_its_failures() {
    let cas = fake_cas();
    let cas_url = cas.clone();
    let app = spawn_app_with(|s| {
        s.cas_url = Some(cas_url);
        s.public_url = "http://parc.test".into();
    })
    .await;
    sync(&app, &[ANNUAIRE_JSON, ETAB, PERS, PERS_DELTA]);
    let no_redirect = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let r = app.raw(no_redirect.get(format!("{}/auth/cas/login", app.base))).await;
    assert_eq!(r.status, 302);
    assert_eq!(
        r.header("location").unwrap(),
        format!("{cas}/login?service=http%3A%2F%2Fparc.test%2Fauth%2Fcas%2Fcallback")
    );
    let callback = |ticket: &str| format!("/auth/cas/callback?ticket={ticket}");
    let r = app.call(Method::GET, &callback("ST-CLAIRE-1-abc"), None, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.body["login"].as_str(), r.body["uai"].as_str()), (Some("claire.martin"), Some(MELUN)));
    let token = r.body["session_token"].as_str().unwrap().to_string();
    // The session works on both APIs.
    let me = native(&app, Method::GET, "/me", &token, None).await;
    assert_eq!(me.body["login"], "claire.martin", "{}", me.text);
    let melun = app.get("/getActiveEntities", &token).await;
    assert_eq!(melun.status, 200, "{}", melun.text);
    assert_eq!(melun.body["active_entity"]["active_entities"].as_array().unwrap().len(), 1);
    let r = native(&app, Method::POST, "/tickets", &token, Some(json!({"content": "écran"}))).await;
    assert_eq!((r.status.as_u16(), r.body["uai"].as_str()), (201, Some(MELUN)), "{}", r.text);
    // Single logout from the ENT ends it.
    let slo = String::from_utf8(fixture("cas/slo_logoutRequest.xml"))
        .unwrap()
        .replace("ST-1856339-aA5Yuvrxzpv8Tau1cYQ7", "ST-CLAIRE-1-abc");
    let r = app
        .raw(
            app.client
                .post(format!("{}/auth/cas/callback", app.base))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .body(format!(
                    "logoutRequest={}",
                    percent_encoding::utf8_percent_encode(&slo, percent_encoding::NON_ALPHANUMERIC)
                )),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(native(&app, Method::GET, "/me", &token, None).await.status, 401);
    assert_eq!(app.get("/getActiveEntities", &token).await.code(), "ERROR_SESSION_TOKEN_INVALID");
    // Failures: a clear JSON error and never a session.
    for (ticket, status, code) in [
        ("ST-WRONG-1", 401, "cas_validation_failed"),
        ("ST-STRANGER-1", 403, "unknown_person"),
        ("ST-THOMAS-1", 403, "forbidden"),
        ("ST-OOPS-1", 502, "cas_unavailable"),
        ("TGT-1", 400, "bad_request"),
    ] {
        let r = app.call(Method::GET, &callback(ticket), None, None).await;
        assert_eq!((r.status.as_u16(), r.body["error"].as_str()), (status, Some(code)), "{ticket}: {}", r.text);
        assert!(r.body.get("session_token").is_none());
    }
    assert_eq!(app.call(Method::GET, "/auth/cas/callback", None, None).await.status, 400);
    // CAS 3 with several UAIs: the session opens on the one where the person has a profile.
    let cas3 = cas.clone();
    let app3 = spawn_app_with(|s| {
        s.cas_url = Some(cas3);
        s.public_url = "http://parc.test/".into();
        s.cas_version = 3;
    })
    .await;
    sync(&app3, &[ETAB, PERS]);
    let r = app3.call(Method::GET, &callback("ST-PHILIPPE-1"), None, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!((r.body["login"].as_str(), r.body["uai"].as_str()), (Some("philippe.lefevre"), Some(MELUN)));
    // A CAS server that is down; CAS not configured at all.
    let down = spawn_app_with(|s| s.cas_url = Some("http://127.0.0.1:9/cas".into())).await;
    let r = down.call(Method::GET, &callback("ST-CLAIRE-2"), None, None).await;
    assert_eq!((r.status.as_u16(), r.body["error"].as_str()), (502, Some("cas_unavailable")), "{}", r.text);
    assert!(!r.text.contains("ST-CLAIRE-2"), "the ticket is a secret: {}", r.text);
    let off = spawn_app().await;
    let r = off.call(Method::GET, "/auth/cas/login", None, None).await;
    assert_eq!((r.status.as_u16(), r.body["error"].as_str()), (503, Some("cas_not_configured")));
}
