//! Kobler's store: the source of truth (SQLite; the only crate that knows SQL)
