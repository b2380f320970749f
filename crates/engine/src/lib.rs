//! Kobler's application layer: what the CLI and the server do, over the store, the index and
//! the matcher.
//!
//! - [`Engine::open`] opens the store and the index under a data directory and catches the
//!   index up with the store (rebuilding it when it is missing or was built differently);
//! - imports write to the store in batches, one transaction each, and then catch the index up;
//! - matching, overlaps and search read the index, and the store for what the index lacks.

pub mod access;
mod auth;
mod browse;
mod dates;
mod derived;
mod directory;
mod error;
pub mod eval;
mod harvest;
mod identity;
mod import;
mod interest;
mod learn;
mod matching;
mod needs;
mod network;
mod overlap;
mod pairings;
mod pool;
mod portfolio;
mod semantic;
mod sessions;

pub use auth::hash_password;
pub use browse::{
    FacetValue, FoundNeed, NeedFacets, NeedSearchRequest, NeedSearchResult, NeedSort,
};
pub use derived::{Fresh, KEPT_OVERLAP_FLOOR};
pub use directory::{Directory, UnitEntry};
pub use error::{EngineError, Result};
pub use harvest::{HARVEST_DIR, HarvestObserver, HarvestReport, NoHarvestProgress};
pub use import::{ImportObserver, ImportOptions, ImportReport, NoProgress};
pub use interest::InterestedResearcher;
pub use kobler_core::Role;
pub use kobler_feeds::Format as FeedFormat;
/// Harvesting sources over HTTP (re-exported so the CLI needs no HTTP crate of its own).
pub use kobler_feeds::pull;
pub use kobler_matcher::term_pairs::LearnParams;
pub use learn::{LearnReport, LearnedPair};
pub use matching::{
    DepartmentMatch, DepartmentSuggestion, NeedForResearcher, NeedMatch, RankedNeed,
    ResearcherSuggestion,
};
pub use network::{
    NETWORK_DEFAULT_NODES, NETWORK_MAX_DEPTH, NETWORK_MAX_NODES, NetworkEdge, NetworkNode,
    NetworkRequest, NetworkSummary, NetworkView, NodeKind, NodeRef,
};
pub use overlap::{
    ClusterMember, MATERIAL_CHANGE, OVERLAP_THRESHOLD, OverlapCluster, OverlapPair, PairDecision,
    Signal, Similar, cluster_overlaps,
};
pub use pairings::{
    FittingNeed, MAX_NOTE_CHARS, MatchedDepartment, MatchedResearcher, PairingSuggestion,
    verdicts_in_force,
};
pub use portfolio::{
    DaysBand, FIRST_MATCH_BANDS, FirstMatch, FirstMatchGroup, MatchVia, NeedFirstMatch, Portfolio,
    PortfolioCount,
};
pub use semantic::{EmbedObserver, EmbedReport, NoEmbedProgress};
pub use sessions::{NewSession, SESSION_TTL_SECS, SessionUser, random_token};

pub use kobler_matcher::{Evidence, EvidenceKind};
pub use kobler_search::{DocKind, NeedHit};
pub use kobler_store::{
    Decision, Interest, OverlapDecision, PairingDecision, PairingVerdict, StoreError, User,
};

use kobler_core::{Kind, Record};
pub use kobler_search::IndexOptions;
use kobler_search::{IndexState, SearchIndex};
use kobler_store::Store;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// How many store changes the index reads per page while catching up.
const CATCH_UP_PAGE: i64 = 5_000;
/// The index commits after at least this many documents while catching up, so a long rebuild
/// that is interrupted resumes near where it stopped.
const CATCH_UP_COMMIT_EVERY: usize = 100_000;
/// A catch-up that read at least this many records (an import, a rebuild) merges the index into
/// one segment afterwards: queries then search one term dictionary instead of one per segment
/// the writer left, and the merge, linear in the index size, is paid once per bulk load rather
/// than by every query after it.
const COMPACT_AFTER: u64 = 10_000;

/// File name of a partnership's own thesaurus in the data directory (added to the built-in one).
pub const EXTRA_THESAURUS_FILE: &str = "thesaurus.toml";
/// File name of the term pairs `kobler learn-terms` learned from parallel text, in the data
/// directory (added to the built-in thesaurus like the partnership's own).
pub const LEARNED_THESAURUS_FILE: &str = "learned-thesaurus.toml";

/// How the engine matches. Everything is on by default; `kobler eval --without` turns parts off
/// to measure what each earns.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Index and query options (thesaurus, compounds, spelling).
    pub index: IndexOptions,
    /// Count projects as evidence.
    pub projects: bool,
    /// Count researchers' own keywords and bios as evidence.
    pub profiles: bool,
    /// Weigh recent works more.
    pub recency: bool,
    /// Where the sentence-embedding models are installed (`<dir>/<model id>/…`); `None` or a
    /// directory without models means lexical matching only.
    pub model_dir: Option<PathBuf>,
    /// How lexical and semantic evidence are combined when models are installed.
    pub scoring: Scoring,
}

/// Which evidence matching scores with. With no models installed it is always lexical.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scoring {
    /// The index alone (BM25 with the thesaurus, compounds and spelling pairs).
    Lexical,
    /// Sentence vectors alone.
    Semantic,
    /// Both, blended per document (docs/matching.md §Semantic blend).
    #[default]
    Blend,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            index: IndexOptions::default(),
            projects: true,
            profiles: true,
            recency: true,
            model_dir: None,
            scoring: Scoring::default(),
        }
    }
}

/// Kobler over one data directory. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Engine {
    store: Store,
    index: Arc<SearchIndex>,
    data_dir: PathBuf,
    options: EngineOptions,
    /// The embedding models and their vectors; `None` when matching is lexical only.
    semantic: Option<Arc<semantic::Semantic>>,
    /// Results derived from the whole corpus, and cached answers (`derived.rs`).
    derived: Arc<derived::Derived>,
    /// Held by every clone but the background worker's: the worker stops when it is gone.
    alive: Arc<()>,
    /// Where CPU-heavy work asked for by requests runs (`pool.rs`).
    pool: Arc<pool::WorkPool>,
    /// One catch-up at a time: a post's and the background worker's would otherwise read and
    /// index the same changes twice.
    catching_up: Arc<tokio::sync::Mutex<()>>,
}

impl Engine {
    /// Opens the store and index in `data_dir` (creating both when missing) and brings the
    /// index up to date with the store.
    pub async fn open(data_dir: &Path) -> Result<Engine> {
        Engine::open_with(data_dir, EngineOptions::default()).await
    }

    /// [`Engine::open`] with options.
    pub async fn open_with(data_dir: &Path, options: EngineOptions) -> Result<Engine> {
        let engine = Engine::open_without_catch_up_with(data_dir, options).await?;
        engine.catch_up_unless_busy().await?;
        Ok(engine)
    }

    /// Opens the store and index without catching the index up: for work that reads only the
    /// store (counts, accounts), which must not wait for a long rebuild.
    pub async fn open_without_catch_up(data_dir: &Path) -> Result<Engine> {
        Engine::open_without_catch_up_with(data_dir, EngineOptions::default()).await
    }

    /// [`Engine::open_without_catch_up`] with options.
    pub async fn open_without_catch_up_with(
        data_dir: &Path,
        mut options: EngineOptions,
    ) -> Result<Engine> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            EngineError::Io(format!(
                "cannot create data directory {}: {e}",
                data_dir.display()
            ))
        })?;
        let store = Store::open(data_dir).await?;
        for file in [EXTRA_THESAURUS_FILE, LEARNED_THESAURUS_FILE] {
            let path = data_dir.join(file);
            if path.exists() && !options.index.extra_thesauri.contains(&path) {
                options.index.extra_thesauri.push(path);
            }
        }
        let (index, state) =
            SearchIndex::open_with(&data_dir.join("index"), options.index.clone())?;
        if state == IndexState::Fresh {
            tracing::info!("index is new or was built differently; it is rebuilt from the store");
        }
        let semantic = options
            .model_dir
            .as_deref()
            .and_then(semantic::Semantic::discover)
            .map(Arc::new);
        Ok(Engine {
            store,
            index: Arc::new(index),
            data_dir: data_dir.to_path_buf(),
            options,
            semantic,
            derived: Arc::default(),
            alive: Arc::new(()),
            pool: Arc::default(),
            catching_up: Arc::default(),
        })
    }

    /// Catches the index up, unless another process (a running server, an import) is writing
    /// it: then the index is read as it is, and whoever writes it catches it up.
    pub async fn catch_up_unless_busy(&self) -> Result<u64> {
        match self.catch_up().await {
            Err(EngineError::Search(kobler_search::SearchError::Locked)) => {
                tracing::warn!(
                    "the index is being written by another kobler process; it may lag the store"
                );
                Ok(0)
            }
            other => other,
        }
    }

    /// Runs `work` with a clone of this engine on the bounded work pool, off the caller's
    /// runtime, and waits for it (see `pool.rs`).
    pub(crate) async fn offload<T, F, Fut>(&self, work: F) -> Result<T>
    where
        F: FnOnce(Engine) -> Fut,
        Fut: std::future::Future<Output = Result<T>> + Send + 'static,
        T: Send + 'static,
    {
        self.pool.run(work(self.clone())).await
    }

    /// The data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Feeds the index every store change it has not read yet. Returns how many records it read.
    pub async fn catch_up(&self) -> Result<u64> {
        let _one_at_a_time = self.catching_up.lock().await;
        let target = self.store.last_seq().await?;
        let mut seq = self.index.indexed_seq();
        if seq >= target {
            return Ok(0);
        }
        let mut read = 0u64;
        let mut since_commit = 0usize;
        loop {
            let page = self.store.changes_since(seq, CATCH_UP_PAGE).await?;
            let Some(last) = page.last() else { break };
            let last_seq = last.seq;
            self.index.index_records(page.iter().map(|c| &c.record))?;
            // Cached answers computed before this page are stale from now on.
            if page.iter().any(|c| c.record.kind() == Kind::Need) {
                self.derived.needs_changed();
            }
            if page.iter().any(|c| c.record.kind() != Kind::Need) {
                self.derived.evidence_changed();
            }
            read += page.len() as u64;
            since_commit += page.len();
            seq = last_seq;
            if since_commit >= CATCH_UP_COMMIT_EVERY {
                self.index.commit(seq)?;
                since_commit = 0;
            }
        }
        self.index.commit(seq)?;
        if read >= COMPACT_AFTER
            && let Err(error) = self.index.compact()
        {
            // Only speed is lost: the index is complete either way.
            tracing::warn!(%error, "the index could not be merged into one segment");
        }
        tracing::debug!(records = read, seq, "index caught up with the store");
        // What the index just read may need vectors too, and derived results may be stale.
        self.records_changed();
        self.derived_changed();
        Ok(read)
    }

    /// Throws the index away and rebuilds it from the store. Returns how many records it read.
    pub async fn reindex(&self) -> Result<u64> {
        self.index.clear()?;
        self.catch_up().await
    }

    /// The number of stored records per kind.
    pub async fn stats(&self) -> Result<BTreeMap<Kind, u64>> {
        Ok(self.store.counts().await?)
    }

    /// The number of documents in the index.
    pub fn indexed_documents(&self) -> u64 {
        self.index.num_docs()
    }

    /// Full-text search over needs (not drafts): the total and one page of hits.
    pub fn search_needs(
        &self,
        query: &str,
        offset: usize,
        limit: usize,
    ) -> Result<(usize, Vec<NeedHit>)> {
        Ok(self.index.search_needs(query, offset, limit)?)
    }

    /// One need by id.
    pub async fn need(&self, id: &str) -> Result<Option<kobler_core::Need>> {
        Ok(match self.store.get(Kind::Need, id).await? {
            Some(Record::Need(need)) => Some(need),
            _ => None,
        })
    }
}
