//! The limits the server holds requests to, beside the record limits of
//! [`kobler_core::record`]: search queries, coordinators' notes, URIs. Each is checked where
//! the value is read and documented in the OpenAPI document, so a client that reads the schema
//! sees the rules the server enforces.

/// The longest search query, in characters.
pub const MAX_QUERY_CHARS: usize = 1_000;
/// The most words a search query may have (a word: a run of letters and digits, as the index
/// splits text). Each word is looked up in every language's fields, so the words, not the
/// characters, set the cost: 5,000 words took 4.8 s, 64 take milliseconds.
pub const MAX_QUERY_TERMS: usize = 64;
/// The longest note on an overlap or pairing decision, in characters (the engine holds pairing
/// notes to the same number).
pub const MAX_NOTE_CHARS: usize = kobler_engine::MAX_NOTE_CHARS;
/// The longest request target (path and query) served, in bytes. A query of
/// [`MAX_QUERY_CHARS`] non-ASCII characters, percent-encoded, and every filter fit with room to
/// spare. hyper itself answers (with an empty 414 of its own) only past 65,534 bytes, so up to
/// there the answer is Kobler's, in JSON.
pub const MAX_URI_BYTES: usize = 16 * 1024;

/// Reads an optional whole-number query parameter (`top`, `limit`, `offset`, `depth`) as the
/// OpenAPI document describes it: any non-negative integer, however large. One too large for
/// the machine is read as the largest there is, so that a parameter the server cuts to its
/// maximum (`limit`, `top`) is cut rather than refused, and one it refuses above a maximum
/// (`offset`) is refused with that reason, not with an overflow.
pub(crate) fn whole_number<'de, D>(deserializer: D) -> Result<Option<usize>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    use serde::Deserialize;
    use serde::de::Error;
    let Some(text) = Option::<String>::deserialize(deserializer)? else {
        return Ok(None);
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(D::Error::custom(format!(
            "must be a whole number of at least 0, not {text:?}"
        )));
    }
    // Only digits: the one way to fail is to be too large.
    Ok(Some(text.parse().unwrap_or(usize::MAX)))
}

/// Why `query` is too long to search with, if it is, worded for the API's error.
pub(crate) fn query_problem(query: &str) -> Option<String> {
    let chars = query.chars().count();
    if chars > MAX_QUERY_CHARS {
        return Some(format!(
            "the query is {chars} characters long; at most {MAX_QUERY_CHARS} are allowed"
        ));
    }
    let terms = query_terms(query);
    (terms > MAX_QUERY_TERMS)
        .then(|| format!("the query has {terms} words; at most {MAX_QUERY_TERMS} are allowed"))
}

/// How many words a query has: runs of letters and digits. Counting by whitespace would let
/// `a-b-c-…` pass as one word while the index splits it into hundreds.
fn query_terms(query: &str) -> usize {
    query
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .count()
}

/// Why a note is too long, if it is.
pub(crate) fn note_problem(note: Option<&str>) -> Option<String> {
    let chars = note.map(str::trim).map_or(0, |n| n.chars().count());
    (chars > MAX_NOTE_CHARS).then(|| {
        format!("the note is {chars} characters long; at most {MAX_NOTE_CHARS} are allowed")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_held_to_characters_and_words() {
        assert_eq!(query_problem("barnehage språk"), None);
        assert_eq!(query_problem(&"ø".repeat(MAX_QUERY_CHARS)), None);
        let long = query_problem(&"ø".repeat(MAX_QUERY_CHARS + 1)).expect("too long");
        assert!(long.contains("at most 1000"), "{long}");
        let words = vec!["ord"; MAX_QUERY_TERMS].join(" ");
        assert_eq!(query_problem(&words), None);
        let many = query_problem(&format!("{words} ett")).expect("too many words");
        assert!(many.contains("65 words; at most 64"), "{many}");
        // Punctuation does not make one word of many.
        assert!(query_problem(&vec!["a"; 65].join("-")).is_some());
        assert!(query_problem("\"+barn -hage\"").is_none());
    }

    #[derive(Debug, serde::Deserialize)]
    struct Params {
        #[serde(default, deserialize_with = "whole_number")]
        top: Option<usize>,
    }

    #[test]
    fn whole_numbers_of_any_size_are_read_and_anything_else_is_refused() {
        let read = |q: &str| {
            let uri: axum::http::Uri = format!("/x?{q}").parse().expect("uri");
            axum::extract::Query::<Params>::try_from_uri(&uri).map(|p| p.0.top)
        };
        assert_eq!(read("").ok(), Some(None));
        assert_eq!(read("top=7").ok(), Some(Some(7)));
        assert_eq!(
            read("top=99999999999999999999999999").ok(),
            Some(Some(usize::MAX))
        );
        for bad in [
            "top=", "top=-1", "top=1.5", "top=many", "top=+3", "top=%201",
        ] {
            assert!(read(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn notes_are_held_to_their_limit_after_trimming() {
        assert_eq!(note_problem(None), None);
        let at = format!("  {}  ", "n".repeat(MAX_NOTE_CHARS));
        assert_eq!(note_problem(Some(&at)), None);
        assert!(note_problem(Some(&"n".repeat(MAX_NOTE_CHARS + 1))).is_some());
    }
}
