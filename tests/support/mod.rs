//! A running Kobler (real store and index in a temporary directory, served on a loopback port
//! with client addresses) and browser-like clients that keep cookies, for the web tests.

#![allow(dead_code)]

pub mod cli;

use kobler_engine::{Engine, ImportOptions, NoProgress, Role};
use reqwest::StatusCode;
use std::net::SocketAddr;

/// The password of every test account.
pub const PASSWORD: &str = "password123";

/// A tiny Trondheim: one kommune, two municipal units (`u-oppvekst` with need `n-sprak`,
/// `u-miljo` with need `n-overvann`), one institute, two researchers (`r-kari` fits the
/// language need, `r-ola` the storm-water one), their works and a project.
pub const FEED: &str = r#"{"type": "municipality", "id": "5001", "name": "Trondheim"}
{"type": "unit", "id": "u-oppvekst", "name": "Oppvekst og utdanning", "kind": "municipal", "municipality": "5001"}
{"type": "unit", "id": "u-miljo", "name": "Miljøenheten", "kind": "municipal", "municipality": "5001"}
{"type": "unit", "id": "u-ntnu-ipl", "name": "Institutt for pedagogikk og livslang læring", "kind": "academic", "institution": "NTNU"}
{"type": "researcher", "id": "r-kari", "name": "Kari Nordmann", "units": ["u-ntnu-ipl"], "keywords": ["språkutvikling", "barnehage", "flerspråklige barn"], "bio": "Professor i barnehagepedagogikk. Forsker på språkutvikling og språkmiljø i barnehagen, særlig hos flerspråklige barn."}
{"type": "researcher", "id": "r-ola", "name": "Ola Hansen", "units": ["u-ntnu-ipl"], "keywords": ["luftkvalitet", "klimatilpasning"], "bio": "Forsker på luftkvalitet, overvann og klimatilpasning i byer."}
{"type": "work", "id": "w-1", "title": "Språkutvikling hos barn i barnehagen: en studie av språkmiljøet", "abstract": "Vi har observert samtaler mellom ansatte og barn i tolv barnehager og ser hvordan et rikt språkmiljø styrker barnas ordforråd og språkutvikling. Barnehagene som satt av tid til samtaler og høytlesning hadde best resultater.", "year": 2022, "authors": ["r-kari"], "keywords": ["språkutvikling", "barnehage", "språkmiljø"]}
{"type": "work", "id": "w-2", "title": "Flerspråklige barn og ordforråd i barnehagen", "abstract": "Artikkelen undersøker hvordan flerspråklige barn utvikler ordforråd på norsk i barnehagen, og hvilke tiltak ansatte kan bruke for å styrke språkutviklingen.", "year": 2020, "authors": ["r-kari"], "keywords": ["flerspråklighet", "ordforråd", "barnehage"]}
{"type": "work", "id": "w-3", "title": "Overvann og klimatilpasning i norske byer", "abstract": "Vi beskriver hvordan kommuner håndterer overvann ved kraftig nedbør, og hvilke løsninger for klimatilpasning som virker.", "year": 2021, "authors": ["r-ola"], "keywords": ["overvann", "klimatilpasning"]}
{"type": "project", "id": "p-1", "title": "Språkløftet i Trondheims barnehager", "summary": "Prosjektet prøver ut tiltak for bedre språkmiljø og språkutvikling i kommunale barnehager, med kartlegging av ordforråd og kurs for ansatte.", "status": "active", "participants": ["r-kari"], "units": ["u-oppvekst", "u-ntnu-ipl"]}
{"type": "need", "id": "n-sprak", "title": "Språkutvikling i barnehage", "description": "Kommunen ønsker kunnskap om hvordan barnehagene kan styrke språkutviklingen hos barn, særlig flerspråklige barn, gjennom et bedre språkmiljø og mer samtale i hverdagen. Vi trenger hjelp til å velge og prøve ut tiltak.", "unit": "u-oppvekst", "focus_areas": ["oppvekst-og-utdanning"], "kinds": ["masteroppgave"], "posted": "2026-01-10", "status": "open"}
{"type": "need", "id": "n-overvann", "title": "Overvann i sentrum", "description": "Miljøenheten vil vite hvordan overvann ved kraftig nedbør kan håndteres bedre i sentrum, og hvilke tiltak for klimatilpasning som gir mest effekt.", "unit": "u-miljo", "focus_areas": ["klima-og-miljo"], "kinds": ["forskningsprosjekt"], "posted": "2026-02-01", "status": "open"}
"#;

/// A running server over a fresh engine with one account per role. The directory lives as long
/// as the value.
pub struct App {
    _dir: tempfile::TempDir,
    pub engine: Engine,
    pub base: String,
}

/// The roles of the authorisation matrix, by account name.
pub const ROLES: [&str; 6] = [
    "anonymous",
    "staff",
    "other-staff",
    "researcher",
    "coordinator",
    "admin",
];

/// Accounts of the demo partnership for [`App::start_demo`]: (name, role, unit, researcher).
pub const DEMO_ACCOUNTS: [(&str, Role, Option<&str>, Option<&str>); 3] = [
    ("staff", Role::Staff, Some("demo-u-trd-hjemme"), None),
    ("researcher", Role::Researcher, None, Some("demo-r04")),
    ("coordinator", Role::Coordinator, None, None),
];

impl App {
    /// The tiny Trondheim of [`FEED`], with one account per role.
    pub async fn start() -> App {
        let dir = tempfile::tempdir().expect("tempdir");
        let feed = dir.path().join("feed.jsonl");
        std::fs::write(&feed, FEED).expect("write feed");
        App::start_with(
            dir,
            feed,
            &[
                ("staff", Role::Staff, Some("u-oppvekst"), None),
                ("other-staff", Role::Staff, Some("u-miljo"), None),
                ("researcher", Role::Researcher, None, Some("r-kari")),
                ("researcher-ola", Role::Researcher, None, Some("r-ola")),
                ("coordinator", Role::Coordinator, None, None),
                ("admin", Role::Admin, None, None),
            ],
        )
        .await
    }

    /// The demo partnership (`fixtures/demo`: three municipalities, 38 researchers), with the
    /// accounts of [`DEMO_ACCOUNTS`].
    pub async fn start_demo() -> App {
        let dir = tempfile::tempdir().expect("tempdir");
        let demo = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/demo");
        App::start_with(dir, demo, &DEMO_ACCOUNTS).await
    }

    async fn start_with(
        dir: tempfile::TempDir,
        feed: std::path::PathBuf,
        accounts: &[(&str, Role, Option<&str>, Option<&str>)],
    ) -> App {
        let engine = Engine::open(&dir.path().join("data"))
            .await
            .expect("engine");
        let report = engine
            .import(&[feed], &ImportOptions::default(), &mut NoProgress)
            .await
            .expect("import");
        assert!(report.is_clean(), "{report:?}");
        for (name, role, unit, researcher) in accounts {
            engine
                .add_user(name, *role, *unit, *researcher, PASSWORD)
                .await
                .expect("add user");
        }
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = kobler_server::router(engine.clone())
            .into_make_service_with_connect_info::<SocketAddr>();
        tokio::spawn(async move { axum::serve(listener, app).await });
        App {
            _dir: dir,
            engine,
            base: format!("http://{addr}"),
        }
    }

    /// Waits until the results the background worker keeps (the pairing queue, overlaps,
    /// portfolio, network) reflect every change made so far.
    pub async fn settled(&self) {
        self.engine
            .derived_current(std::time::Duration::from_secs(60))
            .await
            .expect("derived results caught up");
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A browser: keeps cookies, does not follow redirects (so tests see the 303s).
    pub fn browser(&self) -> Browser {
        Browser {
            client: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: self.base.clone(),
        }
    }

    /// A browser signed in as `name` (or not signed in, for "anonymous").
    pub async fn signed_in(&self, name: &str) -> Browser {
        let browser = self.browser();
        if name != "anonymous" {
            let (status, _) = browser.sign_in(name, PASSWORD).await;
            assert_eq!(status, StatusCode::SEE_OTHER, "sign-in of {name}");
        }
        browser
    }
}

/// A cookie-keeping client.
pub struct Browser {
    pub client: reqwest::Client,
    base: String,
}

/// The value of the first hidden `csrf` field on a page.
pub fn csrf_of(page: &str) -> Option<String> {
    let marker = "name=\"csrf\" value=\"";
    let start = page.find(marker)? + marker.len();
    let end = page[start..].find('"')? + start;
    Some(page[start..end].to_string())
}

impl Browser {
    pub async fn get(&self, path: &str) -> (StatusCode, String) {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("send");
        (response.status(), response.text().await.expect("body"))
    }

    /// Where a redirect answer points.
    pub async fn location(&self, path: &str) -> Option<String> {
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("send");
        response
            .headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .form(form)
            .send()
            .await
            .expect("send");
        (response.status(), response.text().await.expect("body"))
    }

    /// The session's CSRF token, read from a page as a browser would have it.
    pub async fn csrf(&self) -> String {
        let (_, page) = self.get("/behov").await;
        csrf_of(&page).unwrap_or_default()
    }

    /// Posts a form with the session's CSRF token added.
    pub async fn submit(&self, path: &str, form: &[(&str, &str)]) -> (StatusCode, String) {
        let csrf = self.csrf().await;
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(form);
        self.post(path, &fields).await
    }

    /// Fills in and sends the sign-in form.
    pub async fn sign_in(&self, name: &str, password: &str) -> (StatusCode, String) {
        let (_, page) = self.get("/logg-inn").await;
        let csrf = csrf_of(&page).expect("sign-in form has a CSRF field");
        self.post(
            "/logg-inn",
            &[("csrf", &csrf), ("brukernavn", name), ("passord", password)],
        )
        .await
    }
}

impl App {
    /// Imports more Kobler JSON Lines into the running app's store; the import must be clean.
    pub async fn import(&self, lines: &str) {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("more.jsonl");
        std::fs::write(&file, lines).expect("write");
        let report = self
            .engine
            .import(&[file], &ImportOptions::default(), &mut NoProgress)
            .await
            .expect("import");
        assert!(report.is_clean(), "{report:?}");
    }
}

impl Browser {
    /// Sends a body as it is, with the content type given: for bodies a browser would never
    /// send (bytes that are not UTF-8, say).
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> (StatusCode, String) {
        let response = self
            .client
            .post(format!("{}{path}", self.base))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("send");
        (response.status(), response.text().await.unwrap_or_default())
    }
}
