//! Web sign-in sessions: a random id in the cookie, only its SHA-256 in the store, a CSRF
//! token per session, and an expiry.

use crate::{Engine, Result};
use kobler_store::User;
use sha2::{Digest, Sha256};
use std::time::{SystemTime, UNIX_EPOCH};

/// How long a session lasts after signing in (a working day and then some).
pub const SESSION_TTL_SECS: i64 = 12 * 60 * 60;

/// A new session: the id for the cookie and the CSRF token for its forms.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// The session id; goes into the cookie and nowhere else.
    pub id: String,
    /// The token every form POST of this session must carry.
    pub csrf: String,
}

/// A live session's user and CSRF token.
#[derive(Debug, Clone)]
pub struct SessionUser {
    /// Who is signed in.
    pub user: User,
    /// The token every form POST of this session must carry.
    pub csrf: String,
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}

fn session_hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

/// A random token of 32 bytes, hex.
pub fn random_token() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

impl Engine {
    /// Starts a session for a user (who has proved who they are).
    pub async fn create_session(&self, user_name: &str) -> Result<NewSession> {
        let session = NewSession {
            id: random_token(),
            csrf: random_token(),
        };
        self.store
            .add_session(
                &session_hash(&session.id),
                user_name,
                &session.csrf,
                now() + SESSION_TTL_SECS,
            )
            .await?;
        Ok(session)
    }

    /// The user of a live session, if the id belongs to one.
    pub async fn session_user(&self, id: &str) -> Result<Option<SessionUser>> {
        Ok(self
            .store
            .session(&session_hash(id), now())
            .await?
            .map(|(user, csrf)| SessionUser { user, csrf }))
    }

    /// Ends a session (and sweeps expired ones).
    pub async fn end_session(&self, id: &str) -> Result<()> {
        Ok(self.store.end_session(&session_hash(id), now()).await?)
    }
}
