//! Posting a need: who may, what is valid, and what it overlaps with.

use crate::{Engine, EngineError, OVERLAP_THRESHOLD, Role, Similar, dates};
use kobler_core::taxonomy::{COLLABORATION_KINDS, FOCUS_AREAS};
use kobler_core::{FieldError, Kind, Need, Record, UnitKind, parse_record_of_kind};
use kobler_store::User;
use serde_json::Value;

/// Why a need was not created.
#[derive(Debug, thiserror::Error)]
pub enum CreateNeedError {
    /// The user's role or department may not post this need.
    #[error("{0}")]
    Forbidden(String),
    /// Fields are missing or wrong; one reason per field.
    #[error("the need is not valid")]
    Invalid(Vec<FieldError>),
    /// A need with this id exists already.
    #[error("need {0:?} exists already")]
    Conflict(String),
    /// The store or index failed.
    #[error(transparent)]
    Engine(#[from] EngineError),
}

fn field_error(field: &str, reason: impl Into<String>) -> FieldError {
    FieldError {
        field: field.into(),
        reason: reason.into(),
    }
}

impl Engine {
    /// Creates a need posted by `user` from a JSON body with the fields of a `need` record
    /// (`id` optional), and returns it with the needs and projects it overlaps.
    pub async fn create_need(
        &self,
        user: &User,
        body: &Value,
    ) -> Result<(Need, Vec<Similar>), CreateNeedError> {
        let role: Role = user.role.parse().map_err(CreateNeedError::Forbidden)?;
        if role == Role::Researcher {
            return Err(CreateNeedError::Forbidden(
                "researchers cannot post needs".into(),
            ));
        }
        let Some(object) = body.as_object() else {
            return Err(CreateNeedError::Invalid(vec![field_error(
                "body",
                "must be a JSON object",
            )]));
        };
        let mut object = object.clone();
        // Staff post for their own department; the unit may be left out.
        if role == Role::Staff {
            match (object.get("unit"), &user.unit) {
                (None | Some(Value::Null), Some(own)) => {
                    object.insert("unit".into(), Value::String(own.clone()));
                }
                (Some(Value::String(unit)), Some(own)) if unit != own => {
                    return Err(CreateNeedError::Forbidden(format!(
                        "you post for unit {own:?}, not {unit:?}"
                    )));
                }
                (_, None) => {
                    return Err(CreateNeedError::Forbidden(
                        "your account has no unit to post for".into(),
                    ));
                }
                _ => {}
            }
        }
        let generated_id = object.get("id").is_none_or(|v| v.is_null());
        if generated_id {
            object.insert("id".into(), Value::String(format!("need-{}", hex_id())));
        }
        object
            .entry("posted")
            .or_insert_with(|| Value::String(dates::today()));
        let value = Value::Object(object);
        let mut errors = match parse_record_of_kind(Kind::Need, &value) {
            Ok(_) => Vec::new(),
            Err(e) => e.errors,
        };
        let need = match parse_record_of_kind(Kind::Need, &value) {
            Ok(Record::Need(need)) => Some(need),
            _ => None,
        };
        // The vocabulary and the unit are checked on the body itself, not only on a need that
        // parsed, so that one answer names every broken field (a missing title, say, and an
        // unknown focus area).
        let strings = |field: &str| -> Vec<String> {
            value
                .get(field)
                .and_then(Value::as_array)
                .map(|items| {
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(str::to_string)
                        .collect()
                })
                .unwrap_or_default()
        };
        for area in strings("focus_areas")
            .iter()
            .filter(|a| !FOCUS_AREAS.contains(&a.as_str()))
        {
            errors.push(field_error(
                "focus_areas",
                format!(
                    "unknown focus area {area:?} (known: {})",
                    FOCUS_AREAS.join(", ")
                ),
            ));
        }
        for kind in strings("kinds")
            .iter()
            .filter(|k| !COLLABORATION_KINDS.contains(&k.as_str()))
        {
            errors.push(field_error(
                "kinds",
                format!(
                    "unknown kind {kind:?} (known: {})",
                    COLLABORATION_KINDS.join(", ")
                ),
            ));
        }
        match value.get("unit") {
            None | Some(Value::Null) => errors.push(field_error(
                "unit",
                "is required (the municipal unit that posts the need)",
            )),
            Some(Value::String(unit)) => match self
                .store
                .get(Kind::Unit, unit)
                .await
                .map_err(EngineError::from)?
            {
                Some(Record::Unit(u)) if u.kind == UnitKind::Municipal => {}
                Some(_) => errors.push(field_error(
                    "unit",
                    format!("{unit:?} is not a municipal unit"),
                )),
                None => errors.push(field_error("unit", format!("unknown unit {unit:?}"))),
            },
            // Another JSON type was already reported by the parser.
            Some(_) => {}
        }
        if let Some(need) = &need
            && let (Some(posted), Some(deadline)) = (&need.posted, &need.deadline)
            && deadline < posted
        {
            errors.push(field_error("deadline", "is before the date posted"));
        }
        let Some(need) = need.filter(|_| errors.is_empty()) else {
            return Err(CreateNeedError::Invalid(errors));
        };
        if !generated_id
            && self
                .store
                .get(Kind::Need, &need.id)
                .await
                .map_err(EngineError::from)?
                .is_some()
        {
            return Err(CreateNeedError::Conflict(need.id));
        }
        self.store
            .upsert_batch(&[Record::Need(need.clone())])
            .await
            .map_err(EngineError::from)?;
        self.catch_up().await?;
        let similar = self.similar_to(&need, OVERLAP_THRESHOLD)?;
        Ok((need, similar))
    }
}

fn hex_id() -> String {
    rand::random::<[u8; 6]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
