//! The authorisation matrix: every route, web and API, for every role — anonymous, staff of the
//! need's unit, staff of another unit, researcher, coordinator, admin — against the status it
//! must answer, through the real server over a real store. Requests are chosen so that they
//! change nothing, or the same thing for every role, so the rows do not depend on each other.

mod support;

use reqwest::StatusCode;
use support::{App, Browser, ROLES};

/// One row: method, path, form or JSON body, and the expected status per role in [`ROLES`]
/// order (anonymous, staff, other-staff, researcher, coordinator, admin).
struct Row {
    method: &'static str,
    path: &'static str,
    form: &'static [(&'static str, &'static str)],
    expect: [u16; 6],
}

const fn row(
    method: &'static str,
    path: &'static str,
    form: &'static [(&'static str, &'static str)],
    expect: [u16; 6],
) -> Row {
    Row {
        method,
        path,
        form,
        expect,
    }
}

/// The web pages. Anonymous users are sent to sign in (303) wherever signing in is needed.
const WEB: &[Row] = &[
    row("GET", "/", &[], [200, 303, 303, 303, 303, 303]),
    row("GET", "/logg-inn", &[], [200, 303, 303, 303, 303, 303]),
    row(
        "GET",
        "/static/kobler.css",
        &[],
        [200, 200, 200, 200, 200, 200],
    ),
    row("GET", "/behov", &[], [200, 200, 200, 200, 200, 200]),
    row(
        "GET",
        "/behov?q=barnehage&fokus=oppvekst-og-utdanning&kommune=5001&status=alle&side=1",
        &[],
        [200, 200, 200, 200, 200, 200],
    ),
    row(
        "GET",
        "/behov?q=barnehage&enhet=u-oppvekst&type=masteroppgave&sprak=nb&sorter=frist&side=2",
        &[],
        [200, 200, 200, 200, 200, 200],
    ),
    row("GET", "/behov/n-sprak", &[], [200, 200, 200, 200, 200, 200]),
    row("GET", "/behov/ukjent", &[], [404, 404, 404, 404, 404, 404]),
    row("GET", "/behov/ny", &[], [303, 200, 200, 403, 200, 200]),
    row(
        "GET",
        "/behov/n-sprak/rediger",
        &[],
        [303, 200, 403, 403, 200, 200],
    ),
    row("GET", "/mine-behov", &[], [303, 200, 200, 403, 403, 403]),
    row("GET", "/for-meg", &[], [303, 403, 403, 200, 403, 403]),
    row(
        "GET",
        "/koordinering/forslag",
        &[],
        [303, 403, 403, 403, 200, 200],
    ),
    row(
        "GET",
        "/koordinering/overlapp",
        &[],
        [303, 403, 403, 403, 200, 200],
    ),
    row(
        "GET",
        "/koordinering/portefolje",
        &[],
        [303, 403, 403, 403, 200, 200],
    ),
    row(
        "GET",
        "/koordinering/nettverk",
        &[],
        [303, 403, 403, 403, 200, 200],
    ),
    row(
        "GET",
        "/koordinering/nettverk?finn=kari&dybde=2&grense=15",
        &[],
        [303, 403, 403, 403, 200, 200],
    ),
    row(
        "GET",
        "/koordinering/nettverk?enhet=u-ukjent",
        &[],
        [303, 403, 403, 403, 404, 404],
    ),
    row("GET", "/finnes-ikke", &[], [404, 404, 404, 404, 404, 404]),
    // An empty need: refused field by field (422) for those who may post, 403 for researchers.
    row(
        "POST",
        "/behov/ny",
        &[("tittel", "")],
        [303, 422, 422, 403, 422, 422],
    ),
    // Saving the need unchanged.
    row(
        "POST",
        "/behov/n-sprak/rediger",
        &[
            ("tittel", "Språkutvikling i barnehage"),
            (
                "beskrivelse",
                "Kommunen ønsker kunnskap om hvordan barnehagene kan styrke språkutviklingen hos barn, særlig flerspråklige barn, gjennom et bedre språkmiljø og mer samtale i hverdagen. Vi trenger hjelp til å velge og prøve ut tiltak.",
            ),
            ("fokus", "oppvekst-og-utdanning"),
            ("typer", "masteroppgave"),
        ],
        [303, 200, 403, 403, 200, 200],
    ),
    // Reopening an open need changes nothing.
    row(
        "POST",
        "/behov/n-sprak/status",
        &[("status", "open")],
        [303, 303, 403, 403, 303, 303],
    ),
    // Unmarking interest that was never marked changes nothing.
    row(
        "POST",
        "/behov/n-sprak/interesse",
        &[("interessert", "nei")],
        [303, 403, 403, 303, 403, 403],
    ),
    // Deferring a pairing keeps it in the queue.
    row(
        "POST",
        "/koordinering/forslag",
        &[
            ("enhet", "u-miljo"),
            ("forsker", "r-ola"),
            ("beslutning", "defer"),
        ],
        [303, 403, 403, 403, 303, 303],
    ),
    row(
        "POST",
        "/koordinering/overlapp",
        &[("a", "n-sprak"), ("b", "p-1"), ("beslutning", "confirm")],
        [303, 403, 403, 403, 303, 303],
    ),
];

/// The JSON API, called with the role's session cookie (and CSRF header on writes; a write's
/// fields are sent as a JSON object).
const API: &[Row] = &[
    row("GET", "/healthz", &[], [200, 200, 200, 200, 200, 200]),
    row(
        "GET",
        "/api/openapi.json",
        &[],
        [200, 200, 200, 200, 200, 200],
    ),
    row("GET", "/api/v1/needs", &[], [200, 200, 200, 200, 200, 200]),
    row(
        "GET",
        "/api/v1/needs?q=barnehage",
        &[],
        [200, 200, 200, 200, 200, 200],
    ),
    row(
        "GET",
        "/api/v1/needs?focus=oppvekst-og-utdanning&unit=u-oppvekst&lang=nb&sort=deadline",
        &[],
        [200, 200, 200, 200, 200, 200],
    ),
    row(
        "GET",
        "/api/v1/needs?sort=sideways",
        &[],
        [400, 400, 400, 400, 400, 400],
    ),
    row(
        "GET",
        "/api/v1/needs/n-sprak",
        &[],
        [200, 200, 200, 200, 200, 200],
    ),
    row(
        "GET",
        "/api/v1/needs/ukjent",
        &[],
        [404, 404, 404, 404, 404, 404],
    ),
    // An empty need: 401 without credentials, 403 for researchers, 422 for those who may post.
    row("POST", "/api/v1/needs", &[], [401, 422, 422, 403, 422, 422]),
    row(
        "GET",
        "/api/v1/needs/n-sprak/matches",
        &[],
        [401, 200, 403, 403, 200, 200],
    ),
    row(
        "GET",
        "/api/v1/overlaps",
        &[],
        [401, 403, 403, 403, 200, 200],
    ),
    row(
        "GET",
        "/api/v1/overlaps/clusters",
        &[],
        [401, 403, 403, 403, 200, 200],
    ),
    row(
        "GET",
        "/api/v1/overlaps/decisions",
        &[],
        [401, 403, 403, 403, 200, 200],
    ),
    // Saving a need unchanged (an empty change): staff of its unit, coordinators, admins.
    row(
        "PATCH",
        "/api/v1/needs/n-sprak",
        &[],
        [401, 200, 403, 403, 200, 200],
    ),
    row(
        "PATCH",
        "/api/v1/needs/ukjent",
        &[],
        [401, 404, 404, 404, 404, 404],
    ),
    // Reopening an open need changes nothing.
    row(
        "PUT",
        "/api/v1/needs/n-sprak/status",
        &[("status", "open")],
        [401, 200, 403, 403, 200, 200],
    ),
    row(
        "GET",
        "/api/v1/needs/n-sprak/interest",
        &[],
        [401, 200, 403, 403, 200, 200],
    ),
    // Marking twice is marking once; only researchers may.
    row(
        "PUT",
        "/api/v1/needs/n-sprak/interest",
        &[],
        [401, 403, 403, 200, 403, 403],
    ),
    row(
        "DELETE",
        "/api/v1/needs/n-overvann/interest",
        &[],
        [401, 403, 403, 200, 403, 403],
    ),
    row(
        "GET",
        "/api/v1/me/needs",
        &[],
        [401, 403, 403, 200, 403, 403],
    ),
    row(
        "GET",
        "/api/v1/pairings",
        &[],
        [401, 403, 403, 403, 200, 200],
    ),
    // Deferring a pairing keeps it in the queue.
    row(
        "POST",
        "/api/v1/pairings/decisions",
        &[
            ("unit", "u-miljo"),
            ("researcher", "r-ola"),
            ("decision", "defer"),
        ],
        [401, 403, 403, 403, 201, 201],
    ),
    row(
        "GET",
        "/api/v1/pairings/decisions",
        &[],
        [401, 403, 403, 403, 200, 200],
    ),
    row(
        "GET",
        "/api/v1/network",
        &[],
        [401, 403, 403, 403, 200, 200],
    ),
    row(
        "GET",
        "/api/v1/network?researcher=r-kari&depth=2&limit=10",
        &[],
        [401, 403, 403, 403, 200, 200],
    ),
    row(
        "GET",
        "/api/v1/network?unit=u-ukjent",
        &[],
        [401, 403, 403, 403, 404, 404],
    ),
    row(
        "GET",
        "/api/v1/network?depth=3",
        &[],
        [401, 403, 403, 403, 422, 422],
    ),
    row(
        "GET",
        "/api/v1/portfolio",
        &[],
        [401, 403, 403, 403, 200, 200],
    ),
];

async fn call(browser: &Browser, app: &App, row: &Row, json: bool) -> StatusCode {
    let url = app.url(row.path);
    let request = match row.method {
        "GET" => browser.client.get(url),
        method if json => {
            // Writes through the API: the row's fields as a JSON object, with the session's
            // CSRF token in the header as the web's own scripts would send it.
            let csrf = browser.csrf().await;
            let body: serde_json::Map<String, serde_json::Value> = row
                .form
                .iter()
                .map(|(k, v)| (k.to_string(), serde_json::Value::from(*v)))
                .collect();
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
            browser
                .client
                .request(method, url)
                .header("x-csrf-token", csrf)
                .json(&body)
        }
        "POST" => {
            let csrf = browser.csrf().await;
            let mut fields = vec![("csrf", csrf.as_str())];
            fields.extend_from_slice(row.form);
            browser.client.post(url).form(&fields)
        }
        other => panic!("unknown method {other}"),
    };
    request.send().await.expect("send").status()
}

async fn check(rows: &[Row], json: bool) {
    let app = App::start().await;
    let mut browsers = Vec::new();
    for role in ROLES {
        browsers.push(app.signed_in(role).await);
    }
    let mut wrong = Vec::new();
    for row in rows {
        for (i, role) in ROLES.iter().enumerate() {
            let status = call(&browsers[i], &app, row, json).await;
            if status.as_u16() != row.expect[i] {
                wrong.push(format!(
                    "{} {} as {role}: {} (expected {})",
                    row.method,
                    row.path,
                    status.as_u16(),
                    row.expect[i]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn every_web_route_answers_each_role_as_the_roles_table_says() {
    check(WEB, false).await;
}

#[tokio::test]
async fn every_api_route_answers_each_role_as_the_roles_table_says() {
    check(API, true).await;
}

#[tokio::test]
async fn api_tokens_keep_working_beside_the_session_cookie() {
    let app = App::start().await;
    let token = app.engine.create_token("other-staff").await.expect("token");
    let client = reqwest::Client::new();
    let status = |path: &'static str| {
        let request = client.get(app.url(path)).bearer_auth(&token);
        async move { request.send().await.expect("send").status() }
    };
    assert_eq!(
        status("/api/v1/needs/n-overvann/matches").await,
        StatusCode::OK
    );
    assert_eq!(
        status("/api/v1/needs/n-sprak/matches").await,
        StatusCode::FORBIDDEN
    );
    assert_eq!(status("/api/v1/overlaps").await, StatusCode::FORBIDDEN);
}
