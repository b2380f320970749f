//! Semantic matching end to end through the CLI, with the real models: vectors are stored on
//! import, only what changed is embedded again, and a need finds a researcher whose work says
//! the same thing in another language and in other words, which the index alone cannot.
//!
//! The models are found through `KOBLER_MODEL_DIR` (install them with
//! `scripts/install-models DIR`). Without it these tests skip with a message; with
//! `KOBLER_REQUIRE_MODELS=1` (as CI sets it) a missing model fails them.

mod support;

use serde_json::Value;
use std::path::{Path, PathBuf};
use support::cli::{json_lines, kobler, ok};

/// The model directory, or `None` (after saying why) when these tests should skip.
fn model_dir() -> Option<PathBuf> {
    let required = std::env::var("KOBLER_REQUIRE_MODELS").is_ok_and(|v| v == "1");
    let Some(dir) = std::env::var_os("KOBLER_MODEL_DIR").map(PathBuf::from) else {
        assert!(
            !required,
            "KOBLER_REQUIRE_MODELS=1 but KOBLER_MODEL_DIR is not set"
        );
        eprintln!("skipped: KOBLER_MODEL_DIR is not set (see scripts/install-models)");
        return None;
    };
    let complete = ["all-minilm-l6-v2", "multilingual-e5-small-q4"]
        .iter()
        .all(|model| dir.join(model).is_dir());
    assert!(
        complete || !required,
        "KOBLER_REQUIRE_MODELS=1 but {} lacks a model",
        dir.display()
    );
    complete.then_some(dir)
}

/// A bokmål need about moonlight and moths; one researcher wrote about exactly that in English,
/// two others about unrelated things. No word of the need is in the English work, nor does the
/// thesaurus bridge them.
const FEED: &str = r#"{"type": "municipality", "id": "5001", "name": "Trondheim"}
{"type": "unit", "id": "u-miljo", "name": "Miljøenheten", "kind": "municipal", "municipality": "5001"}
{"type": "researcher", "id": "r-moth", "name": "Mina Mott"}
{"type": "researcher", "id": "r-budget", "name": "Bjørn Budsjett"}
{"type": "researcher", "id": "r-school", "name": "Siri Skole"}
{"type": "work", "id": "w-moth", "title": "Moonlight and the flight activity of moths", "abstract": "We trapped moths on a hundred nights and show that bright moonlight suppresses the flight of nocturnal insects, while artificial light at night draws them away from their food plants.", "year": 2023, "authors": ["r-moth"]}
{"type": "work", "id": "w-budget", "title": "Fiscal transparency in municipal budgeting", "abstract": "A comparison of how councils publish their budgets and what citizens make of the figures.", "year": 2022, "authors": ["r-budget"]}
{"type": "work", "id": "w-school", "title": "Teacher collaboration in primary schools", "abstract": "Interviews with teachers on planning lessons together and sharing classroom practice.", "year": 2021, "authors": ["r-school"]}
{"type": "need", "id": "n-natt", "title": "Nattsvermere og månelys", "description": "Hvordan påvirker månen og kunstig lys om natten nattsvermerne i bynære områder?", "unit": "u-miljo", "focus_areas": ["klima-og-miljo"], "kinds": ["masteroppgave"], "posted": "2026-03-01", "status": "open"}
"#;

fn with_models(models: &Path, args: &[&str]) -> Vec<String> {
    let mut all = vec!["--model-dir".to_string(), models.display().to_string()];
    all.extend(args.iter().map(|a| a.to_string()));
    all
}

fn run_ok(data: &Path, models: &Path, args: &[&str]) -> String {
    let args = with_models(models, args);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    ok(data, &refs)
}

fn suggested(output: &str) -> Vec<String> {
    json_lines(output)
        .iter()
        .filter_map(|line| line["researcher"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_need_finds_a_researcher_through_sentence_vectors_that_the_index_misses() {
    let Some(models) = model_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    std::fs::write(&feed, FEED).unwrap();
    let data = dir.path().join("data");
    run_ok(&data, &models, &["import", feed.to_str().unwrap()]);

    // Lexically the moth researcher is not found at all.
    let lexical = ok(&data, &["match", "needs", "--need", "n-natt", "--json"]);
    assert!(
        !suggested(&lexical).contains(&"r-moth".to_string()),
        "{lexical}"
    );

    let blended = run_ok(
        &data,
        &models,
        &["match", "needs", "--need", "n-natt", "--json"],
    );
    let lines = json_lines(&blended);
    assert_eq!(lines[0]["researcher"], "r-moth", "{blended}");
    let evidence = &lines[0]["evidence"][0];
    assert_eq!(evidence["id"], "w-moth");
    let similarity = evidence["similarity"].as_f64().expect("a cosine");
    assert!(similarity > 0.0 && similarity <= 1.0, "{evidence}");
}

#[test]
fn only_missing_or_changed_records_are_embedded_again() {
    let Some(models) = model_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    std::fs::write(&feed, FEED).unwrap();
    let data = dir.path().join("data");
    // Import without embedding, then embed: every text (3 works + 1 need; the researchers have
    // no keywords or bio) once per model.
    run_ok(
        &data,
        &models,
        &["import", "--no-embed", feed.to_str().unwrap()],
    );
    let first: Value = serde_json::from_str(&run_ok(&data, &models, &["embed", "--json"])).unwrap();
    for model in ["all-minilm-l6-v2", "multilingual-e5-small-q4"] {
        assert_eq!(first["embedded"][model], 4, "{first}");
        assert_eq!(first["stored"][model], 4, "{first}");
    }
    // Nothing changed: nothing to embed.
    let again: Value = serde_json::from_str(&run_ok(&data, &models, &["embed", "--json"])).unwrap();
    assert_eq!(again["embedded"]["multilingual-e5-small-q4"], 0, "{again}");

    // One work's abstract changes, and a second work has the very text of another.
    let changed = FEED.replace("while artificial light at night", "whereas street lighting")
        + r#"{"type": "work", "id": "w-school-copy", "title": "Teacher collaboration in primary schools", "abstract": "Interviews with teachers on planning lessons together and sharing classroom practice.", "year": 2021, "authors": ["r-school"]}
"#;
    std::fs::write(&feed, changed).unwrap();
    run_ok(
        &data,
        &models,
        &["import", "--no-embed", feed.to_str().unwrap()],
    );
    let after: Value = serde_json::from_str(&run_ok(&data, &models, &["embed", "--json"])).unwrap();
    for model in ["all-minilm-l6-v2", "multilingual-e5-small-q4"] {
        assert_eq!(after["embedded"][model], 1, "{after}");
        assert_eq!(after["reused"][model], 1, "{after}");
        assert_eq!(after["stored"][model], 5, "{after}");
    }
}

#[test]
fn without_models_matching_is_lexical_and_embed_says_where_it_looked() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    std::fs::write(&feed, FEED).unwrap();
    let data = dir.path().join("data");
    let empty = dir.path().join("empty-models");
    std::fs::create_dir_all(&empty).unwrap();

    let args = with_models(&empty, &["import", feed.to_str().unwrap()]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = kobler(&data, &refs);
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("lexical only").count(), 1, "{stderr}");

    let args = with_models(&empty, &["embed"]);
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = kobler(&data, &refs);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("no sentence-embedding models")
            && stderr.contains(&empty.display().to_string()),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_server_embeds_a_posted_need_in_the_background() {
    use kobler_engine::{Engine, EngineOptions, ImportOptions, NoEmbedProgress, NoProgress, Role};
    let Some(models) = model_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    std::fs::write(&feed, FEED).unwrap();
    let options = EngineOptions {
        model_dir: Some(models),
        ..EngineOptions::default()
    };
    let engine = Engine::open_with(&dir.path().join("data"), options)
        .await
        .unwrap();
    engine
        .import(&[feed], &ImportOptions::default(), &mut NoProgress)
        .await
        .unwrap();
    let background = engine.clone();
    let worker = tokio::spawn(async move {
        background
            .keep_embedding(&mut NoEmbedProgress, std::time::Duration::from_secs(3600))
            .await;
    });
    engine
        .add_user(
            "staff",
            Role::Staff,
            Some("u-miljo"),
            None,
            "a-long-password",
        )
        .await
        .unwrap();
    let staff = engine.user("staff").await.unwrap().unwrap();
    let body = serde_json::json!({
        "title": "Lysforurensning og insekter",
        "description": "Hvordan påvirker gatelys insektlivet i byen?",
        "focus_areas": ["klima-og-miljo"],
    });
    let (need, _) = engine.create_need(&staff, &body).await.unwrap();

    // The hour-long recheck never comes: only the posting can wake the worker.
    let mut embedded = false;
    for _ in 0..600 {
        let have = engine
            .embedded_by(kobler_core::Kind::Need, &need.id)
            .await
            .unwrap();
        if have.iter().any(|m| m == "multilingual-e5-small-q4") {
            embedded = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    worker.abort();
    assert!(embedded, "the posted need was not embedded within a minute");
}

#[test]
fn overlap_flags_carry_the_semantic_signal_when_the_multilingual_model_is_installed() {
    let Some(models) = model_dir() else { return };
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    // The same need again, in nynorsk.
    let nynorsk = r#"{"type": "need", "id": "n-natt-nn", "title": "Nattsvermarar og månelys", "description": "Korleis påverkar månen og kunstig lys om natta nattsvermarane i bynære område?", "unit": "u-miljo", "focus_areas": ["klima-og-miljo"], "kinds": ["masteroppgave"], "posted": "2026-03-03", "status": "open"}"#;
    std::fs::write(&feed, format!("{FEED}{nynorsk}\n")).unwrap();
    let data = dir.path().join("data");
    run_ok(&data, &models, &["import", feed.to_str().unwrap()]);

    let with_vectors = json_lines(&run_ok(&data, &models, &["overlaps", "--json"]));
    let pair = with_vectors
        .iter()
        .find(|p| p["b"] == "n-natt-nn" || p["a"] == "n-natt-nn")
        .expect("the two versions are flagged");
    assert!(pair["semantic"].as_f64().unwrap() >= 0.23, "{pair}");
    assert!(
        pair["signals"]
            .as_array()
            .unwrap()
            .contains(&"semantic".into()),
        "{pair}"
    );

    let without = json_lines(&ok(&data, &["overlaps", "--json"]));
    assert!(
        without.iter().all(|p| p["semantic"] == 0.0
            && !p["signals"]
                .as_array()
                .unwrap()
                .contains(&"semantic".into())),
        "{without:?}"
    );
}
