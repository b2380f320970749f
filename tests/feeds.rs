//! End-to-end behaviour of the expertise feeds through the `kobler` binary: Cristin, OpenAlex,
//! ORCID and spreadsheet needs imported together, one researcher per person across feeds,
//! conflicts reported, bad records named by file and position, and `kobler pull` against a
//! local HTTP server that pages, fails and is resumed.

mod support;

use support::cli::{kobler, ok};

use kobler_core::{Kind, Record, Researcher};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Output;

fn feeds() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/feeds")
}

fn stats(data: &Path) -> Value {
    serde_json::from_str(&ok(data, &["stats", "--json"])).unwrap()
}

/// Copies the named fixture subdirectories into one flat directory, as a mixed feed drop.
fn mixed_dir(root: &Path, subdirs: &[&str]) -> PathBuf {
    let dir = root.join("mixed");
    std::fs::create_dir_all(&dir).unwrap();
    for sub in subdirs {
        for entry in std::fs::read_dir(feeds().join(sub)).unwrap() {
            let path = entry.unwrap().path();
            std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
        }
    }
    dir
}

fn store_get(data: &Path, kind: Kind, id: &str) -> Option<Record> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = kobler_store::Store::open(data).await.unwrap();
        store.get(kind, id).await.unwrap()
    })
}

fn researcher(data: &Path, id: &str) -> Researcher {
    match store_get(data, Kind::Researcher, id) {
        Some(Record::Researcher(r)) => r,
        other => panic!("researcher {id} not stored: {other:?}"),
    }
}

fn authors(data: &Path, id: &str) -> Vec<String> {
    match store_get(data, Kind::Work, id) {
        Some(Record::Work(w)) => w.authors,
        other => panic!("work {id} not stored: {other:?}"),
    }
}

#[test]
fn a_mixed_directory_of_every_format_imports_in_one_go() {
    let dir = tempfile::tempdir().unwrap();
    let mixed = mixed_dir(dir.path(), &["cristin", "openalex", "orcid", "csv"]);
    let data = dir.path().join("data");
    let report: Value =
        serde_json::from_str(&ok(&data, &["import", "--json", mixed.to_str().unwrap()])).unwrap();
    assert_eq!(report["rejected"], json!([]), "{report}");
    assert_eq!(report["unresolved"], json!([]), "{report}");
    let counts = stats(&data);
    // Six people: four from Cristin (one also in ORCID and OpenAlex), one in ORCID and OpenAlex,
    // and one OpenAlex co-author known only from a work.
    assert_eq!(counts["researcher"], 6, "{counts}");
    assert_eq!(counts["work"], 3 + 3 + 2, "{counts}");
    assert_eq!(
        (counts["project"].as_u64(), counts["need"].as_u64()),
        (Some(2), Some(6))
    );
    // Authors from the Cristin contributors payload, OpenAlex authorships and ORCID all
    // resolve to the Cristin researcher.
    assert_eq!(
        authors(&data, "cristin:2201001"),
        ["cristin:301245", "cristin:305510"]
    );
    assert_eq!(
        authors(&data, "openalex:W4390011001"),
        ["cristin:301245", "orcid:0000-0002-7351-1181"]
    );
    assert_eq!(
        authors(&data, "orcid:0000-0002-1748-3315/71001"),
        ["cristin:301245"]
    );
    // The work keeps every language of its title and summary.
    let Some(Record::Work(work)) = store_get(&data, Kind::Work, "cristin:2201002") else {
        panic!("work missing")
    };
    assert!(
        work.title
            .starts_with("Skulevegring og samarbeid mellom skule og heim / ")
    );
    assert_eq!(
        work.extra["title_by_language"]["en"],
        "School refusal and home–school collaboration"
    );
    // Needs found their units by name; the matcher sees the imported expertise.
    let matches: Vec<Value> = ok(&data, &["match", "needs", "--top", "1", "--json"])
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let top = |need: &str| {
        matches
            .iter()
            .find(|m| m["need"] == need)
            .map(|m| m["researcher"].as_str().unwrap().to_string())
    };
    assert_eq!(
        top("need:oppvekst-og-utdanning:skolevegring-i-ungdomsskolen").as_deref(),
        Some("cristin:302877")
    );
    assert_eq!(
        top("need:miljoenheten:overvann-og-klimatilpasning-i-midtbyen").as_deref(),
        Some("cristin:309004")
    );
    // Importing the same drop again changes nothing.
    let again: Value =
        serde_json::from_str(&ok(&data, &["import", "--json", mixed.to_str().unwrap()])).unwrap();
    assert_eq!(
        (again["inserted"].as_u64(), again["updated"].as_u64()),
        (Some(0), Some(0)),
        "{again}"
    );
}

#[test]
fn the_same_person_from_three_feeds_is_one_researcher_whatever_the_order() {
    for order in [
        ["cristin", "orcid", "openalex"],
        ["openalex", "orcid", "cristin"],
    ] {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        for sub in order {
            // One feed per import: identities must hold across imports too.
            let out = kobler(&data, &["import", feeds().join(sub).to_str().unwrap()]);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(!stderr.contains("conflict: "), "{order:?}: {stderr}");
        }
        let orcid = "0000-0002-1748-3315";
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let holder = runtime.block_on(async {
            let store = kobler_store::Store::open(&data).await.unwrap();
            store.researcher_by_identity("orcid", orcid).await.unwrap()
        });
        let id = holder.expect("the ORCID has a holder");
        let ingrid = researcher(&data, &id);
        let sources: Vec<&String> = ingrid.extra["sources"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        for source in ["cristin", "orcid", "openalex"] {
            assert!(
                sources.iter().any(|s| *s == source),
                "{order:?}: {sources:?}"
            );
        }
        assert_eq!(ingrid.name, "Ingrid Solberg");
        assert_eq!(ingrid.cristin_id.as_deref(), Some("301245"));
        for word in [
            "hverdagsmestring",
            "reablement",
            "digitalt tilsyn",
            "Telemedicine and Telehealth",
        ] {
            assert!(
                ingrid.keywords.iter().any(|k| k == word),
                "{order:?}: {:?}",
                ingrid.keywords
            );
        }
        let everyone = stats(&data)["researcher"].as_u64().unwrap();
        assert_eq!(everyone, 6, "{order:?}: one record per person");
    }
}

#[test]
fn identity_conflicts_are_reported_and_kept_apart() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(
        &data,
        &["import", feeds().join("cristin").to_str().unwrap()],
    );
    // Another Cristin person claims Ingrid's ORCID; an ORCID record for Magnus spells another name.
    let clash = dir.path().join("clash.json");
    std::fs::write(
        &clash,
        json!([{"cristin_person_id": "399001", "first_name": "Ingrid", "surname": "Sollberg",
                "orcid": {"id": "0000-0002-1748-3315"}}])
        .to_string(),
    )
    .unwrap();
    let renamed = dir.path().join("magnus.json");
    std::fs::write(
        &renamed,
        json!({"orcid-identifier": {"path": "0000-0003-4417-9252"},
               "person": {"name": {"given-names": {"value": "Marius"}, "family-name": {"value": "Aune"}}}})
        .to_string(),
    )
    .unwrap();
    let out = kobler(
        &data,
        &["import", clash.to_str().unwrap(), renamed.to_str().unwrap()],
    );
    assert!(out.status.success(), "conflicts do not fail the import");
    let stderr = String::from_utf8_lossy(&out.stderr);
    let line = stderr
        .lines()
        .find(|l| l.contains("clash.json"))
        .unwrap_or_else(|| panic!("{stderr}"));
    assert!(line.starts_with("conflict: "), "{line}");
    assert!(line.contains("(cristin person 399001)"), "{line}");
    assert!(
        line.contains("Cristin id 399001 here, 301245 there; not merged"),
        "{line}"
    );
    assert!(
        stderr.contains("merged into researcher \"cristin:302877\" on orcid 0000-0003-4417-9252, but the names differ"),
        "{stderr}"
    );
    // Kept apart: the clashing person is a researcher of their own, Ingrid is unchanged.
    assert_eq!(researcher(&data, "cristin:399001").name, "Ingrid Sollberg");
    assert_eq!(researcher(&data, "cristin:301245").name, "Ingrid Solberg");
    // Merged on the ORCID, named as Cristin names him (Cristin ranks above ORCID).
    assert_eq!(researcher(&data, "cristin:302877").name, "Magnus Aasen");
}

#[test]
fn needs_from_a_semicolon_csv_with_bom_import_with_their_units() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let sheet = feeds().join("csv/behov-trondheim.csv");
    assert!(
        std::fs::read(&sheet)
            .unwrap()
            .starts_with(&[0xEF, 0xBB, 0xBF])
    );
    let report: Value =
        serde_json::from_str(&ok(&data, &["import", "--json", sheet.to_str().unwrap()])).unwrap();
    assert_eq!(report["records"]["need"], 4, "{report}");
    let Some(Record::Need(need)) = store_get(
        &data,
        Kind::Need,
        "need:helse-og-velferd:hverdagsmestring-for-hjemmeboende-eldre",
    ) else {
        panic!("need missing")
    };
    assert_eq!(need.unit.as_deref(), Some("enhet:helse-og-velferd"));
    assert_eq!(need.kinds, ["masteroppgave", "forskningsprosjekt"]);
    assert_eq!(
        (need.posted.as_deref(), need.deadline.as_deref()),
        (Some("2026-01-10"), Some("2026-04-15"))
    );
    assert!(
        need.description.contains("\nVi ønsker særlig kunnskap"),
        "a quoted line break is kept"
    );
    assert_eq!(need.extra["kommune"], "Trondheim");
    // A stored unit of that name is used instead of a new one.
    let units = dir.path().join("units.jsonl");
    std::fs::write(
        &units,
        r#"{"type":"unit","id":"trd-oppvekst","name":"Oppvekst og utdanning","kind":"municipal"}"#,
    )
    .unwrap();
    let data2 = dir.path().join("data2");
    ok(&data2, &["import", units.to_str().unwrap()]);
    ok(
        &data2,
        &["import", "--format", "csv", sheet.to_str().unwrap()],
    );
    let Some(Record::Need(need)) = store_get(
        &data2,
        Kind::Need,
        "need:oppvekst-og-utdanning:skolevegring-i-ungdomsskolen",
    ) else {
        panic!("need missing")
    };
    assert_eq!(need.unit.as_deref(), Some("trd-oppvekst"));
}

#[test]
fn bad_records_are_named_by_file_and_position_and_the_rest_imports_without_loss() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    ok(
        &data,
        &["import", feeds().join("cristin").to_str().unwrap()],
    );
    let before = stats(&data);
    let bad = dir.path().join("bad");
    std::fs::create_dir(&bad).unwrap();
    // A truncated Cristin page: the first item is whole (and changes a stored title), the
    // second has a wrong type, the third is cut off.
    std::fs::write(
        bad.join("results.json"),
        "[\n{\"cristin_result_id\": \"2201002\", \"title\": {\"nb\": \"Ny tittel\"}, \"unknown\": [1]},\n\
         {\"cristin_result_id\": \"2209999\", \"title\": {\"nb\": \"T\"}, \"year_published\": {\"y\": 1}},\n\
         {\"cristin_result_id\": \"22",
    )
    .unwrap();
    let huge = "ord ".repeat(300_000);
    std::fs::write(
        bad.join("works.jsonl"),
        format!(
            "{}\n{}\n{}\n",
            json!({"id": "https://openalex.org/W1", "title": "Ok", "extra_field": true}),
            json!({"id": "https://openalex.org/W2", "title": ["not", "a", "string"]}),
            json!({"id": "https://openalex.org/W3", "title": huge}),
        ),
    )
    .unwrap();
    std::fs::write(
        bad.join("behov.csv"),
        "Tittel;Beskrivelse;Frist\nGod;Beskrivelse;01.02.2026\nDårlig;Beskrivelse;i morgen\n",
    )
    .unwrap();
    let out = kobler(&data, &["import", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for expected in [
        "results.json:3 [item 1] (cristin result 2209999): `year_published` must be a year, not an object",
        "results.json:4 [item 2]: invalid JSON",
        "works.jsonl:2 (openalex W2): `title` must be a string, not a list",
        "works.jsonl:3 (openalex W3): `title` is 1.2 MB, longer than the 1 MiB limit",
        "behov.csv:3: `Frist` \"i morgen\" is not a date",
    ] {
        assert!(
            stderr.contains(expected),
            "missing {expected:?} in:\n{stderr}"
        );
    }
    assert!(
        stderr
            .lines()
            .last()
            .unwrap_or("")
            .starts_with("kobler: 5 lines were rejected"),
        "{stderr}"
    );
    let after = stats(&data);
    assert_eq!(
        after["work"].as_u64(),
        before["work"].as_u64().map(|n| n + 1),
        "W1 is added"
    );
    assert_eq!(after["need"], 1);
    assert_eq!(
        after["researcher"], before["researcher"],
        "nothing stored is lost"
    );
    let Some(Record::Work(w)) = store_get(&data, Kind::Work, "cristin:2201002") else {
        panic!()
    };
    assert_eq!(
        w.title, "Ny tittel",
        "the whole item before the cut is imported"
    );
}

mod http {
    use super::*;
    use axum::extract::{Query, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::{IntoResponse, Response};
    use axum::routing::get;
    use std::collections::HashMap;
    use std::sync::{Arc, Mutex};

    /// Answers to give instead of a page: status and `Retry-After`, by "endpoint:page".
    type Failures = HashMap<String, Vec<(StatusCode, Option<&'static str>)>>;

    /// A local stand-in for the Cristin and OpenAlex APIs over the fixture data, with failures
    /// to inject.
    #[derive(Clone, Default)]
    struct Api {
        log: Arc<Mutex<Vec<String>>>,
        /// Statuses to answer before a page succeeds, by "endpoint:page".
        failures: Arc<Mutex<Failures>>,
    }

    impl Api {
        fn fail(&self, key: &str, status: StatusCode, retry_after: Option<&'static str>) {
            self.failures
                .lock()
                .unwrap()
                .entry(key.into())
                .or_default()
                .insert(0, (status, retry_after));
        }
        fn failure(&self, key: &str) -> Option<Response> {
            let (status, retry_after) = self.failures.lock().unwrap().get_mut(key)?.pop()?;
            let mut headers = HeaderMap::new();
            if let Some(seconds) = retry_after {
                headers.insert("retry-after", seconds.parse().unwrap());
            }
            Some((status, headers, "try later").into_response())
        }
        fn requests(&self, prefix: &str) -> Vec<String> {
            self.log
                .lock()
                .unwrap()
                .iter()
                .filter(|l| l.starts_with(prefix))
                .cloned()
                .collect()
        }
    }

    fn fixture_array(path: &str) -> Vec<Value> {
        serde_json::from_slice(&std::fs::read(feeds().join(path)).unwrap()).unwrap()
    }

    async fn cristin_list(
        State(api): State<Api>,
        axum::extract::Path(endpoint): axum::extract::Path<String>,
        Query(q): Query<HashMap<String, String>>,
    ) -> Response {
        let page: usize = q.get("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let per_page: usize = q
            .get("per_page")
            .and_then(|p| p.parse().ok())
            .unwrap_or(100);
        let key = format!("{endpoint}:{page}");
        api.log.lock().unwrap().push(key.clone());
        if let Some(failure) = api.failure(&key) {
            return failure;
        }
        let all = fixture_array(&format!("cristin/{endpoint}.json"));
        let items: Vec<Value> = all
            .iter()
            .skip((page - 1) * per_page)
            .take(per_page)
            .cloned()
            .collect();
        let mut headers = HeaderMap::new();
        headers.insert("x-total-count", all.len().to_string().parse().unwrap());
        (headers, axum::Json(Value::Array(items))).into_response()
    }

    async fn contributors(
        State(api): State<Api>,
        axum::extract::Path(id): axum::extract::Path<String>,
    ) -> Response {
        api.log.lock().unwrap().push(format!("contributors:{id}"));
        let path = feeds().join(format!("cristin/{id}.contributors.json"));
        match std::fs::read(path) {
            Ok(bytes) => ([("content-type", "application/json")], bytes).into_response(),
            Err(_) => axum::Json(json!([])).into_response(),
        }
    }

    async fn openalex_works(
        State(api): State<Api>,
        Query(q): Query<HashMap<String, String>>,
    ) -> Response {
        let cursor = q.get("cursor").cloned().unwrap_or_default();
        api.log.lock().unwrap().push(format!("works:{cursor}"));
        if let Some(failure) = api.failure(&format!("works:{cursor}")) {
            return failure;
        }
        let per_page: usize = q.get("per-page").and_then(|p| p.parse().ok()).unwrap_or(25);
        let start: usize = if cursor == "*" {
            0
        } else {
            cursor.trim_start_matches("c").parse().unwrap_or(0)
        };
        let text = std::fs::read_to_string(feeds().join("openalex/works.jsonl")).unwrap();
        let all: Vec<Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        let results: Vec<Value> = all.iter().skip(start).take(per_page).cloned().collect();
        let next = (start + per_page < all.len()).then(|| format!("c{}", start + per_page));
        axum::Json(
            json!({"meta": {"count": all.len(), "next_cursor": next, "per_page": per_page},
                          "results": results}),
        )
        .into_response()
    }

    async fn serve(api: Api) -> String {
        let app = axum::Router::new()
            .route("/v2/results/{id}/contributors", get(contributors))
            .route("/v2/{endpoint}", get(cristin_list))
            .route("/works", get(openalex_works))
            .with_state(api);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        tokio::spawn(async move { axum::serve(listener, app).await });
        format!("http://{addr}")
    }

    async fn run(data: PathBuf, args: Vec<String>) -> Output {
        tokio::task::spawn_blocking(move || {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            kobler(&data, &args)
        })
        .await
        .unwrap()
    }

    fn pull_args(base: &str, source: &str, extra: &[&str]) -> Vec<String> {
        let mut args = vec![
            "pull",
            source,
            "--base-url",
            base,
            "--rate",
            "50",
            "--backoff-ms",
            "20",
            "--json",
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(String::from).collect()
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn cristin_pull_pages_retries_429_and_503_and_resumes_where_it_stopped() {
        let api = Api::default();
        let base = format!("{}/v2", serve(api.clone()).await);
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        // Persons first, so the results' contributors resolve to full profiles.
        let out = run(
            data.clone(),
            pull_args(&base, "cristin-persons", &["--per-page", "10"]),
        )
        .await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Results two to a page; the first run stops after one page.
        let out = run(
            data.clone(),
            pull_args(
                &base,
                "cristin-results",
                &["--per-page", "2", "--max-pages", "1"],
            ),
        )
        .await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let first: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            (first["pages"].as_u64(), first["finished"].as_bool()),
            (Some(1), Some(false)),
            "{first}"
        );
        assert_eq!(stats(&data)["work"], 2);
        // The second run meets a 429 (Retry-After: 1) and a 503 on page 2, retries, and goes on.
        api.fail("results:2", StatusCode::TOO_MANY_REQUESTS, Some("1"));
        api.fail("results:2", StatusCode::SERVICE_UNAVAILABLE, None);
        let started = std::time::Instant::now();
        let out = run(
            data.clone(),
            pull_args(&base, "cristin-results", &["--per-page", "2"]),
        )
        .await;
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert!(stderr.contains("resuming after page 1"), "{stderr}");
        assert!(
            started.elapsed() >= std::time::Duration::from_secs(1),
            "Retry-After was honoured"
        );
        let second: Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!(
            (second["retries"].as_u64(), second["finished"].as_bool()),
            (Some(2), Some(true)),
            "{second}"
        );
        assert_eq!(
            api.requests("results:"),
            ["results:1", "results:2", "results:2", "results:2"],
            "page 1 is not fetched again"
        );
        assert_eq!(
            api.requests("contributors:").len(),
            3,
            "one payload per result"
        );
        assert_eq!(stats(&data)["work"], 3);
        // The contributors payload resolved the authors to the pulled profiles.
        let written = tokio::task::spawn_blocking(move || authors(&data, "cristin:2201003"))
            .await
            .unwrap();
        assert_eq!(written, ["cristin:309004", "cristin:302877"]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn openalex_pull_follows_the_cursor_and_gives_up_resumably_on_a_persistent_5xx() {
        let api = Api::default();
        let base = serve(api.clone()).await;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("data");
        for _ in 0..5 {
            api.fail("works:c2", StatusCode::BAD_GATEWAY, None);
        }
        let args = pull_args(
            &base,
            "openalex-works",
            &[
                "--per-page",
                "2",
                "--retries",
                "2",
                "--mailto",
                "koordinator@kommune.example",
            ],
        );
        let out = run(data.clone(), args.clone()).await;
        assert!(
            !out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("gave up after 3 attempts"), "{stderr}");
        assert_eq!(stats(&data)["work"], 2, "the first page stays stored");
        // Remaining failures are used up by the next run's first tries; it then finishes.
        let out = run(data.clone(), args).await;
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(stats(&data)["work"], 3);
        let works = api.requests("works:");
        assert_eq!(
            works.iter().filter(|w| *w == "works:*").count(),
            1,
            "{works:?}"
        );
    }
}
