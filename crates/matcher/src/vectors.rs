//! An in-memory index of sentence vectors with exact nearest-neighbour search.
//!
//! Vectors are kept as 8-bit codes with one scale each (a quarter of the memory of floats:
//! 384 bytes per 384-dimensional vector, so 2 M works take about 800 MB), and a query is scored
//! against every one of them. Exact search needs no training and no tuning, and a scan of a
//! few million vectors on a few cores stays well under a second; see docs/matching.md.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashMap};
use std::hash::Hash;

/// Below this many vectors a search runs on the calling thread only.
const PARALLEL_FROM: usize = 20_000;

/// A vector of the wrong length was offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("vector has {got} dimensions, the index {expected}")]
pub struct DimensionMismatch {
    /// The index's dimension.
    pub expected: usize,
    /// The offered vector's.
    pub got: usize,
}

/// Vectors keyed by `K`, scored by dot product (the cosine, for the unit vectors encoders
/// return).
#[derive(Debug, Clone)]
pub struct VectorIndex<K> {
    dimension: usize,
    keys: Vec<K>,
    position: HashMap<K, usize>,
    codes: Vec<i8>,
    scales: Vec<f32>,
}

/// A score with a total order, smallest first in a max-heap (so the heap keeps the best k).
#[derive(Debug, Clone, Copy)]
struct Scored(f32, usize);

impl PartialEq for Scored {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Scored {}
impl PartialOrd for Scored {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Scored {
    fn cmp(&self, other: &Self) -> Ordering {
        // Reversed: the worst score is the heap's top; ties prefer the earlier position.
        other.0.total_cmp(&self.0).then(self.1.cmp(&other.1))
    }
}

/// The dot product of two 8-bit codes (written so that it vectorises).
pub(crate) fn code_dot(a: &[i8], b: &[i8]) -> i32 {
    a.iter()
        .zip(b)
        .map(|(&x, &y)| i32::from(i16::from(x) * i16::from(y)))
        .sum()
}

/// The cosine of a query with a vector kept as 8-bit `codes` and their `scale`.
pub(crate) fn code_score(query: &[f32], codes: &[i8], scale: f32) -> f32 {
    let dot: f32 = query
        .iter()
        .zip(codes)
        .map(|(q, &c)| q * f32::from(c))
        .sum();
    dot * scale
}

/// A vector as 8-bit codes and the one scale that turns them back into floats.
pub(crate) fn quantise(vector: &[f32]) -> (Vec<i8>, f32) {
    let largest = vector.iter().fold(0f32, |m, x| m.max(x.abs()));
    if largest == 0.0 || !largest.is_finite() {
        return (vec![0; vector.len()], 0.0);
    }
    let scale = largest / 127.0;
    let codes = vector
        .iter()
        .map(|x| (x / scale).round().clamp(-127.0, 127.0) as i8)
        .collect();
    (codes, scale)
}

impl<K: Clone + Eq + Hash + Send + Sync> VectorIndex<K> {
    /// An empty index for vectors of `dimension` entries.
    pub fn new(dimension: usize) -> Self {
        VectorIndex {
            dimension,
            keys: Vec::new(),
            position: HashMap::new(),
            codes: Vec::new(),
            scales: Vec::new(),
        }
    }

    /// Length of every vector.
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// How many vectors the index holds.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Whether `key` has a vector.
    pub fn contains(&self, key: &K) -> bool {
        self.position.contains_key(key)
    }

    /// Adds `key`'s vector, replacing the one it had.
    pub fn insert(&mut self, key: K, vector: &[f32]) -> Result<(), DimensionMismatch> {
        if vector.len() != self.dimension {
            return Err(DimensionMismatch {
                expected: self.dimension,
                got: vector.len(),
            });
        }
        let (codes, scale) = quantise(vector);
        match self.position.get(&key) {
            Some(&at) => {
                self.codes[at * self.dimension..(at + 1) * self.dimension].copy_from_slice(&codes);
                self.scales[at] = scale;
            }
            None => {
                self.position.insert(key.clone(), self.keys.len());
                self.keys.push(key);
                self.codes.extend_from_slice(&codes);
                self.scales.push(scale);
            }
        }
        Ok(())
    }

    /// The dot product of an 8-bit query with the codes at `at`, in integers (which the
    /// compiler turns into wide SIMD multiply-adds; the float version converts every code).
    fn code_dot_at(&self, query: &[i8], at: usize) -> i32 {
        code_dot(
            query,
            &self.codes[at * self.dimension..(at + 1) * self.dimension],
        )
    }

    fn score_at(&self, query: &[f32], at: usize) -> f32 {
        code_score(
            query,
            &self.codes[at * self.dimension..(at + 1) * self.dimension],
            self.scales[at],
        )
    }

    /// The dot product of `query` with `key`'s vector; `None` when `key` has none or the query
    /// has the wrong length.
    pub fn similarity(&self, query: &[f32], key: &K) -> Option<f32> {
        if query.len() != self.dimension {
            return None;
        }
        self.position.get(key).map(|&at| self.score_at(query, at))
    }

    /// `key`'s vector as stored (rounded to its 8-bit codes).
    pub fn vector(&self, key: &K) -> Option<Vec<f32>> {
        let &at = self.position.get(key)?;
        let scale = self.scales[at];
        Some(
            self.codes[at * self.dimension..(at + 1) * self.dimension]
                .iter()
                .map(|&c| f32::from(c) * scale)
                .collect(),
        )
    }

    /// The `k` vectors most similar to `query` among the keys `keep` accepts, best first (an
    /// empty answer for a query of the wrong length).
    pub fn nearest(
        &self,
        query: &[f32],
        k: usize,
        keep: impl Fn(&K) -> bool + Sync,
    ) -> Vec<(K, f32)> {
        if query.len() != self.dimension || k == 0 {
            return Vec::new();
        }
        // The scan compares 8-bit codes with an 8-bit copy of the query; the few found are
        // scored again against the query itself below.
        let (query_codes, query_scale) = quantise(query);
        let scan = |range: std::ops::Range<usize>| {
            let mut heap: BinaryHeap<Scored> = BinaryHeap::with_capacity(k + 1);
            for at in range {
                if !keep(&self.keys[at]) {
                    continue;
                }
                let rough = self.code_dot_at(&query_codes, at) as f32 * self.scales[at];
                let scored = Scored(rough * query_scale, at);
                if heap.len() < k {
                    heap.push(scored);
                } else if heap.peek().is_some_and(|worst| scored < *worst) {
                    heap.pop();
                    heap.push(scored);
                }
            }
            heap.into_vec()
        };
        let n = self.len();
        let threads = std::thread::available_parallelism().map_or(1, |t| t.get());
        let found: Vec<Scored> = if n < PARALLEL_FROM || threads < 2 {
            scan(0..n)
        } else {
            let chunk = n.div_ceil(threads);
            std::thread::scope(|scope| {
                let handles: Vec<_> = (0..threads)
                    .map(|t| {
                        let scan = &scan;
                        scope.spawn(move || scan(t * chunk..((t + 1) * chunk).min(n)))
                    })
                    .collect();
                // A scan cannot panic short of a bug; a lost chunk would only shorten the list.
                handles
                    .into_iter()
                    .flat_map(|h| h.join().unwrap_or_default())
                    .collect()
            })
        };
        let mut found: Vec<Scored> = found
            .into_iter()
            .map(|Scored(_, at)| Scored(self.score_at(query, at), at))
            .collect();
        found.sort();
        found
            .into_iter()
            .take(k)
            .map(|Scored(score, at)| (self.keys[at].clone(), score))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    #[test]
    fn nearest_finds_the_most_similar_vectors_in_order_and_respects_the_filter() {
        let mut index = VectorIndex::new(3);
        index.insert("a", &unit(&[1.0, 0.0, 0.0])).unwrap();
        index.insert("b", &unit(&[1.0, 1.0, 0.0])).unwrap();
        index.insert("c", &unit(&[0.0, 0.0, 1.0])).unwrap();
        let query = unit(&[1.0, 0.2, 0.0]);
        let found: Vec<&str> = index
            .nearest(&query, 2, |_| true)
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(found, ["a", "b"]);
        let without_a: Vec<&str> = index
            .nearest(&query, 5, |k| *k != "a")
            .into_iter()
            .map(|(k, _)| k)
            .collect();
        assert_eq!(without_a, ["b", "c"]);
        assert!(index.nearest(&[1.0], 2, |_| true).is_empty());
    }

    #[test]
    fn eight_bit_codes_keep_cosines_within_a_hundredth() {
        // A deterministic spread of 384-dimensional unit vectors.
        let mut state = 7u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            ((state >> 33) as f32 / (1u64 << 31) as f32) - 0.5
        };
        let vectors: Vec<Vec<f32>> = (0..50)
            .map(|_| unit(&(0..384).map(|_| next()).collect::<Vec<_>>()))
            .collect();
        let mut index = VectorIndex::new(384);
        for (i, v) in vectors.iter().enumerate() {
            index.insert(i, v).unwrap();
        }
        for (i, v) in vectors.iter().enumerate() {
            let exact: f32 = vectors[0].iter().zip(v).map(|(a, b)| a * b).sum();
            let approx = index.similarity(&vectors[0], &i).unwrap();
            assert!((exact - approx).abs() < 0.01, "{exact} vs {approx}");
        }
    }

    #[test]
    fn inserting_a_key_again_replaces_its_vector_and_wrong_lengths_are_refused() {
        let mut index = VectorIndex::new(2);
        index.insert("a", &[1.0, 0.0]).unwrap();
        index.insert("a", &[0.0, 1.0]).unwrap();
        assert_eq!(index.len(), 1);
        assert!(index.similarity(&[0.0, 1.0], &"a").unwrap() > 0.99);
        let stored = index.vector(&"a").unwrap();
        assert!(stored[0].abs() < 1e-6 && (stored[1] - 1.0).abs() < 1e-2);
        assert_eq!(
            index.insert("b", &[1.0]),
            Err(DimensionMismatch {
                expected: 2,
                got: 1
            })
        );
        assert_eq!(index.similarity(&[1.0, 0.0], &"zz"), None);
        // A zero vector is stored and scores zero rather than dividing by zero.
        index.insert("zero", &[0.0, 0.0]).unwrap();
        assert_eq!(index.similarity(&[1.0, 0.0], &"zero"), Some(0.0));
    }

    #[test]
    fn a_parallel_scan_finds_the_best_vectors_wherever_they_are() {
        let n = PARALLEL_FROM + 1000;
        let mut index = VectorIndex::new(3);
        for i in 0..n {
            index.insert(i, &unit(&[0.0, 0.1, 1.0])).unwrap();
        }
        // The two best lie late in the index, in another thread's chunk than the first.
        index.insert(n - 5, &unit(&[1.0, 0.0, 0.0])).unwrap();
        index.insert(n - 3, &unit(&[1.0, 0.5, 0.0])).unwrap();
        let top = index.nearest(&[1.0, 0.0, 0.0], 3, |_| true);
        let keys: Vec<usize> = top.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys[..2], [n - 5, n - 3]);
        assert_eq!(keys.len(), 3);
    }
}
