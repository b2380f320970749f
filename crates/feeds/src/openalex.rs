//! OpenAlex works and authors, one JSON object per line as in the OpenAlex snapshot (a single
//! object or an array also reads).
//!
//! Ids are namespaced: work `openalex:W…`, researcher `openalex:A…`, unit (institution)
//! `openalex:I…`. A work's abstract is rebuilt from `abstract_inverted_index`; its authors come
//! from `authorships` (resolved by ORCID, then OpenAlex id), and its keywords from `keywords`
//! and `topics`.

use crate::json::{self, Parsed};
use crate::text::{check_size, id_field, list, object, opt_obj, opt_str, push_unique, year};
use crate::{Entry, FeedError, FeedItem, LineError, Linked, PersonIds, PersonRef, Profile};
use kobler_core::identity::{normalize_openalex, normalize_orcid};
use kobler_core::{Record, Researcher, Unit, UnitKind, Work};
use serde_json::{Map, Value, json};
use std::path::Path;

/// Positions beyond this in an inverted index are refused: a real abstract has a few hundred
/// words, and a bogus huge position would otherwise allocate without bound.
const MAX_ABSTRACT_WORDS: usize = 100_000;

pub(crate) fn read(
    path: &Path,
) -> Result<Box<dyn Iterator<Item = Result<Entry, LineError>>>, FeedError> {
    Ok(json::entries(json::values(path)?, parse))
}

/// Parses one OpenAlex work or author.
pub(crate) fn parse(value: &Value) -> Parsed {
    let Some(obj) = value.as_object() else {
        return Parsed {
            label: None,
            result: Err(format!(
                "an OpenAlex record must be a JSON object, not {}",
                crate::text::json_type(value)
            )),
        };
    };
    let id = id_field(obj, "id")
        .ok()
        .flatten()
        .and_then(|s| normalize_openalex(&s));
    let label = id.as_ref().map(|id| format!("openalex {id}"));
    let result = match id {
        None => Err("`id` is missing or not an OpenAlex id (https://openalex.org/W… or A…)".into()),
        Some(id) if id.starts_with('W') => work(obj, id),
        Some(id) if id.starts_with('A') => author(obj, id),
        Some(id) => Err(format!(
            "{id} is neither an OpenAlex work (W…) nor an author (A…)"
        )),
    };
    Parsed { label, result }
}

/// The abstract from OpenAlex's inverted index (`{"word": [positions]}`).
pub fn rebuild_abstract(index: &Map<String, Value>) -> Result<String, String> {
    let mut words: Vec<Option<&str>> = Vec::new();
    for (word, positions) in index {
        let Value::Array(positions) = positions else {
            return Err(format!(
                "`abstract_inverted_index.{word}` must be a list of positions, not {}",
                crate::text::json_type(positions)
            ));
        };
        for p in positions {
            let Some(p) = p
                .as_u64()
                .map(|p| p as usize)
                .filter(|p| *p < MAX_ABSTRACT_WORDS)
            else {
                return Err(format!(
                    "`abstract_inverted_index.{word}` holds {p}, not a word position below {MAX_ABSTRACT_WORDS}"
                ));
            };
            if words.len() <= p {
                words.resize(p + 1, None);
            }
            words[p] = Some(word);
        }
    }
    Ok(words.into_iter().flatten().collect::<Vec<_>>().join(" "))
}

/// An institution as a unit placeholder.
fn institution(inst: &Map<String, Value>) -> Result<Option<(String, Record)>, String> {
    let Some(id) = id_field(inst, "id")?.and_then(|s| normalize_openalex(&s)) else {
        return Ok(None);
    };
    let id = format!("openalex:{id}");
    let name = opt_str(inst, "display_name")?.unwrap_or(&id).to_string();
    let mut extra = Map::new();
    extra.insert("source".into(), json!("openalex"));
    for key in ["ror", "country_code"] {
        if let Some(v) = opt_str(inst, key)? {
            extra.insert(key.into(), json!(v));
        }
    }
    Ok(Some((
        id.clone(),
        Record::Unit(Unit {
            id,
            name: name.clone(),
            kind: UnitKind::Academic,
            municipality: None,
            institution: Some(name),
            parent: None,
            extra,
        }),
    )))
}

fn orcid_of(obj: &Map<String, Value>) -> Result<Option<String>, String> {
    match opt_str(obj, "orcid")? {
        None => Ok(None),
        Some(raw) => normalize_orcid(raw)
            .map(Some)
            .ok_or_else(|| format!("`orcid` {raw:?} is not an ORCID iD")),
    }
}

fn named_list(items: &[Value], field: &str, into: &mut Vec<String>) -> Result<(), String> {
    for (i, item) in items.iter().enumerate() {
        let item = object(item, &format!("`{field}[{i}]`"))?;
        if let Some(name) = opt_str(item, "display_name")? {
            push_unique(into, name);
        }
    }
    Ok(())
}

fn work(obj: &Map<String, Value>, id: String) -> Result<Vec<FeedItem>, String> {
    let title = opt_str(obj, "title")?
        .or(opt_str(obj, "display_name")?)
        .ok_or("`title` is missing")?
        .to_string();
    check_size("title", &title)?;
    let abstract_text = match opt_obj(obj, "abstract_inverted_index")? {
        Some(index) => rebuild_abstract(index)?,
        None => String::new(),
    };
    check_size("abstract_inverted_index", &abstract_text)?;
    let mut items = Vec::new();
    let mut people = Vec::new();
    for (i, a) in list(obj, "authorships")?.iter().enumerate() {
        let what = format!("authorships[{i}]");
        let a = object(a, &format!("`{what}`"))?;
        let Some(author) = opt_obj(a, "author")? else {
            continue;
        };
        let Some(author_id) = id_field(author, "id")?.and_then(|s| normalize_openalex(&s)) else {
            // An author OpenAlex could not identify has nothing to resolve.
            continue;
        };
        let mut units = Vec::new();
        for (j, inst) in list(a, "institutions")?.iter().enumerate() {
            let inst = object(inst, &format!("`{what}.institutions[{j}]`"))?;
            if let Some((unit_id, placeholder)) = institution(inst)? {
                push_unique(&mut units, &unit_id);
                items.push(FeedItem::Placeholder(placeholder));
            }
        }
        people.push(PersonRef {
            fallback_id: format!("openalex:{author_id}"),
            ids: PersonIds {
                orcid: orcid_of(author)?,
                cristin: None,
                openalex: Some(author_id),
            },
            name: opt_str(author, "display_name")?
                .or(opt_str(a, "raw_author_name")?)
                .map(str::to_string),
            units,
            source: "openalex",
        });
    }
    let mut words = Vec::new();
    named_list(list(obj, "keywords")?, "keywords", &mut words)?;
    let mut topics = Vec::new();
    named_list(list(obj, "topics")?, "topics", &mut topics)?;
    for t in &topics {
        push_unique(&mut words, t);
    }
    let mut extra = Map::new();
    extra.insert("source".into(), json!("openalex"));
    extra.insert("openalex_id".into(), json!(id));
    if !topics.is_empty() {
        extra.insert("topics".into(), json!(topics));
    }
    for key in ["doi", "type"] {
        if let Some(v) = opt_str(obj, key)? {
            extra.insert(key.into(), json!(v));
        }
    }
    let work = Work {
        id: format!("openalex:{id}"),
        title,
        abstract_text: (!abstract_text.is_empty()).then_some(abstract_text),
        year: year(obj, "publication_year")?,
        authors: Vec::new(),
        keywords: words,
        language: opt_str(obj, "language")?.map(str::to_string),
        extra,
    };
    items.insert(
        0,
        FeedItem::Linked(Linked {
            record: Record::Work(work),
            people,
            unit_name: None,
        }),
    );
    Ok(items)
}

fn author(obj: &Map<String, Value>, id: String) -> Result<Vec<FeedItem>, String> {
    let name = opt_str(obj, "display_name")?.ok_or("`display_name` is missing")?;
    let mut orcid = orcid_of(obj)?;
    if orcid.is_none()
        && let Some(ids) = opt_obj(obj, "ids")?
    {
        orcid = orcid_of(ids)?;
    }
    let mut items = Vec::new();
    let mut units = Vec::new();
    for (i, inst) in list(obj, "last_known_institutions")?.iter().enumerate() {
        let inst = object(inst, &format!("`last_known_institutions[{i}]`"))?;
        if let Some((unit_id, placeholder)) = institution(inst)? {
            push_unique(&mut units, &unit_id);
            items.push(FeedItem::Placeholder(placeholder));
        }
    }
    let mut words = Vec::new();
    named_list(list(obj, "topics")?, "topics", &mut words)?;
    named_list(list(obj, "x_concepts")?, "x_concepts", &mut words)?;
    let mut extra = Map::new();
    extra.insert("source".into(), json!("openalex"));
    extra.insert("openalex_id".into(), json!(id));
    let alternatives = list(obj, "display_name_alternatives")?;
    if !alternatives.is_empty() {
        extra.insert(
            "name_alternatives".into(),
            Value::Array(alternatives.to_vec()),
        );
    }
    if let Some(n) = obj.get("works_count").filter(|v| v.is_u64()) {
        extra.insert("works_count".into(), n.clone());
    }
    let researcher = Researcher {
        id: format!("openalex:{id}"),
        name: name.to_string(),
        units,
        keywords: words,
        bio: None,
        orcid: orcid.clone(),
        cristin_id: None,
        email: None,
        extra,
    };
    items.insert(
        0,
        FeedItem::Profile(Profile {
            source: "openalex",
            researcher,
            ids: PersonIds {
                orcid,
                cristin: None,
                openalex: Some(id),
            },
        }),
    );
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_work_rebuilds_its_abstract_and_names_its_authors() {
        let work = json!({
            "id": "https://openalex.org/W4210000001", "title": "Reablement for community-dwelling older adults",
            "publication_year": 2021, "language": "en", "type": "article",
            "abstract_inverted_index": {"Reablement": [0], "helps": [1], "older": [2, 5], "adults": [3], "and": [4], "people.": [6]},
            "authorships": [
                {"author_position": "first", "author": {"id": "https://openalex.org/A5000000001", "display_name": "Ingrid Solberg", "orcid": "https://orcid.org/0000-0002-1825-009X"},
                 "institutions": [{"id": "https://openalex.org/I204778367", "display_name": "Norwegian University of Science and Technology", "ror": "https://ror.org/05xg72x27"}]},
                {"author": {"id": null, "display_name": "Unknown"}}
            ],
            "keywords": [{"display_name": "Reablement"}],
            "topics": [{"display_name": "Geriatric Care and Nursing Homes"}]
        });
        let items = parse(&work).result.unwrap();
        let FeedItem::Linked(linked) = &items[0] else {
            panic!()
        };
        let Record::Work(w) = &linked.record else {
            panic!()
        };
        assert_eq!(w.id, "openalex:W4210000001");
        assert_eq!(
            w.abstract_text.as_deref(),
            Some("Reablement helps older adults and older people.")
        );
        assert_eq!(
            w.keywords,
            ["Reablement", "Geriatric Care and Nursing Homes"]
        );
        assert_eq!(linked.people.len(), 1);
        assert_eq!(
            linked.people[0].ids.orcid.as_deref(),
            Some("0000-0002-1825-009X")
        );
        assert_eq!(linked.people[0].units, ["openalex:I204778367"]);
        assert!(
            matches!(&items[1], FeedItem::Placeholder(Record::Unit(u)) if u.id == "openalex:I204778367")
        );
    }

    #[test]
    fn an_author_is_a_profile_with_topics_as_keywords() {
        let author = json!({"id": "https://openalex.org/A5000000001", "display_name": "Ingrid Solberg",
            "ids": {"orcid": "https://orcid.org/0000-0002-1825-009X"}, "works_count": 31,
            "topics": [{"display_name": "Rehabilitation"}], "last_known_institutions": []});
        let items = parse(&author).result.unwrap();
        let FeedItem::Profile(p) = &items[0] else {
            panic!()
        };
        assert_eq!(p.researcher.id, "openalex:A5000000001");
        assert_eq!(p.ids.orcid.as_deref(), Some("0000-0002-1825-009X"));
        assert_eq!(p.researcher.keywords, ["Rehabilitation"]);
    }

    #[test]
    fn bad_inverted_indexes_and_ids_are_reasons_not_panics() {
        let huge = json!({"id": "https://openalex.org/W1", "title": "T", "abstract_inverted_index": {"x": [4_000_000_000u64]}});
        assert!(
            parse(&huge)
                .result
                .unwrap_err()
                .contains("not a word position")
        );
        let wrong = json!({"id": "https://openalex.org/W1", "title": "T", "abstract_inverted_index": {"x": "0"}});
        assert!(
            parse(&wrong)
                .result
                .unwrap_err()
                .contains("must be a list of positions")
        );
        assert!(
            parse(&json!({"title": "T"}))
                .result
                .unwrap_err()
                .contains("`id` is missing")
        );
        assert!(
            parse(&json!({"id": "https://openalex.org/I1"}))
                .result
                .unwrap_err()
                .contains("neither")
        );
    }
}
