//! What the scale examples share: a deterministic random source and text drawn from the demo
//! fixtures' own vocabulary.

#![allow(dead_code)] // Each example uses its own part.

/// A small deterministic generator (64-bit LCG), so runs are comparable.
pub struct Lcg(pub u64);

impl Lcg {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// The words of a text longer than two letters, lower-cased.
pub fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.len() > 2)
        .map(str::to_lowercase)
        .collect()
}

/// `n` words, six in ten from `topic`, the rest from the whole `vocabulary`.
pub fn sample(rng: &mut Lcg, topic: &[String], vocabulary: &[String], n: usize) -> String {
    (0..n)
        .map(|_| {
            if rng.below(10) < 6 {
                &topic[rng.below(topic.len())]
            } else {
                &vocabulary[rng.below(vocabulary.len())]
            }
        })
        .cloned()
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words of each record of a JSON Lines text, from its `title` and its `body_field`
/// (`abstract`, `description`): one topic per record, records without words left out.
pub fn topics(jsonl: &str, body_field: &str) -> Vec<Vec<String>> {
    jsonl
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .map(|v| {
            words(&format!(
                "{} {}",
                v["title"].as_str().unwrap_or(""),
                v[body_field].as_str().unwrap_or("")
            ))
        })
        .filter(|w| !w.is_empty())
        .collect()
}

/// The demo's needs and its municipalities and units, the source of generated texts.
pub const DEMO_NEEDS: &str = include_str!("../../fixtures/demo/needs.jsonl");
/// The demo's municipalities and units.
pub const DEMO_UNITS: &str = include_str!("../../fixtures/demo/units.jsonl");

/// Need-like texts drawn from the demo needs' own vocabulary, each on one of their topics.
pub struct Corpus {
    pub topics: Vec<Vec<String>>,
    pub vocabulary: Vec<String>,
    /// The demo's municipal units, which generated needs are posted by.
    pub units: Vec<String>,
}

impl Corpus {
    pub fn from_demo() -> Corpus {
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

    pub fn text(&self, rng: &mut Lcg, n: usize) -> String {
        let topic = &self.topics[rng.below(self.topics.len())];
        sample(rng, topic, &self.vocabulary, n)
    }

    /// Writes `items` needs (7 in 10, ids `syn-n…`) and projects (`syn-np…`) to the two files.
    /// One need in twenty is a lightly edited copy of an earlier one (a template posted
    /// again), so both overlap signals have work to do.
    pub fn write_needs_and_projects(
        &self,
        needs_file: &std::path::Path,
        projects_file: &std::path::Path,
        items: usize,
        seed: u64,
    ) -> std::io::Result<()> {
        use std::io::{BufWriter, Write};
        let mut rng = Lcg(seed);
        let mut file = BufWriter::new(std::fs::File::create(needs_file)?);
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
                            self.vocabulary[rng.below(self.vocabulary.len())].as_str()
                        } else {
                            w
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                self.text(&mut rng, 60)
            };
            let line = serde_json::json!({"type": "need", "id": format!("syn-n{n}"),
                "title": description.split(' ').take(6).collect::<Vec<_>>().join(" "),
                "description": description,
                "unit": self.units[rng.below(self.units.len())]});
            writeln!(file, "{line}")?;
            descriptions.push(line["description"].as_str().unwrap_or_default().to_string());
        }
        file.flush()?;
        let mut file = BufWriter::new(std::fs::File::create(projects_file)?);
        for p in 0..(items - needs) {
            let status = ["planned", "active", "completed"][rng.below(3)];
            let line = serde_json::json!({"type": "project", "id": format!("syn-np{p}"),
                "title": self.text(&mut rng, 7), "summary": self.text(&mut rng, 80),
                "status": status});
            writeln!(file, "{line}")?;
        }
        file.flush()
    }
}
