//! Approximate nearest neighbours among a fixed set of sentence vectors: a hierarchical
//! navigable small-world graph (HNSW, the `instant-distance` crate), built once and then asked
//! by each of its own members. An exact scan per member makes asking all of them quadratic;
//! the graph is built in about N log N and answers each in about log N.

use crate::vectors::{code_dot, code_score, quantise};
use instant_distance::{Builder, HnswMap, Search};

/// A fixed seed: the same vectors make the same graph, so runs are reproducible.
const SEED: u64 = 0x6b6f_626c_6572;
/// Candidates kept while building (the `instant-distance` default is 100); more makes a better
/// graph, slower to build.
const EF_CONSTRUCTION: usize = 40;
/// Candidates kept while searching: the recall of each search (see `examples/neighbour_graph`).
const EF_SEARCH: usize = 100;

/// A unit vector as 8-bit codes and their scale (as [`crate::vectors::VectorIndex`] keeps
/// them: a quarter of the memory, and a distance that vectorises), at cosine distance
/// (1 − cosine) from the others.
#[derive(Clone, Debug)]
struct Unit {
    codes: Vec<i8>,
    scale: f32,
}

impl Unit {
    fn new(vector: &[f32]) -> Unit {
        let (codes, scale) = quantise(vector);
        Unit { codes, scale }
    }
}

impl instant_distance::Point for Unit {
    fn distance(&self, other: &Self) -> f32 {
        1.0 - code_dot(&self.codes, &other.codes) as f32 * self.scale * other.scale
    }
}

/// Vectors keyed by `K` in a navigable graph, for their approximate nearest neighbours.
pub struct NeighbourGraph<K> {
    map: Option<HnswMap<Unit, usize>>,
    keys: Vec<K>,
}

impl<K: Clone> NeighbourGraph<K> {
    /// The graph over `items` (unit vectors, as the encoders return them, all of one length).
    pub fn build(items: Vec<(K, Vec<f32>)>) -> Self {
        if items.is_empty() {
            return NeighbourGraph {
                map: None,
                keys: Vec::new(),
            };
        }
        let (keys, points): (Vec<K>, Vec<Unit>) =
            items.into_iter().map(|(k, v)| (k, Unit::new(&v))).unzip();
        let positions = (0..keys.len()).collect();
        let map = Builder::default()
            .seed(SEED)
            .ef_construction(EF_CONSTRUCTION)
            .ef_search(EF_SEARCH)
            .build(points, positions);
        NeighbourGraph {
            map: Some(map),
            keys,
        }
    }

    /// How many vectors the graph holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// About the `k` members nearest to `query`, with their cosines, best first.
    pub fn nearest(&self, query: &[f32], k: usize) -> Vec<(K, f32)> {
        let Some(map) = &self.map else {
            return Vec::new();
        };
        let mut search = Search::default();
        // Found on both sides' codes, scored as the exact scan scores: the query itself
        // against the member's codes.
        let mut found: Vec<(K, f32)> = map
            .search(&Unit::new(query), &mut search)
            .take(k)
            .filter_map(|item| {
                let cosine = code_score(query, &item.point.codes, item.point.scale);
                Some((self.keys.get(*item.value)?.clone(), cosine))
            })
            .collect();
        found.sort_by(|a, b| b.1.total_cmp(&a.1));
        found
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::vectors::VectorIndex;

    /// `n` unit vectors of `dimension`, around `topics` centres, deterministic.
    fn clustered(n: usize, dimension: usize, topics: usize) -> Vec<Vec<f32>> {
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
        };
        let unit = |v: Vec<f32>| {
            let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
            v.into_iter().map(|x| x / norm).collect::<Vec<f32>>()
        };
        let centres: Vec<Vec<f32>> = (0..topics)
            .map(|_| unit((0..dimension).map(|_| next()).collect()))
            .collect();
        (0..n)
            .map(|i| {
                let centre = &centres[i % topics];
                unit(centre.iter().map(|c| c + 0.08 * next()).collect())
            })
            .collect()
    }

    #[test]
    fn the_graph_finds_nearly_every_exact_neighbour() {
        let vectors = clustered(2_000, 64, 20);
        let mut exact = VectorIndex::new(64);
        for (i, v) in vectors.iter().enumerate() {
            exact.insert(i, v).expect("dimension");
        }
        let graph = NeighbourGraph::build(vectors.iter().cloned().enumerate().collect());
        assert_eq!(graph.len(), 2_000);
        let (mut found, mut wanted) = (0, 0);
        for query in vectors.iter().step_by(40) {
            let truth: Vec<usize> = exact
                .nearest(query, 10, |_| true)
                .into_iter()
                .map(|(k, _)| k)
                .collect();
            let approximate = graph.nearest(query, 10);
            assert!(
                approximate.windows(2).all(|w| w[0].1 >= w[1].1),
                "best first"
            );
            found += truth
                .iter()
                .filter(|k| approximate.iter().any(|(a, _)| a == *k))
                .count();
            wanted += truth.len();
        }
        let recall = found as f32 / wanted as f32;
        assert!(recall >= 0.9, "recall {recall}");
    }

    #[test]
    fn a_member_is_its_own_nearest_and_an_empty_graph_finds_nothing() {
        let vectors = clustered(300, 32, 5);
        let graph = NeighbourGraph::build(vectors.iter().cloned().enumerate().collect());
        let nearest = graph.nearest(&vectors[7], 1);
        assert_eq!(nearest.first().map(|(k, _)| *k), Some(7));
        assert!((nearest[0].1 - 1.0).abs() < 1e-2, "{nearest:?}");
        let empty: NeighbourGraph<usize> = NeighbourGraph::build(Vec::new());
        assert!(empty.is_empty() && empty.nearest(&vectors[0], 5).is_empty());
    }
}
