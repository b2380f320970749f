//! End-to-end behaviour of the `kobler` command line (CONTRACT §3), with a real store and index
//! in a temporary directory, on the project's demo fixtures.

mod support;

use support::cli::{command, json_lines, kobler, ok};

use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo")
}

fn demo_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(dir.path(), &["import", fixtures().to_str().unwrap()]);
    dir
}

fn stats(data: &Path) -> Value {
    serde_json::from_str(&ok(data, &["stats", "--json"])).unwrap()
}

#[test]
fn importing_the_same_files_twice_leaves_identical_counts() {
    let dir = demo_store();
    let first = stats(dir.path());
    let again = ok(
        dir.path(),
        &["import", "--json", fixtures().to_str().unwrap()],
    );
    let report: Value = serde_json::from_str(&again).unwrap();
    assert_eq!(report["inserted"], 0);
    assert_eq!(report["updated"], 0);
    assert_eq!(stats(dir.path()), first);
    assert!(first["need"].as_u64().unwrap() >= 25, "{first}");
    assert!(first["work"].as_u64().unwrap() >= 120, "{first}");
}

#[test]
fn bad_lines_are_reported_with_file_and_line_and_the_rest_imports() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    std::fs::write(
        &feed,
        concat!(
            r#"{"type":"municipality","id":"5001","name":"Trondheim"}"#,
            "\n",
            r#"{"type":"unit","id":"u1","name":"Skole","kind":"municipal","municipality":"5001"}"#,
            "\n",
            r#"{"type":"need","id":"n1","title":"Uten beskrivelse"}"#,
            "\n",
            r#"{"type":"work","id":"w1","title":"Ok","authors":["ghost"]}"#,
            "\n",
            "{not json\n",
            r#"{"type":"researcher","id":"r1","name":"Kari","units":["u1"]}"#,
            "\n",
        ),
    )
    .unwrap();
    let data = dir.path().join("data");
    let out = kobler(&data, &["import", feed.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("feed.jsonl:3: `description` is required"),
        "{stderr}"
    );
    assert!(stderr.contains("feed.jsonl:5: invalid JSON"), "{stderr}");
    assert!(
        stderr.contains("feed.jsonl:4: work refers in `authors` to researcher \"ghost\""),
        "{stderr}"
    );
    let last = stderr.lines().last().unwrap_or("");
    assert!(
        last.starts_with("kobler: 2 lines were rejected"),
        "{stderr}"
    );
    let counts = stats(&data);
    assert_eq!(
        (counts["municipality"].as_u64(), counts["unit"].as_u64()),
        (Some(1), Some(1))
    );
    assert_eq!(
        (
            counts["researcher"].as_u64(),
            counts["work"].as_u64(),
            counts["need"].as_u64()
        ),
        (Some(1), Some(1), Some(0))
    );
}

#[test]
fn a_killed_import_leaves_only_whole_batches() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("big.jsonl");
    let mut file = std::io::BufWriter::new(std::fs::File::create(&feed).unwrap());
    let total = 150_000;
    for i in 0..total {
        writeln!(
            file,
            r#"{{"type":"researcher","id":"r{i}","name":"Forsker {i}","keywords":["k{i}"]}}"#
        )
        .unwrap();
    }
    file.flush().unwrap();
    drop(file);
    let data = dir.path().join("data");
    let mut child = command(&data)
        .args(["import", "--batch-size", "1000", feed.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Kill it once some batches are committed, while it is still writing.
    let mut stored = 0;
    for _ in 0..600 {
        std::thread::sleep(std::time::Duration::from_millis(50));
        if data.join("kobler.db").exists() {
            stored = stats(&data)["researcher"].as_u64().unwrap_or(0);
            if stored > 0 {
                break;
            }
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(stored > 0, "the import never committed a batch");
    let after = stats(&data)["researcher"].as_u64().unwrap();
    assert!(
        after < total,
        "the import finished before it was killed; make the feed larger"
    );
    assert_eq!(after % 1000, 0, "a partial batch was stored: {after}");
    // Importing again completes the job, and the index catches up with the store.
    ok(
        &data,
        &["import", "--batch-size", "1000", feed.to_str().unwrap()],
    );
    assert_eq!(stats(&data)["researcher"].as_u64(), Some(total));
}

#[test]
fn a_deleted_index_is_rebuilt_from_the_store() {
    let dir = demo_store();
    let before = json_lines(&ok(dir.path(), &["search", "barnehage", "--json"]));
    assert!(!before.is_empty());
    std::fs::remove_dir_all(dir.path().join("index")).unwrap();
    let after = json_lines(&ok(dir.path(), &["search", "barnehage", "--json"]));
    let ids = |rows: &[Value]| rows.iter().map(|r| r["need"].clone()).collect::<Vec<_>>();
    assert_eq!(ids(&before), ids(&after));
    ok(dir.path(), &["reindex"]);
    assert_eq!(
        ids(&before),
        ids(&json_lines(&ok(
            dir.path(),
            &["search", "barnehage", "--json"]
        )))
    );
}

#[test]
fn search_stems_norwegian_and_english_queries() {
    let dir = demo_store();
    let rows = json_lines(&ok(dir.path(), &["search", "barnehagene", "--json"]));
    assert!(!rows.is_empty(), "an inflected Norwegian query finds needs");
    for row in &rows {
        let text = format!("{} {}", row["title"], row["snippet"]).to_lowercase();
        assert!(text.contains("barnehag"), "{row}");
    }
    let english = json_lines(&ok(dir.path(), &["search", "services", "--json"]));
    assert!(
        !english.is_empty(),
        "an English query finds the English needs"
    );
}

#[test]
fn match_and_overlap_output_follows_the_contract() {
    let dir = demo_store();
    let needs = json_lines(&ok(dir.path(), &["match", "needs", "--top", "3", "--json"]));
    assert!(!needs.is_empty());
    for row in &needs {
        assert!(
            row["need"].is_string() && row["researcher"].is_string() && row["score"].is_number(),
            "{row}"
        );
        assert!((1..=3).contains(&row["rank"].as_u64().unwrap()), "{row}");
        assert!(
            !row["evidence"].as_array().unwrap().is_empty(),
            "every suggestion shows evidence: {row}"
        );
    }
    let one = json_lines(&ok(
        dir.path(),
        &[
            "match",
            "needs",
            "--need",
            needs[0]["need"].as_str().unwrap(),
            "--json",
        ],
    ));
    assert!(one.iter().all(|r| r["need"] == needs[0]["need"]));
    assert!(
        one.windows(2)
            .all(|w| w[0]["score"].as_f64() >= w[1]["score"].as_f64()),
        "best first"
    );

    let departments = json_lines(&ok(
        dir.path(),
        &["match", "departments", "--top", "2", "--json"],
    ));
    assert!(!departments.is_empty());
    assert!(departments.iter().all(|r| r["unit"].is_string()
        && r["rank"].is_u64()
        && r["researcher"].is_string()
        && r["score"].is_number()));

    let researcher = needs[0]["researcher"].as_str().unwrap();
    let mine = json_lines(&ok(
        dir.path(),
        &[
            "match",
            "researchers",
            "--researcher",
            researcher,
            "--top",
            "5",
            "--json",
        ],
    ));
    assert!(!mine.is_empty());
    assert!(
        mine.iter().all(|r| r["researcher"] == researcher
            && r["need"].is_string()
            && r["score"].is_number())
    );

    let overlaps = json_lines(&ok(dir.path(), &["overlaps", "--json"]));
    assert!(!overlaps.is_empty(), "the demo set has overlapping needs");
    assert!(
        overlaps
            .iter()
            .all(|r| r["a"].is_string() && r["b"].is_string() && r["score"].is_number())
    );

    let clusters = json_lines(&ok(dir.path(), &["overlaps", "--clusters", "--json"]));
    assert!(!clusters.is_empty());
    let in_pairs: std::collections::HashSet<String> = overlaps
        .iter()
        .flat_map(|r| {
            [
                r["a"].as_str().unwrap().to_string(),
                r["b"].as_str().unwrap().to_string(),
            ]
        })
        .collect();
    let in_clusters: Vec<String> = clusters
        .iter()
        .flat_map(|c| {
            c["members"]
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m["id"].as_str().unwrap().to_string())
        })
        .collect();
    assert_eq!(
        in_clusters.len(),
        in_pairs.len(),
        "every flagged item is in exactly one cluster"
    );
    assert!(in_clusters.iter().all(|id| in_pairs.contains(id)));

    let counts = stats(dir.path());
    for kind in [
        "municipality",
        "unit",
        "researcher",
        "work",
        "project",
        "need",
    ] {
        assert!(counts[kind].is_u64(), "stats has {kind}: {counts}");
    }
}

#[test]
fn unknown_ids_fail_with_one_line() {
    let dir = demo_store();
    let out = kobler(
        dir.path(),
        &["match", "needs", "--need", "no-such-need", "--json"],
    );
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains("no-such-need"), "{stderr}");
}

#[test]
fn eval_reports_matching_and_overlap_figures() {
    let dir = tempfile::tempdir().unwrap();
    let set = dir.path().join("set");
    std::fs::create_dir(&set).unwrap();
    for name in [
        "units.jsonl",
        "researchers.jsonl",
        "works.jsonl",
        "projects.jsonl",
        "needs.jsonl",
    ] {
        std::fs::copy(fixtures().join(name), set.join(name)).unwrap();
    }
    // A tiny hand-made label set over the demo data: one judged need, one labelled pair.
    std::fs::write(
        set.join("judgments.jsonl"),
        concat!(
            r#"{"need":"demo-n02","researcher":"demo-r04","grade":3}"#,
            "\n",
            r#"{"need":"demo-n02","researcher":"demo-r01","grade":0}"#,
            "\n",
        ),
    )
    .unwrap();
    std::fs::write(
        set.join("overlaps.jsonl"),
        r#"{"a":"demo-n03","b":"demo-n17","overlap":true}"#,
    )
    .unwrap();
    let report: Value =
        serde_json::from_str(&ok(dir.path(), &["eval", set.to_str().unwrap(), "--json"])).unwrap();
    assert_eq!(report["matching"]["needs"], 1);
    let ndcg = report["matching"]["ndcg_at_10"].as_f64().unwrap();
    assert!((0.0..=1.0).contains(&ndcg));
    assert!(report["overlaps"]["recall"].is_number());
    assert!(
        report["import_problems"].as_array().unwrap().is_empty(),
        "{report}"
    );
    let text = ok(dir.path(), &["eval", set.to_str().unwrap()]);
    assert!(
        text.contains("nDCG@10") && text.contains("overlaps"),
        "{text}"
    );
}

#[test]
fn spreading_caps_how_often_a_researcher_is_suggested() {
    let dir = demo_store();
    let count_max = |rows: &[Value]| {
        let mut counts = std::collections::HashMap::new();
        for row in rows {
            *counts
                .entry(row["researcher"].as_str().unwrap().to_string())
                .or_insert(0) += 1;
        }
        counts.into_values().max().unwrap_or(0)
    };
    let free = json_lines(&ok(dir.path(), &["match", "needs", "--top", "3", "--json"]));
    assert!(
        count_max(&free) > 1,
        "without a cap some researcher fits several needs"
    );
    for extra in [
        &["--max-per-researcher", "2"][..],
        &["--max-per-researcher", "2", "--assign"][..],
    ] {
        let mut args = vec!["match", "needs", "--top", "3", "--json"];
        args.extend_from_slice(extra);
        let capped = json_lines(&ok(dir.path(), &args));
        assert_eq!(count_max(&capped), 2, "{extra:?}");
        assert!(
            capped.len() > free.len() / 2,
            "the cap spreads suggestions rather than dropping them"
        );
    }
}

/// Two municipalities post the same template need, lightly edited; a third need is unrelated.
fn template_needs(second_description: &str) -> String {
    let need = |id: &str, unit: &str, description: &str| {
        serde_json::json!({
            "type": "need", "id": id, "unit": unit,
            "title": "Digital heimeoppfølging av pasientar med KOLS",
            "description": description,
        })
        .to_string()
    };
    let first = "Kommunen vil prøve ut digital heimeoppfølging av pasientar med KOLS etter \
                 sjukehusopphald. Vi treng kunnskap om kva målingar som gir tryggleik for \
                 pasienten, korleis sjukepleiarar følgjer opp avvik, og om innlegging kan \
                 unngåast.";
    [
        r#"{"type":"municipality","id":"5001","name":"Trondheim"}"#.to_string(),
        r#"{"type":"municipality","id":"5055","name":"Heim"}"#.to_string(),
        r#"{"type":"unit","id":"u1","name":"Heimetenesta","kind":"municipal","municipality":"5001"}"#.to_string(),
        r#"{"type":"unit","id":"u2","name":"Heimetenesta","kind":"municipal","municipality":"5055"}"#.to_string(),
        need("n1", "u1", first),
        need("n2", "u2", second_description),
        serde_json::json!({
            "type": "need", "id": "n3", "unit": "u1",
            "title": "Leseopplæring i småskulen",
            "description": "Skulane vil prøve ein ny metode for leseopplæring på 1. og 2. trinn og \
                            treng ein forskar som kan følgje utprøvinga.",
        })
        .to_string(),
    ]
    .join("\n")
}

/// `kobler user add` with the password on stdin.
fn add_user(data: &Path, name: &str, role: &str, extra: &[&str]) {
    let mut child = command(data)
        .args(["user", "add", "--name", name, "--role", role])
        .args(extra)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("kobler runs");
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(b"a-long-password\n")
            .expect("password written");
    }
    let out = child.wait_with_output().expect("kobler finishes");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn flagged(data: &Path) -> Vec<Value> {
    json_lines(&ok(data, &["overlaps", "--json"]))
}

#[test]
fn a_dismissed_overlap_stays_quiet_until_one_side_changes_materially() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("needs.jsonl");
    let copy = "Kommunen vil prøve ut digital heimeoppfølging av pasientar med KOLS etter \
                sjukehusopphald. Vi treng kunnskap om kva målingar som gir tryggleik for \
                pasienten, korleis sjukepleiarane følgjer opp avvik, og om innlegging kan \
                unngåast.";
    std::fs::write(&feed, template_needs(copy)).unwrap();
    ok(dir.path(), &["import", feed.to_str().unwrap()]);

    let pairs = flagged(dir.path());
    assert_eq!(pairs.len(), 1, "{pairs:?}");
    let pair = &pairs[0];
    assert_eq!(
        (pair["a"].as_str(), pair["b"].as_str()),
        (Some("n1"), Some("n2"))
    );
    let signals: Vec<&str> = pair["signals"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        signals.contains(&"text"),
        "a lightly edited copy is a near-duplicate: {pair}"
    );
    assert!(pair["text"].as_f64().unwrap() > 0.5, "{pair}");

    // Only coordinators and admins decide.
    add_user(dir.path(), "koord", "coordinator", &[]);
    add_user(dir.path(), "heim", "staff", &["--unit", "u1"]);
    let refused = kobler(
        dir.path(),
        &["overlaps", "dismiss", "n1", "n2", "--by", "heim"],
    );
    assert!(!refused.status.success());
    assert_eq!(flagged(dir.path()).len(), 1);

    ok(
        dir.path(),
        &[
            "overlaps",
            "dismiss",
            "n2",
            "n1",
            "--by",
            "koord",
            "--note",
            "ulik målgruppe",
        ],
    );
    assert!(
        flagged(dir.path()).is_empty(),
        "a dismissed pair is not flagged again"
    );

    // A one-word edit is not a material change.
    std::fs::write(&feed, template_needs(&copy.replace("avvik", "avvika"))).unwrap();
    ok(dir.path(), &["import", feed.to_str().unwrap()]);
    assert!(flagged(dir.path()).is_empty());

    // New content is: the pair comes back, showing the earlier decision.
    let extended = format!(
        "{copy} Vi ønskjer også å sjå på opplæring av pårørande, bruk av nettbrett med \
         videokonsultasjon, personvern i skytenester og kostnader for kommunen samanlikna med \
         fysiske heimebesøk."
    );
    std::fs::write(&feed, template_needs(&extended)).unwrap();
    ok(dir.path(), &["import", feed.to_str().unwrap()]);
    let again = flagged(dir.path());
    assert_eq!(again.len(), 1, "{again:?}");
    assert_eq!(again[0]["decision"]["decision"], "dismissed");
    assert_eq!(again[0]["decision"]["changed_since"], true);
    assert_eq!(again[0]["decision"]["by"], "koord");

    let trail = json_lines(&ok(dir.path(), &["overlaps", "decisions", "--json"]));
    assert_eq!(trail.len(), 1);
    assert_eq!(trail[0]["note"], "ulik målgruppe");
    assert_eq!(
        (trail[0]["a"].as_str(), trail[0]["b"].as_str()),
        (Some("n1"), Some("n2"))
    );
}

/// Works whose titles come in bokmål and English (as Cristin results do), by one researcher on
/// bumblebees, and an English need on pollinators that shares no word with her Norwegian text.
fn parallel_feed() -> String {
    let work = |id: &str, nb: &str, en: &str| {
        serde_json::json!({
            "type": "work", "id": id, "title": nb, "authors": ["r-humle"], "year": 2024,
            "title_by_language": {"nb": nb, "en": en},
        })
        .to_string()
    };
    [
        r#"{"type":"municipality","id":"5001","name":"Trondheim"}"#.to_string(),
        r#"{"type":"unit","id":"u1","name":"Miljøenheten","kind":"municipal","municipality":"5001"}"#.to_string(),
        r#"{"type":"researcher","id":"r-humle","name":"Ingrid Aasen"}"#.to_string(),
        r#"{"type":"researcher","id":"r-skole","name":"Ola Vik"}"#.to_string(),
        work("w1", "Humler i bynære enger", "Bumblebees in urban meadows"),
        work("w2", "Humler og blomsterstriper langs veier", "Bumblebees and flower strips along roads"),
        work("w3", "Hvordan klippes enger for humler", "How meadows are mown for bumblebees"),
        work("w4", "Humler i private hager", "Bumblebees in private gardens"),
        serde_json::json!({"type": "work", "id": "w5", "title": "Leseopplæring i småskolen",
            "authors": ["r-skole"], "year": 2024}).to_string(),
        serde_json::json!({"type": "need", "id": "n-bees", "unit": "u1",
            "title": "Bumblebees in the city",
            "description": "The municipality wants to know where bumblebees find food in the city."})
        .to_string(),
    ]
    .join("\n")
}

#[test]
fn term_pairs_learned_from_parallel_titles_bridge_languages_after_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    std::fs::write(&feed, parallel_feed()).unwrap();
    ok(dir.path(), &["import", feed.to_str().unwrap()]);
    let suggested = |data: &Path| -> Vec<String> {
        json_lines(&ok(data, &["match", "needs", "--need", "n-bees", "--json"]))
            .iter()
            .filter_map(|s| s["researcher"].as_str().map(str::to_string))
            .collect()
    };
    assert!(
        !suggested(dir.path()).contains(&"r-humle".to_string()),
        "without learned pairs no word of the English need meets her bokmål titles"
    );

    let pairs = json_lines(&ok(dir.path(), &["learn-terms", "--json"]));
    assert!(
        pairs
            .iter()
            .any(|p| p["norwegian"] == "humler" && p["english"] == "bumblebees"),
        "{pairs:?}"
    );
    assert!(dir.path().join("learned-thesaurus.toml").exists());
    assert_eq!(
        suggested(dir.path()).first().map(String::as_str),
        Some("r-humle")
    );
}

/// A data directory holding the tiny Trondheim of `support::FEED`.
fn small_store() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    std::fs::write(&feed, support::FEED).unwrap();
    ok(
        dir.path(),
        &["import", "--no-embed", feed.to_str().unwrap()],
    );
    dir
}

/// Runs `kobler import ARGS...`, which must fail with one line on stderr, and checks that the
/// store holds what it held before. Returns that line.
fn failed_import(data: &Path, args: &[&str]) -> String {
    let before = stats(data);
    let mut all = vec!["import", "--no-embed"];
    all.extend_from_slice(args);
    let out = kobler(data, &all);
    let stderr = String::from_utf8_lossy(&out.stderr).to_string();
    assert!(!out.status.success(), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert_eq!(stats(data), before, "the store is untouched");
    stderr.trim().to_string()
}

#[test]
fn importing_an_empty_file_says_nothing_to_import_and_fails() {
    let dir = small_store();
    let empty = dir.path().join("needs.jsonl");
    for content in ["", "\n\n   \n"] {
        std::fs::write(&empty, content).unwrap();
        let line = failed_import(dir.path(), &[empty.to_str().unwrap()]);
        assert_eq!(
            line,
            format!("kobler: nothing to import: {} is empty", empty.display())
        );
    }
}

#[test]
fn importing_a_directory_without_feed_files_says_nothing_to_import_and_fails() {
    let dir = small_store();
    let feeds = dir.path().join("feeds");
    std::fs::create_dir(&feeds).unwrap();
    std::fs::write(feeds.join("README.md"), "# Feeds go here\n").unwrap();
    let line = failed_import(dir.path(), &[feeds.to_str().unwrap()]);
    assert_eq!(
        line,
        format!(
            "kobler: nothing to import: {} has no .jsonl, .ndjson, .json or .csv files",
            feeds.display()
        )
    );
    std::fs::write(feeds.join("needs.csv"), "").unwrap();
    let line = failed_import(dir.path(), &[feeds.to_str().unwrap()]);
    assert!(
        line.contains("has only empty .jsonl, .ndjson, .json or .csv files"),
        "{line}"
    );
}

#[test]
fn importing_binary_data_names_it_as_binary_rather_than_a_bad_feed() {
    let dir = small_store();
    let cases: [(&str, &[u8], &[&str], &str); 4] = [
        // A compressed export, detected or read as the format asked for.
        (
            "needs.csv",
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03+I-.\x01\x00",
            &[],
            "gzip?",
        ),
        (
            "needs.csv",
            b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03+I-.\x01\x00",
            &["--format", "csv"],
            "gzip?",
        ),
        (
            "logo.json",
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            &[],
            "PNG?",
        ),
        (
            "feed.jsonl",
            b"{\"type\x00\x00\x00\x00\x01\x02",
            &["--format", "kobler-jsonl"],
            "NUL bytes",
        ),
    ];
    for (name, bytes, extra, kind) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        let mut args = extra.to_vec();
        args.push(path.to_str().unwrap());
        let line = failed_import(dir.path(), &args);
        assert_eq!(
            line,
            format!(
                "kobler: {} looks like binary data ({kind}), not a feed",
                path.display()
            ),
            "{name} {extra:?}"
        );
    }
    // Bytes that are not UTF-8 from the very start.
    let path = dir.path().join("needs.csv");
    std::fs::write(&path, b"\xc3\x28\xa0\xa1;\xff\xfe\n").unwrap();
    let line = failed_import(dir.path(), &[path.to_str().unwrap()]);
    assert!(
        line.contains("looks like binary data (not UTF-8 text)"),
        "{line}"
    );
}

#[test]
fn an_io_error_names_its_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("no-such-feed.jsonl");
    let out = kobler(dir.path(), &["import", missing.to_str().unwrap()]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
    assert!(stderr.contains(missing.to_str().unwrap()), "{stderr}");
    assert_eq!(stderr.matches("(os error").count(), 1, "{stderr}");
}

#[test]
fn serving_on_a_taken_address_names_the_cause_once() {
    let dir = tempfile::tempdir().unwrap();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let out = kobler(dir.path(), &["serve", "--addr", &addr]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{stderr}");
    let last = stderr.trim().lines().last().unwrap_or_default();
    assert!(
        last.starts_with(&format!("kobler: cannot listen on {addr}: ")),
        "{stderr}"
    );
    assert_eq!(last.matches("(os error").count(), 1, "{stderr}");
}

#[test]
fn logs_and_progress_carry_no_colour_codes_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let feed = dir.path().join("feed.jsonl");
    std::fs::write(&feed, support::FEED).unwrap();
    // Info level, so that the new index's notice is logged; NO_COLOR unset, so that nothing
    // but the terminal check can turn colours off.
    let out = command(dir.path())
        .args(["import", feed.to_str().unwrap()])
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(stderr.contains("INFO"), "something was logged: {stderr}");
    assert!(!stderr.contains('\u{1b}'), "no escape codes: {stderr:?}");
    assert!(
        !stderr.contains('\r'),
        "no progress bar redraws: {stderr:?}"
    );
}
