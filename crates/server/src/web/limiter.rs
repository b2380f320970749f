//! Sign-in attempts, limited in memory, in two ways that answer two different attacks:
//!
//! - **per user name**, guessing one account's password: the first [`FREE_FAILURES`] failures
//!   cost nothing; after that each further attempt waits a backoff that doubles with every
//!   failure, from [`FIRST_BACKOFF`] up to [`MAX_BACKOFF`]. A name's failures are forgotten
//!   [`FORGET_AFTER`] after the last one, or at once when it signs in.
//! - **per client address**, trying many names from one place: only a much higher ceiling,
//!   [`MAX_ADDRESS_FAILURES`] within [`WINDOW`], because a municipality's whole office often
//!   shares one address, and one person's typos must not lock out the rest.
//!
//! A restart forgets, which is acceptable for one server.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failed sign-ins a user name may have before it has to wait.
pub const FREE_FAILURES: u32 = 5;
/// The wait after the failure that used up the free ones; each further failure doubles it.
pub const FIRST_BACKOFF: Duration = Duration::from_secs(60);
/// The longest wait between attempts for one user name.
pub const MAX_BACKOFF: Duration = Duration::from_secs(15 * 60);
/// A user name's failures are forgotten this long after its last one. Longer than
/// [`MAX_BACKOFF`], so that waiting out the longest backoff does not restore the free failures.
pub const FORGET_AFTER: Duration = Duration::from_secs(60 * 60);
/// Failed sign-ins allowed from one address within [`WINDOW`], whatever the names.
pub const MAX_ADDRESS_FAILURES: usize = 100;
/// The window an address's failures are counted in.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Above this many tracked names or addresses, expired ones are swept on the next failure, so a
/// flood of made-up names cannot grow the maps without bound for long.
const SWEEP_ABOVE: usize = 10_000;

/// One user name's failures.
#[derive(Debug, Clone, Copy)]
struct NameFailures {
    count: u32,
    last: Instant,
}

impl NameFailures {
    /// How long after the last failure the next attempt must wait.
    fn backoff(&self) -> Duration {
        match self.count.checked_sub(FREE_FAILURES) {
            None => Duration::ZERO,
            // 2^20 minutes is far past the cap; a bigger shift would overflow.
            Some(over) => FIRST_BACKOFF
                .saturating_mul(1u32 << over.min(20))
                .min(MAX_BACKOFF),
        }
    }

    fn forgotten(&self, now: Instant) -> bool {
        now.duration_since(self.last) >= FORGET_AFTER
    }
}

/// The most of a user name kept as a key: no account's name is longer, and a form that sends
/// a megabyte as the name must not make the map hold it.
const NAME_KEY_BYTES: usize = 256;

/// A user name as the limiter keys it: without case, as accounts are looked up, and cut short.
fn name_key(name: &str) -> String {
    let mut key = name.to_lowercase();
    if key.len() > NAME_KEY_BYTES {
        let mut end = NAME_KEY_BYTES;
        while !key.is_char_boundary(end) {
            end -= 1;
        }
        key.truncate(end);
    }
    key
}

#[derive(Debug, Default)]
struct Failures {
    names: HashMap<String, NameFailures>,
    addresses: HashMap<String, VecDeque<Instant>>,
}

/// Failed sign-ins per user name (with backoff) and per client address (a high ceiling).
#[derive(Debug, Default)]
pub struct LoginLimiter {
    failures: Mutex<Failures>,
}

impl LoginLimiter {
    /// How long a sign-in as `name` from `address` must still wait, or `None` if it may be
    /// tried now. Names are compared without case, as accounts are looked up.
    pub fn wait(&self, name: &str, address: &str) -> Option<Duration> {
        self.wait_at(name, address, Instant::now())
    }

    fn wait_at(&self, name: &str, address: &str, now: Instant) -> Option<Duration> {
        let map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let name_wait = map
            .names
            .get(&name_key(name))
            .filter(|f| !f.forgotten(now))
            .map(|f| f.backoff().saturating_sub(now.duration_since(f.last)))
            .filter(|wait| !wait.is_zero());
        let address_wait = map.addresses.get(address).and_then(|times| {
            let recent: Vec<&Instant> = times
                .iter()
                .filter(|t| now.duration_since(**t) < WINDOW)
                .collect();
            if recent.len() < MAX_ADDRESS_FAILURES {
                return None;
            }
            // Refused until the oldest failure in the window leaves it.
            recent
                .first()
                .map(|oldest| WINDOW.saturating_sub(now.duration_since(**oldest)))
        });
        name_wait.max(address_wait)
    }

    /// Counts a failed sign-in against the name and the address.
    pub fn failed(&self, name: &str, address: &str) {
        self.failed_at(name, address, Instant::now());
    }

    fn failed_at(&self, name: &str, address: &str, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if map.names.len() > SWEEP_ABOVE {
            map.names.retain(|_, f| !f.forgotten(now));
        }
        if map.addresses.len() > SWEEP_ABOVE {
            map.addresses
                .retain(|_, times| times.iter().any(|t| now.duration_since(*t) < WINDOW));
        }
        let entry = map.names.entry(name_key(name)).or_insert(NameFailures {
            count: 0,
            last: now,
        });
        if entry.forgotten(now) {
            entry.count = 0;
        }
        entry.count = entry.count.saturating_add(1);
        entry.last = now;
        let times = map.addresses.entry(address.to_string()).or_default();
        while times
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            times.pop_front();
        }
        times.push_back(now);
        // Only the ceiling's worth is needed to decide; older ones need not be kept.
        while times.len() > MAX_ADDRESS_FAILURES {
            times.pop_front();
        }
    }

    /// Forgets a user name's failures (it signed in with the right password).
    pub fn succeeded(&self, name: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.names.remove(&name_key(name));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test clock: `at(d)` is `d` after the test began.
    struct Clock(Instant);

    impl Clock {
        fn at(&self, d: Duration) -> Instant {
            self.0 + d
        }
    }

    #[test]
    fn five_failures_are_free_then_the_name_waits_with_a_doubling_backoff() {
        let limiter = LoginLimiter::default();
        let clock = Clock(Instant::now());
        let t0 = clock.at(Duration::ZERO);
        for _ in 0..FREE_FAILURES - 1 {
            limiter.failed_at("kari", "10.0.0.1", t0);
        }
        assert_eq!(limiter.wait_at("kari", "10.0.0.1", t0), None);
        limiter.failed_at("Kari", "10.0.0.1", t0);
        assert_eq!(
            limiter.wait_at("KARI", "10.0.0.9", t0),
            Some(FIRST_BACKOFF),
            "the name waits, from any address"
        );
        // Another name from the same address is not held up by Kari's typos.
        assert_eq!(limiter.wait_at("ola", "10.0.0.1", t0), None);
        // Once the wait is over, one more failure waits twice as long.
        let t1 = clock.at(FIRST_BACKOFF);
        assert_eq!(limiter.wait_at("kari", "10.0.0.1", t1), None);
        limiter.failed_at("kari", "10.0.0.1", t1);
        assert_eq!(
            limiter.wait_at("kari", "10.0.0.1", t1),
            Some(FIRST_BACKOFF * 2)
        );
        // The wait never grows past the cap.
        let mut t = t1;
        for _ in 0..40 {
            t += MAX_BACKOFF;
            limiter.failed_at("kari", "10.0.0.1", t);
        }
        assert_eq!(limiter.wait_at("kari", "10.0.0.1", t), Some(MAX_BACKOFF));
        // Signing in forgets the name's failures.
        limiter.succeeded("kari");
        assert_eq!(limiter.wait_at("kari", "10.0.0.1", t), None);
    }

    #[test]
    fn huge_names_are_kept_short() {
        let name = "ø".repeat(100_000);
        assert!(name_key(&name).len() <= NAME_KEY_BYTES);
        let limiter = LoginLimiter::default();
        limiter.failed(&name, "a");
        assert_eq!(limiter.wait(&name, "a"), None);
    }

    #[test]
    fn a_name_is_forgotten_an_hour_after_its_last_failure() {
        let limiter = LoginLimiter::default();
        let clock = Clock(Instant::now());
        for _ in 0..FREE_FAILURES {
            limiter.failed_at("kari", "a", clock.at(Duration::ZERO));
        }
        assert!(
            limiter
                .wait_at("kari", "a", clock.at(Duration::ZERO))
                .is_some()
        );
        let later = clock.at(FORGET_AFTER);
        assert_eq!(limiter.wait_at("kari", "a", later), None);
        // And it starts over with its free failures.
        limiter.failed_at("kari", "a", later);
        assert_eq!(limiter.wait_at("kari", "a", later), None);
    }

    #[test]
    fn an_address_is_refused_only_past_a_high_ceiling() {
        let limiter = LoginLimiter::default();
        let clock = Clock(Instant::now());
        let t0 = clock.at(Duration::ZERO);
        for i in 0..MAX_ADDRESS_FAILURES - 1 {
            limiter.failed_at(&format!("user{i}"), "192.0.2.7", t0);
        }
        assert_eq!(limiter.wait_at("someone", "192.0.2.7", t0), None);
        limiter.failed_at("last", "192.0.2.7", t0);
        assert_eq!(limiter.wait_at("someone", "192.0.2.7", t0), Some(WINDOW));
        assert_eq!(limiter.wait_at("someone", "192.0.2.8", t0), None);
        assert_eq!(
            limiter.wait_at("someone", "192.0.2.7", clock.at(WINDOW)),
            None
        );
    }
}
