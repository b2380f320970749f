//! Term pairs learned from parallel text: records that carry the same title (and summary) in
//! Norwegian and in English, as Cristin results and projects do. A Norwegian term and an English
//! term (or two-word English phrase: *velferdsteknologi* ↔ *welfare technology*) that keep
//! appearing in the same records, and rarely apart, are taken as translations.
//!
//! The association is the Dice coefficient over records, `2·both / (no + en)`, and a pair is
//! kept only when each side is the other's best partner (a light form of competitive linking),
//! so a frequent word does not pair with everything it appears beside.

use std::collections::{BTreeMap, HashMap, HashSet};

/// One side of a parallel record: `(analysed term, word as written)` in text order.
pub type Tokens = Vec<(String, String)>;

/// How strict learning is.
#[derive(Debug, Clone, Copy)]
pub struct LearnParams {
    /// Records a pair must share at least.
    pub min_together: u32,
    /// Lowest Dice coefficient kept.
    pub min_dice: f32,
}

impl Default for LearnParams {
    fn default() -> Self {
        LearnParams {
            min_together: 3,
            min_dice: 0.6,
        }
    }
}

/// A learned translation.
#[derive(Debug, Clone, PartialEq)]
pub struct TermPair {
    /// The Norwegian word, in its most frequent written form.
    pub norwegian: String,
    /// The English word or two-word phrase, in its most frequent written form.
    pub english: String,
    /// Records where both occur.
    pub together: u32,
    /// Dice coefficient over records.
    pub dice: f32,
}

/// Counts of one side's units (terms, or phrases) over records, with their written forms.
#[derive(Default)]
struct Side {
    records: HashMap<String, u32>,
    surfaces: HashMap<String, HashMap<String, u32>>,
}

impl Side {
    fn add(&mut self, units: &[(String, String)]) {
        for (unit, _) in units {
            *self.records.entry(unit.clone()).or_default() += 1;
        }
        for (unit, surface) in units {
            *self
                .surfaces
                .entry(unit.clone())
                .or_default()
                .entry(surface.clone())
                .or_default() += 1;
        }
    }

    /// The most frequent written form (ties by the form itself, for stable output).
    fn surface(&self, unit: &str) -> String {
        self.surfaces
            .get(unit)
            .and_then(|forms| {
                forms
                    .iter()
                    .max_by(|a, b| a.1.cmp(b.1).then_with(|| b.0.cmp(a.0)))
                    .map(|(form, _)| form.clone())
            })
            .unwrap_or_else(|| unit.to_string())
    }
}

/// The distinct units of one side: each term, plus (for English) each two-term phrase.
fn units(tokens: &Tokens, phrases: bool) -> Vec<(String, String)> {
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for (term, surface) in tokens {
        if seen.insert(term.clone()) {
            out.push((term.clone(), surface.clone()));
        }
    }
    if phrases {
        for pair in tokens.windows(2) {
            let unit = format!("{} {}", pair[0].0, pair[1].0);
            if seen.insert(unit.clone()) {
                out.push((unit, format!("{} {}", pair[0].1, pair[1].1)));
            }
        }
    }
    out
}

fn words(unit: &str) -> usize {
    unit.split(' ').count()
}

/// Learns term pairs from `records`, each a Norwegian and an English rendering of one text.
/// Pairs whose two sides are the same word (names, acronyms) are left out: they match anyway.
pub fn learn_term_pairs(records: &[(Tokens, Tokens)], params: LearnParams) -> Vec<TermPair> {
    let mut norwegian = Side::default();
    let mut english = Side::default();
    let mut together: HashMap<(String, String), u32> = HashMap::new();
    for (no, en) in records {
        let no_units = units(no, false);
        let en_units = units(en, true);
        norwegian.add(&no_units);
        english.add(&en_units);
        for (n, _) in &no_units {
            for (e, _) in &en_units {
                *together.entry((n.clone(), e.clone())).or_default() += 1;
            }
        }
    }
    let dice = |n: &str, e: &str, both: u32| {
        let total = norwegian.records.get(n).copied().unwrap_or(0)
            + english.records.get(e).copied().unwrap_or(0);
        if total == 0 {
            0.0
        } else {
            2.0 * both as f32 / total as f32
        }
    };
    // Each side's best partner, over pairs that occur often enough.
    let mut best_for_no: HashMap<&str, (f32, &str)> = HashMap::new();
    let mut best_for_en: HashMap<&str, (f32, &str)> = HashMap::new();
    for ((n, e), &both) in &together {
        if both < params.min_together {
            continue;
        }
        let d = dice(n, e, both);
        // Ties go to the longer unit (a phrase that always comes with a compound is its
        // translation, more than either of its words), then to the first in order.
        let better = |current: Option<&(f32, &str)>, other: &str| {
            current.is_none_or(|&(best, name)| {
                d > best
                    || (d == best
                        && (words(other), std::cmp::Reverse(other))
                            > (words(name), std::cmp::Reverse(name)))
            })
        };
        if better(best_for_no.get(n.as_str()), e) {
            best_for_no.insert(n, (d, e));
        }
        if better(best_for_en.get(e.as_str()), n) {
            best_for_en.insert(e, (d, n));
        }
    }
    let mut pairs: BTreeMap<(String, String), TermPair> = BTreeMap::new();
    for (&n, &(d, e)) in &best_for_no {
        let mutual = best_for_en.get(e).is_some_and(|&(_, back)| back == n);
        if !mutual || d < params.min_dice || n == e {
            continue;
        }
        let pair = TermPair {
            norwegian: norwegian.surface(n),
            english: english.surface(e),
            together: together
                .get(&(n.to_string(), e.to_string()))
                .copied()
                .unwrap_or(0),
            dice: d,
        };
        pairs.insert((pair.norwegian.clone(), pair.english.clone()), pair);
    }
    pairs.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Tokens where the analysed term is the word itself.
    fn tokens(text: &str) -> Tokens {
        text.split_whitespace()
            .map(|w| (w.to_string(), w.to_string()))
            .collect()
    }

    fn corpus() -> Vec<(Tokens, Tokens)> {
        [
            (
                "velferdsteknologi i hjemmetjenesten",
                "welfare technology in home care",
            ),
            (
                "velferdsteknologi og ensomhet",
                "welfare technology and loneliness",
            ),
            ("ensomhet blant eldre", "loneliness among older people"),
            (
                "velferdsteknologi for eldre",
                "welfare technology for older people",
            ),
            ("hjemmetjenesten og ensomhet", "home care and loneliness"),
            ("eldre i hjemmetjenesten", "older people in home care"),
            ("skole og ensomhet", "school and loneliness"),
        ]
        .into_iter()
        .map(|(no, en)| (tokens(no), tokens(en)))
        .collect()
    }

    fn has(pairs: &[TermPair], no: &str, en: &str) -> bool {
        pairs.iter().any(|p| p.norwegian == no && p.english == en)
    }

    #[test]
    fn learns_words_and_compounds_against_english_phrases() {
        let pairs = learn_term_pairs(&corpus(), LearnParams::default());
        assert!(has(&pairs, "ensomhet", "loneliness"), "{pairs:?}");
        assert!(
            has(&pairs, "velferdsteknologi", "welfare technology"),
            "{pairs:?}"
        );
        assert!(has(&pairs, "hjemmetjenesten", "home care"), "{pairs:?}");
        assert!(has(&pairs, "eldre", "older people"), "{pairs:?}");
    }

    #[test]
    fn each_word_pairs_once_with_its_best_partner() {
        let pairs = learn_term_pairs(&corpus(), LearnParams::default());
        let mut norwegian: Vec<&str> = pairs.iter().map(|p| p.norwegian.as_str()).collect();
        norwegian.dedup();
        assert_eq!(norwegian.len(), pairs.len(), "{pairs:?}");
        // "og" and "and" co-occur often, but not as each other's best partner above the bar.
        assert!(
            !pairs
                .iter()
                .any(|p| p.norwegian == "ensomhet" && p.english == "and")
        );
    }

    #[test]
    fn rare_pairs_and_identical_words_are_not_learned() {
        let records = vec![
            (tokens("covid skole"), tokens("covid school")),
            (tokens("covid skole"), tokens("covid school")),
        ];
        let pairs = learn_term_pairs(&records, LearnParams::default());
        assert!(pairs.is_empty(), "{pairs:?}");
    }
}
