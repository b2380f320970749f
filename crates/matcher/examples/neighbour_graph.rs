//! What an overlap run's semantic signal costs as the needs and projects grow: each of 7 in 10
//! items (the needs) asks for its 21 nearest among all of them, by an exact scan of every
//! vector or through a neighbour graph built once. Reports both times and the graph's recall of
//! the exact neighbours.
//!
//! ```sh
//! cargo run --release -p kobler-matcher --example neighbour_graph -- 10000 30000 100000
//! ```
//!
//! Vectors are 384-dimensional unit vectors (the bundled models' size) around one topic centre
//! per 100 items, so that neighbours mean something, as they do for sentence vectors. The exact
//! time is measured on a sample of queries and multiplied out.

mod support;

use kobler_matcher::neighbours::NeighbourGraph;
use kobler_matcher::vectors::VectorIndex;
use std::time::Instant;
use support::{Xorshift, normalised};

const DIMENSION: usize = 384;
const NEIGHBOURS: usize = 21;
const SAMPLE: usize = 200;

fn main() {
    let sizes = support::sizes_or(10_000);
    println!(
        "| items | queries | exact scans (est.) | graph build | graph queries | graph total | recall@{NEIGHBOURS} |"
    );
    println!("|---|---|---|---|---|---|---|");
    for n in sizes {
        let vectors = clustered(n, n.div_ceil(100));
        let queries: Vec<usize> = (0..n).filter(|i| i % 10 < 7).collect();

        let mut exact = VectorIndex::new(DIMENSION);
        for (i, v) in vectors.iter().enumerate() {
            exact.insert(i, v).expect("dimension");
        }
        let step = (queries.len() / SAMPLE).max(1);
        let sample: Vec<usize> = queries.iter().copied().step_by(step).collect();
        let started = Instant::now();
        let truths: Vec<Vec<usize>> = sample
            .iter()
            .map(|&q| {
                exact
                    .nearest(&vectors[q], NEIGHBOURS, |_| true)
                    .into_iter()
                    .map(|(k, _)| k)
                    .collect()
            })
            .collect();
        let exact_estimate =
            started.elapsed().as_secs_f64() / sample.len() as f64 * queries.len() as f64;

        let started = Instant::now();
        let graph = NeighbourGraph::build(vectors.iter().cloned().enumerate().collect());
        let build = started.elapsed().as_secs_f64();
        let started = Instant::now();
        let mut found_all = 0usize;
        for &q in &queries {
            found_all += graph.nearest(&vectors[q], NEIGHBOURS).len();
        }
        let search = started.elapsed().as_secs_f64();
        assert!(found_all >= queries.len());

        let (mut found, mut wanted) = (0usize, 0usize);
        for (&q, truth) in sample.iter().zip(&truths) {
            let approximate = graph.nearest(&vectors[q], NEIGHBOURS);
            found += truth
                .iter()
                .filter(|k| approximate.iter().any(|(a, _)| a == *k))
                .count();
            wanted += truth.len();
        }
        println!(
            "| {n} | {} | {exact_estimate:.1} s | {build:.1} s | {search:.1} s | {:.1} s | {:.3} |",
            queries.len(),
            build + search,
            found as f64 / wanted.max(1) as f64
        );
    }
}

/// `n` unit vectors around `topics` random centres, deterministic.
fn clustered(n: usize, topics: usize) -> Vec<Vec<f32>> {
    let mut random = Xorshift(0x9e37_79b9_7f4a_7c15);
    let centres: Vec<Vec<f32>> = (0..topics).map(|_| random.unit(DIMENSION)).collect();
    (0..n)
        .map(|i| {
            let centre = &centres[(i * 7919) % topics];
            normalised(centre.iter().map(|c| c + 0.1 * random.next()).collect())
        })
        .collect()
}
