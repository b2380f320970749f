//! Kobler's full-text index: needs, works, projects and researcher profiles in tantivy.
//!
//! This is the only crate that knows tantivy. The index is derived from the store: it is fed
//! records in store order and records, in the same commit, the store sequence number it has
//! read up to, so a caller can always catch it up (or rebuild it) from the store.
//!
//! Every text is detected as bokmål, nynorsk, English or other and indexed in the fields of its
//! analyser group (`title_no`, `body_en`, ...); queries are analysed per group and run against
//! all of them.

mod baseline;
mod definition;
mod index;
mod normalise;
pub mod thesaurus;

pub use baseline::ProfileBaseline;
pub use definition::{AnalyzerGroup, DefinitionError, IndexDefinition};
pub use index::{
    AnalysedText, DocKind, FacetFilter, Hit, IndexOptions, IndexState, NeedFacet, NeedHit,
    NeedQuery, NeedSearch, NeedSort, Peer, PeerFinder, RetrieveFilter, SearchError, SearchIndex,
};
