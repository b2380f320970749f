//! End-to-end tests of the server under real use: many writes at once, and results derived from
//! the whole corpus served from what the background worker keeps, with how fresh they are.

mod support;

use kobler_engine::{Engine, ImportOptions, NoProgress, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use support::FEED;

/// How long a test waits for the background worker to bring its results up to the store.
const SETTLE: Duration = Duration::from_secs(60);

struct Served {
    server: tokio::task::JoinHandle<std::io::Result<()>>,
    _dir: tempfile::TempDir,
    data: std::path::PathBuf,
    engine: Engine,
    base: String,
    client: reqwest::Client,
    staff: String,
    coordinator: String,
}

async fn open_engine(data: &std::path::Path) -> Engine {
    Engine::open(data).await.expect("engine")
}

async fn serve(engine: &Engine) -> (String, tokio::task::JoinHandle<std::io::Result<()>>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = kobler_server::router(engine.clone());
    let server = tokio::spawn(async move { axum::serve(listener, router).await });
    (format!("http://{addr}"), server)
}

async fn start() -> Served {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let engine = open_engine(&data).await;
    let feed = dir.path().join("feed.jsonl");
    std::fs::write(&feed, FEED).expect("write feed");
    let report = engine
        .import(&[feed], &ImportOptions::default(), &mut NoProgress)
        .await
        .expect("import");
    assert!(report.is_clean(), "{report:?}");
    for (name, role, unit) in [
        ("staff", Role::Staff, Some("u-oppvekst")),
        ("coordinator", Role::Coordinator, None),
    ] {
        engine
            .add_user(name, role, unit, None, "password123")
            .await
            .expect("user");
    }
    let staff = engine.create_token("staff").await.expect("token");
    let coordinator = engine.create_token("coordinator").await.expect("token");
    let (base, server) = serve(&engine).await;
    Served {
        server,
        _dir: dir,
        data,
        engine,
        base,
        client: reqwest::Client::new(),
        staff,
        coordinator,
    }
}

impl Served {
    async fn get(
        &self,
        path: &str,
        token: &str,
    ) -> (StatusCode, reqwest::header::HeaderMap, Value) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token)
            .send()
            .await
            .expect("send");
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.json().await.expect("JSON body");
        (status, headers, body)
    }

    async fn post_need(&self, body: &Value) -> (StatusCode, Value) {
        let response = self
            .client
            .post(format!("{}/api/v1/needs", self.base))
            .bearer_auth(&self.staff)
            .json(body)
            .send()
            .await
            .expect("send");
        let status = response.status();
        (status, response.json().await.expect("JSON body"))
    }
}

fn need(i: usize) -> Value {
    json!({
        "title": format!("Språkmiljø i barnehage nummer {i}"),
        "description": "Barnehagen vil styrke språkutviklingen hos flerspråklige barn gjennom mer samtale og høytlesning i hverdagen.",
        "focus_areas": ["oppvekst-og-utdanning"],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_parallel_posts_are_all_created_and_all_stored() {
    let app = start().await;
    let mut posts = Vec::new();
    for i in 0..200 {
        let client = app.client.clone();
        let url = format!("{}/api/v1/needs", app.base);
        let token = app.staff.clone();
        posts.push(tokio::spawn(async move {
            let response = client
                .post(url)
                .bearer_auth(token)
                .json(&need(i))
                .send()
                .await
                .expect("send");
            let status = response.status();
            let text = response.text().await.expect("body");
            (status, text)
        }));
    }
    let mut created = 0;
    for post in posts {
        let (status, text) = post.await.expect("task");
        assert_eq!(status, StatusCode::CREATED, "{text}");
        created += 1;
    }
    assert_eq!(created, 200);
    let stats = app.engine.stats().await.expect("stats");
    assert_eq!(stats[&kobler_core::Kind::Need], 202, "two from the feed");
    let (status, _, list) = app
        .get("/api/v1/needs?q=barnehage&limit=1", &app.staff)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        list["total"].as_u64() >= Some(200),
        "every post is searchable: {list}"
    );
}

#[tokio::test]
async fn derived_answers_say_how_fresh_they_are_and_follow_a_new_need() {
    let app = start().await;
    app.engine.derived_current(SETTLE).await.expect("settled");
    let (status, headers, before) = app.get("/api/v1/overlaps", &app.coordinator).await;
    assert_eq!(status, StatusCode::OK, "{before}");
    let as_of = before["as_of_seq"].as_i64().expect("as_of_seq");
    assert!(as_of > 0, "{before}");
    assert_eq!(before["computed_at"].as_str().map(str::len), Some(20));
    assert_eq!(
        headers["kobler-as-of-seq"].to_str().ok(),
        Some(as_of.to_string().as_str())
    );
    // A near copy of the language need is posted: the kept run follows it.
    let (status, posted) = app
        .post_need(&json!({
            "title": "Språkutvikling i barnehagen",
            "description": "Kommunen ønsker kunnskap om hvordan barnehagene kan styrke språkutviklingen hos barn, særlig flerspråklige barn, gjennom et bedre språkmiljø og mer samtale i hverdagen.",
            "focus_areas": ["oppvekst-og-utdanning"],
        }))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    let id = posted["need"]["id"]
        .as_str()
        .or_else(|| posted["id"].as_str())
        .expect("id")
        .to_string();
    app.engine.derived_current(SETTLE).await.expect("settled");
    let (_, headers, after) = app.get("/api/v1/overlaps", &app.coordinator).await;
    assert!(after["as_of_seq"].as_i64() > Some(as_of), "{after}");
    assert!(headers.contains_key("kobler-computed-at"));
    let flagged = after["items"]
        .as_array()
        .expect("items")
        .iter()
        .any(|p| (p["a"] == id.as_str()) != (p["b"] == id.as_str()));
    assert!(flagged, "the new need overlaps the old one: {after}");
    // The pairing queue and the portfolio come from kept results too.
    let (status, headers, _) = app.get("/api/v1/pairings", &app.coordinator).await;
    assert_eq!(status, StatusCode::OK);
    assert!(headers.contains_key("kobler-as-of-seq"));
    let (status, _, portfolio) = app.get("/api/v1/portfolio", &app.coordinator).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(portfolio["total"], 3, "{portfolio}");
    assert!(portfolio["as_of_seq"].as_i64() > Some(as_of));
}

#[tokio::test]
async fn a_threshold_below_what_the_kept_run_holds_is_400_naming_the_floor() {
    let app = start().await;
    let (status, _, body) = app
        .get("/api/v1/overlaps?threshold=0.05", &app.coordinator)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"].as_str().is_some_and(|e| e.contains("0.15")),
        "{body}"
    );
}

#[tokio::test]
async fn a_restart_serves_the_kept_results_at_once_without_computing_them_again() {
    let app = start().await;
    app.engine.derived_current(SETTLE).await.expect("settled");
    let (_, _, first) = app.get("/api/v1/overlaps", &app.coordinator).await;
    let data = app.data.clone();
    let coordinator = app.coordinator.clone();
    let dir = app._dir;
    // The first server stops; its background worker with it, within a poll.
    app.server.abort();
    drop(app.engine);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    // A second process over the same store.
    let engine = open_engine(&data).await;
    let (base, _server) = serve(&engine).await;
    let response = reqwest::Client::new()
        .get(format!("{base}/api/v1/overlaps"))
        .bearer_auth(&coordinator)
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    let again: Value = response.json().await.expect("JSON");
    assert_eq!(
        again["computed_at"], first["computed_at"],
        "kept, not computed again"
    );
    assert_eq!(again["as_of_seq"], first["as_of_seq"]);
    assert_eq!(again["total"], first["total"]);
    drop(dir);
}
