//! First start: an empty database gets its super-admin. The root entity and default
//! profiles come from the seed migration; the admin password is never a fixed default.

use crate::auth::{password, token};
use crate::db::sql::Sql;
use crate::db::DbConn;
use crate::itemtypes::store::{self, Actor};
use serde_json::{json, Map};

/// Outcome of [`ensure_admin`].
pub enum AdminCreated {
    Existing,
    WithGivenPassword,
    /// The generated password, to print once.
    Generated(String),
}

pub fn ensure_admin(conn: &mut DbConn, login: &str, given: Option<&str>) -> anyhow::Result<AdminCreated> {
    // A database is bootstrapped once it has a super-admin (a bulk load may already
    // have created other users).
    let mut sql = Sql::new(conn.backend());
    sql.push("SELECT COUNT(*) AS n FROM \"profiles_users\" WHERE \"profiles_id\" = 4");
    if sql.load_ints(conn)?.first().copied().unwrap_or(0) > 0 {
        return Ok(AdminCreated::Existing);
    }
    if crate::auth::session::user_by_login(conn, login)?.is_some() {
        anyhow::bail!("a user '{login}' exists but no super-admin does; set PARC_ADMIN_LOGIN to a free login");
    }
    let generated = given.is_none().then(token::generate_password);
    let pw = given.map(str::to_string).or(generated.clone()).expect("one of them");
    create_user(conn, login, &pw, 4, 0, true)?;
    tracing::info!(login, "super-admin created");
    Ok(match generated {
        Some(p) => AdminCreated::Generated(p),
        None => AdminCreated::WithGivenPassword,
    })
}

/// Create a user with a password and one profile assignment. Returns the user id.
pub fn create_user(
    conn: &mut DbConn,
    login: &str,
    pw: &str,
    profiles_id: i64,
    entities_id: i64,
    recursive: bool,
) -> anyhow::Result<i64> {
    if login.trim().is_empty() {
        anyhow::bail!("the login must not be empty");
    }
    password::check_policy(login, pw)?;
    let users = crate::itemtypes::find("User").expect("declared");
    let pu = crate::itemtypes::find("Profile_User").expect("declared");
    // A user in a missing entity or profile would see nothing, and every list would be empty.
    for (name, id) in [("Entity", entities_id), ("Profile", profiles_id)] {
        let def = crate::itemtypes::find(name).expect("declared");
        if store::get(conn, def, id)?.is_none() {
            anyhow::bail!("{} {id} does not exist", name.to_lowercase());
        }
    }
    let hash = password::hash(pw)?;
    conn.write_transaction(|conn| {
        let mut u = Map::new();
        u.insert("name".into(), json!(login));
        u.insert("password".into(), json!(hash));
        u.insert("profiles_id".into(), json!(profiles_id));
        u.insert("entities_id".into(), json!(entities_id));
        u.insert("authtype".into(), json!(1));
        let values = store::validate_input(users, &u)?;
        let id = store::insert(conn, users, values, &Actor::system())?;
        let mut a = Map::new();
        a.insert("users_id".into(), json!(id));
        a.insert("profiles_id".into(), json!(profiles_id));
        a.insert("entities_id".into(), json!(entities_id));
        a.insert("is_recursive".into(), json!(recursive as i64));
        a.insert("is_default_profile".into(), json!(1));
        let values = store::validate_input(pu, &a)?;
        store::insert(conn, pu, values, &Actor::system())?;
        Ok::<_, anyhow::Error>(id)
    })
}
