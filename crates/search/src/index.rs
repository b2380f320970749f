//! The tantivy index itself: schema, feeding, querying.

use crate::definition::{DefinitionError, IndexDefinition};
use crate::thesaurus::{CompiledThesaurus, THESAURUS_TOML, analyse_positions, parse_thesaurus};
use kobler_core::{Lang, NeedStatus, Record, detect_language};
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use tantivy::collector::{Count, TopDocs};
use tantivy::query::{BooleanQuery, BoostQuery, Occur, PhraseQuery, Query, QueryParser, TermQuery};
use tantivy::schema::{
    FAST, Field, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions, Value,
};
use tantivy::snippet::SnippetGenerator;
use tantivy::tokenizer::{PreTokenizedString, TextAnalyzer, Token};
use tantivy::{DocAddress, Index, IndexReader, IndexWriter, ReloadPolicy, TantivyDocument, Term};

mod facets;
mod peers;
pub use facets::{FacetFilter, NeedFacet, NeedQuery, NeedSearch, NeedSort};
pub use peers::{Peer, PeerFinder};

/// Bumped when the schema in this file changes, so that old indexes are rebuilt.
/// 2: needs carry their focus areas, kinds and dates, and the facet fields are fast fields.
/// 3: needs and projects also fill the peer fields (words and word pairs) for overlap queries.
/// 4: the kind is a fast field, so overlap queries name their peers without the document store.
const SCHEMA_VERSION: u32 = 4;
/// Memory the index writer may use for its buffers.
const WRITER_MEMORY: usize = 100_000_000;
/// Titles weigh more than bodies: a word in the title says what the text is about.
const TITLE_BOOST: f32 = 1.6;
/// At most this many distinct terms per analyser group make up a query from a long text.
const MAX_QUERY_TERMS: usize = 160;
/// Default weight of thesaurus expansions (see [`IndexOptions`]).
const EXPANSION_WEIGHT: f32 = 0.7;
/// Default weight of compound parts (see [`IndexOptions`]).
const COMPOUND_PART_WEIGHT: f32 = 0.4;
/// A compound is split only into parts that this many documents use.
const MIN_PART_DOC_FREQ: u64 = 2;
/// Words shorter than this are not split.
const MIN_COMPOUND_CHARS: usize = 9;
/// Neither part of a split may be shorter than this.
const MIN_PART_CHARS: usize = 4;

/// What can go wrong in the index.
///
/// A cause is written into the message and not returned again as `source()`, so an error chain
/// prints it once.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// tantivy failed.
    #[error("index error: {0}")]
    Tantivy(tantivy::TantivyError),
    /// The index directory could not be created or cleared.
    #[error("index directory {path}: {error}")]
    Io {
        /// The directory.
        path: String,
        /// The IO error (in the message, not a `source()`).
        error: std::io::Error,
    },
    /// The index definition in `index/` is broken.
    #[error(transparent)]
    Definition(#[from] DefinitionError),
    /// Another process holds the index writer.
    #[error("the index is being written by another kobler process; try again when it is done")]
    Locked,
}

/// Not `#[from]`, which would also make tantivy's error the `source()` of a message that
/// already holds it.
impl From<tantivy::TantivyError> for SearchError {
    fn from(error: tantivy::TantivyError) -> Self {
        SearchError::Tantivy(error)
    }
}

type Result<T, E = SearchError> = std::result::Result<T, E>;

/// A text analysed by its own language's group, kept to compare with many other texts (see
/// [`SearchIndex::analyse_text`]).
#[derive(Debug, Clone)]
pub struct AnalysedText {
    group: String,
    /// `(analysed term, lower-cased word as written)`, in text order.
    tokens: Vec<(String, String)>,
}

impl AnalysedText {
    /// The analysed words, in text order.
    pub fn words(&self) -> impl Iterator<Item = &str> {
        self.tokens.iter().map(|(term, _)| term.as_str())
    }

    /// `(analysed term, lower-cased word as written)`, in text order.
    pub fn tokens(&self) -> &[(String, String)] {
        &self.tokens
    }

    /// The analyser group the text was analysed by (that of its detected language).
    pub fn group(&self) -> &str {
        &self.group
    }
}

/// The kinds of document in the index.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DocKind {
    /// A need.
    Need,
    /// A work.
    Work,
    /// A project.
    Project,
    /// A researcher's own keywords and bio.
    Profile,
}

impl DocKind {
    fn as_str(self) -> &'static str {
        match self {
            DocKind::Need => "need",
            DocKind::Work => "work",
            DocKind::Project => "project",
            DocKind::Profile => "profile",
        }
    }

    fn parse(s: &str) -> Option<DocKind> {
        [
            DocKind::Need,
            DocKind::Work,
            DocKind::Project,
            DocKind::Profile,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// How a freshly opened index relates to the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexState {
    /// It existed and was built under this definition: catch it up from `indexed_seq`.
    Existing,
    /// It was missing, or built under another definition: it is empty and must be rebuilt.
    Fresh,
}

/// The commit payload: how far into the store the index has read, under which definition.
#[derive(Debug, Serialize, Deserialize)]
struct Payload {
    seq: i64,
    definition: String,
}

/// A document found by a query.
#[derive(Debug, Clone, Serialize)]
pub struct Hit {
    /// What kind of document.
    pub kind: DocKind,
    /// The record id (the researcher id for a profile).
    pub id: String,
    /// BM25 score of the document for the query.
    pub score: f32,
    /// The title (for a profile: the keywords).
    pub title: String,
    /// The body text.
    pub body: String,
    /// Detected or given language.
    pub lang: Lang,
    /// Authors of a work, participants of a project, the researcher of a profile.
    pub people: Vec<String>,
    /// The unit of a need, the units of a project.
    pub units: Vec<String>,
    /// Status of a need or project.
    pub status: Option<String>,
    /// Year of a work; start year of a project.
    pub year: Option<i32>,
}

impl Hit {
    /// The document's title and body, as one text.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.title, self.body)
    }
}

/// A need found by a full-text search.
#[derive(Debug, Clone, Serialize)]
pub struct NeedHit {
    /// The need's id.
    pub id: String,
    /// Its score for the query.
    pub score: f32,
    /// Its title.
    pub title: String,
    /// Its status.
    pub status: Option<String>,
    /// The passage that best matches the query, plain text.
    pub snippet: String,
    /// The same passage with the matching words in `<b>`.
    pub snippet_html: String,
}

/// What the index does beyond plain per-language BM25; everything is on by default, and
/// `kobler eval --without` turns parts off to measure what each earns.
#[derive(Debug, Clone)]
pub struct IndexOptions {
    /// Expand queries with the bilingual thesaurus.
    pub thesaurus: bool,
    /// Thesaurus files whose concepts are added to the compiled-in ones (a partnership's own,
    /// term pairs learned from parallel text).
    pub extra_thesauri: Vec<std::path::PathBuf>,
    /// Split Norwegian query compounds into parts the index knows.
    pub split_compounds: bool,
    /// Write nynorsk forms the bokmål way (changes the index: it is rebuilt when toggled).
    pub normalise_spelling: bool,
    /// Weight of a thesaurus term relative to a term of the query itself.
    pub expansion_weight: f32,
    /// Weight of a compound's part relative to a term of the query itself.
    pub compound_part_weight: f32,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions {
            thesaurus: true,
            extra_thesauri: Vec::new(),
            split_compounds: true,
            normalise_spelling: true,
            expansion_weight: EXPANSION_WEIGHT,
            compound_part_weight: COMPOUND_PART_WEIGHT,
        }
    }
}

/// Which documents a retrieval may return.
#[derive(Debug, Clone, Default)]
pub struct RetrieveFilter {
    /// Only these kinds (all when empty).
    pub kinds: Vec<DocKind>,
    /// Only documents with this status (e.g. open needs).
    pub status: Option<String>,
}

#[derive(Debug, Clone)]
struct Fields {
    key: Field,
    kind: Field,
    id: Field,
    lang: Field,
    people: Field,
    units: Field,
    status: Field,
    year: Field,
    /// A need's focus areas and kinds of collaboration (facets).
    focus: Field,
    kinds: Field,
    /// A need's posting date and deadline as `YYYYMMDD` numbers (for sorting).
    posted: Field,
    deadline: Field,
    /// Per analyser group: (title field, body field).
    text: BTreeMap<String, (Field, Field)>,
    /// Per analyser group: (title field, body field) of needs and projects only, holding each
    /// analysed word and each pair of consecutive ones ([`peer_tokens`]). Overlap queries run
    /// here ([`PeerFinder::peers`]): no work's postings to walk, no kind filter, and a phrase
    /// is looked up as word-pair terms, so a query's cost can be bounded term by term.
    peer: BTreeMap<String, (Field, Field)>,
    /// Each peer field's twin among the text fields (same group, title or body), whose
    /// statistics weigh its terms (see `PeerStatistics`).
    peer_twin: HashMap<Field, Field>,
}

/// The index: one tantivy index under the data directory.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    writer: Mutex<Option<IndexWriter>>,
    fields: Fields,
    definition: IndexDefinition,
    analyzers: BTreeMap<String, TextAnalyzer>,
    surface: BTreeMap<String, TextAnalyzer>,
    thesaurus: CompiledThesaurus,
    options: IndexOptions,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("fields", &self.fields)
            .finish_non_exhaustive()
    }
}

fn build_schema(definition: &IndexDefinition) -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let key = builder.add_text_field("key", STRING);
    // Fast fields: the need search filters, counts and sorts by them (see `facets`), and overlap
    // queries read their peers' kind, id and status from them (see `peers`).
    let kind = builder.add_text_field("kind", STRING | STORED | FAST);
    let id = builder.add_text_field("id", STRING | STORED | FAST);
    let lang = builder.add_text_field("lang", STRING | STORED | FAST);
    let people = builder.add_text_field("people", STRING | STORED);
    let units = builder.add_text_field("units", STRING | STORED | FAST);
    let status = builder.add_text_field("status", STRING | STORED | FAST);
    let year = builder.add_i64_field("year", STORED | FAST);
    let focus = builder.add_text_field("focus", STRING | FAST);
    let kinds = builder.add_text_field("kinds", STRING | FAST);
    let posted = builder.add_i64_field("posted", FAST);
    let deadline = builder.add_i64_field("deadline", FAST);
    let mut text = BTreeMap::new();
    let mut peer = BTreeMap::new();
    let mut peer_twin = HashMap::new();
    for group in definition.groups.keys() {
        let options = TextOptions::default()
            .set_indexing_options(
                TextFieldIndexing::default()
                    .set_tokenizer(&tokenizer_name(group))
                    .set_index_option(IndexRecordOption::WithFreqsAndPositions),
            )
            .set_stored();
        let title = builder.add_text_field(&format!("title_{group}"), options.clone());
        let body = builder.add_text_field(&format!("body_{group}"), options);
        text.insert(group.clone(), (title, body));
        // Pre-tokenized (the tokenizer named here is never run on them), counted, not stored.
        let peer_options = TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(&tokenizer_name(group))
                .set_index_option(IndexRecordOption::WithFreqs),
        );
        let peer_title =
            builder.add_text_field(&format!("peer_title_{group}"), peer_options.clone());
        let peer_body = builder.add_text_field(&format!("peer_body_{group}"), peer_options);
        peer.insert(group.clone(), (peer_title, peer_body));
        peer_twin.insert(peer_title, title);
        peer_twin.insert(peer_body, body);
    }
    let fields = Fields {
        key,
        kind,
        id,
        lang,
        people,
        units,
        status,
        year,
        focus,
        kinds,
        posted,
        deadline,
        text,
        peer,
        peer_twin,
    };
    (builder.build(), fields)
}

fn tokenizer_name(group: &str) -> String {
    format!("kobler_{group}")
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it when missing. An index built under another
    /// definition (or schema) is discarded: the store is the truth, and it can be rebuilt.
    pub fn open(dir: &Path) -> Result<(SearchIndex, IndexState)> {
        SearchIndex::open_with(dir, IndexOptions::default())
    }

    /// [`SearchIndex::open`] with options.
    pub fn open_with(dir: &Path, options: IndexOptions) -> Result<(SearchIndex, IndexState)> {
        let mut definition = IndexDefinition::builtin()?;
        for group in definition.groups.values_mut() {
            group.normalise_spelling &= options.normalise_spelling;
            group.split_compounds &= options.split_compounds;
        }
        let fingerprint = full_fingerprint(&definition);
        let (schema, fields) = build_schema(&definition);
        let io_error = |error| SearchError::Io {
            path: dir.display().to_string(),
            error,
        };
        // Another process (an import beside a `kobler stats`) may be creating the index right
        // now: hold a lock beside the directory while deciding whether to keep or recreate it,
        // so one never clears what the other is writing.
        let lock_path = dir.with_extension("lock");
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .and_then(|file| file.lock().map(|()| file))
            .map_err(|error| SearchError::Io {
                path: lock_path.display().to_string(),
                error,
            })?;
        std::fs::create_dir_all(dir).map_err(io_error)?;
        let mut state = IndexState::Fresh;
        let existing = Index::open_in_dir(dir).ok().filter(|index| {
            index.schema() == schema
                && read_payload(index).is_some_and(|p| p.definition == fingerprint)
        });
        let index = match existing {
            Some(index) => {
                state = IndexState::Existing;
                index
            }
            None => {
                // Whatever is there is not an index we can use: clear it and start over.
                std::fs::remove_dir_all(dir).map_err(io_error)?;
                std::fs::create_dir_all(dir).map_err(io_error)?;
                let index = Index::create_in_dir(dir, schema)?;
                let mut writer: IndexWriter = index.writer(WRITER_MEMORY)?;
                let mut commit = writer.prepare_commit()?;
                commit.set_payload(&payload_json(0, &fingerprint));
                commit.commit()?;
                index
            }
        };
        drop(lock);
        let mut analyzers = BTreeMap::new();
        for (name, group) in &definition.groups {
            let analyzer = definition.analyzer(group);
            index
                .tokenizers()
                .register(&tokenizer_name(name), analyzer.clone());
            analyzers.insert(name.clone(), analyzer);
        }
        let reader = index
            .reader_builder()
            .reload_policy(ReloadPolicy::Manual)
            .try_into()?;
        let surface = definition
            .groups
            .iter()
            .map(|(name, group)| (name.clone(), definition.surface_analyzer(group)))
            .collect();
        let thesaurus = if options.thesaurus {
            let mut entries = parse_thesaurus(THESAURUS_TOML, "index/thesaurus.toml")
                .map_err(DefinitionError::Invalid)?;
            for path in &options.extra_thesauri {
                let text = std::fs::read_to_string(path).map_err(|error| SearchError::Io {
                    path: path.display().to_string(),
                    error,
                })?;
                entries.extend(
                    parse_thesaurus(&text, &path.display().to_string())
                        .map_err(DefinitionError::Invalid)?,
                );
            }
            let by_name: HashMap<String, TextAnalyzer> = analyzers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            CompiledThesaurus::compile(
                &entries,
                |code| definition.group_of(Lang::from_code(code)).to_string(),
                &by_name,
            )
        } else {
            CompiledThesaurus::default()
        };
        let search = SearchIndex {
            index,
            reader,
            writer: Mutex::new(None),
            fields,
            definition,
            analyzers,
            surface,
            thesaurus,
            options,
        };
        Ok((search, state))
    }

    /// The store sequence number the index has read up to.
    pub fn indexed_seq(&self) -> i64 {
        read_payload(&self.index).map_or(0, |p| p.seq)
    }

    fn writer(&self) -> Result<MutexGuard<'_, Option<IndexWriter>>> {
        let mut guard = self
            .writer
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if guard.is_none() {
            let writer = match self.index.writer(WRITER_MEMORY) {
                Ok(writer) => writer,
                Err(tantivy::TantivyError::LockFailure(..)) => return Err(SearchError::Locked),
                Err(e) => return Err(e.into()),
            };
            *guard = Some(writer);
        }
        Ok(guard)
    }

    /// Adds or replaces the documents of these records (records that are not indexed, such as
    /// units, are passed over). Nothing is visible until [`SearchIndex::commit`].
    pub fn index_records<'a>(&self, records: impl IntoIterator<Item = &'a Record>) -> Result<()> {
        let mut guard = self.writer()?;
        let Some(writer) = guard.as_mut() else {
            return Err(SearchError::Locked);
        };
        for record in records {
            let Some(doc_kind) = doc_kind_of(record) else {
                continue;
            };
            let key = format!("{}/{}", doc_kind.as_str(), record.id());
            writer.delete_term(Term::from_field_text(self.fields.key, &key));
            let doc = self.document(doc_kind, &key, record);
            writer.add_document(doc)?;
        }
        Ok(())
    }

    /// Makes everything indexed so far visible and records `seq` as read.
    pub fn commit(&self, seq: i64) -> Result<()> {
        let mut guard = self.writer()?;
        let Some(writer) = guard.as_mut() else {
            return Err(SearchError::Locked);
        };
        let mut commit = writer.prepare_commit()?;
        commit.set_payload(&payload_json(seq, &full_fingerprint(&self.definition)));
        commit.commit()?;
        self.reader.reload()?;
        Ok(())
    }

    /// Merges every segment into one and drops the files no longer used: after a bulk import,
    /// so that each query looks its terms up in one term dictionary rather than in every
    /// segment the import left. A no-op when there is one segment or none.
    pub fn compact(&self) -> Result<()> {
        let mut guard = self.writer()?;
        // Merges the writer started by itself must end first: a segment can be in one merge only.
        if let Some(writer) = guard.take() {
            writer.wait_merging_threads()?;
        }
        drop(guard);
        let mut guard = self.writer()?;
        let Some(writer) = guard.as_mut() else {
            return Err(SearchError::Locked);
        };
        let segments = self.index.searchable_segment_ids()?;
        if segments.len() > 1 {
            writer.merge(&segments).wait()?;
            writer.garbage_collect_files().wait()?;
            self.reader.reload()?;
        }
        Ok(())
    }

    /// Empties the index (before a rebuild from the store).
    pub fn clear(&self) -> Result<()> {
        let mut guard = self.writer()?;
        let Some(writer) = guard.as_mut() else {
            return Err(SearchError::Locked);
        };
        writer.delete_all_documents()?;
        drop(guard);
        self.commit(0)
    }

    /// The number of searchable documents.
    pub fn num_docs(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    fn document(&self, kind: DocKind, key: &str, record: &Record) -> TantivyDocument {
        let f = &self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.key, key);
        doc.add_text(f.kind, kind.as_str());
        doc.add_text(f.id, record.id());
        let (title, body, given_lang): (String, String, Option<&str>) = match record {
            Record::Work(w) => {
                for a in &w.authors {
                    doc.add_text(f.people, a);
                }
                if let Some(y) = w.year {
                    doc.add_i64(f.year, i64::from(y));
                }
                let mut body = w.abstract_text.clone().unwrap_or_default();
                if !w.keywords.is_empty() {
                    body.push('\n');
                    body.push_str(&w.keywords.join(", "));
                }
                (w.title.clone(), body, w.language.as_deref())
            }
            Record::Project(p) => {
                for a in &p.participants {
                    doc.add_text(f.people, a);
                }
                for u in &p.units {
                    doc.add_text(f.units, u);
                }
                if let Some(s) = p.status {
                    doc.add_text(f.status, s.as_str());
                }
                if let Some(year) = p
                    .start
                    .as_deref()
                    .and_then(|d| d.get(..4))
                    .and_then(|y| y.parse().ok())
                {
                    doc.add_i64(f.year, year);
                }
                (p.title.clone(), p.summary.clone().unwrap_or_default(), None)
            }
            Record::Need(n) => {
                if let Some(u) = &n.unit {
                    doc.add_text(f.units, u);
                }
                doc.add_text(f.status, n.status.as_str());
                for area in &n.focus_areas {
                    doc.add_text(f.focus, area);
                }
                for kind in &n.kinds {
                    doc.add_text(f.kinds, kind);
                }
                if let Some(day) = n.posted.as_deref().and_then(facets::date_number) {
                    doc.add_i64(f.posted, day);
                }
                if let Some(day) = n.deadline.as_deref().and_then(facets::date_number) {
                    doc.add_i64(f.deadline, day);
                }
                (n.title.clone(), n.description.clone(), None)
            }
            Record::Researcher(r) => {
                doc.add_text(f.people, &r.id);
                for u in &r.units {
                    doc.add_text(f.units, u);
                }
                (
                    r.keywords.join(", "),
                    r.bio.clone().unwrap_or_default(),
                    None,
                )
            }
            Record::Municipality(_) | Record::Unit(_) => (String::new(), String::new(), None),
        };
        let lang = match given_lang {
            Some(code) if Lang::from_code(code) != Lang::Other => Lang::from_code(code),
            _ => detect_language(&format!("{title}\n{body}")),
        };
        doc.add_text(f.lang, lang.code());
        let group = self.definition.group_of(lang);
        if let Some((title_field, body_field)) = f.text.get(group) {
            doc.add_text(*title_field, &title);
            doc.add_text(*body_field, &body);
        }
        if matches!(kind, DocKind::Need | DocKind::Project)
            && let (Some(&(title_field, body_field)), Some(analyzer)) =
                (f.peer.get(group), self.analyzers.get(group))
        {
            doc.add_pre_tokenized_text(title_field, peer_tokens(analyzer, &title));
            doc.add_pre_tokenized_text(body_field, peer_tokens(analyzer, &body));
        }
        doc
    }

    /// Analyses `text` the way each analyser group does: group name → terms with counts.
    fn analyse(&self, text: &str) -> BTreeMap<String, HashMap<String, u32>> {
        let mut out = BTreeMap::new();
        for (group, analyzer) in &self.analyzers {
            let mut analyzer = analyzer.clone();
            let mut terms: HashMap<String, u32> = HashMap::new();
            let mut stream = analyzer.token_stream(text);
            while stream.advance() {
                *terms.entry(stream.token().text.clone()).or_default() += 1;
            }
            out.insert(group.clone(), terms);
        }
        out
    }

    /// A query for documents about the same things as `text`: every analysed term of the text
    /// in every group's title and body fields, weighted by how often the text uses it; the parts
    /// of its compounds; and the other-language terms of the thesaurus concepts it uses.
    /// `target` says which documents' fields, and how many of the text's terms, it uses.
    fn text_clauses(&self, text: &str, target: Target) -> Vec<Clause> {
        let searcher = self.reader.searcher();
        let fields = match target {
            Target::Documents => &self.fields.text,
            Target::Peers { .. } => &self.fields.peer,
        };
        let mut clauses: Vec<Clause> = Vec::new();
        let mut sequences: HashMap<String, Vec<String>> = HashMap::new();
        let mut own_terms: HashMap<String, HashSet<String>> = HashMap::new();
        for (group, analyzer) in &self.analyzers {
            let Some(&(title, body)) = fields.get(group) else {
                continue;
            };
            let sequence: Vec<String> = analyse_positions(analyzer, text)
                .into_iter()
                .map(|(_, t)| t)
                .collect();
            let mut weights: HashMap<String, f32> = HashMap::new();
            for term in &sequence {
                *weights.entry(term.clone()).or_default() += 1.0;
            }
            let split = self
                .definition
                .groups
                .get(group)
                .is_some_and(|g| g.split_compounds);
            if split {
                for part in self.compound_parts(group, text, &searcher) {
                    if !weights.contains_key(&part) {
                        *weights.entry(part).or_default() += self.options.compound_part_weight;
                    }
                }
            }
            own_terms.insert(group.clone(), weights.keys().cloned().collect());
            let mut weights: Vec<(String, f32)> = weights.into_iter().collect();
            match target {
                Target::Peers {
                    distinctive_terms: keep,
                } => {
                    // Distinctive within everything indexed, works too: a word that is rare
                    // among needs but common in research says little about the subject.
                    let all_body = self.fields.text.get(group).map_or(body, |&(_, b)| b);
                    let docs = searcher.num_docs() as f32;
                    let idf = |term: &str| {
                        let df = searcher
                            .doc_freq(&Term::from_field_text(all_body, term))
                            .unwrap_or(0) as f32;
                        (1.0 + (docs - df + 0.5) / (df + 0.5)).ln()
                    };
                    let mut ranked: Vec<(f32, String, f32)> = weights
                        .into_iter()
                        .map(|(term, count)| (count * idf(&term), term, count))
                        .collect();
                    ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| a.1.cmp(&b.1)));
                    ranked.truncate(keep);
                    weights = ranked.into_iter().map(|(_, t, c)| (t, c)).collect();
                }
                Target::Documents => {
                    weights.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
                    weights.truncate(MAX_QUERY_TERMS);
                }
            }
            for (term, count) in weights {
                // Repeats count, but less and less: 1 + ln(n)/2 for n ≥ 1, the part weight below.
                let weight = if count >= 1.0 {
                    1.0 + 0.5 * count.ln()
                } else {
                    count
                };
                push_term_clauses(&mut clauses, title, body, &[(0, term)], weight, target);
            }
            sequences.insert(group.clone(), sequence);
        }
        for hit in self.thesaurus.find(&sequences) {
            let weight = self.options.expansion_weight * (1.0 + 0.5 * (hit.count as f32).ln());
            for term in hit.terms {
                let Some(&(title, body)) = fields.get(&term.group) else {
                    continue;
                };
                if let [(_, single)] = term.terms.as_slice()
                    && own_terms
                        .get(&term.group)
                        .is_some_and(|own| own.contains(single))
                {
                    continue;
                }
                push_term_clauses(&mut clauses, title, body, &term.terms, weight, target);
            }
        }
        clauses
    }

    /// [`SearchIndex::text_clauses`] as one query; `None` when the text has no terms.
    fn text_query(&self, text: &str, target: Target) -> Option<Box<dyn Query>> {
        let clauses = self.text_clauses(text, target);
        (!clauses.is_empty()).then(|| union(&clauses))
    }

    /// Analysed parts of the long words of `text` that split into two words the index knows
    /// (with an optional linking `s` or `e`): "velferdsteknologi" → velferd, teknologi.
    fn compound_parts(&self, group: &str, text: &str, searcher: &tantivy::Searcher) -> Vec<String> {
        let (Some(surface), Some(analyzer), Some(&(_, body))) = (
            self.surface.get(group),
            self.analyzers.get(group),
            self.fields.text.get(group),
        ) else {
            return Vec::new();
        };
        let stem = |word: &str| -> Option<String> {
            match analyse_positions(analyzer, word).as_slice() {
                [(_, term)] => Some(term.clone()),
                _ => None,
            }
        };
        let doc_freq = |term: &str| {
            searcher
                .doc_freq(&Term::from_field_text(body, term))
                .unwrap_or(0)
        };
        let mut words: Vec<String> = analyse_positions(surface, text)
            .into_iter()
            .map(|(_, w)| w)
            .collect();
        words.sort();
        words.dedup();
        let mut parts = Vec::new();
        for word in words
            .iter()
            .filter(|w| w.chars().count() >= MIN_COMPOUND_CHARS)
        {
            let mut best: Option<(u64, String, String)> = None;
            let boundaries: Vec<usize> = word.char_indices().map(|(i, _)| i).collect();
            // Every cut that leaves at least MIN_PART_CHARS characters on both sides.
            let chars = boundaries.len();
            for &cut in boundaries
                .iter()
                .take(chars + 1 - MIN_PART_CHARS)
                .skip(MIN_PART_CHARS)
            {
                let (left, right) = word.split_at(cut);
                let Some(right) = stem(right) else { continue };
                let right_df = doc_freq(&right);
                if right_df < MIN_PART_DOC_FREQ {
                    continue;
                }
                let lefts = [Some(left), left.strip_suffix('s'), left.strip_suffix('e')];
                for left in lefts
                    .into_iter()
                    .flatten()
                    .filter(|l| l.chars().count() >= MIN_PART_CHARS - 1)
                {
                    let Some(left) = stem(left) else { continue };
                    let support = doc_freq(&left).min(right_df);
                    if support >= MIN_PART_DOC_FREQ && best.as_ref().is_none_or(|b| support > b.0) {
                        best = Some((support, left, right.clone()));
                    }
                }
            }
            if let Some((_, left, right)) = best {
                parts.push(left);
                parts.push(right);
            }
        }
        parts
    }

    fn filtered(&self, query: Box<dyn Query>, filter: &RetrieveFilter) -> Box<dyn Query> {
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = vec![(Occur::Must, query)];
        if !filter.kinds.is_empty() {
            let kinds: Vec<(Occur, Box<dyn Query>)> = filter
                .kinds
                .iter()
                .map(|k| (Occur::Should, self.exact(self.fields.kind, k.as_str())))
                .collect();
            clauses.push((Occur::Must, Box::new(BooleanQuery::new(kinds))));
        }
        if let Some(status) = &filter.status {
            clauses.push((Occur::Must, self.exact(self.fields.status, status)));
        }
        Box::new(BooleanQuery::new(clauses))
    }

    fn exact(&self, field: Field, value: &str) -> Box<dyn Query> {
        Box::new(TermQuery::new(
            Term::from_field_text(field, value),
            IndexRecordOption::Basic,
        ))
    }

    /// The `top` documents most about the same things as `text`, best first.
    pub fn retrieve(&self, text: &str, filter: &RetrieveFilter, top: usize) -> Result<Vec<Hit>> {
        let Some(query) = self.text_query(text, Target::Documents) else {
            return Ok(Vec::new());
        };
        self.top_hits(&self.filtered(query, filter), top)
    }

    fn top_hits(&self, query: &dyn Query, top: usize) -> Result<Vec<Hit>> {
        let searcher = self.reader.searcher();
        let found = searcher.search(query, &TopDocs::with_limit(top.max(1)))?;
        found
            .into_iter()
            .map(|(score, address)| self.hit(&searcher, score, address))
            .collect()
    }

    /// The indexed documents with these keys, as hits scored 0, in the order asked (keys that
    /// are not indexed are left out): for evidence found by other means than a query.
    pub fn documents(&self, keys: &[(DocKind, &str)]) -> Result<Vec<Hit>> {
        let searcher = self.reader.searcher();
        let mut out = Vec::with_capacity(keys.len());
        for (kind, id) in keys {
            let key = format!("{}/{id}", kind.as_str());
            let query = TermQuery::new(
                Term::from_field_text(self.fields.key, &key),
                IndexRecordOption::Basic,
            );
            if let Some((_, address)) = searcher.search(&query, &TopDocs::with_limit(1))?.first() {
                out.push(self.hit(&searcher, 0.0, *address)?);
            }
        }
        Ok(out)
    }

    fn hit(&self, searcher: &tantivy::Searcher, score: f32, address: DocAddress) -> Result<Hit> {
        let doc: TantivyDocument = searcher.doc(address)?;
        Ok(self.hit_from_doc(&doc, score))
    }

    fn hit_from_doc(&self, doc: &TantivyDocument, score: f32) -> Hit {
        let f = &self.fields;
        let text = |field: Field| {
            doc.get_first(field)
                .and_then(|v| v.as_str())
                .unwrap_or("")
                .to_string()
        };
        let all = |field: Field| -> Vec<String> {
            doc.get_all(field)
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        };
        let lang = Lang::from_code(&text(f.lang));
        let (title, body) = f
            .text
            .get(self.definition.group_of(lang))
            .map(|&(t, b)| (text(t), text(b)))
            .unwrap_or_default();
        let status = Some(text(f.status)).filter(|s| !s.is_empty());
        Hit {
            kind: DocKind::parse(&text(f.kind)).unwrap_or(DocKind::Work),
            id: text(f.id),
            score,
            title,
            body,
            lang,
            people: all(f.people),
            units: all(f.units),
            status,
            year: doc
                .get_first(f.year)
                .and_then(|v| v.as_i64())
                .map(|y| y as i32),
        }
    }

    /// The ids of the needs with this status, found through the status term and read from the
    /// id fast field: the cost grows with those needs, never with the works.
    pub fn need_ids_with_status(&self, status: NeedStatus) -> Result<HashSet<String>> {
        let query = BooleanQuery::new(vec![
            (
                Occur::Must,
                self.exact(self.fields.kind, DocKind::Need.as_str()),
            ),
            (Occur::Must, self.exact(self.fields.status, status.as_str())),
        ]);
        let searcher = self.reader.searcher();
        let found = searcher.search(&query, &tantivy::collector::DocSetCollector)?;
        let mut by_segment: BTreeMap<u32, Vec<tantivy::DocId>> = BTreeMap::new();
        for address in found {
            by_segment
                .entry(address.segment_ord)
                .or_default()
                .push(address.doc_id);
        }
        let mut ids = HashSet::new();
        for (segment, docs) in by_segment {
            let reader = searcher.segment_reader(segment);
            let Some(column) = reader.fast_fields().str("id")? else {
                continue;
            };
            let mut ords: Vec<u64> = docs
                .iter()
                .filter_map(|&doc| column.term_ords(doc).next())
                .collect();
            ords.sort_unstable();
            ords.dedup();
            column
                .dictionary()
                .sorted_ords_to_term_cb(ords.into_iter(), |bytes| {
                    ids.insert(String::from_utf8_lossy(bytes).into_owned());
                    Ok(())
                })
                .map_err(tantivy::TantivyError::from)?;
        }
        Ok(ids)
    }

    /// Full-text search over needs that are not drafts, best first: the query is read with
    /// tantivy's query syntax leniently (quotes for phrases, `+`/`-` to require or exclude).
    /// Returns the total number of matching needs and the page asked for.
    pub fn search_needs(
        &self,
        query: &str,
        offset: usize,
        limit: usize,
    ) -> Result<(usize, Vec<NeedHit>)> {
        let text_fields: Vec<Field> = self
            .fields
            .text
            .values()
            .flat_map(|&(t, b)| [t, b])
            .collect();
        let mut parser = QueryParser::for_index(&self.index, text_fields);
        for &(title, _) in self.fields.text.values() {
            parser.set_field_boost(title, TITLE_BOOST);
        }
        let (parsed, _errors) = parser.parse_query_lenient(query);
        let query: Box<dyn Query> = Box::new(BooleanQuery::new(vec![
            (Occur::Must, parsed),
            (
                Occur::Must,
                self.exact(self.fields.kind, DocKind::Need.as_str()),
            ),
            (
                Occur::MustNot,
                self.exact(self.fields.status, NeedStatus::Draft.as_str()),
            ),
        ]));
        let searcher = self.reader.searcher();
        let (top, total) = searcher.search(
            &query,
            &(TopDocs::with_limit(limit.max(1)).and_offset(offset), Count),
        )?;
        let mut generators = Vec::new();
        for &(_, body) in self.fields.text.values() {
            let mut generator = SnippetGenerator::create(&searcher, &*query, body)?;
            generator.set_max_num_chars(220);
            generators.push((body, generator));
        }
        let mut hits = Vec::with_capacity(top.len());
        for (score, address) in top {
            let doc: TantivyDocument = searcher.doc(address)?;
            let hit = self.hit_from_doc(&doc, score);
            let mut snippet = None;
            for (field, generator) in &generators {
                if doc
                    .get_first(*field)
                    .and_then(|v| v.as_str())
                    .is_some_and(|s| !s.is_empty())
                {
                    snippet = Some(generator.snippet_from_doc(&doc));
                }
            }
            let (plain, html) = match snippet {
                Some(s) if !s.fragment().is_empty() => (s.fragment().to_string(), s.to_html()),
                _ => {
                    let start: String = hit.body.chars().take(220).collect();
                    (start.clone(), html_escape(&start))
                }
            };
            hits.push(NeedHit {
                id: hit.id,
                score,
                title: hit.title,
                status: hit.status,
                snippet: plain,
                snippet_html: html,
            });
        }
        Ok((total, hits))
    }

    /// `text` with its nynorsk word forms written the bokmål way (the pairs of `index/nb_nn.tsv`),
    /// punctuation and every other word kept: for readers of whole sentences that know bokmål
    /// better than nynorsk.
    pub fn in_bokmal_spelling(&self, text: &str) -> String {
        crate::normalise::respell(text, &self.definition.spelling)
    }

    /// `text` analysed once by the analyser group of its detected language: lower-cased,
    /// stemmed, nynorsk spelled the bokmål way, stop words gone, each term with the word it came
    /// from. Comparing one text with many others starts here, so the analysis and the language
    /// detection are paid once per text, not once per pair.
    pub fn analyse_text(&self, text: &str) -> AnalysedText {
        self.analyse_text_in(text, detect_language(text))
    }

    /// [`SearchIndex::analyse_text`] for a text whose language is known (a feed's language map
    /// says so), which beats detection on short texts such as titles.
    pub fn analyse_text_in(&self, text: &str, lang: Lang) -> AnalysedText {
        let group = self.definition.group_of(lang).to_string();
        let tokens = self.surface_tokens(&group, text);
        AnalysedText { group, tokens }
    }

    /// `(analysed term, lower-cased word as written)` of `text` by one group's analyser.
    fn surface_tokens(&self, group: &str, text: &str) -> Vec<(String, String)> {
        let Some(analyzer) = self.analyzers.get(group) else {
            return Vec::new();
        };
        let mut analyzer = analyzer.clone();
        let mut stream = analyzer.token_stream(text);
        let mut tokens = Vec::new();
        while stream.advance() {
            let token = stream.token();
            let surface = text
                .get(token.offset_from..token.offset_to)
                .unwrap_or(&token.text)
                .to_lowercase();
            tokens.push((token.text.clone(), surface));
        }
        tokens
    }

    /// The words of `text` (as written there) whose analysed form also occurs in `other`: the
    /// vocabulary two texts share, for explanations. Each text is analysed by its own language's
    /// group (stop words and stemming as indexed), and each word is given once.
    pub fn shared_words(&self, text: &str, other: &str) -> Vec<String> {
        self.shared_words_between(
            (&self.analyse_text(text), text),
            (&self.analyse_text(other), other),
        )
    }

    /// [`SearchIndex::shared_words`] for texts analysed already. Texts in the same language
    /// group are compared as analysed; for two groups, each text is also analysed the other's
    /// way (so the raw texts come along).
    pub fn shared_words_between(
        &self,
        (one, one_text): (&AnalysedText, &str),
        (other, other_text): (&AnalysedText, &str),
    ) -> Vec<String> {
        let mut seen = HashSet::new();
        let mut words = Vec::new();
        let mut compare = |mine: &[(String, String)], theirs: &[(String, String)]| {
            let their_terms: HashSet<&str> = theirs.iter().map(|(t, _)| t.as_str()).collect();
            for (term, surface) in mine {
                if their_terms.contains(term.as_str()) && seen.insert(surface.clone()) {
                    words.push(surface.clone());
                }
            }
        };
        if one.group == other.group {
            compare(&one.tokens, &other.tokens);
        } else {
            compare(&one.tokens, &self.surface_tokens(&one.group, other_text));
            compare(&self.surface_tokens(&other.group, one_text), &other.tokens);
        }
        words
    }

    /// The thesaurus concepts two texts share under different words — the bridge across
    /// languages and vocabularies — as `"word in text ↔ word in other"`.
    pub fn bridged_terms(&self, text: &str, other: &str) -> Vec<String> {
        let sequences = |t: &str| -> HashMap<String, Vec<String>> {
            self.analyzers
                .iter()
                .map(|(group, analyzer)| {
                    (
                        group.clone(),
                        analyse_positions(analyzer, t)
                            .into_iter()
                            .map(|(_, term)| term)
                            .collect(),
                    )
                })
                .collect()
        };
        let theirs = self.thesaurus.find(&sequences(other));
        let mut out = Vec::new();
        for mine in self.thesaurus.find(&sequences(text)) {
            let Some(their) = theirs.iter().find(|h| std::ptr::eq(h.terms, mine.terms)) else {
                continue;
            };
            if let (Some(a), Some(b)) = (mine.found.first(), their.found.first())
                && a != b
            {
                out.push(format!("{a} ↔ {b}"));
            }
        }
        out
    }

    /// The thesaurus concepts `text` uses in its own language, each as the first term `lang`
    /// has for it (in thesaurus order, each once): a gloss of the text in another language.
    /// Empty when `lang` is analysed as the text's own language is.
    pub fn gloss(&self, text: &str, lang: Lang) -> Vec<String> {
        let own = self.definition.group_of(detect_language(text));
        let target = self.definition.group_of(lang);
        let Some(analyzer) = self.analyzers.get(own).filter(|_| own != target) else {
            return Vec::new();
        };
        let sequences = HashMap::from([(
            own.to_string(),
            analyse_positions(analyzer, text)
                .into_iter()
                .map(|(_, term)| term)
                .collect(),
        )]);
        self.thesaurus
            .find(&sequences)
            .iter()
            .filter_map(|hit| hit.terms.iter().find(|t| t.group == target))
            .map(|t| t.surface.clone())
            .collect()
    }

    /// The distinct analysed terms of a text, over all groups (for overlap checks).
    pub fn terms(&self, text: &str) -> HashSet<String> {
        self.analyse(text)
            .into_values()
            .flat_map(|t| t.into_keys())
            .collect()
    }
}

/// Which documents a text query looks for, and in which fields.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// Every document's text fields, with up to [`MAX_QUERY_TERMS`] terms per group; phrases
    /// are matched by position.
    Documents,
    /// Needs and projects, in their peer fields, with only this many of the text's most
    /// distinctive terms per group; a phrase is matched as its consecutive word pairs.
    Peers {
        /// Terms kept per analyser group.
        distinctive_terms: usize,
    },
}

/// The clauses as one query: the sum of whichever match.
fn union(clauses: &[Clause]) -> Box<dyn Query> {
    Box::new(BooleanQuery::new(
        clauses.iter().map(|c| (Occur::Should, c.query())).collect(),
    ))
}

/// One weighted clause of a text query.
enum Clause {
    /// A term with its boost.
    Term(Term, f32),
    /// Terms at relative positions, with the boost of the whole phrase.
    Phrase(Vec<(usize, Term)>, f32),
}

impl Clause {
    fn query(&self) -> Box<dyn Query> {
        let (query, boost): (Box<dyn Query>, f32) = match self {
            Clause::Term(term, boost) => (
                Box::new(TermQuery::new(term.clone(), IndexRecordOption::WithFreqs)),
                *boost,
            ),
            Clause::Phrase(terms, boost) => (
                Box::new(PhraseQuery::new_with_offset(terms.clone())),
                *boost,
            ),
        };
        Box::new(BoostQuery::new(query, boost))
    }
}

/// Adds a term (one analysed term) or a phrase (several, with relative positions) as clauses on
/// a title and a body field. For [`Target::Peers`] a phrase becomes its consecutive word pairs
/// ([`word_pair`]), each a term carrying an equal share of the weight, so the query stays a
/// union of terms.
fn push_term_clauses(
    clauses: &mut Vec<Clause>,
    title: Field,
    body: Field,
    terms: &[(usize, String)],
    weight: f32,
    target: Target,
) {
    for (field, boost) in [(title, TITLE_BOOST * weight), (body, weight)] {
        match (terms, target) {
            ([(_, term)], _) => {
                clauses.push(Clause::Term(Term::from_field_text(field, term), boost))
            }
            (_, Target::Peers { .. }) => {
                let share = boost / terms.len().saturating_sub(1).max(1) as f32;
                for pair in terms.windows(2) {
                    let term = Term::from_field_text(field, &word_pair(&pair[0].1, &pair[1].1));
                    clauses.push(Clause::Term(term, share));
                }
            }
            (_, Target::Documents) => clauses.push(Clause::Phrase(
                terms
                    .iter()
                    .map(|(pos, term)| (*pos, Term::from_field_text(field, term)))
                    .collect(),
                boost,
            )),
        }
    }
}

/// Two consecutive analysed words as one term of the peer fields. Analysed words never hold a
/// space, so the pair cannot collide with a single word.
fn word_pair(first: &str, second: &str) -> String {
    format!("{first} {second}")
}

/// `text` as the peer fields hold it: each analysed word, and each pair of consecutive analysed
/// words ([`word_pair`]; stop words, already gone, do not break a pair), so that a phrase of the
/// thesaurus is looked up as terms rather than by position.
fn peer_tokens(analyzer: &TextAnalyzer, text: &str) -> PreTokenizedString {
    let words = analyse_positions(analyzer, text);
    let mut tokens = Vec::with_capacity(words.len() * 2);
    let token = |position: usize, text: String| Token {
        offset_from: 0,
        offset_to: 0,
        position,
        text,
        position_length: 1,
    };
    for (i, (position, word)) in words.iter().enumerate() {
        tokens.push(token(2 * position, word.clone()));
        if let Some((_, next)) = words.get(i + 1) {
            tokens.push(token(2 * position + 1, word_pair(word, next)));
        }
    }
    PreTokenizedString {
        text: String::new(),
        tokens,
    }
}

fn doc_kind_of(record: &Record) -> Option<DocKind> {
    match record {
        Record::Need(_) => Some(DocKind::Need),
        Record::Work(_) => Some(DocKind::Work),
        Record::Project(_) => Some(DocKind::Project),
        Record::Researcher(_) => Some(DocKind::Profile),
        Record::Municipality(_) | Record::Unit(_) => None,
    }
}

fn full_fingerprint(definition: &IndexDefinition) -> String {
    format!("s{SCHEMA_VERSION}-{}", definition.fingerprint())
}

fn payload_json(seq: i64, definition: &str) -> String {
    serde_json::to_string(&Payload {
        seq,
        definition: definition.to_string(),
    })
    .unwrap_or_default()
}

fn read_payload(index: &Index) -> Option<Payload> {
    let metas = index.load_metas().ok()?;
    serde_json::from_str(metas.payload.as_deref()?).ok()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::peers::within_budget;
    use super::*;
    use kobler_core::parse_record;
    use serde_json::json;

    fn need(id: &str, title: &str, description: &str) -> Record {
        parse_record(&json!({"type": "need", "id": id, "title": title, "description": description}))
            .expect("valid need")
    }

    fn index_with(records: &[Record]) -> (tempfile::TempDir, SearchIndex) {
        let dir = tempfile::tempdir().unwrap();
        let (index, state) = SearchIndex::open(&dir.path().join("index")).unwrap();
        assert_eq!(state, IndexState::Fresh);
        index.index_records(records).unwrap();
        index.commit(records.len() as i64).unwrap();
        (dir, index)
    }

    #[test]
    fn inflected_norwegian_query_finds_its_need() {
        let (_dir, index) = index_with(&[
            need(
                "n1",
                "Språkutvikling i barnehage",
                "Vi vil vite mer om hvordan ansatte i barnehage kan styrke språket til de yngste barna.",
            ),
            need(
                "n2",
                "Overvann i sentrum",
                "Kommunen trenger bedre modeller for overvann ved kraftig regn.",
            ),
        ]);
        let (total, hits) = index.search_needs("barnehagene", 0, 10).unwrap();
        assert_eq!(total, 1);
        assert_eq!(hits[0].id, "n1");
        assert!(
            hits[0].snippet_html.contains("<b>"),
            "{}",
            hits[0].snippet_html
        );
    }

    #[test]
    fn english_query_is_stemmed_too() {
        let (_dir, index) = index_with(&[
            need(
                "e1",
                "Predicting floods in small rivers",
                "We need models of flooding and river discharge for planning.",
            ),
            need(
                "n2",
                "Språkutvikling i barnehage",
                "Hvordan kan barnehagen styrke språket?",
            ),
        ]);
        let (_, hits) = index.search_needs("flooded river", 0, 10).unwrap();
        assert_eq!(hits.first().map(|h| h.id.as_str()), Some("e1"));
    }

    #[test]
    fn drafts_are_not_searchable_and_records_replace_old_documents() {
        let draft = parse_record(
            &json!({"type": "need", "id": "d1", "title": "Sykkelparkering",
            "description": "Hvor trengs sykkelparkering ved skolene?", "status": "draft"}),
        )
        .unwrap();
        let (_dir, index) = index_with(&[draft]);
        assert_eq!(index.search_needs("sykkelparkering", 0, 10).unwrap().0, 0);
        index
            .index_records(&[need(
                "d1",
                "Sykkelparkering",
                "Hvor trengs sykkelparkering?",
            )])
            .unwrap();
        index.commit(2).unwrap();
        assert_eq!(index.search_needs("sykkelparkering", 0, 10).unwrap().0, 1);
        assert_eq!(index.num_docs(), 1);
    }

    #[test]
    fn reopening_keeps_the_read_position() {
        let dir = tempfile::tempdir().unwrap();
        {
            let (index, _) = SearchIndex::open(dir.path()).unwrap();
            index
                .index_records(&[need("n1", "Tittel", "Beskrivelse av behovet")])
                .unwrap();
            index.commit(42).unwrap();
        }
        let (index, state) = SearchIndex::open(dir.path()).unwrap();
        assert_eq!(state, IndexState::Existing);
        assert_eq!(index.indexed_seq(), 42);
        assert_eq!(index.num_docs(), 1);
    }

    fn work(id: &str, title: &str, abstract_text: &str) -> Record {
        parse_record(&json!({"type": "work", "id": id, "title": title, "abstract": abstract_text, "authors": ["r1"]}))
            .expect("valid work")
    }

    #[test]
    fn a_norwegian_need_finds_english_work_through_the_thesaurus() {
        let (_dir, index) = index_with(&[
            work(
                "w1",
                "Reablement for community-dwelling older adults",
                "A trial of reablement in home care services.",
            ),
            work(
                "w2",
                "Traffic sensors in smart cities",
                "LoRaWAN sensors count cars and bicycles.",
            ),
        ]);
        let need = "Hverdagsmestring for hjemmeboende eldre i hjemmetjenesten";
        let filter = RetrieveFilter {
            kinds: vec![DocKind::Work],
            status: None,
        };
        let hits = index.retrieve(need, &filter, 10).unwrap();
        assert_eq!(hits.first().map(|h| h.id.as_str()), Some("w1"), "{hits:?}");
        let bridges = index.bridged_terms(need, &hits[0].text());
        assert!(
            bridges.iter().any(|b| b.starts_with("hverdagsmestring ↔")),
            "{bridges:?}"
        );

        let dir = tempfile::tempdir().unwrap();
        let options = IndexOptions {
            thesaurus: false,
            ..IndexOptions::default()
        };
        let (plain, _) = SearchIndex::open_with(dir.path(), options).unwrap();
        plain
            .index_records(&[work(
                "w1",
                "Reablement for community-dwelling older adults",
                "A trial of reablement.",
            )])
            .unwrap();
        plain.commit(1).unwrap();
        assert!(
            plain.retrieve(need, &filter, 10).unwrap().is_empty(),
            "without the thesaurus there is no bridge"
        );
    }

    fn project(id: &str, title: &str, summary: &str) -> Record {
        parse_record(&json!({"type": "project", "id": id, "title": title, "summary": summary}))
            .expect("valid project")
    }

    #[test]
    fn peers_are_needs_and_projects_and_a_thesaurus_phrase_must_be_adjacent() {
        let (_dir, index) = index_with(&[
            project(
                "p1",
                "Home care for older adults",
                "Home care services visit older adults in their homes.",
            ),
            project(
                "p2",
                "Care home gardens",
                "Gardens for the residents of care homes.",
            ),
            work(
                "w1",
                "Home care for older adults",
                "Home care services visit older adults in their homes.",
            ),
            need(
                "n1",
                "Hjemmetjenesten og eldre",
                "Hvordan kan hjemmetjenesten følge opp eldre som bor hjemme?",
            ),
        ]);
        let hits = index
            .peer_finder()
            .peers("Hjemmetjenesten for eldre", 10, 24, u64::MAX)
            .expect("peer query");
        let ids: Vec<&str> = hits.iter().map(|h| h.id.as_str()).collect();
        assert!(ids.contains(&"n1"), "{ids:?}");
        assert!(ids.contains(&"p1"), "«home care» bridges: {ids:?}");
        assert!(
            !ids.contains(&"p2"),
            "«care home» is not «home care»: {ids:?}"
        );
        assert!(!ids.contains(&"w1"), "works are never peers: {ids:?}");
        assert!(
            hits.iter()
                .all(|h| matches!(h.kind, DocKind::Need | DocKind::Project)),
            "{hits:?}"
        );
    }

    #[test]
    fn a_postings_budget_keeps_the_rarest_terms_and_finds_the_same_best_peer() {
        let field = Schema::builder().add_text_field("f", STRING);
        let term = |text: &str| Term::from_field_text(field, text);
        let clauses = vec![
            Clause::Term(term("common"), 1.0),
            Clause::Term(term("rare"), 1.0),
            Clause::Term(term("absent"), 1.0),
            Clause::Term(term("middling"), 1.0),
        ];
        let doc_freq = |t: &Term| match t.value().as_str() {
            Some("common") => 900,
            Some("rare") => 5,
            Some("middling") => 60,
            _ => 0,
        };
        assert!(within_budget(&clauses, 965, doc_freq).is_none(), "all fit");
        let kept = |budget| -> Vec<String> {
            within_budget(&clauses, budget, doc_freq)
                .expect("over budget")
                .iter()
                .filter_map(|c| match c {
                    Clause::Term(t, _) => t.value().as_str().map(str::to_string),
                    Clause::Phrase(..) => None,
                })
                .collect()
        };
        assert_eq!(kept(100), ["rare", "middling"]);
        assert_eq!(kept(3), ["rare"], "at least the rarest, even over budget");

        // Through the index: a budget too small for the whole query still finds the best peer,
        // scored exactly as without a budget (the rarest term alone finds it).
        let (_dir, index) = index_with(&[
            need(
                "n1",
                "Overvann i sentrum",
                "Kommunen trenger bedre modeller for overvann og flom ved kraftig regn.",
            ),
            need(
                "n2",
                "Overvann og flom",
                "Modeller for overvann og flom ved kraftig regn i kommunen.",
            ),
            need(
                "n3",
                "Språk i barnehagen",
                "Kommunen vil styrke språket til barna i barnehagen.",
            ),
        ]);
        let text = "Modeller for overvann og flom ved kraftig regn";
        let exact = index
            .peer_finder()
            .peers(text, 2, 24, u64::MAX)
            .expect("exact");
        let budgeted = index.peer_finder().peers(text, 2, 24, 1).expect("budgeted");
        assert_eq!(
            exact.first().map(|h| h.id.as_str()),
            Some("n2"),
            "{exact:?}"
        );
        assert!(
            !budgeted.is_empty() && budgeted.len() <= exact.len(),
            "{budgeted:?}"
        );
        for hit in &budgeted {
            let same = exact
                .iter()
                .find(|e| e.id == hit.id)
                .expect("found exactly too");
            assert!(
                (hit.score - same.score).abs() < 1e-4,
                "{budgeted:?} {exact:?}"
            );
        }
        assert_eq!(budgeted[0].id, "n2", "{budgeted:?}");
    }

    #[test]
    fn peers_are_found_while_edited_needs_leave_deleted_versions_behind() {
        let flood = |id: &str, description: &str| need(id, "Overvann og flom", description);
        let (_dir, index) = index_with(&[
            flood("n1", "Overvann i sentrum."),
            flood("n2", "Overvann ved skolen."),
            flood("n3", "Overvann i parken."),
            flood("n4", "Overvann langs elva."),
        ]);
        // Editing three of them deletes their old documents, which stay counted in document
        // frequencies until the segment is merged: «overvann» is then in 7 documents of the
        // 4 that are live.
        index
            .index_records(&[
                flood("n1", "Overvann i sentrum, igjen."),
                flood("n2", "Overvann ved skolen, igjen."),
                flood("n3", "Overvann i parken, igjen."),
            ])
            .unwrap();
        index.commit(5).unwrap();
        assert_eq!(index.num_docs(), 4);
        for budget in [u64::MAX, 1] {
            let hits = index
                .peer_finder()
                .peers("Overvann og flom i sentrum", 5, 24, budget)
                .expect("no panic, no error");
            assert_eq!(hits.first().map(|h| h.id.as_str()), Some("n1"), "{hits:?}");
        }
    }

    #[test]
    fn a_run_names_peers_as_single_queries_do_and_never_names_a_deleted_version() {
        let flood = |id: &str, description: &str| need(id, "Overvann og flom", description);
        let (_dir, index) = index_with(&[
            flood("n1", "Overvann i sentrum."),
            flood("n2", "Overvann ved skolen."),
            project(
                "p1",
                "Overvann og flom i byen",
                "Modeller for overvann ved kraftig regn.",
            ),
            work("w1", "Overvann og flom", "Overvann i byer."),
        ]);
        // A second segment, and a deleted version of n1 in the first.
        index
            .index_records(&[flood("n1", "Overvann i sentrum, igjen.")])
            .unwrap();
        index.commit(5).unwrap();
        let run = index.peer_finder_for_run().unwrap();
        let single = index.peer_finder();
        let text = "Overvann og flom i sentrum";
        // Over budget, only the rarest term («sentrum») finds candidates.
        let budgeted = run.peers(text, 10, 24, 1).unwrap();
        assert_eq!(budgeted, single.peers(text, 10, 24, 1).unwrap());
        assert_eq!(budgeted.first().map(|p| p.id.as_str()), Some("n1"));
        let from_run = run.peers(text, 10, 24, u64::MAX).unwrap();
        assert_eq!(from_run, single.peers(text, 10, 24, u64::MAX).unwrap());
        let mut names: Vec<(DocKind, &str)> =
            from_run.iter().map(|p| (p.kind, p.id.as_str())).collect();
        names.sort_by_key(|&(kind, id)| (kind.as_str(), id));
        assert_eq!(
            names,
            [
                (DocKind::Need, "n1"),
                (DocKind::Need, "n2"),
                (DocKind::Project, "p1")
            ],
            "each live need and project once, no work"
        );
    }

    #[test]
    fn compacting_leaves_one_segment_and_every_document() {
        let (_dir, index) = index_with(&[need("n1", "Overvann", "Overvann i sentrum.")]);
        for (seq, id) in [(2, "n2"), (3, "n3")] {
            index
                .index_records(&[need(id, "Overvann", "Overvann ved skolen.")])
                .unwrap();
            index.commit(seq).unwrap();
        }
        assert!(index.index.searchable_segment_ids().unwrap().len() > 1);
        index.compact().unwrap();
        assert_eq!(index.index.searchable_segment_ids().unwrap().len(), 1);
        assert_eq!(index.num_docs(), 3);
        assert_eq!(
            index.indexed_seq(),
            3,
            "the commit's payload survives the merge"
        );
        assert_eq!(
            index
                .peer_finder()
                .peers("Overvann", 5, 24, u64::MAX)
                .unwrap()
                .len(),
            3
        );
    }

    #[test]
    fn an_english_text_is_glossed_with_the_norwegian_terms_of_its_concepts() {
        let (_dir, index) = index_with(&[]);
        let gloss = index.gloss(
            "Building trust with immigrant parents in kindergartens and schools",
            Lang::Nb,
        );
        for term in ["tillit", "minoritetsforeldre", "barnehage"] {
            assert!(gloss.iter().any(|g| g == term), "{term} in {gloss:?}");
        }
        assert!(
            index.gloss("Tillit i barnehagen", Lang::Nb).is_empty(),
            "a Norwegian text needs no Norwegian gloss"
        );
    }

    #[test]
    fn peer_tokens_hold_each_word_and_each_pair_of_neighbours() {
        let (_dir, index) = index_with(&[]);
        let analyzer = index.analyzers.get("en").expect("an English group");
        let tokens: Vec<String> = peer_tokens(analyzer, "Home care for the elderly")
            .tokens
            .into_iter()
            .map(|t| t.text)
            .collect();
        assert_eq!(tokens, ["home", "home care", "care", "care elder", "elder"]);
        assert!(peer_tokens(analyzer, "").tokens.is_empty());
    }

    #[test]
    fn nynorsk_and_bokmal_forms_meet() {
        let (_dir, index) = index_with(&[need(
            "n1",
            "Tjenester i hjemmet",
            "Hvordan kan tjenestene forebygge ensomhet?",
        )]);
        let (total, _) = index.search_needs("tenestene førebygging", 0, 10).unwrap();
        assert_eq!(total, 1);
    }

    #[test]
    fn query_compounds_are_split_into_known_parts() {
        let (_dir, index) = index_with(&[
            need("n1", "Teknologi i omsorgen", "Ny teknologi for eldre."),
            need(
                "n2",
                "Teknologi og velferd",
                "Velferd og teknologi i kommunen.",
            ),
            need("n3", "Velferd for alle", "Velferd i praksis."),
        ]);
        let filter = RetrieveFilter {
            kinds: vec![DocKind::Need],
            status: None,
        };
        let hits = index
            .retrieve("sosialfagleg velferdsteknologi", &filter, 10)
            .unwrap();
        assert_eq!(hits.first().map(|h| h.id.as_str()), Some("n2"), "{hits:?}");
    }

    #[test]
    fn shared_words_are_reported_as_written() {
        let (_dir, index) = index_with(&[]);
        let words = index.shared_words(
            "Fallforebygging for eldre hjemmeboende",
            "eldre som bor hjemme og fallforebygging",
        );
        assert!(words.contains(&"fallforebygging".to_string()), "{words:?}");
        assert!(words.contains(&"eldre".to_string()), "{words:?}");
    }
}
