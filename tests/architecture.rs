//! ARCHITECTURE.md's dependency invariants, checked against `cargo metadata`, so that they
//! cannot rot silently: which crate may know SQL, tantivy, HTTP, the models; and that the
//! engine is the only door to the store, the index and the matcher.

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

/// Each workspace package's normal (not dev, not build) dependencies, by name.
fn dependencies() -> BTreeMap<String, BTreeSet<String>> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let output = Command::new(cargo)
        .args([
            "metadata",
            "--format-version",
            "1",
            "--no-deps",
            "--offline",
        ])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata runs");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: Value = serde_json::from_slice(&output.stdout).expect("metadata is JSON");
    metadata["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|package| {
            let name = package["name"].as_str().expect("name").to_string();
            let normal = package["dependencies"]
                .as_array()
                .expect("dependencies")
                .iter()
                .filter(|d| d["kind"].is_null())
                .filter_map(|d| d["name"].as_str().map(str::to_string))
                .collect();
            (name, normal)
        })
        .collect()
}

/// The workspace packages that depend on `dependency`.
fn users_of<'a>(deps: &'a BTreeMap<String, BTreeSet<String>>, dependency: &str) -> Vec<&'a str> {
    deps.iter()
        .filter(|(_, d)| d.contains(dependency))
        .map(|(name, _)| name.as_str())
        .collect()
}

#[test]
fn each_outside_technology_is_known_to_one_crate_only() {
    let deps = dependencies();
    for (dependency, owner) in [
        ("sqlx", "kobler-store"),
        ("tantivy", "kobler-search"),
        ("axum", "kobler-server"),
        ("askama", "kobler-server"),
        ("reqwest", "kobler-feeds"),
        ("candle-core", "kobler-embed"),
        ("tokenizers", "kobler-embed"),
    ] {
        assert_eq!(users_of(&deps, dependency), [owner], "{dependency}");
    }
}

#[test]
fn the_engine_is_the_only_door_to_the_store_the_index_and_the_matcher() {
    let deps = dependencies();
    let kobler = |name: &str| -> BTreeSet<&str> {
        deps[name]
            .iter()
            .filter(|d| d.starts_with("kobler"))
            .map(String::as_str)
            .collect()
    };
    let front = BTreeSet::from(["kobler-core", "kobler-engine"]);
    assert_eq!(
        kobler("kobler-server"),
        front,
        "the server sees core types and the engine"
    );
    let mut cli = front.clone();
    cli.insert("kobler-server");
    assert_eq!(
        kobler("kobler"),
        cli,
        "the command line sees the engine and the server"
    );
    for inner in ["kobler-store", "kobler-search", "kobler-matcher"] {
        assert_eq!(users_of(&deps, inner), ["kobler-engine"], "{inner}");
    }
    // The layers below know nothing of each other but core.
    for leaf in [
        "kobler-store",
        "kobler-search",
        "kobler-matcher",
        "kobler-feeds",
        "kobler-embed",
    ] {
        assert_eq!(kobler(leaf), BTreeSet::from(["kobler-core"]), "{leaf}");
    }
    assert!(kobler("kobler-core").is_empty());
}
