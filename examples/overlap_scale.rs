//! How the overlap check grows with the number of needs and projects: for each size, generate
//! that many needs and projects (7 in 10 needs), import them into a fresh data directory, time a
//! full overlap run, and time the posting-time check of new needs against everything stored.
//!
//! ```sh
//! cargo run --release --example overlap_scale -- 1000 10000 100000
//! ```
//!
//! Texts are drawn from the demo needs' own vocabulary, each on one of their topics, and one need
//! in twenty is a lightly edited copy of an earlier one (a template posted again), so both the
//! topic and the near-duplicate signal have work to do. Output is deterministic.

mod support;

use kobler_core::{Need, NeedStatus};
use kobler_engine::{Engine, ImportOptions, NoProgress, OVERLAP_THRESHOLD};
use std::time::Instant;
use support::{Corpus, DEMO_UNITS, Lcg};
/// New needs checked at posting time per size (the median is reported).
const NEW_NEEDS: usize = 25;

/// Writes `items` needs and projects (and the demo's municipalities and units) to `dir`.
fn write_feed(dir: &std::path::Path, items: usize, corpus: &Corpus) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("units.jsonl"), DEMO_UNITS)?;
    corpus.write_needs_and_projects(
        &dir.join("needs.jsonl"),
        &dir.join("projects.jsonl"),
        items,
        0x0ee1 + items as u64,
    )
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let sizes: Vec<usize> = std::env::args()
        .skip(1)
        .map(|a| a.parse())
        .collect::<Result<_, _>>()?;
    if sizes.is_empty() {
        return Err("usage: overlap_scale SIZE... (e.g. 1000 10000 100000)".into());
    }
    let corpus = Corpus::from_demo();
    let work = tempfile::tempdir()?;
    println!(
        "{:>8} {:>9} {:>8} {:>10} {:>9} {:>11} {:>12}",
        "items", "import s", "flagged", "overlaps s", "per item", "ratio", "new need ms"
    );
    let mut previous: Option<(usize, f64)> = None;
    for &items in &sizes {
        let feed = work.path().join(format!("feed-{items}"));
        write_feed(&feed, items, &corpus)?;
        let data = work.path().join(format!("data-{items}"));
        let engine = Engine::open(&data).await?;
        let started = Instant::now();
        engine
            .import(&[feed], &ImportOptions::default(), &mut NoProgress)
            .await?;
        let import_s = started.elapsed().as_secs_f64();

        let started = Instant::now();
        let flagged = engine.overlaps(OVERLAP_THRESHOLD).await?.len();
        let overlaps_s = started.elapsed().as_secs_f64();

        let mut rng = Lcg(0xbeef);
        let mut latencies = Vec::with_capacity(NEW_NEEDS);
        for i in 0..NEW_NEEDS {
            let need = Need {
                id: format!("new-{i}"),
                title: corpus.text(&mut rng, 6),
                description: corpus.text(&mut rng, 60),
                unit: None,
                focus_areas: Vec::new(),
                kinds: Vec::new(),
                posted: None,
                deadline: None,
                status: NeedStatus::Open,
                contact: None,
                extra: Default::default(),
            };
            let started = Instant::now();
            engine.similar_to(&need, OVERLAP_THRESHOLD)?;
            latencies.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        latencies.sort_by(f64::total_cmp);
        let ratio = match previous {
            Some((n, s)) => format!(
                "{:.1}x/{:.0}x",
                overlaps_s / s.max(1e-9),
                items as f64 / n as f64
            ),
            None => "-".to_string(),
        };
        println!(
            "{items:>8} {import_s:>9.1} {flagged:>8} {overlaps_s:>10.2} {:>7.2}ms {ratio:>11} {:>12.1}",
            overlaps_s * 1000.0 / items as f64,
            latencies[latencies.len() / 2]
        );
        previous = Some((items, overlaps_s));
    }
    Ok(())
}
