//! Token material. Secrets at rest (signing keys, TOTP secrets) are sealed with the master key
//! through `hybrid_core::secrets`, which also derives the key that links each refresh token to
//! its successor.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
pub use hybrid_core::secrets::{random_bytes, random_token, token_hash};
use sha2::Sha256;

/// The refresh token that replaces `token`, keyed by `key` (derived from the master key).
/// Deterministic, so a spent token presented again within the grace period gets the same
/// successor without storing any token in clear.
pub fn refresh_successor(key: &[u8; 32], token: &str) -> String {
    let mut mac = <Hmac<Sha256>>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(token.as_bytes());
    format!("hrt_{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// What the refresh-successor key is derived for, from the master key.
pub const REFRESH_SUCCESSOR: &str = "hybrid refresh-token successor v1";

#[cfg(test)]
mod tests {
    use hybrid_core::Secrets;

    use super::*;

    #[test]
    fn successors_are_deterministic_and_key_bound() {
        let a = Secrets::from_keys([1; 32], &[]).derive(REFRESH_SUCCESSOR);
        let b = Secrets::from_keys([2; 32], &[]).derive(REFRESH_SUCCESSOR);
        assert_eq!(refresh_successor(&a, "hrt_x"), refresh_successor(&a, "hrt_x"));
        assert_ne!(refresh_successor(&a, "hrt_x"), refresh_successor(&a, "hrt_y"));
        assert_ne!(refresh_successor(&a, "hrt_x"), refresh_successor(&b, "hrt_x"));
    }
}
