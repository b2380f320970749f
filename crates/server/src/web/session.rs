//! Signing in and out, the session cookie, and the CSRF checks of every form.

use super::WebError;
use super::forms::{FormData, local_path};
use super::pages::{Page, render};
use crate::AppState;
use crate::auth::{SESSION_COOKIE, cookie};
use askama::Template;
use axum::Form;
use axum::extract::rejection::{FormRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use kobler_engine::{SESSION_TTL_SECS, SessionUser};
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::net::SocketAddr;

/// Cookie of the sign-in form's CSRF token (double submit: there is no session yet).
const LOGIN_CSRF_COOKIE: &str = "kobler_login_csrf";

/// Whether two tokens are equal, in time that does not depend on where they differ. Empty
/// tokens never match.
pub(crate) fn same_token(sent: &str, expected: &str) -> bool {
    if sent.is_empty() || expected.is_empty() {
        return false;
    }
    // Compare digests, so the lengths of the compared values are always the same.
    let a = Sha256::digest(sent.as_bytes());
    let b = Sha256::digest(expected.as_bytes());
    a.iter()
        .zip(b.iter())
        .fold(0u8, |acc, (x, y)| acc | (x ^ y))
        == 0
}

/// The signed-in user of a web request, if any (an expired or unknown cookie is no one).
#[derive(Debug, Clone)]
pub(crate) struct Viewer(pub Option<SessionUser>);

impl FromRequestParts<AppState> for Viewer {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let Some(id) = cookie(&parts.headers, SESSION_COOKIE) else {
            return Ok(Viewer(None));
        };
        Ok(Viewer(state.engine.session_user(&id).await?))
    }
}

impl Viewer {
    /// The signed-in user, or a redirect to the sign-in page that comes back to `here`.
    pub(crate) fn require(&self, here: &str) -> Result<&SessionUser, WebError> {
        self.0
            .as_ref()
            .ok_or_else(|| WebError::SignIn(here.to_string()))
    }
}

/// Refuses a form whose CSRF token is not the session's.
pub(crate) fn check_csrf(session: &SessionUser, form: &FormData) -> Result<(), WebError> {
    if same_token(form.get("csrf").unwrap_or_default(), &session.csrf) {
        Ok(())
    } else {
        Err(WebError::Csrf)
    }
}

fn set_cookie(state: &AppState, name: &str, value: &str, path: &str, max_age: i64) -> HeaderValue {
    let secure = if state.web.options.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    let text =
        format!("{name}={value}; Path={path}; Max-Age={max_age}; HttpOnly; SameSite=Lax{secure}");
    HeaderValue::from_str(&text).unwrap_or_else(|_| HeaderValue::from_static(""))
}

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
    pub page: Page,
    pub next: String,
    pub name: String,
    pub error: Option<String>,
}

/// Query of the sign-in page.
#[derive(Debug, Deserialize)]
pub(crate) struct LoginQuery {
    neste: Option<String>,
}

/// `GET /logg-inn`.
pub(crate) async fn login_form(
    State(state): State<AppState>,
    Viewer(viewer): Viewer,
    headers: HeaderMap,
    query: Result<Query<LoginQuery>, QueryRejection>,
) -> Response {
    let next = local_path(query.as_ref().ok().and_then(|q| q.neste.as_deref()));
    if viewer.is_some() {
        return Redirect::to(&next).into_response();
    }
    let token = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_else(kobler_engine::random_token);
    let mut page = Page::anonymous("Logg inn");
    page.csrf = token.clone();
    let mut response = render(&LoginPage {
        page,
        next,
        name: String::new(),
        error: None,
    });
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, LOGIN_CSRF_COOKIE, &token, "/logg-inn", 3600),
    );
    response
}

/// `POST /logg-inn`: checks the form's token, the sign-in limits and the password, then starts
/// a fresh session (a new id at every sign-in, so a planted id is worthless). A name that is
/// not an account is checked against a dummy hash in the same time as a wrong password
/// ([`kobler_engine::Engine::verify_password`]), and answered in the same words.
pub(crate) async fn login(
    State(state): State<AppState>,
    headers: HeaderMap,
    extensions: Extensions,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let form = FormData::read(form)?;
    let expected = cookie(&headers, LOGIN_CSRF_COOKIE).unwrap_or_default();
    if !same_token(form.get("csrf").unwrap_or_default(), &expected) {
        return Err(WebError::Csrf);
    }
    let name = form.get("brukernavn").unwrap_or_default().to_string();
    let password = form.get("passord").unwrap_or_default();
    let next = local_path(form.get("neste"));
    let ip = extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map_or_else(|| "unknown".to_string(), |c| c.0.ip().to_string());
    let again = |status: StatusCode, error: &str| {
        let mut page = Page::anonymous("Logg inn");
        page.csrf = expected.clone();
        let mut response = render(&LoginPage {
            page,
            next: next.clone(),
            name: name.clone(),
            error: Some(error.to_string()),
        });
        *response.status_mut() = status;
        response
    };
    if let Some(wait) = state.web.limiter.wait(&name, &ip) {
        tracing::warn!(user = %name, %ip, "sign-in refused: too many failed attempts");
        let minutes = wait.as_secs().div_ceil(60).max(1);
        let mut response = again(
            StatusCode::TOO_MANY_REQUESTS,
            &format!(
                "For mange mislykkede innlogginger. Vent {minutes} {} og prøv igjen.",
                if minutes == 1 { "minutt" } else { "minutter" }
            ),
        );
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(wait.as_secs().max(1)),
        );
        return Ok(response);
    }
    let Some(user) = (if name.is_empty() || password.is_empty() {
        None
    } else {
        state.engine.verify_password(&name, password).await?
    }) else {
        state.web.limiter.failed(&name, &ip);
        tracing::info!(user = %name, %ip, "sign-in failed");
        return Ok(again(
            StatusCode::UNAUTHORIZED,
            "Feil brukernavn eller passord.",
        ));
    };
    state.web.limiter.succeeded(&name);
    let session = state.engine.create_session(&user.name).await?;
    tracing::info!(user = %user.name, "signed in");
    let mut response = Redirect::to(&next).into_response();
    let response_headers = response.headers_mut();
    response_headers.append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, &session.id, "/", SESSION_TTL_SECS),
    );
    response_headers.append(
        header::SET_COOKIE,
        set_cookie(&state, LOGIN_CSRF_COOKIE, "", "/logg-inn", 0),
    );
    Ok(response)
}

/// `POST /logg-ut`: ends the session and clears the cookie.
pub(crate) async fn logout(
    State(state): State<AppState>,
    viewer: Viewer,
    headers: HeaderMap,
    form: Result<Form<Vec<(String, String)>>, FormRejection>,
) -> Result<Response, WebError> {
    let session = viewer.require("/")?;
    check_csrf(session, &FormData::read(form)?)?;
    if let Some(id) = cookie(&headers, SESSION_COOKIE) {
        state.engine.end_session(&id).await?;
    }
    let mut response = Redirect::to("/").into_response();
    response.headers_mut().append(
        header::SET_COOKIE,
        set_cookie(&state, SESSION_COOKIE, "", "/", 0),
    );
    Ok(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_match_only_when_equal_and_not_empty() {
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abd", "abc"));
        assert!(!same_token("", ""));
        assert!(!same_token("abc", "abcd"));
    }
}
