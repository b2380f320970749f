//! A token filter that writes nynorsk word forms the bokmål way (`teneste` → `tjeneste`), so that
//! both written standards meet in one set of terms before stemming.

use std::collections::HashMap;
use std::sync::Arc;
use tantivy::tokenizer::{Token, TokenFilter, TokenStream, Tokenizer};

/// The spelling pairs compiled in from `index/nb_nn.tsv`.
pub const SPELLING_PAIRS_TSV: &str = include_str!("../../../index/nb_nn.tsv");

/// Reads `bokmål<TAB>nynorsk` lines (`#` comments and blank lines skipped) into a map from the
/// nynorsk form to the bokmål form. Malformed lines are reported by number.
pub fn parse_spelling_pairs(text: &str) -> Result<HashMap<String, String>, String> {
    let mut map = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.split('\t').map(str::trim);
        match (parts.next(), parts.next(), parts.next()) {
            (Some(nb), Some(nn), None) if !nb.is_empty() && !nn.is_empty() => {
                if nb != nn {
                    map.insert(nn.to_lowercase(), nb.to_lowercase());
                }
            }
            _ => {
                return Err(format!(
                    "nb_nn.tsv:{}: expected `bokmål<TAB>nynorsk`",
                    i + 1
                ));
            }
        }
    }
    Ok(map)
}

/// `text` with every word found in `map` (nynorsk → bokmål) written the bokmål way, everything
/// else (punctuation, spacing, other words) kept as it is. A word's capital initial is kept:
/// «Tenesta» becomes «Tjenesten». For readers of whole sentences, such as sentence encoders,
/// that read bokmål better than nynorsk.
pub fn respell(text: &str, map: &HashMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word_start: Option<usize> = None;
    let flush = |out: &mut String, word: &str| {
        let lower = word.to_lowercase();
        match map.get(&lower) {
            Some(bokmal) => {
                let mut chars = word.chars();
                if chars.next().is_some_and(char::is_uppercase) {
                    let mut respelt = bokmal.chars();
                    if let Some(first) = respelt.next() {
                        out.extend(first.to_uppercase());
                        out.push_str(respelt.as_str());
                    }
                } else {
                    out.push_str(bokmal);
                }
            }
            None => out.push_str(word),
        }
    };
    for (at, c) in text.char_indices() {
        if c.is_alphanumeric() {
            word_start.get_or_insert(at);
        } else {
            if let Some(start) = word_start.take() {
                flush(&mut out, &text[start..at]);
            }
            out.push(c);
        }
    }
    if let Some(start) = word_start {
        flush(&mut out, &text[start..]);
    }
    out
}

/// Replaces each token found in the map by its mapped form.
#[derive(Clone)]
pub struct SpellingNormaliser {
    map: Arc<HashMap<String, String>>,
}

impl SpellingNormaliser {
    /// A filter over the given nynorsk → bokmål map.
    pub fn new(map: Arc<HashMap<String, String>>) -> Self {
        SpellingNormaliser { map }
    }
}

impl TokenFilter for SpellingNormaliser {
    type Tokenizer<T: Tokenizer> = SpellingNormaliserFilter<T>;

    fn transform<T: Tokenizer>(self, tokenizer: T) -> Self::Tokenizer<T> {
        SpellingNormaliserFilter {
            map: self.map,
            inner: tokenizer,
        }
    }
}

/// The tokenizer produced by [`SpellingNormaliser`].
#[derive(Clone)]
pub struct SpellingNormaliserFilter<T> {
    map: Arc<HashMap<String, String>>,
    inner: T,
}

impl<T: Tokenizer> Tokenizer for SpellingNormaliserFilter<T> {
    type TokenStream<'a> = SpellingNormaliserStream<'a, T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        SpellingNormaliserStream {
            map: &self.map,
            tail: self.inner.token_stream(text),
        }
    }
}

/// The token stream produced by [`SpellingNormaliser`].
pub struct SpellingNormaliserStream<'a, S> {
    map: &'a HashMap<String, String>,
    tail: S,
}

impl<S: TokenStream> TokenStream for SpellingNormaliserStream<'_, S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        if let Some(bokmal) = self.map.get(&self.tail.token().text) {
            self.tail.token_mut().text.clone_from(bokmal);
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tantivy::tokenizer::{LowerCaser, SimpleTokenizer, TextAnalyzer};

    #[test]
    fn nynorsk_forms_become_bokmal() {
        let map = parse_spelling_pairs("# comment\ntjeneste\tteneste\nikke\tikkje\n").unwrap();
        let mut analyzer = TextAnalyzer::builder(SimpleTokenizer::default())
            .filter(LowerCaser)
            .filter(SpellingNormaliser::new(Arc::new(map)))
            .build();
        let mut stream = analyzer.token_stream("Teneste ikkje god");
        let mut words = Vec::new();
        while stream.advance() {
            words.push(stream.token().text.clone());
        }
        assert_eq!(words, ["tjeneste", "ikke", "god"]);
    }

    #[test]
    fn respelling_changes_only_the_listed_words_and_keeps_capitals() {
        let map = parse_spelling_pairs("tjenesten\ttenesta\nikke\tikkje\n").unwrap();
        assert_eq!(
            respell("Tenesta er ikkje god, men tenesta-ein (kva?)", &map),
            "Tjenesten er ikke god, men tjenesten-ein (kva?)"
        );
        assert_eq!(respell("", &map), "");
        assert_eq!(respell("ikkje", &map), "ikke");
    }

    #[test]
    fn malformed_pairs_are_reported_by_line() {
        assert_eq!(
            parse_spelling_pairs("a\tb\nonly-one\n").unwrap_err(),
            "nb_nn.tsv:2: expected `bokmål<TAB>nynorsk`"
        );
    }

    #[test]
    fn the_compiled_in_pairs_parse() {
        assert!(parse_spelling_pairs(SPELLING_PAIRS_TSV).unwrap().len() > 50);
    }
}
