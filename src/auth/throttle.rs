//! In-process throttle of failed sign-ins, per login and per client address.
//!
//! Each key counts its failures in a fixed window that starts at its first failure; once
//! the count reaches the limit, sign-ins for that key are refused until the window ends.
//! Memory is bounded: a full table first drops its expired windows, then everything (a flood
//! of distinct logins from one address is still stopped by the per-address limit).

use crate::config::LoginSettings;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Keys kept per table; about 300 bytes each.
const MAX_KEYS: usize = 50_000;
/// Logins are cut to this many bytes: a huge login must not make a huge key.
const MAX_KEY_LEN: usize = 255;

/// Sign-ins refused until the window ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many failed sign-ins, retry in {} s", self.retry_after_secs())]
pub struct Throttled {
    pub retry_after: Duration,
}

impl Throttled {
    /// Whole seconds for `Retry-After`, at least 1.
    pub fn retry_after_secs(&self) -> u64 {
        self.retry_after.as_secs_f64().ceil().max(1.0) as u64
    }
}

pub struct LoginThrottle {
    per_login: Window,
    per_ip: Window,
}

impl LoginThrottle {
    pub fn new(s: &LoginSettings) -> Self {
        let span = Duration::from_secs(s.window_secs);
        LoginThrottle {
            per_login: Window::new(s.max_failures, span, MAX_KEYS),
            per_ip: Window::new(s.max_failures_per_ip, span, MAX_KEYS),
        }
    }

    /// Refuse a sign-in while the login or the address is over its limit.
    pub fn check(&self, login: &str, ip: Option<IpAddr>) -> Result<(), Throttled> {
        let waits = [self.per_login.wait(&login_key(login)), ip.and_then(|ip| self.per_ip.wait(&ip.to_string()))];
        match waits.into_iter().flatten().max() {
            Some(retry_after) => Err(Throttled { retry_after }),
            None => Ok(()),
        }
    }

    pub fn failed(&self, login: &str, ip: Option<IpAddr>) {
        self.per_login.hit(&login_key(login));
        if let Some(ip) = ip {
            self.per_ip.hit(&ip.to_string());
        }
    }

    /// A good password clears the account's count, not the address's: one valid account
    /// must not let its owner reset the count of their guesses at other accounts.
    pub fn succeeded(&self, login: &str) {
        self.per_login.clear(&login_key(login));
    }
}

fn login_key(login: &str) -> String {
    let mut end = login.len().min(MAX_KEY_LEN);
    while !login.is_char_boundary(end) {
        end -= 1;
    }
    login[..end].to_string()
}

/// Failures per key in a fixed window: (start of the window, failures).
struct Window {
    max: u32,
    span: Duration,
    capacity: usize,
    hits: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Window {
    fn new(max: u32, span: Duration, capacity: usize) -> Self {
        Window { max, span, capacity, hits: Mutex::new(HashMap::new()) }
    }

    /// Time left before this key may try again, when it is over the limit.
    fn wait(&self, key: &str) -> Option<Duration> {
        if self.max == 0 {
            return None;
        }
        let hits = self.hits.lock().ok()?;
        let (start, n) = hits.get(key)?;
        let left = self.span.checked_sub(start.elapsed()).filter(|d| !d.is_zero())?;
        (*n >= self.max).then_some(left)
    }

    fn hit(&self, key: &str) {
        if self.max == 0 {
            return;
        }
        let Ok(mut hits) = self.hits.lock() else { return };
        if hits.len() >= self.capacity && !hits.contains_key(key) {
            hits.retain(|_, (start, _)| start.elapsed() < self.span);
            if hits.len() >= self.capacity {
                hits.clear();
            }
        }
        let entry = hits.entry(key.to_string()).or_insert((Instant::now(), 0));
        if entry.0.elapsed() >= self.span {
            *entry = (Instant::now(), 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    fn clear(&self, key: &str) {
        if let Ok(mut hits) = self.hits.lock() {
            hits.remove(key);
        }
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.hits.lock().map(|h| h.len()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINUTE: Duration = Duration::from_secs(60);

    #[test]
    fn a_key_is_refused_once_it_reaches_its_limit() {
        let w = Window::new(3, MINUTE, 100);
        for _ in 0..2 {
            w.hit("admin");
        }
        assert_eq!(w.wait("admin"), None);
        w.hit("admin");
        assert!(w.wait("admin").is_some_and(|d| d <= MINUTE));
        assert_eq!(w.wait("other"), None);
        w.clear("admin");
        assert_eq!(w.wait("admin"), None);
    }

    #[test]
    fn a_flood_of_distinct_keys_stays_within_capacity() {
        let w = Window::new(3, MINUTE, 1000);
        for i in 0..10_000 {
            w.hit(&format!("login-{i}"));
        }
        assert!(w.len() <= 1000, "{}", w.len());
    }

    #[test]
    fn a_zero_limit_never_refuses() {
        let w = Window::new(0, MINUTE, 10);
        w.hit("x");
        assert_eq!(w.wait("x"), None);
        assert_eq!(w.len(), 0);
    }

    #[test]
    fn huge_logins_make_bounded_keys() {
        let long = "é".repeat(10_000);
        assert!(login_key(&long).len() <= MAX_KEY_LEN);
    }

    #[test]
    fn success_clears_the_login_but_not_the_address() {
        let t = LoginThrottle::new(&LoginSettings { max_failures: 1, max_failures_per_ip: 2, window_secs: 60 });
        let ip: IpAddr = "10.0.0.1".parse().unwrap();
        t.failed("a", Some(ip));
        assert!(t.check("a", None).is_err());
        t.succeeded("a");
        assert!(t.check("a", None).is_ok());
        t.failed("b", Some(ip));
        t.succeeded("b");
        assert!(t.check("c", Some(ip)).is_err(), "two failures from this address");
    }
}
