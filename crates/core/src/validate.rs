//! Turning a JSON object into a [`Record`], with one reason per broken field.
//!
//! serde's own errors do not name the field, and a feed author or the API's 422 answer needs
//! exactly that, so the known fields are checked here first and then deserialised.
//!
//! This is the records' shape only. The size and id rules of records coming in (ids of at most
//! 128 bytes without control characters, a need's title, description and contact) are
//! [`crate::record::limit_errors_in`] and [`Record::limit_errors`]: feeds and the API apply
//! both, while the store reads its documents back with the shape alone, so that a record stored
//! before a limit existed still reads.

use crate::record::{Kind, Municipality, Need, Project, Record, Researcher, Unit, Work};
use serde::Serialize;
use serde_json::{Map, Value};
use std::fmt;

/// One field that breaks a rule of the feed format.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The field's name (`type` for the record type itself).
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

/// Why a JSON value is not a valid record: every broken field at once.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct RecordError {
    /// The broken fields.
    pub errors: Vec<FieldError>,
}

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<String> = self
            .errors
            .iter()
            .map(|e| format!("`{}` {}", e.field, e.reason))
            .collect();
        f.write_str(&parts.join("; "))
    }
}

impl RecordError {
    fn single(field: &str, reason: impl Into<String>) -> Self {
        RecordError {
            errors: vec![FieldError {
                field: field.into(),
                reason: reason.into(),
            }],
        }
    }
}

/// Parses a feed line's object, whose `type` names its kind.
pub fn parse_record(value: &Value) -> Result<Record, RecordError> {
    let Some(object) = value.as_object() else {
        return Err(RecordError::single(
            "type",
            format!("the line is {}, not a JSON object", json_type(value)),
        ));
    };
    let kind = match object.get("type") {
        None | Some(Value::Null) => return Err(RecordError::single("type", "is missing")),
        Some(Value::String(s)) => s
            .parse::<Kind>()
            .map_err(|reason| RecordError::single("type", reason))?,
        Some(other) => {
            return Err(RecordError::single(
                "type",
                format!("must be a string, not {}", json_type(other)),
            ));
        }
    };
    parse_record_of_kind(kind, value)
}

/// Parses an object as a record of the given kind (its `type`, if any, is ignored).
pub fn parse_record_of_kind(kind: Kind, value: &Value) -> Result<Record, RecordError> {
    let Some(object) = value.as_object() else {
        return Err(RecordError::single(
            "type",
            format!("the record is {}, not a JSON object", json_type(value)),
        ));
    };
    let mut object = object.clone();
    object.remove("type");
    let mut check = Checker {
        object: &mut object,
        errors: Vec::new(),
    };
    check.required_string("id");
    match kind {
        Kind::Municipality => {
            check.required_string("name");
        }
        Kind::Unit => {
            check.required_string("name");
            check.required_string("kind");
            check.one_of("kind", &["municipal", "academic"]);
            for field in ["municipality", "institution", "parent"] {
                check.optional_string(field);
            }
        }
        Kind::Researcher => {
            check.required_string("name");
            check.string_list("units");
            check.string_list("keywords");
            for field in ["bio", "orcid", "cristin_id", "email"] {
                check.optional_string(field);
            }
        }
        Kind::Work => {
            check.required_string("title");
            check.optional_string("abstract");
            check.optional_year("year");
            check.string_list("authors");
            check.string_list("keywords");
            check.optional_string("language");
        }
        Kind::Project => {
            check.required_string("title");
            check.optional_string("summary");
            check.optional_string("status");
            check.one_of("status", &["planned", "active", "completed"]);
            check.optional_date("start");
            check.optional_date("end");
            check.string_list("participants");
            check.string_list("units");
        }
        Kind::Need => {
            check.required_string("title");
            check.required_string("description");
            check.optional_string("unit");
            check.string_list("focus_areas");
            check.string_list("kinds");
            check.optional_date("posted");
            check.optional_date("deadline");
            check.optional_string("status");
            check.one_of("status", &["draft", "open", "matched", "closed"]);
            check.optional_string("contact");
        }
    }
    if !check.errors.is_empty() {
        return Err(RecordError {
            errors: check.errors,
        });
    }
    let value = Value::Object(object);
    let record = match kind {
        Kind::Municipality => {
            serde_json::from_value::<Municipality>(value).map(Record::Municipality)
        }
        Kind::Unit => serde_json::from_value::<Unit>(value).map(Record::Unit),
        Kind::Researcher => serde_json::from_value::<Researcher>(value).map(Record::Researcher),
        Kind::Work => serde_json::from_value::<Work>(value).map(Record::Work),
        Kind::Project => serde_json::from_value::<Project>(value).map(Record::Project),
        Kind::Need => serde_json::from_value::<Need>(value).map(Record::Need),
    };
    record.map_err(|e| RecordError::single("record", e.to_string()))
}

/// Checks known fields in place: absent or `null` optional fields are dropped, so that the
/// deserialiser sees only well-typed values.
struct Checker<'a> {
    object: &'a mut Map<String, Value>,
    errors: Vec<FieldError>,
}

impl Checker<'_> {
    fn fail(&mut self, field: &str, reason: impl Into<String>) {
        self.errors.push(FieldError {
            field: field.into(),
            reason: reason.into(),
        });
    }

    /// Returns the field's value unless it is absent or null (which is then removed).
    fn present(&mut self, field: &str) -> Option<Value> {
        match self.object.get(field) {
            None => None,
            Some(Value::Null) => {
                self.object.remove(field);
                None
            }
            Some(v) => Some(v.clone()),
        }
    }

    fn required_string(&mut self, field: &str) {
        match self.present(field) {
            None => self.fail(field, "is required"),
            Some(Value::String(s)) if s.trim().is_empty() => self.fail(field, "must not be empty"),
            Some(Value::String(_)) => {}
            Some(other) => self.fail(
                field,
                format!("must be a string, not {}", json_type(&other)),
            ),
        }
    }

    fn optional_string(&mut self, field: &str) {
        match self.present(field) {
            None | Some(Value::String(_)) => {}
            Some(other) => self.fail(
                field,
                format!("must be a string, not {}", json_type(&other)),
            ),
        }
    }

    fn one_of(&mut self, field: &str, allowed: &[&str]) {
        if let Some(Value::String(s)) = self.object.get(field)
            && !allowed.contains(&s.as_str())
        {
            let reason = format!("must be one of {}, not {s:?}", allowed.join(", "));
            self.fail(field, reason);
        }
    }

    fn string_list(&mut self, field: &str) {
        match self.present(field) {
            None => {}
            Some(Value::Array(items)) => {
                if let Some(bad) = items.iter().find(|v| !v.is_string()) {
                    let reason = format!("must be a list of strings, but holds {}", json_type(bad));
                    self.fail(field, reason);
                }
            }
            Some(other) => self.fail(
                field,
                format!("must be a list of strings, not {}", json_type(&other)),
            ),
        }
    }

    fn optional_year(&mut self, field: &str) {
        match self.present(field) {
            None => {}
            Some(Value::Number(n)) => match n.as_i64() {
                Some(y) if (0..=9999).contains(&y) => {}
                _ => self.fail(field, format!("must be a whole year, not {n}")),
            },
            // Some feeds write the year as a string; accept it when it is one.
            Some(Value::String(s)) => match s.trim().parse::<i32>() {
                Ok(y) if (0..=9999).contains(&y) => {
                    self.object.insert(field.into(), Value::from(y));
                }
                _ => self.fail(field, format!("must be a whole year, not {s:?}")),
            },
            Some(other) => self.fail(
                field,
                format!("must be a number, not {}", json_type(&other)),
            ),
        }
    }

    fn optional_date(&mut self, field: &str) {
        match self.present(field) {
            None => {}
            Some(Value::String(s)) if is_iso_date(&s) => {}
            Some(Value::String(s)) => self.fail(
                field,
                format!("must be an ISO date (YYYY-MM-DD), not {s:?}"),
            ),
            Some(other) => self.fail(
                field,
                format!("must be an ISO date string, not {}", json_type(&other)),
            ),
        }
    }
}

/// Whether `s` is a real calendar date written `YYYY-MM-DD`.
pub fn is_iso_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return false;
    };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

/// The JSON type of a value, as error messages name it ("a string", "a list", …).
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_a_need_and_keeps_unknown_fields() {
        let value = json!({"type": "need", "id": "n1", "title": "T", "description": "D",
                           "focus_areas": ["smartby"], "custom": {"x": 1}});
        let Ok(Record::Need(need)) = parse_record(&value) else {
            panic!("not a need")
        };
        assert_eq!(need.status, crate::NeedStatus::Open);
        assert_eq!(need.extra.get("custom"), Some(&json!({"x": 1})));
        assert_eq!(Record::Need(need).to_json()["custom"], json!({"x": 1}));
    }

    #[test]
    fn names_every_broken_field() {
        let value = json!({"type": "work", "id": 7, "authors": "r1", "year": "soon"});
        let err = parse_record(&value).unwrap_err();
        let fields: Vec<&str> = err.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["id", "title", "year", "authors"]);
        assert!(err.to_string().contains("`title` is required"), "{err}");
    }

    #[test]
    fn rejects_unknown_type_and_bad_status() {
        assert!(parse_record(&json!({"type": "person", "id": "x"})).is_err());
        let err = parse_record(&json!({"type": "need", "id": "n", "title": "t",
                                       "description": "d", "status": "pending"}))
        .unwrap_err();
        assert_eq!(err.errors[0].field, "status");
    }

    #[test]
    fn null_optional_fields_are_absent() {
        let value =
            json!({"type": "researcher", "id": "r", "name": "N", "bio": null, "units": null});
        assert!(parse_record(&value).is_ok());
    }

    #[test]
    fn checks_calendar_dates() {
        assert!(is_iso_date("2024-02-29"));
        assert!(!is_iso_date("2023-02-29"));
        assert!(!is_iso_date("2023-13-01"));
        assert!(!is_iso_date("01.02.2023"));
    }
}
