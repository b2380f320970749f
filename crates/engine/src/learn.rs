//! `kobler learn-terms`: term pairs learned from the parallel titles and summaries that feeds
//! carry (Cristin gives a result's or project's title in bokmål, nynorsk and English), written
//! as a thesaurus file in the data directory so the next start expands queries with them.
//!
//! The file is data a coordinator can read and edit; learning again overwrites it.

use crate::{Engine, EngineError, LEARNED_THESAURUS_FILE, Result};
use kobler_core::{Kind, Lang, Record};
use kobler_matcher::term_pairs::{LearnParams, TermPair, Tokens, learn_term_pairs};
use serde::Serialize;
use serde_json::{Map, Value};
use std::path::PathBuf;

/// Language keys of a language map that count as Norwegian, in order of preference.
const NORWEGIAN_KEYS: [&str; 3] = ["nb", "nn", "no"];

/// What learning found.
#[derive(Debug, Clone, Serialize)]
pub struct LearnReport {
    /// Records with a Norwegian and an English version of their text.
    pub parallel_records: usize,
    /// The pairs learned, by Norwegian word.
    pub pairs: Vec<LearnedPair>,
    /// Where they were written.
    pub file: PathBuf,
}

/// One learned pair.
#[derive(Debug, Clone, Serialize)]
pub struct LearnedPair {
    /// The Norwegian word.
    pub norwegian: String,
    /// The English word or phrase.
    pub english: String,
    /// Records where both occur.
    pub together: u32,
    /// Dice coefficient over records.
    pub dice: f32,
}

impl From<TermPair> for LearnedPair {
    fn from(p: TermPair) -> Self {
        LearnedPair {
            norwegian: p.norwegian,
            english: p.english,
            together: p.together,
            dice: p.dice,
        }
    }
}

#[derive(Serialize)]
struct ThesaurusFile {
    version: u32,
    concept: Vec<Concept>,
}

#[derive(Serialize)]
struct Concept {
    field: &'static str,
    nb: Vec<String>,
    en: Vec<String>,
}

/// The Norwegian and the English text of a record's language maps (`title_by_language`,
/// `summary_by_language` in `extra`), when it has both.
fn parallel_text(extra: &Map<String, Value>) -> Option<(String, String)> {
    let pick = |map: &str, keys: &[&str]| -> Option<String> {
        let languages = extra.get(map)?.as_object()?;
        keys.iter()
            .find_map(|k| languages.get(*k).and_then(Value::as_str))
            .map(str::to_string)
    };
    let norwegian_title = pick("title_by_language", &NORWEGIAN_KEYS)?;
    let english_title = pick("title_by_language", &["en"])?;
    let norwegian = match pick("summary_by_language", &NORWEGIAN_KEYS) {
        Some(summary) => format!("{norwegian_title}\n{summary}"),
        None => norwegian_title,
    };
    let english = match pick("summary_by_language", &["en"]) {
        Some(summary) => format!("{english_title}\n{summary}"),
        None => english_title,
    };
    Some((norwegian, english))
}

impl Engine {
    /// Learns term pairs from every work and project that carries its text in Norwegian and in
    /// English, and writes them to [`LEARNED_THESAURUS_FILE`] in the data directory, replacing
    /// what was learned before. They take effect when Kobler next opens the data directory.
    pub async fn learn_terms(&self, params: LearnParams) -> Result<LearnReport> {
        let mut records: Vec<(Tokens, Tokens)> = Vec::new();
        for kind in [Kind::Work, Kind::Project] {
            for record in self.store.list(kind).await? {
                let extra = match &record {
                    Record::Work(w) => &w.extra,
                    Record::Project(p) => &p.extra,
                    _ => continue,
                };
                let Some((norwegian, english)) = parallel_text(extra) else {
                    continue;
                };
                // The map's keys say which language each side is in; detection would often
                // guess wrong on a title of four words.
                let no = self.index.analyse_text_in(&norwegian, Lang::Nb);
                let en = self.index.analyse_text_in(&english, Lang::En);
                records.push((no.tokens().to_vec(), en.tokens().to_vec()));
            }
        }
        let pairs: Vec<LearnedPair> = learn_term_pairs(&records, params)
            .into_iter()
            .map(LearnedPair::from)
            .collect();
        let file = self.data_dir.join(LEARNED_THESAURUS_FILE);
        let thesaurus = ThesaurusFile {
            version: 1,
            concept: pairs
                .iter()
                .map(|p| Concept {
                    field: "learned",
                    nb: vec![p.norwegian.clone()],
                    en: vec![p.english.clone()],
                })
                .collect(),
        };
        let body = toml::to_string(&thesaurus)
            .map_err(|e| EngineError::Invalid(format!("cannot write the learned terms: {e}")))?;
        let text = format!(
            "# Term pairs learned by `kobler learn-terms` from {} records with Norwegian and \
             English text.\n# Same format as index/thesaurus.toml. Edit freely; learning again \
             overwrites this file.\n\n{body}",
            records.len()
        );
        std::fs::write(&file, text)
            .map_err(|e| EngineError::Io(format!("cannot write {}: {e}", file.display())))?;
        Ok(LearnReport {
            parallel_records: records.len(),
            pairs,
            file,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn extra(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn parallel_text_prefers_bokmal_and_adds_summaries() {
        let record = extra(json!({
            "title_by_language": {"no": "Snøskred", "nb": "Snøskred langs vei", "en": "Avalanches along roads"},
            "summary_by_language": {"en": "Warnings and closures."}
        }));
        let (no, en) = parallel_text(&record).unwrap();
        assert_eq!(no, "Snøskred langs vei");
        assert_eq!(en, "Avalanches along roads\nWarnings and closures.");
    }

    #[test]
    fn one_language_is_not_parallel_text() {
        let record = extra(json!({"title_by_language": {"nb": "Snøskred"}}));
        assert!(parallel_text(&record).is_none());
        assert!(parallel_text(&Map::new()).is_none());
        let wrong_type = extra(json!({"title_by_language": ["Snøskred", "Avalanches"]}));
        assert!(parallel_text(&wrong_type).is_none());
    }
}
