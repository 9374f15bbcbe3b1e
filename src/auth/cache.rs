//! Short-lived in-process caches of what every API call needs before touching its data:
//! the session behind a token and the active API clients. Entries live two seconds and
//! are dropped at once when this process kills or changes a session or the entity tree;
//! a session killed on another Parc instance stops working here within two seconds.

use super::session::{ApiClient, Session};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const SESSION_TTL: Duration = Duration::from_secs(2);
const CLIENTS_TTL: Duration = Duration::from_secs(5);
const MAX_ENTRIES: usize = 50_000;

#[derive(Default)]
pub struct SessionCache {
    map: Mutex<HashMap<String, (Instant, u64, Session)>>,
}

impl SessionCache {
    /// The cached session for a token digest, if fresh.
    pub fn get(&self, digest: &str) -> Option<Session> {
        let map = self.map.lock().ok()?;
        let epoch = super::session::epoch();
        map.get(digest).filter(|(at, e, _)| *e == epoch && at.elapsed() < SESSION_TTL).map(|(_, _, s)| s.clone())
    }

    pub fn put(&self, digest: String, s: Session) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= MAX_ENTRIES {
                map.retain(|_, (at, _, _)| at.elapsed() < SESSION_TTL);
                if map.len() >= MAX_ENTRIES {
                    map.clear();
                }
            }
            map.insert(digest, (Instant::now(), super::session::epoch(), s));
        }
    }

    /// Drop every cached view of a stored session (killed, or its profile or entities changed).
    pub fn forget(&self, session_id: i32) {
        if let Ok(mut map) = self.map.lock() {
            map.retain(|_, (_, _, s)| s.id != session_id || session_id == 0);
        }
    }
}

#[derive(Default)]
pub struct ClientCache {
    slot: Mutex<Option<(Instant, Vec<ApiClient>)>>,
}

impl ClientCache {
    /// The cached list, if fresh (no database work).
    pub fn fresh(&self) -> Option<Vec<ApiClient>> {
        let slot = self.slot.lock().ok()?;
        slot.as_ref().filter(|(at, _)| at.elapsed() < CLIENTS_TTL).map(|(_, list)| list.clone())
    }

    pub fn get(
        &self,
        load: impl FnOnce() -> diesel::QueryResult<Vec<ApiClient>>,
    ) -> diesel::QueryResult<Vec<ApiClient>> {
        if let Some(list) = self.fresh() {
            return Ok(list);
        }
        let list = load()?;
        if let Ok(mut slot) = self.slot.lock() {
            *slot = Some((Instant::now(), list.clone()));
        }
        Ok(list)
    }
}

/// Totals of plain lists (`GET /Computer`, no filter), the costliest part of a page on a
/// large fleet. Kept two seconds, and dropped as soon as this process writes any row.
#[derive(Default)]
pub struct CountCache {
    map: Mutex<HashMap<String, (Instant, u64, i64)>>,
}

impl CountCache {
    pub fn get(&self, key: &str) -> Option<i64> {
        let map = self.map.lock().ok()?;
        let writes = crate::itemtypes::store::writes();
        map.get(key).filter(|(at, w, _)| *w == writes && at.elapsed() < SESSION_TTL).map(|(_, _, n)| *n)
    }

    pub fn put(&self, key: String, n: i64) {
        if let Ok(mut map) = self.map.lock() {
            if map.len() >= MAX_ENTRIES {
                map.clear();
            }
            map.insert(key, (Instant::now(), crate::itemtypes::store::writes(), n));
        }
    }
}
