//! The record types of the Kobler JSON Lines feed (CONTRACT §1).
//!
//! Every record keeps the fields it arrived with that Kobler does not know (`extra`), so that a
//! record read back from the store is the record that was imported.
//!
//! The size and id rules every record must keep when it comes in (a feed line, an API body)
//! are here too ([`MAX_ID_BYTES`], [`MAX_TITLE_CHARS`], …, checked by
//! [`Record::limit_errors`] and [`limit_errors_in`]). They are kept apart from parsing on
//! purpose: the store reads its documents back with the same parser, and a record stored
//! before a limit existed must still read.

use crate::FieldError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// The longest id, in bytes of UTF-8: ids travel in URLs, file names of reports and log lines,
/// and no real source's ids come near it (Cristin's, OpenAlex's and ORCID's are under 64).
pub const MAX_ID_BYTES: usize = 128;
/// The longest need title, in characters (Unicode scalar values).
pub const MAX_TITLE_CHARS: usize = 300;
/// The longest need description, in characters: some ten pages, far beyond any need seen, but
/// short enough that matching one need stays one quick query.
pub const MAX_DESCRIPTION_CHARS: usize = 20_000;
/// The longest need contact, in characters: a name, a phone number and an e-mail address.
pub const MAX_CONTACT_CHARS: usize = 200;
/// The characters of an id the API gives a *new* need (as a regular expression): letters,
/// digits and `. _ : -`. Such an id is the same in a URL path as in the record, so links and
/// file names never need care. Ids from feeds may hold other characters (they only have to
/// keep [`id_problem`]'s rules), and every link percent-encodes them.
pub const NEW_ID_PATTERN: &str = "^[A-Za-z0-9._:-]+$";

/// Why `id` cannot be a record's id (or a reference to one), or `None` if it can: at most
/// [`MAX_ID_BYTES`] bytes and no control characters (which would break log lines, reports and
/// `Location` headers). Worded to follow the field's name: "`id` is 300 bytes long; …".
pub fn id_problem(id: &str) -> Option<String> {
    if id.len() > MAX_ID_BYTES {
        return Some(format!(
            "is {} bytes long; an id may have at most {MAX_ID_BYTES}",
            id.len()
        ));
    }
    id.chars().find(|c| c.is_control()).map(|c| {
        format!(
            "contains the control character U+{:04X}; ids may not",
            u32::from(c)
        )
    })
}

/// Why `id` cannot be the id of a need posted through the API, or `None` if it can: the rules
/// of [`id_problem`], and only the characters of [`NEW_ID_PATTERN`], and not `.` or `..`
/// (which a browser would resolve as a path segment rather than send).
pub fn new_id_problem(id: &str) -> Option<String> {
    if let Some(problem) = id_problem(id) {
        return Some(problem);
    }
    if let Some(c) = id
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '-')))
    {
        return Some(format!(
            "may hold only letters A–Z and a–z, digits and . _ : - (not {c:?})"
        ));
    }
    if id.chars().all(|c| c == '.') {
        return Some("must not be only dots".into());
    }
    None
}

/// Why `text` is too long for a field that holds at most `max` characters, if it is.
fn text_problem(text: &str, max: usize) -> Option<String> {
    // Bytes bound characters from above: most texts are decided without counting.
    if text.len() <= max {
        return None;
    }
    let chars = text.chars().count();
    (chars > max).then(|| format!("is {chars} characters long; at most {max} are allowed"))
}

/// The fields of each kind that hold ids of other records (see [`Record::references`]).
fn reference_fields(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Municipality => &[],
        Kind::Unit => &["municipality", "parent"],
        Kind::Researcher => &["units"],
        Kind::Work => &["authors"],
        Kind::Project => &["participants", "units"],
        Kind::Need => &["unit"],
    }
}

/// The text fields of each kind with a length limit, and the limit in characters. Only needs
/// have them: they are written by people in a form; works' and projects' texts come from
/// publication databases and are as long as they are (a feed line is bounded anyway).
fn text_limits(kind: Kind) -> &'static [(&'static str, usize)] {
    match kind {
        Kind::Need => &[
            ("title", MAX_TITLE_CHARS),
            ("description", MAX_DESCRIPTION_CHARS),
            ("contact", MAX_CONTACT_CHARS),
        ],
        _ => &[],
    }
}

fn field_error(field: &str, reason: String) -> FieldError {
    FieldError {
        field: field.to_string(),
        reason,
    }
}

/// One reason per field of a record's JSON object that breaks a size or id rule: the id, the
/// references, a need's title, description and contact. Fields that are absent or not strings
/// are left to the parser to report, so parsing and this together name every broken field.
pub fn limit_errors_in(kind: Kind, value: &Value) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let Some(object) = value.as_object() else {
        return errors;
    };
    if let Some(problem) = object
        .get("id")
        .and_then(Value::as_str)
        .and_then(id_problem)
    {
        errors.push(field_error("id", problem));
    }
    for field in reference_fields(kind) {
        let ids: Vec<&str> = match object.get(*field) {
            Some(Value::String(id)) => vec![id.as_str()],
            Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
            _ => Vec::new(),
        };
        if let Some(problem) = ids.into_iter().find_map(id_problem) {
            errors.push(field_error(field, format!("holds an id that {problem}")));
        }
    }
    for (field, max) in text_limits(kind) {
        if let Some(problem) = object
            .get(*field)
            .and_then(Value::as_str)
            .and_then(|text| text_problem(text, *max))
        {
            errors.push(field_error(field, problem));
        }
    }
    errors
}

/// The six record types. Ids are unique per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A kommune, identified by its kommunenummer.
    Municipality,
    /// A municipal or academic unit (department, institute, research group).
    Unit,
    /// A person whose expertise Kobler matches.
    Researcher,
    /// A publication or other research output.
    Work,
    /// A research or innovation project.
    Project,
    /// A knowledge need posted by a municipal unit.
    Need,
}

impl Kind {
    /// All kinds, in dependency order (what a record may refer to comes first).
    pub const ALL: [Kind; 6] = [
        Kind::Municipality,
        Kind::Unit,
        Kind::Researcher,
        Kind::Work,
        Kind::Project,
        Kind::Need,
    ];

    /// The `type` string of the feed format.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Municipality => "municipality",
            Kind::Unit => "unit",
            Kind::Researcher => "researcher",
            Kind::Work => "work",
            Kind::Project => "project",
            Kind::Need => "need",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Kind::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| format!("unknown record type {s:?}"))
    }
}

/// Whether a unit belongs to a municipality or to a university.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitKind {
    /// A department or service of a municipality.
    Municipal,
    /// An institute, faculty or research group.
    Academic,
}

/// Where a project stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProjectStatus {
    /// Not started yet.
    Planned,
    /// Running.
    Active,
    /// Finished.
    Completed,
}

/// Where a need stands. Only `open` needs are matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum NeedStatus {
    /// Being written; not shown to researchers.
    Draft,
    /// Looking for researchers.
    #[default]
    Open,
    /// A collaboration has been agreed.
    Matched,
    /// No longer wanted.
    Closed,
}

impl NeedStatus {
    /// The status string of the feed format.
    pub fn as_str(self) -> &'static str {
        match self {
            NeedStatus::Draft => "draft",
            NeedStatus::Open => "open",
            NeedStatus::Matched => "matched",
            NeedStatus::Closed => "closed",
        }
    }
}

impl ProjectStatus {
    /// The status string of the feed format.
    pub fn as_str(self) -> &'static str {
        match self {
            ProjectStatus::Planned => "planned",
            ProjectStatus::Active => "active",
            ProjectStatus::Completed => "completed",
        }
    }
}

/// A municipality (kommune).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Municipality {
    /// Kommunenummer, e.g. `"5001"`.
    pub id: String,
    /// Name, e.g. `"Trondheim"`.
    pub name: String,
    /// Fields Kobler does not know, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A municipal or academic unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Unit {
    /// Unit id.
    pub id: String,
    /// Name of the unit.
    pub name: String,
    /// Municipal or academic.
    pub kind: UnitKind,
    /// The municipality a municipal unit belongs to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub municipality: Option<String>,
    /// The institution an academic unit belongs to, e.g. `"NTNU"`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub institution: Option<String>,
    /// The parent unit, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    /// Fields Kobler does not know, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A researcher and their self-described expertise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Researcher {
    /// Researcher id.
    pub id: String,
    /// Full name.
    pub name: String,
    /// Academic units the researcher belongs to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<String>,
    /// Expertise keywords, in any language.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// A short biography.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bio: Option<String>,
    /// ORCID iD.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub orcid: Option<String>,
    /// Cristin person id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cristin_id: Option<String>,
    /// E-mail address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Fields Kobler does not know, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A publication or other research output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Work {
    /// Work id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Abstract or summary.
    #[serde(rename = "abstract", default, skip_serializing_if = "Option::is_none")]
    pub abstract_text: Option<String>,
    /// Publication year.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub year: Option<i32>,
    /// Researcher ids of the authors, in author order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub authors: Vec<String>,
    /// Keywords.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub keywords: Vec<String>,
    /// Language code as given by the feed; detected when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// Fields Kobler does not know, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

/// A research or innovation project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Project {
    /// Project id.
    pub id: String,
    /// Title.
    pub title: String,
    /// Summary.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    /// Planned, active or completed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<ProjectStatus>,
    /// Start date (ISO).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// End date (ISO).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Researcher ids of the participants.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<String>,
    /// Unit ids, municipal and academic.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub units: Vec<String>,
    /// Fields Kobler does not know, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Project {
    /// The project's text as it is compared: title, then summary.
    pub fn text(&self) -> String {
        format!(
            "{}\n{}",
            self.title,
            self.summary.as_deref().unwrap_or_default()
        )
    }
}

/// A knowledge need posted by a municipal unit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Need {
    /// Need id.
    pub id: String,
    /// Title.
    pub title: String,
    /// What the unit wants to know, and why.
    pub description: String,
    /// The municipal unit that posted it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<String>,
    /// Focus areas of the partnership.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub focus_areas: Vec<String>,
    /// Kinds of collaboration wanted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kinds: Vec<String>,
    /// Date posted (ISO).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub posted: Option<String>,
    /// Deadline (ISO).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// Draft, open, matched or closed.
    #[serde(default)]
    pub status: NeedStatus,
    /// Who to contact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// Fields Kobler does not know, kept as they came.
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

impl Need {
    /// The need's text as it is matched: title, then description.
    pub fn text(&self) -> String {
        format!("{}\n{}", self.title, self.description)
    }
}

/// Any record of the feed.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A municipality.
    Municipality(Municipality),
    /// A unit.
    Unit(Unit),
    /// A researcher.
    Researcher(Researcher),
    /// A work.
    Work(Work),
    /// A project.
    Project(Project),
    /// A need.
    Need(Need),
}

impl Record {
    /// The record's kind.
    pub fn kind(&self) -> Kind {
        match self {
            Record::Municipality(_) => Kind::Municipality,
            Record::Unit(_) => Kind::Unit,
            Record::Researcher(_) => Kind::Researcher,
            Record::Work(_) => Kind::Work,
            Record::Project(_) => Kind::Project,
            Record::Need(_) => Kind::Need,
        }
    }

    /// The record's id.
    pub fn id(&self) -> &str {
        match self {
            Record::Municipality(r) => &r.id,
            Record::Unit(r) => &r.id,
            Record::Researcher(r) => &r.id,
            Record::Work(r) => &r.id,
            Record::Project(r) => &r.id,
            Record::Need(r) => &r.id,
        }
    }

    /// The record as a feed line object, with its `type`.
    pub fn to_json(&self) -> Value {
        let value = match self {
            Record::Municipality(r) => serde_json::to_value(r),
            Record::Unit(r) => serde_json::to_value(r),
            Record::Researcher(r) => serde_json::to_value(r),
            Record::Work(r) => serde_json::to_value(r),
            Record::Project(r) => serde_json::to_value(r),
            Record::Need(r) => serde_json::to_value(r),
        };
        // Serialising plain structs of strings and maps cannot fail.
        let mut value = value.unwrap_or(Value::Null);
        if let Value::Object(map) = &mut value {
            map.insert("type".into(), Value::String(self.kind().as_str().into()));
        }
        value
    }

    /// One reason per field that breaks a size or id rule (the same rules as
    /// [`limit_errors_in`], read from the typed record): what every record coming in must keep,
    /// whatever feed it came from.
    pub fn limit_errors(&self) -> Vec<FieldError> {
        let mut errors = Vec::new();
        if let Some(problem) = id_problem(self.id()) {
            errors.push(field_error("id", problem));
        }
        let mut reported: Vec<&str> = Vec::new();
        for (_, field, id) in self.references() {
            if reported.contains(&field) {
                continue;
            }
            if let Some(problem) = id_problem(id) {
                reported.push(field);
                errors.push(field_error(field, format!("holds an id that {problem}")));
            }
        }
        if let Record::Need(need) = self {
            let texts = [
                ("title", need.title.as_str(), MAX_TITLE_CHARS),
                (
                    "description",
                    need.description.as_str(),
                    MAX_DESCRIPTION_CHARS,
                ),
                (
                    "contact",
                    need.contact.as_deref().unwrap_or_default(),
                    MAX_CONTACT_CHARS,
                ),
            ];
            for (field, text, max) in texts {
                if let Some(problem) = text_problem(text, max) {
                    errors.push(field_error(field, problem));
                }
            }
        }
        errors
    }

    /// The ids this record refers to, as (kind referred to, field name, id).
    pub fn references(&self) -> Vec<(Kind, &'static str, &str)> {
        let mut refs = Vec::new();
        match self {
            Record::Municipality(_) => {}
            Record::Unit(u) => {
                if let Some(m) = &u.municipality {
                    refs.push((Kind::Municipality, "municipality", m.as_str()));
                }
                if let Some(p) = &u.parent {
                    refs.push((Kind::Unit, "parent", p.as_str()));
                }
            }
            Record::Researcher(r) => {
                refs.extend(r.units.iter().map(|u| (Kind::Unit, "units", u.as_str())));
            }
            Record::Work(w) => {
                refs.extend(
                    w.authors
                        .iter()
                        .map(|a| (Kind::Researcher, "authors", a.as_str())),
                );
            }
            Record::Project(p) => {
                refs.extend(
                    p.participants
                        .iter()
                        .map(|a| (Kind::Researcher, "participants", a.as_str())),
                );
                refs.extend(p.units.iter().map(|u| (Kind::Unit, "units", u.as_str())));
            }
            Record::Need(n) => {
                if let Some(u) = &n.unit {
                    refs.push((Kind::Unit, "unit", u.as_str()));
                }
            }
        }
        refs
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_record;
    use serde_json::json;

    #[test]
    fn ids_longer_than_128_bytes_or_with_control_characters_are_refused() {
        assert_eq!(id_problem("n-1"), None);
        assert_eq!(id_problem(&"x".repeat(MAX_ID_BYTES)), None);
        // Bytes, not characters: 65 two-byte letters are 130 bytes.
        let long = "ø".repeat(65);
        assert!(id_problem(&long).is_some_and(|p| p.contains("130 bytes")));
        assert!(id_problem("a\u{0}b").is_some_and(|p| p.contains("U+0000")));
        assert!(id_problem("a\nb").is_some());
        // Feeds' ids may hold other characters.
        assert_eq!(id_problem("orcid:0000-0002-1825-009X/99"), None);
        assert_eq!(id_problem("behov ø?#%"), None);
    }

    #[test]
    fn new_ids_keep_to_the_safe_alphabet() {
        assert_eq!(new_id_problem("need-1.2_a:B"), None);
        for bad in [
            "../../etc/passwd",
            "a/b",
            "a\u{0}b",
            "a b",
            "ø",
            ".",
            "..",
            "a?b",
        ] {
            assert!(new_id_problem(bad).is_some(), "{bad:?}");
        }
        assert!(new_id_problem(&"a".repeat(MAX_ID_BYTES + 1)).is_some());
    }

    #[test]
    fn need_texts_over_their_limits_are_named_by_field() {
        let value = json!({"type": "need", "id": "n", "title": "t".repeat(MAX_TITLE_CHARS + 1),
            "description": "d".repeat(MAX_DESCRIPTION_CHARS + 1),
            "contact": "c".repeat(MAX_CONTACT_CHARS + 1), "unit": "u".repeat(200)});
        let from_json: Vec<String> = limit_errors_in(Kind::Need, &value)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(from_json, ["unit", "title", "description", "contact"]);
        // The typed record says the same (the JSON rules and the typed ones must not drift).
        let record = parse_record(&value).expect("the shape is right");
        let mut typed: Vec<String> = record.limit_errors().into_iter().map(|e| e.field).collect();
        typed.sort();
        let mut from_json = from_json;
        from_json.sort();
        assert_eq!(typed, from_json);
        // Exactly at the limits is fine; characters count, not bytes.
        let at = json!({"type": "need", "id": "n", "title": "ø".repeat(MAX_TITLE_CHARS),
            "description": "d", "contact": "c".repeat(MAX_CONTACT_CHARS)});
        assert!(limit_errors_in(Kind::Need, &at).is_empty());
        assert!(parse_record(&at).expect("need").limit_errors().is_empty());
    }

    #[test]
    fn references_and_long_works_are_checked_by_their_own_rules() {
        let work = json!({"type": "work", "id": "w", "title": "T",
            "abstract": "a".repeat(MAX_DESCRIPTION_CHARS * 2), "authors": ["r1", "r\u{7}"]});
        let errors = parse_record(&work).expect("work").limit_errors();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert_eq!(errors[0].field, "authors");
        assert!(errors[0].reason.starts_with("holds an id that contains"));
    }
}
