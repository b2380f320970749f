//! Document-centric expert finding (Balog et al. 2006, "Model 2"): each work, project and
//! profile is scored against the need, and a researcher's score is built from the scores of the
//! documents they are associated with, not from one concatenated profile.

use serde::Serialize;
use std::collections::HashMap;

/// What kind of document a piece of evidence is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum EvidenceKind {
    /// A publication.
    Work,
    /// A project the researcher took part in.
    Project,
    /// The researcher's own keywords and bio.
    Profile,
}

/// One retrieved document and its relevance to the need.
#[derive(Debug, Clone, Serialize)]
pub struct Evidence {
    /// Kind of document.
    pub kind: EvidenceKind,
    /// Record id of the document (the researcher id for a profile).
    pub id: String,
    /// Title, for explanations.
    pub title: String,
    /// Year, for recency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Relevance of the document to the need: its BM25 score, or with sentence vectors the
    /// blend of BM25 and cosine (docs/matching.md).
    pub score: f32,
    /// Cosine of the need's and the document's sentence vectors, when both are embedded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub similarity: Option<f32>,
    /// The researchers it counts for, in author order.
    #[serde(skip)]
    pub people: Vec<String>,
    /// Words the document shares with the need (filled in for the evidence shown).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub matched_terms: Vec<String>,
    /// Concepts the document shares with the need in other words or another language, as
    /// `"need's word ↔ document's word"` (filled in for the evidence shown).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub bridged_terms: Vec<String>,
}

/// A suggested researcher with the evidence behind the score.
#[derive(Debug, Clone, Serialize)]
pub struct Suggestion {
    /// Researcher id.
    pub researcher: String,
    /// Aggregated score; higher is better.
    pub score: f32,
    /// The documents that contributed most, best first.
    pub evidence: Vec<Evidence>,
}

/// Weights of the aggregation.
#[derive(Debug, Clone)]
pub struct AggregationParams {
    /// How many of a researcher's documents count; beyond that, more documents add nothing, so
    /// a prolific generalist does not win on volume.
    pub docs_per_researcher: usize,
    /// Weight of the n-th best document is `1 / n^rank_decay`.
    pub rank_decay: f32,
    /// Weight of project evidence relative to a work.
    pub project_weight: f32,
    /// Weight of profile (keywords, bio) evidence relative to a work.
    pub profile_weight: f32,
    /// Half-life in years of a work's weight (floored at `recency_floor`).
    pub recency_half_life: f32,
    /// The least weight an old work keeps.
    pub recency_floor: f32,
    /// The year recency is measured from.
    pub current_year: i32,
    /// Weight of a co-author after the first relative to the first author.
    pub coauthor_weight: f32,
    /// How many evidence items each suggestion carries.
    pub evidence_shown: usize,
}

impl Default for AggregationParams {
    fn default() -> Self {
        AggregationParams {
            docs_per_researcher: 3,
            rank_decay: 1.0,
            project_weight: 1.0,
            profile_weight: 0.7,
            recency_half_life: 12.0,
            recency_floor: 0.5,
            current_year: 2026,
            coauthor_weight: 0.85,
            evidence_shown: 3,
        }
    }
}

impl AggregationParams {
    fn kind_weight(&self, kind: EvidenceKind) -> f32 {
        match kind {
            EvidenceKind::Work => 1.0,
            EvidenceKind::Project => self.project_weight,
            EvidenceKind::Profile => self.profile_weight,
        }
    }

    fn recency(&self, year: Option<i32>) -> f32 {
        let Some(year) = year else { return 1.0 };
        let age = (self.current_year - year).max(0) as f32;
        (0.5f32.powf(age / self.recency_half_life)).max(self.recency_floor)
    }
}

/// Aggregates evidence into suggestions, best first (ties broken by researcher id, so the
/// order is stable).
pub fn aggregate(evidence: &[Evidence], params: &AggregationParams) -> Vec<Suggestion> {
    // Per researcher: (weighted score, index into `evidence`).
    let mut per_researcher: HashMap<&str, Vec<(f32, usize)>> = HashMap::new();
    for (index, item) in evidence.iter().enumerate() {
        let base = item.score * params.kind_weight(item.kind) * params.recency(item.year);
        for (position, person) in item.people.iter().enumerate() {
            let authorship = if position == 0 || item.kind != EvidenceKind::Work {
                1.0
            } else {
                params.coauthor_weight
            };
            per_researcher
                .entry(person.as_str())
                .or_default()
                .push((base * authorship, index));
        }
    }
    let mut suggestions: Vec<Suggestion> = per_researcher
        .into_iter()
        .map(|(researcher, mut docs)| {
            docs.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
            let score = docs
                .iter()
                .take(params.docs_per_researcher)
                .enumerate()
                .map(|(rank, (s, _))| s / ((rank + 1) as f32).powf(params.rank_decay))
                .sum();
            let shown = docs
                .iter()
                .take(params.evidence_shown)
                .map(|&(_, i)| evidence[i].clone())
                .collect();
            Suggestion {
                researcher: researcher.to_string(),
                score,
                evidence: shown,
            }
        })
        .collect();
    suggestions.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| a.researcher.cmp(&b.researcher))
    });
    suggestions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn work(id: &str, score: f32, people: &[&str]) -> Evidence {
        Evidence {
            kind: EvidenceKind::Work,
            id: id.into(),
            title: id.into(),
            year: Some(2025),
            score,
            similarity: None,
            people: people.iter().map(|p| p.to_string()).collect(),
            matched_terms: Vec::new(),
            bridged_terms: Vec::new(),
        }
    }

    #[test]
    fn one_precise_work_beats_many_loose_ones_beyond_the_cap() {
        let params = AggregationParams {
            docs_per_researcher: 2,
            ..Default::default()
        };
        let mut evidence = vec![work("precise", 10.0, &["junior"])];
        for i in 0..10 {
            evidence.push(work(&format!("loose{i}"), 3.0, &["generalist"]));
        }
        let ranked = aggregate(&evidence, &params);
        assert_eq!(ranked[0].researcher, "junior");
        assert_eq!(ranked[1].evidence.len(), 3);
    }

    #[test]
    fn coauthors_share_a_work_and_first_author_weighs_more() {
        let ranked = aggregate(
            &[work("w", 5.0, &["a", "b"])],
            &AggregationParams::default(),
        );
        assert_eq!(ranked.len(), 2);
        assert_eq!(ranked[0].researcher, "a");
        assert!(ranked[0].score > ranked[1].score);
    }

    #[test]
    fn older_work_counts_less() {
        let mut old = work("old", 5.0, &["a"]);
        old.year = Some(1990);
        let ranked = aggregate(
            &[old, work("new", 5.0, &["b"])],
            &AggregationParams::default(),
        );
        assert_eq!(ranked[0].researcher, "b");
    }
}
