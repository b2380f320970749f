//! Person identifiers shared by the feeds: ORCID iD, Cristin person id and OpenAlex author id.
//!
//! Feeds write them in several forms (`https://orcid.org/0000-…`, lower-case check digit,
//! `https://openalex.org/A…`); they are normalised here so that the same person from two feeds
//! has the same key, and so that the store and the import agree on it.

use crate::record::Researcher;

/// The identifier schemes a researcher can be found by, strongest first.
pub const SCHEMES: [&str; 3] = ["orcid", "cristin", "openalex"];

/// `0000-0002-1825-009X` from any common spelling (URL, lower-case `x`, surrounding blanks);
/// `None` when it is not 16 digits (the last may be `X`) in four groups.
pub fn normalize_orcid(raw: &str) -> Option<String> {
    let s = raw.trim();
    let s = s
        .strip_prefix("https://orcid.org/")
        .or_else(|| s.strip_prefix("http://orcid.org/"))
        .or_else(|| s.strip_prefix("orcid.org/"))
        .or_else(|| s.strip_prefix("orcid:"))
        .unwrap_or(s);
    let compact: String = s
        .chars()
        .filter(|c| *c != '-')
        .collect::<String>()
        .to_uppercase();
    let valid = compact.len() == 16
        && compact
            .chars()
            .enumerate()
            .all(|(i, c)| c.is_ascii_digit() || (i == 15 && c == 'X'));
    if !valid {
        return None;
    }
    Some(format!(
        "{}-{}-{}-{}",
        &compact[0..4],
        &compact[4..8],
        &compact[8..12],
        &compact[12..16]
    ))
}

/// A Cristin person id (digits), also from a `cristin:` prefix or an API URL.
pub fn normalize_cristin(raw: &str) -> Option<String> {
    let s = raw.trim();
    let s = s.rsplit('/').next().unwrap_or(s);
    let s = s.strip_prefix("cristin:").unwrap_or(s);
    (!s.is_empty() && s.chars().all(|c| c.is_ascii_digit())).then(|| s.to_string())
}

/// An OpenAlex id (`A5012345678`, `W…`, `I…`) from its URL or bare form, upper-cased prefix.
pub fn normalize_openalex(raw: &str) -> Option<String> {
    let s = raw.trim();
    let s = s.rsplit('/').next().unwrap_or(s);
    let s = s.strip_prefix("openalex:").unwrap_or(s);
    let mut chars = s.chars();
    let first = chars.next()?.to_ascii_uppercase();
    let rest: String = chars.collect();
    (first.is_ascii_alphabetic() && !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()))
        .then(|| format!("{first}{rest}"))
}

/// The identifiers a researcher record carries, as (scheme, normalised value), strongest first:
/// `orcid`, `cristin_id`, and the OpenAlex author id kept in `extra.openalex_id`.
pub fn researcher_identities(r: &Researcher) -> Vec<(&'static str, String)> {
    let mut ids = Vec::new();
    if let Some(orcid) = r.orcid.as_deref().and_then(normalize_orcid) {
        ids.push(("orcid", orcid));
    }
    if let Some(cristin) = r.cristin_id.as_deref().and_then(normalize_cristin) {
        ids.push(("cristin", cristin));
    }
    if let Some(openalex) = r
        .extra
        .get("openalex_id")
        .and_then(|v| v.as_str())
        .and_then(normalize_openalex)
    {
        ids.push(("openalex", openalex));
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orcid_spellings_normalise_to_one_key() {
        let want = Some("0000-0002-1825-009X".to_string());
        assert_eq!(
            normalize_orcid("https://orcid.org/0000-0002-1825-009x"),
            want
        );
        assert_eq!(
            normalize_orcid(" 0000000218250 09X".replace(' ', "").as_str()),
            want
        );
        assert_eq!(normalize_orcid("0000-0002-1825-009X"), want);
        assert_eq!(normalize_orcid("0000-0002-1825"), None);
        assert_eq!(normalize_orcid("X000-0002-1825-0097"), None);
    }

    #[test]
    fn cristin_and_openalex_ids_lose_their_urls() {
        assert_eq!(
            normalize_cristin("https://api.cristin.no/v2/persons/12345").as_deref(),
            Some("12345")
        );
        assert_eq!(normalize_cristin("12a"), None);
        assert_eq!(
            normalize_openalex("https://openalex.org/A5023888391").as_deref(),
            Some("A5023888391")
        );
        assert_eq!(normalize_openalex("a12").as_deref(), Some("A12"));
        assert_eq!(normalize_openalex("https://openalex.org/"), None);
    }
}
