//! Password hashing (argon2id, off the async threads) and the password policy.

use std::sync::OnceLock;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use hybrid_core::{ApiError, ApiResult};

pub const MAX_PASSWORD_CHARS: usize = 256;

pub async fn hash(password: String) -> ApiResult<String> {
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(ApiError::internal)
    })
    .await
    .map_err(ApiError::internal)?
}

/// Checks `password` against `hash`; with no hash (unknown user) it still spends the same
/// time on a dummy hash, so response times don't reveal which usernames exist.
pub async fn verify(password: String, hash: Option<String>) -> bool {
    tokio::task::spawn_blocking(move || {
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| dummy_hash().to_owned());
        let ok = Argon2::default()
            .verify_password(password.as_bytes(), hash.as_str())
            .is_ok();
        known && ok
    })
    .await
    .unwrap_or(false)
}

fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| {
        Argon2::default()
            .hash_password(b"not a real password")
            .expect("hashing a constant")
            .to_string()
    })
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
        let hash = hash("correct horse".into()).await.unwrap();
        assert!(verify("correct horse".into(), Some(hash.clone())).await);
        assert!(!verify("wrong horse".into(), Some(hash)).await);
        assert!(!verify("not a real password".into(), None).await);
    }
}
