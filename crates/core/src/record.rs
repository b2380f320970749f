//! The record types of the Kobler JSON Lines feed (CONTRACT §1).
//!
//! Every record keeps the fields it arrived with that Kobler does not know (`extra`), so that a
//! record read back from the store is the record that was imported.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

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
