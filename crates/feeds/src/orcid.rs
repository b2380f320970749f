//! ORCID v3.0 public records (`GET /v3.0/{iD}/record`, JSON): the person's name, biography,
//! keywords and e-mail; employments; and work summaries.
//!
//! The researcher is `orcid:<iD>` unless the person is known already; employments are kept in
//! `extra.employments` and written into the bio (role, department, organisation, years) so that
//! they count as evidence. Each work summary becomes work `orcid:<iD>/<put-code>` with the
//! person as its author.

use crate::json::{self, Parsed};
use crate::text::{check_size, json_type, list, object, opt_obj, opt_str, push_unique};
use crate::{Entry, FeedError, FeedItem, LineError, Linked, PersonIds, PersonRef, Profile};
use kobler_core::identity::normalize_orcid;
use kobler_core::{Record, Researcher, Work};
use serde_json::{Map, Value, json};
use std::path::Path;

pub(crate) fn read(
    path: &Path,
) -> Result<Box<dyn Iterator<Item = Result<Entry, LineError>>>, FeedError> {
    Ok(json::entries(json::values(path)?, parse))
}

/// `{"value": "…"}` wrappers, as ORCID writes most strings.
fn wrapped<'a>(obj: &'a Map<String, Value>, key: &str) -> Result<Option<&'a str>, String> {
    match obj.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Object(o)) => opt_str(o, "value").map_err(|e| format!("`{key}`: {e}")),
        Some(Value::String(s)) => Ok(Some(s.as_str()).filter(|s| !s.trim().is_empty())),
        Some(other) => Err(format!(
            "`{key}` must be an object with `value`, not {}",
            json_type(other)
        )),
    }
}

/// A fuzzy date's year (`{"year": {"value": "2015"}, …}`).
fn date_year(obj: &Map<String, Value>, key: &str) -> Result<Option<String>, String> {
    match opt_obj(obj, key)? {
        Some(date) => Ok(wrapped(date, "year")?.map(str::to_string)),
        None => Ok(None),
    }
}

/// Parses one ORCID record.
pub(crate) fn parse(value: &Value) -> Parsed {
    let Some(obj) = value.as_object() else {
        return Parsed {
            label: None,
            result: Err(format!(
                "an ORCID record must be a JSON object, not {}",
                json_type(value)
            )),
        };
    };
    let orcid = opt_obj(obj, "orcid-identifier")
        .ok()
        .flatten()
        .and_then(|i| {
            opt_str(i, "path")
                .ok()
                .flatten()
                .or(opt_str(i, "uri").ok().flatten())
        })
        .and_then(normalize_orcid);
    let label = orcid.as_ref().map(|o| format!("orcid {o}"));
    let result = match orcid {
        None => Err("`orcid-identifier.path` is missing or not an ORCID iD".to_string()),
        Some(orcid) => record(obj, orcid),
    };
    Parsed { label, result }
}

fn record(obj: &Map<String, Value>, orcid: String) -> Result<Vec<FeedItem>, String> {
    let person = opt_obj(obj, "person")?.ok_or("`person` is missing")?;
    let name =
        opt_obj(person, "name")?.ok_or("`person.name` is missing (the record may be private)")?;
    let credit = wrapped(name, "credit-name")?;
    let given = wrapped(name, "given-names")?;
    let family = wrapped(name, "family-name")?;
    let full = match (credit, given, family) {
        (Some(c), _, _) => c.to_string(),
        (None, Some(g), Some(f)) => format!("{g} {f}"),
        (None, Some(n), None) | (None, None, Some(n)) => n.to_string(),
        (None, None, None) => {
            return Err("`person.name` has neither credit name nor given/family names".into());
        }
    };
    let mut bio = match opt_obj(person, "biography")? {
        Some(b) => opt_str(b, "content")?
            .map(crate::strip_html)
            .unwrap_or_default(),
        None => String::new(),
    };
    let mut keywords = Vec::new();
    if let Some(k) = opt_obj(person, "keywords")? {
        for (i, kw) in list(k, "keyword")?.iter().enumerate() {
            let kw = object(kw, &format!("`person.keywords.keyword[{i}]`"))?;
            if let Some(content) = opt_str(kw, "content")? {
                // People often put several keywords in one, separated by commas.
                for word in content.split([',', ';']) {
                    push_unique(&mut keywords, word);
                }
            }
        }
    }
    let mut email = None;
    if let Some(e) = opt_obj(person, "emails")?
        && let Some(first) = list(e, "email")?.first()
    {
        email = opt_str(object(first, "`person.emails.email[0]`")?, "email")?.map(str::to_string);
    }
    let activities = opt_obj(obj, "activities-summary")?;
    let mut employments = Vec::new();
    let mut lines = Vec::new();
    if let Some(emp) = activities
        .map(|a| opt_obj(a, "employments"))
        .transpose()?
        .flatten()
    {
        for (i, group) in list(emp, "affiliation-group")?.iter().enumerate() {
            let group = object(group, &format!("`employments.affiliation-group[{i}]`"))?;
            for (j, summary) in list(group, "summaries")?.iter().enumerate() {
                let summary = object(
                    summary,
                    &format!("`employments.affiliation-group[{i}].summaries[{j}]`"),
                )?;
                let Some(e) = opt_obj(summary, "employment-summary")? else {
                    continue;
                };
                let org = opt_obj(e, "organization")?;
                let org_name = match org {
                    Some(o) => opt_str(o, "name")?,
                    None => None,
                };
                let role = opt_str(e, "role-title")?;
                let department = opt_str(e, "department-name")?;
                let start = date_year(e, "start-date")?;
                let end = date_year(e, "end-date")?;
                let what: Vec<&str> = [role, department, org_name].into_iter().flatten().collect();
                if !what.is_empty() {
                    let years = match (&start, &end) {
                        (Some(s), Some(e)) => format!(" ({s}–{e})"),
                        (Some(s), None) => format!(" ({s}–)"),
                        _ => String::new(),
                    };
                    lines.push(format!("{}{years}", what.join(", ")));
                }
                employments.push(json!({"organization": org_name, "department": department,
                    "role": role, "start_year": start, "end_year": end,
                    "disambiguated": org.and_then(|o| o.get("disambiguated-organization")).cloned()}));
            }
        }
    }
    if !lines.is_empty() {
        if !bio.is_empty() {
            bio.push_str("\n\n");
        }
        bio.push_str(&lines.join("\n"));
    }
    check_size("person.biography", &bio)?;
    let mut extra = Map::new();
    extra.insert("source".into(), json!("orcid"));
    if !employments.is_empty() {
        extra.insert("employments".into(), Value::Array(employments));
    }
    let ids = PersonIds {
        orcid: Some(orcid.clone()),
        cristin: None,
        openalex: None,
    };
    let mut items = vec![FeedItem::Profile(Profile {
        source: "orcid",
        researcher: Researcher {
            id: format!("orcid:{orcid}"),
            name: full.clone(),
            units: Vec::new(),
            keywords,
            bio: (!bio.is_empty()).then_some(bio),
            orcid: Some(orcid.clone()),
            cristin_id: None,
            email,
            extra,
        },
        ids: ids.clone(),
    })];
    if let Some(works) = activities
        .map(|a| opt_obj(a, "works"))
        .transpose()?
        .flatten()
    {
        for (i, group) in list(works, "group")?.iter().enumerate() {
            let group = object(group, &format!("`works.group[{i}]`"))?;
            // A group holds the same work from several sources; the first summary speaks for it.
            let Some(summary) = list(group, "work-summary")?.first() else {
                continue;
            };
            let what = format!("works.group[{i}].work-summary[0]");
            let summary = object(summary, &format!("`{what}`"))?;
            let put_code = match summary.get("put-code") {
                Some(Value::Number(n)) if n.is_u64() => n.to_string(),
                Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
                _ => return Err(format!("`{what}.put-code` is missing")),
            };
            let Some(title_obj) = opt_obj(summary, "title")? else {
                return Err(format!("`{what}.title` is missing"));
            };
            let Some(title) = wrapped(title_obj, "title")? else {
                return Err(format!("`{what}.title.title` is missing"));
            };
            let mut title = title.to_string();
            let mut extra = Map::new();
            extra.insert("source".into(), json!("orcid"));
            if let Some(t) = opt_obj(title_obj, "translated-title")?
                && let Some(v) = opt_str(t, "value")?
            {
                title = format!("{title} / {v}");
                extra.insert("translated_title".into(), Value::Object(t.clone()));
            }
            check_size(&format!("{what}.title"), &title)?;
            for (key, field) in [("type", "type"), ("journal", "journal-title")] {
                let v = if key == "type" {
                    opt_str(summary, field)?
                } else {
                    wrapped(summary, field)?
                };
                if let Some(v) = v {
                    extra.insert(key.into(), json!(v));
                }
            }
            if let Some(ext) = opt_obj(summary, "external-ids")? {
                extra.insert(
                    "external_ids".into(),
                    Value::Array(list(ext, "external-id")?.to_vec()),
                );
            }
            let year = match opt_obj(summary, "publication-date")? {
                Some(d) => match wrapped(d, "year")? {
                    Some(y) => Some(y.trim().parse::<i32>().map_err(|_| {
                        format!("`{what}.publication-date.year` {y:?} is not a year")
                    })?),
                    None => None,
                },
                None => None,
            };
            items.push(FeedItem::Linked(Linked {
                record: Record::Work(Work {
                    id: format!("orcid:{orcid}/{put_code}"),
                    title,
                    abstract_text: None,
                    year,
                    authors: Vec::new(),
                    keywords: Vec::new(),
                    language: None,
                    extra,
                }),
                people: vec![PersonRef {
                    fallback_id: format!("orcid:{orcid}"),
                    ids: ids.clone(),
                    name: Some(full.clone()),
                    units: Vec::new(),
                    source: "orcid",
                }],
                unit_name: None,
            }));
        }
    }
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_gives_a_profile_with_employments_and_its_works() {
        let record = json!({
            "orcid-identifier": {"uri": "https://orcid.org/0000-0002-1825-009X", "path": "0000-0002-1825-009X"},
            "person": {
                "name": {"given-names": {"value": "Ingrid"}, "family-name": {"value": "Solberg"}, "credit-name": null},
                "biography": {"content": "Sykepleier og forsker."},
                "keywords": {"keyword": [{"content": "hverdagsrehabilitering, velferdsteknologi"}]}
            },
            "activities-summary": {
                "employments": {"affiliation-group": [{"summaries": [{"employment-summary": {
                    "role-title": "Førsteamanuensis", "department-name": "Institutt for helsevitenskap",
                    "start-date": {"year": {"value": "2016"}}, "end-date": null,
                    "organization": {"name": "NTNU", "address": {"city": "Trondheim", "country": "NO"}}}}]}]},
                "works": {"group": [{"work-summary": [{"put-code": 99, "title": {"title": {"value": "Velferdsteknologi i hjemmetjenesten"}},
                    "type": "journal-article", "publication-date": {"year": {"value": "2020"}}}]}]}
            }
        });
        let items = parse(&record).result.unwrap();
        let FeedItem::Profile(p) = &items[0] else {
            panic!()
        };
        assert_eq!(p.researcher.id, "orcid:0000-0002-1825-009X");
        assert_eq!(
            p.researcher.keywords,
            ["hverdagsrehabilitering", "velferdsteknologi"]
        );
        assert_eq!(
            p.researcher.bio.as_deref(),
            Some(
                "Sykepleier og forsker.\n\nFørsteamanuensis, Institutt for helsevitenskap, NTNU (2016–)"
            )
        );
        let FeedItem::Linked(l) = &items[1] else {
            panic!()
        };
        assert_eq!(l.record.id(), "orcid:0000-0002-1825-009X/99");
        assert_eq!(
            l.people[0].ids.orcid.as_deref(),
            Some("0000-0002-1825-009X")
        );
    }

    #[test]
    fn a_record_without_a_usable_id_or_name_is_rejected_with_the_field() {
        assert!(
            parse(&json!({"person": {}}))
                .result
                .unwrap_err()
                .contains("orcid-identifier")
        );
        let no_name =
            json!({"orcid-identifier": {"path": "0000-0002-1825-009X"}, "person": {"name": null}});
        let parsed = parse(&no_name);
        assert_eq!(parsed.label.as_deref(), Some("orcid 0000-0002-1825-009X"));
        assert!(
            parsed
                .result
                .unwrap_err()
                .contains("`person.name` is missing")
        );
    }
}
