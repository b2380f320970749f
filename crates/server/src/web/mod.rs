//! The server-rendered web interface (Norwegian bokmål, no JavaScript needed): sign-in, the
//! three roles' pages and the coordinator's review desk. Pages are askama templates under
//! `crates/server/templates/`, checked at compile time and compiled into the binary, as is the
//! stylesheet.
//!
//! Invariants:
//! - every form POST checks the CSRF token: the session's own once signed in, a double-submit
//!   cookie on the sign-in form before there is a session;
//! - the session cookie is HttpOnly and SameSite=Lax, and Secure unless configured off (plain
//!   http on localhost);
//! - handlers only turn forms into engine calls; who may do what with a record is the engine's
//!   decision ([`kobler_engine::access`] and the engine's actions).

#[cfg(test)]
mod contrast;
mod coord;
mod forms;
mod limiter;
mod needs;
mod network;
mod pages;
mod session;

pub use limiter::{
    FIRST_BACKOFF, FORGET_AFTER, FREE_FAILURES, LoginLimiter, MAX_ADDRESS_FAILURES, MAX_BACKOFF,
    WINDOW,
};
pub(crate) use session::same_token;

use crate::AppState;
use axum::Router;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use kobler_engine::{EngineError, Role, User};

/// How the web interface is served.
#[derive(Debug, Clone, Default)]
pub struct WebOptions {
    /// Mark cookies `Secure` (sent only over https). Off only for plain http on localhost.
    pub secure_cookies: bool,
}

/// The stylesheet, compiled in.
const CSS: &str = include_str!("../../static/kobler.css");

/// The web pages' routes (merged into the API router by [`crate::router_with`]).
pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(pages::home))
        .route("/static/kobler.css", get(stylesheet))
        .route("/logg-inn", get(session::login_form).post(session::login))
        .route("/logg-ut", post(session::logout))
        .route("/behov", get(needs::search))
        .route("/behov/ny", get(needs::new_form).post(needs::create))
        .route("/behov/{id}", get(needs::show))
        .route(
            "/behov/{id}/rediger",
            get(needs::edit_form).post(needs::update),
        )
        .route("/behov/{id}/status", post(needs::set_status))
        .route("/behov/{id}/interesse", post(needs::interest))
        .route("/mine-behov", get(needs::unit_needs))
        .route("/for-meg", get(needs::for_me))
        .route(
            "/koordinering/forslag",
            get(coord::queue).post(coord::decide),
        )
        .route(
            "/koordinering/overlapp",
            get(coord::overlaps).post(coord::decide_overlap),
        )
        .route("/koordinering/portefolje", get(coord::portfolio))
        .route("/koordinering/nettverk", get(network::network))
}

async fn stylesheet() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        CSS,
    )
        .into_response()
}

/// Why a page could not be shown; each becomes an HTML answer with the right status.
#[derive(Debug)]
pub(crate) enum WebError {
    /// Not signed in: go to the sign-in page, and come back to `next` afterwards.
    SignIn(String),
    /// Signed in, but not allowed.
    Forbidden(String),
    /// No such page or record.
    NotFound(String),
    /// The form's CSRF token is missing or wrong.
    Csrf,
    /// The request is malformed.
    BadRequest(String),
    /// The input was understood but cannot be acted on.
    Invalid(String),
    /// Kobler's own failure (logged, not shown).
    Internal,
    /// The store was busy with another write; nothing changed and a retry may succeed.
    Busy,
}

impl WebError {
    fn internal(error: &dyn std::fmt::Display) -> Self {
        tracing::error!("page failed: {error}");
        WebError::Internal
    }
}

impl From<EngineError> for WebError {
    fn from(error: EngineError) -> Self {
        match error {
            EngineError::NotFound(reason) => WebError::NotFound(reason),
            EngineError::Invalid(reason) | EngineError::Conflict(reason) => {
                WebError::Invalid(reason)
            }
            EngineError::InvalidFields(fields) => WebError::Invalid(
                fields
                    .iter()
                    .map(|f| format!("{}: {}", f.field, f.reason))
                    .collect::<Vec<_>>()
                    .join("; "),
            ),
            EngineError::Forbidden(reason) => WebError::Forbidden(reason),
            busy if busy.is_busy() => WebError::Busy,
            other => WebError::internal(&other),
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, heading, text) = match self {
            WebError::SignIn(next) => {
                let target = format!("/logg-inn?neste={}", forms::encode(&next));
                return Redirect::to(&target).into_response();
            }
            WebError::Forbidden(reason) => {
                tracing::debug!("forbidden: {reason}");
                (
                    StatusCode::FORBIDDEN,
                    "Ingen tilgang",
                    "Kontoen din har ikke tilgang til denne siden eller handlingen.".to_string(),
                )
            }
            WebError::NotFound(reason) => {
                tracing::debug!("not found: {reason}");
                (
                    StatusCode::NOT_FOUND,
                    "Fant ikke siden",
                    "Det du lette etter finnes ikke, eller du har ikke tilgang til det."
                        .to_string(),
                )
            }
            WebError::Csrf => (
                StatusCode::FORBIDDEN,
                "Skjemaet kunne ikke sendes",
                "Skjemaet er utløpt eller kom ikke fra Kobler. Gå tilbake, last siden på nytt og prøv igjen."
                    .to_string(),
            ),
            WebError::BadRequest(reason) => (
                StatusCode::BAD_REQUEST,
                "Ugyldig forespørsel",
                format!("Forespørselen kunne ikke leses ({reason})."),
            ),
            WebError::Invalid(reason) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "Kunne ikke utføre handlingen",
                format!("Handlingen ble avvist: {reason}."),
            ),
            WebError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Noe gikk galt",
                "Kobler fikk en feil. Prøv igjen om litt.".to_string(),
            ),
            WebError::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Kobler er opptatt",
                "Ingenting ble lagret. Prøv igjen om et par sekunder.".to_string(),
            ),
        };
        let page = pages::ErrorPage {
            page: pages::Page::anonymous(heading),
            heading,
            text,
        };
        let mut response = pages::render(&page);
        *response.status_mut() = status;
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(crate::error::RETRY_AFTER_SECS),
            );
        }
        response
    }
}

/// `text/html` with the security headers every page carries.
pub(crate) fn html(body: String) -> Response {
    let mut response = Html(body).into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// The role's name in the interface.
pub(crate) fn role_label(user: &User) -> &'static str {
    match user.role {
        Role::Staff => "kommuneansatt",
        Role::Researcher => "forsker",
        Role::Coordinator => "koordinator",
        Role::Admin => "administrator",
    }
}

/// The HTML answer for an unknown page.
pub(crate) fn not_found_page() -> Response {
    WebError::NotFound("no such page".into()).into_response()
}
