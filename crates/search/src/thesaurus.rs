//! The bilingual domain thesaurus (`index/thesaurus.toml`): concepts with their terms in bokmål,
//! nynorsk and English. A query that uses one term of a concept also looks for the others, in
//! every language — the bridge between a Norwegian need and English publications.
//!
//! The thesaurus is applied at query time only, so changing it never needs a reindex. A
//! partnership extends it without recompiling by putting its own `thesaurus.toml` (same format)
//! in the data directory; its concepts are added to the compiled-in ones.

use serde::Deserialize;
use std::collections::HashMap;
use tantivy::tokenizer::TextAnalyzer;

/// The thesaurus compiled into the binary.
pub const THESAURUS_TOML: &str = include_str!("../../../index/thesaurus.toml");

#[derive(Debug, Deserialize)]
struct ThesaurusFile {
    #[allow(dead_code)]
    version: u32,
    #[serde(default)]
    concept: Vec<ConceptEntry>,
}

/// One concept as written in the file.
#[derive(Debug, Clone, Deserialize)]
pub struct ConceptEntry {
    /// The partnership field it belongs to (documentation only).
    #[serde(default)]
    pub field: Option<String>,
    /// Bokmål terms.
    #[serde(default)]
    pub nb: Vec<String>,
    /// Nynorsk terms.
    #[serde(default)]
    pub nn: Vec<String>,
    /// English terms.
    #[serde(default)]
    pub en: Vec<String>,
}

/// Parses a thesaurus file; `name` is used in error messages.
pub fn parse_thesaurus(text: &str, name: &str) -> Result<Vec<ConceptEntry>, String> {
    let file: ThesaurusFile = toml::from_str(text).map_err(|e| format!("{name}: {e}"))?;
    Ok(file.concept)
}

/// A term analysed for one analyser group: its terms with their positions relative to the first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnalysedTerm {
    /// The analyser group (field suffix) the term belongs to.
    pub group: String,
    /// (relative position, analysed term).
    pub terms: Vec<(usize, String)>,
    /// The term as written in the thesaurus.
    pub surface: String,
}

/// A term's analysed sequence and the index of its concept.
type TermSequence = (Vec<String>, usize);

/// The thesaurus, analysed with the index's own analysers so it matches analysed query text.
#[derive(Debug, Default)]
pub struct CompiledThesaurus {
    concepts: Vec<Vec<AnalysedTerm>>,
    /// group → first analysed term → (all analysed terms, concept index).
    starts: HashMap<String, HashMap<String, Vec<TermSequence>>>,
}

/// A concept found in a text.
#[derive(Debug, Clone)]
pub struct ConceptHit<'a> {
    /// How often the text uses the concept.
    pub count: u32,
    /// Every term of the concept.
    pub terms: &'a [AnalysedTerm],
    /// The concept's terms that the text itself uses (as written in the thesaurus).
    pub found: Vec<&'a str>,
}

impl CompiledThesaurus {
    /// Analyses every term: `group_of` names the group of a language code (`nb`, `nn`, `en`),
    /// `analyzers` holds each group's analyser.
    pub fn compile(
        entries: &[ConceptEntry],
        group_of: impl Fn(&str) -> String,
        analyzers: &HashMap<String, TextAnalyzer>,
    ) -> CompiledThesaurus {
        let mut compiled = CompiledThesaurus::default();
        for entry in entries {
            let mut terms: Vec<AnalysedTerm> = Vec::new();
            for (lang, list) in [("nb", &entry.nb), ("nn", &entry.nn), ("en", &entry.en)] {
                let group = group_of(lang);
                let Some(analyzer) = analyzers.get(&group) else {
                    continue;
                };
                for surface in list {
                    let analysed = analyse_positions(analyzer, surface);
                    if analysed.is_empty() {
                        continue;
                    }
                    let term = AnalysedTerm {
                        group: group.clone(),
                        terms: analysed,
                        surface: surface.clone(),
                    };
                    if !terms
                        .iter()
                        .any(|t| t.group == term.group && t.terms == term.terms)
                    {
                        terms.push(term);
                    }
                }
            }
            if terms.len() < 2 {
                continue;
            }
            let index = compiled.concepts.len();
            for term in &terms {
                let sequence: Vec<String> = term.terms.iter().map(|(_, t)| t.clone()).collect();
                compiled
                    .starts
                    .entry(term.group.clone())
                    .or_default()
                    .entry(sequence[0].clone())
                    .or_default()
                    .push((sequence, index));
            }
            compiled.concepts.push(terms);
        }
        compiled
    }

    /// Number of concepts.
    pub fn len(&self) -> usize {
        self.concepts.len()
    }

    /// Whether there are no concepts.
    pub fn is_empty(&self) -> bool {
        self.concepts.is_empty()
    }

    /// The concepts used in a text, given as its analysed terms per group (in text order).
    pub fn find<'a>(&'a self, analysed: &HashMap<String, Vec<String>>) -> Vec<ConceptHit<'a>> {
        let mut hits: HashMap<usize, (u32, Vec<&'a str>)> = HashMap::new();
        for (group, tokens) in analysed {
            let Some(starts) = self.starts.get(group) else {
                continue;
            };
            for i in 0..tokens.len() {
                let Some(candidates) = starts.get(&tokens[i]) else {
                    continue;
                };
                for (sequence, concept) in candidates {
                    if tokens.get(i..i + sequence.len()) == Some(sequence.as_slice()) {
                        let entry = hits.entry(*concept).or_default();
                        entry.0 += 1;
                        let surface = self.concepts[*concept]
                            .iter()
                            .find(|t| {
                                &t.group == group
                                    && t.terms.iter().map(|(_, s)| s).eq(sequence.iter())
                            })
                            .map(|t| t.surface.as_str());
                        if let Some(surface) = surface.filter(|s| !entry.1.contains(s)) {
                            entry.1.push(surface);
                        }
                    }
                }
            }
        }
        let mut out: Vec<(usize, ConceptHit<'a>)> = hits
            .into_iter()
            .map(|(i, (count, found))| {
                (
                    i,
                    ConceptHit {
                        count,
                        terms: &self.concepts[i],
                        found,
                    },
                )
            })
            .collect();
        out.sort_by_key(|(i, _)| *i);
        out.into_iter().map(|(_, hit)| hit).collect()
    }
}

/// Analyses a text keeping token positions relative to the first token.
pub fn analyse_positions(analyzer: &TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut analyzer = analyzer.clone();
    let mut stream = analyzer.token_stream(text);
    let mut out: Vec<(usize, String)> = Vec::new();
    let mut first = None;
    while stream.advance() {
        let token = stream.token();
        let base = *first.get_or_insert(token.position);
        out.push((token.position - base, token.text.clone()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compiled_in_thesaurus_parses() {
        let concepts = parse_thesaurus(THESAURUS_TOML, "thesaurus.toml").unwrap();
        assert!(concepts.len() > 100, "{}", concepts.len());
        assert!(
            concepts
                .iter()
                .all(|c| !c.nb.is_empty() && !c.en.is_empty())
        );
    }

    #[test]
    fn a_broken_file_names_itself() {
        let err = parse_thesaurus("version = \"x\"", "extra.toml").unwrap_err();
        assert!(err.starts_with("extra.toml:"), "{err}");
    }
}
