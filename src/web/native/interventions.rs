//! OPTIC interventions in the native API: create, read, update, cancel, an agent's
//! schedule and a lycée's history. Times are stored in UTC and shown in Europe/Paris.

use super::Caller;
use crate::access::{self, Op};
use crate::app::State;
use crate::auth::session::Session;
use crate::db::DbConn;
use crate::interventions::{self as iv, paris};
use crate::items::{add_one, update_one, Refusal};
use crate::itemtypes::{self, store, ItemTypeDef};
use crate::web::error::ApiError;
use actix_web::web::{Json, Path, Query};
use actix_web::{delete, get, patch, post, HttpResponse};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::{IntoParams, ToSchema};

/// Work on one ticket during the visit; becomes a TicketTask with this time.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TicketWork {
    pub ticket_id: i64,
    pub minutes: i64,
    #[serde(default)]
    pub note: String,
}

/// An item handled, found by id, inventory number or serial (a scanned label).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ItemWork {
    pub tag: String,
    pub itemtype: Option<String>,
    pub action: String,
    pub comment: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewIntervention {
    /// Establishment (entity id).
    pub entities_id: i64,
    /// The agent; defaults to the caller. Only managers may log for someone else.
    pub agent_id: Option<i64>,
    /// Arrival: RFC 3339 with offset, or Paris local time `YYYY-MM-DDTHH:MM[:SS]`.
    pub arrival: String,
    /// Departure, same formats; must come after the arrival.
    pub departure: String,
    #[serde(default)]
    pub travel_minutes: i64,
    /// repair, install, replace, move, diagnose, configure, other.
    #[serde(default)]
    pub actions: Vec<String>,
    pub notes: Option<String>,
    #[serde(default)]
    pub tickets: Vec<TicketWork>,
    #[serde(default)]
    pub items: Vec<ItemWork>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InterventionPatch {
    pub arrival: Option<String>,
    pub departure: Option<String>,
    pub travel_minutes: Option<i64>,
    pub actions: Option<Vec<String>>,
    pub notes: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketWorkView {
    pub ticket_id: i64,
    pub task_id: i64,
    pub minutes: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemView {
    pub itemtype: String,
    pub items_id: i64,
    pub action: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InterventionView {
    pub id: i64,
    pub entities_id: i64,
    pub agent_id: i64,
    /// Europe/Paris, RFC 3339.
    pub arrival: String,
    pub departure: String,
    pub arrival_utc: String,
    pub departure_utc: String,
    pub minutes_on_site: i64,
    pub travel_minutes: i64,
    pub actions: Vec<String>,
    pub notes: Option<String>,
    /// done or cancelled.
    pub status: String,
    pub tickets: Vec<TicketWorkView>,
    pub items: Vec<ItemView>,
}

fn refusal(r: Refusal) -> ApiError {
    match r {
        Refusal::Right => ApiError::Forbidden("you may not log interventions there".into()),
        Refusal::NotFound => ApiError::NotFound("intervention not found".into()),
        Refusal::Invalid(m) => ApiError::Validation(m),
        Refusal::Unavailable => ApiError::Unavailable,
    }
}

fn store_err(e: store::StoreError) -> ApiError {
    refusal(e.into())
}

/// Parse an input time to UTC `YYYY-MM-DD HH:MM:SS`.
fn to_utc(v: &str, what: &str) -> Result<String, ApiError> {
    let bad = || {
        ApiError::Validation(format!(
            "{what} must be RFC 3339 or YYYY-MM-DDTHH:MM in Paris time, got {}",
            v.chars().take(40).collect::<String>()
        ))
    };
    if let Ok(d) = chrono::DateTime::parse_from_rfc3339(v.trim()) {
        return Ok(d.naive_utc().format("%Y-%m-%d %H:%M:%S").to_string());
    }
    let local = store::parse_datetime(v).ok_or_else(bad)?;
    let naive = chrono::NaiveDateTime::parse_from_str(&local, "%Y-%m-%d %H:%M:%S").map_err(|_| bad())?;
    if paris::in_spring_gap(naive) {
        return Err(ApiError::Validation(format!(
            "{what} {} does not exist in Paris time: clocks skip from 02:00 to 03:00 that night",
            naive.format("%Y-%m-%dT%H:%M")
        )));
    }
    Ok(paris::local_to_utc(naive).format("%Y-%m-%d %H:%M:%S").to_string())
}

fn check_actions(actions: &[String]) -> Result<String, ApiError> {
    iv::check_actions(actions).map_err(ApiError::Validation)
}

fn def() -> &'static ItemTypeDef {
    itemtypes::find("PluginOpticIntervention").expect("declared")
}

/// One transaction: diesel rolls back when `f` returns an error.
fn transaction<T>(c: &mut DbConn, f: impl FnOnce(&mut DbConn) -> Result<T, ApiError>) -> Result<T, ApiError> {
    c.write_transaction(f)
}

fn view(c: &mut DbConn, id: i64) -> Result<InterventionView, ApiError> {
    let row = store::get(c, def(), id)
        .map_err(store_err)?
        .ok_or_else(|| ApiError::NotFound(format!("intervention {id} not found")))?;
    let s = |k: &str| row.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
    let n = |k: &str| row.get(k).and_then(Value::as_i64).unwrap_or(0);
    let parse = |v: &str| chrono::NaiveDateTime::parse_from_str(v, "%Y-%m-%d %H:%M:%S").ok();
    let (b, e) = (parse(&s("date_begin")), parse(&s("date_end")));
    let tickets = iv::repo::ticket_links(c, id)?
        .into_iter()
        .map(|r| TicketWorkView {
            ticket_id: r["tickets_id"].as_i64().unwrap_or(0),
            task_id: r["tickettasks_id"].as_i64().unwrap_or(0),
            minutes: r["actiontime"].as_i64().unwrap_or(0) / 60,
        })
        .collect();
    let items = iv::repo::item_links(c, id)?
        .into_iter()
        .map(|r| ItemView {
            itemtype: r["itemtype"].as_str().unwrap_or_default().to_string(),
            items_id: r["items_id"].as_i64().unwrap_or(0),
            action: r["action"].as_str().map(str::to_string),
        })
        .collect();
    Ok(InterventionView {
        id,
        entities_id: n("entities_id"),
        agent_id: n("users_id"),
        arrival: b.map(paris::to_local).unwrap_or_default(),
        departure: e.map(paris::to_local).unwrap_or_default(),
        arrival_utc: s("date_begin"),
        departure_utc: s("date_end"),
        minutes_on_site: match (b, e) {
            (Some(b), Some(e)) => (e - b).num_minutes(),
            _ => 0,
        },
        travel_minutes: n("travel_duration") / 60,
        actions: s("actions").split(',').filter(|a| !a.is_empty()).map(str::to_string).collect(),
        notes: row.get("comment").and_then(Value::as_str).map(str::to_string),
        status: if n("status") == iv::CANCELLED { "cancelled".into() } else { "done".into() },
        tickets,
        items,
    })
}

fn readable(c: &mut DbConn, s: &Session, id: i64) -> Result<(), ApiError> {
    store::get(c, def(), id)
        .map_err(store_err)?
        .ok_or_else(|| ApiError::NotFound(format!("intervention {id} not found")))?;
    if !access::type_allows(&s.rights, def(), Op::Read) || !access::row_visible(c, s, def(), id)? {
        return Err(ApiError::Forbidden("outside your establishments".into()));
    }
    Ok(())
}

/// Log a visit: time on site, travel, tickets worked (as TicketTasks), items handled.
#[utoipa::path(tag = "interventions", request_body = NewIntervention, security(("bearer" = [])),
    responses((status = 201, body = InterventionView), crate::web::error::ErrorResponses))]
#[post("/interventions")]
pub async fn create(state: State, body: Json<NewIntervention>, caller: Caller) -> Result<HttpResponse, ApiError> {
    let s = caller.0;
    let b = body.into_inner();
    let begin = to_utc(&b.arrival, "arrival")?;
    let end = to_utc(&b.departure, "departure")?;
    let actions = check_actions(&b.actions)?;
    if b.travel_minutes < 0 || b.travel_minutes > 24 * 60 {
        return Err(ApiError::Validation("travel_minutes must be between 0 and 1440".into()));
    }
    let v = state
        .db
        .run(move |c| {
            transaction(c, |c| {
                let mut input = Map::new();
                input.insert("entities_id".into(), json!(b.entities_id));
                input.insert("users_id".into(), json!(b.agent_id.unwrap_or(s.users_id())));
                input.insert("date_begin".into(), json!(begin));
                input.insert("date_end".into(), json!(end));
                input.insert("travel_duration".into(), json!(b.travel_minutes * 60));
                input.insert("actions".into(), json!(actions));
                if let Some(n) = &b.notes {
                    input.insert("comment".into(), json!(n));
                }
                let (id, _) = add_one(c, &s, def(), Value::Object(input)).map_err(refusal)?;
                for t in &b.tickets {
                    iv::add_ticket_work(c, &s, id, t.ticket_id, t.minutes * 60, &t.note, &begin).map_err(store_err)?;
                }
                let link = itemtypes::find("PluginOpticIntervention_Item").expect("declared");
                for it in &b.items {
                    check_actions(std::slice::from_ref(&it.action))?;
                    let (ty, item) =
                        iv::find_item(c, b.entities_id, &it.tag, it.itemtype.as_deref()).map_err(store_err)?;
                    let mut l = Map::new();
                    l.insert("plugin_optic_interventions_id".into(), json!(id));
                    l.insert("itemtype".into(), json!(ty));
                    l.insert("items_id".into(), json!(item));
                    l.insert("action".into(), json!(it.action));
                    if let Some(cmt) = &it.comment {
                        l.insert("comment".into(), json!(cmt));
                    }
                    let values = store::validate_input(link, &l).map_err(store_err)?;
                    store::insert(c, link, values, &s.actor()).map_err(store_err)?;
                }
                view(c, id)
            })
        })
        .await?;
    Ok(HttpResponse::Created().json(v))
}

/// One intervention.
#[utoipa::path(tag = "interventions", params(("id" = i64, Path, description = "Intervention id")), security(("bearer" = [])),
    responses((status = 200, body = InterventionView), crate::web::error::ErrorResponses))]
#[get("/interventions/{id}")]
pub async fn read(state: State, id: Path<i64>, caller: Caller) -> Result<Json<InterventionView>, ApiError> {
    let (s, id) = (caller.0, id.into_inner());
    let v = state
        .db
        .run(move |c| {
            readable(c, &s, id)?;
            view(c, id)
        })
        .await?;
    Ok(Json(v))
}

/// Correct times, travel, actions or notes; the rules are checked again.
#[utoipa::path(tag = "interventions", params(("id" = i64, Path, description = "Intervention id")), request_body = InterventionPatch,
    security(("bearer" = [])), responses((status = 200, body = InterventionView), crate::web::error::ErrorResponses))]
#[patch("/interventions/{id}")]
pub async fn update(
    state: State,
    id: Path<i64>,
    body: Json<InterventionPatch>,
    caller: Caller,
) -> Result<Json<InterventionView>, ApiError> {
    let (s, id, p) = (caller.0, id.into_inner(), body.into_inner());
    let mut input = Map::new();
    if let Some(a) = &p.arrival {
        input.insert("date_begin".into(), json!(to_utc(a, "arrival")?));
    }
    if let Some(d) = &p.departure {
        input.insert("date_end".into(), json!(to_utc(d, "departure")?));
    }
    if let Some(t) = p.travel_minutes {
        if !(0..=24 * 60).contains(&t) {
            return Err(ApiError::Validation("travel_minutes must be between 0 and 1440".into()));
        }
        input.insert("travel_duration".into(), json!(t * 60));
    }
    if let Some(a) = &p.actions {
        input.insert("actions".into(), json!(check_actions(a)?));
    }
    if let Some(n) = p.notes {
        input.insert("comment".into(), json!(n));
    }
    let v = state
        .db
        .run(move |c| {
            readable(c, &s, id)?;
            update_one(c, &s, def(), id, input).map_err(refusal)?;
            view(c, id)
        })
        .await?;
    Ok(Json(v))
}

/// Cancel: kept in history as cancelled; its ticket tasks are removed.
#[utoipa::path(tag = "interventions", params(("id" = i64, Path, description = "Intervention id")), security(("bearer" = [])),
    responses((status = 200, body = InterventionView), crate::web::error::ErrorResponses))]
#[delete("/interventions/{id}")]
pub async fn cancel(state: State, id: Path<i64>, caller: Caller) -> Result<Json<InterventionView>, ApiError> {
    let (s, id) = (caller.0, id.into_inner());
    let v = state
        .db
        .run(move |c| {
            readable(c, &s, id)?;
            let row = store::get_raw(c, def(), id).map_err(store_err)?.unwrap_or_default();
            let agent = row.get("users_id").and_then(Value::as_i64).unwrap_or(0);
            if !access::type_allows(&s.rights, def(), Op::Update) || (agent != s.users_id() && !iv::is_manager(&s)) {
                return Err(ApiError::Forbidden("only the agent or a manager may cancel".into()));
            }
            transaction(c, |c| {
                iv::cancel(c, &s, id).map_err(store_err)?;
                view(c, id)
            })
        })
        .await?;
    Ok(Json(v))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct HistoryQuery {
    /// Establishment (entity id).
    pub establishment: Option<i64>,
    /// Agent (user id).
    pub agent: Option<i64>,
    /// From (inclusive), YYYY-MM-DD, Paris time.
    pub from: Option<String>,
    /// To (exclusive), YYYY-MM-DD, Paris time.
    pub to: Option<String>,
    #[serde(default)]
    pub offset: i64,
    #[serde(default = "default_limit")]
    pub limit: i64,
}

fn default_limit() -> i64 {
    50
}

fn day_start_utc(d: &str) -> Result<String, ApiError> {
    let date = chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d").map_err(|_| {
        ApiError::BadRequest(format!("bad date {}: expected YYYY-MM-DD", d.chars().take(20).collect::<String>()))
    })?;
    Ok(paris::local_to_utc(date.and_hms_opt(0, 0, 0).expect("midnight")).format("%Y-%m-%d %H:%M:%S").to_string())
}

fn list_ids(
    c: &mut DbConn,
    s: &Session,
    q: &HistoryQuery,
    from: Option<String>,
    to: Option<String>,
) -> Result<Vec<i64>, ApiError> {
    let h = iv::repo::History {
        establishment: q.establishment,
        agent: q.agent,
        from,
        to,
        offset: q.offset,
        limit: q.limit,
    };
    Ok(iv::repo::history_ids(c, s, h)?)
}

/// History of interventions, by establishment and/or agent and period, oldest first.
#[utoipa::path(tag = "interventions", params(HistoryQuery), security(("bearer" = [])),
    responses((status = 200, body = Vec<InterventionView>), crate::web::error::ErrorResponses))]
#[get("/interventions")]
pub async fn history(
    state: State,
    q: Query<HistoryQuery>,
    caller: Caller,
) -> Result<Json<Vec<InterventionView>>, ApiError> {
    let (s, q) = (caller.0, q.into_inner());
    if !(1..=1000).contains(&q.limit) || q.offset < 0 {
        return Err(ApiError::Validation("limit must be 1..=1000 and offset >= 0".into()));
    }
    if !access::type_allows(&s.rights, def(), Op::Read) {
        return Err(ApiError::Forbidden("missing read right on interventions".into()));
    }
    let from = q.from.as_deref().map(day_start_utc).transpose()?;
    let to = q.to.as_deref().map(day_start_utc).transpose()?;
    let list = state
        .db
        .run(move |c| {
            let ids = list_ids(c, &s, &q, from, to)?;
            ids.into_iter().map(|id| view(c, id)).collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(Json(list))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ScheduleQuery {
    /// A day, YYYY-MM-DD (Paris). Defaults to today.
    pub day: Option<String>,
    /// `week` for the Monday-to-Sunday week containing the day.
    pub span: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Schedule {
    pub agent_id: i64,
    pub from: String,
    pub to: String,
    pub minutes_on_site: i64,
    pub travel_minutes: i64,
    pub interventions: Vec<InterventionView>,
}

/// An agent's day or week.
#[utoipa::path(tag = "interventions", params(("id" = i64, Path, description = "Agent (user) id"), ScheduleQuery),
    security(("bearer" = [])), responses((status = 200, body = Schedule), crate::web::error::ErrorResponses))]
#[get("/agents/{id}/schedule")]
pub async fn schedule(
    state: State,
    id: Path<i64>,
    q: Query<ScheduleQuery>,
    caller: Caller,
) -> Result<Json<Schedule>, ApiError> {
    use chrono::Datelike;
    let (s, agent) = (caller.0, id.into_inner());
    if !access::type_allows(&s.rights, def(), Op::Read) {
        return Err(ApiError::Forbidden("missing read right on interventions".into()));
    }
    let today = chrono::Utc::now().naive_utc();
    let day = match &q.day {
        Some(d) => chrono::NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
            .map_err(|_| ApiError::BadRequest("day must be YYYY-MM-DD".into()))?,
        None => (today + chrono::Duration::hours(paris::offset_at_utc(today) as i64)).date(),
    };
    let (first, days) = match q.span.as_deref() {
        None | Some("day") => (day, 1),
        Some("week") => (day - chrono::Duration::days(day.weekday().num_days_from_monday() as i64), 7),
        Some(_) => return Err(ApiError::BadRequest("span must be day or week".into())),
    };
    let last = first + chrono::Duration::days(days);
    let hq = HistoryQuery { establishment: None, agent: Some(agent), from: None, to: None, offset: 0, limit: 1000 };
    let (from, to) = (day_start_utc(&first.to_string())?, day_start_utc(&last.to_string())?);
    let list = state
        .db
        .run(move |c| {
            let ids = list_ids(c, &s, &hq, Some(from), Some(to))?;
            ids.into_iter().map(|id| view(c, id)).collect::<Result<Vec<_>, _>>()
        })
        .await?;
    let live = list.iter().filter(|v| v.status == "done");
    let (on_site, travel) = live.fold((0, 0), |(a, b), v| (a + v.minutes_on_site, b + v.travel_minutes));
    Ok(Json(Schedule {
        agent_id: agent,
        from: first.to_string(),
        to: last.to_string(),
        minutes_on_site: on_site,
        travel_minutes: travel,
        interventions: list,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAssignment {
    pub entities_id: i64,
}

/// Assign an agent to an establishment (managers: the `user` update right).
#[utoipa::path(tag = "interventions", params(("id" = i64, Path, description = "Agent (user) id")), request_body = NewAssignment,
    security(("bearer" = [])), responses((status = 201, body = Object), crate::web::error::ErrorResponses))]
#[post("/agents/{id}/assignments")]
pub async fn assign(
    state: State,
    id: Path<i64>,
    body: Json<NewAssignment>,
    caller: Caller,
) -> Result<HttpResponse, ApiError> {
    let (s, agent, e) = (caller.0, id.into_inner(), body.entities_id);
    let row = state
        .db
        .run(move |c| {
            if iv::is_assigned(c, agent, e)? {
                return Err(ApiError::Conflict(format!("agent {agent} is already assigned to {e}")));
            }
            let input = json!({"users_id": agent, "entities_id": e});
            let a = itemtypes::find("PluginOpticAssignment").expect("declared");
            let (aid, _) = add_one(c, &s, a, input).map_err(refusal)?;
            Ok(json!({"id": aid, "users_id": agent, "entities_id": e}))
        })
        .await?;
    Ok(HttpResponse::Created().json(row))
}
