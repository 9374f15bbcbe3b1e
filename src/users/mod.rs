//! User rules: passwords are hashed (argon2id) on the way in, API tokens are issued on
//! request and stored hashed, and a new user gets the default profile like in GLPI.

use crate::auth::session::Session;
use crate::auth::{password, session};
use crate::db::DbConn;
use crate::itemtypes;
use crate::itemtypes::store::{self, StoreError};
use serde_json::{json, Map, Value};

/// Hash `password` (checked against `password2` and the password policy); never store it
/// in clear. `before` is the stored row on update, for the login when it is not changed.
pub fn prepare_write(input: &mut Map<String, Value>, before: Option<&Map<String, Value>>) -> Result<(), String> {
    let pw2 = input.remove("password2");
    if let Some(pw) = input.remove("password") {
        let pw = pw.as_str().ok_or("password must be a string")?.to_string();
        if let Some(p2) = pw2 {
            if p2.as_str() != Some(pw.as_str()) {
                return Err("Error: the two passwords do not match".into());
            }
        }
        // As in GLPI, an empty password sets none (add) or keeps the current one (update).
        if pw.is_empty() {
            return Ok(());
        }
        let login = [Some(&*input), before].into_iter().flatten().find_map(|m| m.get("name").and_then(Value::as_str));
        password::check_policy(login.unwrap_or(""), &pw).map_err(|e| e.to_string())?;
        let hash = password::hash(&pw).map_err(|e| e.to_string())?;
        input.insert("password".into(), json!(hash));
        input.insert("password_last_update".into(), json!(store::now()));
    }
    for secret in ["api_token", "personal_token", "cookie_token", "password_forget_token"] {
        if input.contains_key(secret) {
            return Err(format!("Field {secret} cannot be written directly."));
        }
    }
    Ok(())
}

pub fn after_add(c: &mut DbConn, s: &Session, id: i64, input: &Map<String, Value>) -> Result<(), StoreError> {
    // GLPI gives a new user the default profile on the creator's active entity.
    let pu = itemtypes::find("Profile_User").expect("declared");
    let mut row = Map::new();
    row.insert("users_id".into(), json!(id));
    row.insert("profiles_id".into(), json!(1));
    row.insert("entities_id".into(), json!(s.entities_id.max(0)));
    row.insert("is_recursive".into(), json!(0));
    row.insert("is_dynamic".into(), json!(1));
    row.insert("is_default_profile".into(), json!(1));
    let values = store::validate_input(pu, &row)?;
    store::insert(c, pu, values, &s.actor())?;
    if let Some(emails) = input.get("_useremails") {
        let ue = itemtypes::find("UserEmail").expect("declared");
        let list: Vec<&Value> = crate::itemtypes::value::as_list(emails);
        for (i, e) in list.into_iter().enumerate() {
            let Some(addr) = e.as_str().filter(|a| !a.is_empty()) else { continue };
            let mut r = Map::new();
            r.insert("users_id".into(), json!(id));
            r.insert("email".into(), json!(addr));
            r.insert("is_default".into(), json!((i == 0) as i64));
            let values = store::validate_input(ue, &r)?;
            store::insert(c, ue, values, &s.actor())?;
        }
    }
    if input.get("_reset_api_token").is_some_and(|v| crate::itemtypes::value::truthy(Some(v))) {
        session::reset_api_token(c, id)?;
    }
    Ok(())
}

pub fn after_update(c: &mut DbConn, id: i64, input: &Map<String, Value>) -> Result<(), StoreError> {
    if input.get("_reset_api_token").is_some_and(|v| crate::itemtypes::value::truthy(Some(v))) {
        session::reset_api_token(c, id)?;
    }
    Ok(())
}
