//! Matching: need → researchers, department → researchers, researcher → needs.
//!
//! Every path retrieves a bounded number of documents from the index (top-k evidence) and
//! aggregates them; nothing reads the whole corpus per query.

use crate::{Engine, Result, dates};
use kobler_core::{Kind, Need, NeedStatus, Record};
use kobler_matcher::assign::{Candidate, Caps, assign, greedy_capped};
use kobler_matcher::{AggregationParams, Evidence, EvidenceKind, aggregate};
use kobler_search::{DocKind, Hit, RetrieveFilter};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap, HashSet};

/// How many documents are retrieved as evidence for one need.
const EVIDENCE_DEPTH: usize = 400;
/// How many of a researcher's own works describe them when ranking needs for them.
const PROFILE_WORKS: usize = 30;
/// Suggestions per need that feed a department's pairing.
const DEPARTMENT_DEPTH: usize = 50;
/// Bonus per earlier project shared with the department (at most two count).
const COLLABORATION_BONUS: f32 = 0.15;

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
#[derive(Debug, Clone, Serialize)]
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
#[derive(Debug, Clone, Serialize)]
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

fn to_evidence(hit: &Hit) -> Option<Evidence> {
    Some(Evidence {
        kind: evidence_kind(hit.kind)?,
        id: hit.id.clone(),
        title: hit.title.clone(),
        year: hit.year,
        score: hit.score,
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
                return Err(crate::EngineError::NotFound(format!(
                    "unknown need {missing:?}"
                )));
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

    /// The top researchers for a need, each with the evidence behind them.
    pub async fn match_need(&self, need: &Need, top: usize) -> Result<Vec<ResearcherSuggestion>> {
        let text = need.text();
        let filter = RetrieveFilter {
            kinds: self.evidence_kinds(),
            status: None,
            distinctive_terms: None,
        };
        let hits = self.index.retrieve(&text, &filter, EVIDENCE_DEPTH)?;
        // The hits behind each piece of evidence, for explaining the few that are shown.
        let by_key: HashMap<(EvidenceKind, &str), &Hit> = hits
            .iter()
            .filter_map(|h| Some(((evidence_kind(h.kind)?, h.id.as_str()), h)))
            .collect();
        let evidence: Vec<Evidence> = hits.iter().filter_map(to_evidence).collect();
        let ranked = aggregate(&evidence, &self.params());
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
            for item in &mut suggestion.evidence {
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
                let suggestions = self.match_need(need, DEPARTMENT_DEPTH).await?;
                let best = suggestions
                    .first()
                    .map_or(1.0, |s| s.score.max(f32::EPSILON));
                for s in suggestions {
                    let normalised = s.score / best;
                    let entry = fit.entry(s.researcher).or_default();
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
            distinctive_terms: None,
        };
        let mut out = Vec::new();
        for id in ids {
            let Some(profile) = self.researcher_profile_text(&id).await? else {
                return Err(crate::EngineError::NotFound(format!(
                    "unknown researcher {id:?}"
                )));
            };
            let hits = self.index.retrieve(&profile, &filter, top)?;
            let needs = hits
                .into_iter()
                .map(|hit| RankedNeed {
                    matched_terms: self.index.shared_words(&hit.text(), &profile),
                    need: hit.id,
                    title: hit.title,
                    score: hit.score,
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
