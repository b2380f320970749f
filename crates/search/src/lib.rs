//! Kobler's full-text index (the only crate that knows tantivy), derived from the store
