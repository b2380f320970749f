//! Kobler's store: the source of truth for every record, account and token.
//!
//! This is the only crate that knows SQL. Callers see [`Store`]'s methods and Kobler's own types;
//! the backend (SQLite, embedded, by default) stays behind them so that a PostgreSQL backend can
//! be added without touching callers.
//!
//! Invariants:
//! - every write is one transaction: a batch is stored whole or not at all;
//! - `seq` grows with every change, so the index can catch up by reading forward;
//! - importing an unchanged record changes nothing, not even its `seq`.

use kobler_core::{Kind, Record, RecordError, Role, parse_record};
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Row, SqlitePool};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::str::FromStr;

mod vectors;
pub use vectors::StoredVector;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database could not be opened, read or written.
    #[error("database error: {0}")]
    Database(sqlx::Error),
    /// The schema could not be brought up to date.
    #[error("could not migrate the database schema: {0}")]
    Migrate(String),
    /// A stored document no longer parses as a record (the store was edited by hand?).
    #[error("stored {kind} {id:?} is not a valid record: {reason}")]
    Corrupt {
        /// Kind of the record.
        kind: String,
        /// Its id.
        id: String,
        /// Why it does not parse.
        reason: String,
    },
    /// A name that must be unique is taken.
    #[error("{0} already exists")]
    Exists(String),
    /// The database stayed locked by another process's write for longer than the store
    /// waits ([`BUSY_TIMEOUT`]): nothing was written, and the same write may succeed later.
    #[error("the store is busy with another write; try again shortly")]
    Busy,
}

impl StoreError {
    /// Whether the same call may succeed if it is simply made again later.
    pub fn is_transient(&self) -> bool {
        matches!(self, StoreError::Busy)
    }
}

/// A database error as the store reports it: lock contention that outlasted the busy timeout
/// (SQLite's `SQLITE_BUSY`/`SQLITE_LOCKED` and their extended codes) and a pool that could not
/// hand out a connection in time become [`StoreError::Busy`], everything else stays a database
/// error.
fn classify(error: sqlx::Error) -> StoreError {
    match &error {
        sqlx::Error::PoolTimedOut => StoreError::Busy,
        sqlx::Error::Database(db) => {
            // Primary result codes 5 (BUSY) and 6 (LOCKED); extended codes keep them in the
            // low byte.
            let busy = db
                .code()
                .and_then(|code| code.parse::<i64>().ok())
                .is_some_and(|code| matches!(code & 0xff, 5 | 6));
            if busy {
                StoreError::Busy
            } else {
                StoreError::Database(error)
            }
        }
        _ => StoreError::Database(error),
    }
}

// The cause goes into the message only (no `source()`), so an error chain prints it once.
impl From<sqlx::migrate::MigrateError> for StoreError {
    fn from(error: sqlx::migrate::MigrateError) -> Self {
        StoreError::Migrate(error.to_string())
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        classify(error)
    }
}

/// Result type of the store.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What one batch did to the store.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct BatchOutcome {
    /// Records that were new.
    pub inserted: u64,
    /// Records that existed and changed.
    pub updated: u64,
    /// Records that existed unchanged.
    pub unchanged: u64,
}

/// What a coordinator decided about an overlap flag.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// The two really cover the same ground: a chance to join forces.
    Confirmed,
    /// A false alarm: do not flag the pair again unless one side changes materially.
    Dismissed,
}

impl Decision {
    /// The stored and serialised name.
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Confirmed => "confirmed",
            Decision::Dismissed => "dismissed",
        }
    }
}

impl FromStr for Decision {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "confirmed" | "confirm" => Ok(Decision::Confirmed),
            "dismissed" | "dismiss" => Ok(Decision::Dismissed),
            other => Err(format!(
                "unknown decision {other:?} (expected confirm or dismiss)"
            )),
        }
    }
}

/// One decision on an overlap pair, with who made it and the two sides' vocabulary then.
#[derive(Debug, Clone, Serialize)]
pub struct OverlapDecision {
    /// Its place in the audit trail (assigned by the store; ignored when adding).
    pub seq: i64,
    /// Kind of the first side.
    pub a_kind: Kind,
    /// Id of the first side.
    pub a: String,
    /// Kind of the second side.
    pub b_kind: Kind,
    /// Id of the second side.
    pub b: String,
    /// What was decided.
    pub decision: Decision,
    /// The coordinator's note.
    pub note: Option<String>,
    /// Who decided (a user name).
    pub decided_by: String,
    /// When (UTC, `YYYY-MM-DDTHH:MM:SSZ`; assigned by the store).
    pub decided_at: String,
    /// The first side's analysed words then, space-separated.
    #[serde(skip)]
    pub a_words: String,
    /// The second side's analysed words then, space-separated.
    #[serde(skip)]
    pub b_words: String,
}

/// A record as stored, with its change sequence number.
#[derive(Debug, Clone)]
pub struct StoredRecord {
    /// When it last changed.
    pub seq: i64,
    /// The record.
    pub record: Record,
}

/// A local account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct User {
    /// Unique sign-in name.
    pub name: String,
    /// What they may do.
    pub role: Role,
    /// For staff: the municipal unit they post for.
    pub unit: Option<String>,
    /// For researchers: their researcher record.
    pub researcher: Option<String>,
}

/// A researcher's "interested" mark on a need.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interest {
    /// Need id.
    pub need: String,
    /// Researcher id.
    pub researcher: String,
    /// The account that marked it.
    pub user_name: String,
    /// When (ISO, UTC).
    pub at: String,
}

/// What a coordinator decided about a suggested researcher–department pairing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PairingVerdict {
    /// The pairing is good: introduce them.
    Accepted,
    /// The pairing is wrong; it is not suggested again.
    Rejected,
    /// Not now; it stays in the queue.
    Deferred,
}

impl PairingVerdict {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PairingVerdict::Accepted => "accepted",
            PairingVerdict::Rejected => "rejected",
            PairingVerdict::Deferred => "deferred",
        }
    }
}

impl FromStr for PairingVerdict {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "accepted" | "accept" => Ok(PairingVerdict::Accepted),
            "rejected" | "reject" => Ok(PairingVerdict::Rejected),
            "deferred" | "defer" => Ok(PairingVerdict::Deferred),
            other => Err(format!(
                "unknown pairing decision {other:?} (accept, reject or defer)"
            )),
        }
    }
}

/// A coordinator's decision on a researcher–department pairing, as stored (append-only).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PairingDecision {
    /// Order of recording (0 before it is stored).
    pub seq: i64,
    /// Municipal unit id.
    pub unit: String,
    /// Researcher id.
    pub researcher: String,
    /// What was decided.
    pub decision: PairingVerdict,
    /// Why, in the coordinator's words (never shown to staff or researchers).
    pub note: Option<String>,
    /// The coordinator's user name.
    pub decided_by: String,
    /// When (ISO, UTC; filled in by the store).
    pub decided_at: String,
}

/// The store. Cheap to clone; clones share its connection pools.
///
/// Reads go through a pool of several connections; every write goes through one writer
/// connection, so this process's writes queue for it in order instead of racing each other for
/// SQLite's single write lock, and every multi-statement write begins `IMMEDIATE`, taking the
/// write lock before it reads. A deferred transaction that reads first and then writes cannot
/// wait for the lock (SQLite answers `SQLITE_BUSY` at once when another connection committed
/// in between), which is how parallel posts used to fail with "database is locked".
#[derive(Clone, Debug)]
pub struct Store {
    pool: SqlitePool,
    writer: SqlitePool,
}

/// How long a write waits for the write lock held by another process (an import beside the
/// server) before the store gives up with [`StoreError::Busy`].
pub const BUSY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);
/// Connections that read at once.
const READERS: u32 = 4;
/// How long a write waits for this process's writer connection: the queue of writes ahead of
/// it. Longer than [`BUSY_TIMEOUT`], so a write that queued behind a slow one still gets its
/// turn rather than failing for load.
const WRITE_QUEUE_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// File name of the SQLite database inside the data directory.
pub const DATABASE_FILE: &str = "kobler.db";

impl Store {
    /// Opens (creating if needed) the store in `data_dir` and brings its schema up to date.
    pub async fn open(data_dir: &Path) -> Result<Store> {
        let options = SqliteConnectOptions::new()
            .filename(data_dir.join(DATABASE_FILE))
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // WAL with NORMAL survives a killed process; only an OS crash can lose the last commit.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT);
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(WRITE_QUEUE_TIMEOUT)
            .connect_with(options.clone())
            .await?;
        sqlx::migrate!("./migrations").run(&writer).await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(READERS)
            .connect_with(options)
            .await?;
        Ok(Store { pool, writer })
    }

    /// Begins a write transaction on the writer connection, holding SQLite's write lock from
    /// its first statement (see [`Store`]).
    pub(crate) async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>> {
        Ok(self.writer.begin_with("BEGIN IMMEDIATE").await?)
    }

    /// Stores a batch of records in one transaction: all of them, or none if anything fails.
    ///
    /// The batch is written in a handful of statements whatever its size — one read of the
    /// stored documents per 500 ids, then multi-row writes — because a statement per record and
    /// reference made the store the bottleneck of large imports. A record that appears twice
    /// in a batch counts twice, as if the two were stored one after the other.
    pub async fn upsert_batch(&self, records: &[Record]) -> Result<BatchOutcome> {
        let mut tx = self.begin_write().await?;
        let mut seq: i64 = sqlx::query_scalar("SELECT value FROM counters WHERE name = 'seq'")
            .fetch_one(&mut *tx)
            .await?;
        let docs: Vec<String> = records.iter().map(|r| r.to_json().to_string()).collect();
        // The stored documents of the batch's records, by kind then id.
        let mut stored: HashMap<(Kind, &str), String> = HashMap::new();
        let mut by_kind: BTreeMap<Kind, Vec<&str>> = BTreeMap::new();
        for record in records {
            by_kind.entry(record.kind()).or_default().push(record.id());
        }
        for (kind, mut ids) in by_kind {
            ids.sort_unstable();
            ids.dedup();
            for chunk in ids.chunks(500) {
                let mut query =
                    sqlx::QueryBuilder::new("SELECT id, doc FROM records WHERE kind = ");
                query.push_bind(kind.as_str()).push(" AND id IN (");
                let mut list = query.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                query.push(")");
                let wanted: HashSet<&str> = chunk.iter().copied().collect();
                for row in query.build().fetch_all(&mut *tx).await? {
                    let id: String = row.try_get("id")?;
                    if let Some(key) = wanted.get(id.as_str()) {
                        stored.insert((kind, key), row.try_get("doc")?);
                    }
                }
            }
        }
        // Walk the batch in order; the last change of each record is what gets written.
        let mut outcome = BatchOutcome::default();
        let mut last: HashMap<(Kind, &str), (usize, i64)> = HashMap::new();
        let mut current: HashMap<(Kind, &str), &str> = HashMap::new();
        for (i, record) in records.iter().enumerate() {
            let key = (record.kind(), record.id());
            let before = current
                .get(&key)
                .copied()
                .or_else(|| stored.get(&key).map(String::as_str));
            match before {
                Some(old) if old == docs[i] => {
                    outcome.unchanged += 1;
                    continue;
                }
                Some(_) => outcome.updated += 1,
                None => outcome.inserted += 1,
            }
            seq += 1;
            current.insert(key, &docs[i]);
            last.insert(key, (i, seq));
        }
        let mut writes: Vec<(usize, i64)> = last.into_values().collect();
        writes.sort_unstable_by_key(|(_, s)| *s);
        for chunk in writes.chunks(200) {
            let mut query = sqlx::QueryBuilder::new("INSERT INTO records (kind, id, doc, seq) ");
            query.push_values(chunk, |mut row, (i, s)| {
                row.push_bind(records[*i].kind().as_str())
                    .push_bind(records[*i].id())
                    .push_bind(docs[*i].as_str())
                    .push_bind(*s);
            });
            query.push(
                " ON CONFLICT (kind, id) DO UPDATE SET doc = excluded.doc, seq = excluded.seq",
            );
            query.build().execute(&mut *tx).await?;
        }
        let mut changed_by_kind: BTreeMap<Kind, Vec<&str>> = BTreeMap::new();
        for (i, _) in &writes {
            changed_by_kind
                .entry(records[*i].kind())
                .or_default()
                .push(records[*i].id());
        }
        for (kind, ids) in &changed_by_kind {
            for chunk in ids.chunks(500) {
                let mut query = sqlx::QueryBuilder::new("DELETE FROM refs WHERE kind = ");
                query.push_bind(kind.as_str()).push(" AND id IN (");
                let mut list = query.separated(", ");
                for id in chunk {
                    list.push_bind(*id);
                }
                query.push(")");
                query.build().execute(&mut *tx).await?;
            }
        }
        let mut refs: Vec<(&str, &str, &'static str, &'static str, &str, i64)> = Vec::new();
        let mut identities: Vec<(&'static str, String, &str)> = Vec::new();
        for (i, _) in &writes {
            let record = &records[*i];
            for (position, (target_kind, field, target_id)) in
                record.references().into_iter().enumerate()
            {
                refs.push((
                    record.kind().as_str(),
                    record.id(),
                    field,
                    target_kind.as_str(),
                    target_id,
                    position as i64,
                ));
            }
            if let Record::Researcher(r) = record {
                // The first researcher to claim an identifier keeps it (see 0003_identities.sql).
                for (scheme, value) in kobler_core::identity::researcher_identities(r) {
                    identities.push((scheme, value, record.id()));
                }
            }
        }
        for chunk in refs.chunks(150) {
            let mut query = sqlx::QueryBuilder::new(
                "INSERT INTO refs (kind, id, field, target_kind, target_id, position) ",
            );
            query.push_values(chunk, |mut row, r| {
                row.push_bind(r.0)
                    .push_bind(r.1)
                    .push_bind(r.2)
                    .push_bind(r.3)
                    .push_bind(r.4)
                    .push_bind(r.5);
            });
            query.build().execute(&mut *tx).await?;
        }
        for chunk in identities.chunks(300) {
            let mut query =
                sqlx::QueryBuilder::new("INSERT INTO identities (scheme, value, researcher) ");
            query.push_values(chunk, |mut row, (scheme, value, id)| {
                row.push_bind(*scheme)
                    .push_bind(value.as_str())
                    .push_bind(*id);
            });
            query.push(" ON CONFLICT (scheme, value) DO NOTHING");
            query.build().execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE counters SET value = ? WHERE name = 'seq'")
            .bind(seq)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(outcome)
    }

    /// One record by kind and id.
    pub async fn get(&self, kind: Kind, id: &str) -> Result<Option<Record>> {
        let row = sqlx::query("SELECT id, doc FROM records WHERE kind = ? AND id = ?")
            .bind(kind.as_str())
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| decode(kind, &row)).transpose()
    }

    /// Several records of one kind by id; unknown ids are left out.
    pub async fn get_many(&self, kind: Kind, ids: &[String]) -> Result<Vec<Record>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            let placeholders = vec!["?"; chunk.len()].join(",");
            let sql =
                format!("SELECT id, doc FROM records WHERE kind = ? AND id IN ({placeholders})");
            let mut query = sqlx::query(&sql).bind(kind.as_str());
            for id in chunk {
                query = query.bind(id);
            }
            for row in query.fetch_all(&self.pool).await? {
                out.push(decode(kind, &row)?);
            }
        }
        Ok(out)
    }

    /// Every record of one kind, ordered by id. Meant for the small kinds (municipalities,
    /// units, needs, researchers); works are read through [`Store::changes_since`] in pages.
    pub async fn list(&self, kind: Kind) -> Result<Vec<Record>> {
        let rows = sqlx::query("SELECT id, doc FROM records WHERE kind = ? ORDER BY id")
            .bind(kind.as_str())
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| decode(kind, row)).collect()
    }

    /// Up to `limit` records changed after `seq`, oldest change first.
    pub async fn changes_since(&self, seq: i64, limit: i64) -> Result<Vec<StoredRecord>> {
        let rows = sqlx::query(
            "SELECT kind, id, doc, seq FROM records WHERE seq > ? ORDER BY seq LIMIT ?",
        )
        .bind(seq)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let kind: String = row.try_get("kind")?;
                let kind = Kind::from_str(&kind).map_err(|reason| StoreError::Corrupt {
                    kind: kind.clone(),
                    id: row.try_get("id").unwrap_or_default(),
                    reason,
                })?;
                Ok(StoredRecord {
                    seq: row.try_get("seq")?,
                    record: decode(kind, row)?,
                })
            })
            .collect()
    }

    /// The newest change sequence number (0 for an empty store).
    pub async fn last_seq(&self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT value FROM counters WHERE name = 'seq'")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// The number of stored records per kind; kinds with none count 0.
    pub async fn counts(&self) -> Result<BTreeMap<Kind, u64>> {
        let mut counts: BTreeMap<Kind, u64> = Kind::ALL.into_iter().map(|k| (k, 0)).collect();
        let rows = sqlx::query("SELECT kind, COUNT(*) AS n FROM records GROUP BY kind")
            .fetch_all(&self.pool)
            .await?;
        for row in rows {
            let kind: String = row.try_get("kind")?;
            if let Ok(kind) = Kind::from_str(&kind) {
                counts.insert(kind, row.try_get::<i64, _>("n")? as u64);
            }
        }
        Ok(counts)
    }

    /// Which of `ids` exist as records of `kind`.
    pub async fn existing_ids(&self, kind: Kind, ids: &[String]) -> Result<HashSet<String>> {
        let mut found = HashSet::new();
        for chunk in ids.chunks(500) {
            let placeholders = vec!["?"; chunk.len()].join(",");
            let sql = format!("SELECT id FROM records WHERE kind = ? AND id IN ({placeholders})");
            let mut query = sqlx::query_scalar::<_, String>(&sql).bind(kind.as_str());
            for id in chunk {
                query = query.bind(id);
            }
            found.extend(query.fetch_all(&self.pool).await?);
        }
        Ok(found)
    }

    /// Ids of the records of `kind` whose `field` refers to `target_id` (e.g. the projects
    /// whose `units` include a department).
    pub async fn referring(&self, kind: Kind, field: &str, target_id: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(
            "SELECT DISTINCT id FROM refs WHERE kind = ? AND field = ? AND target_id = ? ORDER BY id",
        )
        .bind(kind.as_str())
        .bind(field)
        .bind(target_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The researcher that holds a person identifier (`scheme` is `orcid`, `cristin` or
    /// `openalex`; `value` normalised as in [`kobler_core::identity`]).
    pub async fn researcher_by_identity(
        &self,
        scheme: &str,
        value: &str,
    ) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT researcher FROM identities WHERE scheme = ? AND value = ?")
                .bind(scheme)
                .bind(value)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    /// Every person identifier and the researcher holding it, as (scheme, value, researcher).
    /// An import loads them once (tens of thousands of people nationally) instead of asking
    /// per reference.
    pub async fn identities(&self) -> Result<Vec<(String, String, String)>> {
        let rows = sqlx::query("SELECT scheme, value, researcher FROM identities")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok((
                    row.try_get("scheme")?,
                    row.try_get("value")?,
                    row.try_get("researcher")?,
                ))
            })
            .collect()
    }

    /// Adds a local account with an already hashed password.
    pub async fn add_user(&self, user: &User, password_hash: &str) -> Result<()> {
        let result = sqlx::query(
            "INSERT INTO users (name, role, unit, researcher, password_hash) VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&user.name)
        .bind(user.role.as_str())
        .bind(&user.unit)
        .bind(&user.researcher)
        .bind(password_hash)
        .execute(&self.writer)
        .await;
        match result {
            Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
                Err(StoreError::Exists(format!("user {:?}", user.name)))
            }
            other => other.map(|_| ()).map_err(Into::into),
        }
    }

    /// A user and their password hash, by name.
    pub async fn user_with_password(&self, name: &str) -> Result<Option<(User, String)>> {
        let row = sqlx::query(
            "SELECT name, role, unit, researcher, password_hash FROM users WHERE name = ?",
        )
        .bind(name)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| Ok((user_from_row(&row)?, row.try_get("password_hash")?)))
            .transpose()
    }

    /// Records an API token (by its hash) for a user.
    pub async fn add_token(&self, user_name: &str, token_hash: &str) -> Result<()> {
        sqlx::query("INSERT INTO api_tokens (token_hash, user_name) VALUES (?, ?)")
            .bind(token_hash)
            .bind(user_name)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// The user an API token (by its hash) belongs to.
    pub async fn user_by_token(&self, token_hash: &str) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT u.name, u.role, u.unit, u.researcher FROM api_tokens t \
             JOIN users u ON u.name = t.user_name WHERE t.token_hash = ?",
        )
        .bind(token_hash)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| user_from_row(&row)).transpose()
    }

    /// Records a coordinator's decision on an overlap pair. Decisions are never overwritten:
    /// the latest one per pair is in force and the earlier ones are its history.
    pub async fn add_overlap_decision(&self, decision: &OverlapDecision) -> Result<i64> {
        let result = sqlx::query(
            "INSERT INTO overlap_decisions \
             (a_kind, a_id, b_kind, b_id, decision, note, decided_by, a_words, b_words) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(decision.a_kind.as_str())
        .bind(&decision.a)
        .bind(decision.b_kind.as_str())
        .bind(&decision.b)
        .bind(decision.decision.as_str())
        .bind(&decision.note)
        .bind(&decision.decided_by)
        .bind(&decision.a_words)
        .bind(&decision.b_words)
        .execute(&self.writer)
        .await?;
        Ok(result.last_insert_rowid())
    }

    /// Every overlap decision, oldest first (so the last one per pair is the one in force).
    pub async fn overlap_decisions(&self) -> Result<Vec<OverlapDecision>> {
        let rows = sqlx::query(
            "SELECT seq, a_kind, a_id, b_kind, b_id, decision, note, decided_by, decided_at, \
             a_words, b_words FROM overlap_decisions ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(overlap_decision_from_row).collect()
    }
    /// Records a web session (by the hash of its id) for a user, with its CSRF token and its
    /// expiry in unix seconds.
    pub async fn add_session(
        &self,
        id_hash: &str,
        user_name: &str,
        csrf_token: &str,
        expires_at: i64,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO sessions (id_hash, user_name, csrf_token, expires_at) VALUES (?, ?, ?, ?)",
        )
        .bind(id_hash)
        .bind(user_name)
        .bind(csrf_token)
        .bind(expires_at)
        .execute(&self.writer)
        .await?;
        Ok(())
    }

    /// The user and CSRF token of a session (by the hash of its id) that has not expired by
    /// `now` (unix seconds).
    pub async fn session(&self, id_hash: &str, now: i64) -> Result<Option<(User, String)>> {
        let row = sqlx::query(
            "SELECT u.name, u.role, u.unit, u.researcher, s.csrf_token FROM sessions s \
             JOIN users u ON u.name = s.user_name WHERE s.id_hash = ? AND s.expires_at > ?",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| Ok((user_from_row(&row)?, row.try_get("csrf_token")?)))
            .transpose()
    }

    /// Ends a session (signing out), and sweeps every session expired by `now`.
    pub async fn end_session(&self, id_hash: &str, now: i64) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE id_hash = ? OR expires_at <= ?")
            .bind(id_hash)
            .bind(now)
            .execute(&self.writer)
            .await?;
        Ok(())
    }

    /// Marks (or, with `interested` false, unmarks) a researcher's interest in a need.
    /// Marking twice keeps the first mark.
    pub async fn set_interest(
        &self,
        need_id: &str,
        researcher: &str,
        user_name: &str,
        interested: bool,
    ) -> Result<()> {
        let query = if interested {
            sqlx::query(
                "INSERT OR IGNORE INTO interest (need_id, researcher, user_name) VALUES (?, ?, ?)",
            )
            .bind(need_id)
            .bind(researcher)
            .bind(user_name)
        } else {
            sqlx::query("DELETE FROM interest WHERE need_id = ? AND researcher = ?")
                .bind(need_id)
                .bind(researcher)
        };
        query.execute(&self.writer).await?;
        Ok(())
    }

    /// Who is interested in a need, earliest first.
    pub async fn interest_in(&self, need_id: &str) -> Result<Vec<Interest>> {
        let rows = sqlx::query(
            "SELECT need_id, researcher, user_name, created_at FROM interest \
             WHERE need_id = ? ORDER BY created_at, researcher",
        )
        .bind(need_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(interest_from_row).collect()
    }

    /// The needs a researcher is interested in, earliest first.
    pub async fn interest_of(&self, researcher: &str) -> Result<Vec<Interest>> {
        let rows = sqlx::query(
            "SELECT need_id, researcher, user_name, created_at FROM interest \
             WHERE researcher = ? ORDER BY created_at, need_id",
        )
        .bind(researcher)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(interest_from_row).collect()
    }

    /// Appends a coordinator's decision on a researcher–department pairing; returns its seq.
    pub async fn add_pairing_decision(&self, decision: &PairingDecision) -> Result<i64> {
        let result = sqlx::query(
            "INSERT INTO pairing_decisions (unit, researcher, decision, note, decided_by) \
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&decision.unit)
        .bind(&decision.researcher)
        .bind(decision.decision.as_str())
        .bind(&decision.note)
        .bind(&decision.decided_by)
        .execute(&self.writer)
        .await?;
        Ok(result.last_insert_rowid())
    }

    /// Every pairing decision, oldest first (the last one per pair is in force).
    pub async fn pairing_decisions(&self) -> Result<Vec<PairingDecision>> {
        let rows = sqlx::query(
            "SELECT seq, unit, researcher, decision, note, decided_by, decided_at \
             FROM pairing_decisions ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(pairing_decision_from_row).collect()
    }

    /// Pairs of ids that records of `kind` refer to together, through `field_a` and `field_b`,
    /// with the records that do (sorted): co-authors of works (`work`, `authors`, `authors`),
    /// participants and units of projects (`project`, `participants`, `units`). With one field
    /// each unordered pair comes once, smaller id first. Aggregated in SQL, so a corpus of many
    /// works comes back as its (far fewer) distinct pairs.
    pub async fn co_references(
        &self,
        kind: Kind,
        field_a: &str,
        field_b: &str,
    ) -> Result<Vec<CoReference>> {
        let order = if field_a == field_b {
            " AND a.target_id < b.target_id"
        } else {
            ""
        };
        let sql = format!(
            "SELECT DISTINCT a.target_id AS x, b.target_id AS y, a.id AS via \
             FROM refs a JOIN refs b ON a.kind = b.kind AND a.id = b.id \
             WHERE a.kind = ? AND a.field = ? AND b.field = ?{order} \
             ORDER BY x, y, via"
        );
        let rows = sqlx::query(&sql)
            .bind(kind.as_str())
            .bind(field_a)
            .bind(field_b)
            .fetch_all(&self.pool)
            .await?;
        let mut pairs: Vec<CoReference> = Vec::new();
        for row in &rows {
            let (a, b, via): (String, String, String) =
                (row.try_get("x")?, row.try_get("y")?, row.try_get("via")?);
            match pairs.last_mut() {
                Some(last) if last.a == a && last.b == b => last.via.push(via),
                _ => pairs.push(CoReference {
                    a,
                    b,
                    via: vec![via],
                }),
            }
        }
        Ok(pairs)
    }

    /// Keeps a derived result (see `0008_derived.sql`) computed from the store as of
    /// `as_of_seq`, replacing the one kept under that name; returns when it was computed.
    pub async fn put_derived(&self, name: &str, as_of_seq: i64, doc: &str) -> Result<String> {
        Ok(sqlx::query_scalar(
            "INSERT INTO derived (name, as_of_seq, doc) VALUES (?, ?, ?) \
             ON CONFLICT (name) DO UPDATE SET as_of_seq = excluded.as_of_seq, \
             computed_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now'), doc = excluded.doc \
             RETURNING computed_at",
        )
        .bind(name)
        .bind(as_of_seq)
        .bind(doc)
        .fetch_one(&self.writer)
        .await?)
    }

    /// The derived result kept under `name`, if any.
    pub async fn derived(&self, name: &str) -> Result<Option<DerivedDoc>> {
        let row = sqlx::query("SELECT as_of_seq, computed_at, doc FROM derived WHERE name = ?")
            .bind(name)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(DerivedDoc {
                as_of_seq: row.try_get("as_of_seq")?,
                computed_at: row.try_get("computed_at")?,
                doc: row.try_get("doc")?,
            })
        })
        .transpose()
    }

    /// How far each kind of change has got: whether a derived result computed earlier is
    /// still current. One read of a few counters and indexed maxima.
    pub async fn marks(&self) -> Result<Marks> {
        let row = sqlx::query(
            "SELECT (SELECT value FROM counters WHERE name = 'seq') AS records, \
                    (SELECT COALESCE(MAX(seq), 0) FROM overlap_decisions) AS overlaps, \
                    (SELECT COALESCE(MAX(seq), 0) FROM pairing_decisions) AS pairings, \
                    (SELECT COUNT(*) FROM interest) AS interest_count, \
                    (SELECT COALESCE(MAX(rowid), 0) FROM interest) AS interest_last",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(Marks {
            records: row.try_get("records")?,
            overlap_decisions: row.try_get("overlaps")?,
            pairing_decisions: row.try_get("pairings")?,
            // A mark and an unmark leave the count alone but move the last rowid; an unmark
            // alone lowers the count.
            interest: (
                row.try_get("interest_count")?,
                row.try_get("interest_last")?,
            ),
        })
    }

    /// Overlap decisions recorded after `seq`, oldest first.
    pub async fn overlap_decisions_since(&self, seq: i64) -> Result<Vec<OverlapDecision>> {
        let rows = sqlx::query(
            "SELECT seq, a_kind, a_id, b_kind, b_id, decision, note, decided_by, decided_at, \
             a_words, b_words FROM overlap_decisions WHERE seq > ? ORDER BY seq",
        )
        .bind(seq)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(overlap_decision_from_row).collect()
    }

    /// When each need got its first researcher interest still marked: (need id, ISO time).
    pub async fn first_interest_per_need(&self) -> Result<Vec<(String, String)>> {
        let rows = sqlx::query(
            "SELECT need_id, MIN(created_at) AS first FROM interest GROUP BY need_id ORDER BY need_id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| Ok((row.try_get("need_id")?, row.try_get("first")?)))
            .collect()
    }
}

/// How far each kind of change in the store has got (see [`Store::marks`]).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Marks {
    /// The records' change sequence.
    pub records: i64,
    /// The newest overlap decision.
    pub overlap_decisions: i64,
    /// The newest pairing decision.
    pub pairing_decisions: i64,
    /// Interest marks: how many, and the newest.
    pub interest: (i64, i64),
}

/// A derived result as kept (see [`Store::put_derived`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DerivedDoc {
    /// The store's change sequence it was computed from.
    pub as_of_seq: i64,
    /// When it was computed (UTC, `YYYY-MM-DDTHH:MM:SSZ`).
    pub computed_at: String,
    /// The result, as JSON.
    pub doc: String,
}

/// Two ids referred to together, and the records that do (see [`Store::co_references`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoReference {
    /// Referred to through the first field.
    pub a: String,
    /// Referred to through the second field.
    pub b: String,
    /// Ids of the records referring to both, sorted.
    pub via: Vec<String>,
}

fn interest_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<Interest> {
    Ok(Interest {
        need: row.try_get("need_id")?,
        researcher: row.try_get("researcher")?,
        user_name: row.try_get("user_name")?,
        at: row.try_get("created_at")?,
    })
}

fn pairing_decision_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<PairingDecision> {
    let seq: i64 = row.try_get("seq")?;
    let decision: String = row.try_get("decision")?;
    Ok(PairingDecision {
        seq,
        unit: row.try_get("unit")?,
        researcher: row.try_get("researcher")?,
        decision: decision.parse().map_err(|reason| StoreError::Corrupt {
            kind: "pairing decision".into(),
            id: seq.to_string(),
            reason,
        })?,
        note: row.try_get("note")?,
        decided_by: row.try_get("decided_by")?,
        decided_at: row.try_get("decided_at")?,
    })
}

fn overlap_decision_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<OverlapDecision> {
    let seq: i64 = row.try_get("seq")?;
    let corrupt = |reason: String| StoreError::Corrupt {
        kind: "overlap decision".into(),
        id: seq.to_string(),
        reason,
    };
    let kind = |column: &str| -> Result<Kind> {
        let text: String = row.try_get(column)?;
        text.parse().map_err(corrupt)
    };
    let decision: String = row.try_get("decision")?;
    Ok(OverlapDecision {
        seq,
        a_kind: kind("a_kind")?,
        a: row.try_get("a_id")?,
        b_kind: kind("b_kind")?,
        b: row.try_get("b_id")?,
        decision: decision.parse().map_err(corrupt)?,
        note: row.try_get("note")?,
        decided_by: row.try_get("decided_by")?,
        decided_at: row.try_get("decided_at")?,
        a_words: row.try_get("a_words")?,
        b_words: row.try_get("b_words")?,
    })
}

fn user_from_row(row: &sqlx::sqlite::SqliteRow) -> Result<User> {
    let name: String = row.try_get("name")?;
    let role: String = row.try_get("role")?;
    Ok(User {
        role: role.parse().map_err(|reason| StoreError::Corrupt {
            kind: "user".into(),
            id: name.clone(),
            reason,
        })?,
        name,
        unit: row.try_get("unit")?,
        researcher: row.try_get("researcher")?,
    })
}

fn decode(kind: Kind, row: &sqlx::sqlite::SqliteRow) -> Result<Record> {
    let id: String = row.try_get("id")?;
    let doc: String = row.try_get("doc")?;
    let corrupt = |reason: String| StoreError::Corrupt {
        kind: kind.to_string(),
        id: id.clone(),
        reason,
    };
    let value: serde_json::Value =
        serde_json::from_str(&doc).map_err(|e| corrupt(e.to_string()))?;
    parse_record(&value).map_err(|e: RecordError| corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn record(value: serde_json::Value) -> Record {
        parse_record(&value).expect("valid test record")
    }

    #[tokio::test]
    async fn overlap_decisions_are_appended_and_read_back_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let mut decision = OverlapDecision {
            seq: 0,
            a_kind: Kind::Need,
            a: "n1".into(),
            b_kind: Kind::Project,
            b: "p1".into(),
            decision: Decision::Dismissed,
            note: Some("ulike mål".into()),
            decided_by: "koord".into(),
            decided_at: String::new(),
            a_words: "eldr velferd".into(),
            b_words: "velferd".into(),
        };
        let first = store.add_overlap_decision(&decision).await.unwrap();
        decision.decision = Decision::Confirmed;
        decision.note = None;
        let second = store.add_overlap_decision(&decision).await.unwrap();
        assert!(second > first);
        let trail = store.overlap_decisions().await.unwrap();
        assert_eq!(trail.len(), 2);
        assert_eq!(trail[0].decision, Decision::Dismissed);
        assert_eq!(trail[0].note.as_deref(), Some("ulike mål"));
        assert_eq!(trail[0].a_words, "eldr velferd");
        assert_eq!(trail[1].decision, Decision::Confirmed);
        assert_eq!(trail[1].decided_at.len(), "2026-01-01T00:00:00Z".len());
    }

    /// Two `Store`s on one file stand for two processes (a server and an import): each has its
    /// own writer connection, so their writes contend for SQLite's lock. Every one of them must
    /// wait its turn and succeed, none fail as "database is locked".
    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn parallel_writes_from_two_stores_on_one_file_all_succeed() {
        let dir = tempfile::tempdir().unwrap();
        let first = Store::open(dir.path()).await.unwrap();
        let second = Store::open(dir.path()).await.unwrap();
        let mut tasks = Vec::new();
        for i in 0..200 {
            let store = if i % 2 == 0 {
                first.clone()
            } else {
                second.clone()
            };
            tasks.push(tokio::spawn(async move {
                let need = record(json!({"type": "project", "id": format!("p{i}"),
                                         "title": format!("Prosjekt {i}")}));
                store.upsert_batch(std::slice::from_ref(&need)).await
            }));
        }
        for task in tasks {
            let outcome = task
                .await
                .unwrap()
                .expect("a write under load must not fail");
            assert_eq!(outcome.inserted, 1);
        }
        assert_eq!(first.counts().await.unwrap()[&Kind::Project], 200);
        assert_eq!(second.last_seq().await.unwrap(), 200);
    }

    #[tokio::test]
    async fn a_derived_result_is_kept_replaced_whole_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        assert_eq!(store.derived("overlaps").await.unwrap(), None);
        let at = store.put_derived("overlaps", 7, "[1]").await.unwrap();
        store.put_derived("overlaps", 9, "[1,2]").await.unwrap();
        let kept = store.derived("overlaps").await.unwrap().unwrap();
        assert_eq!((kept.as_of_seq, kept.doc.as_str()), (9, "[1,2]"));
        assert_eq!(at.len(), "2026-01-01T00:00:00Z".len());
        assert_eq!(store.marks().await.unwrap(), Marks::default());
    }

    /// A role is read once, where the account is read: a stored role Kobler does not know is
    /// a corrupt account, never an account with no rights that looks valid.
    #[tokio::test]
    async fn an_account_with_an_unknown_role_is_reported_as_corrupt() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        sqlx::query(
            "INSERT INTO users (name, role, password_hash) VALUES ('trollmann', 'wizard', 'x')",
        )
        .execute(&store.writer)
        .await
        .unwrap();
        let error = store.user_with_password("trollmann").await.unwrap_err();
        assert!(
            matches!(&error, StoreError::Corrupt { kind, .. } if kind == "user"),
            "{error}"
        );
    }

    #[test]
    fn lock_errors_are_busy_and_others_are_database_errors() {
        assert!(classify(sqlx::Error::PoolTimedOut).is_transient());
        assert!(!classify(sqlx::Error::RowNotFound).is_transient());
    }

    #[test]
    fn decisions_parse_from_verbs_and_past_tense_only() {
        assert_eq!("dismiss".parse(), Ok(Decision::Dismissed));
        assert_eq!("confirmed".parse(), Ok(Decision::Confirmed));
        assert!("maybe".parse::<Decision>().is_err());
    }

    #[tokio::test]
    async fn upsert_is_idempotent_and_only_changes_bump_seq() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let r = record(json!({"type": "researcher", "id": "r1", "name": "Kari"}));
        let first = store.upsert_batch(std::slice::from_ref(&r)).await.unwrap();
        assert_eq!(first.inserted, 1);
        let seq = store.last_seq().await.unwrap();
        let again = store.upsert_batch(std::slice::from_ref(&r)).await.unwrap();
        assert_eq!(again.unchanged, 1);
        assert_eq!(store.last_seq().await.unwrap(), seq);
        let changed = record(json!({"type": "researcher", "id": "r1", "name": "Kari Nordmann"}));
        assert_eq!(
            store
                .upsert_batch(std::slice::from_ref(&changed))
                .await
                .unwrap()
                .updated,
            1
        );
        assert_eq!(store.counts().await.unwrap()[&Kind::Researcher], 1);
        assert_eq!(
            store.get(Kind::Researcher, "r1").await.unwrap(),
            Some(changed)
        );
        assert_eq!(store.changes_since(seq, 10).await.unwrap().len(), 1);
    }

    #[tokio::test]
    async fn a_record_twice_in_one_batch_counts_twice_and_the_last_version_is_stored() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let a = record(json!({"type": "project", "id": "p1", "title": "A", "units": ["u1"]}));
        let b = record(json!({"type": "project", "id": "p1", "title": "B", "units": ["u2"]}));
        let outcome = store
            .upsert_batch(&[a.clone(), a.clone(), b.clone()])
            .await
            .unwrap();
        assert_eq!(
            (outcome.inserted, outcome.unchanged, outcome.updated),
            (1, 1, 1)
        );
        assert_eq!(store.get(Kind::Project, "p1").await.unwrap(), Some(b));
        assert_eq!(store.last_seq().await.unwrap(), 2);
        assert!(
            store
                .referring(Kind::Project, "units", "u1")
                .await
                .unwrap()
                .is_empty()
        );
        assert_eq!(
            store.referring(Kind::Project, "units", "u2").await.unwrap(),
            ["p1"]
        );
        // Many records in one batch: more than one chunk of every statement.
        let many: Vec<Record> = (0..1200)
            .map(|i| {
                record(json!({"type": "work", "id": format!("w{i}"), "title": "T",
                                   "authors": ["r1", "r2"]}))
            })
            .collect();
        assert_eq!(store.upsert_batch(&many).await.unwrap().inserted, 1200);
        assert_eq!(
            store
                .referring(Kind::Work, "authors", "r2")
                .await
                .unwrap()
                .len(),
            1200
        );
        assert_eq!(store.upsert_batch(&many).await.unwrap().unchanged, 1200);
    }

    #[tokio::test]
    async fn references_are_queryable_by_target() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let p = record(json!({"type": "project", "id": "p1", "title": "T", "units": ["u1", "u2"]}));
        store.upsert_batch(&[p]).await.unwrap();
        assert_eq!(
            store.referring(Kind::Project, "units", "u2").await.unwrap(),
            vec!["p1"]
        );
        assert!(
            store
                .existing_ids(Kind::Unit, &["u1".into()])
                .await
                .unwrap()
                .is_empty()
        );
    }

    #[tokio::test]
    async fn researcher_identifiers_are_claimed_by_the_first_holder() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let a = record(
            json!({"type": "researcher", "id": "cristin:1", "name": "Kari",
                              "orcid": "https://orcid.org/0000-0002-1825-009x", "cristin_id": "1"}),
        );
        let b = record(json!({"type": "researcher", "id": "r2", "name": "Kari",
                              "orcid": "0000-0002-1825-009X", "openalex_id": "A77"}));
        store.upsert_batch(&[a, b]).await.unwrap();
        let by = |scheme: &'static str, value: &'static str| {
            let store = store.clone();
            async move { store.researcher_by_identity(scheme, value).await.unwrap() }
        };
        assert_eq!(
            by("orcid", "0000-0002-1825-009X").await.as_deref(),
            Some("cristin:1")
        );
        assert_eq!(by("cristin", "1").await.as_deref(), Some("cristin:1"));
        assert_eq!(by("openalex", "A77").await.as_deref(), Some("r2"));
        assert_eq!(store.identities().await.unwrap().len(), 3);
    }

    #[tokio::test]
    async fn duplicate_user_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let user = User {
            name: "a".into(),
            role: Role::Admin,
            unit: None,
            researcher: None,
        };
        store.add_user(&user, "h").await.unwrap();
        assert!(matches!(
            store.add_user(&user, "h").await,
            Err(StoreError::Exists(_))
        ));
        store.add_token("a", "th").await.unwrap();
        assert_eq!(store.user_by_token("th").await.unwrap(), Some(user));
    }

    #[tokio::test]
    async fn sessions_expire_and_end() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let user = User {
            name: "kari".into(),
            role: Role::Coordinator,
            unit: None,
            researcher: None,
        };
        store.add_user(&user, "hash").await.unwrap();
        store.add_session("h1", "kari", "csrf1", 100).await.unwrap();
        let (found, csrf) = store
            .session("h1", 99)
            .await
            .unwrap()
            .expect("live session");
        assert_eq!((found.name.as_str(), csrf.as_str()), ("kari", "csrf1"));
        assert!(store.session("h1", 100).await.unwrap().is_none(), "expired");
        assert!(store.session("other", 0).await.unwrap().is_none());
        store.end_session("h1", 0).await.unwrap();
        assert!(store.session("h1", 0).await.unwrap().is_none(), "ended");
    }

    #[tokio::test]
    async fn pairing_decisions_refuse_updates_and_deletes() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        let decision = PairingDecision {
            seq: 0,
            unit: "u1".into(),
            researcher: "r1".into(),
            decision: PairingVerdict::Rejected,
            note: Some("feil fagfelt".into()),
            decided_by: "koordinator".into(),
            decided_at: String::new(),
        };
        let seq = store.add_pairing_decision(&decision).await.unwrap();
        let update = sqlx::query("UPDATE pairing_decisions SET decision = 'accepted'")
            .execute(&store.pool)
            .await;
        assert!(update.is_err(), "update must be refused");
        let delete = sqlx::query("DELETE FROM pairing_decisions")
            .execute(&store.pool)
            .await;
        assert!(delete.is_err(), "delete must be refused");
        let stored = store.pairing_decisions().await.unwrap();
        assert_eq!(stored.len(), 1);
        assert_eq!(stored[0].seq, seq);
        assert_eq!(stored[0].decision, PairingVerdict::Rejected);
        assert!(!stored[0].decided_at.is_empty());
    }

    #[tokio::test]
    async fn interest_is_marked_once_and_unmarked() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        store
            .set_interest("n1", "r1", "forsker", true)
            .await
            .unwrap();
        store
            .set_interest("n1", "r1", "forsker", true)
            .await
            .unwrap();
        store
            .set_interest("n2", "r1", "forsker", true)
            .await
            .unwrap();
        assert_eq!(store.interest_in("n1").await.unwrap().len(), 1);
        assert_eq!(store.interest_of("r1").await.unwrap().len(), 2);
        store
            .set_interest("n1", "r1", "forsker", false)
            .await
            .unwrap();
        assert!(store.interest_in("n1").await.unwrap().is_empty());
    }

    #[tokio::test]
    async fn co_references_pair_each_two_ids_once_with_the_records_behind_them() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        store
            .upsert_batch(&[
                record(json!({"type": "work", "id": "w2", "title": "t", "authors": ["r2", "r1", "r3"]})),
                record(json!({"type": "work", "id": "w1", "title": "t", "authors": ["r1", "r2"]})),
                record(json!({"type": "project", "id": "p1", "title": "t", "participants": ["r1"], "units": ["u1", "u2"]})),
            ])
            .await
            .unwrap();
        let works = store
            .co_references(Kind::Work, "authors", "authors")
            .await
            .unwrap();
        let pairs: Vec<(&str, &str, Vec<&str>)> = works
            .iter()
            .map(|c| {
                (
                    c.a.as_str(),
                    c.b.as_str(),
                    c.via.iter().map(String::as_str).collect(),
                )
            })
            .collect();
        assert_eq!(
            pairs,
            [
                ("r1", "r2", vec!["w1", "w2"]),
                ("r1", "r3", vec!["w2"]),
                ("r2", "r3", vec!["w2"]),
            ]
        );
        let units = store
            .co_references(Kind::Project, "participants", "units")
            .await
            .unwrap();
        let pairs: Vec<(&str, &str)> = units.iter().map(|c| (c.a.as_str(), c.b.as_str())).collect();
        assert_eq!(pairs, [("r1", "u1"), ("r1", "u2")]);
    }

    #[tokio::test]
    async fn first_interest_per_need_is_the_earliest_mark_still_there() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(dir.path()).await.unwrap();
        store.set_interest("n1", "r1", "a", true).await.unwrap();
        store.set_interest("n1", "r2", "b", true).await.unwrap();
        let first = store.first_interest_per_need().await.unwrap();
        assert_eq!(first.len(), 1);
        assert_eq!(first[0].0, "n1");
        assert!(first[0].1.starts_with("20"), "{first:?}");
        store.set_interest("n1", "r1", "a", false).await.unwrap();
        store.set_interest("n1", "r2", "b", false).await.unwrap();
        assert!(store.first_interest_per_need().await.unwrap().is_empty());
    }
}
