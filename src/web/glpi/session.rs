//! Session endpoints: initSession, killSession, profiles, entities, full session, config.

use super::error::GlpiError;
use super::{ok, params, Ctx, GlpiResult};
use crate::auth::session::{self as sess, AuthError, Session};
use crate::auth::throttle::Throttled;
use actix_web::ResponseError;
use serde_json::{json, Map, Value};

pub const GLPI_VERSION: &str = "10.0.19";

pub async fn init_session(ctx: Ctx) -> GlpiResult {
    let login = params::as_str(ctx.param("login"));
    let password = params::as_str(ctx.param("password"));
    let user_token = params::as_str(ctx.param("user_token")).filter(|t| !t.is_empty());
    let app_token = params::as_str(ctx.param("app_token")).unwrap_or_default();
    let full = ctx.flag("get_full_session");
    let ip = ctx.client_ip;
    if user_token.is_none() && (login.as_deref().unwrap_or("").is_empty() || password.is_none()) {
        return Err(GlpiError::new(
            400,
            "ERROR_LOGIN_PARAMETERS_MISSING",
            "parameter(s) login, password or user_token are missing",
            true,
        ));
    }
    let state = ctx.state.clone();
    let user = match user_token {
        Some(t) => {
            state
                .db
                .run(move |c| -> Result<_, GlpiError> {
                    let client = super::check_client(c, ip, &app_token)?;
                    Ok((client, sess::check_user_token(c, &t).map_err(login_error)?))
                })
                .await?
        }
        None => {
            let login = login.unwrap_or_default();
            match sign_in(&state, ip, app_token, login, password.unwrap_or_default()).await? {
                Ok(found) => found,
                Err(throttled) => return throttled_answer(throttled),
            }
        }
    };
    let (token, s) = open_session(&state, user).await?;
    let mut body = json!({ "session_token": token });
    if full {
        let fs = full_session_value(&ctx, &s, &token).await?;
        body["session"] = fs;
    }
    ok(&body)
}

/// A password sign-in. The account is read on a pooled connection, which is released
/// before argon2 runs; the throttle is consulted first, so refused guesses cost nothing.
async fn sign_in(
    state: &crate::app::State,
    ip: Option<std::net::IpAddr>,
    app_token: String,
    login: String,
    password: String,
) -> Result<Result<(i32, sess::UserRow), Throttled>, GlpiError> {
    if let Err(t) = state.logins.check(&login, ip) {
        tracing::warn!(client_ip = %client_label(ip), login = %login, "sign-in throttled");
        return Ok(Err(t));
    }
    let l = login.clone();
    let (client, found) = state
        .db
        .run(move |c| -> Result<_, GlpiError> {
            let client = super::check_client(c, ip, &app_token)?;
            Ok((client, sess::user_by_login(c, &l)?))
        })
        .await?;
    match sess::check_password(found, &password).await {
        Ok(user) => {
            state.logins.succeeded(&login);
            Ok(Ok((client, user)))
        }
        Err(e) => {
            state.logins.failed(&login, ip);
            tracing::warn!(client_ip = %client_label(ip), login = %login, "failed sign-in");
            Err(login_error(e))
        }
    }
}

fn client_label(ip: Option<std::net::IpAddr>) -> String {
    ip.map(|i| i.to_string()).unwrap_or_else(|| "unknown".into())
}

/// 429 with `Retry-After`, in GLPI's error format.
fn throttled_answer(t: Throttled) -> GlpiResult {
    let mut resp = GlpiError::new(429, "ERROR_GLPI_LOGIN", t.to_string(), false).error_response();
    resp.headers_mut().insert(actix_web::http::header::RETRY_AFTER, t.retry_after_secs().into());
    Ok(resp)
}

async fn open_session(
    state: &crate::app::State,
    (client, user): (i32, sess::UserRow),
) -> Result<(String, Session), GlpiError> {
    let cache = state.db.tree.clone();
    let idle = state.settings.session_idle_secs;
    let st = state.clone();
    state
        .db
        .run(move |c| -> Result<(String, Session), GlpiError> {
            st.session_purge.run(c, idle)?;
            let tree = cache.get(c)?;
            let (token, s) = sess::open(c, &user, client, &tree).map_err(login_error)?;
            tracing::info!(users_id = user.id, "API session opened");
            Ok((token, s))
        })
        .await
}

fn login_error(e: AuthError) -> GlpiError {
    match e {
        AuthError::BadCredentials => GlpiError::new(401, "ERROR_GLPI_LOGIN", "Incorrect username or password", false),
        AuthError::BadUserToken => {
            GlpiError::new(401, "ERROR_GLPI_LOGIN_USER_TOKEN", "parameter user_token seems invalid", false)
        }
        AuthError::NoProfile => GlpiError::new(
            401,
            "ERROR_GLPI_LOGIN",
            "You don't have access to this application because your account was deactivated or removed",
            false,
        ),
        AuthError::Db(e) => e.into(),
    }
}

pub async fn kill_session(ctx: Ctx, s: Session) -> GlpiResult {
    let id = s.id;
    ctx.state.db.run(move |c| sess::kill(c, id).map_err(GlpiError::from)).await?;
    ctx.state.sessions.forget(id);
    ok(&Value::Bool(true))
}

/// Parc sends no e-mail, so the GLPI answer for disabled notifications applies.
pub async fn lost_password(ctx: Ctx) -> GlpiResult {
    if !matches!(ctx.method, actix_web::http::Method::PUT | actix_web::http::Method::PATCH) {
        return Err(GlpiError::generic("Only HTTP verb PUT is allowed"));
    }
    Err(GlpiError::generic("Email notifications are disabled"))
}

/// Profiles of the user with their entities: `[(id, name, [(entity id, short name, recursive)])]`.
/// A profile with its entities: (id, name, [(entity id, name, is_recursive)]).
type ProfileEntities = (i64, String, Vec<(i64, String, i32)>);

async fn profiles_of(ctx: &Ctx, s: &Session) -> Result<Vec<ProfileEntities>, GlpiError> {
    let uid = s.users_id();
    ctx.state
        .db
        .run(move |c| -> Result<_, GlpiError> {
            let assigned = sess::assignments(c, uid)?;
            let mut out: Vec<ProfileEntities> = Vec::new();
            let ids: Vec<i64> = assigned.iter().map(|a| a.entities_id as i64).collect();
            let names = sess::entity_names(c, &ids)?;
            for a in assigned {
                let pname = sess::profile_name(c, a.profiles_id as i64)?;
                let ename = names
                    .iter()
                    .find(|(id, _, _)| *id == a.entities_id)
                    .and_then(|(_, n, _)| n.clone())
                    .unwrap_or_default();
                match out.iter_mut().find(|(id, _, _)| *id == a.profiles_id as i64) {
                    Some(p) => p.2.push((a.entities_id as i64, ename, a.is_recursive)),
                    None => {
                        out.push((a.profiles_id as i64, pname, vec![(a.entities_id as i64, ename, a.is_recursive)]))
                    }
                }
            }
            Ok(out)
        })
        .await
}

pub async fn my_profiles(ctx: Ctx, s: Session) -> GlpiResult {
    let profiles = profiles_of(&ctx, &s).await?;
    let list: Vec<Value> = profiles
        .into_iter()
        .map(|(id, name, ents)| {
            json!({"id": id, "name": name, "entities": ents.into_iter().map(|(e, n, r)| json!({"id": e, "name": n, "is_recursive": r})).collect::<Vec<_>>()})
        })
        .collect();
    ok(&json!({ "myprofiles": list }))
}

async fn active_profile_value(ctx: &Ctx, s: &Session) -> Result<Value, GlpiError> {
    let pid = s.profiles_id;
    let def = crate::itemtypes::find("Profile").expect("Profile declared");
    let row =
        ctx.state.db.run(move |c| crate::itemtypes::store::get(c, def, pid).map_err(|_| GlpiError::internal())).await?;
    let mut obj = match row {
        Some(Value::Object(o)) => o,
        _ => Map::new(),
    };
    obj.shift_remove("guid");
    let mut rights: Vec<_> = s.rights.0.iter().collect();
    rights.sort();
    for (k, v) in rights {
        obj.insert(k.clone(), json!(v));
    }
    let entities: Map<String, Value> = s
        .active
        .iter()
        .map(|e| (e.to_string(), json!({"id": e, "name": "", "is_recursive": s.is_recursive as i32})))
        .collect();
    obj.insert("entities".into(), Value::Object(entities));
    Ok(Value::Object(obj))
}

pub async fn active_profile(ctx: Ctx, s: Session) -> GlpiResult {
    let v = active_profile_value(&ctx, &s).await?;
    ok(&json!({ "active_profile": v }))
}

pub async fn change_profile(ctx: Ctx, s: Session) -> GlpiResult {
    let pid = params::as_str(ctx.param("profiles_id"))
        .and_then(|p| p.parse::<i32>().ok())
        .ok_or_else(GlpiError::bad_request)?;
    let sid = s.id;
    let changed = ctx.state.db.run(move |c| sess::set_profile(c, &s, pid).map_err(GlpiError::from)).await?;
    ctx.state.sessions.forget(sid);
    if !changed {
        return Err(GlpiError::item_not_found());
    }
    ok(&Value::Bool(true))
}

pub async fn my_entities(ctx: Ctx, s: Session) -> GlpiResult {
    let recursive = ctx.flag("is_recursive");
    let uid = s.users_id();
    let pid = s.profiles_id as i32;
    let cache = ctx.state.db.tree.clone();
    let list = ctx
        .state
        .db
        .run(move |c| -> Result<Vec<Value>, GlpiError> {
            let tree = cache.get(c)?;
            let assigned = sess::assignments(c, uid)?;
            let ids: Vec<i64> = if recursive {
                sess::allowed_entities(&assigned, pid, &tree).into_iter().collect()
            } else {
                assigned.iter().filter(|a| a.profiles_id == pid).map(|a| a.entities_id as i64).collect()
            };
            Ok(sess::entity_names(c, &ids)?
                .into_iter()
                .map(|(id, name, complete)| json!({"id": id, "name": complete.or(name).unwrap_or_default()}))
                .collect())
        })
        .await?;
    ok(&json!({ "myentities": list }))
}

pub async fn active_entities(_ctx: Ctx, s: Session) -> GlpiResult {
    let list: Vec<Value> = s.active.iter().map(|e| json!({"id": e})).collect();
    ok(&json!({"active_entity": {
        "id": if s.entities_id < 0 { 0 } else { s.entities_id },
        "active_entity_recursive": s.is_recursive,
        "active_entities": list,
    }}))
}

pub async fn change_entities(ctx: Ctx, s: Session) -> GlpiResult {
    let recursive = match ctx.param("is_recursive") {
        None => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(GlpiError::bad_request()),
    };
    let entity = match ctx.param("entities_id") {
        None => None,
        Some(Value::String(s)) if s == "all" => None,
        Some(v) => {
            Some(params::as_str(Some(v)).and_then(|x| x.parse::<i64>().ok()).ok_or_else(GlpiError::bad_request)?)
        }
    };
    let sid = s.id;
    let cache = ctx.state.db.tree.clone();
    let changed = ctx
        .state
        .db
        .run(move |c| -> Result<bool, GlpiError> {
            let tree = cache.get(c)?;
            Ok(sess::set_entities(c, &s, entity, recursive, &tree)?)
        })
        .await?;
    ctx.state.sessions.forget(sid);
    ok(&Value::Bool(changed))
}

async fn full_session_value(ctx: &Ctx, s: &Session, token: &str) -> Result<Value, GlpiError> {
    let profiles = profiles_of(ctx, s).await?;
    let active_profile = active_profile_value(ctx, s).await?;
    let u = &s.user;
    let friendly = match (&u.realname, &u.firstname) {
        (Some(r), Some(f)) => format!("{r} {f}"),
        (Some(r), None) => r.clone(),
        _ => u.login().to_string(),
    };
    let glpiprofiles: Map<String, Value> = profiles
        .into_iter()
        .map(|(id, name, ents)| {
            let e: Map<String, Value> = ents
                .into_iter()
                .map(|(eid, n, r)| (eid.to_string(), json!({"id": eid, "name": n, "is_recursive": r})))
                .collect();
            (id.to_string(), json!({"name": name, "entities": e}))
        })
        .collect();
    let active: Map<String, Value> = s.active.iter().map(|e| (e.to_string(), json!(e))).collect();
    let active_string = s.active.iter().map(|e| format!("'{e}'")).collect::<Vec<_>>().join(", ");
    Ok(json!({
        "valid_id": token,
        "glpi_currenttime": crate::itemtypes::store::now(),
        "glpi_use_mode": 0,
        "glpiID": s.users_id(),
        "glpiis_ids_visible": "0",
        "glpifriendlyname": friendly,
        "glpiname": u.login(),
        "glpirealname": u.realname,
        "glpifirstname": u.firstname,
        "glpidefault_entity": u.entities_id.unwrap_or(0),
        "glpiextauth": 0,
        "glpiauthtype": 1,
        "glpiroot": "",
        "glpilanguage": u.language.clone().unwrap_or_else(|| "fr_FR".into()),
        "glpilist_limit": u.list_limit.unwrap_or(15).to_string(),
        "glpigroups": [],
        "glpiprofiles": glpiprofiles,
        "glpiactiveprofile": active_profile,
        "glpiactiveentities": active,
        "glpiactiveentities_string": active_string,
        "glpiactive_entity": s.entities_id.max(0),
        "glpiactive_entity_recursive": s.is_recursive,
        "glpi_multientitiesmode": 1,
        "glpi_plugins": ["optic"],
        "MESSAGE_AFTER_REDIRECT": [],
    }))
}

pub async fn full_session(ctx: Ctx, s: Session) -> GlpiResult {
    let token = ctx.session_token.clone().unwrap_or_default();
    let v = full_session_value(&ctx, &s, &token).await?;
    ok(&json!({ "session": v }))
}

pub async fn glpi_config(ctx: Ctx, _s: Session) -> GlpiResult {
    let api = ctx.state.settings.api_url.trim_end_matches('/').to_string();
    let base = api.trim_end_matches("/apirest.php").to_string();
    ok(&json!({"cfg_glpi": {
        "version": GLPI_VERSION,
        "dbversion": GLPI_VERSION,
        "url_base": base,
        "url_base_api": api,
        "root_doc": "",
        "language": "fr_FR",
        "list_limit": 15,
        "list_limit_max": 50,
        "enable_api": 1,
        "enable_api_login_credentials": 1,
        "enable_api_login_external_token": 1,
        "use_notifications": 0,
        "priority_matrix": crate::tickets::priority_matrix_json(),
        "urgency_mask": 62,
        "impact_mask": 62,
        "asset_types": ["Computer", "Monitor", "Software", "NetworkEquipment", "Peripheral", "Printer", "Phone"],
        "ticket_types": ["Computer", "Monitor", "NetworkEquipment", "Peripheral", "Phone", "Printer", "Software"],
        "parc_version": env!("CARGO_PKG_VERSION"),
    }}))
}
