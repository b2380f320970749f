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
}

#[tokio::test]
async fn one_persons_typos_slow_their_name_but_do_not_lock_out_their_office() {
    let app = App::start().await;
    // Everyone here shares one address, as a municipal office behind NAT does.
    let typo = app.browser();
    for _ in 0..5 {
        let (status, _) = typo.sign_in("coordinator", "wrong-password").await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let (_, page) = typo.get("/logg-inn").await;
    let csrf = csrf_of(&page).expect("csrf");
    let response = typo
        .client
        .post(app.url("/logg-inn"))
        .form(&[
            ("csrf", csrf.as_str()),
            ("brukernavn", "COORDINATOR"),
            ("passord", PASSWORD),
        ])
        .send()
        .await
        .expect("send");
    assert_eq!(
        response.status(),
        StatusCode::TOO_MANY_REQUESTS,
        "names are case-blind"
    );
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .expect("text")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    // A colleague at the next desk signs in as usual, and so do others after more typos.
    let (status, _) = app.browser().sign_in("admin", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    for _ in 0..10 {
        let (status, _) = app.browser().sign_in("staff", "typo").await;
        assert!(status == StatusCode::UNAUTHORIZED || status == StatusCode::TOO_MANY_REQUESTS);
    }
    let (status, _) = app.browser().sign_in("researcher", PASSWORD).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
}

/// The shortest time of `n` sign-ins as `name` with a wrong password.
async fn fastest_failed_sign_in(app: &App, name: &str, n: usize) -> std::time::Duration {
    let browser = app.browser();
    let mut fastest = std::time::Duration::MAX;
    for _ in 0..n {
        let (_, page) = browser.get("/logg-inn").await;
        let csrf = csrf_of(&page).expect("csrf");
        let started = std::time::Instant::now();
        let (status, _) = browser
            .post(
                "/logg-inn",
                &[
                    ("csrf", csrf.as_str()),
                    ("brukernavn", name),
                    ("passord", "wrong-password"),
                ],
            )
            .await;
        fastest = fastest.min(started.elapsed());
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    fastest
}

#[tokio::test]
async fn known_and_unknown_user_names_are_answered_in_the_same_time() {
    let app = App::start().await;
    // Warm up (the first password check of a process costs more).
    fastest_failed_sign_in(&app, "admin", 1).await;
    let known = fastest_failed_sign_in(&app, "coordinator", 3).await;
    let unknown = fastest_failed_sign_in(&app, "no-such-user", 3).await;
    // Without the dummy hash an unknown name is answered in a fraction of a millisecond, a
    // known one in the tens of milliseconds an argon2 check takes: a hundredfold, where noise
    // on a busy machine stays well within a factor of three.
    assert!(
        unknown * 3 >= known && known * 3 >= unknown,
        "unknown {unknown:?} against known {known:?}"
    );
}

#[tokio::test]
async fn after_sign_in_only_same_site_paths_are_followed() {
    let app = App::start().await;
    for (neste, expected) in [
        ("/behov/n-sprak", "/behov/n-sprak"),
        ("/%09/evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("//evil.example", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("/\n/evil.example", "/"),
        ("/behov\r\nSet-Cookie: x=y", "/"),
        ("/%2F/evil.example", "/"),
        ("/behov/ø", "/"),
    ] {
        let browser = app.browser();
        let (_, page) = browser.get("/logg-inn").await;
        let csrf = csrf_of(&page).expect("csrf");
        let response = browser
            .client
            .post(app.url("/logg-inn"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("brukernavn", "staff"),
                ("passord", PASSWORD),
                ("neste", neste),
            ])
            .send()
            .await
            .expect("send");
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{neste:?}");
        assert_eq!(response.headers()["location"], expected, "{neste:?}");
    }
    // The sign-in page itself carries only a same-site path on, and a newline is no 500.
    let browser = app.browser();
    for query in [
        "neste=%0A",
        "neste=/%0A/evil.example",
        "neste=%2F%09%2Fevil.example",
    ] {
        let (status, page) = browser.get(&format!("/logg-inn?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert!(
            page.contains(r#"name="neste" value="/""#),
            "{query}: {page}"
        );
    }
}

#[tokio::test]
async fn odd_bytes_in_forms_headers_and_cookies_never_yield_a_5xx() {
    let app = App::start().await;
    let staff = app.signed_in("staff").await;
    let coordinator = app.signed_in("coordinator").await;
    let csrf = staff.csrf().await;
    let form = "application/x-www-form-urlencoded";
    let bodies: Vec<Vec<u8>> = vec![
        b"csrf=\xff\xfe&tittel=\xc3\x28".to_vec(),
        b"%ff%fe=%c3%28&&&==&%".to_vec(),
        format!("csrf={csrf}&tittel=%C3%28&beskrivelse=%00%01%02").into_bytes(),
        format!("csrf={csrf}&tittel={}&beskrivelse=b", "t".repeat(400_000)).into_bytes(),
        format!(
            "csrf={csrf}&tittel=t&beskrivelse=b&kontakt=%0D%0A&frist=9999-99-99&fokus=%00&neste=%0A&tilbake=%0A&notat={}",
            "n".repeat(5000)
        )
        .into_bytes(),
        vec![0u8; 2 * 1024 * 1024],
        b"\x00\x01\x02\x03".to_vec(),
    ];
    let paths = [
        "/logg-inn",
        "/logg-ut",
        "/behov/ny",
        "/behov/n-sprak/rediger",
        "/behov/n-sprak/status",
        "/behov/n-sprak/interesse",
        "/koordinering/forslag",
        "/koordinering/overlapp",
    ];
    for browser in [&staff, &coordinator] {
        for path in paths {
            for body in &bodies {
                let (status, page) = browser.post_raw(path, form, body.clone()).await;
                assert!(!status.is_server_error(), "{path}: {status}: {page}");
            }
            let (status, _) = browser
                .post_raw(path, "text/plain; charset=\u{ff}\t", Vec::new())
                .await;
            assert!(!status.is_server_error(), "{path}: {status}");
        }
    }
    // Headers and cookies with odd bytes, huge values and control characters.
    let odd_values: Vec<Vec<u8>> = vec![
        b"\xff\xfe\xfd".to_vec(),
        b"kobler_session=\xc3\x28; kobler_login_csrf=\x80".to_vec(),
        format!("kobler_session={}", "s".repeat(60_000)).into_bytes(),
        b"kobler_session=;;;==; =".to_vec(),
        b"Bearer \xff".to_vec(),
        b"\tBearer\t\x01".to_vec(),
    ];
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    for value in &odd_values {
        let Ok(value) = reqwest::header::HeaderValue::from_bytes(value) else {
            continue;
        };
        for (method, path) in [
            (reqwest::Method::GET, "/behov"),
            (reqwest::Method::GET, "/mine-behov"),
            (reqwest::Method::GET, "/logg-inn?neste=%0A"),
            (reqwest::Method::POST, "/logg-inn"),
            (reqwest::Method::POST, "/behov/ny"),
            (reqwest::Method::GET, "/api/v1/needs"),
            (reqwest::Method::POST, "/api/v1/needs"),
            (reqwest::Method::PATCH, "/api/v1/needs/n-sprak"),
        ] {
            for header in [
                "cookie",
                "authorization",
                "x-csrf-token",
                "content-type",
                "accept",
            ] {
                let response = client
                    .request(method.clone(), app.url(path))
                    .header(header, value.clone())
                    .body("csrf=x")
                    .send()
                    .await
                    .expect("send");
                let status = response.status();
                assert!(
                    !status.is_server_error(),
                    "{method} {path} {header}: {status}"
                );
            }
        }
    }
}

#[tokio::test]
async fn links_and_forms_percent_encode_ids_from_feeds() {
    let app = App::start().await;
    let id = "behov ø/1?#%";
    app.import(&format!(
        "{}\n",
        serde_json::json!({"type": "need", "id": id, "title": "Skolevei om vinteren",
            "description": "Trygg skolevei for barn om vinteren.", "unit": "u-oppvekst",
            "status": "open"})
    ))
    .await;
    let encoded = "/behov/behov%20%C3%B8%2F1%3F%23%25";
    let staff = app.signed_in("staff").await;
    let (status, list) = staff.get("/mine-behov").await;
    assert_eq!(status, StatusCode::OK);
    assert!(list.contains(&format!(r#"href="{encoded}""#)), "{list}");
    let (status, page) = staff.get("/behov?q=skolevei").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&format!(r#"href="{encoded}""#)), "{page}");
    let (status, page) = staff.get(encoded).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("Skolevei om vinteren"), "{page}");
    assert!(
        page.contains(&format!(r#"href="{encoded}/rediger""#)),
        "{page}"
    );
    assert!(
        page.contains(&format!(r#"action="{encoded}/status""#)),
        "{page}"
    );
    let (status, form) = staff.get(&format!("{encoded}/rediger")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        form.contains(&format!(r#"action="{encoded}/rediger""#)),
        "{form}"
    );
    // Closing it comes back to the same need.
    let csrf = staff.csrf().await;
    let response = staff
        .client
        .post(app.url(&format!("{encoded}/status")))
        .form(&[("csrf", csrf.as_str()), ("status", "closed")])
        .send()
        .await
        .expect("send");
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(response.headers()["location"], encoded);
    // Someone not signed in is sent to sign in, and back to the encoded path.
    let location = app
        .browser()
        .location(&format!("{encoded}/rediger"))
        .await
        .expect("redirect");
    assert_eq!(
        location,
        "/logg-inn?neste=/behov/behov%2520%25C3%25B8%252F1%253F%2523%2525/rediger"
    );
}

#[tokio::test]
async fn a_search_over_the_limits_is_explained_at_the_field() {
    let app = App::start().await;
    let (status, page) = app
        .browser()
        .get(&format!("/behov?q={}", vec!["ord"; 65].join("+")))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(page.contains("Søket er for langt"), "{page}");
    assert!(page.contains(r#"aria-invalid="true""#), "{page}");
}

#[tokio::test]
async fn need_form_limits_are_told_in_norwegian_at_each_field() {
    let app = App::start().await;
    let staff = app.signed_in("staff").await;
    let title = "t".repeat(301);
    let contact = "c".repeat(201);
    let (status, page) = staff
        .submit(
            "/behov/ny",
            &[
                ("tittel", &title),
                ("beskrivelse", "Noe"),
                ("kontakt", &contact),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("Tittelen kan ha høyst 300 tegn."), "{page}");
    assert!(
        page.contains("Kontaktinformasjonen kan ha høyst 200 tegn."),
        "{page}"
    );
    assert!(page.contains(r#"maxlength="300""#), "{page}");
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
