//! Matching: need → researchers, department → researchers, researcher → needs.
//!
//! Every path retrieves a bounded number of documents from the index (top-k evidence) and
//! aggregates them; nothing reads the whole corpus per query.

use crate::{Engine, Result, Scoring, dates};
use kobler_core::{Kind, Lang, Need, NeedStatus, Record};
use kobler_matcher::assign::{Candidate, Caps, assign, greedy_capped};
use kobler_matcher::{AggregationParams, Evidence, EvidenceKind, Suggestion, aggregate};
use kobler_search::{DocKind, Hit, RetrieveFilter};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

/// How many documents are retrieved as evidence for one need.
const EVIDENCE_DEPTH: usize = 400;
/// How many of a researcher's own works describe them when ranking needs for them.
const PROFILE_WORKS: usize = 30;
/// Suggestions per need that feed a department's pairing.
const DEPARTMENT_DEPTH: usize = 50;
/// Bonus per earlier project shared with the department (at most two count).
const COLLABORATION_BONUS: f32 = 0.15;
/// How many documents nearest to the need's vector join the lexical evidence.
const SEMANTIC_DEPTH: usize = 200;
/// Weight of the lexical part of a blended score, a researcher's for a need or a need's for a
/// researcher (the semantic part weighs the rest); chosen on the dev set, see
/// docs/matching.md §Semantic blend.
const LEXICAL_WEIGHT: f32 = 0.6;
/// How many of a researcher's documents count in the semantic part: the best one alone, since
/// averaging punishes the researcher with one precise work (docs/semantic.md).
const SEMANTIC_DOCS: usize = 1;
/// How many open needs each side (lexical, semantic) proposes for "needs for me".
const NEEDS_FOR_ME_DEPTH: usize = 100;

/// A researcher suggested for a need.
#[derive(Debug, Clone, Serialize)]
pub struct ResearcherSuggestion {
    /// Researcher id.
    pub researcher: String,
    /// Researcher name.
    pub name: String,
    /// Score; higher is better (comparable within one need).
    pub score: f32,
    /// The works, projects and profile behind the score, best first.
    pub evidence: Vec<Evidence>,
}

/// The suggestions for one need.
#[derive(Debug, Clone, Serialize)]
pub struct NeedMatch {
    /// Need id.
    pub need: String,
    /// Best first.
    pub suggestions: Vec<ResearcherSuggestion>,
}

/// A researcher suggested for a department, and why.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DepartmentSuggestion {
    /// Researcher id.
    pub researcher: String,
    /// Researcher name.
    pub name: String,
    /// Score; higher is better.
    pub score: f32,
    /// The department's needs this researcher fits, with their normalised fit (0..1).
    pub needs: Vec<(String, f32)>,
    /// Earlier projects with this department that the researcher took part in.
    pub shared_projects: Vec<String>,
}

/// The suggestions for one municipal unit.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct DepartmentMatch {
    /// Unit id.
    pub unit: String,
    /// Best first.
    pub suggestions: Vec<DepartmentSuggestion>,
}

/// An open need ranked for a researcher.
#[derive(Debug, Clone, Serialize)]
pub struct RankedNeed {
    /// Need id.
    pub need: String,
    /// Need title.
    pub title: String,
    /// How well it fits the researcher; comparable across needs for the same researcher.
    pub score: f32,
    /// Words the need shares with the researcher's profile and works.
    pub matched_terms: Vec<String>,
    /// The best cosine of the need's sentence vector with the researcher's works, projects and
    /// profile, when they are embedded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
}

/// "Needs for me" for one researcher.
#[derive(Debug, Clone, Serialize)]
pub struct NeedForResearcher {
    /// Researcher id.
    pub researcher: String,
    /// Best first.
    pub needs: Vec<RankedNeed>,
}

fn evidence_kind(kind: DocKind) -> Option<EvidenceKind> {
    match kind {
        DocKind::Work => Some(EvidenceKind::Work),
        DocKind::Project => Some(EvidenceKind::Project),
        DocKind::Profile => Some(EvidenceKind::Profile),
        DocKind::Need => None,
    }
}

/// The store's kind of the record behind an index document.
pub(crate) fn record_kind(kind: DocKind) -> Kind {
    match kind {
        DocKind::Need => Kind::Need,
        DocKind::Work => Kind::Work,
        DocKind::Project => Kind::Project,
        DocKind::Profile => Kind::Researcher,
    }
}

/// The index's kind of document for a stored record's vector.
pub(crate) fn doc_kind(kind: Kind) -> Option<DocKind> {
    match kind {
        Kind::Need => Some(DocKind::Need),
        Kind::Work => Some(DocKind::Work),
        Kind::Project => Some(DocKind::Project),
        Kind::Researcher => Some(DocKind::Profile),
        Kind::Municipality | Kind::Unit => None,
    }
}

/// Retrieved documents with their cosine to the need, when both are embedded.
struct Retrieved {
    hits: Vec<Hit>,
    /// Each hit's cosine to the need, as the model that read it found it.
    similarity: Vec<Option<f32>>,
    /// The same cosine shifted for its language and rescaled onto 0..1 for the need
    /// ([`language_offsets`], [`CosineScale`]): what the blend adds up.
    semantic: Vec<Option<f32>>,
}

/// Blends each document's lexical score (BM25 over the best BM25) with its cosine
/// ([`CosineScale`]). A document without a vector (not embedded yet) keeps its lexical score
/// alone.
fn blend(hits: &mut [Hit], similarity: &[Option<f32>], lexical_weight: f32) {
    let best_lexical = hits
        .iter()
        .map(|h| h.score)
        .fold(0f32, f32::max)
        .max(f32::EPSILON);
    let cosines: Vec<f32> = similarity.iter().flatten().copied().collect();
    let Some(rescale) = CosineScale::of(&cosines) else {
        return;
    };
    for (hit, similarity) in hits.iter_mut().zip(similarity) {
        let lexical = hit.score / best_lexical;
        hit.score = match similarity {
            Some(cosine) => {
                lexical_weight * lexical + (1.0 - lexical_weight) * rescale.apply(*cosine)
            }
            None => lexical,
        };
    }
}

/// Documents of a language that a model's cosines are shifted for only when at least this many
/// of them are among a need's candidates: fewer give too rough a mean.
const MIN_LANGUAGE_GROUP: usize = 10;

/// What to add to one query's cosines, per language of the document (`[Norwegian and other,
/// English]`), so that each language's mean equals the mean over all of them. A multilingual
/// encoder puts texts of the query's own language closer than texts of another that say the same
/// (e5 gives a bokmål need's bokmål documents higher cosines than its English ones on the same
/// subject), and without this a researcher who publishes in English loses to one who publishes in
/// Norwegian on language alone. When either language has fewer than [`MIN_LANGUAGE_GROUP`]
/// documents among the candidates, nothing is shifted.
fn language_offsets(cosines: &[(bool, f32)]) -> [f32; 2] {
    let sum_of = |english: bool| {
        let group = language_group(cosines, english)?;
        Some((group.iter().sum::<f32>(), group.len() as f32))
    };
    let (Some((norwegian, n)), Some((english, e))) = (sum_of(false), sum_of(true)) else {
        return [0.0; 2];
    };
    let overall = (norwegian + english) / (n + e);
    [overall - norwegian / n, overall - english / e]
}

/// The values of the documents in English (`english`) or not, or `None` when fewer than
/// [`MIN_LANGUAGE_GROUP`] are: too few to judge a language by.
fn language_group(values: &[(bool, f32)], english: bool) -> Option<Vec<f32>> {
    let group: Vec<f32> = values
        .iter()
        .filter(|&&(e, _)| e == english)
        .map(|&(_, value)| value)
        .collect();
    (group.len() >= MIN_LANGUAGE_GROUP).then_some(group)
}

/// How many of a language's best BM25 scores measure its strength for a need.
const LEXICAL_BALANCE_DEPTH: usize = 10;
/// The most a language's BM25 scores are lifted by ([`lexical_language_factors`]).
const LEXICAL_BALANCE_CAP: f32 = 1.25;

/// What to multiply one query's BM25 scores by, per language of the document (`[Norwegian and
/// other, English]`), so that the weaker language's best [`LEXICAL_BALANCE_DEPTH`] scores average
/// as high as the stronger's, lifted by at most [`LEXICAL_BALANCE_CAP`]. A document in the
/// need's own language matches on every word; one in the other language only on the words the
/// thesaurus bridges, so without this the researcher who writes in the need's language wins on
/// language alone. Used in the blend only, where the cosines check what it lifts: alone it lifts
/// thesaurus noise too (docs/matching.md §One footing across languages). Nothing changes while
/// either language has fewer than [`MIN_LANGUAGE_GROUP`] candidates.
fn lexical_language_factors(scores: &[(bool, f32)]) -> [f32; 2] {
    let strength = |english: bool| {
        let mut group = language_group(scores, english)?;
        group.sort_by(|a, b| b.total_cmp(a));
        let best = &group[..LEXICAL_BALANCE_DEPTH.min(group.len())];
        Some(best.iter().sum::<f32>() / best.len() as f32).filter(|&mean| mean > 0.0)
    };
    let (Some(norwegian), Some(english)) = (strength(false), strength(true)) else {
        return [1.0; 2];
    };
    let stronger = norwegian.max(english);
    [
        (stronger / norwegian).min(LEXICAL_BALANCE_CAP),
        (stronger / english).min(LEXICAL_BALANCE_CAP),
    ]
}

/// Maps cosines onto 0..1 for one query: the best document to 1, the `SEMANTIC_DEPTH`-th
/// nearest (or the last, when there are fewer) to 0. Cosines of one model sit in a narrow band
/// (e5's mostly between 0.7 and 0.9), so they need spreading before they are added to BM25.
struct CosineScale {
    floor: f32,
    spread: f32,
}

impl CosineScale {
    fn of(cosines: &[f32]) -> Option<CosineScale> {
        let mut sorted = cosines.to_vec();
        sorted.sort_by(|a, b| b.total_cmp(a));
        let top = *sorted.first()?;
        let floor = sorted[SEMANTIC_DEPTH.min(sorted.len()) - 1];
        Some(CosineScale {
            floor,
            spread: (top - floor).max(f32::EPSILON),
        })
    }

    fn apply(&self, cosine: f32) -> f32 {
        ((cosine - self.floor) / self.spread).clamp(0.0, 1.0)
    }
}

fn to_evidence(hit: &Hit, similarity: Option<f32>) -> Option<Evidence> {
    Some(Evidence {
        kind: evidence_kind(hit.kind)?,
        id: hit.id.clone(),
        title: hit.title.clone(),
        year: hit.year,
        score: hit.score,
        similarity,
        people: hit.people.clone(),
        matched_terms: Vec::new(),
        bridged_terms: Vec::new(),
    })
}

impl Engine {
    fn params(&self) -> AggregationParams {
        let defaults = AggregationParams::default();
        AggregationParams {
            current_year: dates::this_year(),
            recency_floor: if self.options.recency {
                defaults.recency_floor
            } else {
                1.0
            },
            ..defaults
        }
    }

    fn evidence_kinds(&self) -> Vec<DocKind> {
        let mut kinds = vec![DocKind::Work];
        if self.options.projects {
            kinds.push(DocKind::Project);
        }
        if self.options.profiles {
            kinds.push(DocKind::Profile);
        }
        kinds
    }

    /// The open needs with these ids, or every open need when `ids` is empty. Unknown ids are
    /// an error, so a typo is not silently an empty answer.
    pub async fn needs_to_match(&self, ids: &[String]) -> Result<Vec<Need>> {
        let records = if ids.is_empty() {
            self.store.list(Kind::Need).await?
        } else {
            let found = self.store.get_many(Kind::Need, ids).await?;
            let known: HashSet<&str> = found.iter().map(Record::id).collect();
            if let Some(missing) = ids.iter().find(|id| !known.contains(id.as_str())) {
                return Err(crate::EngineError::unknown_need(missing));
            }
            found
        };
        let mut needs: Vec<Need> = records
            .into_iter()
            .filter_map(|r| match r {
                Record::Need(n) if ids.is_empty() => (n.status == NeedStatus::Open).then_some(n),
                Record::Need(n) => Some(n),
                _ => None,
            })
            .collect();
        needs.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(needs)
    }

    /// The evidence for a need: the documents the index finds for its text and, with sentence
    /// vectors, the documents nearest to its vector, each scored as `self.options.scoring` says.
    ///
    /// A document's cosine comes from a model that reads its language: the need's own model
    /// where it does, else the multilingual one (an English need is read by MiniLM, which knows
    /// no Norwegian, so its Norwegian documents are compared under e5). Each model's cosines are
    /// put on one footing across languages ([`language_offsets`]) and then rescaled on their own
    /// ([`CosineScale`]), so every document meets the others on one scale.
    async fn retrieve_evidence(&self, need: &Need, text: &str) -> Result<Retrieved> {
        let kinds = self.evidence_kinds();
        let scoring = self.options.scoring;
        let readers = match scoring {
            Scoring::Lexical => Vec::new(),
            Scoring::Semantic | Scoring::Blend => self.need_readers(need).await?,
        };
        let mut hits = if scoring == Scoring::Semantic && !readers.is_empty() {
            Vec::new()
        } else {
            let filter = RetrieveFilter {
                kinds: kinds.clone(),
                status: None,
            };
            self.index.retrieve(text, &filter, EVIDENCE_DEPTH)?
        };
        if scoring == Scoring::Blend && !readers.is_empty() {
            let scores: Vec<(bool, f32)> =
                hits.iter().map(|h| (h.lang == Lang::En, h.score)).collect();
            let factors = lexical_language_factors(&scores);
            for hit in &mut hits {
                hit.score *= factors[usize::from(hit.lang == Lang::En)];
            }
        }
        // Each model's nearest documents are candidates too.
        let wanted = |kind: Kind| doc_kind(kind).is_some_and(|k| kinds.contains(&k));
        let mut known: HashSet<(DocKind, String)> =
            hits.iter().map(|h| (h.kind, h.id.clone())).collect();
        let mut missing: Vec<(DocKind, String)> = Vec::new();
        for reader in &readers {
            let nearest = self
                .with_vectors(reader.model, |index| {
                    index.nearest(&reader.vector, SEMANTIC_DEPTH, |(kind, _)| wanted(*kind))
                })
                .await?
                .unwrap_or_default();
            for ((kind, id), _) in nearest {
                if let Some(kind) = doc_kind(kind)
                    && known.insert((kind, id.clone()))
                {
                    missing.push((kind, id));
                }
            }
        }
        let keys: Vec<(DocKind, &str)> = missing.iter().map(|(k, id)| (*k, id.as_str())).collect();
        hits.extend(self.index.documents(&keys)?);

        // Which reader compares the need with each document, and the cosine it finds.
        let reader_of: Vec<Option<usize>> = hits
            .iter()
            .map(|hit| readers.iter().position(|r| r.model.reads(hit.lang)))
            .collect();
        let mut similarity = vec![None; hits.len()];
        for (r, reader) in readers.iter().enumerate() {
            self.with_vectors(reader.model, |index| {
                for (i, hit) in hits.iter().enumerate() {
                    if reader_of[i] == Some(r) {
                        let key = (record_kind(hit.kind), hit.id.clone());
                        similarity[i] = index.similarity(&reader.vector, &key);
                    }
                }
            })
            .await?;
        }

        // Per reader: cosines shifted so each language's mean is the reader's mean, then
        // rescaled onto 0..1.
        let mut semantic = vec![None; hits.len()];
        for r in 0..readers.len() {
            let members: Vec<usize> = (0..hits.len())
                .filter(|&i| reader_of[i] == Some(r) && similarity[i].is_some())
                .collect();
            let cosines: Vec<(bool, f32)> = members
                .iter()
                .filter_map(|&i| Some((hits[i].lang == Lang::En, similarity[i]?)))
                .collect();
            let offsets = language_offsets(&cosines);
            let adjusted: Vec<f32> = cosines
                .iter()
                .map(|&(english, cosine)| cosine + offsets[usize::from(english)])
                .collect();
            let Some(scale) = CosineScale::of(&adjusted) else {
                continue;
            };
            for (&i, cosine) in members.iter().zip(adjusted) {
                semantic[i] = Some(scale.apply(cosine));
            }
        }
        Ok(Retrieved {
            hits,
            similarity,
            semantic,
        })
    }

    /// Researchers ranked by their evidence: lexically (BM25, document-centric top-k), or with
    /// sentence vectors by a blend of that and their best document's cosine, each part divided
    /// by its best researcher's so the two are on one scale.
    ///
    /// `semantic` holds each evidence item's rescaled cosine ([`Retrieved::semantic`]).
    fn rank(&self, evidence: &[Evidence], semantic: &[Option<f32>]) -> Vec<Suggestion> {
        let params = self.params();
        let scoring = self.options.scoring;
        let semantic_evidence: Vec<Evidence> = evidence
            .iter()
            .zip(semantic)
            .filter_map(|(e, semantic)| {
                let mut e = e.clone();
                e.score = (*semantic)?;
                Some(e)
            })
            .collect();
        if semantic_evidence.is_empty() || scoring == Scoring::Lexical {
            return aggregate(evidence, &params);
        }
        let semantic = aggregate(
            &semantic_evidence,
            &AggregationParams {
                docs_per_researcher: SEMANTIC_DOCS,
                ..params.clone()
            },
        );
        let lexical_weight = if scoring == Scoring::Semantic {
            0.0
        } else {
            LEXICAL_WEIGHT
        };
        let lexical = if lexical_weight > 0.0 {
            aggregate(evidence, &params)
        } else {
            Vec::new()
        };
        // Researchers with at least one embedded document; the others (not embedded yet) keep
        // their lexical score for both parts.
        let embedded: HashSet<&str> = evidence
            .iter()
            .filter(|e| e.similarity.is_some())
            .flat_map(|e| e.people.iter().map(String::as_str))
            .collect();
        let best = |list: &[Suggestion]| list.first().map_or(1.0, |s| s.score.max(f32::EPSILON));
        let (best_lexical, best_semantic) = (best(&lexical), best(&semantic));
        let mut combined: HashMap<String, (f32, f32, Vec<Evidence>)> = HashMap::new();
        for s in lexical {
            combined.insert(s.researcher, (s.score / best_lexical, 0.0, s.evidence));
        }
        for s in semantic {
            let entry = combined.entry(s.researcher).or_default();
            entry.1 = s.score / best_semantic;
            for item in s.evidence {
                if !entry
                    .2
                    .iter()
                    .any(|e| e.kind == item.kind && e.id == item.id)
                {
                    entry.2.push(item);
                }
            }
        }
        let mut ranked: Vec<Suggestion> = combined
            .into_iter()
            .map(|(researcher, (lexical, semantic, mut evidence))| {
                let semantic = if embedded.contains(researcher.as_str()) {
                    semantic
                } else {
                    lexical
                };
                evidence.truncate(params.evidence_shown);
                Suggestion {
                    score: lexical_weight * lexical + (1.0 - lexical_weight) * semantic,
                    researcher,
                    evidence,
                }
            })
            .collect();
        ranked.sort_by(|a, b| {
            b.score
                .total_cmp(&a.score)
                .then_with(|| a.researcher.cmp(&b.researcher))
        });
        ranked
    }

    /// The top researchers for a need, each with the evidence behind them.
    pub async fn match_need(&self, need: &Need, top: usize) -> Result<Vec<ResearcherSuggestion>> {
        self.match_need_with(need, top, true).await
    }

    /// [`Engine::match_need`]; without `explain`, the evidence's shared words and bridges are
    /// left empty (what department matching needs is the scores, for every open need).
    async fn match_need_with(
        &self,
        need: &Need,
        top: usize,
        explain: bool,
    ) -> Result<Vec<ResearcherSuggestion>> {
        let text = need.text();
        let Retrieved {
            hits,
            similarity,
            semantic,
        } = self.retrieve_evidence(need, &text).await?;
        // The hits behind each piece of evidence, for explaining the few that are shown.
        let by_key: HashMap<(EvidenceKind, &str), &Hit> = hits
            .iter()
            .filter_map(|h| Some(((evidence_kind(h.kind)?, h.id.as_str()), h)))
            .collect();
        let (evidence, semantic): (Vec<Evidence>, Vec<Option<f32>>) = hits
            .iter()
            .zip(similarity)
            .zip(semantic)
            .filter_map(|((hit, similarity), semantic)| {
                Some((to_evidence(hit, similarity)?, semantic))
            })
            .unzip();
        let ranked = self.rank(&evidence, &semantic);
        // Only researchers that exist are suggested; look up a few more than needed.
        let candidates: Vec<String> = ranked
            .iter()
            .take(top * 2 + 10)
            .map(|s| s.researcher.clone())
            .collect();
        let names = self.researcher_names(&candidates).await?;
        let mut out = Vec::with_capacity(top);
        // The need is analysed once for all the evidence it is compared with.
        let need_analysed = self.index.analyse_text(&text);
        for mut suggestion in ranked
            .into_iter()
            .filter(|s| names.contains_key(&s.researcher))
            .take(top)
        {
            for item in suggestion.evidence.iter_mut().filter(|_| explain) {
                if let Some(hit) = by_key.get(&(item.kind, item.id.as_str())) {
                    let doc_text = hit.text();
                    item.matched_terms = self.index.shared_words_between(
                        (&self.index.analyse_text(&doc_text), &doc_text),
                        (&need_analysed, &text),
                    );
                    item.bridged_terms = self.index.bridged_terms(&text, &doc_text);
                }
            }
            out.push(ResearcherSuggestion {
                name: names
                    .get(&suggestion.researcher)
                    .cloned()
                    .unwrap_or_default(),
                researcher: suggestion.researcher,
                score: suggestion.score,
                evidence: suggestion.evidence,
            });
        }
        Ok(out)
    }

    /// What a need's matches are computed from: its text and the evidence generation.
    fn match_stamp(&self, need: &Need) -> (u64, u64) {
        (
            crate::derived::text_hash(&need.text()),
            self.derived.generations().evidence,
        )
    }

    /// A need's researchers and scores at the department depth, cached while the need's text
    /// and the evidence stay the same: department matches then cost a new or changed need's
    /// own match only.
    async fn need_fits(&self, need: &Need) -> Result<Arc<Vec<(String, f32)>>> {
        let stamp = self.match_stamp(need);
        if let Some(fits) = self.derived.need_fits.get(&need.id, &stamp) {
            return Ok(fits);
        }
        let fits: Arc<Vec<(String, f32)>> = Arc::new(
            self.match_need_with(need, DEPARTMENT_DEPTH, false)
                .await?
                .into_iter()
                .map(|s| (s.researcher, s.score))
                .collect(),
        );
        self.derived
            .need_fits
            .put(need.id.clone(), stamp, fits.clone());
        Ok(fits)
    }

    /// [`Engine::match_need`], cached while the need's text and the evidence stay the same (what
    /// a server answers for a need's page).
    pub async fn need_matches(
        &self,
        need: &Need,
        top: usize,
    ) -> Result<Arc<Vec<ResearcherSuggestion>>> {
        let key = (need.id.clone(), top);
        let stamp = self.match_stamp(need);
        if let Some(matches) = self.derived.need_matches.get(&key, &stamp) {
            return Ok(matches);
        }
        let need = need.clone();
        let matches = Arc::new(
            self.offload(move |engine| async move { engine.match_need(&need, top).await })
                .await?,
        );
        self.derived.need_matches.put(key, stamp, matches.clone());
        Ok(matches)
    }

    async fn researcher_names(&self, ids: &[String]) -> Result<HashMap<String, String>> {
        Ok(self
            .store
            .get_many(Kind::Researcher, ids)
            .await?
            .into_iter()
            .filter_map(|r| match r {
                Record::Researcher(r) => Some((r.id, r.name)),
                _ => None,
            })
            .collect())
    }

    /// Matches each of the given open needs (all open needs when `ids` is empty).
    pub async fn match_needs(&self, ids: &[String], top: usize) -> Result<Vec<NeedMatch>> {
        let mut out = Vec::new();
        for need in self.needs_to_match(ids).await? {
            let suggestions = self.match_need(&need, top).await?;
            out.push(NeedMatch {
                need: need.id,
                suggestions,
            });
        }
        Ok(out)
    }

    /// Matches needs like [`Engine::match_needs`], then spreads the suggestions so that no
    /// researcher is suggested for more than `max_per_researcher` needs in this run: greedily
    /// (best pairs first), or with `global` by the assignment that maximises the total fit
    /// (min-cost flow). Each need's scores are divided by its best score first, so that every
    /// need counts alike whatever the length of its text.
    pub async fn match_needs_spread(
        &self,
        ids: &[String],
        top: usize,
        max_per_researcher: usize,
        global: bool,
    ) -> Result<Vec<NeedMatch>> {
        let depth = (top * 3).max(top + 20);
        let full = self.match_needs(ids, depth).await?;
        let mut candidates = Vec::new();
        let mut by_pair: HashMap<(String, String), ResearcherSuggestion> = HashMap::new();
        for matched in &full {
            let best = matched
                .suggestions
                .first()
                .map_or(1.0, |s| s.score.max(f32::EPSILON));
            for s in &matched.suggestions {
                candidates.push(Candidate {
                    need: matched.need.clone(),
                    researcher: s.researcher.clone(),
                    score: s.score / best,
                });
                by_pair.insert((matched.need.clone(), s.researcher.clone()), s.clone());
            }
        }
        let caps = Caps {
            per_need: top,
            per_researcher: max_per_researcher,
        };
        let mut chosen = if global {
            assign(&candidates, caps)
        } else {
            greedy_capped(&candidates, caps)
        };
        Ok(full
            .into_iter()
            .map(|matched| {
                let picked = chosen.remove(&matched.need).unwrap_or_default();
                let mut suggestions: Vec<ResearcherSuggestion> = picked
                    .into_iter()
                    .filter_map(|c| by_pair.remove(&(c.need, c.researcher)))
                    .collect();
                suggestions.sort_by(|a, b| {
                    b.score
                        .total_cmp(&a.score)
                        .then_with(|| a.researcher.cmp(&b.researcher))
                });
                NeedMatch {
                    need: matched.need,
                    suggestions,
                }
            })
            .collect())
    }

    /// Researcher–department pairings: each researcher's fit to the department's open needs
    /// (each need normalised so that every need counts alike), plus earlier collaboration.
    /// Pairings a coordinator rejected are left out.
    pub async fn match_departments(
        &self,
        unit_ids: &[String],
        top: usize,
    ) -> Result<Vec<DepartmentMatch>> {
        let open = self.needs_to_match(&[]).await?;
        let mut by_unit: BTreeMap<String, Vec<Need>> = BTreeMap::new();
        for need in open {
            if let Some(unit) = need.unit.clone() {
                by_unit.entry(unit).or_default().push(need);
            }
        }
        let units: Vec<String> = if unit_ids.is_empty() {
            by_unit.keys().cloned().collect()
        } else {
            let known = self.store.existing_ids(Kind::Unit, unit_ids).await?;
            if let Some(missing) = unit_ids.iter().find(|u| !known.contains(*u)) {
                return Err(crate::EngineError::NotFound(format!(
                    "unknown unit {missing:?}"
                )));
            }
            unit_ids.to_vec()
        };
        // Feedback: a pairing a coordinator rejected is not suggested again.
        let rejected: HashSet<(String, String)> =
            self.rejected_pairings().await?.into_iter().collect();
        let mut out = Vec::new();
        for unit in units {
            let needs = by_unit.get(&unit).map(Vec::as_slice).unwrap_or(&[]);
            let mut fit: HashMap<String, (f32, Vec<(String, f32)>)> = HashMap::new();
            for need in needs {
                let fits = self.need_fits(need).await?;
                let best = fits
                    .first()
                    .map_or(1.0, |(_, score)| score.max(f32::EPSILON));
                for (researcher, score) in fits.iter() {
                    let normalised = score / best;
                    let entry = fit.entry(researcher.clone()).or_default();
                    entry.0 += normalised;
                    entry.1.push((need.id.clone(), normalised));
                }
            }
            let mut shared: HashMap<String, Vec<String>> = HashMap::new();
            let project_ids = self.store.referring(Kind::Project, "units", &unit).await?;
            for record in self.store.get_many(Kind::Project, &project_ids).await? {
                if let Record::Project(p) = record {
                    for person in p.participants {
                        shared.entry(person).or_default().push(p.id.clone());
                    }
                }
            }
            let count = needs.len().max(1) as f32;
            let mut suggestions: Vec<DepartmentSuggestion> = fit
                .into_iter()
                .filter(|(researcher, _)| !rejected.contains(&(unit.clone(), researcher.clone())))
                .map(|(researcher, (sum, needs))| {
                    let projects = shared.get(&researcher).cloned().unwrap_or_default();
                    let bonus = COLLABORATION_BONUS * projects.len().min(2) as f32;
                    DepartmentSuggestion {
                        researcher,
                        name: String::new(),
                        score: sum / count + bonus,
                        needs,
                        shared_projects: projects,
                    }
                })
                .collect();
            suggestions.sort_by(|a, b| {
                b.score
                    .total_cmp(&a.score)
                    .then_with(|| a.researcher.cmp(&b.researcher))
            });
            suggestions.truncate(top);
            let ids: Vec<String> = suggestions.iter().map(|s| s.researcher.clone()).collect();
            let names = self.researcher_names(&ids).await?;
            for s in &mut suggestions {
                s.name = names.get(&s.researcher).cloned().unwrap_or_default();
            }
            out.push(DepartmentMatch { unit, suggestions });
        }
        Ok(out)
    }

    /// The text that describes a researcher: keywords, bio, and the titles of their most recent
    /// works and projects.
    async fn researcher_profile_text(&self, id: &str) -> Result<Option<String>> {
        let Some(Record::Researcher(researcher)) = self.store.get(Kind::Researcher, id).await?
        else {
            return Ok(None);
        };
        let mut parts = researcher.keywords.clone();
        parts.extend(researcher.bio.clone());
        let work_ids = self.store.referring(Kind::Work, "authors", id).await?;
        let mut works: Vec<(i32, String)> = self
            .store
            .get_many(Kind::Work, &work_ids)
            .await?
            .into_iter()
            .filter_map(|r| match r {
                Record::Work(w) => Some((
                    w.year.unwrap_or(0),
                    format!("{}. {}", w.title, w.keywords.join(", ")),
                )),
                _ => None,
            })
            .collect();
        works.sort_by_key(|w| std::cmp::Reverse(w.0));
        parts.extend(works.into_iter().take(PROFILE_WORKS).map(|(_, text)| text));
        let project_ids = self
            .store
            .referring(Kind::Project, "participants", id)
            .await?;
        for record in self.store.get_many(Kind::Project, &project_ids).await? {
            if let Record::Project(p) = record {
                parts.push(p.title);
            }
        }
        Ok(Some(parts.join("\n")))
    }

    /// Open needs by the best cosine of their vector with any of the researcher's embedded
    /// works, projects and profile (the `depth` best per document). All needs are compared
    /// with one model, the one for [`Lang::Other`] (the multilingual one when installed), so
    /// that a researcher's scores are comparable across needs of every language. `None` without
    /// models or vectors.
    async fn needs_near_researcher(
        &self,
        researcher: &str,
        open_needs: &HashSet<String>,
        depth: usize,
    ) -> Result<Option<HashMap<String, f32>>> {
        let Some(model) = self
            .semantic
            .as_ref()
            .and_then(|s| s.model_for(Lang::Other))
        else {
            return Ok(None);
        };
        let mut keys: Vec<(Kind, String)> = vec![(Kind::Researcher, researcher.to_string())];
        for (kind, field) in [(Kind::Work, "authors"), (Kind::Project, "participants")] {
            for id in self.store.referring(kind, field, researcher).await? {
                keys.push((kind, id));
            }
        }
        self.with_vectors(model, |index| {
            let mut best: HashMap<String, f32> = HashMap::new();
            for key in &keys {
                let Some(vector) = index.vector(key) else {
                    continue;
                };
                let nearest = index.nearest(&vector, depth, |(kind, id)| {
                    *kind == Kind::Need && open_needs.contains(id)
                });
                for ((_, need), cosine) in nearest {
                    let entry = best.entry(need).or_insert(cosine);
                    *entry = entry.max(cosine);
                }
            }
            best
        })
        .await
    }

    /// "Needs for me": open needs ranked for each researcher (all researchers when `ids` is
    /// empty). One query per researcher, built from their own profile, so one researcher's
    /// scores are comparable across needs.
    pub async fn match_researchers(
        &self,
        ids: &[String],
        top: usize,
    ) -> Result<Vec<NeedForResearcher>> {
        let ids: Vec<String> = if ids.is_empty() {
            self.store
                .list(Kind::Researcher)
                .await?
                .iter()
                .map(|r| r.id().to_string())
                .collect()
        } else {
            ids.to_vec()
        };
        let filter = RetrieveFilter {
            kinds: vec![DocKind::Need],
            status: Some(NeedStatus::Open.as_str().into()),
        };
        // Read from the index (never a listing of every need), and only when vectors are used.
        let open_needs: HashSet<String> = match self.options.scoring {
            Scoring::Lexical => HashSet::new(),
            _ if self.semantic.is_none() => HashSet::new(),
            _ => self.index.need_ids_with_status(NeedStatus::Open)?,
        };
        let depth = top.max(NEEDS_FOR_ME_DEPTH);
        let mut out = Vec::new();
        for id in ids {
            let Some(profile) = self.researcher_profile_text(&id).await? else {
                return Err(crate::EngineError::NotFound(format!(
                    "unknown researcher {id:?}"
                )));
            };
            let mut hits = match self.options.scoring {
                Scoring::Semantic if self.semantic.is_some() => Vec::new(),
                _ => self.index.retrieve(&profile, &filter, depth)?,
            };
            let mut similarity = vec![None; hits.len()];
            if self.options.scoring != Scoring::Lexical
                && let Some(fits) = self.needs_near_researcher(&id, &open_needs, depth).await?
            {
                let mut known: HashMap<String, usize> = HashMap::new();
                for (i, hit) in hits.iter().enumerate() {
                    known.insert(hit.id.clone(), i);
                }
                let missing: Vec<&str> = fits
                    .keys()
                    .filter(|need| !known.contains_key(*need))
                    .map(String::as_str)
                    .collect();
                let keys: Vec<(DocKind, &str)> =
                    missing.iter().map(|need| (DocKind::Need, *need)).collect();
                hits.extend(self.index.documents(&keys)?);
                similarity = hits.iter().map(|h| fits.get(&h.id).copied()).collect();
                let weight = if self.options.scoring == Scoring::Semantic {
                    0.0
                } else {
                    LEXICAL_WEIGHT
                };
                blend(&mut hits, &similarity, weight);
            }
            let mut ranked: Vec<(Hit, Option<f32>)> = hits.into_iter().zip(similarity).collect();
            ranked.sort_by(|a, b| {
                b.0.score
                    .total_cmp(&a.0.score)
                    .then_with(|| a.0.id.cmp(&b.0.id))
            });
            let needs = ranked
                .into_iter()
                .take(top)
                .map(|(hit, similarity)| RankedNeed {
                    matched_terms: self.index.shared_words(&hit.text(), &profile),
                    need: hit.id,
                    title: hit.title,
                    score: hit.score,
                    similarity,
                })
                .collect();
            out.push(NeedForResearcher {
                researcher: id,
                needs,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `count` cosines around `mean`, English or not.
    fn group(english: bool, mean: f32, count: usize) -> Vec<(bool, f32)> {
        (0..count)
            .map(|i| (english, mean + if i % 2 == 0 { 0.01 } else { -0.01 }))
            .collect()
    }

    #[test]
    fn the_weaker_language_is_lifted_towards_the_stronger_within_the_cap() {
        let mut scores: Vec<(bool, f32)> = (0..12).map(|_| (false, 10.0)).collect();
        scores.extend((0..12).map(|_| (true, 9.0)));
        let [norwegian, english] = lexical_language_factors(&scores);
        assert_eq!(norwegian, 1.0, "the stronger language is left as it is");
        assert!((english - 10.0 / 9.0).abs() < 1e-6, "{english}");
        // Far weaker: lifted by the cap only.
        let weak: Vec<(bool, f32)> = scores
            .iter()
            .map(|&(e, s)| (e, if e { 1.0 } else { s }))
            .collect();
        assert_eq!(lexical_language_factors(&weak), [1.0, LEXICAL_BALANCE_CAP]);
        // Too few English candidates to judge by: nothing changes.
        assert_eq!(lexical_language_factors(&scores[..15]), [1.0, 1.0]);
    }

    #[test]
    fn language_offsets_bring_each_language_to_the_common_mean() {
        let mut cosines = group(false, 0.86, 30);
        cosines.extend(group(true, 0.80, 10));
        let [norwegian, english] = language_offsets(&cosines);
        // The overall mean is (30 × 0.86 + 10 × 0.80) / 40 = 0.845.
        assert!((norwegian - -0.015).abs() < 1e-4, "{norwegian}");
        assert!((english - 0.045).abs() < 1e-4, "{english}");
        let shifted_mean = |of_english: bool| {
            let offset = if of_english { english } else { norwegian };
            let values: Vec<f32> = cosines
                .iter()
                .filter(|c| c.0 == of_english)
                .map(|c| c.1 + offset)
                .collect();
            values.iter().sum::<f32>() / values.len() as f32
        };
        assert!((shifted_mean(false) - shifted_mean(true)).abs() < 1e-4);
    }

    #[test]
    fn nothing_is_shifted_while_a_language_has_few_candidates() {
        let mut cosines = group(false, 0.86, 30);
        cosines.extend(group(true, 0.70, MIN_LANGUAGE_GROUP - 1));
        assert_eq!(language_offsets(&cosines), [0.0, 0.0]);
        assert_eq!(language_offsets(&group(false, 0.8, 30)), [0.0, 0.0]);
        assert_eq!(language_offsets(&[]), [0.0, 0.0]);
    }
}
