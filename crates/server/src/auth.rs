//! Who is calling, and what they may see.
//!
//! Credentials are read from the request into a [`Credential`] first and resolved to a user
//! second, so a new source (the web sign-in's session cookie) is one more variant and one more
//! match arm, not a change to every handler.

use crate::AppState;
use crate::error::ApiError;
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use kobler_core::{Need, NeedStatus};
use kobler_engine::{Role, User};

/// Credentials found on a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Credential {
    /// `Authorization: Bearer TOKEN`: an API token.
    Bearer(String),
}

/// The credentials a request carries: `Ok(None)` when it carries none, an error when it
/// carries some that cannot even be read.
pub(crate) fn credential(headers: &HeaderMap) -> Result<Option<Credential>, ApiError> {
    let Some(value) = headers.get(AUTHORIZATION) else {
        return Ok(None);
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

/// The user the credentials belong to; 401 when they belong to nobody.
async fn resolve(state: &AppState, credential: Credential) -> Result<User, ApiError> {
    match credential {
        Credential::Bearer(token) => state
            .engine
            .user_for_token(&token)
            .await?
            .ok_or_else(|| ApiError::unauthorized(Some("the token is unknown or revoked"))),
    }
}

/// The signed-in user; requests without valid credentials are answered 401.
#[derive(Debug, Clone)]
pub struct SignedIn(pub User);

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        match credential(&parts.headers)? {
            Some(credential) => Ok(SignedIn(resolve(state, credential).await?)),
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
            Some(credential) => Ok(MaybeSignedIn(Some(resolve(state, credential).await?))),
            None => Ok(MaybeSignedIn(None)),
        }
    }
}

fn role(user: &User) -> Option<Role> {
    user.role.parse().ok()
}

/// Whether `user` works on `need` for the municipality: coordinators and admins on every need,
/// staff on their own department's. They may see its drafts and its suggested researchers.
pub(crate) fn works_on(user: &User, need: &Need) -> bool {
    match role(user) {
        Some(Role::Coordinator | Role::Admin) => true,
        Some(Role::Staff) => user.unit.is_some() && user.unit == need.unit,
        Some(Role::Researcher) | None => false,
    }
}

/// Whether the caller may see the need at all: everyone sees non-drafts; drafts only those who
/// work on them.
pub(crate) fn may_see(user: Option<&User>, need: &Need) -> bool {
    need.status != NeedStatus::Draft || user.is_some_and(|u| works_on(u, need))
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

    fn user(role: &str, unit: Option<&str>) -> User {
        User {
            name: "u".into(),
            role: role.into(),
            unit: unit.map(str::to_string),
            researcher: None,
        }
    }

    fn need(unit: Option<&str>, status: NeedStatus) -> Need {
        Need {
            id: "n".into(),
            title: "t".into(),
            description: "d".into(),
            unit: unit.map(str::to_string),
            focus_areas: Vec::new(),
            kinds: Vec::new(),
            posted: None,
            deadline: None,
            status,
            contact: None,
            extra: Default::default(),
        }
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
    fn staff_work_on_their_own_department_only() {
        let need = need(Some("u1"), NeedStatus::Open);
        assert!(works_on(&user("staff", Some("u1")), &need));
        assert!(!works_on(&user("staff", Some("u2")), &need));
        assert!(!works_on(&user("staff", None), &need));
        assert!(works_on(&user("coordinator", None), &need));
        assert!(works_on(&user("admin", None), &need));
        assert!(!works_on(&user("researcher", None), &need));
        assert!(!works_on(&user("wizard", Some("u1")), &need));
    }

    #[test]
    fn staff_without_unit_do_not_work_on_needs_without_unit() {
        assert!(!works_on(
            &user("staff", None),
            &need(None, NeedStatus::Open)
        ));
    }

    #[test]
    fn drafts_are_hidden_from_the_public_and_researchers() {
        let draft = need(Some("u1"), NeedStatus::Draft);
        assert!(!may_see(None, &draft));
        assert!(!may_see(Some(&user("researcher", None)), &draft));
        assert!(may_see(Some(&user("staff", Some("u1"))), &draft));
        assert!(may_see(None, &need(Some("u1"), NeedStatus::Closed)));
    }
}
