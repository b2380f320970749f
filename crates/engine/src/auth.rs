//! Local accounts and API tokens: argon2 password hashes, random tokens stored as SHA-256.

use crate::{Engine, EngineError, Result};
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use kobler_core::{Kind, Record, Role, UnitKind};
use kobler_store::User;
use sha2::{Digest, Sha256};

/// Hashes a password with argon2id and a random salt.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::encode_b64(&rand::random::<[u8; 16]>())
        .map_err(|e| EngineError::Invalid(format!("cannot make a salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| EngineError::Invalid(format!("cannot hash the password: {e}")))
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Engine {
    /// Adds a local account. Staff must name their municipal unit, researchers their
    /// researcher record; both must exist.
    pub async fn add_user(
        &self,
        name: &str,
        role: Role,
        unit: Option<&str>,
        researcher: Option<&str>,
        password: &str,
    ) -> Result<User> {
        if name.trim().is_empty() {
            return Err(EngineError::Invalid(
                "the user name must not be empty".into(),
            ));
        }
        if password.chars().count() < 8 {
            return Err(EngineError::Invalid(
                "the password must be at least 8 characters".into(),
            ));
        }
        if role == Role::Staff {
            let unit = unit.ok_or_else(|| {
                EngineError::Invalid("staff users need --unit (their municipal unit)".into())
            })?;
            match self.store.get(Kind::Unit, unit).await? {
                Some(Record::Unit(u)) if u.kind == UnitKind::Municipal => {}
                Some(_) => {
                    return Err(EngineError::Invalid(format!(
                        "unit {unit:?} is not a municipal unit"
                    )));
                }
                None => return Err(EngineError::NotFound(format!("unknown unit {unit:?}"))),
            }
        }
        if role == Role::Researcher {
            let id = researcher.ok_or_else(|| {
                EngineError::Invalid(
                    "researcher users need --researcher (their researcher id)".into(),
                )
            })?;
            if self.store.get(Kind::Researcher, id).await?.is_none() {
                return Err(EngineError::NotFound(format!("unknown researcher {id:?}")));
            }
        }
        let user = User {
            name: name.to_string(),
            role,
            unit: unit.map(str::to_string),
            researcher: researcher.map(str::to_string),
        };
        self.store
            .add_user(&user, &hash_password(password)?)
            .await?;
        Ok(user)
    }

    /// Creates a new API token for a user and returns it (it is stored only as a hash).
    pub async fn create_token(&self, user_name: &str) -> Result<String> {
        if self.store.user_with_password(user_name).await?.is_none() {
            return Err(EngineError::NotFound(format!("unknown user {user_name:?}")));
        }
        let token = format!("kob_{}", hex::encode(rand::random::<[u8; 24]>()));
        self.store.add_token(user_name, &token_hash(&token)).await?;
        Ok(token)
    }

    /// The user an API token belongs to, if any.
    pub async fn user_for_token(&self, token: &str) -> Result<Option<User>> {
        Ok(self.store.user_by_token(&token_hash(token)).await?)
    }

    /// The user of that name, if any.
    pub async fn user(&self, name: &str) -> Result<Option<User>> {
        Ok(self
            .store
            .user_with_password(name)
            .await?
            .map(|(user, _)| user))
    }

    /// The user, if the name and password match.
    pub async fn verify_password(&self, name: &str, password: &str) -> Result<Option<User>> {
        let Some((user, hash)) = self.store.user_with_password(name).await? else {
            return Ok(None);
        };
        let Ok(parsed) = PasswordHash::new(&hash) else {
            return Ok(None);
        };
        Ok(Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
            .then_some(user))
    }
}
