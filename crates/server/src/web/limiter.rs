//! Sign-in attempts, limited per user name and per client address, in memory: after
//! [`MAX_FAILURES`] failures within [`WINDOW`], that name (or address) is refused until the
//! oldest failure leaves the window. A restart forgets, which is acceptable for one server.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins allowed per name and per address within [`WINDOW`].
pub const MAX_FAILURES: usize = 5;
/// The window failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Above this many tracked keys, expired ones are swept on the next failure, so a flood of
/// made-up names cannot grow the map without bound for long.
const SWEEP_ABOVE: usize = 10_000;

/// Failed sign-ins per key (`user:NAME`, `ip:ADDR`).
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<HashMap<String, Vec<Instant>>>,
}

impl LoginLimiter {
    /// Whether any of the keys has used up its failures.
    pub fn blocked(&self, keys: &[String]) -> bool {
        let now = Instant::now();
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        keys.iter().any(|key| {
            map.get(key).is_some_and(|times| {
                times
                    .iter()
                    .filter(|t| now.duration_since(**t) < WINDOW)
                    .count()
                    >= MAX_FAILURES
            })
        })
    }

    /// Counts a failed attempt against every key.
    pub fn failed(&self, keys: &[String]) {
        let now = Instant::now();
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > SWEEP_ABOVE {
            map.retain(|_, times| times.iter().any(|t| now.duration_since(*t) < WINDOW));
        }
        for key in keys {
            let times = map.entry(key.clone()).or_default();
            times.retain(|t| now.duration_since(*t) < WINDOW);
            times.push(now);
        }
    }

    /// Forgets a key's failures (a successful sign-in clears its user name).
    pub fn succeeded(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_failures_block_the_key_and_only_that_key() {
        let limiter = LoginLimiter::default();
        let keys = vec!["user:kari".to_string(), "ip:10.0.0.1".to_string()];
        for _ in 0..MAX_FAILURES - 1 {
            limiter.failed(&keys);
        }
        assert!(!limiter.blocked(&keys));
        limiter.failed(&keys);
        assert!(limiter.blocked(&["user:kari".to_string()]));
        assert!(limiter.blocked(&["ip:10.0.0.1".to_string()]));
        assert!(!limiter.blocked(&["user:ola".to_string()]));
        limiter.succeeded("user:kari");
        assert!(!limiter.blocked(&["user:kari".to_string()]));
    }
}
