//! Directory tables and the entity tree they drive: Région (root) > académie > establishment,
//! each establishment entity named `<name> (<UAI>)` with the UAI in its `tag`.
//! Entities and users are written through the itemtype store, so GLPI's change log follows.

use super::academies::Academie;
use super::{EstabRecord, EstabState};
use crate::db::schema::{cas_sessions, directory_people, directory_profile_map, establishments};
use crate::db::sql::{escape_like, Sql};
use crate::db::DbConn;
use crate::itemtypes::store::{self, Actor, Projected, StoreError};
use crate::itemtypes::{self, FieldType};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use std::collections::HashMap;

/// The stored description of an establishment (every column but ids and dates).
/// `state` is `open`, `to_close`, `to_open` or `closed`; `source` is `annuaire` or `aaf`.
#[derive(
    Debug,
    Clone,
    Default,
    PartialEq,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[diesel(table_name = establishments, treat_none_as_null = true)]
pub struct EstabData {
    pub uai: String,
    pub aaf_id: Option<String>,
    /// Date (`YYYYMMDD`) of the AAF file that last changed it.
    pub aaf_date: Option<String>,
    pub name: String,
    pub kind: Option<String>,
    pub nature: Option<String>,
    pub sector: Option<String>,
    pub address: Option<String>,
    pub postcode: Option<String>,
    pub commune_code: Option<String>,
    pub town: Option<String>,
    pub departement: Option<String>,
    pub academie_code: Option<String>,
    pub academie: Option<String>,
    pub region_code: Option<String>,
    pub region: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub phone: Option<String>,
    pub email: Option<String>,
    pub siret: Option<String>,
    pub state: String,
    pub opened_on: Option<String>,
    pub closed_on: Option<String>,
    pub source_updated_on: Option<String>,
    pub source: String,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = establishments)]
pub struct Establishment {
    pub id: i32,
    pub entities_id: i32,
    #[diesel(embed)]
    pub data: EstabData,
}

impl EstabData {
    /// A new row from a record; the state defaults to open.
    pub fn from_record(r: &EstabRecord, source: &str) -> EstabData {
        let empty = EstabData {
            uai: r.uai.to_string(),
            state: EstabState::Open.as_str().into(),
            source: source.into(),
            ..Default::default()
        };
        empty.merged(r, true)
    }

    /// This row with what the record carries. Only an authoritative source overwrites a
    /// value; another fills gaps. The annuaire is authoritative for every establishment,
    /// AAF for those it brought alone: two feeds that disagree cannot flip a field daily.
    pub fn merged(&self, r: &EstabRecord, authoritative: bool) -> EstabData {
        let Ok(Value::Object(mut cur)) = serde_json::to_value(self) else { unreachable!("a struct") };
        let carried = record_fields(r);
        for (k, v) in carried {
            let empty = v.is_null() || v.as_str() == Some("");
            let missing = cur.get(&k).is_none_or(|c| c.is_null() || c.as_str() == Some(""));
            if k == "aaf_id" || authoritative || missing {
                if k == "name" && empty {
                    continue;
                }
                cur.insert(k, if empty { Value::Null } else { v });
            }
        }
        serde_json::from_value(Value::Object(cur)).expect("same shape")
    }

    /// Names of the fields that differ, for the summary.
    pub fn changed_fields(&self, other: &EstabData) -> Vec<String> {
        let (Ok(Value::Object(a)), Ok(Value::Object(b))) = (serde_json::to_value(self), serde_json::to_value(other))
        else {
            return vec![];
        };
        a.iter().filter(|(k, v)| b.get(*k) != Some(v)).map(|(k, _)| k.clone()).collect()
    }

    pub fn state(&self) -> EstabState {
        EstabState::parse(&self.state).unwrap_or(EstabState::Open)
    }
}

/// The fields a record carries, by column name (`None` fields left out).
fn record_fields(r: &EstabRecord) -> Map<String, Value> {
    let mut m = Map::new();
    let mut put = |k: &str, v: Option<Value>| {
        if let Some(v) = v {
            m.insert(k.into(), v);
        }
    };
    let s = |v: &Option<String>| v.as_ref().map(|x| json!(x));
    put("aaf_id", s(&r.aaf_id));
    put("name", s(&r.name));
    put("kind", s(&r.kind));
    put("nature", s(&r.nature));
    put("sector", s(&r.sector));
    put("address", s(&r.address));
    put("postcode", s(&r.postcode));
    put("commune_code", s(&r.commune_code));
    put("town", s(&r.town));
    put("departement", s(&r.departement));
    put("academie_code", s(&r.academie_code));
    put("academie", s(&r.academie));
    put("region_code", s(&r.region_code));
    put("region", s(&r.region));
    put("latitude", r.latitude.map(|x| json!(x)));
    put("longitude", r.longitude.map(|x| json!(x)));
    put("phone", s(&r.phone));
    put("email", s(&r.email));
    put("siret", s(&r.siret));
    put("state", r.state.map(|x| json!(x.as_str())));
    put("opened_on", s(&r.opened_on));
    put("closed_on", s(&r.closed_on));
    put("source_updated_on", s(&r.source_updated_on));
    m
}

pub fn all_establishments(c: &mut DbConn) -> QueryResult<Vec<Establishment>> {
    establishments::table.select(Establishment::as_select()).order(establishments::id).load(c)
}

pub fn establishment_by_uai(c: &mut DbConn, uai: &str) -> QueryResult<Option<Establishment>> {
    establishments::table.select(Establishment::as_select()).filter(establishments::uai.eq(uai)).first(c).optional()
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Filters of the establishment list, already checked and normalised by the caller.
#[derive(Debug, Default)]
pub struct EstabFilter {
    pub uai: Option<String>,
    pub departement: Option<String>,
    pub academie_code: Option<String>,
    pub kind: Option<String>,
    pub state: Option<String>,
    /// Case-insensitive search in the name, UAI and town.
    pub q: Option<String>,
    /// None: every entity is visible.
    pub visible: Option<Vec<i32>>,
}

type Boxed<'a> = establishments::BoxedQuery<'a, crate::db::MultiBackend>;

impl EstabFilter {
    fn query(&self) -> Boxed<'_> {
        use establishments as e;
        let mut q = e::table.into_boxed();
        if let Some(v) = &self.uai {
            q = q.filter(e::uai.eq(v));
        }
        if let Some(v) = &self.departement {
            q = q.filter(e::departement.eq(v));
        }
        if let Some(v) = &self.academie_code {
            q = q.filter(e::academie_code.eq(v));
        }
        if let Some(v) = &self.kind {
            q = q.filter(e::kind.eq(v));
        }
        if let Some(v) = &self.state {
            q = q.filter(e::state.eq(v));
        }
        if let Some(v) = &self.q {
            let pat = format!("%{}%", escape_like(&v.to_lowercase()));
            q = q.filter(
                lower(e::name)
                    .like(pat.clone())
                    .escape('\\')
                    .or(lower(e::uai).like(pat.clone()).escape('\\'))
                    .or(lower(e::town.assume_not_null()).like(pat).escape('\\')),
            );
        }
        if let Some(ids) = &self.visible {
            q = q.filter(e::entities_id.eq_any(ids.clone()));
        }
        q
    }
}

/// How many establishments match, and the page of them ordered by UAI.
pub fn establishments_page(
    c: &mut DbConn,
    f: &EstabFilter,
    offset: i64,
    limit: i64,
) -> QueryResult<(i64, Vec<Establishment>)> {
    let total: i64 = f.query().count().get_result(c)?;
    let rows =
        f.query().select(Establishment::as_select()).order(establishments::uai).offset(offset).limit(limit).load(c)?;
    Ok((total, rows))
}

fn count_in_entity(c: &mut DbConn, table: &str, entity: i64, extra: &str) -> QueryResult<i64> {
    let mut sql = Sql::new(c.backend());
    sql.push("SELECT COUNT(*) AS n FROM ").ident(table).push(" t WHERE t.\"entities_id\" = ").bind(entity);
    sql.push(" AND t.\"is_deleted\" = 0").push(extra);
    Ok(sql.load_ints(c)?.first().copied().unwrap_or(0))
}

/// Assets of an asset table in an establishment's entity, templates and trash left out.
pub fn asset_count(c: &mut DbConn, table: &str, entity: i64) -> QueryResult<i64> {
    count_in_entity(c, table, entity, " AND t.\"is_template\" = 0")
}

/// Tickets of an entity not yet solved (new, assigned, planned, waiting).
pub fn open_ticket_count(c: &mut DbConn, entity: i64) -> QueryResult<i64> {
    count_in_entity(c, "tickets", entity, " AND t.\"status\" < 5")
}

pub fn insert_establishment(c: &mut DbConn, d: &EstabData, entities_id: i64) -> QueryResult<i32> {
    let now = store::now();
    diesel::insert_into(establishments::table)
        .values((
            d,
            establishments::entities_id.eq(entities_id as i32),
            establishments::date_creation.eq(&now),
            establishments::date_mod.eq(&now),
        ))
        .returning(establishments::id)
        .get_result(c)
}

pub fn update_establishment(c: &mut DbConn, id: i32, d: &EstabData, entities_id: i64) -> QueryResult<usize> {
    diesel::update(establishments::table.find(id))
        .set((d, establishments::entities_id.eq(entities_id as i32), establishments::date_mod.eq(store::now())))
        .execute(c)
}

/// The part of the entity tree the directory manages, cached for one file.
pub struct Tree {
    root_name: String,
    /// académie tag -> (entity id, entity name)
    academies: HashMap<String, (i64, String)>,
    pub actor: Actor,
}

fn entity_def() -> &'static itemtypes::ItemTypeDef {
    itemtypes::find("Entity").expect("declared")
}

fn write_entity(c: &mut DbConn, id: Option<i64>, input: Map<String, Value>, actor: &Actor) -> Result<i64, StoreError> {
    let def = entity_def();
    let values = store::validate_input(def, &input)?;
    match id {
        Some(id) => {
            store::update(c, def, id, values, actor)?;
            Ok(id)
        }
        None => store::insert(c, def, values, actor),
    }
}

/// Entities whose tag starts with a prefix: tag -> (id, name).
fn tagged_entities(c: &mut DbConn, like: &str) -> QueryResult<Vec<(String, i64, String)>> {
    #[derive(Deserialize)]
    struct E {
        id: i64,
        tag: String,
        name: Option<String>,
    }
    let cols = [
        Projected { key: "id", alias: "t", column: "id", ty: FieldType::Int },
        Projected { key: "tag", alias: "t", column: "tag", ty: FieldType::Str },
        Projected { key: "name", alias: "t", column: "name", ty: FieldType::Str },
    ];
    let mut sql = Sql::new(c.backend());
    store::select_json(&mut sql, &cols, |s| {
        s.push("\"entities\" t WHERE t.\"tag\" LIKE ").bind(like);
    });
    Ok(sql
        .load_json(c)?
        .into_iter()
        .filter_map(|v| serde_json::from_value::<E>(v).ok())
        .map(|e| (e.tag, e.id, e.name.unwrap_or_default()))
        .collect())
}

impl Tree {
    pub fn load(c: &mut DbConn, actor: Actor) -> QueryResult<Tree> {
        let mut sql = Sql::new(c.backend());
        sql.push("SELECT COALESCE(\"name\", '') AS s FROM \"entities\" WHERE \"id\" = 0");
        let root_name = sql.load_strings(c)?.into_iter().next().unwrap_or_default();
        let academies =
            tagged_entities(c, "academie:%")?.into_iter().map(|(tag, id, name)| (tag, (id, name))).collect();
        Ok(Tree { root_name, academies, actor })
    }

    /// The académie's entity, created under the root when missing.
    pub fn academie(&mut self, c: &mut DbConn, a: &Academie) -> Result<(i64, String), StoreError> {
        let tag = a.tag();
        if let Some(e) = self.academies.get(&tag) {
            return Ok(e.clone());
        }
        let name = a.entity_name();
        let mut input = Map::new();
        input.insert("name".into(), json!(name));
        input.insert("entities_id".into(), json!(0));
        input.insert("completename".into(), json!(format!("{} > {name}", self.root_name)));
        input.insert("level".into(), json!(2));
        input.insert("tag".into(), json!(tag));
        let id = write_entity(c, None, input, &self.actor)?;
        self.academies.insert(tag, (id, name.clone()));
        Ok((id, name))
    }

    /// Create or update the establishment's entity under its académie; returns its id.
    /// An existing entity already tagged with the UAI is adopted.
    pub fn establishment(
        &mut self,
        c: &mut DbConn,
        d: &EstabData,
        academie: (i64, String),
        current: Option<i64>,
    ) -> Result<i64, StoreError> {
        let name = format!("{} ({})", d.name, d.uai);
        let mut input = Map::new();
        input.insert("entities_id".into(), json!(academie.0));
        input.insert("completename".into(), json!(format!("{} > {} > {name}", self.root_name, academie.1)));
        input.insert("name".into(), json!(name));
        input.insert("level".into(), json!(3));
        input.insert("tag".into(), json!(d.uai));
        input.insert("registration_number".into(), json!(d.siret));
        input.insert("address".into(), json!(d.address));
        input.insert("postcode".into(), json!(d.postcode));
        input.insert("town".into(), json!(d.town));
        input.insert("phonenumber".into(), json!(d.phone));
        input.insert("email".into(), json!(d.email));
        input.insert("latitude".into(), json!(d.latitude.map(|x| x.to_string())));
        input.insert("longitude".into(), json!(d.longitude.map(|x| x.to_string())));
        let comment = match d.state() {
            EstabState::Closed => {
                format!("Établissement fermé{}", d.closed_on.as_ref().map(|x| format!(" le {x}")).unwrap_or_default())
            }
            _ => String::new(),
        };
        input.insert("comment".into(), json!(comment));
        let current = match current {
            Some(id) => Some(id),
            None => tagged_entities(c, &d.uai)?.into_iter().find(|(t, _, _)| *t == d.uai).map(|(_, id, _)| id),
        };
        write_entity(c, current, input, &self.actor)
    }
}

/// Function code -> (profile id, recursive), from the configurable `directory_profile_map`.
pub fn profile_map(c: &mut DbConn) -> QueryResult<HashMap<String, (i32, bool)>> {
    let rows: Vec<(String, i32, i32)> = directory_profile_map::table
        .select((
            directory_profile_map::function_code,
            directory_profile_map::profiles_id,
            directory_profile_map::is_recursive,
        ))
        .load(c)?;
    Ok(rows.into_iter().map(|(k, p, r)| (k.to_ascii_uppercase(), (p, r != 0))).collect())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = directory_people)]
pub struct Person {
    pub id: i32,
    pub aaf_id: String,
    pub users_id: i32,
    pub category: String,
    pub structures: String,
    pub functions: String,
    pub email: Option<String>,
    pub left_on: Option<String>,
    pub aaf_date: Option<String>,
}

pub fn all_people(c: &mut DbConn) -> QueryResult<Vec<Person>> {
    directory_people::table.select(Person::as_select()).load(c)
}

/// One profile assignment made by the directory (`is_dynamic = 1`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
pub struct Assignment {
    pub profiles_id: i64,
    pub entities_id: i64,
    pub is_recursive: i64,
}

/// Dynamic assignments of every user: users_id -> [(profiles_users id, assignment)].
pub fn dynamic_assignments(c: &mut DbConn) -> QueryResult<HashMap<i64, Vec<(i64, Assignment)>>> {
    #[derive(Deserialize)]
    struct Row {
        id: i64,
        users_id: i64,
        #[serde(flatten)]
        a: Assignment,
    }
    let col = |k: &'static str| Projected { key: k, alias: "t", column: k, ty: FieldType::Int };
    let cols = [col("id"), col("users_id"), col("profiles_id"), col("entities_id"), col("is_recursive")];
    let mut sql = Sql::new(c.backend());
    store::select_json(&mut sql, &cols, |s| {
        s.push("\"profiles_users\" t WHERE t.\"is_dynamic\" = 1 ORDER BY t.\"id\"");
    });
    let mut out: HashMap<i64, Vec<(i64, Assignment)>> = HashMap::new();
    for v in sql.load_json(c)? {
        if let Ok(r) = serde_json::from_value::<Row>(v) {
            out.entry(r.users_id).or_default().push((r.id, r.a));
        }
    }
    Ok(out)
}

/// A person's directory columns after a sync; they are present again (`left_on` cleared).
pub fn update_person(
    c: &mut DbConn,
    id: i32,
    structures: &str,
    functions: &str,
    email: &Option<String>,
    aaf_date: &Option<String>,
) -> QueryResult<usize> {
    use directory_people as p;
    diesel::update(p::table.find(id))
        .set((
            p::structures.eq(structures),
            p::functions.eq(functions),
            p::email.eq(email),
            p::left_on.eq(None::<String>),
            p::aaf_date.eq(aaf_date),
            p::date_mod.eq(store::now()),
        ))
        .execute(c)
}

/// The person left the directory on `left_on`.
pub fn mark_person_left(c: &mut DbConn, id: i32, left_on: &str, aaf_date: &Option<String>) -> QueryResult<usize> {
    use directory_people as p;
    diesel::update(p::table.find(id))
        .set((p::left_on.eq(left_on), p::aaf_date.eq(aaf_date), p::date_mod.eq(store::now())))
        .execute(c)
}

/// The user of the person with this AAF id.
pub fn person_user_by_aaf_id(c: &mut DbConn, aaf_id: &str) -> QueryResult<Option<i64>> {
    use directory_people as p;
    let found: Option<i32> = p::table.select(p::users_id).filter(p::aaf_id.eq(aaf_id)).first(c).optional()?;
    Ok(found.map(i64::from))
}

/// The user of the (first) person with this e-mail.
pub fn person_user_by_email(c: &mut DbConn, email: &str) -> QueryResult<Option<i64>> {
    use directory_people as p;
    let found: Option<i32> = p::table.select(p::users_id).filter(p::email.eq(email)).first(c).optional()?;
    Ok(found.map(i64::from))
}

/// Whether this user came from the directory.
pub fn is_person(c: &mut DbConn, users_id: i32) -> QueryResult<bool> {
    use directory_people as p;
    let n: i64 = p::table.filter(p::users_id.eq(users_id)).count().get_result(c)?;
    Ok(n > 0)
}

/// Remember which session a CAS service ticket opened, for single logout.
pub fn insert_cas_ticket(c: &mut DbConn, ticket_hash: &str, sessions_id: i32) -> QueryResult<usize> {
    diesel::insert_into(cas_sessions::table)
        .values((
            cas_sessions::ticket_hash.eq(ticket_hash),
            cas_sessions::sessions_id.eq(sessions_id),
            cas_sessions::created_at.eq(chrono::Utc::now().timestamp()),
        ))
        .execute(c)
}

/// The session a CAS service ticket opened.
pub fn cas_ticket_session(c: &mut DbConn, ticket_hash: &str) -> QueryResult<Option<i32>> {
    cas_sessions::table
        .select(cas_sessions::sessions_id)
        .filter(cas_sessions::ticket_hash.eq(ticket_hash))
        .first(c)
        .optional()
}

pub fn delete_cas_ticket(c: &mut DbConn, ticket_hash: &str) -> QueryResult<usize> {
    diesel::delete(cas_sessions::table.filter(cas_sessions::ticket_hash.eq(ticket_hash))).execute(c)
}

/// Logins in use (lower-cased), so that a new person never takes someone else's.
pub fn logins(c: &mut DbConn) -> QueryResult<std::collections::HashSet<String>> {
    let mut sql = Sql::new(c.backend());
    sql.push("SELECT LOWER(\"name\") AS s FROM \"users\" WHERE \"name\" IS NOT NULL");
    Ok(sql.load_strings(c)?.into_iter().collect())
}

/// Entities of the establishments, by UAI, for ticket display and filters.
pub fn establishments_of_entities(c: &mut DbConn, ids: &[i64]) -> QueryResult<HashMap<i64, (String, String)>> {
    let ids: Vec<i32> = ids.iter().map(|i| *i as i32).collect();
    let rows: Vec<(i32, String, String)> = establishments::table
        .select((establishments::entities_id, establishments::uai, establishments::name))
        .filter(establishments::entities_id.eq_any(ids))
        .load(c)?;
    Ok(rows.into_iter().map(|(e, u, n)| (e as i64, (u, n))).collect())
}
