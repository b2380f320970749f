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

/// An argon2id hash (of a random password no one knows) made with the same parameters as
/// [`hash_password`]'s, verified against when a sign-in names no account, so that unknown and
/// known names take the same time. A test holds its parameters to `hash_password`'s.
const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$X19v5J8vDWLCKOw388wR8w$qX2fRYY/NiOvz/5bgjkr4FhjWqKoBjeJEdjYUmD4+mI";

/// Whether `password` is the one `hash` was made from. A hash that cannot be read (a damaged
/// account) is verified against [`DUMMY_HASH`] instead, in the same time, and never matches.
fn password_matches(password: &str, hash: &str) -> bool {
    match PasswordHash::new(hash) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => {
            if let Ok(dummy) = PasswordHash::new(DUMMY_HASH) {
                let _ = Argon2::default().verify_password(password.as_bytes(), &dummy);
            }
            false
        }
    }
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

    /// The user, if the name and password match. An unknown name costs the same argon2
    /// verification as a known one (against [`DUMMY_HASH`]), so the time of the answer does not
    /// tell whether an account exists. The verification runs on a blocking thread: it takes
    /// tens of milliseconds on purpose, and must not hold up the requests beside it.
    pub async fn verify_password(&self, name: &str, password: &str) -> Result<Option<User>> {
        let (user, hash) = match self.store.user_with_password(name).await? {
            Some((user, hash)) => (Some(user), hash),
            None => (None, DUMMY_HASH.to_string()),
        };
        let password = password.to_string();
        let matches = tokio::task::spawn_blocking(move || password_matches(&password, &hash))
            .await
            .unwrap_or(false);
        Ok(user.filter(|_| matches))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dummy_hash_costs_what_a_real_hash_costs() {
        let real = hash_password("a password").expect("hash");
        let real = PasswordHash::new(&real).expect("real hash");
        let dummy = PasswordHash::new(DUMMY_HASH).expect("the dummy hash parses");
        assert_eq!(dummy.algorithm, real.algorithm);
        assert_eq!(dummy.version, real.version);
        assert_eq!(dummy.params, real.params);
        assert!(!password_matches("a password", DUMMY_HASH));
        assert!(!password_matches("a password", "not a hash"));
    }
}
