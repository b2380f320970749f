//! Kobler's scoring, free of IO: document-centric aggregation of evidence into researcher
//! suggestions, and the quality metrics of `kobler eval`.
//!
//! The engine retrieves evidence (works, projects, profiles scored against a need) from the
//! index; this crate turns it into ranked, explained suggestions.

pub mod aggregate;
pub mod assign;
pub mod metrics;
pub mod minhash;
pub mod neighbours;
pub mod term_pairs;
pub mod vectors;

pub use aggregate::{AggregationParams, Evidence, EvidenceKind, Suggestion, aggregate};
