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
