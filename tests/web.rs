//! End-to-end tests of the web interface through HTTP, with cookie-keeping clients: sign-in,
//! CSRF refusals, the sign-in rate limit, and the main path from a posted need to a researcher
//! who is told about it.

mod support;

use reqwest::StatusCode;
use support::{App, PASSWORD, csrf_of};

#[tokio::test]
async fn sign_in_sets_a_protected_cookie_and_sign_out_ends_the_session() {
    let app = App::start().await;
    let browser = app.browser();
    let (_, page) = browser.get("/logg-inn").await;
    let csrf = csrf_of(&page).expect("csrf field");
    let response = browser
        .client
        .post(app.url("/logg-inn"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("brukernavn", "staff"),
            ("passord", PASSWORD),
            ("neste", "/behov/n-sprak"),
        ])
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], "/behov/n-sprak");
    let cookie = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("kobler_session="))
        .expect("session cookie")
        .to_string();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    // Plain http on localhost: not Secure (the router's default; `serve` decides otherwise).
    assert!(!cookie.contains("Secure"), "{cookie}");
    let (status, page) = browser.get("/mine-behov").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Språkutvikling i barnehage"), "{page}");

    let (status, _) = browser.submit("/logg-ut", &[]).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(
        browser.location("/mine-behov").await.as_deref(),
        Some("/logg-inn?neste=/mine-behov")
    );
}

#[tokio::test]
async fn wrong_passwords_are_refused_in_norwegian() {
    let app = App::start().await;
    let (status, page) = app.browser().sign_in("staff", "not-the-password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert!(page.contains("Feil brukernavn eller passord."), "{page}");
    assert!(
        page.contains(r#"aria-describedby="innlogging-feil""#),
        "{page}"
    );
}

#[tokio::test]
async fn forms_without_the_sessions_csrf_token_are_refused() {
    let app = App::start().await;
    let staff = app.signed_in("staff").await;
    let need = [
        ("tittel", "Lesing i småskolen"),
        (
            "beskrivelse",
            "Vi vil vite hvordan vi kan styrke leseferdighetene.",
        ),
    ];
    let (status, page) = staff.post("/behov/ny", &need).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(page.contains("Skjemaet kunne ikke sendes"), "{page}");
    let mut forged = vec![("csrf", "0123456789abcdef")];
    forged.extend_from_slice(&need);
    let (status, _) = staff.post("/behov/ny", &forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = staff.post("/logg-ut", &[]).await;
    assert_eq!(
        status,
        StatusCode::FORBIDDEN,
        "sign-out needs the token too"
    );
    // The sign-in form has its own token before there is a session.
    let (status, _) = app
        .browser()
        .post(
            "/logg-inn",
            &[("brukernavn", "staff"), ("passord", PASSWORD)],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // Nothing was posted.
    assert_eq!(
        app.engine
            .unit_needs("u-oppvekst")
            .await
            .expect("needs")
            .len(),
        1
    );
}

#[tokio::test]
async fn the_sixth_sign_in_after_five_failures_is_refused_with_429() {
    let app = App::start().await;
    let browser = app.browser();
    for _ in 0..5 {
        let (status, _) = browser.sign_in("coordinator", "wrong-password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused now: the limit holds for the user name.
    let (status, page) = browser.sign_in("coordinator", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.contains("For mange mislykkede innlogginger"), "{page}");
    // And for the address: another name from the same client is refused too.
    let (status, _) = browser.sign_in("admin", PASSWORD).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn posting_a_need_names_every_broken_field_next_to_it() {
    let app = App::start().await;
    let staff = app.signed_in("staff").await;
    let (status, page) = staff
        .submit(
            "/behov/ny",
            &[
                ("tittel", ""),
                ("beskrivelse", "Noe"),
                ("frist", "i morgen"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{page}");
    assert!(page.contains("Skriv en tittel."), "{page}");
    assert!(page.contains(r#"aria-describedby="tittel-feil""#), "{page}");
    assert!(page.contains(r#"id="tittel-feil""#), "{page}");
    assert!(page.contains("Skriv fristen som en dato"), "{page}");
    assert!(page.contains("frist-feil"), "{page}");
    // What was typed is kept.
    assert!(page.contains(">Noe</textarea>"), "{page}");
}

#[tokio::test]
async fn a_posted_need_reaches_the_researcher_a_coordinator_pairs_with_the_department() {
    let app = App::start().await;
    // Staff post a need and are shown what it overlaps.
    let staff = app.signed_in("staff").await;
    let (status, page) = staff
        .submit(
            "/behov/ny",
            &[
                ("tittel", "Flerspråklige barns ordforråd i barnehagen"),
                (
                    "beskrivelse",
                    "Barnehagene vil styrke ordforrådet og språkutviklingen hos flerspråklige barn gjennom et rikt språkmiljø, samtaler og høytlesning.",
                ),
                ("fokus", "oppvekst-og-utdanning"),
                ("typer", "masteroppgave"),
                ("typer", "forskningsprosjekt"),
                ("frist", "2099-06-30"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{page}");
    assert!(page.contains("Behovet er meldt inn"), "{page}");
    assert!(page.contains("Lignende behov og prosjekter"), "{page}");
    assert!(
        page.contains("Språkutvikling i barnehage") || page.contains("Språkløftet"),
        "the similar need or project is shown: {page}"
    );
    let needs = app.engine.unit_needs("u-oppvekst").await.expect("needs");
    let posted = needs
        .iter()
        .find(|n| n.title.starts_with("Flerspråklige"))
        .expect("stored");
    assert_eq!(posted.focus_areas, ["oppvekst-og-utdanning"]);
    assert_eq!(posted.kinds, ["masteroppgave", "forskningsprosjekt"]);

    // The coordinator's queue suggests Kari for the department, with the need as evidence
    // (once the background worker has matched the new need).
    app.settled().await;
    let coordinator = app.signed_in("coordinator").await;
    let (status, queue) = coordinator.get("/koordinering/forslag").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        queue.contains("Kari Nordmann ↔ Oppvekst og utdanning"),
        "{queue}"
    );
    assert!(queue.contains("Flerspråklige barns ordforråd"), "{queue}");

    // Before the pairing, Kari is matched with no one.
    let kari = app.signed_in("researcher").await;
    let (_, before) = kari.get("/for-meg").await;
    assert!(
        before.contains("Ingen koordinator har koblet deg"),
        "{before}"
    );

    let (status, _) = coordinator
        .submit(
            "/koordinering/forslag",
            &[
                ("enhet", "u-oppvekst"),
                ("forsker", "r-kari"),
                ("beslutning", "accept"),
                ("notat", "Sterk på språkmiljø; intern vurdering"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, queue) = coordinator.get("/koordinering/forslag").await;
    assert!(
        !queue.contains("Kari Nordmann ↔ Oppvekst og utdanning"),
        "decided: {queue}"
    );
    assert!(
        queue.contains("Sterk på språkmiljø"),
        "the audit trail shows the note"
    );

    // Kari now sees the department and its new need, but not the coordinator's note.
    let (status, after) = kari.get("/for-meg").await;
    assert_eq!(status, StatusCode::OK);
    assert!(after.contains("Oppvekst og utdanning"), "{after}");
    assert!(
        after.contains("Flerspråklige barns ordforråd i barnehagen"),
        "{after}"
    );
    assert!(!after.contains("Sterk på språkmiljø"), "{after}");
    // The staff see who they were paired with, again without the note.
    let (_, mine) = staff.get("/mine-behov").await;
    assert!(mine.contains("Kari Nordmann"), "{mine}");
    assert!(!mine.contains("Sterk på språkmiljø"), "{mine}");
}

#[tokio::test]
async fn a_rejected_pairing_is_not_suggested_again() {
    let app = App::start().await;
    let coordinator = app.signed_in("coordinator").await;
    let (_, queue) = coordinator.get("/koordinering/forslag").await;
    assert!(queue.contains("Ola Hansen ↔ Miljøenheten"), "{queue}");
    let (status, _) = coordinator
        .submit(
            "/koordinering/forslag",
            &[
                ("enhet", "u-miljo"),
                ("forsker", "r-ola"),
                ("beslutning", "reject"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, queue) = coordinator.get("/koordinering/forslag").await;
    assert!(!queue.contains("Ola Hansen ↔ Miljøenheten"), "{queue}");
    let matches = app
        .engine
        .match_departments(&["u-miljo".to_string()], 10)
        .await
        .expect("match");
    assert!(
        matches[0]
            .suggestions
            .iter()
            .all(|s| s.researcher != "r-ola"),
        "the engine no longer suggests the rejected pairing"
    );
    // A deferred pairing stays in the queue, marked.
    let (status, _) = coordinator
        .submit(
            "/koordinering/forslag",
            &[
                ("enhet", "u-oppvekst"),
                ("forsker", "r-kari"),
                ("beslutning", "defer"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, queue) = coordinator.get("/koordinering/forslag").await;
    assert!(
        queue.contains("Kari Nordmann ↔ Oppvekst og utdanning"),
        "{queue}"
    );
    assert!(queue.contains("Utsatt"), "{queue}");
}

#[tokio::test]
async fn interest_is_seen_by_the_needs_unit_and_never_by_other_researchers() {
    let app = App::start().await;
    let kari = app.signed_in("researcher").await;
    let (status, _) = kari
        .submit("/behov/n-sprak/interesse", &[("interessert", "ja")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = kari.get("/behov/n-sprak").await;
    assert!(page.contains("Du har sagt at du er interessert"), "{page}");

    let staff = app.signed_in("staff").await;
    let (_, page) = staff.get("/behov/n-sprak").await;
    assert!(page.contains("Interesserte forskere"), "{page}");
    assert!(page.contains("Kari Nordmann"), "{page}");

    let ola = app.signed_in("researcher-ola").await;
    let (_, page) = ola.get("/behov/n-sprak").await;
    assert!(!page.contains("Interesserte forskere"), "{page}");
    assert!(!page.contains("Kari Nordmann"), "{page}");
    let other = app.signed_in("other-staff").await;
    let (_, page) = other.get("/behov/n-sprak").await;
    assert!(!page.contains("Kari Nordmann"), "{page}");

    let (status, _) = kari
        .submit("/behov/n-sprak/interesse", &[("interessert", "nei")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page) = staff.get("/behov/n-sprak").await;
    assert!(page.contains("Ingen har meldt interesse ennå."), "{page}");
}

#[tokio::test]
async fn staff_close_and_reopen_their_need_and_closed_needs_leave_the_open_list() {
    let app = App::start().await;
    let staff = app.signed_in("staff").await;
    let (status, _) = staff
        .submit("/behov/n-sprak/status", &[("status", "closed")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, list) = app.browser().get("/behov?q=barnehage").await;
    assert!(!list.contains("/behov/n-sprak\""), "{list}");
    let (_, list) = app.browser().get("/behov?q=barnehage&status=closed").await;
    assert!(list.contains("/behov/n-sprak\""), "{list}");
    let (status, _) = staff
        .submit("/behov/n-sprak/status", &[("status", "open")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let need = app
        .engine
        .need("n-sprak")
        .await
        .expect("need")
        .expect("exists");
    assert_eq!(need.status.as_str(), "open");
}

#[tokio::test]
async fn the_json_api_accepts_the_session_cookie_with_its_csrf_header() {
    let app = App::start().await;
    let staff = app.signed_in("staff").await;
    let response = staff
        .client
        .get(app.url("/api/v1/needs/n-sprak/matches"))
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::OK);
    let body = serde_json::json!({
        "title": "Språkløft i skolen",
        "description": "Skolene vil styrke leseferdighetene.",
        "focus_areas": ["oppvekst-og-utdanning"],
        "kinds": ["masteroppgave"]
    });
    let refused = staff
        .client
        .post(app.url("/api/v1/needs"))
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let csrf = staff.csrf().await;
    let accepted = staff
        .client
        .post(app.url("/api/v1/needs"))
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
        .expect("send");
    assert_eq!(accepted.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn the_network_page_draws_an_accessible_svg_and_lists_the_same_links_in_a_table() {
    let app = App::start().await;
    let coordinator = app.signed_in("coordinator").await;
    let (status, page) = coordinator.get("/koordinering/nettverk").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains(r#"<svg role="img" aria-labelledby="nett-tittel nett-beskrivelse""#),
        "{page}"
    );
    assert!(
        page.contains(r#"<title id="nett-tittel">Nettverk</title>"#),
        "{page}"
    );
    assert!(page.contains(r#"<desc id="nett-beskrivelse">"#), "{page}");
    // Kari's project with Oppvekst: a square for the unit, a circle for her, a table row.
    assert!(page.contains(r#"class="node-unit""#), "{page}");
    assert!(page.contains(r#"class="node-researcher""#), "{page}");
    let table = &page[page.find(r#"id="h-forbindelser""#).expect("links table")..];
    assert!(table.contains("Kari Nordmann"), "{table}");
    assert!(table.contains("Oppvekst og utdanning"), "{table}");
    assert!(
        table.contains(r#"href="/koordinering/nettverk?forsker=r-kari&#38;dybde=1&#38;grense=30""#),
        "names lead to their own neighbourhood: {table}"
    );

    // Finding by part of a name centres the drawing on the one who matches.
    let (status, page) = coordinator
        .get("/koordinering/nettverk?finn=kari&dybde=2")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("<h1>Nettverket rundt Kari Nordmann</h1>"),
        "{page}"
    );
    assert!(page.contains(r#"class="focus-ring""#), "{page}");
    assert!(page.contains("Kari Nordmann i midten"), "{page}");

    let (status, page) = coordinator.get("/koordinering/nettverk?finn=zzz").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("Fant ingen forsker eller kommunal enhet med «zzz»"),
        "{page}"
    );

    let (status, page) = coordinator
        .get("/koordinering/nettverk?forsker=ukjent")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(page.contains("Fant ikke siden"), "{page}");

    let (status, _) = app
        .signed_in("researcher")
        .await
        .get("/koordinering/nettverk")
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_search_page_offers_facets_with_counts_sorting_and_marks_the_query_words() {
    let app = App::start().await;
    let browser = app.browser();
    let (status, page) = browser.get("/behov?q=barnehage").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("<mark>"),
        "the query's words are marked: {page}"
    );
    for label in [
        r#"<label for="fokus">Fokusområde</label>"#,
        r#"<label for="kommune">Kommune</label>"#,
        r#"<label for="enhet">Enhet</label>"#,
        r#"<label for="type">Samarbeidsform</label>"#,
        r#"<label for="sprak">Språk</label>"#,
        r#"<label for="status">Status</label>"#,
        r#"<label for="sorter">Sorter etter</label>"#,
    ] {
        assert!(page.contains(label), "{label} missing: {page}");
    }
    assert!(
        page.contains(
            r#"<option value="u-oppvekst">Oppvekst og utdanning, Trondheim (1)</option>"#
        ),
        "{page}"
    );
    assert!(
        page.contains(r#"<option value="masteroppgave">Masteroppgave (1)</option>"#),
        "{page}"
    );
    // A department filter keeps that department's needs only.
    let (_, page) = browser.get("/behov?enhet=u-miljo").await;
    assert!(page.contains("Overvann i sentrum"), "{page}");
    assert!(!page.contains("Språkutvikling i barnehage</a>"), "{page}");
    // Sorting by deadline and odd parameters never fail.
    for path in [
        "/behov?sorter=frist",
        "/behov?sorter=nyeste&side=999",
        "/behov?sorter=%FF&sprak=xx&type=&enhet=%00",
    ] {
        let (status, page) = browser.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {page}");
    }
}

#[tokio::test]
async fn the_portfolio_explains_first_match_and_charts_the_days_to_it() {
    let app = App::start().await;
    let researcher = app.signed_in("researcher").await;
    let (status, _) = researcher
        .submit("/behov/n-sprak/interesse", &[("interessert", "ja")])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    app.settled().await;
    let coordinator = app.signed_in("coordinator").await;
    let (status, page) = coordinator.get("/koordinering/portefolje").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("<h2 id=\"h-treff\">Tid til første treff</h2>"),
        "{page}"
    );
    assert!(page.contains("meldte interesse for behovet"), "{page}");
    assert!(page.contains("godtok en kobling"), "{page}");
    assert!(page.contains("1 behov har fått treff"), "{page}");
    assert!(
        page.contains("(1 først gjennom interesse, 0 først gjennom en godtatt kobling)"),
        "{page}"
    );
    assert!(page.contains(r#"id="chart-treff-fokus""#), "{page}");
    assert!(page.contains(r#"id="tabell-treff-fordeling""#), "{page}");
    // The need still waiting is listed with how long it has waited.
    let waiting = &page[page.find("ventet lengst uten treff").expect("waiting list")..];
    assert!(waiting.contains("Overvann i sentrum"), "{waiting}");
}
