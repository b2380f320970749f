//! Semantic evidence: sentence vectors for records, derived from the store like the index.
//!
//! - Every installed model embeds every work, project, researcher profile and need (needs as
//!   queries, the rest as passages). Vectors are stored keyed by model, record and the SHA-256
//!   of the embedded text ([`kobler_store::StoredVector`]), so a changed record is embedded
//!   again, an identical text reuses its vector, and a new model needs no reindex.
//! - [`Engine::embed_pending`] embeds what is missing or stale; the CLI runs it after imports
//!   and in `kobler embed`, the server in the background whenever the store changes.
//! - Matching reads the vectors from memory ([`VectorIndex`]), caught up from the store before
//!   each use, and re-ranks with whatever is embedded so far: a record without a vector simply
//!   has lexical evidence only.

use crate::{Engine, EngineError, Result};
use kobler_core::{Kind, Lang, Need, Record, detect_language};
use kobler_embed::{Encoder, ModelKind, ModelSet};
use kobler_matcher::vectors::VectorIndex;
use kobler_store::{Store, StoredVector};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

/// Records read from the store per page while looking for stale vectors.
const SCAN_PAGE: i64 = 2_000;
/// Texts embedded and stored together: small enough that an interrupted run loses little and
/// progress moves often, large enough for the encoder's batching.
const EMBED_CHUNK: usize = 64;
/// Vectors read per page when catching memory up with the store.
const LOAD_PAGE: i64 = 5_000;

/// A record's key among the vectors.
pub(crate) type VectorKey = (Kind, String);

/// The text a record is embedded from, and whether it is embedded as a query (needs: they are
/// what is searched with) or as a passage (what is found). `None` for records without text.
pub(crate) fn embedding_text(record: &Record) -> Option<(String, Role)> {
    let text = match record {
        Record::Need(n) => return Some((n.text(), Role::Query)),
        Record::Work(w) => {
            let mut text = format!("{}\n{}", w.title, w.abstract_text.as_deref().unwrap_or(""));
            if !w.keywords.is_empty() {
                text.push('\n');
                text.push_str(&w.keywords.join(", "));
            }
            text
        }
        Record::Project(p) => p.text(),
        Record::Researcher(r) => {
            let mut text = r.keywords.join(", ");
            if let Some(bio) = &r.bio {
                text.push('\n');
                text.push_str(bio);
            }
            text
        }
        Record::Municipality(_) | Record::Unit(_) => return None,
    };
    (!text.trim().is_empty()).then_some((text, Role::Passage))
}

/// Which side of a search a text is on (e5 was trained with a prefix for each).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Role {
    Query,
    Passage,
}

/// SHA-256 (hex) of what the encoder reads: role and text.
pub(crate) fn content_hash(text: &str, role: Role) -> String {
    let mut hasher = Sha256::new();
    hasher.update(match role {
        Role::Query => b"query\n".as_slice(),
        Role::Passage => b"passage\n".as_slice(),
    });
    hasher.update(text.as_bytes());
    hex::encode(hasher.finalize())
}

/// One model's vectors in memory.
#[derive(Debug)]
struct Loaded {
    index: VectorIndex<VectorKey>,
    /// Each need's vector in full precision with the hash of its text: a need edited since it
    /// was embedded is embedded afresh when it is matched, rather than matched by its old text.
    needs: HashMap<String, (String, Vec<f32>)>,
    /// The last store write read.
    seq: i64,
}

/// Reports the progress of [`Engine::embed_pending`].
pub trait EmbedObserver: Send {
    /// Embedding with `model` starts; `total` records are missing or stale.
    fn start(&mut self, model: &str, total: u64);
    /// `n` more records are done (embedded, or given an identical text's vector).
    fn advance(&mut self, n: u64);
    /// The model is done.
    fn finish(&mut self) {}
}

/// An observer that ignores everything.
pub struct NoEmbedProgress;

impl EmbedObserver for NoEmbedProgress {
    fn start(&mut self, _model: &str, _total: u64) {}
    fn advance(&mut self, _n: u64) {}
}

/// What [`Engine::embed_pending`] did, per model.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct EmbedReport {
    /// Per model id: records embedded now.
    pub embedded: HashMap<String, u64>,
    /// Per model id: records that took the vector of an identical text already stored.
    pub reused: HashMap<String, u64>,
    /// Per model id: vectors stored in all (after the run).
    pub stored: HashMap<String, u64>,
}

/// The installed models, loaded on first use, and their vectors in memory.
pub(crate) struct Semantic {
    models: ModelSet,
    encoders: Mutex<HashMap<ModelKind, Arc<Encoder>>>,
    loaded: RwLock<HashMap<ModelKind, Loaded>>,
    /// Held while embedding, so that two runs in one process do not embed the same records.
    embedding: tokio::sync::Mutex<()>,
    /// Woken when records change (a need posted), so a background embedder starts at once.
    pub(crate) changed: tokio::sync::Notify,
}

impl std::fmt::Debug for Semantic {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Semantic")
            .field("models", &self.models)
            .finish_non_exhaustive()
    }
}

impl Semantic {
    /// The models installed in `dir`; `None` (after logging it) when there are none.
    pub(crate) fn discover(dir: &Path) -> Option<Semantic> {
        let models = ModelSet::discover(dir);
        if models.present().is_empty() {
            tracing::info!(
                "no sentence-embedding models in {}: matching is lexical only \
                 (install them with `scripts/install-models {}`)",
                dir.display(),
                dir.display()
            );
            return None;
        }
        tracing::info!(models = ?models.present(), dir = %dir.display(), "semantic matching on");
        Some(Semantic {
            models,
            encoders: Mutex::new(HashMap::new()),
            loaded: RwLock::new(HashMap::new()),
            embedding: tokio::sync::Mutex::new(()),
            changed: tokio::sync::Notify::new(),
        })
    }

    /// The installed models.
    pub(crate) fn models(&self) -> &[ModelKind] {
        self.models.present()
    }

    /// The multilingual model, when installed: the one whose cosines compare texts of any two
    /// languages on one scale.
    pub(crate) fn multilingual(&self) -> Option<ModelKind> {
        self.models
            .contains(ModelKind::MultilingualE5SmallQ4)
            .then_some(ModelKind::MultilingualE5SmallQ4)
    }

    /// The model for a text in `lang`.
    pub(crate) fn model_for(&self, lang: Lang) -> Option<ModelKind> {
        self.models.for_language(lang)
    }

    fn encoder(&self, kind: ModelKind) -> Result<Arc<Encoder>> {
        let mut encoders = self.encoders.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(encoder) = encoders.get(&kind) {
            return Ok(encoder.clone());
        }
        let encoder = Arc::new(self.models.load(kind)?);
        encoders.insert(kind, encoder.clone());
        Ok(encoder)
    }

    /// Embeds texts of one role with `kind` on a blocking thread (the encoder keeps the CPU
    /// busy for a while; the async runtime must not wait on it).
    async fn embed(
        &self,
        kind: ModelKind,
        texts: Vec<String>,
        role: Role,
    ) -> Result<Vec<Vec<f32>>> {
        let encoder = self.encoder(kind)?;
        tokio::task::spawn_blocking(move || {
            let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
            match role {
                Role::Query => encoder.embed_queries(&refs),
                Role::Passage => encoder.embed_passages(&refs),
            }
        })
        .await
        .map_err(|e| EngineError::Io(format!("the embedding thread failed: {e}")))?
        .map_err(EngineError::from)
    }

    /// Brings the in-memory vectors of `kind` up to date with the store.
    async fn catch_up(&self, store: &Store, kind: ModelKind) -> Result<()> {
        let mut seq = self.read().get(&kind).map_or(0, |loaded| loaded.seq);
        loop {
            let page = store.vectors_since(kind.model_id(), seq, LOAD_PAGE).await?;
            let Some(&(last, _)) = page.last() else {
                return Ok(());
            };
            let mut all = self.loaded.write().unwrap_or_else(PoisonError::into_inner);
            let dimension = page[0].1.vector.len();
            let loaded = all.entry(kind).or_insert_with(|| Loaded {
                index: VectorIndex::new(dimension),
                needs: HashMap::new(),
                seq: 0,
            });
            for (_, stored) in page {
                if stored.kind == Kind::Need {
                    loaded.needs.insert(
                        stored.id.clone(),
                        (stored.content_hash.clone(), stored.vector.clone()),
                    );
                }
                if let Err(e) = loaded
                    .index
                    .insert((stored.kind, stored.id), &stored.vector)
                {
                    tracing::warn!(model = %kind, "a stored vector is skipped: {e}");
                }
            }
            loaded.seq = last;
            seq = last;
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<ModelKind, Loaded>> {
        self.loaded.read().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A need's vector and the model that made it.
pub(crate) struct NeedVector {
    pub(crate) model: ModelKind,
    pub(crate) vector: Vec<f32>,
}

impl Engine {
    /// Whether semantic matching is on (models installed and not turned off).
    pub fn semantic_models(&self) -> Vec<String> {
        self.semantic
            .as_ref()
            .map(|s| {
                s.models()
                    .iter()
                    .map(|m| m.model_id().to_string())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The installed models that hold a stored vector of this record (by model id): whether,
    /// and by which models, it has been embedded yet.
    pub async fn embedded_by(&self, kind: Kind, id: &str) -> Result<Vec<String>> {
        let mut models = Vec::new();
        let ids = [id.to_string()];
        for model in self.semantic_models() {
            if self
                .store
                .vector_hashes(&model, kind, &ids)
                .await?
                .contains_key(id)
            {
                models.push(model);
            }
        }
        Ok(models)
    }

    /// Embeds every record whose vector is missing or stale, with every installed model, and
    /// stores the vectors. Does nothing without models. Safe to interrupt: what was stored
    /// stays, and the next run goes on from there.
    pub async fn embed_pending(&self, observer: &mut dyn EmbedObserver) -> Result<EmbedReport> {
        let mut report = EmbedReport::default();
        let Some(semantic) = &self.semantic else {
            return Ok(report);
        };
        let _one_at_a_time = semantic.embedding.lock().await;
        for &model in semantic.models() {
            let stale = self.stale_records(model).await?;
            observer.start(model.model_id(), stale.len() as u64);
            let (mut embedded, mut reused) = (0u64, 0u64);
            for chunk in stale.chunks(EMBED_CHUNK) {
                let (e, r) = self.embed_chunk(semantic, model, chunk).await?;
                embedded += e;
                reused += r;
                observer.advance(chunk.len() as u64);
            }
            observer.finish();
            report.embedded.insert(model.model_id().into(), embedded);
            report.reused.insert(model.model_id().into(), reused);
        }
        for (model, n) in self.store.vector_counts().await? {
            report.stored.insert(model, n);
        }
        Ok(report)
    }

    /// The records whose stored vector under `model` is missing or was made from another text.
    async fn stale_records(&self, model: ModelKind) -> Result<Vec<VectorKey>> {
        let mut stale = Vec::new();
        let mut seq = 0;
        loop {
            let page = self.store.changes_since(seq, SCAN_PAGE).await?;
            let Some(last) = page.last() else { break };
            seq = last.seq;
            let mut by_kind: HashMap<Kind, Vec<(String, String)>> = HashMap::new();
            for stored in &page {
                if let Some((text, role)) = self.encoder_input(&stored.record) {
                    by_kind
                        .entry(stored.record.kind())
                        .or_default()
                        .push((stored.record.id().to_string(), content_hash(&text, role)));
                }
            }
            for (kind, records) in by_kind {
                let ids: Vec<String> = records.iter().map(|(id, _)| id.clone()).collect();
                let have = self
                    .store
                    .vector_hashes(model.model_id(), kind, &ids)
                    .await?;
                stale.extend(
                    records
                        .into_iter()
                        .filter(|(id, hash)| have.get(id) != Some(hash))
                        .map(|(id, _)| (kind, id)),
                );
            }
        }
        Ok(stale)
    }

    /// Embeds and stores one chunk of stale records; returns (embedded, reused).
    async fn embed_chunk(
        &self,
        semantic: &Semantic,
        model: ModelKind,
        chunk: &[VectorKey],
    ) -> Result<(u64, u64)> {
        // Read the records again: they may have changed since the scan.
        let mut items: Vec<(Kind, String, String, Role, String)> = Vec::new();
        let mut by_kind: HashMap<Kind, Vec<String>> = HashMap::new();
        for (kind, id) in chunk {
            by_kind.entry(*kind).or_default().push(id.clone());
        }
        for (kind, ids) in by_kind {
            for record in self.store.get_many(kind, &ids).await? {
                if let Some((text, role)) = self.encoder_input(&record) {
                    let hash = content_hash(&text, role);
                    items.push((kind, record.id().to_string(), text, role, hash));
                }
            }
        }
        let hashes: Vec<String> = items.iter().map(|i| i.4.clone()).collect();
        let known = self
            .store
            .vectors_by_hash(model.model_id(), &hashes)
            .await?;
        let mut vectors = Vec::with_capacity(items.len());
        let mut reused = 0;
        let mut to_embed: HashMap<Role, Vec<usize>> = HashMap::new();
        for (i, item) in items.iter().enumerate() {
            match known.get(&item.4) {
                Some(vector) => {
                    reused += 1;
                    vectors.push(Some(vector.clone()));
                }
                None => {
                    to_embed.entry(item.3).or_default().push(i);
                    vectors.push(None);
                }
            }
        }
        let mut embedded = 0;
        for (role, positions) in to_embed {
            let texts = positions.iter().map(|&i| items[i].2.clone()).collect();
            for (&i, vector) in positions
                .iter()
                .zip(semantic.embed(model, texts, role).await?)
            {
                vectors[i] = Some(vector);
                embedded += 1;
            }
        }
        let stored: Vec<StoredVector> = items
            .into_iter()
            .zip(vectors)
            .filter_map(|((kind, id, _, _, content_hash), vector)| {
                Some(StoredVector {
                    kind,
                    id,
                    content_hash,
                    vector: vector?,
                })
            })
            .collect();
        self.store.put_vectors(model.model_id(), &stored).await?;
        if !stored.is_empty() {
            // New vectors change semantic scores: cached matches are stale.
            self.derived.evidence_changed();
            self.derived.needs_changed();
        }
        Ok((embedded, reused))
    }

    /// What the encoders read of a record: [`embedding_text`], in their spelling.
    fn encoder_input(&self, record: &Record) -> Option<(String, Role)> {
        embedding_text(record).map(|(text, role)| (self.in_encoder_spelling(text), role))
    }

    /// A nynorsk `text` with its word forms written the bokmål way (the index's spelling
    /// pairs); any other text as it is. The multilingual encoder learnt far more bokmål than
    /// nynorsk, and on the development set this lifts nynorsk needs a little
    /// (`docs/matching.md` §One footing across languages).
    fn in_encoder_spelling(&self, text: String) -> String {
        if detect_language(&text) == Lang::Nn {
            self.index.in_bokmal_spelling(&text)
        } else {
            text
        }
    }

    /// The vector of a need under the model for its language: the stored one when it was made
    /// from the need's current text, else embedded now (and stored). `None` without models.
    pub(crate) async fn need_vector(&self, need: &Need) -> Result<Option<NeedVector>> {
        let Some(model) = self
            .semantic
            .as_ref()
            .and_then(|semantic| semantic.model_for(detect_language(&need.text())))
        else {
            return Ok(None);
        };
        self.need_vector_under(need, model).await
    }

    /// The need's vectors under every model that reads some document its own model cannot:
    /// first the one for its language ([`Engine::need_vector`]), then, when that model reads
    /// one language only (MiniLM, English), the multilingual one, for the documents in other
    /// languages. Empty without models.
    pub(crate) async fn need_readers(&self, need: &Need) -> Result<Vec<NeedVector>> {
        let Some(own) = self.need_vector(need).await? else {
            return Ok(Vec::new());
        };
        let other = self.multilingual_model().filter(|&multilingual| {
            multilingual != own.model
                && [Lang::Nb, Lang::Nn, Lang::Other]
                    .iter()
                    .any(|&lang| !own.model.reads(lang))
        });
        let mut readers = vec![own];
        if let Some(model) = other
            && let Some(vector) = self.glossed_need_vector(need, model).await?
        {
            readers.push(vector);
        }
        Ok(readers)
    }

    /// The vector under `model` of a need's text followed by its Norwegian gloss
    /// ([`kobler_search::SearchIndex::gloss`]): the reader of an English need's Norwegian
    /// documents.
    async fn glossed_need_vector(
        &self,
        need: &Need,
        model: ModelKind,
    ) -> Result<Option<NeedVector>> {
        let Some(semantic) = &self.semantic else {
            return Ok(None);
        };
        let text = need.text();
        let gloss = self.index.gloss(&text, Lang::Nb);
        if gloss.is_empty() {
            return self.need_vector_under(need, model).await;
        }
        let text = format!("{text}\n{}", gloss.join(", "));
        self.query_vector(semantic, model, None, &text)
            .await
            .map(|vector| vector.map(|vector| NeedVector { model, vector }))
    }

    /// The vector of a need under `model`, stored or embedded now (and stored).
    async fn need_vector_under(&self, need: &Need, model: ModelKind) -> Result<Option<NeedVector>> {
        let Some(semantic) = &self.semantic else {
            return Ok(None);
        };
        let text = self.in_encoder_spelling(need.text());
        self.query_vector(semantic, model, Some(&need.id), &text)
            .await
            .map(|vector| vector.map(|vector| NeedVector { model, vector }))
    }

    /// A query vector for `text` under `model`, from memory when `need` names a need whose
    /// stored vector was made from this very text.
    async fn query_vector(
        &self,
        semantic: &Semantic,
        model: ModelKind,
        need: Option<&str>,
        text: &str,
    ) -> Result<Option<Vec<f32>>> {
        semantic.catch_up(&self.store, model).await?;
        let hash = content_hash(text, Role::Query);
        if let Some(id) = need {
            let loaded = semantic.read();
            if let Some((stored_hash, vector)) = loaded.get(&model).and_then(|l| l.needs.get(id))
                && *stored_hash == hash
            {
                return Ok(Some(vector.clone()));
            }
        }
        let mut vectors = semantic
            .embed(model, vec![text.to_string()], Role::Query)
            .await?;
        let Some(vector) = vectors.pop() else {
            return Ok(None);
        };
        if let Some(id) = need {
            self.store
                .put_vectors(
                    model.model_id(),
                    &[StoredVector {
                        kind: Kind::Need,
                        id: id.to_string(),
                        content_hash: hash,
                        vector: vector.clone(),
                    }],
                )
                .await?;
        }
        Ok(Some(vector))
    }

    /// Runs `f` over `model`'s vectors in memory, caught up with the store first. `None` when
    /// the model has no vectors yet.
    pub(crate) async fn with_vectors<T>(
        &self,
        model: ModelKind,
        f: impl FnOnce(&VectorIndex<VectorKey>) -> T,
    ) -> Result<Option<T>> {
        let Some(semantic) = &self.semantic else {
            return Ok(None);
        };
        semantic.catch_up(&self.store, model).await?;
        let loaded = semantic.read();
        Ok(loaded.get(&model).map(|l| f(&l.index)))
    }

    /// The multilingual model, when installed (see [`Semantic::multilingual`]).
    pub(crate) fn multilingual_model(&self) -> Option<ModelKind> {
        self.semantic.as_ref().and_then(|s| s.multilingual())
    }

    /// Wakes a background embedder: records changed.
    pub(crate) fn records_changed(&self) {
        if let Some(semantic) = &self.semantic {
            semantic.changed.notify_one();
        }
    }

    /// Keeps the vectors up with the store, for a server to run in the background: embeds what
    /// is pending at once, again whenever this engine changes records (a need posted, edited,
    /// imported), and every `recheck` for changes other processes made. Failures are logged and
    /// retried at the next round. Returns at once without models.
    pub async fn keep_embedding(&self, observer: &mut dyn EmbedObserver, recheck: Duration) {
        let Some(semantic) = &self.semantic else {
            return;
        };
        loop {
            if let Err(e) = self.embed_pending(observer).await {
                tracing::error!("background embedding failed: {e}");
            }
            let _ = tokio::time::timeout(recheck, semantic.changed.notified()).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kobler_core::parse_record;

    #[test]
    fn records_are_embedded_from_their_text_and_needs_as_queries() {
        let work = parse_record(&serde_json::json!({
            "type": "work", "id": "w1", "title": "Velferdsteknologi",
            "abstract": "Om sensorer i hjemmet.", "keywords": ["eldre", "sensorer"],
            "authors": ["r1"]
        }))
        .unwrap();
        let (text, role) = embedding_text(&work).unwrap();
        assert_eq!(
            text,
            "Velferdsteknologi\nOm sensorer i hjemmet.\neldre, sensorer"
        );
        assert_eq!(role, Role::Passage);

        let need = parse_record(&serde_json::json!({
            "type": "need", "id": "n1", "title": "Hverdagsmestring",
            "description": "For hjemmeboende eldre.", "unit": "u1"
        }))
        .unwrap();
        assert_eq!(embedding_text(&need).unwrap().1, Role::Query);

        let bare = parse_record(&serde_json::json!({
            "type": "researcher", "id": "r1", "name": "Kari"
        }))
        .unwrap();
        assert_eq!(embedding_text(&bare), None);
    }

    #[test]
    fn the_content_hash_changes_with_text_and_role() {
        let a = content_hash("eldre", Role::Query);
        assert_eq!(a, content_hash("eldre", Role::Query));
        assert_ne!(a, content_hash("eldre", Role::Passage));
        assert_ne!(a, content_hash("eldre ", Role::Query));
    }
}
