//! Overlap detection: needs that ask the same as another need or as a project.
//!
//! Two signals, each a score in [0, 1]:
//! - **topic**: each need is used as a query against needs and projects (top-k only, with the
//!   thesaurus, spelling pairs and compounds of matching, so it crosses languages). A pair's
//!   score is the other document's retrieval score relative to the need's score against itself,
//!   so it does not depend on how long the need is;
//! - **text**: near-duplicate wording, the estimated Jaccard similarity of the two texts'
//!   analysed word pairs (MinHash), with candidates from banded LSH.
//!
//! - **semantic** (when the multilingual embedding model is installed): the cosine of the two
//!   texts' sentence vectors, mapped onto the same scale; each need's nearest needs and projects
//!   by vector are candidates too, which catches the same question asked in other words and
//!   another language.
//!
//! A pair's score is the largest of them, and it is flagged when that reaches the threshold.
//! The signals cost one bounded top-k query (a postings budget), one signature and one
//! nearest-vector search per document, so a whole run grows about linearly with the number of
//! needs and projects (12× for 10× from 10,000 to 100,000: `docs/overlap.md` §Speed at scale).
//!
//! Coordinators' decisions are kept in the store. A dismissed pair is not flagged again until
//! one side's vocabulary has changed materially; a confirmed pair stays flagged, marked as such.

use crate::access::is_coordinator;
use crate::semantic::VectorKey;
use crate::{Engine, EngineError, Fresh, KEPT_OVERLAP_FLOOR, Result};
use kobler_core::{Kind, Need, NeedStatus, Record};
use kobler_matcher::minhash::{LshIndex, Signature, vocabulary_overlap};
use kobler_matcher::neighbours::NeighbourGraph;
use kobler_matcher::vectors::VectorIndex;
use kobler_search::{AnalysedText, DocKind, Peer, PeerFinder};
use kobler_store::{Decision, OverlapDecision, User};
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// Pairs scoring at least this are flagged (calibrated on the development set; see
/// `docs/overlap.md`).
pub const OVERLAP_THRESHOLD: f32 = 0.23;
/// A side whose vocabulary kept less than this share (Jaccard) of what it was when a pair was
/// dismissed has changed materially, and the pair may be flagged again.
pub const MATERIAL_CHANGE: f32 = 0.8;
/// Candidates retrieved per need.
const CANDIDATES: usize = 20;
/// Terms per language group in a need's overlap query, the most distinctive first.
const QUERY_TERMS: usize = 24;
/// Postings one overlap query may walk to find its candidates (see `PeerFinder::peers`): it
/// bounds what a need's check reads, whatever the corpus size. Queries whose terms fit in it are
/// exact; on the development set every one does (`docs/overlap.md` §The overlap query).
const QUERY_POSTINGS: u64 = 30_000;
/// Vector comparisons an overlap run's semantic signal may spend on exact scans (each need's
/// vector against every stored one); above it, each need's nearest needs and projects come
/// from a neighbour graph built over them for the run ([`NeighbourGraph`]), so the run grows
/// about as N log N rather than N². About ten seconds of scanning on two cores.
const EXACT_COMPARISONS: u64 = 200_000_000;
/// The e5 cosine that scores exactly [`OVERLAP_THRESHOLD`] on the semantic signal: just above
/// the most similar pair labelled "no overlap" on the development set (0.902); see
/// `docs/overlap.md`. Cosines are mapped linearly from here (threshold) to 1 (score 1).
const SEMANTIC_OVERLAP_COSINE: f32 = 0.91;

/// Which signal found a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Signal {
    /// Similar subject in the index, across languages and vocabularies.
    Topic,
    /// Near-duplicate wording.
    Text,
    /// Close sentence vectors: the same meaning, in any words or language.
    Semantic,
}

/// The decision in force on a flagged pair.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct PairDecision {
    /// Confirmed or dismissed.
    pub decision: Decision,
    /// Who decided.
    pub by: String,
    /// When.
    pub at: String,
    /// Their note.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    /// One side has changed materially since (why a dismissed pair is flagged again).
    pub changed_since: bool,
}

/// Two needs, or a need and a project, that cover the same ground.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct OverlapPair {
    /// A need id.
    pub a: String,
    /// A need or project id.
    pub b: String,
    /// `need` or `project`.
    pub b_kind: DocKind,
    /// Similarity in [0, 1]: the stronger of the two signals.
    pub score: f32,
    /// The signals that reached the threshold.
    pub signals: Vec<Signal>,
    /// The topic signal's score.
    pub topic: f32,
    /// The text signal's score (estimated Jaccard of word pairs).
    pub text: f32,
    /// The semantic signal's score (0 when either side has no vector).
    pub semantic: f32,
    /// Words both texts use (as the need writes them).
    pub shared_terms: Vec<String>,
    /// The project's status, for need–project pairs (planned, active or completed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// A coordinator's decision on the pair, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decision: Option<PairDecision>,
}

/// A need or project similar to a need that is being posted.
#[derive(Debug, Clone, Serialize)]
pub struct Similar {
    /// Its id.
    pub id: String,
    /// `need` or `project`.
    pub kind: DocKind,
    /// Its title.
    pub title: String,
    /// Similarity in [0, 1].
    pub score: f32,
    /// The signals that reached the threshold.
    pub signals: Vec<Signal>,
    /// Words both texts use.
    pub shared_terms: Vec<String>,
    /// Its status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

fn considered(need: &Need) -> bool {
    matches!(need.status, NeedStatus::Open | NeedStatus::Matched)
}

/// A need or project taking part in an overlap run.
struct Item {
    kind: DocKind,
    id: String,
    text: String,
    status: Option<String>,
    /// Only open and matched needs are queried and flagged; every project is a candidate.
    query: bool,
    /// The text analysed once, for its signature, its vocabulary and shared words with any
    /// other item.
    analysed: AnalysedText,
    signature: Option<Signature>,
}

/// Both signals of one pair, before the threshold.
#[derive(Default, Clone, Copy)]
struct Scores {
    topic: f32,
    text: f32,
    semantic: f32,
}

impl Scores {
    fn combined(self) -> f32 {
        self.topic.max(self.text).max(self.semantic)
    }

    fn signals(self, threshold: f32) -> Vec<Signal> {
        let mut signals = Vec::new();
        if self.topic >= threshold {
            signals.push(Signal::Topic);
        }
        if self.text >= threshold {
            signals.push(Signal::Text);
        }
        if self.semantic >= threshold {
            signals.push(Signal::Semantic);
        }
        signals
    }
}

impl Engine {
    /// Needs and projects similar to `need`, most similar first, down to `threshold`: what the
    /// author of a new need is shown. One top-k query, so it stays fast at any corpus size.
    pub fn similar_to(&self, need: &Need, threshold: f32) -> Result<Vec<Similar>> {
        let text = need.text();
        let analysed = self.index.analyse_text(&text);
        let signature = signature_of(&analysed);
        let neighbours = Self::topical_neighbours(&self.index.peer_finder(), &need.id, &text)?;
        let keys: Vec<(DocKind, &str)> = neighbours
            .iter()
            .map(|(peer, _)| (peer.kind, peer.id.as_str()))
            .collect();
        // The neighbours' texts, for the other signal and the shared words.
        let topics: HashMap<(DocKind, &str), f32> = neighbours
            .iter()
            .map(|(peer, topic)| ((peer.kind, peer.id.as_str()), *topic))
            .collect();
        let mut out = Vec::new();
        for hit in self.index.documents(&keys)? {
            let Some(&topic) = topics.get(&(hit.kind, hit.id.as_str())) else {
                continue;
            };
            let hit_text = hit.text();
            let hit_analysed = self.index.analyse_text(&hit_text);
            let scores = Scores {
                topic,
                text: text_similarity(signature.as_ref(), signature_of(&hit_analysed).as_ref()),
                // The author is still writing: no vector yet, and no encoder call per keystroke.
                semantic: 0.0,
            };
            if scores.combined() < threshold {
                continue;
            }
            out.push(Similar {
                shared_terms: self
                    .index
                    .shared_words_between((&analysed, &text), (&hit_analysed, &hit_text)),
                signals: scores.signals(threshold),
                score: scores.combined(),
                id: hit.id,
                kind: hit.kind,
                title: hit.title,
                status: hit.status,
            });
        }
        out.sort_by(|x, y| y.score.total_cmp(&x.score).then_with(|| x.id.cmp(&y.id)));
        Ok(out)
    }

    /// The needs and projects retrieved for need `id` with `text` (other than itself, drafts and
    /// closed needs), each with its topic score: its retrieval score relative to the need's own.
    fn topical_neighbours(
        finder: &PeerFinder<'_>,
        id: &str,
        text: &str,
    ) -> Result<Vec<(Peer, f32)>> {
        let hits = finder.peers(text, CANDIDATES + 1, QUERY_TERMS, QUERY_POSTINGS)?;
        let self_score = self_score(id, &hits);
        Ok(hits
            .into_iter()
            .filter(|h| !(h.kind == DocKind::Need && h.id == id))
            .filter(|h| {
                h.kind != DocKind::Need
                    || !matches!(h.status.as_deref(), Some("draft") | Some("closed"))
            })
            .map(|h| {
                let topic = (h.score / self_score).min(1.0);
                (h, topic)
            })
            .collect())
    }

    /// A need or a project as an overlap item, its text analysed and signed; `None` for other
    /// records.
    fn overlap_item(&self, record: Record) -> Option<Item> {
        let (kind, text, status, id, query) = match record {
            Record::Need(need) => (
                DocKind::Need,
                need.text(),
                Some(need.status.as_str().to_string()),
                need.id,
                true,
            ),
            Record::Project(project) => (
                DocKind::Project,
                project.text(),
                project.status.map(|s| s.as_str().to_string()),
                project.id,
                false,
            ),
            _ => return None,
        };
        let analysed = self.index.analyse_text(&text);
        Some(Item {
            kind,
            id,
            status,
            query,
            signature: signature_of(&analysed),
            analysed,
            text,
        })
    }

    /// Every pair over open and matched needs and all projects scoring at least `threshold`
    /// ([`OVERLAP_THRESHOLD`] is the calibrated default), best first. Pairs a coordinator
    /// dismissed are left out unless one side has changed materially since.
    pub async fn overlaps(&self, threshold: f32) -> Result<Vec<OverlapPair>> {
        let items = self.overlap_items().await?;
        let position: HashMap<(DocKind, &str), usize> = items
            .iter()
            .enumerate()
            .map(|(i, item)| ((item.kind, item.id.as_str()), i))
            .collect();

        // Topic: one top-k query per need, spread over the cores.
        let finder = self.index.peer_finder_for_run()?;
        let queries: Vec<usize> = (0..items.len()).filter(|&i| items[i].query).collect();
        let found = in_parallel(&queries, |&i| -> Result<Vec<(usize, usize, f32)>> {
            let item = &items[i];
            Ok(Self::topical_neighbours(&finder, &item.id, &item.text)?
                .into_iter()
                .filter_map(|(hit, topic)| {
                    let j = *position.get(&(hit.kind, hit.id.as_str()))?;
                    Some((i, j, topic))
                })
                .collect())
        });
        let mut scores: HashMap<(usize, usize), Scores> = HashMap::new();
        for part in found {
            for (i, j, topic) in part?.into_iter().flatten() {
                if let Some(key) = pair_key(&items, i, j) {
                    let entry = scores.entry(key).or_default();
                    // A need–need pair is seen from both sides: keep the stronger view.
                    entry.topic = entry.topic.max(topic);
                }
            }
        }

        // Text: near-duplicate candidates from LSH, whatever the index ranked.
        let mut lsh = LshIndex::new();
        for (i, item) in items.iter().enumerate() {
            if let Some(signature) = &item.signature {
                lsh.insert(i, signature);
            }
        }
        for (i, j) in lsh.candidate_pairs() {
            if let Some(key) = pair_key(&items, i, j) {
                scores.entry(key).or_default();
            }
        }
        // Semantic: each need's nearest needs and projects by sentence vector.
        if let Some(cosines) = self.semantic_overlaps(&items, &scores).await? {
            for (key, cosine) in cosines {
                scores.entry(key).or_default().semantic = semantic_score(cosine);
            }
        }
        for (&(i, j), entry) in scores.iter_mut() {
            entry.text = text_similarity(items[i].signature.as_ref(), items[j].signature.as_ref());
        }
        let decisions = self.decisions_in_force().await?;
        let flagged: Vec<((usize, usize), Scores)> = scores
            .into_iter()
            .filter(|(_, pair_scores)| pair_scores.combined() >= threshold)
            .collect();
        // Shared words for every flagged pair: the costliest step, so spread over the cores too.
        let explained = in_parallel(
            &flagged,
            |&((i, j), pair_scores)| -> Result<Option<OverlapPair>> {
                let (a, b) = (&items[i], &items[j]);
                let decision = match decisions.get(&decision_key(a, b)) {
                    Some(d) => {
                        let changed_since = changed_materially(&d.a_words, &a.analysed)
                            || changed_materially(&d.b_words, &b.analysed);
                        if d.decision == Decision::Dismissed && !changed_since {
                            return Ok(None);
                        }
                        Some(PairDecision {
                            decision: d.decision,
                            by: d.decided_by.clone(),
                            at: d.decided_at.clone(),
                            note: d.note.clone(),
                            changed_since,
                        })
                    }
                    None => None,
                };
                let shared_terms = self
                    .index
                    .shared_words_between((&a.analysed, &a.text), (&b.analysed, &b.text));
                Ok(Some(OverlapPair {
                    a: a.id.clone(),
                    b: b.id.clone(),
                    b_kind: b.kind,
                    score: pair_scores.combined(),
                    signals: pair_scores.signals(threshold),
                    topic: pair_scores.topic,
                    text: pair_scores.text,
                    semantic: pair_scores.semantic,
                    shared_terms,
                    status: b.status.clone().filter(|_| b.kind == DocKind::Project),
                    decision,
                }))
            },
        );
        let mut out = Vec::with_capacity(flagged.len());
        for part in explained {
            out.extend(part?.into_iter().flatten());
        }
        out.sort_by(|x, y| {
            y.score
                .total_cmp(&x.score)
                .then_with(|| (&x.a, &x.b).cmp(&(&y.a, &y.b)))
        });
        Ok(out)
    }

    /// The flagged pairs scoring at least `threshold` (at least [`KEPT_OVERLAP_FLOOR`]) from
    /// the overlap run the background worker keeps, with every decision in force now: one
    /// recorded since the run hides a dismissed pair and marks a confirmed one. For
    /// coordinators and admins.
    pub async fn flagged_overlaps(
        &self,
        user: &User,
        threshold: f32,
    ) -> Result<Fresh<Vec<OverlapPair>>> {
        if !is_coordinator(user) {
            return Err(EngineError::Forbidden(
                "only coordinators and admins review overlaps".into(),
            ));
        }
        if !(KEPT_OVERLAP_FLOOR..=1.0).contains(&threshold) {
            return Err(EngineError::Invalid(format!(
                "threshold must be between {KEPT_OVERLAP_FLOOR} and 1"
            )));
        }
        let kept = self.derived.overlaps.get("the overlap run").await?;
        let newer: HashMap<(Kind, String, Kind, String), OverlapDecision> = self
            .store
            .overlap_decisions_since(kept.value.decisions_seq)
            .await?
            .into_iter()
            .map(|d| ((d.a_kind, d.a.clone(), d.b_kind, d.b.clone()), d))
            .collect();
        let mut pairs = Vec::new();
        for pair in kept.value.pairs.iter().filter(|p| p.score >= threshold) {
            let mut pair = pair.clone();
            // A decision made since the run saw both sides as they are: nothing has changed
            // since it.
            let key = (
                Kind::Need,
                pair.a.clone(),
                kind_of(pair.b_kind),
                pair.b.clone(),
            );
            if let Some(d) = newer.get(&key) {
                if d.decision == Decision::Dismissed {
                    continue;
                }
                pair.decision = Some(PairDecision {
                    decision: d.decision,
                    by: d.decided_by.clone(),
                    at: d.decided_at.clone(),
                    note: d.note.clone(),
                    changed_since: false,
                });
            }
            pair.signals = Scores {
                topic: pair.topic,
                text: pair.text,
                semantic: pair.semantic,
            }
            .signals(threshold);
            pairs.push(pair);
        }
        Ok(kept.map(pairs))
    }

    /// Cosines under the multilingual model (the one that reads every language, so that a
    /// bokmål need and an English project are compared fairly): for every pair already a
    /// candidate, and for each need's nearest needs and projects. `None` without that model or
    /// its vectors; items not embedded yet simply have no semantic score.
    async fn semantic_overlaps(
        &self,
        items: &[Item],
        candidates: &HashMap<(usize, usize), Scores>,
    ) -> Result<Option<Vec<((usize, usize), f32)>>> {
        let Some(model) = self
            .multilingual_model()
            .filter(|_| self.options.scoring != crate::Scoring::Lexical)
        else {
            return Ok(None);
        };
        let item_keys: Vec<VectorKey> = items
            .iter()
            .map(|item| (kind_of(item.kind), item.id.clone()))
            .collect();
        self.with_vectors(model, |index| {
            // Each queried need's vector, read once for its candidates and its nearest.
            let queries: Vec<(usize, Vec<f32>)> = items
                .iter()
                .enumerate()
                .filter(|(_, item)| item.query)
                .filter_map(|(i, _)| Some((i, index.vector(&item_keys[i])?)))
                .collect();
            let query_of: HashMap<usize, &[f32]> = queries
                .iter()
                .map(|(i, vector)| (*i, vector.as_slice()))
                .collect();
            let mut out = Vec::new();
            // A candidate pair's first side is always a queried need (`pair_key`).
            for &(i, j) in candidates.keys() {
                if let Some(query) = query_of.get(&i)
                    && let Some(cosine) = index.similarity(query, &item_keys[j])
                {
                    out.push(((i, j), cosine));
                }
            }
            let nearest = nearest_items(index, &item_keys, &queries, EXACT_COMPARISONS)?;
            for ((i, _), nearest) in queries.iter().zip(nearest) {
                for (j, cosine) in nearest {
                    if let Some(pair) = pair_key(items, *i, j)
                        && !candidates.contains_key(&pair)
                        && semantic_score(cosine) > 0.0
                    {
                        out.push((pair, cosine));
                    }
                }
            }
            Ok(out)
        })
        .await?
        .transpose()
    }

    /// The open and matched needs, and every project, with their signatures.
    async fn overlap_items(&self) -> Result<Vec<Item>> {
        let mut items = Vec::new();
        for kind in [Kind::Need, Kind::Project] {
            for record in self.store.list(kind).await? {
                if matches!(&record, Record::Need(need) if !considered(need)) {
                    continue;
                }
                items.extend(self.overlap_item(record));
            }
        }
        Ok(items)
    }

    /// The latest decision per pair.
    async fn decisions_in_force(
        &self,
    ) -> Result<HashMap<(Kind, String, Kind, String), OverlapDecision>> {
        Ok(self
            .store
            .overlap_decisions()
            .await?
            .into_iter()
            .map(|d| ((d.a_kind, d.a.clone(), d.b_kind, d.b.clone()), d))
            .collect())
    }

    /// Records a coordinator's decision on the pair of `first` and `second` (need or project
    /// ids, in any order; at least one must be a need). The two texts' vocabulary is kept with
    /// it, so a dismissed pair comes back only after a material change. Only coordinators and
    /// admins decide.
    pub async fn decide_overlap(
        &self,
        first: &str,
        second: &str,
        decision: Decision,
        note: Option<String>,
        by: &User,
    ) -> Result<OverlapDecision> {
        if !is_coordinator(by) {
            return Err(EngineError::Invalid(format!(
                "{} is {}; only coordinators and admins decide on overlaps",
                by.name, by.role
            )));
        }
        let first = self.overlap_side(first).await?;
        let second = self.overlap_side(second).await?;
        if first.kind != DocKind::Need && second.kind != DocKind::Need {
            return Err(EngineError::Invalid(
                "an overlap pair needs at least one need; two projects are never flagged".into(),
            ));
        }
        if first.kind == second.kind && first.id == second.id {
            return Err(EngineError::Invalid(format!(
                "{} cannot overlap with itself",
                first.id
            )));
        }
        let (a, b) = ordered(first, second);
        let mut stored = OverlapDecision {
            seq: 0,
            a_kind: kind_of(a.kind),
            a: a.id.clone(),
            b_kind: kind_of(b.kind),
            b: b.id.clone(),
            decision,
            note: note.filter(|n| !n.trim().is_empty()),
            decided_by: by.name.clone(),
            decided_at: String::new(),
            a_words: vocabulary(&a.analysed),
            b_words: vocabulary(&b.analysed),
        };
        stored.seq = self.store.add_overlap_decision(&stored).await?;
        let history = self.store.overlap_decisions().await?;
        if let Some(saved) = history.into_iter().find(|d| d.seq == stored.seq) {
            stored.decided_at = saved.decided_at;
        }
        Ok(stored)
    }

    /// Every decision on overlap pairs, oldest first: the audit trail.
    pub async fn overlap_decisions(&self) -> Result<Vec<OverlapDecision>> {
        Ok(self.store.overlap_decisions().await?)
    }

    /// A need (looked up first) or a project by id, as one side of a pair.
    async fn overlap_side(&self, id: &str) -> Result<Item> {
        for kind in [Kind::Need, Kind::Project] {
            if let Some(item) = self
                .store
                .get(kind, id)
                .await?
                .and_then(|r| self.overlap_item(r))
            {
                return Ok(item);
            }
        }
        Err(EngineError::NotFound(format!(
            "no need or project with id {id:?}"
        )))
    }
}

/// `work` applied to every element of `inputs`, on as many threads as there are cores, in
/// chunks; one result per chunk (its outputs in input order), or the chunk's first error.
fn in_parallel<T: Sync, O: Send>(
    inputs: &[T],
    work: impl Fn(&T) -> Result<O> + Sync,
) -> Vec<Result<Vec<O>>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = inputs.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = inputs
            .chunks(chunk)
            .map(|part| {
                let work = &work;
                scope.spawn(move || part.iter().map(work).collect::<Result<Vec<O>>>())
            })
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|_| Err(EngineError::Io("an overlap worker failed".into())))
            })
            .collect()
    })
}

/// Each query's nearest needs and projects among the items whose vector keys are `item_keys`
/// (as positions in it), with their cosines: by an exact scan of every stored vector while
/// `queries × stored vectors` is at most `exact_comparisons`, else through a neighbour graph
/// built over the items' vectors for this run ([`NeighbourGraph`]).
fn nearest_items(
    index: &VectorIndex<VectorKey>,
    item_keys: &[VectorKey],
    queries: &[(usize, Vec<f32>)],
    exact_comparisons: u64,
) -> Result<Vec<Vec<(usize, f32)>>> {
    if queries.len() as u64 * index.len() as u64 <= exact_comparisons {
        let position: HashMap<&VectorKey, usize> =
            item_keys.iter().enumerate().map(|(i, k)| (k, i)).collect();
        return Ok(queries
            .iter()
            .map(|(_, query)| {
                index
                    .nearest(query, CANDIDATES + 1, |(kind, _)| {
                        matches!(kind, Kind::Need | Kind::Project)
                    })
                    .into_iter()
                    .filter_map(|(key, cosine)| Some((*position.get(&key)?, cosine)))
                    .collect()
            })
            .collect());
    }
    let graph = NeighbourGraph::build(
        item_keys
            .iter()
            .enumerate()
            .filter_map(|(j, key)| Some((j, index.vector(key)?)))
            .collect(),
    );
    let mut nearest = Vec::with_capacity(queries.len());
    for part in in_parallel(queries, |(_, query)| {
        Ok(graph.nearest(query, CANDIDATES + 1))
    }) {
        nearest.extend(part?);
    }
    Ok(nearest)
}

/// A pair's two sides in their canonical order: the need first; two needs by id.
fn ordered(x: Item, y: Item) -> (Item, Item) {
    let x_first = match (x.kind, y.kind) {
        (DocKind::Need, DocKind::Need) => x.id <= y.id,
        (DocKind::Need, _) => true,
        _ => false,
    };
    if x_first { (x, y) } else { (y, x) }
}

/// The canonical key of the pair of items `i` and `j` (see [`ordered`]), or `None` for pairs
/// that are never flagged (project–project, an item with itself, a need not queried).
fn pair_key(items: &[Item], i: usize, j: usize) -> Option<(usize, usize)> {
    let (x, y) = (&items[i], &items[j]);
    if i == j || (x.kind != DocKind::Need && y.kind != DocKind::Need) {
        return None;
    }
    let key = match (x.kind, y.kind) {
        (DocKind::Need, DocKind::Need) if x.id <= y.id => (i, j),
        (DocKind::Need, DocKind::Need) => (j, i),
        (DocKind::Need, _) => (i, j),
        _ => (j, i),
    };
    items[key.0].query.then_some(key)
}

fn decision_key(a: &Item, b: &Item) -> (Kind, String, Kind, String) {
    (kind_of(a.kind), a.id.clone(), kind_of(b.kind), b.id.clone())
}

fn kind_of(kind: DocKind) -> Kind {
    match kind {
        DocKind::Need => Kind::Need,
        DocKind::Project => Kind::Project,
        DocKind::Work => Kind::Work,
        DocKind::Profile => Kind::Researcher,
    }
}

/// The MinHash signature of an analysed text's words.
fn signature_of(analysed: &AnalysedText) -> Option<Signature> {
    Signature::of_words(&analysed.words().collect::<Vec<_>>())
}

/// Whether a text kept less than [`MATERIAL_CHANGE`] of the vocabulary `then` had.
fn changed_materially(then: &str, now: &AnalysedText) -> bool {
    let then: Vec<&str> = then.split_whitespace().collect();
    let now = vocabulary(now);
    let now: Vec<&str> = now.split_whitespace().collect();
    vocabulary_overlap(&then, &now) < MATERIAL_CHANGE
}

/// A text's distinct analysed words, sorted and space-separated (what a decision keeps).
fn vocabulary(analysed: &AnalysedText) -> String {
    let words: BTreeSet<&str> = analysed.words().collect();
    words.into_iter().collect::<Vec<_>>().join(" ")
}

/// The semantic signal's score for a cosine: [`OVERLAP_THRESHOLD`] at
/// [`SEMANTIC_OVERLAP_COSINE`], 1 at 1, 0 well below.
fn semantic_score(cosine: f32) -> f32 {
    let slope = (1.0 - OVERLAP_THRESHOLD) / (1.0 - SEMANTIC_OVERLAP_COSINE);
    (OVERLAP_THRESHOLD + (cosine - SEMANTIC_OVERLAP_COSINE) * slope).clamp(0.0, 1.0)
}

fn text_similarity(a: Option<&Signature>, b: Option<&Signature>) -> f32 {
    match (a, b) {
        (Some(a), Some(b)) => a.jaccard(b),
        _ => 0.0,
    }
}

/// The need's score against itself: the yardstick for its pairs. When the need is not indexed
/// (yet) or was pushed out of the top-k, the best hit stands in.
fn self_score(id: &str, hits: &[Peer]) -> f32 {
    hits.iter()
        .find(|h| h.kind == DocKind::Need && h.id == id)
        .map(|own| own.score)
        .unwrap_or_else(|| hits.iter().map(|h| h.score).fold(0.0f32, f32::max))
        .max(f32::EPSILON)
}

/// Overlapping needs and projects grouped together: "these four needs from three
/// municipalities" is one thing for a coordinator to look at, not six pairs.
#[derive(Debug, Clone, Serialize)]
pub struct OverlapCluster {
    /// Member ids with their kind, needs first, each sorted by id.
    pub members: Vec<ClusterMember>,
    /// The flagged pairs inside the cluster.
    pub pairs: usize,
    /// The strongest pair's score.
    pub score: f32,
}

/// One need or project in a cluster.
#[derive(Debug, Clone, Serialize)]
pub struct ClusterMember {
    /// Its id.
    pub id: String,
    /// `need` or `project`.
    pub kind: DocKind,
}

/// Groups flagged pairs into connected components, strongest cluster first.
pub fn cluster_overlaps(pairs: &[OverlapPair]) -> Vec<OverlapCluster> {
    use petgraph::graphmap::UnGraphMap;
    let mut kinds: HashMap<&str, DocKind> = HashMap::new();
    let mut graph: UnGraphMap<&str, f32> = UnGraphMap::new();
    for pair in pairs {
        kinds.insert(pair.a.as_str(), DocKind::Need);
        kinds.entry(pair.b.as_str()).or_insert(pair.b_kind);
        graph.add_edge(pair.a.as_str(), pair.b.as_str(), pair.score);
    }
    // Component of every node by depth-first search, then one pass over the edges: linear in
    // the number of flagged pairs.
    let mut component_of: HashMap<&str, usize> = HashMap::new();
    let mut components: Vec<Vec<&str>> = Vec::new();
    let mut nodes: Vec<&str> = graph.nodes().collect();
    nodes.sort_unstable();
    for start in nodes {
        if component_of.contains_key(start) {
            continue;
        }
        let index = components.len();
        let mut members = Vec::new();
        let mut dfs = petgraph::visit::Dfs::new(&graph, start);
        while let Some(node) = dfs.next(&graph) {
            component_of.insert(node, index);
            members.push(node);
        }
        components.push(members);
    }
    let mut edges = vec![(0usize, 0.0f32); components.len()];
    for (a, _, score) in graph.all_edges() {
        if let Some(&index) = component_of.get(a) {
            edges[index].0 += 1;
            edges[index].1 = edges[index].1.max(*score);
        }
    }
    let mut clusters: Vec<OverlapCluster> = components
        .into_iter()
        .zip(edges)
        .map(|(ids, (pairs, score))| {
            let mut members: Vec<ClusterMember> = ids
                .into_iter()
                .map(|id| ClusterMember {
                    id: id.to_string(),
                    kind: kinds.get(id).copied().unwrap_or(DocKind::Need),
                })
                .collect();
            members.sort_by(|x, y| {
                (x.kind != DocKind::Need, &x.id).cmp(&(y.kind != DocKind::Need, &y.id))
            });
            OverlapCluster {
                members,
                pairs,
                score,
            }
        })
        .collect();
    clusters.sort_by(|x, y| {
        y.score
            .total_cmp(&x.score)
            .then_with(|| x.members[0].id.cmp(&y.members[0].id))
    });
    clusters
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(a: &str, b: &str, kind: DocKind, score: f32) -> OverlapPair {
        OverlapPair {
            a: a.into(),
            b: b.into(),
            b_kind: kind,
            score,
            signals: vec![Signal::Topic],
            topic: score,
            text: 0.0,
            semantic: 0.0,
            shared_terms: Vec::new(),
            status: None,
            decision: None,
        }
    }

    #[test]
    fn pairs_that_share_a_member_form_one_cluster() {
        let clusters = cluster_overlaps(&[
            pair("n1", "n2", DocKind::Need, 0.5),
            pair("n2", "p1", DocKind::Project, 0.8),
            pair("n3", "n4", DocKind::Need, 0.4),
        ]);
        assert_eq!(clusters.len(), 2);
        let ids: Vec<&str> = clusters[0].members.iter().map(|m| m.id.as_str()).collect();
        assert_eq!(ids, ["n1", "n2", "p1"]);
        assert_eq!(clusters[0].pairs, 2);
        assert!((clusters[0].score - 0.8).abs() < 1e-6);
        assert_eq!(clusters[1].members.len(), 2);
    }

    #[test]
    fn the_semantic_score_meets_the_threshold_at_the_calibrated_cosine() {
        assert!((semantic_score(SEMANTIC_OVERLAP_COSINE) - OVERLAP_THRESHOLD).abs() < 1e-6);
        assert!((semantic_score(1.0) - 1.0).abs() < 1e-6);
        assert!(semantic_score(0.95) > OVERLAP_THRESHOLD);
        assert!(semantic_score(0.90) < OVERLAP_THRESHOLD);
        assert_eq!(semantic_score(0.5), 0.0);
    }

    #[test]
    fn the_neighbour_graph_names_the_needs_and_projects_an_exact_scan_does() {
        // 300 needs and projects about 10 topics, and works near them that are never named.
        let mut state = 0x5eed_u64;
        let mut next = move || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        let topics: Vec<Vec<f32>> = (0..10).map(|_| (0..16).map(|_| next()).collect()).collect();
        let mut vector = |topic: usize| -> Vec<f32> {
            let v: Vec<f32> = topics[topic].iter().map(|c| c + 0.2 * next()).collect();
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.into_iter().map(|x| x / norm).collect()
        };
        let mut index = VectorIndex::new(16);
        let mut keys: Vec<VectorKey> = Vec::new();
        for i in 0..300 {
            let kind = if i % 3 == 0 {
                Kind::Project
            } else {
                Kind::Need
            };
            let key = (kind, format!("x{i}"));
            index
                .insert(key.clone(), &vector(i % 10))
                .expect("dimension");
            keys.push(key);
        }
        for w in 0..100 {
            index
                .insert((Kind::Work, format!("w{w}")), &vector(w % 10))
                .expect("dimension");
        }
        let queries: Vec<(usize, Vec<f32>)> = (0..300)
            .step_by(7)
            .filter_map(|i| Some((i, index.vector(&keys[i])?)))
            .collect();
        let exact = nearest_items(&index, &keys, &queries, u64::MAX).expect("exact");
        let graph = nearest_items(&index, &keys, &queries, 0).expect("graph");
        let (mut shared, mut total) = (0, 0);
        for ((i, _), (exact, graph)) in queries.iter().zip(exact.iter().zip(&graph)) {
            assert_eq!(exact.first().map(|n| n.0), Some(*i), "itself first");
            assert_eq!(graph.first().map(|n| n.0), Some(*i), "itself first");
            assert!(
                graph.iter().all(|&(j, _)| j < 300),
                "only needs and projects"
            );
            shared += graph
                .iter()
                .filter(|g| exact.iter().any(|e| e.0 == g.0))
                .count();
            total += exact.len();
        }
        assert!(shared * 10 >= total * 9, "{shared} of {total}");
    }

    #[test]
    fn no_pairs_no_clusters() {
        assert!(cluster_overlaps(&[]).is_empty());
    }
}
