//! How long one exact nearest-neighbour search takes over N stored sentence vectors, and how
//! much memory they take: the semantic half of matching one need at national scale.
//!
//! ```sh
//! cargo run --release -p kobler-matcher --example vector_scan -- 100000 1000000 2000000
//! ```
//!
//! Vectors are random unit vectors of 384 dimensions (the bundled models' size); a scan does
//! the same work whatever the values.

mod support;

use kobler_matcher::vectors::VectorIndex;
use std::time::Instant;
use support::Xorshift;

const DIMENSION: usize = 384;
const QUERIES: usize = 20;

fn main() {
    let sizes = support::sizes_or(100_000);
    let mut random = Xorshift(0x9e37_79b9_7f4a_7c15);
    println!(
        "| vectors | memory (codes + scales) | build | one query, top 200 (median of {QUERIES}) |"
    );
    println!("|---|---|---|---|");
    for n in sizes {
        let started = Instant::now();
        let mut index = VectorIndex::new(DIMENSION);
        for i in 0..n {
            let v = random.unit(DIMENSION);
            index.insert(i, &v).expect("dimension");
        }
        let build = started.elapsed();
        let mut times = Vec::with_capacity(QUERIES);
        for _ in 0..QUERIES {
            let query = random.unit(DIMENSION);
            let started = Instant::now();
            let found = index.nearest(&query, 200, |_| true);
            times.push(started.elapsed());
            assert_eq!(found.len(), 200.min(n));
        }
        times.sort();
        let megabytes = (n * (DIMENSION + 4)) as f64 / 1e6;
        println!(
            "| {n} | {megabytes:.0} MB | {:.1} s | {:.0} ms |",
            build.as_secs_f64(),
            times[QUERIES / 2].as_secs_f64() * 1000.0
        );
    }
}
