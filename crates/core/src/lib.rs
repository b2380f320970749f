//! Kobler's record types, their validation, and language detection.
//!
//! This crate does no IO. Every other crate speaks in these types: feeds parse into them, the
//! store persists them, the index analyses them and the matcher scores them.

pub mod identity;
pub mod lang;
pub mod record;
mod role;
pub mod taxonomy;
mod validate;

pub use lang::{Lang, detect_language};
pub use record::{
    Kind, Municipality, Need, NeedStatus, Project, ProjectStatus, Record, Researcher, Unit,
    UnitKind, Work,
};
pub use role::Role;
pub use validate::{
    FieldError, RecordError, is_iso_date, json_type, parse_record, parse_record_of_kind,
};
