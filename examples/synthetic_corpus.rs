//! Writes a synthetic corpus in Kobler JSON Lines for scale measurements: researchers, works and
//! projects whose texts are drawn from the demo fixtures' own vocabulary (so the analysers and
//! the thesaurus meet realistic words), plus the demo's units and needs.
//!
//! ```sh
//! cargo run --release --example synthetic_corpus -- OUT_DIR RESEARCHERS WORKS [NEEDS_AND_PROJECTS]
//! ```
//!
//! With `NEEDS_AND_PROJECTS`, that many generated needs (7 in 10) and projects on the demo
//! needs' topics are written too (`synthetic-needs.jsonl`, `synthetic-projects.jsonl`), posted
//! by the demo's municipal units: a national-scale load for the serving benchmark.
//!
//! Each researcher gets a topic (one demo work); their works mix words of that topic with words
//! of the whole vocabulary, so retrieval has real structure to find. Output is deterministic.

mod support;

use std::io::{BufWriter, Write};
use support::{Lcg, sample, topics};

const DEMO_WORKS: &str = include_str!("../fixtures/demo/works.jsonl");
use support::{DEMO_NEEDS, DEMO_UNITS};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (out, researchers, works, needs_and_projects) = match args.as_slice() {
        [_, out, researchers, works] => (out, researchers, works, None),
        [_, out, researchers, works, items] => (out, researchers, works, Some(items.parse()?)),
        _ => {
            return Err(
                "usage: synthetic_corpus OUT_DIR RESEARCHERS WORKS [NEEDS_AND_PROJECTS]".into(),
            );
        }
    };
    let researchers: usize = researchers.parse()?;
    let works: usize = works.parse()?;
    let out = std::path::Path::new(out);
    std::fs::create_dir_all(out)?;
    let topics: Vec<Vec<String>> = topics(DEMO_WORKS, "abstract");
    let vocabulary: Vec<String> = topics.iter().flatten().cloned().collect();
    let academic_units: Vec<String> = DEMO_UNITS
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["kind"] == "academic")
        .filter_map(|v| v["id"].as_str().map(str::to_string))
        .collect();
    let mut rng = Lcg(0x5eed);
    std::fs::write(out.join("units.jsonl"), DEMO_UNITS)?;
    std::fs::write(out.join("needs.jsonl"), DEMO_NEEDS)?;
    let mut file = BufWriter::new(std::fs::File::create(out.join("researchers.jsonl"))?);
    let mut topic_of = Vec::with_capacity(researchers);
    for r in 0..researchers {
        let topic = rng.below(topics.len());
        topic_of.push(topic);
        let keywords = sample(&mut rng, &topics[topic], &vocabulary, 4);
        let unit = &academic_units[rng.below(academic_units.len())];
        let line = serde_json::json!({"type": "researcher", "id": format!("syn-r{r}"), "name": format!("Forsker {r}"),
            "units": [unit], "keywords": keywords.split(' ').collect::<Vec<_>>()});
        writeln!(file, "{line}")?;
    }
    file.flush()?;
    let mut file = BufWriter::new(std::fs::File::create(out.join("works.jsonl"))?);
    for w in 0..works {
        let first = rng.below(researchers);
        let mut authors = vec![format!("syn-r{first}")];
        if rng.below(3) == 0 {
            authors.push(format!("syn-r{}", rng.below(researchers)));
        }
        let topic = &topics[topic_of[first]];
        let line = serde_json::json!({"type": "work", "id": format!("syn-w{w}"),
            "title": sample(&mut rng, topic, &vocabulary, 9),
            "abstract": sample(&mut rng, topic, &vocabulary, 70),
            "year": 2005 + rng.below(21), "authors": authors});
        writeln!(file, "{line}")?;
    }
    file.flush()?;
    let mut file = BufWriter::new(std::fs::File::create(out.join("projects.jsonl"))?);
    for p in 0..(works / 100).max(1) {
        let lead = rng.below(researchers);
        let line = serde_json::json!({"type": "project", "id": format!("syn-p{p}"),
            "title": sample(&mut rng, &topics[topic_of[lead]], &vocabulary, 7),
            "summary": sample(&mut rng, &topics[topic_of[lead]], &vocabulary, 80),
            "status": "active", "participants": [format!("syn-r{lead}")]});
        writeln!(file, "{line}")?;
    }
    file.flush()?;
    if let Some(items) = needs_and_projects {
        support::Corpus::from_demo().write_needs_and_projects(
            &out.join("synthetic-needs.jsonl"),
            &out.join("synthetic-projects.jsonl"),
            items,
            0x0ee1 + items as u64,
        )?;
        eprintln!("wrote {items} generated needs and projects");
    }
    eprintln!(
        "wrote {researchers} researchers, {works} works, {} projects to {}",
        (works / 100).max(1),
        out.display()
    );
    Ok(())
}
