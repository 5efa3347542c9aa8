//! Password hashing (argon2id, off the async threads) and the password policy.

use std::sync::OnceLock;

use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};
use hybrid_core::{ApiError, ApiResult};

pub const MAX_PASSWORD_CHARS: usize = 256;

/// Hashes and verifies passwords with one set of argon2id costs (`auth.password_hash_*`).
pub struct Passwords {
    params: Params,
    /// A hash with the same costs, checked against when the user is unknown.
    dummy: OnceLock<String>,
}

impl Passwords {
    pub fn new(memory_kib: u32, iterations: u32) -> anyhow::Result<Passwords> {
        let params = Params::new(memory_kib, iterations, 1, None)
            .map_err(|e| anyhow::anyhow!("invalid auth.password_hash_* settings: {e}"))?;
        Ok(Passwords {
            params,
            dummy: OnceLock::new(),
        })
    }

    fn argon2(&self) -> Argon2<'static> {
        Argon2::new(Algorithm::Argon2id, Version::V0x13, self.params.clone())
    }

    pub async fn hash(&self, password: String) -> ApiResult<String> {
        let argon2 = self.argon2();
        tokio::task::spawn_blocking(move || {
            argon2
                .hash_password(password.as_bytes())
                .map(|hash| hash.to_string())
                .map_err(ApiError::internal)
        })
        .await
        .map_err(ApiError::internal)?
    }

    /// Checks `password` against `hash` (whose own costs apply); with no hash (unknown user)
    /// it still spends the time of a hash, so response times don't reveal which usernames
    /// exist.
    pub async fn verify(&self, password: String, hash: Option<String>) -> bool {
        let known = hash.is_some();
        let hash = match hash {
            Some(hash) => hash,
            None => self.dummy_hash().await,
        };
        let argon2 = self.argon2();
        tokio::task::spawn_blocking(move || {
            let ok = argon2.verify_password(password.as_bytes(), hash.as_str()).is_ok();
            known && ok
        })
        .await
        .unwrap_or(false)
    }

    async fn dummy_hash(&self) -> String {
        if let Some(hash) = self.dummy.get() {
            return hash.clone();
        }
        let hash = self.hash("not a real password".into()).await.unwrap_or_default();
        self.dummy.get_or_init(|| hash).clone()
    }
}

/// The password policy: long enough, not absurdly long, not the username.
pub fn check_policy(field: &str, password: &str, username: &str, min_chars: usize) -> ApiResult<()> {
    let chars = password.chars().count();
    if chars < min_chars {
        return Err(ApiError::validation(
            field,
            format!("must be at least {min_chars} characters"),
        ));
    }
    if chars > MAX_PASSWORD_CHARS {
        return Err(ApiError::validation(
            field,
            format!("must be at most {MAX_PASSWORD_CHARS} characters"),
        ));
    }
    if hybrid_core::text::fold(password) == username {
        return Err(ApiError::validation(field, "must not be the username"));
    }
    let mut distinct: Vec<char> = password.chars().collect();
    distinct.sort_unstable();
    distinct.dedup();
    if distinct.len() < 4 {
        return Err(ApiError::validation(
            field,
            "is too simple: use more different characters",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy() {
        assert!(check_policy("password", "correct horse", "alice", 8).is_ok());
        assert!(check_policy("password", "short", "alice", 8).is_err());
        assert!(check_policy("password", "aaaaaaaaaaaa", "alice", 8).is_err());
        assert!(check_policy("password", "AliceAlice1", "alicealice1", 8).is_err());
        assert!(check_policy("password", &"ab1!".repeat(65), "alice", 8).is_err());
    }

    #[tokio::test]
    async fn hash_and_verify() {
        let passwords = Passwords::new(19 * 1024, 2).unwrap();
        let hash = passwords.hash("correct horse".into()).await.unwrap();
        assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{hash}");
        assert!(passwords.verify("correct horse".into(), Some(hash.clone())).await);
        assert!(!passwords.verify("wrong horse".into(), Some(hash.clone())).await);
        assert!(!passwords.verify("not a real password".into(), None).await);
        // a hash made with other costs still verifies: its own costs are in it
        let cheap = Passwords::new(64, 1).unwrap();
        assert!(cheap.verify("correct horse".into(), Some(hash)).await);
        assert!(Passwords::new(1, 1).is_err());
    }
}
