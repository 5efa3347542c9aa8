//! Access tokens: short-lived EdDSA JWTs that every service verifies locally against the
//! public keys the auth service publishes (JWKS at `/api/v1/auth/jwks`).

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, Validation, errors::ErrorKind};
use serde::{Deserialize, Serialize};

use crate::{ApiError, Code};

/// What an access token says. `sub` is the user id as a string, as RFC 7519 wants.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AccessClaims {
    pub sub: String,
    /// Session (device) the token belongs to.
    pub sid: i64,
    pub iss: String,
    pub iat: u64,
    pub exp: u64,
}

impl AccessClaims {
    pub fn user_id(&self) -> Option<i64> {
        self.sub.parse().ok()
    }
}

/// Verifies access tokens against the keys it has been given, and knows sessions revoked
/// since their tokens were issued so they stop working at once rather than at expiry.
pub struct TokenVerifier {
    keys: RwLock<HashMap<String, DecodingKey>>,
    /// The keys as last given, to tell a reload that changes nothing.
    raw_keys: Mutex<Vec<(String, [u8; 32])>>,
    revoked: RwLock<HashMap<i64, Instant>>,
    validation: Validation,
    /// Tokens whose signature was already checked, by their exact text: an Ed25519
    /// verification costs tens of microseconds, and a client sends the same token with every
    /// request until it expires. Expiry and revocation are still checked on every use.
    verified: RwLock<HashMap<Box<str>, AccessClaims>>,
    /// Bumped by every key change, so a check that raced with one is not remembered.
    key_generation: AtomicU64,
}

/// Verified tokens remembered; past this the memory is emptied and refilled.
const VERIFIED_CAPACITY: usize = 16_384;

impl TokenVerifier {
    pub fn new(issuer: &str) -> Self {
        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.leeway = 5;
        validation.set_issuer(&[issuer]);
        validation.set_required_spec_claims(&["exp", "sub", "iss"]);
        TokenVerifier {
            keys: RwLock::new(HashMap::new()),
            raw_keys: Mutex::new(Vec::new()),
            revoked: RwLock::new(HashMap::new()),
            validation,
            verified: RwLock::new(HashMap::new()),
            key_generation: AtomicU64::new(0),
        }
    }

    /// Replaces the trusted keys: (key id, raw 32-byte Ed25519 public key). The same set again
    /// changes nothing (followers reload it every few seconds).
    pub fn set_keys(&self, keys: impl IntoIterator<Item = (String, [u8; 32])>) {
        let mut raw: Vec<(String, [u8; 32])> = keys.into_iter().collect();
        raw.sort_unstable();
        let mut known = self.raw_keys.lock().unwrap_or_else(|e| e.into_inner());
        if *known == raw {
            return;
        }
        let keys = raw
            .iter()
            .map(|(kid, public)| (kid.clone(), DecodingKey::from_ed_der(public)))
            .collect();
        *known = raw;
        *self.keys.write().unwrap_or_else(|e| e.into_inner()) = keys;
        // a key that is gone must not keep its tokens valid
        let mut verified = self.verified.write().unwrap_or_else(|e| e.into_inner());
        self.key_generation.fetch_add(1, Ordering::AcqRel);
        verified.clear();
    }

    /// Whether any key is known: until then no token can be checked.
    pub fn has_keys(&self) -> bool {
        !self.keys.read().unwrap_or_else(|e| e.into_inner()).is_empty()
    }

    /// Makes tokens of `session_id` invalid from now on. Entries are kept for `ttl` (the access
    /// token lifetime), after which no token of that session can still be valid.
    pub fn revoke_session(&self, session_id: i64, ttl: Duration) {
        let now = Instant::now();
        let mut revoked = self.revoked.write().unwrap_or_else(|e| e.into_inner());
        revoked.retain(|_, until| *until > now);
        revoked.insert(session_id, now + ttl);
    }

    pub fn is_revoked(&self, session_id: i64) -> bool {
        let revoked = self.revoked.read().unwrap_or_else(|e| e.into_inner());
        revoked.get(&session_id).is_some_and(|until| *until > Instant::now())
    }

    pub fn verify(&self, token: &str) -> Result<AccessClaims, ApiError> {
        let known = self
            .verified
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(token)
            .cloned();
        let claims = match known {
            Some(claims) => {
                let now = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .unwrap_or_default()
                    .as_secs();
                if claims.exp + self.validation.leeway < now {
                    return Err(ApiError::new(Code::TokenExpired, "the access token has expired"));
                }
                claims
            }
            None => {
                let generation = self.key_generation.load(Ordering::Acquire);
                let claims = self.verify_signature(token)?;
                let mut verified = self.verified.write().unwrap_or_else(|e| e.into_inner());
                if verified.len() >= VERIFIED_CAPACITY {
                    verified.clear();
                }
                // checked under the lock a key change clears it under
                if self.key_generation.load(Ordering::Acquire) == generation {
                    verified.insert(token.into(), claims.clone());
                }
                claims
            }
        };
        if self.is_revoked(claims.sid) {
            return Err(ApiError::new(Code::SessionRevoked, "this session has been signed out"));
        }
        Ok(claims)
    }

    /// Checks the signature, issuer and expiry of a token not seen before.
    fn verify_signature(&self, token: &str) -> Result<AccessClaims, ApiError> {
        let invalid = || ApiError::new(Code::InvalidToken, "the access token is not valid");
        let header = jsonwebtoken::decode_header(token).map_err(|_| invalid())?;
        let kid = header.kid.ok_or_else(invalid)?;
        let claims = {
            let keys = self.keys.read().unwrap_or_else(|e| e.into_inner());
            if keys.is_empty() {
                // a process whose auth service has not answered yet cannot tell
                return Err(ApiError::unavailable(
                    "access tokens cannot be checked yet: the token keys have not arrived",
                ));
            }
            let key = keys.get(&kid).ok_or_else(invalid)?;
            jsonwebtoken::decode::<AccessClaims>(token, key, &self.validation)
        }
        .map_err(|err| match err.kind() {
            ErrorKind::ExpiredSignature => ApiError::new(Code::TokenExpired, "the access token has expired"),
            _ => invalid(),
        })?
        .claims;
        if claims.user_id().is_none() {
            return Err(invalid());
        }
        Ok(claims)
    }
}
