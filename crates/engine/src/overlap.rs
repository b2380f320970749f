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
        let text = need.text();
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
                    shared_terms: self.index.shared_words(&text, &h.text()),
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
            shared_terms: Vec::new(),
            status: None,
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
    fn no_pairs_no_clusters() {
        assert!(cluster_overlaps(&[]).is_empty());
    }
}
