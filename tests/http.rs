//! End-to-end tests of the HTTP API (CONTRACT §4): a real engine in a temporary directory, the
//! router bound on a loopback port, and a real HTTP client.

mod support;

use support::FEED;

use kobler_engine::{Engine, ImportOptions, NoProgress, Role};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// A running server over a fresh engine. The directory lives as long as the test.
struct App {
    _dir: tempfile::TempDir,
    engine: Engine,
    base: String,
    client: reqwest::Client,
}

impl App {
    async fn start() -> App {
        let dir = tempfile::tempdir().expect("tempdir");
        let engine = Engine::open(&dir.path().join("data"))
            .await
            .expect("engine");
        let feed = dir.path().join("feed.jsonl");
        std::fs::write(&feed, FEED).expect("write feed");
        let report = engine
            .import(&[feed], &ImportOptions::default(), &mut NoProgress)
            .await
            .expect("import");
        assert!(report.is_clean(), "{report:?}");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let router = kobler_server::router(engine.clone());
        tokio::spawn(async move { axum::serve(listener, router).await });
        App {
            _dir: dir,
            engine,
            base: format!("http://{addr}"),
            client: reqwest::Client::new(),
        }
    }

    /// Adds a user and returns a fresh API token for them.
    async fn token(
        &self,
        name: &str,
        role: Role,
        unit: Option<&str>,
        researcher: Option<&str>,
    ) -> String {
        self.engine
            .add_user(name, role, unit, researcher, "password123")
            .await
            .expect("add user");
        self.engine.create_token(name).await.expect("token")
    }

    async fn staff_of(&self, unit: &str) -> String {
        self.token(&format!("staff-{unit}"), Role::Staff, Some(unit), None)
            .await
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(request.send().await.expect("send")).await
    }

    async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> (StatusCode, Value) {
        let mut request = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        answer(request.send().await.expect("send")).await
    }

    /// Any method, with a JSON body when one is given.
    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, self.url(path))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        answer(request.send().await.expect("send")).await
    }
}

/// Status and JSON body; fails the test when the body is not JSON.
async fn answer(response: reqwest::Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{status}: body is not JSON ({e}): {text:?}"));
    (status, body)
}

fn ids(items: &Value) -> Vec<&str> {
    items
        .as_array()
        .expect("array")
        .iter()
        .map(|i| i["id"].as_str().expect("id"))
        .collect()
}

fn valid_need() -> Value {
    json!({
        "title": "Språkmiljø og språkutvikling i barnehagene",
        "description": "Barnehagene i kommunen vil styrke språkutviklingen hos barn, også flerspråklige barn, med et bedre språkmiljø og mer samtale. Vi ønsker forskning på hvilke tiltak som virker.",
        "focus_areas": ["oppvekst-og-utdanning"],
        "kinds": ["forskningsprosjekt"]
    })
}

#[tokio::test]
async fn healthz_answers_ok() {
    let app = App::start().await;
    let response = reqwest::get(app.url("/healthz")).await.expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.expect("body"), "ok");
}

#[tokio::test]
async fn openapi_lists_the_v1_paths() {
    let app = App::start().await;
    let (status, doc) = app.get("/api/openapi.json", None).await;
    assert_eq!(status, StatusCode::OK);
    assert!(doc["openapi"].as_str().expect("version").starts_with('3'));
    let paths = doc["paths"].as_object().expect("paths");
    for path in [
        "/api/v1/needs",
        "/api/v1/needs/{id}",
        "/api/v1/needs/{id}/matches",
    ] {
        assert!(paths.contains_key(path), "{path} missing from {paths:?}");
    }
    assert!(paths["/api/v1/needs"]["post"].is_object());
}

#[tokio::test]
async fn search_finds_a_need_by_an_inflected_norwegian_word() {
    let app = App::start().await;
    let (status, body) = app.get("/api/v1/needs?q=barnehagene", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 1, "{body}");
    let hit = &body["items"][0];
    assert_eq!(hit["id"], "n-sprak");
    assert_eq!(hit["title"], "Språkutvikling i barnehage");
    assert_eq!(hit["status"], "open");
    assert!(hit["score"].as_f64().expect("score") > 0.0);
    assert!(hit["snippet"].is_string() && hit["snippet_html"].is_string());
    assert_eq!(hit["unit"], "u-oppvekst");
}

#[tokio::test]
async fn list_without_query_pages_needs_by_id() {
    let app = App::start().await;
    let (status, body) = app.get("/api/v1/needs", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 2);
    assert_eq!(ids(&body["items"]), ["n-overvann", "n-sprak"]);
    assert_eq!(body["items"][0]["focus_areas"], json!(["klima-og-miljo"]));
    let (_, page) = app.get("/api/v1/needs?offset=1&limit=1", None).await;
    assert_eq!(page["total"], 2);
    assert_eq!(ids(&page["items"]), ["n-sprak"]);
}

#[tokio::test]
async fn odd_queries_and_parameters_never_yield_5xx() {
    let app = App::start().await;
    for path in [
        "/api/v1/needs?q=%22unclosed",
        "/api/v1/needs?q=title:",
        "/api/v1/needs?q=AND%20OR%20NOT",
        "/api/v1/needs?q=*",
        "/api/v1/needs?q=[a%20TO",
        "/api/v1/needs?q=%F0%9F%A6%80",
        "/api/v1/needs?q=barnehage&limit=0",
        "/api/v1/needs?q=barnehage&limit=100000",
        "/api/v1/needs?offset=999999999999",
        "/api/v1/needs?limit=-1",
        "/api/v1/needs/%2e%2e",
        "/api/v1/needs/%FF",
    ] {
        let (status, body) = app.get(path, None).await;
        assert!(!status.is_server_error(), "{path}: {status} {body}");
        if !status.is_success() {
            assert!(body["error"].is_string(), "{path}: {body}");
        }
    }
}

#[tokio::test]
async fn get_unknown_need_is_404_json() {
    let app = App::start().await;
    let (status, body) = app.get("/api/v1/needs/no-such-need", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body, json!({"error": "unknown need \"no-such-need\""}));
}

#[tokio::test]
async fn unknown_route_is_404_json() {
    let app = App::start().await;
    let (status, body) = app.get("/api/v2/nothing", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn post_without_credentials_is_401() {
    let app = App::start().await;
    let (status, body) = app.post("/api/v1/needs", None, &valid_need()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "sign-in required");
    let (status, body) = app
        .post("/api/v1/needs", Some("kob_not-a-real-token"), &valid_need())
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "sign-in required");
}

#[tokio::test]
async fn post_by_staff_for_another_unit_is_403() {
    let app = App::start().await;
    let token = app.staff_of("u-miljo").await;
    let mut need = valid_need();
    need["unit"] = json!("u-oppvekst");
    let (status, body) = app.post("/api/v1/needs", Some(&token), &need).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn post_by_researcher_is_403() {
    let app = App::start().await;
    let token = app
        .token("kari", Role::Researcher, None, Some("r-kari"))
        .await;
    let (status, body) = app.post("/api/v1/needs", Some(&token), &valid_need()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn post_with_missing_title_and_unknown_focus_area_is_422_naming_both() {
    let app = App::start().await;
    let token = app.staff_of("u-oppvekst").await;
    let mut need = valid_need();
    need.as_object_mut().expect("object").remove("title");
    need["focus_areas"] = json!(["romfart"]);
    let (status, body) = app.post("/api/v1/needs", Some(&token), &need).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["error"], "the need is not valid");
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| {
            assert!(f["reason"].is_string(), "{f}");
            f["field"].as_str().expect("field")
        })
        .collect();
    assert!(fields.contains(&"title"), "{body}");
    assert!(fields.contains(&"focus_areas"), "{body}");
}

#[tokio::test]
async fn post_valid_is_201_with_the_stored_need_and_similar_needs_then_get_finds_it() {
    let app = App::start().await;
    let token = app.staff_of("u-oppvekst").await;
    let (status, body) = app.post("/api/v1/needs", Some(&token), &valid_need()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let need = &body["need"];
    let id = need["id"].as_str().expect("generated id");
    assert!(!id.is_empty());
    assert_eq!(need["title"], valid_need()["title"]);
    assert_eq!(need["unit"], "u-oppvekst", "staff post for their own unit");
    assert_eq!(need["status"], "open");
    assert!(need["posted"].is_string());
    let similar = body["similar"].as_array().expect("similar");
    assert!(
        similar
            .iter()
            .any(|s| s["id"] == "n-sprak" && s["kind"] == "need"),
        "{body}"
    );
    assert!(
        similar.iter().all(|s| s["id"] != id),
        "not similar to itself"
    );

    let (status, stored) = app.get(&format!("/api/v1/needs/{id}"), None).await;
    assert_eq!(status, StatusCode::OK, "{stored}");
    assert_eq!(&stored, need);

    // The same id again is a conflict, not a second need.
    let mut again = valid_need();
    again["id"] = json!(id);
    let (status, body) = app.post("/api/v1/needs", Some(&token), &again).await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
}

#[tokio::test]
async fn drafts_are_hidden_from_anonymous_callers_and_lists() {
    let app = App::start().await;
    let token = app.staff_of("u-oppvekst").await;
    let mut draft = valid_need();
    draft["id"] = json!("n-draft");
    draft["status"] = json!("draft");
    let (status, body) = app.post("/api/v1/needs", Some(&token), &draft).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (status, _) = app.get("/api/v1/needs/n-draft", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app.get("/api/v1/needs/n-draft", Some(&token)).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "draft");

    let (_, list) = app.get("/api/v1/needs?limit=100", Some(&token)).await;
    assert!(!ids(&list["items"]).contains(&"n-draft"), "{list}");
    let (_, hits) = app.get("/api/v1/needs?q=barnehagene", Some(&token)).await;
    assert!(!ids(&hits["items"]).contains(&"n-draft"), "{hits}");
}

#[tokio::test]
async fn matches_need_credentials() {
    let app = App::start().await;
    let (status, body) = app.get("/api/v1/needs/n-sprak/matches", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["error"], "sign-in required");
}

#[tokio::test]
async fn researcher_token_on_matches_is_403() {
    let app = App::start().await;
    let token = app
        .token("kari", Role::Researcher, None, Some("r-kari"))
        .await;
    let (status, body) = app.get("/api/v1/needs/n-sprak/matches", Some(&token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body["error"].is_string());
}

#[tokio::test]
async fn staff_of_another_unit_on_matches_is_403() {
    let app = App::start().await;
    let token = app.staff_of("u-miljo").await;
    let (status, body) = app.get("/api/v1/needs/n-sprak/matches", Some(&token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
}

#[tokio::test]
async fn staff_of_the_unit_gets_matches_with_evidence() {
    let app = App::start().await;
    let token = app.staff_of("u-oppvekst").await;
    let (status, body) = app
        .get("/api/v1/needs/n-sprak/matches?top=5", Some(&token))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["need"], "n-sprak");
    let suggestions = body["suggestions"].as_array().expect("suggestions");
    assert!(suggestions.len() <= 5);
    let best = &suggestions[0];
    assert_eq!(best["researcher"], "r-kari", "{body}");
    assert_eq!(best["name"], "Kari Nordmann");
    let evidence = best["evidence"].as_array().expect("evidence");
    assert!(!evidence.is_empty(), "{body}");
    assert!(
        evidence
            .iter()
            .any(|e| e["id"] == "w-1" && e["kind"] == "work"),
        "{body}"
    );

    let (status, _) = app
        .get("/api/v1/needs/no-such-need/matches", Some(&token))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn coordinator_gets_matches_for_any_unit() {
    let app = App::start().await;
    let token = app.token("kim", Role::Coordinator, None, None).await;
    let (status, body) = app
        .get("/api/v1/needs/n-overvann/matches", Some(&token))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["suggestions"][0]["researcher"], "r-ola", "{body}");
}

#[tokio::test]
async fn malformed_json_body_is_4xx_json_never_5xx() {
    let app = App::start().await;
    let token = app.staff_of("u-oppvekst").await;
    let bodies: [(&str, &str); 6] = [
        ("application/json", "{\"title\": "),
        ("application/json", "not json at all"),
        ("application/json", ""),
        ("application/json", "[1, 2, 3]"),
        ("application/json", "\"just a string\""),
        ("text/plain", "{\"title\": \"x\"}"),
    ];
    for (content_type, body) in bodies {
        let response = app
            .client
            .post(app.url("/api/v1/needs"))
            .bearer_auth(&token)
            .header(reqwest::header::CONTENT_TYPE, content_type)
            .body(body)
            .send()
            .await
            .expect("send");
        let (status, answer) = answer(response).await;
        assert!(status.is_client_error(), "{body:?}: {status} {answer}");
        assert!(answer["error"].is_string(), "{body:?}: {answer}");
    }
    // Fields of the wrong JSON type are named, too.
    let (status, answer) = app
        .post(
            "/api/v1/needs",
            Some(&token),
            &json!({"title": 42, "description": ["x"], "deadline": "soon"}),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
}

#[tokio::test]
async fn posted_need_is_stored_and_searchable_at_once() {
    let app = App::start().await;
    let token = app.staff_of("u-oppvekst").await;
    let (status, body) = app.post("/api/v1/needs", Some(&token), &valid_need()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let id = body["need"]["id"].as_str().expect("id").to_string();
    let stored = app.engine.need(&id).await.expect("engine").expect("stored");
    assert_eq!(stored.unit.as_deref(), Some("u-oppvekst"));
    let (_, hits) = app
        .get("/api/v1/needs?q=spr%C3%A5kmilj%C3%B8et", None)
        .await;
    assert!(ids(&hits["items"]).contains(&id.as_str()), "{hits}");
}

#[tokio::test]
async fn overlap_routes_are_for_coordinators_and_admins_only() {
    let app = App::start().await;
    let staff = app.staff_of("u-oppvekst").await;
    let researcher = app
        .token("kari", Role::Researcher, None, Some("r-kari"))
        .await;
    let coordinator = app.token("koord", Role::Coordinator, None, None).await;
    let admin = app.token("root", Role::Admin, None, None).await;
    for path in [
        "/api/v1/overlaps",
        "/api/v1/overlaps/clusters",
        "/api/v1/overlaps/decisions",
    ] {
        assert_eq!(
            app.get(path, None).await.0,
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
        for token in [&staff, &researcher] {
            assert_eq!(
                app.get(path, Some(token)).await.0,
                StatusCode::FORBIDDEN,
                "{path}"
            );
        }
        for token in [&coordinator, &admin] {
            assert_eq!(app.get(path, Some(token)).await.0, StatusCode::OK, "{path}");
        }
    }
    let decision = json!({"a": "n-sprak", "b": "p-1", "decision": "confirm"});
    let (status, _) = app
        .post("/api/v1/overlaps/decisions", Some(&staff), &decision)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.post("/api/v1/overlaps/decisions", None, &decision)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn a_dismissed_overlap_leaves_the_list_and_is_audited() {
    let app = App::start().await;
    let coordinator = app.token("koord", Role::Coordinator, None, None).await;
    let (status, list) = app.get("/api/v1/overlaps", Some(&coordinator)).await;
    assert_eq!(status, StatusCode::OK);
    let pair = list["items"]
        .as_array()
        .expect("items")
        .iter()
        .find(|p| p["a"] == "n-sprak" && p["b"] == "p-1")
        .unwrap_or_else(|| panic!("the need and the project on language are flagged: {list}"))
        .clone();
    assert_eq!(pair["b_kind"], "project");
    assert_eq!(pair["status"], "active");
    assert!(pair["signals"].as_array().is_some_and(|s| !s.is_empty()));

    let (status, stored) = app
        .post(
            "/api/v1/overlaps/decisions",
            Some(&coordinator),
            &json!({"a": "p-1", "b": "n-sprak", "decision": "dismiss", "note": "ulike mål"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    assert_eq!(
        (stored["a"].as_str(), stored["b"].as_str()),
        (Some("n-sprak"), Some("p-1"))
    );
    assert_eq!(stored["decided_by"], "koord");

    let (_, list) = app.get("/api/v1/overlaps", Some(&coordinator)).await;
    assert!(
        !list["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|p| p["a"] == "n-sprak" && p["b"] == "p-1"),
        "{list}"
    );
    let (_, trail) = app
        .get("/api/v1/overlaps/decisions", Some(&coordinator))
        .await;
    assert_eq!(trail.as_array().map(Vec::len), Some(1));
    assert_eq!(trail[0]["note"], "ulike mål");
    assert_eq!(trail[0]["decision"], "dismissed");
}

#[tokio::test]
async fn bad_overlap_decisions_are_4xx_with_a_reason() {
    let app = App::start().await;
    let coordinator = app.token("koord", Role::Coordinator, None, None).await;
    let cases = [
        (
            json!({"a": "n-sprak", "b": "p-1", "decision": "maybe"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"a": "n-sprak", "b": "nope", "decision": "dismiss"}),
            StatusCode::NOT_FOUND,
        ),
        (
            json!({"a": "n-sprak", "b": "n-sprak", "decision": "dismiss"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            json!({"a": "n-sprak", "decision": "dismiss"}),
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (json!(["n-sprak", "p-1"]), StatusCode::UNPROCESSABLE_ENTITY),
    ];
    for (body, expected) in cases {
        let (status, answer) = app
            .post("/api/v1/overlaps/decisions", Some(&coordinator), &body)
            .await;
        assert_eq!(status, expected, "{body} → {answer}");
        assert!(
            answer["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{answer}"
        );
    }
    let (status, answer) = app
        .get("/api/v1/overlaps?threshold=2", Some(&coordinator))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
}

#[tokio::test]
async fn patch_changes_only_the_fields_sent_and_the_change_is_searchable_at_once() {
    let app = App::start().await;
    let staff = app.staff_of("u-oppvekst").await;
    let change =
        json!({"title": "Språkutvikling og lesesirkler i barnehage", "deadline": "2026-12-01"});
    let (status, body) = app
        .send(
            Method::PATCH,
            "/api/v1/needs/n-sprak",
            &staff,
            Some(&change),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["need"]["title"],
        "Språkutvikling og lesesirkler i barnehage"
    );
    assert_eq!(body["need"]["deadline"], "2026-12-01");
    assert_eq!(body["need"]["unit"], "u-oppvekst");
    assert_eq!(body["need"]["posted"], "2026-01-10");
    assert!(
        body["need"]["description"]
            .as_str()
            .expect("description")
            .starts_with("Kommunen ønsker kunnskap"),
        "{body}"
    );
    assert!(body["similar"].is_array(), "{body}");
    let (_, stored) = app.get("/api/v1/needs/n-sprak", None).await;
    assert_eq!(stored["title"], "Språkutvikling og lesesirkler i barnehage");
    let (_, found) = app.get("/api/v1/needs?q=lesesirkler", None).await;
    assert_eq!(ids(&found["items"]), ["n-sprak"], "{found}");
    // `null` clears an optional field.
    let (status, body) = app
        .send(
            Method::PATCH,
            "/api/v1/needs/n-sprak",
            &staff,
            Some(&json!({"deadline": null})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["need"].get("deadline").is_none(), "{body}");
}

#[tokio::test]
async fn patch_refusals_name_the_reason_and_never_yield_5xx() {
    let app = App::start().await;
    let staff = app.staff_of("u-oppvekst").await;
    let other = app.staff_of("u-miljo").await;
    let path = "/api/v1/needs/n-sprak";
    let (status, body) = app
        .send(Method::PATCH, path, &other, Some(&json!({"title": "Nytt"})))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["error"].as_str().expect("reason").contains("unit"),
        "{body}"
    );
    let (status, body) = app
        .send(
            Method::PATCH,
            path,
            &staff,
            Some(&json!({"unit": "u-miljo"})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert_eq!(body["fields"][0]["field"], "unit", "{body}");
    let (status, body) = app
        .send(
            Method::PATCH,
            path,
            &staff,
            Some(&json!({"title": "", "focus_areas": ["astrologi"]})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let fields: Vec<&str> = body["fields"]
        .as_array()
        .expect("fields")
        .iter()
        .map(|f| f["field"].as_str().expect("field"))
        .collect();
    assert!(
        fields.contains(&"title") && fields.contains(&"focus_areas"),
        "{body}"
    );
    for bad in [json!([1, 2]), json!("tittel")] {
        let (status, body) = app.send(Method::PATCH, path, &staff, Some(&bad)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}: {body}");
        assert_eq!(body["fields"][0]["field"], "body", "{body}");
    }
    let response = app
        .client
        .patch(app.url(path))
        .bearer_auth(&staff)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    let (status, body) = answer(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = app
        .send(
            Method::PATCH,
            "/api/v1/needs/ukjent",
            &staff,
            Some(&json!({})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    // Unchanged after all the refusals.
    let (_, stored) = app.get(path, None).await;
    assert_eq!(stored["title"], "Språkutvikling i barnehage");
    assert_eq!(stored["unit"], "u-oppvekst");
}

#[tokio::test]
async fn closing_a_need_stops_new_interest_and_reopening_allows_it_again() {
    let app = App::start().await;
    let staff = app.staff_of("u-oppvekst").await;
    let kari = app
        .token("kari", Role::Researcher, None, Some("r-kari"))
        .await;
    let status_path = "/api/v1/needs/n-sprak/status";
    let interest = "/api/v1/needs/n-sprak/interest";
    let (status, body) = app
        .send(
            Method::PUT,
            status_path,
            &staff,
            Some(&json!({"status": "closed"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "closed");
    let (_, stored) = app.get("/api/v1/needs/n-sprak", None).await;
    assert_eq!(stored["status"], "closed");
    let (status, body) = app.send(Method::PUT, interest, &kari, None).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["error"].as_str().expect("reason").contains("open"),
        "{body}"
    );
    let (status, body) = app
        .send(
            Method::PUT,
            status_path,
            &staff,
            Some(&json!({"status": "open"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["status"], "open");
    let (status, body) = app.send(Method::PUT, interest, &kari, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"need": "n-sprak", "interested": true}));
    // Staff of the unit see who; the researcher does not see the list.
    let (status, list) = app.get(interest, Some(&staff)).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list.as_array().expect("list").len(), 1, "{list}");
    assert_eq!(list[0]["researcher"], "r-kari");
    assert_eq!(list[0]["name"], "Kari Nordmann");
    let (status, _) = app.get(interest, Some(&kari)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (_, mine) = app.get("/api/v1/me/needs", Some(&kari)).await;
    assert_eq!(mine["interested"], json!(["n-sprak"]), "{mine}");
    let (status, body) = app.send(Method::DELETE, interest, &kari, None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["interested"], false);
    let (_, list) = app.get(interest, Some(&staff)).await;
    assert_eq!(list, json!([]));
}

#[tokio::test]
async fn bad_status_changes_are_422_with_a_reason() {
    let app = App::start().await;
    let staff = app.staff_of("u-oppvekst").await;
    let path = "/api/v1/needs/n-sprak/status";
    for body in [
        json!({"status": "draft"}),
        json!({"status": "lukket"}),
        json!({}),
        json!({"status": 3}),
    ] {
        let (status, reply) = app.send(Method::PUT, path, &staff, Some(&body)).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}: {reply}");
        assert!(
            reply["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{reply}"
        );
    }
    let (_, stored) = app.get("/api/v1/needs/n-sprak", None).await;
    assert_eq!(stored["status"], "open");
}

/// The queue item for (unit, researcher), if it is in the queue.
fn queued<'a>(queue: &'a Value, unit: &str, researcher: &str) -> Option<&'a Value> {
    queue
        .as_array()
        .expect("queue")
        .iter()
        .find(|s| s["unit"] == unit && s["researcher"] == researcher)
}

#[tokio::test]
async fn an_accepted_pairing_leaves_the_queue_is_audited_and_shows_on_the_researchers_page() {
    let app = App::start().await;
    let coordinator = app.token("coord", Role::Coordinator, None, None).await;
    let kari = app
        .token("kari", Role::Researcher, None, Some("r-kari"))
        .await;
    let (status, queue) = app.get("/api/v1/pairings", Some(&coordinator)).await;
    assert_eq!(status, StatusCode::OK, "{queue}");
    let suggestion = queued(&queue, "u-oppvekst", "r-kari").expect("Kari suggested for Oppvekst");
    assert_eq!(suggestion["unit_name"], "Oppvekst og utdanning");
    assert_eq!(suggestion["name"], "Kari Nordmann");
    assert_eq!(suggestion["needs"][0]["id"], "n-sprak", "{suggestion}");
    assert_eq!(
        suggestion["shared_projects"][0]["id"], "p-1",
        "{suggestion}"
    );
    let decision = json!({"unit": "u-oppvekst", "researcher": "r-kari", "decision": "accept", "note": "Kjenner barnehagene fra Språkløftet"});
    let (status, stored) = app
        .post("/api/v1/pairings/decisions", Some(&coordinator), &decision)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{stored}");
    assert_eq!(stored["decision"], "accepted");
    assert_eq!(stored["decided_by"], "coord");
    assert!(!stored["decided_at"].as_str().expect("when").is_empty());
    let (_, queue) = app.get("/api/v1/pairings", Some(&coordinator)).await;
    assert!(queued(&queue, "u-oppvekst", "r-kari").is_none(), "{queue}");
    let (status, audit) = app
        .get("/api/v1/pairings/decisions", Some(&coordinator))
        .await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    assert_eq!(audit.as_array().expect("audit").len(), 1, "{audit}");
    assert_eq!(audit[0]["note"], "Kjenner barnehagene fra Språkløftet");
    let (status, mine) = app.get("/api/v1/me/needs", Some(&kari)).await;
    assert_eq!(status, StatusCode::OK, "{mine}");
    assert_eq!(mine["needs"][0]["need"], "n-sprak", "{mine}");
    assert_eq!(mine["matched"][0]["unit"], "u-oppvekst", "{mine}");
    assert_eq!(mine["matched"][0]["needs"][0]["id"], "n-sprak", "{mine}");
    assert!(
        !mine.to_string().contains("Kjenner barnehagene"),
        "the researcher never sees the coordinator's note: {mine}"
    );
}

#[tokio::test]
async fn a_rejected_pairing_is_not_suggested_again_and_the_audit_keeps_every_decision() {
    let app = App::start().await;
    let coordinator = app.token("coord", Role::Coordinator, None, None).await;
    for verdict in ["defer", "reject"] {
        let body = json!({"unit": "u-oppvekst", "researcher": "r-kari", "decision": verdict});
        let (status, stored) = app
            .post("/api/v1/pairings/decisions", Some(&coordinator), &body)
            .await;
        assert_eq!(status, StatusCode::CREATED, "{stored}");
        let (_, queue) = app.get("/api/v1/pairings", Some(&coordinator)).await;
        let item = queued(&queue, "u-oppvekst", "r-kari");
        if verdict == "defer" {
            let item = item.expect("a deferred pairing stays in the queue");
            assert_eq!(item["deferred"]["decision"], "deferred", "{item}");
        } else {
            assert!(item.is_none(), "{queue}");
        }
    }
    let (_, audit) = app
        .get("/api/v1/pairings/decisions", Some(&coordinator))
        .await;
    let verdicts: Vec<&str> = audit
        .as_array()
        .expect("audit")
        .iter()
        .map(|d| d["decision"].as_str().expect("decision"))
        .collect();
    assert_eq!(verdicts, ["deferred", "rejected"]);
}

#[tokio::test]
async fn bad_pairing_decisions_are_4xx_with_a_reason_never_5xx() {
    let app = App::start().await;
    let coordinator = app.token("coord", Role::Coordinator, None, None).await;
    let path = "/api/v1/pairings/decisions";
    let long_note = "x".repeat(2_001);
    for (body, expect) in [
        (
            json!({"unit": "u-oppvekst", "researcher": "r-kari", "decision": "maybe"}),
            422,
        ),
        (
            json!({"unit": "u-ukjent", "researcher": "r-kari", "decision": "accept"}),
            404,
        ),
        (
            json!({"unit": "u-ntnu-ipl", "researcher": "r-kari", "decision": "accept"}),
            422,
        ),
        (
            json!({"unit": "u-oppvekst", "researcher": "r-ukjent", "decision": "accept"}),
            404,
        ),
        (
            json!({"unit": "u-oppvekst", "researcher": "r-kari", "decision": "accept", "note": long_note}),
            422,
        ),
        (json!({"unit": "u-oppvekst", "decision": "accept"}), 422),
        (json!(["u-oppvekst"]), 422),
    ] {
        let (status, reply) = app.post(path, Some(&coordinator), &body).await;
        assert_eq!(status.as_u16(), expect, "{body}: {reply}");
        assert!(
            reply["error"].as_str().is_some_and(|e| !e.is_empty()),
            "{reply}"
        );
    }
    let (_, audit) = app.get(path, Some(&coordinator)).await;
    assert_eq!(audit, json!([]), "nothing was recorded");
}

/// Days since 1970-01-01 of an ISO date (`YYYY-MM-DD...`), for checking day counts.
fn day_number(iso: &str) -> i64 {
    let y: i64 = iso[0..4].parse().expect("year");
    let m: i64 = iso[5..7].parse().expect("month");
    let d: i64 = iso[8..10].parse().expect("day");
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// The facet counts of one facet as (value, count) pairs.
fn facet<'a>(body: &'a Value, name: &str) -> Vec<(&'a str, u64)> {
    body["facets"][name]
        .as_array()
        .unwrap_or_else(|| panic!("facet {name} in {body}"))
        .iter()
        .map(|v| {
            (
                v["value"].as_str().expect("value"),
                v["count"].as_u64().expect("count"),
            )
        })
        .collect()
}

#[tokio::test]
async fn need_search_filters_by_facets_and_counts_each_facet_without_its_own_filter() {
    let app = App::start().await;
    let (status, body) = app
        .get("/api/v1/needs?focus=oppvekst-og-utdanning", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["total"], 1);
    assert_eq!(ids(&body["items"]), ["n-sprak"]);
    // The focus facet ignores its own filter: both areas, one need each.
    assert_eq!(
        facet(&body, "focus_areas"),
        [("klima-og-miljo", 1), ("oppvekst-og-utdanning", 1)]
    );
    // The other facets count under the focus filter.
    assert_eq!(facet(&body, "units"), [("u-oppvekst", 1)]);
    assert_eq!(facet(&body, "municipalities"), [("5001", 1)]);
    assert_eq!(facet(&body, "kinds"), [("masteroppgave", 1)]);
    assert_eq!(facet(&body, "statuses"), [("open", 1)]);
    assert_eq!(
        facet(&body, "languages").iter().map(|c| c.1).sum::<u64>(),
        1
    );

    let (_, body) = app
        .get("/api/v1/needs?unit=u-miljo&kind=forskningsprosjekt", None)
        .await;
    assert_eq!(ids(&body["items"]), ["n-overvann"]);
    let (_, body) = app.get("/api/v1/needs?municipality=5001", None).await;
    assert_eq!(body["total"], 2);
    let (_, body) = app.get("/api/v1/needs?municipality=9999", None).await;
    assert_eq!(body["total"], 0, "{body}");
    let (_, body) = app.get("/api/v1/needs?status=closed", None).await;
    assert_eq!(body["total"], 0, "{body}");
    assert_eq!(facet(&body, "statuses"), [("open", 2)]);
}

#[tokio::test]
async fn need_search_sorts_by_deadline_or_newest_and_says_which() {
    let app = App::start().await;
    let coordinator = app.token("coord", Role::Coordinator, None, None).await;
    let mut need = valid_need();
    need["unit"] = json!("u-miljo");
    need["deadline"] = json!("2030-06-01");
    let (status, posted) = app.post("/api/v1/needs", Some(&coordinator), &need).await;
    assert_eq!(status, StatusCode::CREATED, "{posted}");
    let new_id = posted["need"]["id"].as_str().expect("id").to_string();

    let (_, by_deadline) = app.get("/api/v1/needs?sort=deadline", None).await;
    assert_eq!(by_deadline["sort"], "deadline");
    // Only the new need has a deadline; those without come last, by id.
    assert_eq!(
        ids(&by_deadline["items"]),
        [new_id.as_str(), "n-overvann", "n-sprak"]
    );
    let (_, newest) = app.get("/api/v1/needs?sort=newest&limit=2", None).await;
    assert_eq!(newest["total"], 3);
    assert_eq!(ids(&newest["items"])[1], "n-overvann", "{newest}");
    let (_, page) = app
        .get("/api/v1/needs?sort=newest&offset=2&limit=2", None)
        .await;
    assert_eq!(ids(&page["items"]), ["n-sprak"]);
    let (_, relevance) = app.get("/api/v1/needs?q=barnehage", None).await;
    assert_eq!(relevance["sort"], "relevance");
    let html = relevance["items"][0]["snippet_html"]
        .as_str()
        .expect("html");
    assert!(html.contains("<mark>"), "{html}");

    let (status, body) = app.get("/api/v1/needs?sort=sideways", None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"].as_str().expect("error").contains("sideways"),
        "{body}"
    );
}

/// Imports more records into the running app's store.
async fn import_more(app: &App, lines: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("more.jsonl");
    std::fs::write(&file, lines).expect("write");
    let report = app
        .engine
        .import(&[file], &ImportOptions::default(), &mut NoProgress)
        .await
        .expect("import");
    assert!(report.is_clean(), "{report:?}");
}

/// Waits until the results the background worker keeps (network, portfolio, overlap run)
/// reflect every change made so far.
async fn settled(app: &App) {
    app.engine
        .derived_current(std::time::Duration::from_secs(60))
        .await
        .expect("derived results caught up");
}

/// The link between a researcher and another node in a network answer.
fn link<'a>(view: &'a Value, researcher: &str, other: &str) -> Option<&'a Value> {
    view["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|e| e["researcher"] == researcher && e["other"] == other)
}

#[tokio::test]
async fn the_network_links_coauthors_shared_projects_and_accepted_pairings() {
    let app = App::start().await;
    let coordinator = app.token("coord", Role::Coordinator, None, None).await;
    import_more(
        &app,
        r#"{"type": "work", "id": "w-4", "title": "Barnehagens uteområder og overvann", "year": 2024, "authors": ["r-ola", "r-kari"]}"#,
    )
    .await;
    settled(&app).await;
    let (status, view) = app.get("/api/v1/network", Some(&coordinator)).await;
    assert_eq!(status, StatusCode::OK, "{view}");
    let coauthors = link(&view, "r-kari", "r-ola").expect("Kari and Ola wrote w-4");
    assert_eq!(coauthors["works"], json!(["w-4"]));
    assert_eq!(coauthors["other_kind"], "researcher");
    let project = link(&view, "r-kari", "u-oppvekst").expect("Kari did p-1 with Oppvekst");
    assert_eq!(project["projects"], json!(["p-1"]));
    assert_eq!(project["other_kind"], "unit");
    assert_eq!(project["accepted_pairing"], false);
    assert!(
        link(&view, "r-kari", "u-ntnu-ipl").is_none(),
        "academic units are not in the network"
    );
    assert_eq!(view["summary"]["researchers"], 2);
    assert_eq!(view["summary"]["units"], 2);
    assert_eq!(view["summary"]["links"], 2);
    assert_eq!(view["summary"]["components"], 1);
    assert_eq!(view["summary"]["largest_component"], 3);

    let pairing = json!({"unit": "u-miljo", "researcher": "r-ola", "decision": "accept"});
    let (status, _) = app
        .post("/api/v1/pairings/decisions", Some(&coordinator), &pairing)
        .await;
    assert_eq!(status, StatusCode::CREATED);
    settled(&app).await;
    let (_, view) = app
        .get("/api/v1/network?unit=u-miljo&depth=2", Some(&coordinator))
        .await;
    assert_eq!(view["focus"]["name"], "Miljøenheten", "{view}");
    let nodes: Vec<(&str, u64)> = view["nodes"]
        .as_array()
        .expect("nodes")
        .iter()
        .map(|n| {
            (
                n["id"].as_str().expect("id"),
                n["distance"].as_u64().expect("distance"),
            )
        })
        .collect();
    assert_eq!(nodes, [("u-miljo", 0), ("r-ola", 1), ("r-kari", 2)]);
    let paired = link(&view, "r-ola", "u-miljo").expect("the accepted pairing");
    assert_eq!(paired["accepted_pairing"], true);
    assert_eq!(paired["weight"], 1);
    // Oppvekst is three links from Miljø: out of reach at depth 2.
    assert_eq!(view["left_out"], 0);

    // A limit of two keeps the centre and its strongest link and says what it left out.
    let (_, small) = app
        .get(
            "/api/v1/network?researcher=r-ola&depth=2&limit=2",
            Some(&coordinator),
        )
        .await;
    assert_eq!(
        small["nodes"].as_array().expect("nodes").len(),
        2,
        "{small}"
    );
    assert_eq!(small["left_out"], 2, "{small}");
    assert_eq!(small["edges"].as_array().expect("edges").len(), 1);
}

#[tokio::test]
async fn network_refusals_are_4xx_with_a_reason() {
    let app = App::start().await;
    let coordinator = app.token("coord", Role::Coordinator, None, None).await;
    let kari = app
        .token("kari", Role::Researcher, None, Some("r-kari"))
        .await;
    let staff = app.staff_of("u-oppvekst").await;
    for (path, token, expect) in [
        ("/api/v1/network", None, 401),
        ("/api/v1/network", Some(&kari), 403),
        ("/api/v1/network", Some(&staff), 403),
        (
            "/api/v1/network?researcher=r-ukjent",
            Some(&coordinator),
            404,
        ),
        ("/api/v1/network?unit=u-ntnu-ipl", Some(&coordinator), 404),
        (
            "/api/v1/network?researcher=r-kari&unit=u-miljo",
            Some(&coordinator),
            400,
        ),
        ("/api/v1/network?depth=3", Some(&coordinator), 422),
        ("/api/v1/network?depth=0", Some(&coordinator), 422),
        ("/api/v1/network?depth=-1", Some(&coordinator), 400),
        ("/api/v1/network?limit=many", Some(&coordinator), 400),
        ("/api/v1/portfolio", None, 401),
        ("/api/v1/portfolio", Some(&kari), 403),
    ] {
        let (status, body) = app.get(path, token.map(String::as_str)).await;
        assert_eq!(status.as_u16(), expect, "{path}: {body}");
        assert!(body["error"].is_string(), "{path}: {body}");
    }
    // A huge limit is cut to the most nodes drawn, not refused.
    let (status, body) = app
        .get("/api/v1/network?limit=1000000", Some(&coordinator))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["limit"], 150);
}

#[tokio::test]
async fn the_portfolio_measures_days_to_the_first_interest_or_accepted_pairing() {
    let app = App::start().await;
    let coordinator = app.token("coord", Role::Coordinator, None, None).await;
    let kari = app
        .token("kari", Role::Researcher, None, Some("r-kari"))
        .await;
    let (_, portfolio) = app.get("/api/v1/portfolio", Some(&coordinator)).await;
    assert_eq!(portfolio["total"], 2);
    assert_eq!(portfolio["first_match"]["matched"], 0);
    assert_eq!(portfolio["first_match"]["unmatched"], 2);
    assert!(portfolio["first_match"].get("median_days").is_none());

    let (status, _) = app
        .send(Method::PUT, "/api/v1/needs/n-sprak/interest", &kari, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let pairing = json!({"unit": "u-miljo", "researcher": "r-ola", "decision": "accept"});
    let (status, _) = app
        .post("/api/v1/pairings/decisions", Some(&coordinator), &pairing)
        .await;
    assert_eq!(status, StatusCode::CREATED);

    settled(&app).await;
    let (status, portfolio) = app.get("/api/v1/portfolio", Some(&coordinator)).await;
    assert_eq!(status, StatusCode::OK, "{portfolio}");
    let fm = &portfolio["first_match"];
    assert_eq!(fm["matched"], 2, "{fm}");
    assert_eq!(fm["unmatched"], 0);
    let by_need = |id: &str| {
        fm["needs"]
            .as_array()
            .expect("needs")
            .iter()
            .find(|n| n["need"] == id)
            .cloned()
            .unwrap_or_else(|| panic!("{id} in {fm}"))
    };
    for (id, via) in [("n-sprak", "interest"), ("n-overvann", "pairing")] {
        let need = by_need(id);
        assert_eq!(need["via"], via, "{need}");
        let on = need["matched_on"].as_str().expect("matched on");
        let posted = need["posted"].as_str().expect("posted");
        assert_eq!(
            need["days"].as_i64(),
            Some(day_number(on) - day_number(posted)),
            "{need}"
        );
    }
    let total_in_bands: u64 = fm["distribution"]
        .as_array()
        .expect("bands")
        .iter()
        .map(|b| b["needs"].as_u64().expect("needs"))
        .sum();
    assert_eq!(total_in_bands, 2);
    let focus: Vec<&str> = fm["by_focus"]
        .as_array()
        .expect("groups")
        .iter()
        .map(|g| g["key"].as_str().expect("key"))
        .collect();
    assert_eq!(focus.len(), 2, "{focus:?}");
    assert_eq!(portfolio["by_municipality"][0]["name"], "Trondheim");
}

/// A need body with one field replaced.
fn need_with(field: &str, value: Value) -> Value {
    let mut body = valid_need();
    body[field] = value;
    body
}

/// The fields a 422 names.
fn fields(body: &Value) -> Vec<&str> {
    body["fields"]
        .as_array()
        .map(|f| f.iter().filter_map(|f| f["field"].as_str()).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn need_texts_over_their_limits_are_422_naming_each_field_and_the_limit() {
    let app = App::start().await;
    let staff = app.staff_of("u-oppvekst").await;
    let mut body = valid_need();
    body["title"] = json!("t".repeat(301));
    body["description"] = json!("d".repeat(20_001));
    body["contact"] = json!("c".repeat(201));
    let (status, answer) = app.post("/api/v1/needs", Some(&staff), &body).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(fields(&answer), ["title", "description", "contact"]);
    let reasons = answer["fields"].to_string();
    for limit in ["at most 300", "at most 20000", "at most 200"] {
        assert!(reasons.contains(limit), "{limit}: {reasons}");
    }
    // Exactly at the limits, in characters (not bytes), the need is taken.
    body["title"] = json!("ø".repeat(300));
    body["description"] = json!("å".repeat(20_000));
    body["contact"] = json!("c".repeat(200));
    let (status, created) = app.post("/api/v1/needs", Some(&staff), &body).await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    // Changing a need is held to the same limits.
    let id = created["need"]["id"].as_str().expect("id");
    let (status, answer) = app
        .send(
            Method::PATCH,
            &format!("/api/v1/needs/{id}"),
            &staff,
            Some(&json!({"title": "t".repeat(301)})),
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert_eq!(fields(&answer), ["title"]);
}

#[tokio::test]
async fn ids_for_new_needs_keep_to_the_safe_alphabet() {
    let app = App::start().await;
    let staff = app.staff_of("u-oppvekst").await;
    for bad in [
        "../../etc/passwd",
        "a/b",
        "a\u{0}b",
        "a b",
        "behov-ø",
        "..",
        "a?b#c",
    ] {
        let (status, answer) = app
            .post("/api/v1/needs", Some(&staff), &need_with("id", json!(bad)))
            .await;
        assert_eq!(
            status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{bad:?}: {answer}"
        );
        assert_eq!(fields(&answer), ["id"], "{bad:?}: {answer}");
        assert!(answer["error"].is_string());
    }
    let long = "n".repeat(129);
    let (status, answer) = app
        .post("/api/v1/needs", Some(&staff), &need_with("id", json!(long)))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        answer["fields"][0]["reason"]
            .as_str()
            .expect("reason")
            .contains("128")
    );
    // Every broken field at once: the id and a missing title.
    let mut body = need_with("id", json!("a/b"));
    body["title"] = Value::Null;
    let (_, answer) = app.post("/api/v1/needs", Some(&staff), &body).await;
    assert_eq!(fields(&answer), ["id", "title"]);
    let (status, created) = app
        .post(
            "/api/v1/needs",
            Some(&staff),
            &need_with("id", json!("behov-2026.1:a_B")),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    assert_eq!(created["need"]["id"], "behov-2026.1:a_B");
}

#[tokio::test]
async fn ids_from_feeds_with_other_characters_work_in_urls() {
    let app = App::start().await;
    let id = "behov ø/1?#%";
    import_more(
        &app,
        &format!(
            "{}\n",
            json!({"type": "need", "id": id, "title": "Skolevei om vinteren",
                   "description": "Trygg skolevei om vinteren.", "unit": "u-oppvekst"})
        ),
    )
    .await;
    let encoded = "behov%20%C3%B8%2F1%3F%23%25";
    let (status, need) = app.get(&format!("/api/v1/needs/{encoded}"), None).await;
    assert_eq!(status, StatusCode::OK, "{need}");
    assert_eq!(need["id"], id);
    let staff = app.staff_of("u-oppvekst").await;
    let (status, matches) = app
        .get(&format!("/api/v1/needs/{encoded}/matches"), Some(&staff))
        .await;
    assert_eq!(status, StatusCode::OK, "{matches}");
    assert_eq!(matches["need"], id);
}

#[tokio::test]
async fn a_feed_need_over_a_limit_is_reported_with_its_line_and_field() {
    let app = App::start().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("more.jsonl");
    let lines = [
        json!({"type": "need", "id": "n-ok", "title": "T", "description": "D"}),
        json!({"type": "need", "id": "n-long", "title": "t".repeat(301), "description": "D"}),
        json!({"type": "need", "id": "n".repeat(129), "title": "T", "description": "D"}),
    ];
    let text: Vec<String> = lines.iter().map(Value::to_string).collect();
    std::fs::write(&file, text.join("\n")).expect("write");
    let report = app
        .engine
        .import(&[file], &ImportOptions::default(), &mut NoProgress)
        .await
        .expect("import");
    let errors = report.rejected.clone();
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors[0].contains("more.jsonl:2: `title` is 301 characters long"),
        "{errors:?}"
    );
    assert!(
        errors[1].contains("more.jsonl:3: `id` is 129 bytes long"),
        "{errors:?}"
    );
    let (status, _) = app.get("/api/v1/needs/n-ok", None).await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = app.get("/api/v1/needs/n-long", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn search_queries_over_1000_characters_or_64_words_are_400_naming_the_limit() {
    let app = App::start().await;
    let long = "a".repeat(1001);
    let (status, body) = app.get(&format!("/api/v1/needs?q={long}"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]
            .as_str()
            .expect("error")
            .contains("at most 1000"),
        "{body}"
    );
    let words = vec!["barnehage"; 64].join("%20");
    let (status, body) = app.get(&format!("/api/v1/needs?q={words}"), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // 5,000 words once took seconds; 400 words within 1000 characters are refused at once.
    let many = vec!["o"; 400].join("+");
    let started = std::time::Instant::now();
    let (status, body) = app.get(&format!("/api/v1/needs?q={many}"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]
            .as_str()
            .expect("error")
            .contains("at most 64"),
        "{body}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    // Hyphens do not glue words into one.
    let glued = vec!["a"; 65].join("-");
    let (status, _) = app.get(&format!("/api/v1/needs?q={glued}"), None).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn closed_filter_values_are_checked_and_open_ones_are_not() {
    let app = App::start().await;
    for path in [
        "/api/v1/needs?lang=de",
        "/api/v1/needs?status=draft",
        "/api/v1/needs?status=open,pending",
        "/api/v1/needs?sort=sideways",
        "/api/v1/needs?lang=,",
        "/api/v1/needs?status=open,,closed",
    ] {
        let (status, body) = app.get(path, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert!(
            body["error"].as_str().expect("error").contains("unknown"),
            "{body}"
        );
    }
    // Focus areas and kinds may be a partnership's own, so any value filters.
    for path in [
        "/api/v1/needs?lang=nb,nn&status=open,%20closed",
        "/api/v1/needs?lang=&status=",
        "/api/v1/needs?focus=egen-satsing",
        "/api/v1/needs?kind=hospitering",
    ] {
        let (status, body) = app.get(path, None).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
}

#[tokio::test]
async fn overlap_notes_over_2000_characters_are_422() {
    let app = App::start().await;
    let coordinator = app.token("coord", Role::Coordinator, None, None).await;
    // A negative threshold too small for an f32 is still negative.
    let (status, answer) = app
        .get("/api/v1/overlaps?threshold=-2.2e-309", Some(&coordinator))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let body = json!({"a": "n-sprak", "b": "p-1", "decision": "dismiss", "note": "n".repeat(2001)});
    let (status, answer) = app
        .post("/api/v1/overlaps/decisions", Some(&coordinator), &body)
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{answer}");
    assert!(
        answer["error"]
            .as_str()
            .expect("error")
            .contains("at most 2000"),
        "{answer}"
    );
    let body = json!({"a": "n-sprak", "b": "p-1", "decision": "dismiss", "note": "n".repeat(2000)});
    let (status, answer) = app
        .post("/api/v1/overlaps/decisions", Some(&coordinator), &body)
        .await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
}

#[tokio::test]
async fn every_answer_says_nosniff() {
    let app = App::start().await;
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for (method, path) in [
        (Method::GET, "/healthz"),
        (Method::GET, "/api/openapi.json"),
        (Method::GET, "/api/v1/needs"),
        (Method::GET, "/api/v1/needs/nowhere"),
        (Method::DELETE, "/api/v1/needs"),
        (Method::POST, "/api/v1/needs"),
        (Method::GET, "/"),
        (Method::GET, "/behov"),
        (Method::GET, "/mine-behov"),
        (Method::GET, "/static/kobler.css"),
        (Method::GET, "/finnes-ikke"),
    ] {
        let response = client
            .request(method.clone(), app.url(path))
            .send()
            .await
            .expect("send");
        assert_eq!(
            response
                .headers()
                .get("x-content-type-options")
                .and_then(|v| v.to_str().ok()),
            Some("nosniff"),
            "{method} {path}: {}",
            response.status()
        );
    }
}

#[tokio::test]
async fn an_over_long_request_target_is_a_json_414() {
    let app = App::start().await;
    // Past Kobler's own limit (16 KiB) but within hyper's (64 KiB): Kobler answers, in JSON.
    let path = format!("/api/v1/needs?q=a&unit={}", "u".repeat(20_000));
    let (status, body) = app.get(&path, None).await;
    assert_eq!(status, StatusCode::URI_TOO_LONG, "{body}");
    assert!(
        body["error"].as_str().expect("error").contains("16384"),
        "{body}"
    );
    // Pages too (the web's forms are GETs with the same parameters).
    let response = app
        .client
        .get(app.url(&format!("/behov?q={}", "b".repeat(20_000))))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::URI_TOO_LONG);
    // Past hyper's limit (65,534 bytes) hyper answers before any service sees the request:
    // a bare 414 with an empty body, which no setting of axum or hyper changes. (reqwest will
    // not even send such a target, so it goes over a bare socket.)
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let address = app.base.trim_start_matches("http://").to_string();
    let mut socket = tokio::net::TcpStream::connect(address)
        .await
        .expect("connect");
    let request = format!(
        "GET /api/v1/needs?q={} HTTP/1.1\r\nHost: kobler\r\nConnection: close\r\n\r\n",
        "c".repeat(70_000)
    );
    socket.write_all(request.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer).await;
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 414"),
        "{}",
        &answer[..answer.len().min(200)]
    );
    assert!(
        answer.contains("content-length: 0"),
        "{}",
        &answer[..answer.len().min(200)]
    );
}
