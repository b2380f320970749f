//! Language detection per text: bokmål, nynorsk, English, or other.
//!
//! whatlang knows bokmål only, so nynorsk is recognised afterwards by its marker words.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The languages Kobler analyses separately. Everything else is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    /// Norwegian bokmål.
    Nb,
    /// Norwegian nynorsk.
    Nn,
    /// English.
    En,
    /// Any other language, or too little text to tell.
    Other,
}

impl Lang {
    /// The ISO 639-1 style code used in feeds and output.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Nb => "nb",
            Lang::Nn => "nn",
            Lang::En => "en",
            Lang::Other => "other",
        }
    }

    /// Reads a language code as feeds write it (`nb`, `nob`, `no`, `nn`, `nno`, `en`, `eng`…).
    pub fn from_code(code: &str) -> Lang {
        match code.trim().to_ascii_lowercase().as_str() {
            "nb" | "nob" | "no" | "nor" => Lang::Nb,
            "nn" | "nno" => Lang::Nn,
            "en" | "eng" => Lang::En,
            _ => Lang::Other,
        }
    }

    /// Whether the text is Norwegian (either written standard).
    pub fn is_norwegian(self) -> bool {
        matches!(self, Lang::Nb | Lang::Nn)
    }
}

impl fmt::Display for Lang {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Words that are written this way in nynorsk but not in bokmål.
const NYNORSK_MARKERS: &[&str] = &[
    "ikkje",
    "kva",
    "korleis",
    "kvifor",
    "kven",
    "kvar",
    "eg",
    "ho",
    "frå",
    "eit",
    "berre",
    "mykje",
    "noko",
    "nokre",
    "nokon",
    "meir",
    "fleire",
    "sjølv",
    "dei",
    "desse",
    "medan",
    "òg",
    "ein",
    "vere",
    "vore",
    "vert",
    "tenester",
    "teneste",
    "tenestene",
    "heime",
    "heimen",
    "offentleg",
    "saman",
    "utan",
];

/// Their bokmål counterparts, so a bokmål text that happens to share a word is not flipped.
const BOKMAL_MARKERS: &[&str] = &[
    "ikke",
    "hva",
    "hvordan",
    "hvorfor",
    "hvem",
    "hvor",
    "jeg",
    "hun",
    "fra",
    "et",
    "bare",
    "mye",
    "noe",
    "noen",
    "mer",
    "flere",
    "selv",
    "de",
    "disse",
    "mens",
    "være",
    "vært",
    "tjenester",
    "tjeneste",
    "tjenestene",
    "hjemme",
    "hjemmet",
    "offentlig",
    "sammen",
    "uten",
];

/// Words shared by both written standards: they count for neither.
const SHARED: &[&str] = &["blir", "mellom", "også", "etter", "arbeid", "gjennom"];

/// Detects the language of a text. Short or empty texts are `Other`.
pub fn detect_language(text: &str) -> Lang {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    if words.is_empty() {
        return Lang::Other;
    }
    let detector = whatlang::Detector::with_allowlist(vec![
        whatlang::Lang::Eng,
        whatlang::Lang::Nob,
        whatlang::Lang::Swe,
        whatlang::Lang::Deu,
        whatlang::Lang::Fra,
        whatlang::Lang::Spa,
        whatlang::Lang::Fin,
    ]);
    let (nn, nb) = norwegian_marker_counts(&words);
    match detector.detect_lang(text) {
        Some(whatlang::Lang::Eng) => {
            // Short Norwegian titles are sometimes taken for English; markers settle it.
            if nn + nb >= 2.0 && words.len() < 12 {
                if nn > nb { Lang::Nn } else { Lang::Nb }
            } else {
                Lang::En
            }
        }
        Some(whatlang::Lang::Nob) => {
            if nn > nb && nn >= 1.0 {
                Lang::Nn
            } else {
                Lang::Nb
            }
        }
        // Swedish is the usual mistake for short Norwegian text; marker words settle it.
        Some(whatlang::Lang::Swe) if nn + nb >= 1.0 => {
            if nn > nb {
                Lang::Nn
            } else {
                Lang::Nb
            }
        }
        Some(_) => Lang::Other,
        None => {
            if nn > nb && nn >= 1.0 {
                Lang::Nn
            } else if nb >= 1.0 {
                Lang::Nb
            } else {
                Lang::Other
            }
        }
    }
}

/// Counts nynorsk and bokmål marker words; the nynorsk plural ending `-ane` counts half.
fn norwegian_marker_counts(words: &[String]) -> (f32, f32) {
    let mut nn = 0.0;
    let mut nb = 0.0;
    for word in words {
        let w = word.as_str();
        if SHARED.contains(&w) {
            continue;
        }
        if NYNORSK_MARKERS.contains(&w) {
            nn += 1.0;
        } else if BOKMAL_MARKERS.contains(&w) {
            nb += 1.0;
        } else if w.chars().count() > 6 && w.ends_with("ane") {
            nn += 0.5;
        }
    }
    (nn, nb)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_bokmal_need() {
        let text = "Vi ønsker å vite hvordan hjemmetjenesten kan bruke velferdsteknologi for å \
                    gi eldre som bor hjemme en tryggere hverdag, og hva som skal til for at \
                    ansatte tar i bruk nye verktøy.";
        assert_eq!(detect_language(text), Lang::Nb);
    }

    #[test]
    fn detects_nynorsk_by_marker_words() {
        let text = "Kommunen ønskjer å vite korleis heimetenesta kan ta i bruk velferdsteknologi, \
                    og kva som skal til for at dei tilsette ikkje opplever det som meir arbeid.";
        assert_eq!(detect_language(text), Lang::Nn);
    }

    #[test]
    fn detects_english_abstract() {
        let text = "We study how electronic medication dispensers affect adherence among \
                    community-dwelling older adults receiving home care services.";
        assert_eq!(detect_language(text), Lang::En);
    }

    #[test]
    fn empty_text_is_other() {
        assert_eq!(detect_language("  "), Lang::Other);
    }

    #[test]
    fn reads_feed_language_codes() {
        assert_eq!(Lang::from_code("nob"), Lang::Nb);
        assert_eq!(Lang::from_code("NN"), Lang::Nn);
        assert_eq!(Lang::from_code("en"), Lang::En);
        assert_eq!(Lang::from_code("de"), Lang::Other);
    }
}
