//! Who is calling, and what they may see.
//!
//! Credentials are read from the request into a [`Credential`] first and resolved to a user
//! second, so a new source (the web sign-in's session cookie) is one more variant and one more
//! match arm, not a change to every handler.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method};
use kobler_core::Need;
use kobler_engine::User;

/// Name of the web sign-in's session cookie.
pub const SESSION_COOKIE: &str = "kobler_session";
/// Header that carries the session's CSRF token when the JSON API is called with the session
/// cookie (bearer tokens need none: a browser never sends them on its own).
pub const CSRF_HEADER: &str = "x-csrf-token";

/// Credentials found on a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Credential {
    /// `Authorization: Bearer TOKEN`: an API token.
    Bearer(String),
    /// The web sign-in's session cookie.
    Session(String),
}

/// The value of cookie `name`, if the request carries it.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim().to_string())
        .filter(|value| !value.is_empty())
}

/// The credentials a request carries: `Ok(None)` when it carries none, an error when it
/// carries some that cannot even be read. An `Authorization` header wins over the cookie.
pub(crate) fn credential(headers: &HeaderMap) -> Result<Option<Credential>, ApiError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(cookie(headers, SESSION_COOKIE).map(Credential::Session));
    };
    let value = value
        .to_str()
        .map_err(|_| ApiError::unauthorized(Some("the Authorization header is not text")))?;
    let (scheme, token) = value.trim().split_once(' ').unwrap_or((value.trim(), ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(ApiError::unauthorized(Some(
            "the Authorization header must be `Bearer TOKEN`",
        )));
    }
    let token = token.trim();
    if token.is_empty() {
        return Err(ApiError::unauthorized(Some(
            "the Authorization header has no token",
        )));
    }
    Ok(Some(Credential::Bearer(token.to_string())))
}

/// The user the credentials belong to; 401 when they belong to nobody. A request that changes
/// something with the session cookie must carry the session's CSRF token in [`CSRF_HEADER`],
/// or it is refused 403: the cookie alone would let another site act for the user.
async fn resolve(
    state: &AppState,
    credential: Credential,
    parts: &Parts,
) -> Result<User, ApiError> {
    match credential {
        Credential::Bearer(token) => state
            .engine
            .user_for_token(&token)
            .await?
            .ok_or_else(|| ApiError::unauthorized(Some("the token is unknown or revoked"))),
        Credential::Session(id) => {
            let session = state
                .engine
                .session_user(&id)
                .await?
                .ok_or_else(|| ApiError::unauthorized(Some("the session has expired")))?;
            let safe = matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
            if !safe {
                let sent = parts
                    .headers
                    .get(CSRF_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                if !crate::web::same_token(sent, &session.csrf) {
                    return Err(ApiError::forbidden(format!(
                        "with the session cookie, send the session's CSRF token in {CSRF_HEADER}"
                    )));
                }
            }
            Ok(session.user)
        }
    }
}

/// The signed-in user; requests without valid credentials are answered 401.
#[derive(Debug, Clone)]
pub struct SignedIn(pub User);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match credential(&parts.headers)? {
            Some(credential) => Ok(SignedIn(resolve(state, credential, parts).await?)),
            None => Err(ApiError::unauthorized(None)),
        }
    }
}

/// The signed-in user if the request has credentials. Credentials that are sent but wrong are
/// still answered 401, so a client does not silently get the anonymous view.
#[derive(Debug, Clone)]
pub struct MaybeSignedIn(pub Option<User>);

impl FromRequestParts<AppState> for MaybeSignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match credential(&parts.headers)? {
            Some(credential) => Ok(MaybeSignedIn(Some(
                resolve(state, credential, parts).await?,
            ))),
            None => Ok(MaybeSignedIn(None)),
        }
    }
}

/// Whether `user` works on `need` (the engine decides; see [`kobler_engine::access`]).
pub(crate) fn works_on(user: &User, need: &Need) -> bool {
    kobler_engine::access::works_on(user, need)
}

/// Whether the caller may see the need at all (the engine decides).
pub(crate) fn may_see(user: Option<&User>, need: &Need) -> bool {
    kobler_engine::access::may_see(user, need)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).expect("header"));
        headers
    }

    #[test]
    fn bearer_tokens_are_read_whatever_the_scheme_case() {
        assert_eq!(
            credential(&headers("Bearer kob_1")).ok().flatten(),
            Some(Credential::Bearer("kob_1".into()))
        );
        assert_eq!(
            credential(&headers("bearer   kob_2 ")).ok().flatten(),
            Some(Credential::Bearer("kob_2".into()))
        );
        assert_eq!(credential(&HeaderMap::new()).ok().flatten(), None);
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_refused() {
        for value in ["Basic dXNlcjpwdw==", "Bearer", "Bearer   ", "kob_1"] {
            let error = credential(&headers(value)).expect_err(value);
            assert_eq!(error.status(), axum::http::StatusCode::UNAUTHORIZED);
        }
    }

    #[test]
    fn the_session_cookie_is_a_credential_when_there_is_no_authorization_header() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("theme=dark; kobler_session=abc123; x=y"),
        );
        assert_eq!(
            credential(&headers).ok().flatten(),
            Some(Credential::Session("abc123".into()))
        );
        headers.insert(AUTHORIZATION, HeaderValue::from_static("Bearer kob_1"));
        assert_eq!(
            credential(&headers).ok().flatten(),
            Some(Credential::Bearer("kob_1".into()))
        );
    }
}
