//! Kobler's HTTP API (the only crate that knows HTTP)
