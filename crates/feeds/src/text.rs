//! Text helpers shared by the foreign-format readers: typed field access with reasons that name
//! the field, language maps, HTML stripping, slugs, dates and size limits.

use serde_json::{Map, Value};

/// A text field (title, abstract, summary, description, bio) longer than this rejects its
/// record: no real abstract is that long, and an index of such fields would be useless.
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;

/// The JSON type of a value, worded as record validation words it.
pub(crate) use kobler_core::json_type;

/// The object a record must be.
pub(crate) fn object<'a>(value: &'a Value, what: &str) -> Result<&'a Map<String, Value>, String> {
    value
        .as_object()
        .ok_or_else(|| format!("{what} is {}, not a JSON object", json_type(value)))
}

/// An optional string field (`null` and blank count as absent).
pub(crate) fn opt_str<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim())),
        Some(other) => Err(format!(
            "`{key}` must be a string, not {}",
            json_type(other)
        )),
    }
}

/// An id field: a non-empty string or a whole number (sources write both).
pub(crate) fn id_field(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string())),
        Some(Value::Number(n)) if n.is_u64() => Ok(Some(n.to_string())),
        Some(other) => Err(format!(
            "`{key}` must be an id (string or whole number), not {}",
            json_type(other)
        )),
    }
}

/// A required id field.
pub(crate) fn required_id(obj: &Map<String, Value>, key: &str) -> Result<String, String> {
    id_field(obj, key)?.ok_or_else(|| format!("`{key}` is missing"))
}

/// A year: a whole number or a numeric string.
pub(crate) fn year(obj: &Map<String, Value>, key: &str) -> Result<Option<i32>, String> {
    let bad = |shown: String| format!("`{key}` must be a year, not {shown}");
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(y) if (0..=9999).contains(&y) => Ok(Some(y as i32)),
            _ => Err(bad(n.to_string())),
        },
        Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
        Some(Value::String(s)) => match s.trim().parse::<i32>() {
            Ok(y) if (0..=9999).contains(&y) => Ok(Some(y)),
            _ => Err(bad(format!("{s:?}"))),
        },
        Some(other) => Err(bad(json_type(other).into())),
    }
}

/// An optional list field (`null` counts as empty).
pub(crate) fn list<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<&'a [Value], String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(&[]),
        Some(Value::Array(items)) => Ok(items),
        Some(other) => Err(format!("`{key}` must be a list, not {}", json_type(other))),
    }
}

/// An optional object field (`null` counts as absent).
pub(crate) fn opt_obj<'a>(
    obj: &'a Map<String, Value>,
    key: &str,
) -> Result<Option<&'a Map<String, Value>>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => Ok(Some(o)),
        Some(other) => Err(format!(
            "`{key}` must be an object, not {}",
            json_type(other)
        )),
    }
}

/// Language preference when several versions of a text are joined: the original language
/// first, then Norwegian (bokmål, nynorsk, unspecified), then English, then the rest.
const LANGUAGE_ORDER: [&str; 4] = ["nb", "nn", "no", "en"];

/// A language map (`{"nb": "…", "en": "…"}`) as (language, text) pairs, HTML stripped, blanks
/// dropped, `first` language first. `None` and `null` give an empty list.
pub(crate) fn lang_map(
    value: Option<&Value>,
    field: &str,
    first: Option<&str>,
) -> Result<Vec<(String, String)>, String> {
    let map = match value {
        None | Some(Value::Null) => return Ok(Vec::new()),
        Some(Value::Object(map)) => map,
        // Some endpoints give a plain string where others give a map.
        Some(Value::String(s)) => {
            let s = strip_html(s);
            return Ok(if s.is_empty() {
                vec![]
            } else {
                vec![("und".into(), s)]
            });
        }
        Some(other) => {
            return Err(format!(
                "`{field}` must be a language map (an object like {{\"nb\": …, \"en\": …}}), not {}",
                json_type(other)
            ));
        }
    };
    let mut out = Vec::new();
    for (lang, text) in map {
        match text {
            Value::Null => {}
            Value::String(s) => {
                let s = strip_html(s);
                if !s.is_empty() {
                    out.push((lang.to_ascii_lowercase(), s));
                }
            }
            other => {
                return Err(format!(
                    "`{field}.{lang}` must be a string, not {}",
                    json_type(other)
                ));
            }
        }
    }
    let rank = |lang: &str| {
        if Some(lang) == first {
            0
        } else {
            LANGUAGE_ORDER
                .iter()
                .position(|l| *l == lang)
                .map_or(LANGUAGE_ORDER.len() + 1, |p| p + 1)
        }
    };
    out.sort_by(|a, b| rank(&a.0).cmp(&rank(&b.0)).then_with(|| a.0.cmp(&b.0)));
    Ok(out)
}

/// The language versions as a JSON object, kept in `extra` so no version is lost.
pub(crate) fn lang_object(versions: &[(String, String)]) -> Value {
    Value::Object(
        versions
            .iter()
            .map(|(l, t)| (l.clone(), Value::String(t.clone())))
            .collect(),
    )
}

/// Distinct texts of the versions joined with `sep` (nb and no are often identical).
pub(crate) fn join_versions(versions: &[(String, String)], sep: &str) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for (_, text) in versions {
        if !seen.contains(&text.as_str()) {
            seen.push(text);
        }
    }
    seen.join(sep)
}

/// Adds `word` to `list` unless it is there already (case-insensitively).
pub(crate) fn push_unique(list: &mut Vec<String>, word: &str) {
    let word = word.trim();
    if !word.is_empty()
        && !list
            .iter()
            .any(|w| w.eq_ignore_ascii_case(word) || w == word)
    {
        list.push(word.to_string());
    }
}

/// Text without HTML tags, with common entities decoded, block ends as line breaks and runs
/// of blanks collapsed. Not an HTML parser: summaries carry simple markup (`<p>`, `<br>`,
/// `<em>`, lists), and that is what this undoes.
pub fn strip_html(input: &str) -> String {
    if !input.contains('<') && !input.contains('&') {
        return collapse(input);
    }
    let mut out = String::with_capacity(input.len());
    let mut rest = input;
    while let Some(c) = rest.chars().next() {
        // A tag starts with a letter, `/` or `!` right after `<`; otherwise `<` is text.
        let opens_tag = c == '<'
            && rest[1..]
                .chars()
                .next()
                .is_some_and(|n| n.is_ascii_alphabetic() || n == '/' || n == '!');
        if opens_tag {
            match rest.find('>') {
                Some(end) => {
                    let tag = rest[1..end].trim().to_ascii_lowercase();
                    let name = tag.trim_start_matches('/');
                    let name = name
                        .split(|c: char| c.is_whitespace() || c == '/')
                        .next()
                        .unwrap_or("");
                    if matches!(
                        name,
                        "br" | "p" | "div" | "li" | "ul" | "ol" | "h1" | "h2" | "h3" | "h4" | "tr"
                    ) {
                        out.push('\n');
                    }
                    rest = &rest[end + 1..];
                }
                None => {
                    // An unclosed tag is text.
                    out.push('<');
                    rest = &rest[1..];
                }
            }
        } else if c == '&' {
            let entity_end = rest.find(';').filter(|e| *e <= 10);
            match entity_end.and_then(|end| decode_entity(&rest[1..end]).map(|ch| (end, ch))) {
                Some((end, ch)) => {
                    out.push(ch);
                    rest = &rest[end + 1..];
                }
                None => {
                    out.push('&');
                    rest = &rest[1..];
                }
            }
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    collapse(&out)
}

fn decode_entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "nbsp" => ' ',
        "aring" => 'å',
        "Aring" => 'Å',
        "oslash" => 'ø',
        "Oslash" => 'Ø',
        "aelig" => 'æ',
        "AElig" => 'Æ',
        "ndash" => '–',
        "mdash" => '—',
        "laquo" => '«',
        "raquo" => '»',
        _ => return None,
    })
}

/// Collapses blanks within lines and blank lines between paragraphs.
fn collapse(text: &str) -> String {
    let lines: Vec<String> = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|l| !l.is_empty())
        .collect();
    lines.join("\n")
}

/// A lower-case ASCII slug: æ→ae, ø→o, å→a, other letters folded, anything else a `-`.
pub(crate) fn slug(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.trim().to_lowercase().chars() {
        let mapped: &str = match c {
            'æ' => "ae",
            'ø' | 'ö' | 'ó' | 'ò' | 'ô' => "o",
            'å' | 'ä' | 'á' | 'à' | 'â' => "a",
            'é' | 'è' | 'ê' | 'ë' => "e",
            'ü' | 'ú' => "u",
            'í' | 'ï' => "i",
            c if c.is_ascii_alphanumeric() => {
                out.push(c);
                continue;
            }
            _ => "-",
        };
        if mapped == "-" {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
        } else {
            out.push_str(mapped);
        }
    }
    out.trim_end_matches('-').to_string()
}

/// An ISO date from the forms feeds and spreadsheets write: `2026-03-15`,
/// `2026-03-15T00:00:00.000Z`, `15.03.2026`, `15.3.26`, `15/03/2026`.
pub(crate) fn iso_date(raw: &str) -> Option<String> {
    let s = raw.trim();
    let candidate = if s.len() >= 10 && s.as_bytes().get(4) == Some(&b'-') {
        // `get`, not indexing: byte 10 may fall inside a multi-byte character.
        s.get(..10)?.to_string()
    } else {
        let parts: Vec<&str> = s.split(['.', '/']).map(str::trim).collect();
        let [d, m, y] = parts.as_slice() else {
            return None;
        };
        let (d, m) = (d.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
        let y = match y.len() {
            4 => y.parse::<u32>().ok()?,
            2 => 2000 + y.parse::<u32>().ok()?,
            _ => return None,
        };
        format!("{y:04}-{m:02}-{d:02}")
    };
    kobler_core::is_iso_date(&candidate).then_some(candidate)
}

/// Rejects text over [`MAX_TEXT_BYTES`], naming the field and its size.
pub(crate) fn check_size(field: &str, text: &str) -> Result<(), String> {
    if text.len() > MAX_TEXT_BYTES {
        return Err(format!(
            "`{field}` is {:.1} MB, longer than the {} MiB limit",
            text.len() as f64 / 1_000_000.0,
            MAX_TEXT_BYTES / (1024 * 1024)
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn html_is_stripped_to_paragraphs_with_entities_decoded() {
        let html = "<p>Prosjektet studerer <em>hverdagsmestring</em> hos eldre.</p><p>B&aring;de kommune &amp; NTNU&nbsp;deltar; p < 0.05.</p>";
        assert_eq!(
            strip_html(html),
            "Prosjektet studerer hverdagsmestring hos eldre.\nBåde kommune & NTNU deltar; p < 0.05."
        );
        assert_eq!(strip_html("  plain   text "), "plain text");
    }

    #[test]
    fn language_maps_put_the_original_language_first_and_keep_every_version() {
        let value = json!({"en": "Reablement", "nb": "Hverdagsmestring", "nn": null, "no": "Hverdagsmestring"});
        let versions = lang_map(Some(&value), "title", Some("en")).unwrap();
        let langs: Vec<&str> = versions.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(langs, ["en", "nb", "no"]);
        assert_eq!(
            join_versions(&versions, " / "),
            "Reablement / Hverdagsmestring"
        );
        let err = lang_map(Some(&json!({"nb": 3})), "title", None).unwrap_err();
        assert_eq!(err, "`title.nb` must be a string, not a number");
    }

    #[test]
    fn slugs_and_dates_follow_norwegian_spelling() {
        assert_eq!(slug("Klima og miljø"), "klima-og-miljo");
        assert_eq!(slug(" Helse- og velferd "), "helse-og-velferd");
        assert_eq!(slug("Offentlig ph.d."), "offentlig-ph-d");
        assert_eq!(iso_date("15.03.2026").as_deref(), Some("2026-03-15"));
        assert_eq!(iso_date("1.4.26").as_deref(), Some("2026-04-01"));
        assert_eq!(
            iso_date("2021-01-01T00:00:00.000Z").as_deref(),
            Some("2021-01-01")
        );
        assert_eq!(iso_date("31.02.2026"), None);
        assert_eq!(iso_date("snart"), None);
        assert_eq!(iso_date("2026-03-1ø"), None);
    }
}
