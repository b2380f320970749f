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
use std::io::{BufWriter, Write};
use std::time::Instant;
use support::{Lcg, sample, topics};

const DEMO_NEEDS: &str = include_str!("../fixtures/demo/needs.jsonl");
const DEMO_UNITS: &str = include_str!("../fixtures/demo/units.jsonl");
/// New needs checked at posting time per size (the median is reported).
const NEW_NEEDS: usize = 25;

struct Corpus {
    topics: Vec<Vec<String>>,
    vocabulary: Vec<String>,
    units: Vec<String>,
}

impl Corpus {
    fn from_demo() -> Corpus {
        let topics: Vec<Vec<String>> = topics(DEMO_NEEDS, "description");
        let vocabulary = topics.iter().flatten().cloned().collect();
        let units = DEMO_UNITS
            .lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| v["kind"] == "municipal")
            .filter_map(|v| v["id"].as_str().map(str::to_string))
            .collect();
        Corpus {
            topics,
            vocabulary,
            units,
        }
    }

    fn text(&self, rng: &mut Lcg, n: usize) -> String {
        let topic = &self.topics[rng.below(self.topics.len())];
        sample(rng, topic, &self.vocabulary, n)
    }
}

/// Writes `items` needs and projects (and the demo's municipalities and units) to `dir`.
fn write_feed(dir: &std::path::Path, items: usize, corpus: &Corpus) -> std::io::Result<()> {
    std::fs::create_dir_all(dir)?;
    std::fs::write(dir.join("units.jsonl"), DEMO_UNITS)?;
    let mut rng = Lcg(0x0ee1 + items as u64);
    let mut file = BufWriter::new(std::fs::File::create(dir.join("needs.jsonl"))?);
    let needs = items * 7 / 10;
    let mut descriptions: Vec<String> = Vec::with_capacity(needs);
    for n in 0..needs {
        let description = if n > 0 && rng.below(20) == 0 {
            // A template posted again: an earlier need with one word in ten replaced.
            let original = &descriptions[rng.below(n)];
            original
                .split(' ')
                .map(|w| {
                    if rng.below(10) == 0 {
                        corpus.vocabulary[rng.below(corpus.vocabulary.len())].as_str()
                    } else {
                        w
                    }
                })
                .collect::<Vec<_>>()
                .join(" ")
        } else {
            corpus.text(&mut rng, 60)
        };
        let line = serde_json::json!({"type": "need", "id": format!("syn-n{n}"),
            "title": description.split(' ').take(6).collect::<Vec<_>>().join(" "),
            "description": description,
            "unit": corpus.units[rng.below(corpus.units.len())]});
        writeln!(file, "{line}")?;
        descriptions.push(line["description"].as_str().unwrap_or_default().to_string());
    }
    file.flush()?;
    let mut file = BufWriter::new(std::fs::File::create(dir.join("projects.jsonl"))?);
    for p in 0..(items - needs) {
        let status = ["planned", "active", "completed"][rng.below(3)];
        let line = serde_json::json!({"type": "project", "id": format!("syn-p{p}"),
            "title": corpus.text(&mut rng, 7), "summary": corpus.text(&mut rng, 80),
            "status": status});
        writeln!(file, "{line}")?;
    }
    file.flush()
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
