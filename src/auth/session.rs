//! API sessions, stored in the database (several Parc instances can serve one API).
//! A session fixes the user, the active profile and the active entities.

use super::rights::Rights;
use super::{password, token};
use crate::db::schema::{apiclients, entities, profilerights, profiles, profiles_users, sessions, users};
use crate::db::DbConn;
use crate::entities::Tree;
use diesel::prelude::*;
use secrecy::{ExposeSecret, SecretString};
use std::collections::BTreeSet;

/// A stored credential hash (argon2 password hash, API token digest). Less sensitive
/// than the secret itself, but still kept out of `Debug` and so out of logs.
#[derive(Debug, Clone, Default)]
pub struct StoredHash(Option<SecretString>);

impl From<Option<String>> for StoredHash {
    fn from(v: Option<String>) -> Self {
        StoredHash(v.map(SecretString::from))
    }
}

impl StoredHash {
    pub fn expose(&self) -> Option<&str> {
        self.0.as_ref().map(|h| h.expose_secret())
    }
}

#[derive(Debug, Clone, Queryable)]
pub struct UserRow {
    pub id: i32,
    pub name: Option<String>,
    #[diesel(deserialize_as = Option<String>)]
    pub password: StoredHash,
    #[diesel(deserialize_as = Option<String>)]
    pub api_token: StoredHash,
    pub realname: Option<String>,
    pub firstname: Option<String>,
    pub language: Option<String>,
    pub is_active: i32,
    pub is_deleted: i32,
    pub profiles_id: i32,
    pub entities_id: Option<i32>,
    pub list_limit: Option<i32>,
}

impl UserRow {
    pub fn login(&self) -> &str {
        self.name.as_deref().unwrap_or("")
    }
    fn usable(&self) -> bool {
        self.is_active == 1 && self.is_deleted == 0
    }
}

/// One profile assignment of a user.
#[derive(Debug, Clone, Queryable)]
pub struct Assignment {
    pub profiles_id: i32,
    pub entities_id: i32,
    pub is_recursive: i32,
}

/// Everything a request needs to know about its caller.
#[derive(Debug, Clone)]
pub struct Session {
    pub id: i32,
    pub user: UserRow,
    pub profiles_id: i64,
    pub profile_name: String,
    pub interface: String,
    pub rights: Rights,
    /// The entity chosen as active, and whether its sub-entities are included.
    pub entities_id: i64,
    pub is_recursive: bool,
    /// Active entities (expanded).
    pub active: BTreeSet<i64>,
    /// Ancestors of active entities: their recursive items are visible too.
    pub ancestors: BTreeSet<i64>,
    /// Every entity is active: entity filters can be skipped.
    pub all_entities: bool,
}

impl Session {
    pub fn users_id(&self) -> i64 {
        self.user.id as i64
    }

    /// GLPI visibility: the item's entity is active, or the item is recursive and lives
    /// in an ancestor of an active entity.
    pub fn sees_entity(&self, entities_id: i64, is_recursive: bool) -> bool {
        self.all_entities
            || self.active.contains(&entities_id)
            || (is_recursive && self.ancestors.contains(&entities_id))
    }

    pub fn actor(&self) -> crate::itemtypes::store::Actor {
        crate::itemtypes::store::Actor { users_id: self.users_id(), login: self.user.login().to_string() }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("Incorrect username or password")]
    BadCredentials,
    #[error("parameter user_token seems invalid")]
    BadUserToken,
    #[error("the user has no profile")]
    NoProfile,
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

type UserCols = (
    users::id,
    users::name,
    users::password,
    users::api_token,
    users::realname,
    users::firstname,
    users::language,
    users::is_active,
    users::is_deleted,
    users::profiles_id,
    users::entities_id,
    users::list_limit,
);
const USER_COLS: UserCols = (
    users::id,
    users::name,
    users::password,
    users::api_token,
    users::realname,
    users::firstname,
    users::language,
    users::is_active,
    users::is_deleted,
    users::profiles_id,
    users::entities_id,
    users::list_limit,
);

pub fn user_by_id(conn: &mut DbConn, id: i64) -> QueryResult<Option<UserRow>> {
    users::table.select(USER_COLS).filter(users::id.eq(id as i32)).first(conn).optional()
}

pub fn user_by_login(conn: &mut DbConn, login: &str) -> QueryResult<Option<UserRow>> {
    users::table.select(USER_COLS).filter(users::name.eq(login)).first(conn).optional()
}

/// Verify a password against the account read by [`user_by_login`]. argon2 runs on a
/// blocking thread, outside any pooled connection. Unknown, disabled, deleted and
/// password-less accounts verify against a dummy hash, so every answer costs the same.
pub async fn check_password(user: Option<UserRow>, pw: &str) -> Result<UserRow, AuthError> {
    let stored = usable_hash(user.as_ref()).map(str::to_string);
    let can_succeed = stored.is_some();
    let hash = stored.unwrap_or_else(|| password::dummy_hash().to_string());
    let ok = password::verify_bounded(pw.to_string(), hash).await;
    match user {
        Some(u) if ok && can_succeed => Ok(u),
        _ => Err(AuthError::BadCredentials),
    }
}

/// The stored hash a password may match: only a usable account's non-empty one.
fn usable_hash(user: Option<&UserRow>) -> Option<&str> {
    user.filter(|u| u.usable()).and_then(|u| u.password.expose()).filter(|h| !h.is_empty())
}

pub fn check_user_token(conn: &mut DbConn, tok: &str) -> Result<UserRow, AuthError> {
    let digest = token::digest(tok);
    let user: Option<UserRow> =
        users::table.select(USER_COLS).filter(users::api_token.eq(digest)).first(conn).optional()?;
    user.filter(|u| u.usable()).ok_or(AuthError::BadUserToken)
}

/// Issue a new API token for a user; only its digest is stored. Returns the token.
pub fn reset_api_token(conn: &mut DbConn, users_id: i64) -> QueryResult<String> {
    let tok = token::generate();
    let mut sql = crate::db::sql::Sql::new(conn.backend());
    sql.push("UPDATE \"users\" SET \"api_token\" = ").bind(token::digest(&tok)).push(", \"api_token_date\" = ");
    crate::itemtypes::store::push_value(
        &mut sql,
        crate::itemtypes::FieldType::DateTime,
        crate::db::sql::Val::Text(crate::itemtypes::store::now()),
    );
    sql.push(" WHERE \"id\" = ").bind(users_id);
    sql.execute(conn)?;
    Ok(tok)
}

pub fn assignments(conn: &mut DbConn, users_id: i64) -> QueryResult<Vec<Assignment>> {
    profiles_users::table
        .select((profiles_users::profiles_id, profiles_users::entities_id, profiles_users::is_recursive))
        .filter(profiles_users::users_id.eq(users_id as i32))
        .order(profiles_users::id)
        .load(conn)
}

fn unix_now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// Open a session for an authenticated user with their default profile.
pub fn open(
    conn: &mut DbConn,
    user: &UserRow,
    apiclients_id: i32,
    tree: &Tree,
) -> Result<(String, Session), AuthError> {
    let assigned = assignments(conn, user.id as i64)?;
    let first = assigned
        .iter()
        .find(|a| a.profiles_id == user.profiles_id)
        .or_else(|| assigned.first())
        .ok_or(AuthError::NoProfile)?
        .clone();
    let tok = token::generate();
    let now = unix_now();
    let id: i32 = diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(token::digest(&tok)),
            sessions::users_id.eq(user.id),
            sessions::profiles_id.eq(first.profiles_id),
            sessions::entities_id.eq(first.entities_id),
            sessions::is_recursive.eq(first.is_recursive),
            sessions::apiclients_id.eq(apiclients_id),
            sessions::created_at.eq(now),
            sessions::last_activity.eq(now),
        ))
        .returning(sessions::id)
        .get_result(conn)?;
    let row = SessionRow {
        id,
        users_id: user.id,
        profiles_id: first.profiles_id,
        entities_id: first.entities_id,
        is_recursive: first.is_recursive,
        last_activity: now,
    };
    let s = build(conn, row, user.clone(), &assigned, tree)?;
    Ok((tok, s))
}

#[derive(Debug, Queryable)]
struct SessionRow {
    id: i32,
    users_id: i32,
    profiles_id: i32,
    entities_id: i32,
    is_recursive: i32,
    last_activity: i64,
}

/// Seconds after which `last_activity` is rewritten: at most once a minute (an idle
/// timeout does not need a write per request), and often enough that a session in use
/// never expires under a short idle time.
fn touch_after(idle_secs: i64) -> i64 {
    (idle_secs / 4).clamp(0, 60)
}

/// Deletes sessions idle for longer than the idle time: tokens that never come back
/// (scripts that skip killSession) would otherwise stay forever. Runs at most once per
/// min(a minute, the idle time) per process and database.
#[derive(Debug)]
pub struct Purge {
    last: std::sync::atomic::AtomicI64,
}

impl Default for Purge {
    fn default() -> Self {
        Purge { last: std::sync::atomic::AtomicI64::new(i64::MIN) }
    }
}

impl Purge {
    pub fn run(&self, conn: &mut DbConn, idle_secs: i64) -> QueryResult<usize> {
        use std::sync::atomic::Ordering;
        let now = unix_now();
        let last = self.last.load(Ordering::Relaxed);
        let due = last == i64::MIN || now - last >= idle_secs.clamp(1, 60);
        if !due || self.last.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_err() {
            return Ok(0);
        }
        diesel::delete(sessions::table.filter(sessions::last_activity.lt(now - idle_secs))).execute(conn)
    }
}

/// Resolve a session token; `None` when unknown, expired or its user is disabled.
pub fn load(conn: &mut DbConn, tok: &str, idle_secs: i64, tree: &Tree) -> Result<Option<Session>, AuthError> {
    let row: Option<SessionRow> = sessions::table
        .select((
            sessions::id,
            sessions::users_id,
            sessions::profiles_id,
            sessions::entities_id,
            sessions::is_recursive,
            sessions::last_activity,
        ))
        .filter(sessions::token_hash.eq(token::digest(tok)))
        .first(conn)
        .optional()?;
    let Some(row) = row else { return Ok(None) };
    let now = unix_now();
    if now - row.last_activity > idle_secs {
        diesel::delete(sessions::table.find(row.id)).execute(conn)?;
        return Ok(None);
    }
    if now - row.last_activity > touch_after(idle_secs) {
        diesel::update(sessions::table.find(row.id)).set(sessions::last_activity.eq(now)).execute(conn)?;
    }
    let Some(user) = user_by_id(conn, row.users_id as i64)? else { return Ok(None) };
    if !user.usable() {
        return Ok(None);
    }
    let assigned = assignments(conn, user.id as i64)?;
    Ok(Some(build(conn, row, user, &assigned, tree)?))
}

fn build(
    conn: &mut DbConn,
    row: SessionRow,
    user: UserRow,
    assigned: &[Assignment],
    tree: &Tree,
) -> Result<Session, AuthError> {
    let (name, interface): (Option<String>, Option<String>) = profiles::table
        .select((profiles::name, profiles::interface))
        .find(row.profiles_id)
        .first(conn)
        .optional()?
        .unwrap_or((None, None));
    let rights: Vec<(String, i32)> = profilerights::table
        .select((profilerights::name, profilerights::rights))
        .filter(profilerights::profiles_id.eq(row.profiles_id))
        .load(conn)?;
    let recursive = row.is_recursive != 0;
    // The session may only hold entities this profile is assigned (recursively where allowed).
    let allowed = allowed_entities(assigned, row.profiles_id, tree);
    let active: BTreeSet<i64> = if row.entities_id < 0 {
        allowed.clone()
    } else {
        tree.expand(row.entities_id as i64, recursive).intersection(&allowed).copied().collect()
    };
    let ancestors = active.iter().flat_map(|e| tree.ancestors(*e)).collect();
    let all_entities = active.len() >= tree.len() && active.contains(&crate::entities::ROOT);
    Ok(Session {
        id: row.id,
        user,
        profiles_id: row.profiles_id as i64,
        profile_name: name.unwrap_or_default(),
        interface: interface.unwrap_or_else(|| "central".into()),
        rights: Rights(rights.into_iter().map(|(n, r)| (n, r as i64)).collect()),
        entities_id: row.entities_id as i64,
        is_recursive: recursive,
        active,
        ancestors,
        all_entities,
    })
}

/// Entities a profile gives access to, following recursive assignments down the tree.
/// A non-recursive assignment still lets the user pick any single descendant, as GLPI does.
pub fn allowed_entities(assigned: &[Assignment], profiles_id: i32, tree: &Tree) -> BTreeSet<i64> {
    assigned
        .iter()
        .filter(|a| a.profiles_id == profiles_id)
        .flat_map(|a| tree.expand(a.entities_id as i64, a.is_recursive != 0))
        .collect()
}

/// Bumped whenever a stored session is killed or changed in this process, so cached
/// sessions are dropped at once (see `auth::cache`).
static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn bump() {
    GENERATION.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
}

/// Changes when any session or the entity tree changed in this process.
pub fn epoch() -> u64 {
    GENERATION.load(std::sync::atomic::Ordering::Relaxed) + crate::entities::generation()
}

pub fn kill(conn: &mut DbConn, session_id: i32) -> QueryResult<usize> {
    bump();
    diesel::delete(sessions::table.find(session_id)).execute(conn)
}

pub fn set_profile(conn: &mut DbConn, session: &Session, profiles_id: i32) -> QueryResult<bool> {
    let assigned = assignments(conn, session.users_id())?;
    let Some(a) = assigned.iter().find(|a| a.profiles_id == profiles_id) else { return Ok(false) };
    bump();
    diesel::update(sessions::table.find(session.id))
        .set((
            sessions::profiles_id.eq(profiles_id),
            sessions::entities_id.eq(a.entities_id),
            sessions::is_recursive.eq(a.is_recursive),
        ))
        .execute(conn)?;
    Ok(true)
}

/// Change the active entity; `None` means "all my entities". Returns false when refused.
pub fn set_entities(
    conn: &mut DbConn,
    session: &Session,
    entity: Option<i64>,
    recursive: bool,
    tree: &Tree,
) -> QueryResult<bool> {
    let assigned = assignments(conn, session.users_id())?;
    let (eid, rec) = match entity {
        None => (-1, 1),
        Some(e) => {
            let ok = assigned.iter().filter(|a| a.profiles_id as i64 == session.profiles_id).any(|a| {
                let base = a.entities_id as i64;
                if recursive {
                    // Recursion may not reach beyond what the assignment gives.
                    (a.is_recursive != 0 && tree.expand(base, true).contains(&e))
                        || (base == e && tree.expand(e, true).len() == 1)
                } else {
                    tree.expand(base, true).contains(&e)
                }
            });
            if !ok {
                return Ok(false);
            }
            (e as i32, recursive as i32)
        }
    };
    bump();
    diesel::update(sessions::table.find(session.id))
        .set((sessions::entities_id.eq(eid), sessions::is_recursive.eq(rec)))
        .execute(conn)?;
    Ok(true)
}

/// Active API clients, for the IP filter and app tokens.
#[derive(Debug, Clone, Queryable)]
pub struct ApiClient {
    pub id: i32,
    pub name: Option<String>,
    pub is_active: i32,
    pub ipv4_range_start: Option<i64>,
    pub ipv4_range_end: Option<i64>,
    pub ipv6: Option<String>,
    pub app_token: Option<String>,
}

pub fn active_clients(conn: &mut DbConn) -> QueryResult<Vec<ApiClient>> {
    apiclients::table
        .select((
            apiclients::id,
            apiclients::name,
            apiclients::is_active,
            apiclients::ipv4_range_start,
            apiclients::ipv4_range_end,
            apiclients::ipv6,
            apiclients::app_token,
        ))
        .filter(apiclients::is_active.eq(1))
        .load(conn)
}

impl ApiClient {
    pub fn matches_ip(&self, ip: std::net::IpAddr) -> bool {
        match ip {
            std::net::IpAddr::V4(v4) => {
                let n = u32::from(v4) as i64;
                match (self.ipv4_range_start, self.ipv4_range_end) {
                    (None, _) => true,
                    (Some(s), e) => s <= n && n <= e.unwrap_or(s),
                }
            }
            std::net::IpAddr::V6(v6) => match (&self.ipv6, v6.to_ipv4_mapped()) {
                (_, Some(v4)) => self.matches_ip(std::net::IpAddr::V4(v4)),
                (None, None) => self.ipv4_range_start.is_none(),
                (Some(s), None) => s.parse::<std::net::Ipv6Addr>().map(|a| a == v6).unwrap_or(false),
            },
        }
    }
}

/// Entity names for display (id, name, completename).
/// (id, name, completename) of an entity.
pub type EntityName = (i32, Option<String>, Option<String>);

pub fn entity_names(conn: &mut DbConn, ids: &[i64]) -> QueryResult<Vec<EntityName>> {
    let ids: Vec<i32> = ids.iter().map(|i| *i as i32).collect();
    entities::table
        .select((entities::id, entities::name, entities::completename))
        .filter(entities::id.eq_any(ids))
        .order(entities::id)
        .load(conn)
}

/// A profile's name; empty when it has none or does not exist.
pub fn profile_name(conn: &mut DbConn, id: i64) -> QueryResult<String> {
    let name: Option<Option<String>> =
        profiles::table.select(profiles::name).filter(profiles::id.eq(id as i32)).first(conn).optional()?;
    Ok(name.flatten().unwrap_or_default())
}

/// A session that is not stored: for native API calls authenticated by a user API token.
pub fn transient(conn: &mut DbConn, user: &UserRow, tree: &Tree) -> Result<Session, AuthError> {
    let assigned = assignments(conn, user.id as i64)?;
    let first = assigned
        .iter()
        .find(|a| a.profiles_id == user.profiles_id)
        .or_else(|| assigned.first())
        .ok_or(AuthError::NoProfile)?
        .clone();
    let row = SessionRow {
        id: 0,
        users_id: user.id,
        profiles_id: first.profiles_id,
        entities_id: first.entities_id,
        is_recursive: first.is_recursive,
        last_activity: unix_now(),
    };
    build(conn, row, user.clone(), &assigned, tree)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(is_active: i32, is_deleted: i32, pw: Option<&str>) -> UserRow {
        UserRow {
            id: 7,
            name: Some("u".into()),
            password: pw.map(str::to_string).into(),
            api_token: StoredHash::default(),
            realname: None,
            firstname: None,
            language: None,
            is_active,
            is_deleted,
            profiles_id: 1,
            entities_id: None,
            list_limit: None,
        }
    }

    #[test]
    fn debug_never_prints_the_stored_hashes() {
        let mut u = user(1, 0, Some("$argon2id$secret-hash"));
        u.api_token = Some("token-digest-42".to_string()).into();
        let shown = format!("{u:?}");
        assert!(!shown.contains("secret-hash") && !shown.contains("token-digest-42"), "{shown}");
    }

    #[test]
    fn only_a_usable_account_with_a_password_has_a_hash_to_match() {
        assert_eq!(usable_hash(Some(&user(1, 0, Some("$h")))), Some("$h"));
        for arm in [user(0, 0, Some("$h")), user(1, 1, Some("$h")), user(1, 0, None), user(1, 0, Some(""))] {
            assert_eq!(usable_hash(Some(&arm)), None, "{arm:?}");
        }
        assert_eq!(usable_hash(None), None);
    }

    #[tokio::test]
    async fn disabled_and_password_less_accounts_run_a_verification_and_fail() {
        let h = password::hash("right-password").unwrap();
        let ok = check_password(Some(user(1, 0, Some(&h))), "right-password").await;
        assert!(ok.is_ok());
        for arm in [user(0, 0, Some(&h)), user(1, 1, Some(&h)), user(1, 0, None)] {
            let r = check_password(Some(arm), "right-password").await;
            assert!(matches!(r, Err(AuthError::BadCredentials)));
        }
    }

    #[test]
    fn a_session_in_use_is_touched_before_it_expires() {
        assert_eq!(touch_after(3), 0);
        assert_eq!(touch_after(120), 30);
        assert_eq!(touch_after(3600), 60);
    }
}
