//! Per-address rate limit on anonymous agent requests: a token bucket of `per_minute`
//! requests per client address, refilled continuously. Only requests that are not
//! authenticated go through it (all of them when agent authentication is off), so
//! agents sending credentials are never throttled.
//!
//! The address is the TCP peer (forwarding headers are not trusted, as for API clients);
//! IPv6 clients are counted per /64, the block one host usually holds.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Addresses tracked before idle ones are forgotten.
const MAX_TRACKED: usize = 65_536;

struct Bucket {
    tokens: f64,
    at: Instant,
    /// The last request was refused (so a flood is logged once, not per request).
    limited: bool,
}

/// A refused request: how long to wait, and whether it is the first of a run.
#[derive(Debug)]
pub struct Limited {
    pub wait: Duration,
    pub first: bool,
}

pub struct Throttle {
    per_minute: u32,
    exempt: Vec<IpAddr>,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

impl Throttle {
    /// `per_minute` 0 turns the limit off; `exempt` is a comma-separated address list.
    pub fn new(per_minute: u32, exempt: &str) -> Result<Throttle, String> {
        let exempt = exempt
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| a.parse::<IpAddr>().map(key).map_err(|_| format!("not an IP address: {a:?}")))
            .collect::<Result<_, _>>()?;
        Ok(Throttle { per_minute, exempt, buckets: Mutex::default() })
    }

    /// Count one request from `ip`: `Err` when it is over the limit.
    pub fn hit(&self, ip: IpAddr) -> Result<(), Limited> {
        self.hit_at(ip, Instant::now())
    }

    fn hit_at(&self, ip: IpAddr, now: Instant) -> Result<(), Limited> {
        let ip = key(ip);
        if self.per_minute == 0 || self.exempt.contains(&ip) {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_sec = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() >= MAX_TRACKED && !buckets.contains_key(&ip) {
            // Forget addresses whose bucket has refilled: they are as good as new.
            buckets.retain(|_, b| now.duration_since(b.at).as_secs_f64() * per_sec + b.tokens < capacity);
            if buckets.len() >= MAX_TRACKED / 2 {
                tracing::warn!(tracked = buckets.len(), "too many agent addresses to track: rate limit reset");
                buckets.clear();
            }
        }
        let b = buckets.entry(ip).or_insert(Bucket { tokens: capacity, at: now, limited: false });
        b.tokens = (b.tokens + now.duration_since(b.at).as_secs_f64() * per_sec).min(capacity);
        b.at = now;
        let first = !std::mem::replace(&mut b.limited, b.tokens < 1.0);
        if !b.limited {
            b.tokens -= 1.0;
            return Ok(());
        }
        Err(Limited { wait: Duration::from_secs_f64((1.0 - b.tokens) / per_sec), first })
    }
}

/// IPv4-mapped IPv6 as IPv4; other IPv6 addresses reduced to their /64.
fn key(ip: IpAddr) -> IpAddr {
    match ip.to_canonical() {
        IpAddr::V6(v6) => IpAddr::V6((u128::from(v6) & !u128::from(u64::MAX)).into()),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_each_address_and_refills() {
        let t = Throttle::new(3, "10.0.0.9").unwrap();
        let (a, b) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let now = Instant::now();
        assert!((0..3).all(|_| t.hit_at(a, now).is_ok()));
        let limited = t.hit_at(a, now).unwrap_err();
        assert_eq!((limited.wait.as_secs(), limited.first), (20, true), "one request every 20 s");
        assert!(!t.hit_at(a, now).unwrap_err().first, "a flood is reported once");
        assert!(t.hit_at(b, now).is_ok(), "another address has its own bucket");
        assert!(t.hit_at(a, now + Duration::from_secs(20)).is_ok());
        assert!((0..10).all(|_| t.hit_at("10.0.0.9".parse().unwrap(), now).is_ok()), "exempt");
        let v6 = |s: &str| s.parse::<IpAddr>().unwrap();
        assert_eq!(key(v6("2001:db8::1")), key(v6("2001:db8::ffff:1")));
        assert_eq!(key(v6("::ffff:10.0.0.1")), a);
        assert!(Throttle::new(0, "").unwrap().hit_at(a, now).is_ok(), "0 turns it off");
        assert!(Throttle::new(1, "nope").is_err());
    }
}
