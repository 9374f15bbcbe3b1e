//! `parc directory sync`: apply annuaire and AAF files to Parc.
//!
//! * One transaction per file: a file that cannot be read, or whose writes fail, changes
//!   nothing; a bad row or an invalid UAI only rejects that row.
//! * Idempotent: every write is preceded by a comparison with what is stored, so the same
//!   files twice change nothing the second time.
//! * Files run in a fixed order whatever the command line says: annuaire, then AAF
//!   establishments, then AAF staff (staff refer to establishments by their AAF id).
//! * `--dry-run` applies everything inside a transaction that is rolled back: the report
//!   is exactly what a real run would do.
//! * Complete staff files (`*_Complet_*_PersEducNat_*`) are the whole directory: people they
//!   no longer list have left, once every complete staff file of the run has applied.

use super::aaf::{self, Op, PersonPatch, Request};
use super::academies::{self, Academie};
use super::repo::{self, Assignment, EstabData, Establishment, Person};
use super::text::{fold, today};
use super::{annuaire, EstabRecord, EstabState, Rejection};
use crate::db::sql::{Sql, Val};
use crate::db::DbConn;
use crate::itemtypes::store::{self, Actor, StoreError};
use crate::itemtypes::{self, ItemTypeDef};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{json, Map, Value};
use std::collections::{BTreeSet, HashMap, HashSet};

/// How to read an input; `Auto` looks at the content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Auto,
    Csv,
    Json,
    Aaf,
}

/// One file to import.
pub struct Input {
    pub name: String,
    pub bytes: Vec<u8>,
    pub format: Format,
}

/// What one file did (or, in a dry run, would do).
#[derive(Debug, Default, Serialize, utoipa::ToSchema)]
pub struct FileReport {
    pub file: String,
    /// `annuaire-csv`, `annuaire-json` or `aaf`.
    pub kind: String,
    pub added: usize,
    pub updated: usize,
    /// Establishments marked closed.
    pub closed: usize,
    /// People who left the directory (disabled, profiles removed).
    pub left: usize,
    pub unchanged: usize,
    pub rejected: Vec<Rejection>,
    /// One line per change: `+` added, `~` updated, `-` closed or left.
    pub changes: Vec<String>,
    /// Set when the whole file was refused; nothing of it was written.
    pub error: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Report {
    pub dry_run: bool,
    pub files: Vec<FileReport>,
}

impl Report {
    pub fn failed(&self) -> bool {
        self.files.iter().any(|f| f.error.is_some())
    }

    /// Totals over the files: (added, updated, closed, left, unchanged, rejected).
    pub fn totals(&self) -> [usize; 6] {
        let mut t = [0; 6];
        for f in &self.files {
            for (i, n) in [f.added, f.updated, f.closed, f.left, f.unchanged, f.rejected.len()].into_iter().enumerate()
            {
                t[i] += n;
            }
        }
        t
    }
}

enum Parsed {
    Annuaire(annuaire::Parsed),
    Aaf(Vec<Request>),
}

impl Parsed {
    fn len(&self) -> usize {
        match self {
            Parsed::Annuaire(p) => p.records.len() + p.rejected.len(),
            Parsed::Aaf(r) => r.len(),
        }
    }
    /// Order of application: annuaire, AAF establishments, AAF staff.
    fn rank(&self) -> u8 {
        match self {
            Parsed::Annuaire(_) => 0,
            Parsed::Aaf(r) if r.iter().any(|q| q.category == "EtabEducNat") => 1,
            Parsed::Aaf(_) => 2,
        }
    }
}

fn parse(input: &Input) -> (String, Result<Parsed, String>) {
    let start = input.bytes.iter().position(|b| !b.is_ascii_whitespace() && *b != 0xEF && *b != 0xBB && *b != 0xBF);
    let first = start.map(|i| input.bytes[i]).unwrap_or(b' ');
    let format = match input.format {
        Format::Auto if first == b'<' => Format::Aaf,
        Format::Auto if first == b'{' || first == b'[' => Format::Json,
        Format::Auto => Format::Csv,
        f => f,
    };
    match format {
        Format::Aaf => ("aaf".into(), aaf::parse(&input.bytes).map(Parsed::Aaf)),
        Format::Json => ("annuaire-json".into(), annuaire::parse_json(&input.bytes).map(Parsed::Annuaire)),
        _ => ("annuaire-csv".into(), annuaire::parse_csv(&input.bytes).map(Parsed::Annuaire)),
    }
}

/// Progress callback: (file, items done, items in the file).
pub type Progress<'a> = &'a mut dyn FnMut(&str, usize, usize);

/// Apply the files; each file in its own transaction (rolled back when `dry_run`).
pub fn run(c: &mut DbConn, inputs: Vec<Input>, dry_run: bool, actor: &Actor, progress: Progress<'_>) -> Report {
    let mut parsed: Vec<(FileReport, Option<Parsed>, String)> = inputs
        .iter()
        .map(|i| {
            let (kind, p) = parse(i);
            let mut r = FileReport { file: i.name.clone(), kind, ..Default::default() };
            match p {
                Ok(p) => (r, Some(p), i.name.clone()),
                Err(e) => {
                    r.error = Some(e);
                    (r, None, i.name.clone())
                }
            }
        })
        .collect();
    parsed.sort_by_key(|(_, p, name)| (p.as_ref().map(Parsed::rank).unwrap_or(9), name.clone()));
    if !dry_run {
        let files = apply_files(c, parsed, actor, progress);
        // Entities were written outside items.rs: drop cached trees and sessions now.
        crate::entities::changed();
        return Report { dry_run, files };
    }
    // A dry run applies every file in its own savepoint inside one transaction that is
    // rolled back: later files see what earlier ones would do, and nothing stays.
    let mut files = Vec::new();
    let _ = c.transaction::<(), diesel::result::Error, _>(|c| {
        files = apply_files(c, parsed, actor, progress);
        Err(diesel::result::Error::RollbackTransaction)
    });
    Report { dry_run, files }
}

fn apply_files(
    c: &mut DbConn,
    parsed: Vec<(FileReport, Option<Parsed>, String)>,
    actor: &Actor,
    progress: Progress<'_>,
) -> Vec<FileReport> {
    // Staff of the complete PersEducNat files, and those a delta of the same run adds or
    // changes: anyone else has left.
    let complete = parsed.iter().any(|(_, _, name)| is_complete_staff(name)).then(|| {
        let requests = parsed.iter().filter_map(|(_, p, _)| match p {
            Some(Parsed::Aaf(reqs)) => Some(reqs.iter()),
            _ => None,
        });
        let present = requests.flatten().filter(|r| r.op != Op::Delete && r.category == "PersEducNat");
        present.map(|r| r.id.clone()).collect::<HashSet<String>>()
    });
    let mut files = Vec::new();
    for (mut report, p, name) in parsed {
        if let Some(p) = p {
            let total = p.len();
            let mut tick = |done: usize| progress(&name, done, total);
            let date = file_date(&name);
            if let Err(e) = in_transaction(c, |c| apply(c, p, actor, date, &mut report, &mut tick)) {
                tracing::error!(file = %name, error = %e, "directory file not applied");
                let kept = std::mem::take(&mut report.rejected);
                report = FileReport { file: report.file, kind: report.kind, rejected: kept, ..Default::default() };
                report.error = Some(format!("not applied, nothing changed: {e}"));
            }
        }
        files.push(report);
    }
    if let Some(seen) = complete {
        let date = files.iter().filter(|f| is_complete_staff(&f.file)).filter_map(|f| file_date(&f.file)).max();
        let mut report = FileReport {
            file: "(staff absent from the complete PersEducNat files)".into(),
            kind: "aaf-complete".into(),
            ..Default::default()
        };
        if files.iter().any(|f| is_complete_staff(&f.file) && f.error.is_some()) {
            report.error = Some("not checked: a complete PersEducNat file was not applied".into());
        } else if let Err(e) = in_transaction(c, |c| leave_absent(c, &seen, actor, date, &mut report)) {
            report.error = Some(format!("not applied, nothing changed: {e}"));
        }
        files.push(report);
    }
    files
}

/// The date of an AAF file, from its name: `<ENT>_<Complet|Delta>_<YYYYMMDD>_<Type>_<n>.xml`.
fn file_date(name: &str) -> Option<String> {
    let n = name.to_ascii_lowercase();
    let at = n.find("_complet_").map(|i| i + 9).or_else(|| n.find("_delta_").map(|i| i + 7))?;
    let d = n.get(at..at + 8)?;
    d.bytes().all(|b| b.is_ascii_digit()).then(|| d.to_string())
}

/// A request from a file older than the one that last changed the row is stale: replaying
/// old files (or a complete file after the next day's delta) undoes nothing.
fn stale(file: &Option<String>, stored: &Option<String>) -> bool {
    matches!((file, stored), (Some(f), Some(s)) if f < s)
}

/// AAF naming: `<ENT>_Complet_<date>_PersEducNat_<n>.xml`.
fn is_complete_staff(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("_complet_") && n.contains("perseducnat")
}

/// A complete staff export is the whole directory: people it no longer lists have left.
/// More than half of them missing means partial files, not departures: nothing is done.
fn leave_absent(
    c: &mut DbConn,
    seen: &HashSet<String>,
    actor: &Actor,
    date: Option<String>,
    report: &mut FileReport,
) -> Result<(), StoreError> {
    let estabs = Estabs::load(c, actor.clone(), date)?;
    let mut people = People::load(c, &estabs, actor.clone())?;
    let active: Vec<Person> =
        people.people.values().filter(|p| p.left_on.is_none() && p.category == "PersEducNat").cloned().collect();
    // Someone a newer file changed is not gone because an older complete file lacks them.
    let gone = active.iter().filter(|p| !seen.contains(&p.aaf_id) && !stale(&people.date, &p.aaf_date));
    let mut gone: Vec<Person> = gone.cloned().collect();
    if gone.len() * 2 > active.len() {
        return Err(StoreError::Invalid(format!(
            "{} of {} people are missing from the complete files: they look partial",
            gone.len(),
            active.len()
        )));
    }
    gone.sort_by(|a, b| a.aaf_id.cmp(&b.aaf_id));
    for p in gone {
        people.leave(c, p, report)?;
    }
    Ok(())
}

fn in_transaction(c: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<(), StoreError>) -> Result<(), StoreError> {
    let mut outcome = Ok(());
    let res = c.transaction::<(), diesel::result::Error, _>(|c| {
        outcome = f(c);
        if outcome.is_err() {
            return Err(diesel::result::Error::RollbackTransaction);
        }
        Ok(())
    });
    match (outcome, res) {
        (Err(e), _) => Err(e),
        (Ok(()), Err(diesel::result::Error::RollbackTransaction)) | (Ok(()), Ok(())) => Ok(()),
        (Ok(()), Err(e)) => Err(e.into()),
    }
}

fn apply(
    c: &mut DbConn,
    p: Parsed,
    actor: &Actor,
    date: Option<String>,
    report: &mut FileReport,
    tick: &mut dyn FnMut(usize),
) -> Result<(), StoreError> {
    let mut estabs = Estabs::load(c, actor.clone(), date)?;
    match p {
        Parsed::Annuaire(p) => {
            report.rejected.extend(p.rejected);
            for (i, (at, rec)) in p.records.iter().enumerate() {
                estabs.apply(c, rec, Source::Annuaire, at, report)?;
                tick(i + 1);
            }
        }
        Parsed::Aaf(mut requests) => {
            // Establishments first, so that staff of the same file find them.
            requests.sort_by_key(|r| r.category != "EtabEducNat");
            let mut people: Option<People> = None;
            for (i, req) in requests.iter().enumerate() {
                tick(i + 1);
                if let Some(e) = &req.error {
                    report.rejected.push(Rejection { at: req.at(), reason: e.clone() });
                    continue;
                }
                if req.id.is_empty() {
                    report.rejected.push(Rejection { at: req.at(), reason: "no identifier".into() });
                    continue;
                }
                match req.category.as_str() {
                    "EtabEducNat" => estabs.aaf(c, req, report)?,
                    "PersEducNat" => {
                        if people.is_none() {
                            people = Some(People::load(c, &estabs, actor.clone())?);
                        }
                        people.as_mut().expect("loaded").apply(c, req, report)?;
                    }
                    _ => report.rejected.push(aaf::reject_category(req)),
                }
            }
            if let Some(p) = people.as_mut() {
                p.flush(c)?;
            }
        }
    }
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Source {
    Annuaire,
    Aaf,
}

/// Establishments as stored, indexed for one file.
struct Estabs {
    tree: repo::Tree,
    by_uai: HashMap<String, Establishment>,
    by_aaf: HashMap<String, String>,
    /// The AAF file's date; none for the annuaire.
    date: Option<String>,
}

impl Estabs {
    fn load(c: &mut DbConn, actor: Actor, date: Option<String>) -> Result<Estabs, StoreError> {
        let tree = repo::Tree::load(c, actor)?;
        let mut by_uai = HashMap::new();
        let mut by_aaf = HashMap::new();
        for e in repo::all_establishments(c)? {
            if let Some(a) = &e.data.aaf_id {
                by_aaf.insert(a.clone(), e.data.uai.clone());
            }
            by_uai.insert(e.data.uai.clone(), e);
        }
        Ok(Estabs { tree, by_uai, by_aaf, date })
    }

    /// The académie's entity; an establishment whose feed only named its académie (AAF)
    /// gets the académie's code, so that filters by code find it.
    fn academie(&mut self, c: &mut DbConn, d: &mut EstabData) -> Result<(i64, String), StoreError> {
        let a = academies::resolve(d.academie_code.as_deref(), d.academie.as_deref(), d.departement.as_deref())
            .unwrap_or_else(Academie::unknown);
        if d.academie_code.is_none() && a.code.bytes().all(|b| b.is_ascii_digit()) {
            d.academie_code = Some(a.code.clone());
        }
        self.tree.academie(c, &a)
    }

    fn apply(
        &mut self,
        c: &mut DbConn,
        rec: &EstabRecord,
        source: Source,
        at: &str,
        report: &mut FileReport,
    ) -> Result<(), StoreError> {
        let uai = rec.uai.to_string();
        let Some(cur) = self.by_uai.get(&uai) else {
            let mut data = EstabData::from_record(rec, if source == Source::Aaf { "aaf" } else { "annuaire" });
            data.aaf_date = self.date.clone();
            if data.departement.is_none() {
                data.departement = departement_from_postcode(data.postcode.as_deref());
            }
            let aca = self.academie(c, &mut data)?;
            let eid = self.tree.establishment(c, &data, aca, None)?;
            let id = repo::insert_establishment(c, &data, eid)?;
            report.added += 1;
            report.changes.push(format!("+ establishment {uai} {}", data.name));
            self.index(Establishment { id, entities_id: eid as i32, data });
            return Ok(());
        };
        if let (Some(a), Some(b)) = (&rec.aaf_id, &cur.data.aaf_id) {
            if a != b {
                let reason = format!("UAI {uai} already belongs to AAF structure {b}");
                report.rejected.push(Rejection { at: at.into(), reason });
                return Ok(());
            }
        }
        let authoritative = source == Source::Annuaire || cur.data.source == "aaf";
        let mut data = cur.data.merged(rec, authoritative);
        if source == Source::Annuaire {
            data.source = "annuaire".into();
        }
        self.save(c, cur.clone(), data, report)
    }

    /// Store a changed row and its entity; counts it as updated or closed.
    fn save(
        &mut self,
        c: &mut DbConn,
        cur: Establishment,
        mut data: EstabData,
        report: &mut FileReport,
    ) -> Result<(), StoreError> {
        let aca = self.academie(c, &mut data)?;
        let changed = cur.data.changed_fields(&data);
        if changed.is_empty() {
            report.unchanged += 1;
            return Ok(());
        }
        if self.date.is_some() {
            data.aaf_date = self.date.clone();
        }
        let eid = self.tree.establishment(c, &data, aca, Some(cur.entities_id as i64))?;
        repo::update_establishment(c, cur.id, &data, eid)?;
        let uai = &data.uai;
        if data.state() == EstabState::Closed && cur.data.state() != EstabState::Closed {
            report.closed += 1;
            report.changes.push(format!("- establishment {uai} closed"));
            revoke_on_entity(c, eid, &self.tree.actor)?;
        } else {
            report.updated += 1;
            report.changes.push(format!("~ establishment {uai}: {}", changed.join(", ")));
        }
        self.index(Establishment { id: cur.id, entities_id: eid as i32, data });
        Ok(())
    }

    fn index(&mut self, e: Establishment) {
        if let Some(a) = &e.data.aaf_id {
            self.by_aaf.insert(a.clone(), e.data.uai.clone());
        }
        self.by_uai.insert(e.data.uai.clone(), e);
    }

    /// One `EtabEducNat` request.
    fn aaf(&mut self, c: &mut DbConn, req: &Request, report: &mut FileReport) -> Result<(), StoreError> {
        let reject = |report: &mut FileReport, reason: String| -> Result<(), StoreError> {
            report.rejected.push(Rejection { at: req.at(), reason });
            Ok(())
        };
        let known = self.by_aaf.get(&req.id).cloned();
        let uai = match (req.op, &known) {
            (Op::Add, _) => match aaf::estab_uai(req) {
                Ok(u) => u,
                Err(e) => return reject(report, e),
            },
            (_, Some(u)) => super::Uai::parse(u).expect("stored UAIs are valid"),
            (_, None) => return reject(report, format!("unknown structure {}", req.id)),
        };
        if let Some(k) = known.filter(|k| *k != uai.as_str()) {
            return reject(report, format!("structure {} is UAI {k}, not {uai}", req.id));
        }
        if self.by_uai.get(uai.as_str()).is_some_and(|e| stale(&self.date, &e.data.aaf_date)) {
            report.unchanged += 1;
            return Ok(());
        }
        if req.op == Op::Delete {
            let cur = self.by_uai.get(uai.as_str()).cloned().expect("indexed");
            if cur.data.state() == EstabState::Closed {
                report.unchanged += 1;
                return Ok(());
            }
            let mut data = cur.data.clone();
            data.state = EstabState::Closed.as_str().into();
            data.closed_on = Some(today());
            return self.save(c, cur, data, report);
        }
        let mut rec = EstabRecord::new(uai);
        rec.aaf_id = Some(req.id.clone());
        if let Err(e) = aaf::estab_fields(req, &mut rec) {
            return reject(report, e);
        }
        self.apply(c, &rec, Source::Aaf, &req.at(), report)
    }
}

/// `77000` -> `077`, `97400` -> `974`; Corsica (`20…`) is ambiguous and left empty.
fn departement_from_postcode(pc: Option<&str>) -> Option<String> {
    let pc = pc?.trim();
    if pc.len() != 5 || !pc.bytes().all(|b| b.is_ascii_digit()) || pc.starts_with("20") {
        return None;
    }
    Some(if pc.starts_with("97") || pc.starts_with("98") { pc[..3].to_string() } else { format!("0{}", &pc[..2]) })
}

fn def(name: &str) -> &'static ItemTypeDef {
    itemtypes::find(name).expect("declared itemtype")
}

fn insert(c: &mut DbConn, name: &str, row: Map<String, Value>, actor: &Actor) -> Result<i64, StoreError> {
    let d = def(name);
    let values = store::validate_input(d, &row)?;
    store::insert(c, d, values, actor)
}

/// A closed establishment no longer gives its staff a profile there.
fn revoke_on_entity(c: &mut DbConn, entities_id: i64, actor: &Actor) -> Result<(), StoreError> {
    let mut sql = Sql::new(c.backend());
    sql.push("SELECT CAST(pu.\"id\" AS BIGINT) AS n FROM \"profiles_users\" pu JOIN \"directory_people\" dp ON dp.\"users_id\" = pu.\"users_id\" WHERE pu.\"is_dynamic\" = 1 AND pu.\"entities_id\" = ")
        .bind(entities_id);
    for id in sql.load_ints(c)? {
        store::delete(c, def("Profile_User"), id, true, actor)?;
    }
    Ok(())
}

/// A profile the directory gives (`is_dynamic`), as a Profile_User row.
fn assignment_row(uid: i64, a: &Assignment, default: bool) -> Map<String, Value> {
    let mut row = Map::new();
    row.insert("users_id".into(), json!(uid));
    row.insert("profiles_id".into(), json!(a.profiles_id));
    row.insert("entities_id".into(), json!(a.entities_id));
    row.insert("is_recursive".into(), json!(a.is_recursive));
    row.insert("is_dynamic".into(), json!(1));
    row.insert("is_default_profile".into(), json!(default as i64));
    row
}

/// The directory's e-mail of a user, as a UserEmail row.
fn email_row(uid: i64, email: &str) -> Map<String, Value> {
    let mut row = Map::new();
    row.insert("users_id".into(), json!(uid));
    row.insert("email".into(), json!(email));
    row.insert("is_default".into(), json!(1));
    row.insert("is_dynamic".into(), json!(1));
    row
}

/// The stored side of a person, as the directory last wrote it.
#[derive(Debug, Clone, Default, PartialEq)]
struct PersonState {
    realname: String,
    firstname: String,
    email: String,
    structures: Vec<String>,
    functions: Vec<(String, String)>,
}

impl PersonState {
    fn patched(&self, p: &PersonPatch, replace: bool) -> PersonState {
        let keep = |new: &Option<String>, old: &str| match new {
            Some(v) => v.clone(),
            None if replace => String::new(),
            None => old.to_string(),
        };
        PersonState {
            realname: keep(&p.realname, &self.realname),
            firstname: keep(&p.firstname, &self.firstname),
            email: keep(&p.email, &self.email),
            structures: sorted(p.structures.clone().unwrap_or_else(|| {
                if replace {
                    vec![]
                } else {
                    self.structures.clone()
                }
            })),
            functions: sorted(p.functions.clone().unwrap_or_else(|| {
                if replace {
                    vec![]
                } else {
                    self.functions.clone()
                }
            })),
        }
    }
}

fn sorted<T: Ord>(mut v: Vec<T>) -> Vec<T> {
    v.sort();
    v.dedup();
    v
}

fn join_functions(f: &[(String, String)]) -> String {
    f.iter().map(|(s, code)| format!("{s}${code}")).collect::<Vec<_>>().join(",")
}

fn split_functions(s: &str) -> Vec<(String, String)> {
    s.split(',').filter_map(|x| x.split_once('$')).map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

/// What the users table says about a directory user.
#[derive(Debug, Clone, Queryable)]
struct UserSnap {
    id: i32,
    name: Option<String>,
    realname: Option<String>,
    firstname: Option<String>,
    is_active: i32,
    profiles_id: i32,
    entities_id: Option<i32>,
}

/// Staff as stored, indexed for one file.
struct People {
    actor: Actor,
    people: HashMap<String, Person>,
    users: HashMap<i64, UserSnap>,
    assignments: HashMap<i64, Vec<(i64, Assignment)>>,
    profile_map: HashMap<String, (i32, bool)>,
    logins: HashSet<String>,
    /// AAF structure id -> (entity id, closed)
    structures: HashMap<String, (i64, bool)>,
    /// The AAF file's date.
    date: Option<String>,
    /// New people, written in batches by [`People::flush`].
    pending: Vec<NewPerson>,
    pending_ids: HashSet<String>,
}

/// A person to create, once the batch is written.
struct NewPerson {
    aaf_id: String,
    state: PersonState,
    login: String,
    wanted: Vec<Assignment>,
    home: i64,
}

/// People created per statement: one round trip per batch instead of several per person.
const BATCH: usize = 500;

impl People {
    fn load(c: &mut DbConn, estabs: &Estabs, actor: Actor) -> Result<People, StoreError> {
        use crate::db::schema::users;
        let people: HashMap<String, Person> = repo::all_people(c)?.into_iter().map(|p| (p.aaf_id.clone(), p)).collect();
        let ids: Vec<i32> = people.values().map(|p| p.users_id).collect();
        let mut snaps = HashMap::new();
        for chunk in ids.chunks(500) {
            let rows: Vec<UserSnap> = users::table
                .select((
                    users::id,
                    users::name,
                    users::realname,
                    users::firstname,
                    users::is_active,
                    users::profiles_id,
                    users::entities_id,
                ))
                .filter(users::id.eq_any(chunk))
                .load(c)?;
            snaps.extend(rows.into_iter().map(|u| (u.id as i64, u)));
        }
        let structures = estabs
            .by_aaf
            .iter()
            .filter_map(|(aaf, uai)| estabs.by_uai.get(uai).map(|e| (aaf.clone(), e)))
            .map(|(aaf, e)| (aaf, (e.entities_id as i64, e.data.state() == EstabState::Closed)))
            .collect();
        Ok(People {
            actor,
            people,
            users: snaps,
            assignments: repo::dynamic_assignments(c)?,
            profile_map: repo::profile_map(c)?,
            logins: repo::logins(c)?,
            structures,
            date: estabs.date.clone(),
            pending: Vec::new(),
            pending_ids: HashSet::new(),
        })
    }

    fn state_of(&self, p: &Person) -> PersonState {
        let u = self.users.get(&(p.users_id as i64));
        PersonState {
            realname: u.and_then(|u| u.realname.clone()).unwrap_or_default(),
            firstname: u.and_then(|u| u.firstname.clone()).unwrap_or_default(),
            email: p.email.clone().unwrap_or_default(),
            structures: p.structures.split(',').filter(|s| !s.is_empty()).map(str::to_string).collect(),
            functions: split_functions(&p.functions),
        }
    }

    /// Profiles a person's functions give: on each function's establishment, when open.
    fn wanted(&self, s: &PersonState) -> Vec<Assignment> {
        let list = s.functions.iter().filter_map(|(st, code)| {
            let (eid, closed) = self.structures.get(st)?;
            let (pid, rec) = self.profile_map.get(code)?;
            (!closed).then_some(Assignment { profiles_id: *pid as i64, entities_id: *eid, is_recursive: *rec as i64 })
        });
        let mut seen = BTreeSet::new();
        list.filter(|a| seen.insert(a.clone())).collect()
    }

    fn apply(&mut self, c: &mut DbConn, req: &Request, report: &mut FileReport) -> Result<(), StoreError> {
        let at = req.at();
        let reject = |report: &mut FileReport, reason: String| -> Result<(), StoreError> {
            report.rejected.push(Rejection { at: at.clone(), reason });
            Ok(())
        };
        if self.pending_ids.contains(&req.id) {
            self.flush(c)?;
        }
        let known = self.people.get(&req.id).cloned();
        if known.as_ref().is_some_and(|p| stale(&self.date, &p.aaf_date)) {
            report.unchanged += 1;
            return Ok(());
        }
        if req.op == Op::Delete {
            return match known {
                None => reject(report, format!("unknown person {}", req.id)),
                Some(p) if p.left_on.is_some() => {
                    report.unchanged += 1;
                    Ok(())
                }
                Some(p) => self.leave(c, p, report),
            };
        }
        let patch = match aaf::person_patch(req) {
            Ok(p) => p,
            Err(e) => return reject(report, e),
        };
        let (base, replace) = match (&known, req.op) {
            (Some(p), _) => (self.state_of(p), req.op == Op::Add),
            (None, Op::Add) => (PersonState::default(), true),
            (None, _) => return reject(report, format!("unknown person {}", req.id)),
        };
        let wanted_state = base.patched(&patch, replace);
        let mut mentioned: Vec<&String> = wanted_state.structures.iter().collect();
        mentioned.extend(wanted_state.functions.iter().map(|(s, _)| s));
        if !mentioned.iter().any(|s| self.structures.contains_key(*s)) {
            let list = mentioned.iter().map(|s| s.as_str()).collect::<BTreeSet<_>>().into_iter().collect::<Vec<_>>();
            return reject(report, format!("no known establishment among structures [{}]", list.join(", ")));
        }
        match known {
            None => self.create(c, &req.id, &wanted_state, report),
            Some(p) => self.update(c, p, &wanted_state, report),
        }
    }

    /// The default entity: the first establishment where the person has a profile, else
    /// the first one they are attached to.
    fn home(&self, s: &PersonState, wanted: &[Assignment]) -> i64 {
        wanted
            .first()
            .map(|a| a.entities_id)
            .or_else(|| s.structures.iter().find_map(|x| self.structures.get(x).map(|e| e.0)))
            .unwrap_or(0)
    }

    fn login_for(&mut self, s: &PersonState, aaf_id: &str) -> String {
        let clean = |x: &str| -> String {
            fold(x)
                .chars()
                .map(|c| if c == ' ' { '-' } else { c })
                .filter(|c| c.is_ascii_alphanumeric() || "._-".contains(*c))
                .collect()
        };
        let base = match s.email.split_once('@') {
            Some((local, _)) if !clean(local).is_empty() => clean(local),
            _ => [clean(&s.firstname), clean(&s.realname)]
                .into_iter()
                .filter(|x| !x.is_empty())
                .collect::<Vec<_>>()
                .join("."),
        };
        let login = if base.is_empty() || self.logins.contains(&base) { format!("{base}.{aaf_id}") } else { base };
        let login = login.trim_start_matches('.').to_string();
        self.logins.insert(login.clone());
        login
    }

    fn create(
        &mut self,
        c: &mut DbConn,
        aaf_id: &str,
        s: &PersonState,
        report: &mut FileReport,
    ) -> Result<(), StoreError> {
        let wanted = self.wanted(s);
        let login = self.login_for(s, aaf_id);
        report.added += 1;
        let codes: Vec<&str> = s.functions.iter().map(|(_, f)| f.as_str()).collect();
        report.changes.push(format!("+ person {aaf_id} {login} [{}]", codes.join(", ")));
        let home = self.home(s, &wanted);
        self.pending_ids.insert(aaf_id.to_string());
        self.pending.push(NewPerson { aaf_id: aaf_id.to_string(), state: s.clone(), login, wanted, home });
        if self.pending.len() >= BATCH {
            self.flush(c)?;
        }
        Ok(())
    }

    /// Write the queued new people: users, e-mails, profiles and directory rows, each kind
    /// in one statement (with its change-log rows).
    fn flush(&mut self, c: &mut DbConn) -> Result<(), StoreError> {
        let batch = std::mem::take(&mut self.pending);
        self.pending_ids.clear();
        if batch.is_empty() {
            return Ok(());
        }
        let rows = |def: &'static ItemTypeDef, maps: Vec<Map<String, Value>>| -> Result<_, StoreError> {
            maps.iter().map(|m| store::validate_input(def, m)).collect::<Result<Vec<_>, _>>()
        };
        let users = batch
            .iter()
            .map(|p| {
                let mut u = Map::new();
                u.insert("name".into(), json!(p.login));
                u.insert("realname".into(), json!(p.state.realname));
                u.insert("firstname".into(), json!(p.state.firstname));
                u.insert("registration_number".into(), json!(p.aaf_id));
                // GLPI's Auth::CAS: directory people sign on through the ENT, never with a password.
                u.insert("authtype".into(), json!(5));
                u.insert("is_active".into(), json!(1));
                u.insert("profiles_id".into(), json!(p.wanted.first().map(|a| a.profiles_id).unwrap_or(0)));
                u.insert("entities_id".into(), json!(p.home));
                u
            })
            .collect();
        let uids = store::insert_many(c, def("User"), rows(def("User"), users)?, &self.actor)?;
        let emails = batch
            .iter()
            .zip(&uids)
            .filter(|(p, _)| !p.state.email.is_empty())
            .map(|(p, uid)| email_row(*uid, &p.state.email))
            .collect();
        store::insert_many(c, def("UserEmail"), rows(def("UserEmail"), emails)?, &self.actor)?;
        let mut assigned = Vec::new();
        let mut pu_rows = Vec::new();
        for (p, uid) in batch.iter().zip(&uids) {
            for (i, a) in p.wanted.iter().enumerate() {
                pu_rows.push(assignment_row(*uid, a, i == 0));
                assigned.push((*uid, a.clone()));
            }
        }
        let pu_ids = store::insert_many(c, def("Profile_User"), rows(def("Profile_User"), pu_rows)?, &self.actor)?;
        for ((uid, a), id) in assigned.into_iter().zip(pu_ids) {
            self.assignments.entry(uid).or_default().push((id, a));
        }
        let now = store::now();
        let mut sql = Sql::new(c.backend());
        sql.push("INSERT INTO \"directory_people\" (\"aaf_id\", \"users_id\", \"category\", \"structures\", \"functions\", \"email\", \"aaf_date\", \"date_creation\", \"date_mod\") VALUES ");
        for (i, (p, uid)) in batch.iter().zip(&uids).enumerate() {
            let text =
                |v: Option<&String>| v.filter(|x| !x.is_empty()).map(|x| Val::Text(x.clone())).unwrap_or(Val::Null);
            sql.push(if i > 0 { ", (" } else { "(" })
                .bind(p.aaf_id.as_str())
                .push(", ")
                .bind(*uid)
                .push(", 'PersEducNat', ");
            sql.bind(p.state.structures.join(",")).push(", ").bind(join_functions(&p.state.functions)).push(", ");
            sql.bind(text(Some(&p.state.email))).push(", ").bind(text(self.date.as_ref())).push(", ");
            sql.bind(now.as_str()).push(", ").bind(now.as_str()).push(")");
        }
        sql.push(" RETURNING CAST(\"id\" AS BIGINT) AS n");
        let mut ids = sql.load_ints(c)?;
        ids.sort_unstable();
        for ((p, uid), id) in batch.into_iter().zip(uids).zip(ids) {
            let snap = UserSnap {
                id: uid as i32,
                name: Some(p.login),
                realname: Some(p.state.realname.clone()),
                firstname: Some(p.state.firstname.clone()),
                is_active: 1,
                profiles_id: p.wanted.first().map(|a| a.profiles_id as i32).unwrap_or(0),
                entities_id: Some(p.home as i32),
            };
            self.users.insert(uid, snap);
            let person = Person {
                id: id as i32,
                aaf_id: p.aaf_id.clone(),
                users_id: uid as i32,
                category: "PersEducNat".into(),
                structures: p.state.structures.join(","),
                functions: join_functions(&p.state.functions),
                email: Some(p.state.email).filter(|e| !e.is_empty()),
                left_on: None,
                aaf_date: self.date.clone(),
            };
            self.people.insert(p.aaf_id, person);
        }
        Ok(())
    }

    fn assign(&self, c: &mut DbConn, uid: i64, a: &Assignment, default: bool) -> Result<i64, StoreError> {
        insert(c, "Profile_User", assignment_row(uid, a, default), &self.actor)
    }

    fn set_email(&self, c: &mut DbConn, uid: i64, old: &str, new: &str) -> Result<(), StoreError> {
        if old == new {
            return Ok(());
        }
        let mut sql = Sql::new(c.backend());
        sql.push("DELETE FROM \"useremails\" WHERE \"is_dynamic\" = 1 AND \"users_id\" = ").bind(uid);
        sql.execute(c)?;
        self.add_email(c, uid, new)
    }

    fn add_email(&self, c: &mut DbConn, uid: i64, new: &str) -> Result<(), StoreError> {
        if !new.is_empty() {
            insert(c, "UserEmail", email_row(uid, new), &self.actor)?;
        }
        Ok(())
    }

    /// Bring a known person in line with the directory; nothing is written when equal.
    fn update(
        &mut self,
        c: &mut DbConn,
        p: Person,
        s: &PersonState,
        report: &mut FileReport,
    ) -> Result<(), StoreError> {
        let uid = p.users_id as i64;
        let old = self.state_of(&p);
        let wanted = self.wanted(s);
        let mut what = Vec::new();
        // User row: names, active again if they had left, default profile and entity.
        let snap = self.users.get(&uid).cloned();
        let mut fields = Map::new();
        let profile = wanted.first().map(|a| a.profiles_id).unwrap_or(0);
        let home = self.home(s, &wanted);
        if let Some(u) = &snap {
            if u.realname.as_deref().unwrap_or("") != s.realname {
                fields.insert("realname".into(), json!(s.realname));
            }
            if u.firstname.as_deref().unwrap_or("") != s.firstname {
                fields.insert("firstname".into(), json!(s.firstname));
            }
            if u.is_active != 1 {
                fields.insert("is_active".into(), json!(1));
                what.push("returned".to_string());
            }
            if u.profiles_id as i64 != profile {
                fields.insert("profiles_id".into(), json!(profile));
            }
            if u.entities_id.unwrap_or(0) as i64 != home {
                fields.insert("entities_id".into(), json!(home));
            }
        }
        if !fields.is_empty() {
            what.extend(fields.keys().filter(|k| *k != "is_active").cloned());
            let d = def("User");
            let values = store::validate_input(d, &fields)?;
            store::update(c, d, uid, values, &self.actor)?;
        }
        if old.email != s.email {
            self.set_email(c, uid, &old.email, &s.email)?;
            what.push("email".into());
        }
        // Profiles: add what is missing, remove what the functions no longer give.
        let have = self.assignments.remove(&uid).unwrap_or_default();
        let mut kept = Vec::new();
        for (id, a) in have {
            if wanted.contains(&a) {
                kept.push((id, a));
            } else {
                store::delete(c, def("Profile_User"), id, true, &self.actor)?;
                what.push(format!("-profile {}@{}", a.profiles_id, a.entities_id));
            }
        }
        for a in &wanted {
            if !kept.iter().any(|(_, k)| k == a) {
                let id = self.assign(c, uid, a, kept.is_empty())?;
                what.push(format!("+profile {}@{}", a.profiles_id, a.entities_id));
                kept.push((id, a.clone()));
            }
        }
        self.assignments.insert(uid, kept);
        let structures = s.structures.join(",");
        let functions = join_functions(&s.functions);
        if structures != p.structures {
            what.push("structures".into());
        }
        if functions != p.functions {
            what.push("functions".into());
        }
        let aaf_date = if what.is_empty() { p.aaf_date.clone() } else { self.date.clone().or(p.aaf_date.clone()) };
        if !what.is_empty() || p.left_on.is_some() || aaf_date != p.aaf_date {
            let email = Some(s.email.clone()).filter(|e| !e.is_empty());
            repo::update_person(c, p.id, &structures, &functions, &email, &aaf_date)?;
            let updated = Person { structures, functions, email, left_on: None, aaf_date, ..p.clone() };
            self.people.insert(p.aaf_id.clone(), updated);
        }
        if let (Some(u), false) = (snap, fields.is_empty()) {
            let mut u = u;
            u.realname = Some(s.realname.clone());
            u.firstname = Some(s.firstname.clone());
            u.is_active = 1;
            u.profiles_id = profile as i32;
            u.entities_id = Some(home as i32);
            self.users.insert(uid, u);
        }
        if what.is_empty() {
            report.unchanged += 1;
        } else {
            report.updated += 1;
            let login = self.users.get(&uid).and_then(|u| u.name.clone()).unwrap_or_default();
            report.changes.push(format!("~ person {} {login}: {}", p.aaf_id, what.join(", ")));
        }
        Ok(())
    }

    /// The person left: disabled, directory profiles and open sessions removed. Their
    /// user row, history and tickets stay.
    fn leave(&mut self, c: &mut DbConn, p: Person, report: &mut FileReport) -> Result<(), StoreError> {
        let uid = p.users_id as i64;
        let mut fields = Map::new();
        fields.insert("is_active".into(), json!(0));
        let d = def("User");
        let values = store::validate_input(d, &fields)?;
        store::update(c, d, uid, values, &self.actor)?;
        for (id, _) in self.assignments.remove(&uid).unwrap_or_default() {
            store::delete(c, def("Profile_User"), id, true, &self.actor)?;
        }
        let mut sql = Sql::new(c.backend());
        sql.push("DELETE FROM \"sessions\" WHERE \"users_id\" = ").bind(uid);
        sql.execute(c)?;
        let today = today();
        repo::mark_person_left(c, p.id, &today, &self.date.clone().or(p.aaf_date.clone()))?;
        if let Some(u) = self.users.get_mut(&uid) {
            u.is_active = 0;
        }
        let login = self.users.get(&uid).and_then(|u| u.name.clone()).unwrap_or_default();
        let aaf_date = self.date.clone().or(p.aaf_date.clone());
        self.people.insert(p.aaf_id.clone(), Person { left_on: Some(today), aaf_date, ..p.clone() });
        report.left += 1;
        report.changes.push(format!("- person {} {login} left", p.aaf_id));
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_dates_and_staleness() {
        assert_eq!(super::file_date("x/ENT_IDF_Complet_20250901_EtabEducNat_0000.xml").as_deref(), Some("20250901"));
        assert_eq!(super::file_date("ENT_IDF_Delta_20250902_PersEducNat_0000.xml").as_deref(), Some("20250902"));
        assert_eq!(super::file_date("annuaire.csv"), None);
        let d = |s: &str| Some(s.to_string());
        assert!(super::stale(&d("20250901"), &d("20250902")));
        assert!(!super::stale(&d("20250902"), &d("20250902")));
        assert!(!super::stale(&None, &d("20250902")));
        assert!(!super::stale(&d("20250901"), &None));
    }

    #[test]
    fn departements_from_postcodes() {
        assert_eq!(super::departement_from_postcode(Some("77000")).as_deref(), Some("077"));
        assert_eq!(super::departement_from_postcode(Some("97400")).as_deref(), Some("974"));
        assert_eq!(super::departement_from_postcode(Some("20000")), None);
        assert_eq!(super::departement_from_postcode(None), None);
    }
}
