//! The engine's error type.

/// What can go wrong in the engine: Kobler's own failures (store, index, files, models) and the
/// answers a user can be given (not found, invalid, forbidden, a conflict), kept apart by
/// variant so that a server maps each to its status.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] kobler_store::StoreError),
    /// The index failed.
    #[error(transparent)]
    Search(#[from] kobler_search::SearchError),
    /// A feed path could not be read.
    #[error(transparent)]
    Feed(#[from] kobler_feeds::FeedError),
    /// A harvest over HTTP failed.
    #[error(transparent)]
    Pull(#[from] kobler_feeds::pull::PullError),
    /// A harvested page could not be imported; it is not recorded as stored, so the next run
    /// resumes with it.
    #[error("cannot import page {page}: {error}")]
    HarvestPage {
        /// The page's number in the harvest.
        page: u32,
        /// Why (in the message, not a `source()`, so an error chain prints it once).
        error: Box<EngineError>,
    },
    /// A sentence-embedding model failed to load or run.
    #[error(transparent)]
    Embed(#[from] kobler_embed::EmbedError),
    /// A file or directory could not be used.
    #[error("{0}")]
    Io(String),
    /// Something asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The input is not acceptable.
    #[error("{0}")]
    Invalid(String),
    /// Fields of a record sent in are missing or wrong: one reason per field.
    #[error("{}", describe_fields(.0))]
    InvalidFields(Vec<kobler_core::FieldError>),
    /// The user's role or department may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// A record with this id exists already.
    #[error("{0}")]
    Conflict(String),
    /// A result derived from the whole corpus has not been computed yet (a fresh start).
    #[error("{0}")]
    NotReady(String),
}

impl EngineError {
    /// The need asked for does not exist (or the user may not know that it does), worded alike
    /// wherever a need is looked up.
    pub fn unknown_need(id: &str) -> Self {
        EngineError::NotFound(format!("unknown need {id:?}"))
    }

    /// Whether the same request may succeed shortly: the store was too busy (another process
    /// held its write lock for longer than it waits; nothing was changed), or a derived result
    /// is not computed yet. A server answers 503 with `Retry-After`, not 500.
    pub fn is_busy(&self) -> bool {
        match self {
            EngineError::Store(e) => e.is_transient(),
            EngineError::NotReady(_) => true,
            _ => false,
        }
    }
}

/// Result type of the engine.
pub type Result<T, E = EngineError> = std::result::Result<T, E>;

fn describe_fields(fields: &[kobler_core::FieldError]) -> String {
    let parts: Vec<String> = fields
        .iter()
        .map(|f| format!("`{}` {}", f.field, f.reason))
        .collect();
    format!("the need is not valid: {}", parts.join("; "))
}
