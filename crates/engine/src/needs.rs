//! Posting a need: who may, what is valid, and what it overlaps with.

use crate::access::{may_see, works_on};
use crate::{Engine, EngineError, OVERLAP_THRESHOLD, Result, Role, Similar, dates};
use kobler_core::record::{limit_errors_in, new_id_problem};
use kobler_core::taxonomy::{COLLABORATION_KINDS, FOCUS_AREAS};
use kobler_core::{FieldError, Kind, Need, NeedStatus, Record, UnitKind, parse_record_of_kind};
use kobler_store::User;
use serde_json::Value;

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
    ) -> Result<(Need, Vec<Similar>), EngineError> {
        let role = user.role;
        if role == Role::Researcher {
            return Err(EngineError::Forbidden(
                "researchers cannot post needs".into(),
            ));
        }
        let Some(object) = body.as_object() else {
            return Err(EngineError::InvalidFields(vec![field_error(
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
                    return Err(EngineError::Forbidden(format!(
                        "you post for unit {own:?}, not {unit:?}"
                    )));
                }
                (_, None) => {
                    return Err(EngineError::Forbidden(
                        "your account has no unit to post for".into(),
                    ));
                }
                _ => {}
            }
        }
        let generated_id = object.get("id").is_none_or(|v| v.is_null());
        // An id given for a new need keeps to the safe alphabet, so that it reads the same in a
        // URL as in the record (ids from feeds keep only the looser rules of `id_problem`).
        let id_error = object
            .get("id")
            .and_then(Value::as_str)
            .and_then(new_id_problem)
            .map(|problem| field_error("id", problem));
        if generated_id {
            object.insert("id".into(), Value::String(format!("need-{}", hex_id())));
        }
        object
            .entry("posted")
            .or_insert_with(|| Value::String(dates::today()));
        let value = Value::Object(object);
        let need = match (self.validate_need(&value).await, id_error) {
            (Ok(need), None) => need,
            (Ok(_), Some(id_error)) => return Err(EngineError::InvalidFields(vec![id_error])),
            // One answer names every broken field; the id's own reason replaces the looser one.
            (Err(EngineError::InvalidFields(fields)), Some(id_error)) => {
                let mut all = vec![id_error];
                all.extend(fields.into_iter().filter(|f| f.field != "id"));
                return Err(EngineError::InvalidFields(all));
            }
            (Err(error), _) => return Err(error),
        };
        if !generated_id && self.store.get(Kind::Need, &need.id).await?.is_some() {
            return Err(EngineError::Conflict(format!(
                "need {:?} exists already",
                need.id
            )));
        }
        self.save_need(need).await
    }

    /// Stores a checked need, brings the index up to it (so it is searchable at once) and finds
    /// what it overlaps, for the author to see.
    async fn save_need(&self, need: Need) -> Result<(Need, Vec<Similar>), EngineError> {
        // Indexing and the overlap check are CPU work: on the work pool.
        let saved = need.clone();
        let similar = self
            .offload(move |engine| async move {
                engine
                    .store
                    .upsert_batch(&[Record::Need(saved.clone())])
                    .await?;
                // Stored is what counts: while another process (an import) writes the index,
                // the need is indexed when it lets go, not refused.
                engine.catch_up_unless_busy().await?;
                engine.similar_to(&saved, OVERLAP_THRESHOLD)
            })
            .await?;
        Ok((need, similar))
    }

    /// Checks a need's JSON against the record format, the taxonomy and the store (the unit
    /// must be a municipal unit), naming every broken field at once.
    async fn validate_need(&self, value: &Value) -> Result<Need, EngineError> {
        let mut errors = match parse_record_of_kind(Kind::Need, value) {
            Ok(_) => Vec::new(),
            Err(e) => e.errors,
        };
        // The size and id rules every record coming in keeps, as feeds are held to them.
        errors.extend(limit_errors_in(Kind::Need, value));
        let need = match parse_record_of_kind(Kind::Need, value) {
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
            Some(Value::String(unit)) => match self.store.get(Kind::Unit, unit).await? {
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
        match need.filter(|_| errors.is_empty()) {
            Some(need) => Ok(need),
            None => Err(EngineError::InvalidFields(errors)),
        }
    }

    /// Changes a need: `body` holds the fields to change (`null` clears an optional one); the
    /// id, the unit and the date posted stay. Only those who work on the need may (staff of
    /// its unit, coordinators, admins). Returns the need with what it overlaps now.
    pub async fn update_need(
        &self,
        user: &User,
        id: &str,
        body: &Value,
    ) -> Result<(Need, Vec<Similar>), EngineError> {
        let existing = self.editable_need(user, id).await?;
        let Some(changes) = body.as_object() else {
            return Err(EngineError::InvalidFields(vec![field_error(
                "body",
                "must be a JSON object",
            )]));
        };
        if let Some(unit) = changes.get("unit").and_then(Value::as_str)
            && Some(unit) != existing.unit.as_deref()
        {
            return Err(EngineError::InvalidFields(vec![field_error(
                "unit",
                "cannot be changed; post a new need for another unit",
            )]));
        }
        let mut object = match serde_json::to_value(&existing) {
            Ok(Value::Object(object)) => object,
            _ => {
                return Err(EngineError::Invalid(format!(
                    "need {id:?} cannot be written as JSON"
                )));
            }
        };
        for (key, value) in changes {
            if matches!(key.as_str(), "id" | "unit" | "posted" | "type") {
                continue;
            }
            if value.is_null() {
                object.remove(key);
            } else {
                object.insert(key.clone(), value.clone());
            }
        }
        let need = self.validate_need(&Value::Object(object)).await?;
        self.save_need(need).await
    }

    /// Closes or reopens a need (or sets another status), for those who work on it.
    pub async fn set_need_status(
        &self,
        user: &User,
        id: &str,
        status: NeedStatus,
    ) -> Result<Need, EngineError> {
        let mut need = self.editable_need(user, id).await?;
        if need.status != status {
            need.status = status;
            self.store
                .upsert_batch(&[Record::Need(need.clone())])
                .await?;
            self.offload(|engine| async move { engine.catch_up_unless_busy().await })
                .await?;
        }
        Ok(need)
    }

    /// A need `user` may change; a need they may not even see is reported as unknown.
    async fn editable_need(&self, user: &User, id: &str) -> Result<Need, EngineError> {
        let Some(need) = self.need(id).await? else {
            return Err(EngineError::unknown_need(id));
        };
        if !may_see(Some(user), &need) {
            return Err(EngineError::unknown_need(id));
        }
        if !works_on(user, &need) {
            return Err(EngineError::Forbidden(
                "only staff of the need's unit, coordinators and admins may change it".into(),
            ));
        }
        Ok(need)
    }

    /// Every need of a municipal unit, drafts included, newest first.
    pub async fn unit_needs(&self, unit: &str) -> Result<Vec<Need>, EngineError> {
        let ids = self.store.referring(Kind::Need, "unit", unit).await?;
        let mut needs: Vec<Need> = self
            .store
            .get_many(Kind::Need, &ids)
            .await?
            .into_iter()
            .filter_map(|r| match r {
                Record::Need(n) => Some(n),
                _ => None,
            })
            .collect();
        needs.sort_by(|a, b| b.posted.cmp(&a.posted).then_with(|| a.id.cmp(&b.id)));
        Ok(needs)
    }
}

fn hex_id() -> String {
    rand::random::<[u8; 6]>()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
