//! Overlap detection: needs that ask the same as another need or as a project.
//!
//! Each need is used as a query against needs and projects (top-k only, so the whole check
//! grows linearly with the number of needs). A pair's score is the other document's retrieval
//! score relative to the need's score against itself, so it lies in about [0, 1] whatever the
//! length of the need.

use crate::{Engine, Result};
use kobler_core::{Need, NeedStatus};
use kobler_search::{DocKind, Hit, RetrieveFilter};
use serde::Serialize;
use std::collections::HashMap;

/// Pairs scoring at least this are flagged.
pub const OVERLAP_THRESHOLD: f32 = 0.25;
/// Candidates retrieved per need.
const CANDIDATES: usize = 20;

/// Two needs, or a need and a project, that cover the same ground.
#[derive(Debug, Clone, Serialize)]
pub struct OverlapPair {
    /// A need id.
    pub a: String,
    /// A need or project id.
    pub b: String,
    /// `need` or `project`.
    pub b_kind: DocKind,
    /// Similarity in about [0, 1]; higher is more alike.
    pub score: f32,
    /// Words both texts use (as the need writes them).
    pub shared_terms: Vec<String>,
    /// The project's status, for need–project pairs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
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
    /// Similarity in about [0, 1].
    pub score: f32,
    /// Words both texts use.
    pub shared_terms: Vec<String>,
    /// Its status.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

fn considered(need: &Need) -> bool {
    matches!(need.status, NeedStatus::Open | NeedStatus::Matched)
}

impl Engine {
    /// Needs and projects similar to `need`, most similar first, down to `threshold`.
    pub fn similar_to(&self, need: &Need, threshold: f32) -> Result<Vec<Similar>> {
        let text = format!("{}\n{}", need.title, need.description);
        let filter = RetrieveFilter {
            kinds: vec![DocKind::Need, DocKind::Project],
            status: None,
        };
        let hits = self.index.retrieve(&text, &filter, CANDIDATES + 1)?;
        let self_score = self_score(need, &hits);
        Ok(hits
            .into_iter()
            .filter(|h| !(h.kind == DocKind::Need && h.id == need.id))
            .filter(|h| {
                h.kind != DocKind::Need
                    || !matches!(h.status.as_deref(), Some("draft") | Some("closed"))
            })
            .filter_map(|h| {
                let score = (h.score / self_score).min(1.0);
                (score >= threshold).then(|| Similar {
                    shared_terms: self
                        .index
                        .shared_words(&text, &format!("{}\n{}", h.title, h.body)),
                    id: h.id,
                    kind: h.kind,
                    title: h.title,
                    score,
                    status: h.status,
                })
            })
            .collect())
    }

    /// Every pair over open and matched needs and all projects scoring at least `threshold`
    /// ([`OVERLAP_THRESHOLD`] is the calibrated default), best first.
    pub async fn overlaps(&self, threshold: f32) -> Result<Vec<OverlapPair>> {
        let needs = self.store.list(kobler_core::Kind::Need).await?;
        let mut pairs: HashMap<(String, String), OverlapPair> = HashMap::new();
        for record in needs {
            let kobler_core::Record::Need(need) = record else {
                continue;
            };
            if !considered(&need) {
                continue;
            }
            for similar in self.similar_to(&need, threshold)? {
                let (a, b) = if similar.kind == DocKind::Need && similar.id < need.id {
                    (similar.id.clone(), need.id.clone())
                } else {
                    (need.id.clone(), similar.id.clone())
                };
                let pair = OverlapPair {
                    a: a.clone(),
                    b: b.clone(),
                    b_kind: similar.kind,
                    score: similar.score,
                    shared_terms: similar.shared_terms,
                    status: if similar.kind == DocKind::Project {
                        similar.status
                    } else {
                        None
                    },
                };
                // A need–need pair is seen from both sides: keep the stronger view.
                match pairs.get(&(a.clone(), b.clone())) {
                    Some(existing) if existing.score >= pair.score => {}
                    _ => {
                        pairs.insert((a, b), pair);
                    }
                }
            }
        }
        let mut out: Vec<OverlapPair> = pairs.into_values().collect();
        out.sort_by(|x, y| {
            y.score
                .total_cmp(&x.score)
                .then_with(|| (&x.a, &x.b).cmp(&(&y.a, &y.b)))
        });
        Ok(out)
    }
}

/// The need's score against itself: the yardstick for its pairs. When the need is not indexed
/// (yet) or was pushed out of the top-k, the best hit stands in.
fn self_score(need: &Need, hits: &[Hit]) -> f32 {
    hits.iter()
        .find(|h| h.kind == DocKind::Need && h.id == need.id)
        .map(|own| own.score)
        .unwrap_or_else(|| hits.iter().map(|h| h.score).fold(0.0f32, f32::max))
        .max(f32::EPSILON)
}
