//! `parc demo-data`: a realistic, seeded and reproducible region (académies, départements,
//! lycées with valid UAIs, locations, computers with monitors, peripherals, OS, software
//! and warranty data, staff, OPTIC technicians and tickets with actors, followups and
//! tasks). Written straight to the database, or through a live server's API.

pub mod sink;

use chrono::{Duration, NaiveDate, NaiveDateTime};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde_json::{json, Map, Value};
use sink::Sink;

#[derive(Debug, Clone)]
pub struct Plan {
    pub seed: u64,
    pub lycees: usize,
    pub computers: usize,
    pub tickets: usize,
}

/// Académies of Île-de-France and their départements.
const ACADEMIES: &[(&str, &[(&str, &str)])] = &[
    ("Paris", &[("075", "Paris")]),
    ("Créteil", &[("077", "Seine-et-Marne"), ("093", "Seine-Saint-Denis"), ("094", "Val-de-Marne")]),
    ("Versailles", &[("078", "Yvelines"), ("091", "Essonne"), ("092", "Hauts-de-Seine"), ("095", "Val-d'Oise")]),
];

/// A valid UAI (with its check letter) for a 7-digit number.
pub fn uai_with_key(digits: u32) -> String {
    crate::directory::uai::Uai::from_number(digits).map(|u| u.to_string()).unwrap_or_default()
}

const MAKERS: &[(&str, &[&str])] = &[
    ("Dell", &["OptiPlex 3080", "OptiPlex 7010", "Latitude 5420"]),
    ("HP", &["ProDesk 400 G7", "EliteBook 840 G8", "ProBook 450 G9"]),
    ("Lenovo", &["ThinkCentre M70q", "ThinkPad L14", "ThinkCentre M720s"]),
    ("Acer", &["Veriton X2690G", "TravelMate P2"]),
];
const OS: &[(&str, &str)] = &[("Windows 10", "22H2"), ("Windows 11", "23H2"), ("Ubuntu", "22.04")];
const SOFTWARE: &[&str] = &[
    "LibreOffice",
    "Firefox",
    "Chrome",
    "GeoGebra",
    "Scratch",
    "Audacity",
    "GIMP",
    "VLC",
    "Inkscape",
    "Python",
    "Arduino IDE",
    "FreeCAD",
    "Blender",
    "7-Zip",
    "Notepad++",
    "Pronote",
    "Adobe Reader",
    "Microsoft Office",
    "SolidWorks",
    "Maple",
];
const CATEGORIES: &[&str] = &[
    "Poste de travail",
    "Imprimante",
    "Réseau / Wi-Fi",
    "Vidéoprojecteur",
    "ENT",
    "Logiciel pédagogique",
    "Téléphonie",
    "Compte utilisateur",
    "Tableau numérique",
    "Autre",
];
const STAFF_PER_LYCEE: usize = 5;
const TECHNICIANS: usize = 40;

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn dt(d: NaiveDateTime) -> String {
    d.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn names(sink: &mut dyn Sink, itemtype: &str, list: &[&str]) -> anyhow::Result<Vec<i64>> {
    sink.insert(itemtype, list.iter().map(|n| obj(json!({ "name": n }))).collect())
}

/// Generate the region into `sink`. Returns a short summary.
pub fn generate(sink: &mut dyn Sink, plan: &Plan, progress: bool) -> anyhow::Result<String> {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let now = NaiveDate::from_ymd_opt(2026, 11, 1).expect("date").and_hms_opt(8, 0, 0).expect("time");
    // Dropdowns shared by the whole region.
    let makers: Vec<&str> = MAKERS.iter().map(|(m, _)| *m).collect();
    let maker_ids = names(sink, "Manufacturer", &makers)?;
    let mut model_ids = Vec::new();
    for (i, (_, models)) in MAKERS.iter().enumerate() {
        for m in models.iter() {
            model_ids.push((i, *m));
        }
    }
    let model_db = sink.insert("ComputerModel", model_ids.iter().map(|(_, m)| obj(json!({"name": m}))).collect())?;
    let types = names(sink, "ComputerType", &["Poste fixe", "Portable"])?;
    let mon_model = names(sink, "MonitorModel", &["P2422H", "E24 G4", "T24i-20"])?;
    let states = names(sink, "State", &["En service", "En stock", "En réparation", "Réformé"])?;
    let os_ids = names(sink, "OperatingSystem", &OS.iter().map(|(n, _)| *n).collect::<Vec<_>>())?;
    let osv_ids = names(sink, "OperatingSystemVersion", &OS.iter().map(|(_, v)| *v).collect::<Vec<_>>())?;
    let periph_types = names(sink, "PeripheralType", &["Clavier", "Souris", "Webcam", "Casque"])?;
    let cat_ids = sink.insert(
        "ITILCategory",
        CATEGORIES.iter().map(|c| obj(json!({"name": c, "completename": c, "level": 1, "is_recursive": 1}))).collect(),
    )?;
    let sw_ids =
        sink.insert("Software", SOFTWARE.iter().map(|s| obj(json!({"name": s, "is_recursive": 1}))).collect())?;
    let mut version_rows = Vec::new();
    for (i, sid) in sw_ids.iter().enumerate() {
        for v in ["1.0", "2.0"] {
            version_rows.push(obj(json!({"softwares_id": sid, "name": format!("{v}.{i}"), "is_recursive": 1})));
        }
    }
    let version_ids = sink.insert("SoftwareVersion", version_rows)?;

    // Académies under the Région, then lycées under their académie.
    let acad_ids = sink.insert(
        "Entity",
        ACADEMIES
            .iter()
            .map(|(a, _)| obj(json!({"name": format!("Académie de {a}"), "entities_id": 0, "completename": format!("Région > Académie de {a}"), "level": 2})))
            .collect(),
    )?;
    let mut lycees = Vec::new();
    let mut uais = Vec::new();
    let deps: Vec<(usize, &str, &str)> = ACADEMIES
        .iter()
        .enumerate()
        .flat_map(|(i, (_, d))| d.iter().map(move |(code, name)| (i, *code, *name)))
        .collect();
    for n in 0..plan.lycees {
        let (acad, dep, dep_name) = deps[n % deps.len()];
        let dep_num: u32 = dep.parse().expect("digits");
        let uai = uai_with_key(dep_num * 10_000 + 100 + n as u32);
        uais.push(uai.clone());
        let name = format!(
            "Lycée {} {}",
            ["Jean Jaurès", "Victor Hugo", "Marie Curie", "Louise Michel", "Jules Ferry"][n % 5],
            n
        );
        let acad_name = format!("Région > Académie de {}", ACADEMIES[acad].0);
        lycees.push(obj(json!({
            "name": format!("{name} ({uai})"), "entities_id": acad_ids[acad], "tag": uai,
            "completename": format!("{acad_name} > {name} ({uai})"), "level": 3,
            "postcode": format!("{}{:03}", &dep[1..], rng.random_range(0..100)), "town": dep_name,
            "state": dep_name, "country": "France",
        })));
    }
    let estabs: Vec<sink::Establishment> = lycees
        .iter()
        .zip(&uais)
        .enumerate()
        .map(|(n, (l, uai))| {
            let (acad, dep_code, dep_name) = deps[n % deps.len()];
            sink::Establishment {
                uai: uai.clone(),
                entities_id: 0,
                name: l["name"].as_str().unwrap_or_default().trim_end_matches(&format!(" ({uai})")).to_string(),
                departement: dep_code.to_string(),
                academie: ACADEMIES[acad].0.to_string(),
                town: dep_name.to_string(),
            }
        })
        .collect();
    let lycee_ids = sink.insert("Entity", lycees)?;
    let estabs: Vec<sink::Establishment> =
        estabs.into_iter().zip(&lycee_ids).map(|(e, id)| sink::Establishment { entities_id: *id, ..e }).collect();
    sink.establishments(&estabs)?;

    // OPTIC technicians cover groups of lycées; staff per lycée.
    let techs = sink.insert(
        "User",
        (0..TECHNICIANS).map(|i| obj(json!({"name": format!("optic{i:02}"), "realname": "Agent", "firstname": format!("OPTIC {i}"), "profiles_id": 6}))).collect(),
    )?;
    let mut pu = Vec::new();
    for (i, t) in techs.iter().enumerate() {
        for (j, l) in lycee_ids.iter().enumerate() {
            if j % TECHNICIANS == i {
                pu.push(obj(json!({"users_id": t, "profiles_id": 6, "entities_id": l, "is_recursive": 0})));
            }
        }
    }
    sink.insert("Profile_User", pu)?;

    let bar = progress_bar(progress, plan.lycees as u64);
    let per_lycee_pc = plan.computers / plan.lycees.max(1);
    let extra_pc = plan.computers % plan.lycees.max(1);
    let per_lycee_tk = plan.tickets / plan.lycees.max(1);
    let extra_tk = plan.tickets % plan.lycees.max(1);
    let (mut n_pc, mut n_tk) = (0usize, 0usize);
    for (li, lid) in lycee_ids.iter().enumerate() {
        let uai = uais[li].clone();
        // Locations: a site, three buildings, ten rooms.
        let site = sink.insert(
            "Location",
            vec![obj(
                json!({"name": "Site principal", "entities_id": lid, "completename": "Site principal", "level": 1}),
            )],
        )?[0];
        let buildings = sink.insert(
            "Location",
            ["A", "B", "C"].iter().map(|b| obj(json!({"name": format!("Bâtiment {b}"), "locations_id": site, "entities_id": lid, "completename": format!("Site principal > Bâtiment {b}"), "level": 2}))).collect(),
        )?;
        let rooms = sink.insert(
            "Location",
            (0..10)
                .map(|r| {
                    let b = r % 3;
                    obj(json!({"name": format!("Salle {}{:02}", ["A", "B", "C"][b], r), "locations_id": buildings[b], "entities_id": lid,
                                "completename": format!("Site principal > Bâtiment {} > Salle {}{:02}", ["A", "B", "C"][b], ["A", "B", "C"][b], r), "level": 3}))
                })
                .collect(),
        )?;
        let staff = sink.insert(
            "User",
            (0..STAFF_PER_LYCEE).map(|s| obj(json!({"name": format!("staff{li:03}-{s}"), "realname": "Personnel", "firstname": format!("{s}"), "entities_id": lid, "profiles_id": 1}))).collect(),
        )?;
        sink.insert(
            "Profile_User",
            staff
                .iter()
                .map(|u| obj(json!({"users_id": u, "profiles_id": 1, "entities_id": lid, "is_recursive": 0})))
                .collect(),
        )?;

        // Computers and what hangs off them.
        let count = per_lycee_pc + usize::from(li < extra_pc);
        let mut pcs = Vec::with_capacity(count);
        let mut meta = Vec::with_capacity(count);
        for k in 0..count {
            let mi = rng.random_range(0..model_ids.len());
            let (maker, _) = model_ids[mi];
            let age_days = rng.random_range(30..(8 * 365));
            let created = now - Duration::days(age_days);
            let seen = now - Duration::days(rng.random_range(0..60));
            pcs.push(obj(json!({
                "name": format!("{uai}-PC-{k:04}"), "entities_id": lid,
                "serial": format!("{}{:08X}", &MAKERS[maker].0[..2].to_uppercase(), rng.random::<u32>()),
                "otherserial": format!("INV-{li:03}-{k:04}"),
                "manufacturers_id": maker_ids[maker], "computermodels_id": model_db[mi],
                "computertypes_id": types[usize::from(k % 3 == 0)], "states_id": states[if k % 25 == 0 { 3 } else if k % 15 == 0 { 1 } else { 0 }],
                "locations_id": rooms[k % rooms.len()], "uuid": uuid::Uuid::from_u128(rng.random::<u128>()).to_string(),
                "date_creation": dt(created), "date_mod": dt(seen), "last_inventory_update": dt(seen), "is_dynamic": 1,
            })));
            meta.push((created, rng.random_range(0..OS.len())));
        }
        let pc_ids = sink.insert("Computer", pcs)?;
        let mut os_rows = Vec::with_capacity(count);
        let mut infocoms = Vec::with_capacity(count);
        let mut monitors = Vec::with_capacity(count);
        let mut periph = Vec::new();
        for (k, (pid, (created, os))) in pc_ids.iter().zip(&meta).enumerate() {
            os_rows.push(obj(json!({"itemtype": "Computer", "items_id": pid, "operatingsystems_id": os_ids[*os], "operatingsystemversions_id": osv_ids[*os], "entities_id": lid, "is_dynamic": 1})));
            let buy = created.date();
            infocoms.push(obj(json!({"itemtype": "Computer", "items_id": pid, "entities_id": lid, "buy_date": buy.to_string(),
                                     "warranty_date": buy.to_string(), "warranty_duration": (36 + 12 * (k % 3)), "value": 650 + (k % 7) as i64 * 50})));
            monitors.push(obj(json!({"name": format!("{uai}-MON-{k:04}"), "entities_id": lid, "serial": format!("MN{:08X}", rng.random::<u32>()),
                                     "monitormodels_id": mon_model[k % mon_model.len()], "manufacturers_id": maker_ids[k % maker_ids.len()], "size": 24, "locations_id": rooms[k % rooms.len()]})));
            if k % 4 == 0 {
                periph.push(obj(json!({"name": format!("{uai}-PER-{k:04}"), "entities_id": lid, "serial": format!("PR{:08X}", rng.random::<u32>()),
                                       "peripheraltypes_id": periph_types[k % periph_types.len()]})));
            }
        }
        sink.insert("Item_OperatingSystem", os_rows)?;
        sink.insert("Infocom", infocoms)?;
        let mon_ids = sink.insert("Monitor", monitors)?;
        let per_ids = sink.insert("Peripheral", periph)?;
        let mut links: Vec<Map<String, Value>> = pc_ids
            .iter()
            .zip(&mon_ids)
            .map(|(p, m)| obj(json!({"computers_id": p, "itemtype": "Monitor", "items_id": m, "is_dynamic": 1})))
            .collect();
        links.extend(
            per_ids
                .iter()
                .enumerate()
                .map(|(i, p)| obj(json!({"computers_id": pc_ids[i * 4], "itemtype": "Peripheral", "items_id": p}))),
        );
        sink.insert("Computer_Item", links)?;
        let mut installs = Vec::with_capacity(count * 3);
        for pid in &pc_ids {
            for _ in 0..3 {
                let v = version_ids[rng.random_range(0..version_ids.len())];
                installs.push(obj(json!({"itemtype": "Computer", "items_id": pid, "softwareversions_id": v, "entities_id": lid, "is_dynamic": 1})));
            }
        }
        sink.insert("Item_SoftwareVersion", installs)?;
        n_pc += count;

        // Tickets of the lycée, over two years.
        let count = per_lycee_tk + usize::from(li < extra_tk);
        let tech = techs[li % TECHNICIANS];
        let mut tickets = Vec::with_capacity(count);
        let mut tmeta = Vec::with_capacity(count);
        for k in 0..count {
            let opened = now - Duration::minutes(rng.random_range(0..(2 * 365 * 24 * 60)));
            let status = match rng.random_range(0..10) {
                0 => 1,
                1 | 2 => 2,
                3 => 4,
                4 => 5,
                _ => 6,
            };
            let (u, i) = (rng.random_range(1..=5), rng.random_range(1..=5));
            let take = opened + Duration::minutes(rng.random_range(5..600));
            let solve = take + Duration::minutes(rng.random_range(30..(10 * 24 * 60)));
            let mut t = json!({
                "name": format!("{} — {}", CATEGORIES[k % CATEGORIES.len()], k), "content": "Signalé par l'établissement.",
                "entities_id": lid, "date": dt(opened), "date_creation": dt(opened), "date_mod": dt(solve.min(now)), "status": status,
                "urgency": u, "impact": i, "priority": crate::tickets::priority(u, i), "itilcategories_id": cat_ids[k % cat_ids.len()],
                "users_id_recipient": staff[k % staff.len()], "requesttypes_id": 1, "type": 1 + (k % 2) as i64,
            });
            if status > 1 {
                t["takeintoaccountdate"] = json!(dt(take));
                t["takeintoaccount_delay_stat"] = json!((take - opened).num_seconds());
            }
            if status >= 5 {
                t["solvedate"] = json!(dt(solve));
                t["solve_delay_stat"] = json!((solve - opened).num_seconds());
            }
            if status == 6 {
                t["closedate"] = json!(dt(solve));
                t["close_delay_stat"] = json!((solve - opened).num_seconds());
            }
            let action = 900 * rng.random_range(1..8);
            t["actiontime"] = json!(action);
            tickets.push(obj(t));
            tmeta.push((status, take, action, staff[k % staff.len()]));
        }
        let tk_ids = sink.insert("Ticket", tickets)?;
        let mut actors = Vec::with_capacity(count * 2);
        let mut followups = Vec::with_capacity(count);
        let mut tasks = Vec::with_capacity(count);
        let mut items = Vec::with_capacity(count);
        for (k, (tid, (status, take, action, requester))) in tk_ids.iter().zip(&tmeta).enumerate() {
            actors.push(obj(json!({"tickets_id": tid, "users_id": requester, "type": 1})));
            if *status > 1 {
                actors.push(obj(json!({"tickets_id": tid, "users_id": tech, "type": 2})));
                tasks.push(obj(json!({"tickets_id": tid, "content": "Intervention sur site", "actiontime": action, "users_id": tech,
                                      "users_id_tech": tech, "state": 2, "date": dt(*take), "date_creation": dt(*take)})));
            }
            followups.push(obj(json!({"itemtype": "Ticket", "items_id": tid, "content": "Pris en compte.", "users_id": tech, "date": dt(*take), "date_creation": dt(*take)})));
            if !pc_ids.is_empty() {
                items.push(obj(
                    json!({"tickets_id": tid, "itemtype": "Computer", "items_id": pc_ids[k % pc_ids.len()]}),
                ));
            }
        }
        sink.insert("Ticket_User", actors)?;
        sink.insert("ITILFollowup", followups)?;
        sink.insert("TicketTask", tasks)?;
        sink.insert("Item_Ticket", items)?;
        n_tk += count;
        if let Some(b) = &bar {
            b.inc(1);
        }
    }
    if let Some(b) = bar {
        b.finish();
    }
    sink.finish()?;
    Ok(format!(
        "{} académies, {} lycées, {n_pc} computers (+ monitors, peripherals, OS, software, warranties), {n_tk} tickets",
        ACADEMIES.len(),
        plan.lycees
    ))
}

fn progress_bar(show: bool, len: u64) -> Option<indicatif::ProgressBar> {
    if !show {
        return None;
    }
    let b = indicatif::ProgressBar::new(len);
    b.set_style(
        indicatif::ProgressStyle::with_template("{elapsed_precise} [{bar:40}] {pos}/{len} lycées {msg}")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    Some(b)
}

#[cfg(test)]
mod tests {
    #[test]
    fn uai_check_letters() {
        assert_eq!(super::uai_with_key(750654), "0750654D");
        assert_eq!(super::uai_with_key(750655), "0750655E");
    }
}
