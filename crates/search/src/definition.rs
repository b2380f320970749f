//! The index definition, read from `index/analysis.toml` (compiled in).

use crate::normalise::{SPELLING_PAIRS_TSV, SpellingNormaliser, parse_spelling_pairs};
use kobler_core::Lang;
use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use tantivy::tokenizer::{
    AsciiFoldingFilter, Language, LowerCaser, RemoveLongFilter, SimpleTokenizer, Stemmer,
    StopWordFilter, TextAnalyzer, TextAnalyzerBuilder,
};

/// The definition's source text, as compiled into the binary.
pub const DEFINITION_TOML: &str = include_str!("../../../index/analysis.toml");

/// How the texts of one group of languages are analysed.
#[derive(Debug, Clone, Deserialize)]
pub struct AnalyzerGroup {
    /// Language codes (`nb`, `nn`, `en`, `other`) whose texts belong to this group.
    pub languages: Vec<String>,
    /// Snowball stemmer to apply, by language name.
    #[serde(default)]
    pub stemmer: Option<String>,
    /// Built-in stop word list, by language name.
    #[serde(default)]
    pub stopwords: Option<String>,
    /// More stop words (lower case, before stemming).
    #[serde(default)]
    pub extra_stopwords: Vec<String>,
    /// Fold accented letters to ASCII.
    #[serde(default)]
    pub ascii_folding: bool,
    /// Write nynorsk forms the bokmål way first (pairs from `index/nb_nn.tsv`).
    #[serde(default)]
    pub normalise_spelling: bool,
    /// Split compound words of queries into parts that the index knows.
    #[serde(default)]
    pub split_compounds: bool,
}

/// The whole index definition.
#[derive(Debug, Clone, Deserialize)]
pub struct IndexDefinition {
    /// Bumped by hand when the meaning of the definition changes.
    pub version: u32,
    /// Analyser groups by name; the name becomes part of the field names (`body_no`).
    pub groups: BTreeMap<String, AnalyzerGroup>,
    /// nynorsk → bokmål spelling pairs, from `index/nb_nn.tsv`.
    #[serde(skip)]
    pub spelling: Arc<HashMap<String, String>>,
}

/// Why the index definition cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum DefinitionError {
    /// The TOML does not parse.
    #[error("index definition does not parse: {0}")]
    Parse(toml::de::Error),
    /// A setting names something that does not exist.
    #[error("index definition: {0}")]
    Invalid(String),
}

/// Not `#[from]`, which would also make the TOML error the `source()` of a message that
/// already holds it (an error chain would print it twice).
impl From<toml::de::Error> for DefinitionError {
    fn from(error: toml::de::Error) -> Self {
        DefinitionError::Parse(error)
    }
}

impl IndexDefinition {
    /// The definition compiled into this binary.
    pub fn builtin() -> Result<IndexDefinition, DefinitionError> {
        IndexDefinition::parse(DEFINITION_TOML)
    }

    /// Parses and checks a definition.
    pub fn parse(text: &str) -> Result<IndexDefinition, DefinitionError> {
        let mut definition: IndexDefinition = toml::from_str(text)?;
        definition.spelling =
            Arc::new(parse_spelling_pairs(SPELLING_PAIRS_TSV).map_err(DefinitionError::Invalid)?);
        for lang in ["nb", "nn", "en", "other"] {
            let owners = definition
                .groups
                .values()
                .filter(|g| g.languages.iter().any(|l| l == lang))
                .count();
            if owners != 1 {
                return Err(DefinitionError::Invalid(format!(
                    "language {lang:?} must belong to exactly one group, not {owners}"
                )));
            }
        }
        for (name, group) in &definition.groups {
            for setting in [&group.stemmer, &group.stopwords].into_iter().flatten() {
                snowball_language(setting).ok_or_else(|| {
                    DefinitionError::Invalid(format!("group {name}: unknown language {setting:?}"))
                })?;
            }
        }
        Ok(definition)
    }

    /// The group that analyses texts in `lang`.
    pub fn group_of(&self, lang: Lang) -> &str {
        self.groups
            .iter()
            .find(|(_, g)| g.languages.iter().any(|l| l == lang.code()))
            .map(|(name, _)| name.as_str())
            // parse() guarantees every language has a group; "other" is the safe fallback.
            .unwrap_or("other")
    }

    /// A fingerprint of the definition: an index built under another one must be rebuilt.
    pub fn fingerprint(&self) -> String {
        // FNV-1a over the source text: stable across builds and platforms.
        let mut hash: u64 = 0xcbf29ce484222325;
        // The parsed groups (with options applied) and the spelling pairs decide the terms.
        let groups = format!("{:?}", self.groups);
        for byte in groups.bytes().chain(SPELLING_PAIRS_TSV.bytes()) {
            hash ^= u64::from(byte);
            hash = hash.wrapping_mul(0x100000001b3);
        }
        format!("v{}-{hash:016x}", self.version)
    }

    /// The analyser that only splits, lower-cases and normalises spelling: words as written,
    /// for compound splitting.
    pub fn surface_analyzer(&self, group: &AnalyzerGroup) -> TextAnalyzer {
        self.surface_builder(group).build()
    }

    /// The first steps every analyser of a group shares.
    fn surface_builder(&self, group: &AnalyzerGroup) -> TextAnalyzerBuilder {
        let mut builder = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(RemoveLongFilter::limit(40))
            .filter(LowerCaser)
            .dynamic();
        if group.normalise_spelling {
            builder = builder.filter_dynamic(SpellingNormaliser::new(self.spelling.clone()));
        }
        builder
    }

    /// Builds the tantivy analyser of one group.
    pub fn analyzer(&self, group: &AnalyzerGroup) -> TextAnalyzer {
        let mut builder = self.surface_builder(group);
        if let Some(filter) = group
            .stopwords
            .as_deref()
            .and_then(snowball_language)
            .and_then(StopWordFilter::new)
        {
            builder = builder.filter_dynamic(filter);
        }
        if !group.extra_stopwords.is_empty() {
            builder = builder.filter_dynamic(StopWordFilter::remove(
                group.extra_stopwords.iter().cloned(),
            ));
        }
        if group.ascii_folding {
            builder = builder.filter_dynamic(AsciiFoldingFilter);
        }
        if let Some(language) = group.stemmer.as_deref().and_then(snowball_language) {
            builder = builder.filter_dynamic(Stemmer::new(language));
        }
        builder.build()
    }
}

fn snowball_language(name: &str) -> Option<Language> {
    Some(match name.to_ascii_lowercase().as_str() {
        "norwegian" => Language::Norwegian,
        "english" => Language::English,
        "swedish" => Language::Swedish,
        "danish" => Language::Danish,
        "german" => Language::German,
        "french" => Language::French,
        "spanish" => Language::Spanish,
        "finnish" => Language::Finnish,
        _ => return None,
    })
}
