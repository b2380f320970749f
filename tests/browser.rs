//! Browser tests: the real server over a real engine, driven through headless Chromium with
//! WebDriver (chromedriver), page by page as people use it — with the mouse and with the
//! keyboard.
//!
//! When `chromedriver` is not installed the tests say they are skipped and pass; with
//! `KOBLER_REQUIRE_BROWSER=1` (CI sets it) a missing browser fails them. With
//! `KOBLER_SCREENSHOTS=DIR` they also save screenshots of the pages they pass into `DIR`
//! (`docs/screenshots/` holds the ones in the README).

mod support;

use fantoccini::{Client, ClientBuilder, Locator};
use kobler_engine::{PairingVerdict, User};
use serde_json::{Value, json};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{App, PASSWORD};

/// How long a page gets to show what a test waits for.
const PATIENCE: Duration = Duration::from_secs(15);

/// WebDriver's code for the Tab key.
const TAB: &str = "\u{E004}";
/// WebDriver's code for the Enter key.
const ENTER: &str = "\u{E007}";

/// `name` on `PATH`, if it is there.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// A chromedriver on a free loopback port, stopped when dropped.
struct Driver {
    child: Child,
    url: String,
}

impl Driver {
    /// Starts chromedriver, or `None` (after saying so) when it is not installed and the
    /// browser is not required.
    fn start(test: &str) -> Option<Driver> {
        let binary = std::env::var_os("CHROMEDRIVER")
            .map(PathBuf::from)
            .or_else(|| on_path("chromedriver"));
        let Some(binary) = binary else {
            let required = std::env::var("KOBLER_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
            assert!(
                !required,
                "{test}: KOBLER_REQUIRE_BROWSER=1 but chromedriver is not installed \
                 (apt-get install chromium chromium-driver)"
            );
            eprintln!("{test}: skipped, chromedriver is not installed");
            return None;
        };
        // A port the OS just handed out is free; chromedriver takes it over.
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = Command::new(&binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", binary.display()));
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let addr = SocketAddr::from(([127, 0, 0, 1], port));
        let started = Instant::now();
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(
                started.elapsed() < PATIENCE,
                "chromedriver did not listen on {addr}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(driver)
    }

    /// A headless Chromium session, 1280×900.
    async fn session(&self) -> Client {
        // `--no-sandbox`: tests run as root in CI containers, where Chromium refuses its sandbox.
        let args = [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--window-size=1280,900",
            "--lang=nb-NO",
        ];
        let mut options = json!({ "args": args });
        if let Some(chrome) = std::env::var_os("CHROME")
            .map(PathBuf::from)
            .or_else(|| on_path("chromium"))
        {
            options["binary"] = json!(chrome);
        }
        let mut capabilities = serde_json::Map::new();
        capabilities.insert("goog:chromeOptions".into(), options);
        ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(capabilities)
            .connect(&self.url)
            .await
            .expect("a WebDriver session")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Our own child, by its handle.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `test` in one browser session against a fresh server, and ends the session whether
/// the test passed or not (so no Chromium outlives a failed test).
async fn with_browser<F, Fut>(name: &str, test: F)
where
    F: FnOnce(App, Client) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    with_browser_on(name, false, test).await;
}

/// [`with_browser`] on the demo partnership (`demo`) or the tiny Trondheim.
async fn with_browser_on<F, Fut>(name: &str, demo: bool, test: F)
where
    F: FnOnce(App, Client) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let Some(driver) = Driver::start(name) else {
        return;
    };
    let app = if demo {
        App::start_demo().await
    } else {
        App::start().await
    };
    let client = driver.session().await;
    let outcome = tokio::spawn(test(app, client.clone())).await;
    let _ = client.close().await;
    drop(driver);
    if let Err(error) = outcome {
        std::panic::resume_unwind(error.into_panic());
    }
}

/// Waits until the page's source contains `needle`, or fails saying what the page showed.
async fn wait_for_text(client: &Client, needle: &str) -> String {
    let started = Instant::now();
    loop {
        let source = client.source().await.expect("page source");
        if source.contains(needle) {
            return source;
        }
        if started.elapsed() > PATIENCE {
            let url = client.current_url().await.map(|u| u.to_string());
            panic!("{needle:?} never appeared on {url:?}:\n{source}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Saves a screenshot of the page as `DIR/name.png` when `KOBLER_SCREENSHOTS=DIR` is set.
async fn screenshot(client: &Client, name: &str) {
    let Some(dir) = std::env::var_os("KOBLER_SCREENSHOTS") else {
        return;
    };
    let png = client.screenshot().await.expect("screenshot");
    let path = Path::new(&dir).join(format!("{name}.png"));
    std::fs::create_dir_all(Path::new(&dir)).expect("screenshot directory");
    std::fs::write(&path, png).expect("write screenshot");
}

/// Signs in through the sign-in page as a person would, and waits for the signed-in page.
async fn sign_in(client: &Client, app: &App, name: &str) {
    client
        .goto(&app.url("/logg-inn"))
        .await
        .expect("sign-in page");
    client
        .find(Locator::Id("brukernavn"))
        .await
        .expect("user name field")
        .send_keys(name)
        .await
        .expect("type user name");
    client
        .find(Locator::Id("passord"))
        .await
        .expect("password field")
        .send_keys(PASSWORD)
        .await
        .expect("type password");
    client
        .find(Locator::Css("form.form button[type=submit]"))
        .await
        .expect("sign-in button")
        .click()
        .await
        .expect("click sign in");
    wait_for_text(client, "Logg ut").await;
}

/// Signs out with the header's button.
async fn sign_out(client: &Client) {
    client
        .find(Locator::XPath("//form[@action='/logg-ut']//button"))
        .await
        .expect("sign-out button")
        .click()
        .await
        .expect("click sign out");
    wait_for_text(client, "href=\"/logg-inn\"").await;
}

/// Types into the field with this id.
async fn fill(client: &Client, id: &str, text: &str) {
    client
        .find(Locator::Id(id))
        .await
        .unwrap_or_else(|e| panic!("field #{id}: {e}"))
        .send_keys(text)
        .await
        .unwrap_or_else(|e| panic!("type into #{id}: {e}"));
}

async fn click(client: &Client, locator: Locator<'_>) {
    client
        .find(locator)
        .await
        .unwrap_or_else(|e| panic!("{locator:?}: {e}"))
        .click()
        .await
        .unwrap_or_else(|e| panic!("click {locator:?}: {e}"));
}

const NEW_TITLE: &str = "Lesing og samtale i barnehagen";

#[tokio::test]
async fn staff_posts_a_need_a_coordinator_accepts_a_researcher_and_the_researcher_sees_it() {
    with_browser("main path", |app, client| async move {
        // Staff of Oppvekst post a need through the form.
        client.goto(&app.url("/logg-inn")).await.expect("sign-in page");
        screenshot(&client, "sign-in").await;
        sign_in(&client, &app, "staff").await;
        click(&client, Locator::LinkText("Meld inn behov")).await;
        wait_for_text(&client, "Meld inn behovet").await;
        fill(&client, "tittel", NEW_TITLE).await;
        fill(
            &client,
            "beskrivelse",
            "Barnehagene vil styrke språkutviklingen hos flerspråklige barn med mer høytlesning og \
             samtale i hverdagen. Vi ønsker forskning på hvilke tiltak i språkmiljøet som virker.",
        )
        .await;
        click(&client, Locator::Id("fokus-oppvekst-og-utdanning")).await;
        click(&client, Locator::Id("typer-forskningsprosjekt")).await;
        click(&client, Locator::Css("form.form button[type=submit]")).await;
        let posted = wait_for_text(&client, "Behovet er meldt inn").await;
        assert!(posted.contains(NEW_TITLE), "{posted}");
        sign_out(&client).await;

        // A coordinator accepts Kari for Oppvekst, with a note (once the background worker
        // has matched the new need).
        app.settled().await;
        sign_in(&client, &app, "coordinator").await;
        client
            .goto(&app.url("/koordinering/forslag"))
            .await
            .expect("review queue");
        let queue = wait_for_text(&client, "Forslag til koblinger").await;
        assert!(queue.contains(NEW_TITLE), "the new need is behind a suggestion: {queue}");
        screenshot(&client, "review-queue").await;
        let card = client
            .find(Locator::XPath(
                "//article[.//h2[contains(., 'Kari Nordmann') and contains(., 'Oppvekst og utdanning')]]",
            ))
            .await
            .expect("Kari suggested for Oppvekst");
        card.find(Locator::Css("textarea"))
            .await
            .expect("note field")
            .send_keys("Kjenner barnehagene fra Språkløftet")
            .await
            .expect("type note");
        card.find(Locator::Css("button[value=accept]"))
            .await
            .expect("accept button")
            .click()
            .await
            .expect("accept");
        let audit = wait_for_text(&client, "Godtatt").await;
        assert!(audit.contains("Kjenner barnehagene fra Språkløftet"), "{audit}");
        assert!(
            client
                .find_all(Locator::XPath(
                    "//article[.//h2[contains(., 'Kari Nordmann') and contains(., 'Oppvekst og utdanning')]]",
                ))
                .await
                .expect("cards")
                .is_empty(),
            "an accepted pairing leaves the queue"
        );
        client
            .goto(&app.url("/koordinering/portefolje"))
            .await
            .expect("portfolio");
        // The portfolio's screenshot comes from the demo data (the network test).
        wait_for_text(&client, "Portefølje").await;
        sign_out(&client).await;

        // Kari sees the department and its new need, without the coordinator's note.
        sign_in(&client, &app, "researcher").await;
        click(&client, Locator::LinkText("Behov for meg")).await;
        let page = wait_for_text(&client, "Koblet med deg").await;
        let matched = client
            .find(Locator::Css("section[aria-labelledby=h-koblet]"))
            .await
            .expect("matched section")
            .text()
            .await
            .expect("text");
        assert!(matched.contains("Oppvekst og utdanning"), "{matched}");
        assert!(matched.contains(NEW_TITLE), "{matched}");
        assert!(!page.contains("Kjenner barnehagene"), "notes are for coordinators");
    })
    .await;
}

#[tokio::test]
async fn the_skip_link_is_the_first_tab_stop_is_visible_when_focused_and_moves_focus_to_main() {
    with_browser("skip link", |app, client| async move {
        client
            .goto(&app.url("/behov?q=barnehage"))
            .await
            .expect("search");
        wait_for_text(&client, "Søk i kunnskapsbehov").await;
        screenshot(&client, "search").await;
        client
            .find(Locator::Css("body"))
            .await
            .expect("body")
            .send_keys(TAB)
            .await
            .expect("tab");
        let focused = client.active_element().await.expect("focused element");
        assert_eq!(
            focused.attr("class").await.expect("class").as_deref(),
            Some("skip-link")
        );
        assert_eq!(
            focused.text().await.expect("text"),
            "Hopp til hovedinnholdet"
        );
        // Focus is visible: the link is on screen and drawn with a solid outline.
        let look: Value = client
            .execute(
                "const e = document.activeElement; const s = getComputedStyle(e); \
                 const r = e.getBoundingClientRect(); \
                 return {visible: e.matches(':focus-visible'), style: s.outlineStyle, \
                         width: parseFloat(s.outlineWidth), top: r.top, left: r.left, \
                         height: r.height};",
                vec![],
            )
            .await
            .expect("style");
        assert_eq!(look["visible"], true, "{look}");
        assert_eq!(look["style"], "solid", "{look}");
        assert!(look["width"].as_f64().is_some_and(|w| w >= 2.0), "{look}");
        assert!(
            look["top"].as_f64().is_some_and(|t| t >= 0.0)
                && look["left"].as_f64().is_some_and(|l| l >= 0.0)
                && look["height"].as_f64().is_some_and(|h| h > 0.0),
            "the focused skip link is on screen: {look}"
        );
        focused.send_keys(ENTER).await.expect("enter");
        let active: Value = client
            .execute("return document.activeElement.id;", vec![])
            .await
            .expect("active id");
        assert_eq!(
            active, "hovedinnhold",
            "Enter moves focus to the main content"
        );
        // The next Tab stop is inside the main content, past the menu.
        client
            .active_element()
            .await
            .expect("main")
            .send_keys(TAB)
            .await
            .expect("tab");
        let inside: Value = client
            .execute(
                "return document.getElementById('hovedinnhold').contains(document.activeElement);",
                vec![],
            )
            .await
            .expect("inside main");
        assert_eq!(inside, true);
    })
    .await;
}

#[tokio::test]
async fn an_empty_need_form_is_shown_again_with_a_summary_and_each_field_marked_invalid() {
    with_browser("form errors", |app, client| async move {
        sign_in(&client, &app, "staff").await;
        client.goto(&app.url("/behov/ny")).await.expect("form");
        wait_for_text(&client, "Meld inn behovet").await;
        fill(&client, "tittel", "Ja").await;
        click(&client, Locator::Css("form.form button[type=submit]")).await;
        let page = wait_for_text(&client, "feiloppsummering").await;
        let summary = client
            .find(Locator::Id("feiloppsummering"))
            .await
            .expect("error summary");
        assert_eq!(
            summary.attr("role").await.expect("role").as_deref(),
            Some("alert")
        );
        let links = summary
            .find_all(Locator::Css("a"))
            .await
            .expect("summary links");
        assert!(!links.is_empty(), "the summary links to the fields: {page}");
        let description = client
            .find(Locator::Id("beskrivelse"))
            .await
            .expect("field");
        assert_eq!(
            description
                .attr("aria-invalid")
                .await
                .expect("aria-invalid")
                .as_deref(),
            Some("true")
        );
        // What was typed is kept.
        assert_eq!(
            client
                .find(Locator::Id("tittel"))
                .await
                .expect("title")
                .prop("value")
                .await
                .expect("value")
                .as_deref(),
            Some("Ja")
        );
        screenshot(&client, "need-form-errors").await;
    })
    .await;
}

/// A user as the engine sees one, for setting the scene without clicking.
fn user(name: &str, role: &str, researcher: Option<&str>) -> User {
    User {
        name: name.into(),
        role: role.parse().expect("a role"),
        unit: None,
        researcher: researcher.map(str::to_string),
    }
}

/// Shows the whole page in the screenshot: the window as tall as the page (within reason).
async fn fit_window_to_page(client: &Client) {
    let height: Value = client
        .execute("return document.documentElement.scrollHeight;", vec![])
        .await
        .expect("page height");
    let height = height.as_u64().unwrap_or(900).clamp(900, 3200) as u32;
    client
        .set_window_size(1280, height)
        .await
        .expect("window size");
}

#[tokio::test]
async fn a_coordinator_centres_the_network_on_a_researcher_by_keyboard_and_reads_the_portfolio() {
    with_browser_on("network and portfolio", true, |app, client| async move {
        // Some first matches: researchers mark interest, a coordinator accepts pairings.
        for (researcher, need) in [
            ("demo-r04", "demo-n02"),
            ("demo-r01", "demo-n01"),
            ("demo-r03", "demo-n17"),
            ("demo-r01", "demo-n30"),
        ] {
            app.engine
                .set_interest(&user(researcher, "researcher", Some(researcher)), need, true)
                .await
                .expect("interest");
        }
        let coordinator = user("coordinator", "coordinator", None);
        for (unit, researcher) in [
            ("demo-u-trd-hjemme", "demo-r01"),
            ("demo-u-trd-barnehage", "demo-r10"),
            ("demo-u-trd-miljo", "demo-r16"),
        ] {
            app.engine
                .decide_pairing(&coordinator, unit, researcher, PairingVerdict::Accepted, None)
                .await
                .expect("pairing");
        }

        // Two needs posted today, one answered the same day: the fast end of the distribution.
        for (title, area) in [
            ("Digital tilsynsteknologi om natten", "helse-og-velferd"),
            ("Trygg skolevei i nye boligfelt", "byutvikling"),
        ] {
            let body = json!({
                "title": title,
                "description": format!("{title}: kommunen vil vite hva som virker, og ønsker et samarbeid med forskere om å prøve det ut."),
                "unit": "demo-u-trd-hjemme",
                "focus_areas": [area],
                "kinds": ["masteroppgave"],
            });
            let (need, _) = app
                .engine
                .create_need(&coordinator, &body)
                .await
                .expect("need");
            if area == "helse-og-velferd" {
                app.engine
                    .set_interest(&user("demo-r02", "researcher", Some("demo-r02")), &need.id, true)
                    .await
                    .expect("interest");
            }
        }

        sign_in(&client, &app, "coordinator").await;
        click(&client, Locator::LinkText("Nettverk")).await;
        let page = wait_for_text(&client, "nett-beskrivelse").await;
        assert!(page.contains("Forbindelsene"), "{page}");
        fit_window_to_page(&client).await;
        screenshot(&client, "network").await;
        client
            .set_window_size(1280, 900)
            .await
            .expect("window size");

        // By keyboard: two links out (typing in the select picks "To ledd"), then the name
        // and Enter.
        client
            .find(Locator::Id("dybde"))
            .await
            .expect("depth")
            .send_keys("T")
            .await
            .expect("choose depth");
        client
            .find(Locator::Id("finn"))
            .await
            .expect("name field")
            .send_keys(&format!("Solbakken{ENTER}"))
            .await
            .expect("type and submit");
        let page = wait_for_text(&client, "<h1>Nettverket rundt Ingrid Solbakken</h1>").await;
        assert!(page.contains("focus-ring"), "{page}");
        assert!(page.contains("innen 2 ledd"), "the depth chosen by keyboard: {page}");
        let drawing = client
            .find(Locator::Css("svg.network-drawing"))
            .await
            .expect("drawing");
        assert_eq!(
            drawing.attr("role").await.expect("role").as_deref(),
            Some("img")
        );
        let rows = client
            .find_all(Locator::Css("section[aria-labelledby=h-forbindelser] tbody tr"))
            .await
            .expect("rows");
        assert!(!rows.is_empty(), "the links are in the table too");
        // Hjemmetjenesten is linked to her: by a project, and by the accepted pairing.
        let table = client
            .find(Locator::Css("section[aria-labelledby=h-forbindelser]"))
            .await
            .expect("table")
            .text()
            .await
            .expect("text");
        assert!(table.contains("Hjemmetjenesten"), "{table}");
        fit_window_to_page(&client).await;
        screenshot(&client, "network-focus").await;
        client
            .set_window_size(1280, 900)
            .await
            .expect("window size");

        click(&client, Locator::LinkText("Portefølje")).await;
        let page = wait_for_text(&client, "Tid til første treff").await;
        assert!(page.contains("chart-treff-fokus"), "{page}");
        fit_window_to_page(&client).await;
        screenshot(&client, "portfolio").await;
    })
    .await;
}
