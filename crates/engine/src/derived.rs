//! Results derived from the whole corpus, kept rather than computed per request.
//!
//! What spans the corpus — the overlap run, the department matches behind the pairing queue,
//! the portfolio, the network — is computed by one background worker
//! ([`Engine::start_background`]) when the store moves, debounced, and kept in memory and (all
//! but the network, which is rebuilt from the store's aggregated pairs) in the store, so a
//! restart serves the last result at once. Requests read what is kept, with how fresh it is
//! ([`Fresh`]).
//!
//! What belongs to one need or one researcher (a need's matches, "needs for me") is computed on
//! first request and cached until something it depends on changes: the evidence (works,
//! projects, researchers, their vectors) for a need's matches, and also the needs for "needs
//! for me". Department matches reuse each need's cached fits, so a new need costs its own match
//! only.

use crate::directory::Directory;
use crate::matching::{DepartmentMatch, RankedNeed, ResearcherSuggestion};
use crate::network::KeptNetwork;
use crate::overlap::OverlapPair;
use crate::portfolio::Portfolio;
use crate::{Engine, EngineError, Result};
use kobler_store::Marks;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, VecDeque};
use std::hash::Hash;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};
use tokio::sync::{Notify, watch};

/// How often the worker looks at the store for changes other processes made (an import).
const POLL: Duration = Duration::from_secs(1);
/// The store must stay still this long before the worker recomputes, so a burst of posts or an
/// import's batches cost one run, not one each.
const QUIET: Duration = Duration::from_millis(500);
/// ... but a store that never stays still is recomputed at least this often.
const MAX_DELAY: Duration = Duration::from_secs(15);
/// How long a request waits for a result that has never been computed (a fresh start) before
/// it is told to come back (503).
const FIRST_RESULT_WAIT: Duration = Duration::from_secs(60);
/// Cached per-need and per-researcher answers kept at most (the oldest go first).
const CACHED_ANSWERS: usize = 2_000;

/// Names under which derived results are kept in the store.
const KEPT_OVERLAPS: &str = "overlaps";
const KEPT_DEPARTMENTS: &str = "departments";
const KEPT_PORTFOLIO: &str = "portfolio";
/// The store's marks the kept results were last brought up to.
const KEPT_MARKS: &str = "marks";

/// A derived result and how fresh it is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Fresh<T> {
    /// The result.
    pub value: T,
    /// The store's change sequence it was computed from: every record change up to it is in.
    pub as_of_seq: i64,
    /// When it was computed (UTC, `YYYY-MM-DDTHH:MM:SSZ`).
    pub computed_at: String,
}

impl<T> Fresh<T> {
    /// The same freshness with another value (a filtered or decorated view of this one).
    pub fn map<U>(&self, value: U) -> Fresh<U> {
        Fresh {
            value,
            as_of_seq: self.as_of_seq,
            computed_at: self.computed_at.clone(),
        }
    }
}

/// The overlap run as kept: every pair at or above [`KEPT_OVERLAP_FLOOR`], with the decisions
/// in force when it was computed already applied.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct KeptOverlaps {
    /// The pairs, best first.
    pub pairs: Vec<OverlapPair>,
    /// The newest overlap decision applied; later ones are applied when served.
    pub decisions_seq: i64,
}

/// The lowest overlap threshold a kept run answers for. Below the calibrated threshold, so a
/// coordinator can look wider, but not so low that the run explains thousands of weak pairs.
pub const KEPT_OVERLAP_FLOOR: f32 = 0.15;

/// One kept result: empty until first computed, then replaced whole each time.
pub(crate) struct Slot<T> {
    current: watch::Sender<Option<Arc<Fresh<T>>>>,
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot {
            current: watch::Sender::new(None),
        }
    }
}

impl<T> Slot<T> {
    fn set(&self, value: Fresh<T>) {
        self.current.send_replace(Some(Arc::new(value)));
    }

    /// What is kept now, if anything.
    pub fn current(&self) -> Option<Arc<Fresh<T>>> {
        self.current.borrow().clone()
    }

    /// What is kept, waiting for the first result after a fresh start.
    pub async fn get(&self, what: &str) -> Result<Arc<Fresh<T>>> {
        let mut receiver = self.current.subscribe();
        let waited = tokio::time::timeout(FIRST_RESULT_WAIT, receiver.wait_for(Option::is_some));
        match waited.await {
            Ok(Ok(value)) => value.clone().ok_or_else(|| not_ready(what)),
            _ => Err(not_ready(what)),
        }
    }
}

fn not_ready(what: &str) -> EngineError {
    EngineError::NotReady(format!(
        "{what} is still being computed for the first time; try again shortly"
    ))
}

/// A small cache of answers, each with the stamp of what it was computed from; the oldest
/// entry goes when it is full.
pub(crate) struct AnswerCache<K, S, V> {
    entries: Mutex<Entries<K, S, V>>,
}

/// The answers by key, each with its stamp, and the keys oldest first.
type Entries<K, S, V> = (HashMap<K, (S, Arc<V>)>, VecDeque<K>);

impl<K, S, V> Default for AnswerCache<K, S, V> {
    fn default() -> Self {
        AnswerCache {
            entries: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }
}

impl<K: Hash + Eq + Clone, S: PartialEq, V> AnswerCache<K, S, V> {
    /// The answer for `key` if it was computed from `stamp`.
    pub fn get(&self, key: &K, stamp: &S) -> Option<Arc<V>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries
            .0
            .get(key)
            .filter(|(kept, _)| kept == stamp)
            .map(|(_, value)| value.clone())
    }

    /// Keeps an answer computed from `stamp`.
    pub fn put(&self, key: K, stamp: S, value: Arc<V>) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        let (map, order) = &mut *entries;
        if map.insert(key.clone(), (stamp, value)).is_none() {
            order.push_back(key);
        }
        while map.len() > CACHED_ANSWERS {
            match order.pop_front() {
                Some(oldest) => {
                    map.remove(&oldest);
                }
                None => break,
            }
        }
    }
}

/// What a cached answer was computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Generations {
    /// Changes to evidence: works, projects, researchers, units, and any vectors.
    pub evidence: u64,
    /// Changes to needs.
    pub needs: u64,
}

/// Everything derived that the engine keeps.
pub(crate) struct Derived {
    pub overlaps: Slot<KeptOverlaps>,
    pub departments: Slot<Vec<DepartmentMatch>>,
    pub portfolio: Slot<Portfolio>,
    /// The network of who works with whom (in memory only: rebuilt after a restart).
    pub network: Slot<KeptNetwork>,
    /// Woken by every write this process makes, so the worker need not wait for its poll.
    pub changed: Notify,
    /// The store's marks the kept results are up to (none before the first round).
    done: watch::Sender<Option<Marks>>,
    evidence: AtomicU64,
    needs: AtomicU64,
    /// A need's researchers and scores at the department depth, by need id, with the hash of
    /// the text they were matched from and the evidence generation.
    pub need_fits: AnswerCache<String, (u64, u64), Vec<(String, f32)>>,
    /// A need's full matches (with evidence) as served, by (need id, top).
    pub need_matches: AnswerCache<(String, usize), (u64, u64), Vec<ResearcherSuggestion>>,
    /// "Needs for me", by (researcher id, top).
    pub needs_for_me: AnswerCache<(String, usize), Generations, Vec<RankedNeed>>,
    /// Units and municipalities, by the evidence generation they were read at.
    pub directory: AnswerCache<(), u64, Directory>,
    started: AtomicBool,
}

impl Default for Derived {
    fn default() -> Self {
        Derived {
            overlaps: Slot::default(),
            departments: Slot::default(),
            portfolio: Slot::default(),
            network: Slot::default(),
            changed: Notify::new(),
            done: watch::Sender::new(None),
            evidence: AtomicU64::new(0),
            needs: AtomicU64::new(0),
            need_fits: AnswerCache::default(),
            need_matches: AnswerCache::default(),
            needs_for_me: AnswerCache::default(),
            directory: AnswerCache::default(),
            started: AtomicBool::new(false),
        }
    }
}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Derived")
            .field("generations", &self.generations())
            .finish_non_exhaustive()
    }
}

impl Derived {
    /// The generations now.
    pub fn generations(&self) -> Generations {
        Generations {
            evidence: self.evidence.load(Ordering::Acquire),
            needs: self.needs.load(Ordering::Acquire),
        }
    }

    /// Records that evidence changed (indexed records other than needs, or new vectors).
    pub fn evidence_changed(&self) {
        self.evidence.fetch_add(1, Ordering::AcqRel);
    }

    /// Records that needs changed.
    pub fn needs_changed(&self) {
        self.needs.fetch_add(1, Ordering::AcqRel);
    }
}

/// A stable hash of a text (for "was this need matched from the same text").
pub(crate) fn text_hash(text: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(text.as_bytes())
}

impl Engine {
    /// Starts the background worker that keeps the derived results (see the module) and the
    /// index up with the store, once per engine; later calls do nothing. It runs on a thread
    /// of its own with its own runtime, so its work never holds up requests, and it stops once
    /// every other clone of this engine is dropped.
    pub fn start_background(&self) {
        if self.derived.started.swap(true, Ordering::AcqRel) {
            return;
        }
        let alive = Arc::downgrade(&self.alive);
        let mut worker = self.clone();
        // The worker's own clone must not keep the engine alive.
        worker.alive = Arc::new(());
        let spawned = std::thread::Builder::new()
            .name("kobler-background".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        tracing::error!(%error, "the background worker could not start");
                        return;
                    }
                };
                runtime.block_on(worker.background_loop(alive));
            });
        if let Err(error) = spawned {
            tracing::error!(%error, "the background worker could not start");
            self.derived.started.store(false, Ordering::Release);
        }
    }

    /// Tells the background worker that this process changed the store.
    pub(crate) fn derived_changed(&self) {
        self.derived.changed.notify_one();
    }

    async fn background_loop(self, alive: Weak<()>) {
        let mut done = match self.load_kept().await {
            Ok(marks) => marks,
            Err(error) => {
                tracing::warn!(%error, "kept results could not be read; they are computed anew");
                None
            }
        };
        self.derived.done.send_replace(done);
        loop {
            if alive.upgrade().is_none() {
                return;
            }
            match self.refresh(&mut done, &alive).await {
                Ok(()) => {}
                Err(error) if error.is_busy() => {
                    tracing::debug!(%error, "derived results wait for the store");
                }
                Err(error) => tracing::error!(%error, "derived results could not be computed"),
            }
            let _ = tokio::time::timeout(POLL, self.derived.changed.notified()).await;
        }
    }

    /// Puts the results kept in the store into memory, so a restart serves them at once, and
    /// returns the marks they were brought up to when all of them were read (then nothing is
    /// computed again until the store moves).
    async fn load_kept(&self) -> Result<Option<Marks>> {
        fn parse<T: for<'de> Deserialize<'de>>(
            kept: Option<kobler_store::DerivedDoc>,
        ) -> Option<Fresh<T>> {
            let kept = kept?;
            match serde_json::from_str(&kept.doc) {
                Ok(value) => Some(Fresh {
                    value,
                    as_of_seq: kept.as_of_seq,
                    computed_at: kept.computed_at,
                }),
                // Kept by another version of Kobler: it is computed anew.
                Err(_) => None,
            }
        }
        if let Some(kept) = parse(self.store.derived(KEPT_OVERLAPS).await?) {
            self.derived.overlaps.set(kept);
        }
        if let Some(kept) = parse(self.store.derived(KEPT_DEPARTMENTS).await?) {
            self.derived.departments.set(kept);
        }
        if let Some(kept) = parse(self.store.derived(KEPT_PORTFOLIO).await?) {
            self.derived.portfolio.set(kept);
        }
        let marks: Option<Fresh<Marks>> = parse(self.store.derived(KEPT_MARKS).await?);
        let complete = self.derived.overlaps.current().is_some()
            && self.derived.departments.current().is_some()
            && self.derived.portfolio.current().is_some();
        Ok(marks.filter(|_| complete).map(|m| m.value))
    }

    /// One round of the worker: when the store moved since the last round, waits for it to
    /// settle, catches the index up, and recomputes what the change touches.
    async fn refresh(&self, done: &mut Option<Marks>, alive: &Weak<()>) -> Result<()> {
        let mut marks = self.store.marks().await?;
        // The index lags when another process (an import) held its writer last round.
        if self.index.indexed_seq() < marks.records {
            self.catch_up_unless_busy().await?;
        }
        // The portfolio counts days waiting, so it is computed anew each day too.
        let portfolio_of_another_day = self
            .derived
            .portfolio
            .current()
            .is_none_or(|kept| !kept.computed_at.starts_with(&crate::dates::today()));
        let network_missing = self.derived.network.current().is_none();
        if done.as_ref() == Some(&marks) && !portfolio_of_another_day && !network_missing {
            return Ok(());
        }
        // Debounce: wait for a quiet moment, up to a limit.
        let first_seen = Instant::now();
        while done.is_some() && first_seen.elapsed() < MAX_DELAY {
            tokio::time::sleep(QUIET).await;
            let again = self.store.marks().await?;
            if again == marks {
                break;
            }
            marks = again;
        }
        if alive.upgrade().is_none() {
            return Ok(());
        }
        self.catch_up_unless_busy().await?;
        let before = done.unwrap_or(Marks {
            records: -1,
            overlap_decisions: -1,
            pairing_decisions: -1,
            interest: (-1, -1),
        });
        let records = before.records != marks.records;
        if records || self.derived.overlaps.current().is_none() {
            self.keep_overlaps(marks).await?;
        }
        if records || self.derived.departments.current().is_none() {
            self.keep_departments(marks).await?;
        }
        if records
            || before.pairing_decisions != marks.pairing_decisions
            || before.interest != marks.interest
            || portfolio_of_another_day
        {
            self.keep_portfolio(marks).await?;
        }
        if records || before.pairing_decisions != marks.pairing_decisions || network_missing {
            let value = self.compute_network().await?;
            self.derived.network.set(Fresh {
                value,
                as_of_seq: marks.records,
                computed_at: crate::dates::now_utc(),
            });
        }
        if *done != Some(marks) {
            let slot: Option<&Slot<Marks>> = None;
            self.keep(KEPT_MARKS, slot, marks, marks, Instant::now())
                .await?;
        }
        *done = Some(marks);
        self.derived.done.send_replace(Some(marks));
        Ok(())
    }

    /// Waits (at most `limit`) until the kept results reflect the store as it is now: every
    /// change made before this call. For tests and tools that change the store and then read
    /// a derived result; requests never wait for it.
    pub async fn derived_current(&self, limit: Duration) -> Result<()> {
        self.start_background();
        let wanted = self.store.marks().await?;
        self.derived_changed();
        let mut done = self.derived.done.subscribe();
        let caught_up = done.wait_for(|done| {
            done.is_some_and(|d| {
                d.records >= wanted.records
                    && d.overlap_decisions >= wanted.overlap_decisions
                    && d.pairing_decisions >= wanted.pairing_decisions
                    && (d.interest == wanted.interest || d.records > wanted.records)
            })
        });
        match tokio::time::timeout(limit, caught_up).await {
            Ok(Ok(_)) => Ok(()),
            _ => Err(not_ready("a result derived from the latest changes")),
        }
    }

    /// Writes `value` to the store under `name` and, when `slot` is given, serves it from
    /// memory from now on; `started` is when its computation began (for the log).
    async fn keep<T: Serialize>(
        &self,
        name: &str,
        slot: Option<&Slot<T>>,
        marks: Marks,
        value: T,
        started: Instant,
    ) -> Result<()> {
        let doc = serde_json::to_string(&value)
            .map_err(|e| EngineError::Io(format!("cannot write the {name} result: {e}")))?;
        let computed_at = self.store.put_derived(name, marks.records, &doc).await?;
        tracing::info!(
            result = name,
            seq = marks.records,
            ms = started.elapsed().as_millis() as u64,
            "derived result kept"
        );
        if let Some(slot) = slot {
            slot.set(Fresh {
                value,
                as_of_seq: marks.records,
                computed_at,
            });
        }
        Ok(())
    }

    async fn keep_overlaps(&self, marks: Marks) -> Result<()> {
        let started = Instant::now();
        let value = KeptOverlaps {
            pairs: self.overlaps(KEPT_OVERLAP_FLOOR).await?,
            decisions_seq: marks.overlap_decisions,
        };
        let slot = Some(&self.derived.overlaps);
        self.keep(KEPT_OVERLAPS, slot, marks, value, started).await
    }

    async fn keep_departments(&self, marks: Marks) -> Result<()> {
        let started = Instant::now();
        let value = self
            .match_departments(&[], crate::pairings::KEPT_PER_UNIT)
            .await?;
        let slot = Some(&self.derived.departments);
        self.keep(KEPT_DEPARTMENTS, slot, marks, value, started)
            .await
    }

    async fn keep_portfolio(&self, marks: Marks) -> Result<()> {
        let started = Instant::now();
        let value = self.compute_portfolio().await?;
        let slot = Some(&self.derived.portfolio);
        self.keep(KEPT_PORTFOLIO, slot, marks, value, started).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_answer_cache_serves_only_the_same_stamp_and_forgets_the_oldest() {
        let cache: AnswerCache<usize, u64, usize> = AnswerCache::default();
        cache.put(1, 7, Arc::new(10));
        assert_eq!(cache.get(&1, &7).as_deref(), Some(&10));
        assert_eq!(cache.get(&1, &8), None, "another stamp is stale");
        for key in 2..=CACHED_ANSWERS + 1 {
            cache.put(key, 7, Arc::new(key));
        }
        assert_eq!(cache.get(&1, &7), None, "the oldest went first");
        assert!(cache.get(&2, &7).is_some());
    }

    #[tokio::test]
    async fn a_slot_waits_for_its_first_value() {
        let slot: Arc<Slot<u32>> = Arc::new(Slot::default());
        assert!(slot.current().is_none());
        let writer = slot.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(20)).await;
            writer.set(Fresh {
                value: 5,
                as_of_seq: 3,
                computed_at: "2026-12-07T20:00:00Z".into(),
            });
        });
        let kept = slot.get("the test value").await.unwrap();
        assert_eq!((kept.value, kept.as_of_seq), (5, 3));
    }
}
