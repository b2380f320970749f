//! Cristin API v2 JSON: persons, results and projects, as the API returns them (a page is an
//! array; a single record is an object), and results' contributors payloads.
//!
//! Ids are namespaced: researcher `cristin:<person id>`, work `cristin:<result id>`, project
//! `cristin:<project id>`, unit `cristin:<unit id>` (an institution alone is its
//! `<institution>.0.0.0` unit, as Cristin numbers them). Titles and summaries are language
//! maps (`nb`, `nn`, `en`, and `no`); every version is kept: joined in the record's text field
//! (original language first) for matching across languages, and as a map in `extra`
//! (`title_by_language`, …) so nothing is lost. HTML in project summaries is stripped.
//!
//! A contributors payload (`GET /results/{id}/contributors`) carries no result id, so it is
//! named by file: `<result id>.contributors.json`, as `kobler pull cristin` writes it. Without
//! one, a result's `contributors.preview` is used.

use crate::json::{self, Parsed};
use crate::text::{
    check_size, id_field, iso_date, join_versions, lang_map, lang_object, list, object, opt_obj,
    opt_str, push_unique, required_id, year,
};
use crate::{
    Entry, FeedContext, FeedError, FeedItem, LineError, Linked, PersonIds, PersonRef, Profile,
    Source,
};
use kobler_core::identity::{normalize_cristin, normalize_orcid};
use kobler_core::{Project, ProjectStatus, Record, Researcher, Unit, UnitKind, Work};
use serde_json::{Map, Value, json};
use std::path::Path;

/// The file-name suffix of a result's contributors payload.
pub const CONTRIBUTORS_SUFFIX: &str = ".contributors.json";

/// The result id a contributors payload file belongs to, from its name.
pub fn contributors_file_result_id(path: &Path) -> Option<String> {
    let name = path.file_name()?.to_str()?;
    let id = name.strip_suffix(CONTRIBUTORS_SUFFIX)?;
    normalize_cristin(id)
}

/// Reads a contributors payload: an array of contributor objects.
pub(crate) fn read_contributors(path: &Path) -> Result<Vec<Value>, LineError> {
    let whole = |reason: String| LineError {
        source: Source::line(path, 1),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|e| whole(format!("cannot read: {e}")))?;
    let bytes = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(&bytes);
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Array(items)) => Ok(items),
        Ok(other) => Err(whole(format!(
            "a contributors payload must be a JSON array, not {}",
            crate::text::json_type(&other)
        ))),
        Err(e) => Err(LineError {
            source: Source::line(path, e.line()),
            reason: format!("invalid JSON in contributors payload: {e}"),
        }),
    }
}

pub(crate) fn read(
    path: &Path,
    context: &FeedContext,
) -> Result<Box<dyn Iterator<Item = Result<Entry, LineError>>>, FeedError> {
    if contributors_file_result_id(path).is_some() {
        // Read with its result (see FeedContext::gather).
        return Ok(Box::new(std::iter::empty()));
    }
    let context = context.clone();
    Ok(json::entries(json::values(path)?, move |value| {
        parse(value, &context)
    }))
}

/// Parses one Cristin record (person, result or project).
pub(crate) fn parse(value: &Value, context: &FeedContext) -> Parsed {
    let Some(obj) = value.as_object() else {
        return Parsed {
            label: None,
            result: Err(format!(
                "a Cristin record must be a JSON object, not {}",
                crate::text::json_type(value)
            )),
        };
    };
    let labelled = |what: &str, key: &str| {
        id_field(obj, key)
            .ok()
            .flatten()
            .map(|id| format!("cristin {what} {id}"))
    };
    if obj.contains_key("cristin_result_id") {
        Parsed {
            label: labelled("result", "cristin_result_id"),
            result: result(obj, context),
        }
    } else if obj.contains_key("cristin_project_id") {
        Parsed {
            label: labelled("project", "cristin_project_id"),
            result: project(obj),
        }
    } else if obj.contains_key("cristin_person_id") {
        Parsed {
            label: labelled("person", "cristin_person_id"),
            result: person(obj),
        }
    } else {
        Parsed {
            label: None,
            result: Err(
                "not a Cristin person, result or project (no `cristin_person_id`, `cristin_result_id` or `cristin_project_id`)"
                    .into(),
            ),
        }
    }
}

/// A unit reference of an affiliation, role or coordinating institution: its namespaced id and
/// a placeholder record for it.
fn unit_ref(holder: &Map<String, Value>) -> Result<Option<(String, Record)>, String> {
    let institution = opt_obj(holder, "institution")?;
    let unit = opt_obj(holder, "unit")?;
    let inst_id = match institution {
        Some(i) => id_field(i, "cristin_institution_id")?,
        None => None,
    };
    let inst_name = match institution {
        Some(i) => {
            let names = lang_map(
                i.get("institution_name"),
                "institution.institution_name",
                None,
            )?;
            names
                .first()
                .map(|(_, n)| n.clone())
                .or(opt_str(i, "acronym")?.map(str::to_string))
        }
        None => None,
    };
    let (unit_id, unit_name) = match unit {
        Some(u) => {
            let names = lang_map(u.get("unit_name"), "unit.unit_name", None)?;
            (
                id_field(u, "cristin_unit_id")?,
                names.first().map(|(_, n)| n.clone()),
            )
        }
        None => (None, None),
    };
    let Some(raw_id) = unit_id.or_else(|| inst_id.as_ref().map(|i| format!("{i}.0.0.0"))) else {
        return Ok(None);
    };
    let id = format!("cristin:{raw_id}");
    let name = unit_name
        .or_else(|| inst_name.clone())
        .unwrap_or_else(|| format!("Cristin unit {raw_id}"));
    let mut extra = Map::new();
    extra.insert("source".into(), json!("cristin"));
    let placeholder = Record::Unit(Unit {
        id: id.clone(),
        name,
        kind: UnitKind::Academic,
        municipality: None,
        institution: inst_name.or(inst_id),
        parent: None,
        extra,
    });
    Ok(Some((id, placeholder)))
}

/// Keyword objects (`{"code", "name": {lang: text}}`) as words in every language.
fn keywords(items: &[Value], field: &str, into: &mut Vec<String>) -> Result<(), String> {
    for (i, item) in items.iter().enumerate() {
        match item {
            Value::String(s) => push_unique(into, s),
            Value::Object(k) => {
                for (_, word) in lang_map(k.get("name"), &format!("{field}[{i}].name"), None)? {
                    push_unique(into, &word);
                }
            }
            Value::Null => {}
            other => {
                return Err(format!(
                    "`{field}[{i}]` must be a keyword object, not {}",
                    crate::text::json_type(other)
                ));
            }
        }
    }
    Ok(())
}

fn full_name(obj: &Map<String, Value>) -> Result<Option<String>, String> {
    let first = opt_str(obj, "first_name")?;
    let last = opt_str(obj, "surname")?;
    Ok(match (first, last) {
        (Some(f), Some(l)) => Some(format!("{f} {l}")),
        (Some(n), None) | (None, Some(n)) => Some(n.to_string()),
        (None, None) => None,
    })
}

/// The ORCID iD of a person, written as a string, `{"id": …}`, or in `identifiers`.
fn person_orcid(obj: &Map<String, Value>) -> Result<Option<String>, String> {
    let raw = match obj.get("orcid") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Object(o)) => opt_str(o, "id")?.map(str::to_string),
        Some(other) => {
            return Err(format!(
                "`orcid` must be a string or an object, not {}",
                crate::text::json_type(other)
            ));
        }
    };
    let raw = match raw {
        Some(raw) => Some(raw),
        None => {
            let mut found = None;
            for ident in list(obj, "identifiers")? {
                if let Some(i) = ident.as_object()
                    && opt_str(i, "type")?.is_some_and(|t| t.eq_ignore_ascii_case("orcid"))
                {
                    found = opt_str(i, "value")?.map(str::to_string);
                }
            }
            found
        }
    };
    match raw {
        None => Ok(None),
        Some(raw) => normalize_orcid(&raw)
            .map(Some)
            .ok_or_else(|| format!("`orcid` {raw:?} is not an ORCID iD")),
    }
}

fn person(obj: &Map<String, Value>) -> Result<Vec<FeedItem>, String> {
    let raw_id = required_id(obj, "cristin_person_id")?;
    let cristin = normalize_cristin(&raw_id)
        .ok_or_else(|| format!("`cristin_person_id` {raw_id:?} is not a Cristin id"))?;
    let name = full_name(obj)?.ok_or("`first_name` and `surname` are both missing")?;
    let orcid = person_orcid(obj)?;
    let mut items = Vec::new();
    let mut units = Vec::new();
    let mut positions = Vec::new();
    for (i, aff) in list(obj, "affiliations")?.iter().enumerate() {
        let aff = object(aff, &format!("`affiliations[{i}]`"))?;
        if aff.get("active") == Some(&Value::Bool(false)) {
            continue;
        }
        if let Some((id, placeholder)) = unit_ref(aff)? {
            push_unique(&mut units, &id);
            items.push(FeedItem::Placeholder(placeholder));
        }
        for (_, p) in lang_map(
            aff.get("position"),
            &format!("affiliations[{i}].position"),
            None,
        )? {
            push_unique(&mut positions, &p);
        }
    }
    let mut words = Vec::new();
    keywords(list(obj, "keywords")?, "keywords", &mut words)?;
    let background = lang_map(obj.get("background"), "background", None)?;
    let mut bio = join_versions(&background, "\n\n");
    if !positions.is_empty() {
        if !bio.is_empty() {
            bio.push_str("\n\n");
        }
        bio.push_str(&positions.join(" / "));
    }
    check_size("background", &bio)?;
    let email = match opt_obj(obj, "contact_details")? {
        Some(c) => opt_str(c, "email")?.map(str::to_string),
        None => None,
    };
    let mut extra = Map::new();
    extra.insert("source".into(), json!("cristin"));
    if !background.is_empty() {
        extra.insert("background_by_language".into(), lang_object(&background));
    }
    if !positions.is_empty() {
        extra.insert("positions".into(), json!(positions));
    }
    let researcher = Researcher {
        id: format!("cristin:{cristin}"),
        name,
        units,
        keywords: words,
        bio: (!bio.is_empty()).then_some(bio),
        orcid: orcid.clone(),
        cristin_id: Some(cristin.clone()),
        email,
        extra,
    };
    items.insert(
        0,
        FeedItem::Profile(Profile {
            source: "cristin",
            researcher,
            ids: PersonIds {
                orcid,
                cristin: Some(cristin),
                openalex: None,
            },
        }),
    );
    Ok(items)
}

/// A contributor or participant as a person reference, with the units it names.
fn person_ref(
    obj: &Map<String, Value>,
    what: &str,
    placeholders: &mut Vec<FeedItem>,
) -> Result<Option<PersonRef>, String> {
    let Some(raw) = id_field(obj, "cristin_person_id")? else {
        // An unidentified contributor has no id to resolve; the name is kept in `extra`.
        return Ok(None);
    };
    let cristin = normalize_cristin(&raw)
        .ok_or_else(|| format!("`{what}.cristin_person_id` {raw:?} is not a Cristin id"))?;
    let mut units = Vec::new();
    for (i, aff) in list(obj, "affiliations")?.iter().enumerate() {
        let aff = object(aff, &format!("`{what}.affiliations[{i}]`"))?;
        if let Some((id, placeholder)) = unit_ref(aff)? {
            push_unique(&mut units, &id);
            placeholders.push(FeedItem::Placeholder(placeholder));
        }
    }
    Ok(Some(PersonRef {
        fallback_id: format!("cristin:{cristin}"),
        ids: PersonIds {
            orcid: None,
            cristin: Some(cristin),
            openalex: None,
        },
        name: full_name(obj)?,
        units,
        source: "cristin",
    }))
}

fn result(obj: &Map<String, Value>, context: &FeedContext) -> Result<Vec<FeedItem>, String> {
    let raw_id = required_id(obj, "cristin_result_id")?;
    let original = opt_str(obj, "original_language")?.map(str::to_ascii_lowercase);
    let titles = lang_map(obj.get("title"), "title", original.as_deref())?;
    if titles.is_empty() {
        return Err("`title` is missing or has no text in any language".into());
    }
    let summaries = lang_map(obj.get("summary"), "summary", original.as_deref())?;
    let title = join_versions(&titles, " / ");
    let summary = join_versions(&summaries, "\n\n");
    check_size("title", &title)?;
    check_size("summary", &summary)?;
    let mut words = Vec::new();
    keywords(list(obj, "keywords")?, "keywords", &mut words)?;
    let mut disciplines = Vec::new();
    if let Some(class) = opt_obj(obj, "classification")? {
        keywords(
            list(class, "scientific_disciplines")?,
            "classification.scientific_disciplines",
            &mut disciplines,
        )?;
    }
    for d in &disciplines {
        push_unique(&mut words, d);
    }
    let category = opt_obj(obj, "category")?;
    // The full contributors payload when the import has it, else the result's preview.
    let preview;
    let contributors: &[Value] = match context.cristin_contributors.get(&raw_id) {
        Some(list) => list,
        None => {
            preview = match opt_obj(obj, "contributors")? {
                Some(c) => list(c, "preview")?.to_vec(),
                None => Vec::new(),
            };
            &preview
        }
    };
    let mut ordered: Vec<(i64, usize, &Map<String, Value>)> = Vec::new();
    for (i, c) in contributors.iter().enumerate() {
        let c = object(c, &format!("`contributors[{i}]`"))?;
        let order = c.get("order").and_then(Value::as_i64).unwrap_or(i64::MAX);
        ordered.push((order, i, c));
    }
    ordered.sort_by_key(|(order, i, _)| (*order, *i));
    let mut items = Vec::new();
    let mut people = Vec::new();
    let mut names = Vec::new();
    for (_, i, c) in ordered {
        let what = format!("contributors[{i}]");
        let name = full_name(c)?;
        let roles: Vec<String> = list(c, "affiliations")?
            .iter()
            .filter_map(|a| {
                a.get("role_code")
                    .and_then(Value::as_str)
                    .map(str::to_string)
            })
            .collect();
        names.push(json!({"name": name, "cristin_person_id": id_field(c, "cristin_person_id")?, "roles": roles}));
        if let Some(person) = person_ref(c, &what, &mut items)? {
            people.push(person);
        }
    }
    let mut extra = Map::new();
    extra.insert("source".into(), json!("cristin"));
    extra.insert("title_by_language".into(), lang_object(&titles));
    if !summaries.is_empty() {
        extra.insert("summary_by_language".into(), lang_object(&summaries));
    }
    if let Some(category) = category {
        extra.insert("category".into(), Value::Object(category.clone()));
    }
    if !disciplines.is_empty() {
        extra.insert("disciplines".into(), json!(disciplines));
    }
    if !names.is_empty() {
        extra.insert("contributors".into(), Value::Array(names));
    }
    let work = Work {
        id: format!("cristin:{raw_id}"),
        title,
        abstract_text: (!summary.is_empty()).then_some(summary),
        year: year(obj, "year_published")?,
        authors: Vec::new(),
        keywords: words,
        language: original,
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

fn project(obj: &Map<String, Value>) -> Result<Vec<FeedItem>, String> {
    let raw_id = required_id(obj, "cristin_project_id")?;
    let main = opt_str(obj, "main_language")?.map(str::to_ascii_lowercase);
    let titles = lang_map(obj.get("title"), "title", main.as_deref())?;
    if titles.is_empty() {
        return Err("`title` is missing or has no text in any language".into());
    }
    let academic = lang_map(
        obj.get("academic_summary"),
        "academic_summary",
        main.as_deref(),
    )?;
    let popular = lang_map(
        obj.get("popular_scientific_summary"),
        "popular_scientific_summary",
        main.as_deref(),
    )?;
    let title = join_versions(&titles, " / ");
    let mut summary = join_versions(&academic, "\n\n");
    let popular_text = join_versions(&popular, "\n\n");
    if !popular_text.is_empty() {
        if !summary.is_empty() {
            summary.push_str("\n\n");
        }
        summary.push_str(&popular_text);
    }
    check_size("title", &title)?;
    check_size("academic_summary", &summary)?;
    let raw_status = opt_str(obj, "status")?;
    let status = match raw_status.map(str::to_ascii_uppercase).as_deref() {
        None => None,
        Some("ACTIVE") => Some(ProjectStatus::Active),
        Some("CONCLUDED" | "FINISHED" | "COMPLETED" | "ENDED") => Some(ProjectStatus::Completed),
        Some("NOTSTARTED" | "NOT_STARTED" | "PLANNED") => Some(ProjectStatus::Planned),
        // An unknown status is kept in `extra` rather than guessed.
        Some(_) => None,
    };
    let date = |key: &str| -> Result<Option<String>, String> {
        match opt_str(obj, key)? {
            None => Ok(None),
            Some(raw) => iso_date(raw)
                .map(Some)
                .ok_or_else(|| format!("`{key}` {raw:?} is not a date")),
        }
    };
    let mut items = Vec::new();
    let mut units = Vec::new();
    let mut coordinating = Value::Null;
    if let Some(coord) = opt_obj(obj, "coordinating_institution")?
        && let Some((id, placeholder)) = unit_ref(coord)?
    {
        push_unique(&mut units, &id);
        coordinating = json!(id);
        items.push(FeedItem::Placeholder(placeholder));
    }
    // Project managers first: the matcher weighs project roles, and order carries that.
    let mut participants: Vec<(bool, PersonRef, Vec<String>)> = Vec::new();
    for (i, p) in list(obj, "participants")?.iter().enumerate() {
        let what = format!("participants[{i}]");
        let p = object(p, &format!("`{what}`"))?;
        let mut roles = Vec::new();
        for (j, role) in list(p, "roles")?.iter().enumerate() {
            let role = object(role, &format!("`{what}.roles[{j}]`"))?;
            if let Some(code) = opt_str(role, "role_code")? {
                push_unique(&mut roles, code);
            }
            if let Some((id, placeholder)) = unit_ref(role)? {
                push_unique(&mut units, &id);
                items.push(FeedItem::Placeholder(placeholder));
            }
        }
        if let Some(person) = person_ref(p, &what, &mut items)? {
            let manager = roles
                .iter()
                .any(|r| r.contains("MANAGER") || r.contains("LEADER"));
            participants.push((manager, person, roles));
        }
    }
    participants.sort_by_key(|(manager, _, _)| !*manager);
    let mut roles = Map::new();
    for (_, person, person_roles) in &participants {
        roles.insert(person.fallback_id.clone(), json!(person_roles));
    }
    let mut words = Vec::new();
    keywords(list(obj, "keywords")?, "keywords", &mut words)?;
    let mut extra = Map::new();
    extra.insert("source".into(), json!("cristin"));
    extra.insert("title_by_language".into(), lang_object(&titles));
    if !academic.is_empty() {
        extra.insert(
            "academic_summary_by_language".into(),
            lang_object(&academic),
        );
    }
    if !popular.is_empty() {
        extra.insert(
            "popular_scientific_summary_by_language".into(),
            lang_object(&popular),
        );
    }
    if let Some(raw) = raw_status {
        extra.insert("cristin_status".into(), json!(raw));
    }
    if !coordinating.is_null() {
        extra.insert("coordinating_unit".into(), coordinating);
    }
    if !roles.is_empty() {
        extra.insert("participant_roles".into(), Value::Object(roles));
    }
    if !words.is_empty() {
        extra.insert("keywords".into(), json!(words));
    }
    let project = Project {
        id: format!("cristin:{raw_id}"),
        title,
        summary: (!summary.is_empty()).then_some(summary),
        status,
        start: date("start_date")?,
        end: date("end_date")?,
        participants: Vec::new(),
        units,
        extra,
    };
    items.insert(
        0,
        FeedItem::Linked(Linked {
            record: Record::Project(project),
            people: participants.into_iter().map(|(_, p, _)| p).collect(),
            unit_name: None,
        }),
    );
    Ok(items)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(value: Value) -> Vec<FeedItem> {
        parse(&value, &FeedContext::default()).result.unwrap()
    }

    #[test]
    fn a_person_becomes_a_profile_with_keywords_in_every_language_and_unit_placeholders() {
        let person = json!({
            "cristin_person_id": 301234, "first_name": "Ingrid", "surname": "Solberg",
            "orcid": {"id": "https://orcid.org/0000-0002-1825-009x"},
            "affiliations": [
                {"institution": {"cristin_institution_id": "194", "institution_name": {"nb": "NTNU"}},
                 "unit": {"cristin_unit_id": "194.65.20.0", "unit_name": {"nb": "Institutt for helsevitenskap"}},
                 "position": {"nb": "Førsteamanuensis", "en": "Associate Professor"}, "active": true},
                {"institution": {"cristin_institution_id": "215"}, "active": false}
            ],
            "keywords": [{"code": "x", "name": {"nb": "hverdagsmestring", "en": "reablement"}}],
            "unknown_field": {"kept": false}
        });
        let items = items(person);
        let FeedItem::Profile(p) = &items[0] else {
            panic!("{items:?}")
        };
        assert_eq!(p.researcher.id, "cristin:301234");
        assert_eq!(p.researcher.name, "Ingrid Solberg");
        assert_eq!(p.ids.orcid.as_deref(), Some("0000-0002-1825-009X"));
        assert_eq!(p.researcher.keywords, ["hverdagsmestring", "reablement"]);
        assert_eq!(p.researcher.units, ["cristin:194.65.20.0"]);
        assert!(
            p.researcher
                .bio
                .as_deref()
                .unwrap()
                .contains("Associate Professor")
        );
        let FeedItem::Placeholder(Record::Unit(u)) = &items[1] else {
            panic!("{items:?}")
        };
        assert_eq!(
            (u.name.as_str(), u.institution.as_deref()),
            ("Institutt for helsevitenskap", Some("NTNU"))
        );
        assert_eq!(items.len(), 2, "the inactive affiliation adds no unit");
    }

    #[test]
    fn a_result_keeps_every_language_and_takes_authors_from_the_contributors_payload() {
        let result = json!({
            "cristin_result_id": "2134567", "original_language": "nb",
            "title": {"en": "Reablement at home", "nb": "Hverdagsmestring i hjemmet"},
            "summary": {"no": "Studien følger 120 eldre.", "en": "The study follows 120 older adults."},
            "year_published": "2022",
            "category": {"code": "ARTIKKEL", "name": {"en": "Academic article"}},
            "keywords": [{"name": {"nb": "eldre", "en": "older adults"}}],
            "contributors": {"count": 2, "preview": [{"cristin_person_id": "9", "first_name": "A", "surname": "B", "order": 1}]}
        });
        let mut context = FeedContext::default();
        context.cristin_contributors.insert("2134567".into(), vec![
            json!({"cristin_person_id": "12", "first_name": "Ola", "surname": "Hansen", "order": 2}),
            json!({"cristin_person_id": "11", "first_name": "Kari", "surname": "Berg", "order": 1,
                   "affiliations": [{"unit": {"cristin_unit_id": "194.65.20.0"}, "role_code": "AUTHOR"}]}),
            json!({"first_name": "Uten", "surname": "Id", "order": 3}),
        ]);
        let items = parse(&result, &context).result.unwrap();
        let FeedItem::Linked(linked) = &items[0] else {
            panic!("{items:?}")
        };
        let Record::Work(w) = &linked.record else {
            panic!()
        };
        assert_eq!(w.title, "Hverdagsmestring i hjemmet / Reablement at home");
        assert_eq!(
            w.abstract_text.as_deref(),
            Some("Studien følger 120 eldre.\n\nThe study follows 120 older adults.")
        );
        assert_eq!(
            w.extra["summary_by_language"]["no"],
            "Studien følger 120 eldre."
        );
        assert_eq!(w.year, Some(2022));
        let ids: Vec<&str> = linked
            .people
            .iter()
            .map(|p| p.fallback_id.as_str())
            .collect();
        assert_eq!(
            ids,
            ["cristin:11", "cristin:12"],
            "author order, the unidentified left out"
        );
        assert_eq!(w.extra["contributors"].as_array().unwrap().len(), 3);
        // Without the payload, the preview is used.
        let items = items_without_context(&result);
        let FeedItem::Linked(linked) = &items[0] else {
            panic!()
        };
        assert_eq!(linked.people[0].fallback_id, "cristin:9");
    }

    fn items_without_context(value: &Value) -> Vec<FeedItem> {
        parse(value, &FeedContext::default()).result.unwrap()
    }

    #[test]
    fn a_project_strips_html_and_puts_managers_first() {
        let project = json!({
            "cristin_project_id": 2567890, "main_language": "nb",
            "title": {"nb": "Velferdsteknologi i Trondheim", "en": "Welfare technology in Trondheim"},
            "academic_summary": {"no": "<p>Vi prøver ut <em>digitalt tilsyn</em>.</p>"},
            "popular_scientific_summary": {"en": "<p>Sensors &amp; safety.</p>"},
            "status": "ACTIVE", "start_date": "2021-01-01T00:00:00.000Z", "end_date": "2024-12-31T00:00:00.000Z",
            "coordinating_institution": {"institution": {"cristin_institution_id": "194", "institution_name": {"en": "NTNU"}}},
            "participants": [
                {"cristin_person_id": "5", "first_name": "P", "surname": "M", "roles": [{"role_code": "PRO_PARTICIPANT"}]},
                {"cristin_person_id": "6", "first_name": "L", "surname": "N", "roles": [{"role_code": "PRO_MANAGER", "unit": {"cristin_unit_id": "194.65.20.0"}}]}
            ]
        });
        let items = items(project);
        let FeedItem::Linked(linked) = &items[0] else {
            panic!()
        };
        let Record::Project(p) = &linked.record else {
            panic!()
        };
        assert_eq!(
            p.summary.as_deref(),
            Some("Vi prøver ut digitalt tilsyn.\n\nSensors & safety.")
        );
        assert_eq!(
            (p.status, p.start.as_deref(), p.end.as_deref()),
            (
                Some(ProjectStatus::Active),
                Some("2021-01-01"),
                Some("2024-12-31")
            )
        );
        assert_eq!(p.units, ["cristin:194.0.0.0", "cristin:194.65.20.0"]);
        assert_eq!(linked.people[0].fallback_id, "cristin:6");
        assert_eq!(
            p.extra["participant_roles"]["cristin:6"],
            json!(["PRO_MANAGER"])
        );
    }

    #[test]
    fn broken_records_name_the_field() {
        let err = |v: Value| parse(&v, &FeedContext::default()).result.unwrap_err();
        assert_eq!(
            err(json!({"cristin_result_id": "1"})),
            "`title` is missing or has no text in any language"
        );
        assert_eq!(
            err(json!({"cristin_result_id": "1", "title": {"nb": "T"}, "year_published": [2020]})),
            "`year_published` must be a year, not a list"
        );
        assert_eq!(
            err(json!({"cristin_person_id": null, "first_name": "A"})),
            "`cristin_person_id` is missing"
        );
        assert!(err(json!({"cristin_result_id": "1", "title": {"nb": "x".repeat(crate::MAX_TEXT_BYTES + 1)}})).contains("longer than"));
        let labelled = parse(
            &json!({"cristin_project_id": 77, "title": 5}),
            &FeedContext::default(),
        );
        assert_eq!(labelled.label.as_deref(), Some("cristin project 77"));
    }
}
