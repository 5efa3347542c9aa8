//! Bot tokens have Telegram's shape, `<bot user id>:<secret>`: libraries read the bot's id from
//! the part before the colon. The secret is 32 random bytes in base64url (43 characters of
//! `A-Za-z0-9_-`, the alphabet of Telegram's own secrets); only the token's SHA-256 is stored.

use hybrid_core::secrets::{random_bytes, token_hash};
use subtle::ConstantTimeEq;

/// A new token for bot `bot_id`, and what to store of it.
pub fn issue(bot_id: i64) -> (String, Vec<u8>) {
    use base64::Engine as _;
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>());
    let token = format!("{bot_id}:{secret}");
    let hash = token_hash(&token);
    (token, hash)
}

/// The bot id a token names, if it has a token's shape.
pub fn bot_id(token: &str) -> Option<i64> {
    let (id, secret) = token.split_once(':')?;
    let well_formed = !id.is_empty()
        && id.bytes().all(|b| b.is_ascii_digit())
        && (20..=64).contains(&secret.len())
        && secret
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    well_formed.then(|| id.parse().ok()).flatten().filter(|id| *id > 0)
}

/// Whether `token` is the one whose hash is `stored`, compared in constant time.
pub fn matches(token: &str, stored: &[u8]) -> bool {
    token_hash(token).ct_eq(stored).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_names_its_bot_and_matches_only_itself() {
        let (token, hash) = issue(42);
        assert!(token.starts_with("42:"), "{token}");
        assert_eq!(token.len(), 3 + 43);
        assert_eq!(bot_id(&token), Some(42));
        assert!(matches(&token, &hash));
        let (other, _) = issue(42);
        assert!(!matches(&other, &hash));
    }

    #[test]
    fn malformed_tokens_name_nobody() {
        for bad in [
            "",
            "42",
            ":abcdefghijklmnopqrstuvwxyz",
            "x2:abcdefghijklmnopqrstuvwxyz",
            "42:short",
            "42:abcdefghijklmnopqrstuvw/xyz",
            "0:abcdefghijklmnopqrstuvwxyz",
            "-1:abcdefghijklmnopqrstuvwxyz",
            "99999999999999999999:abcdefghijklmnopqrstuvwxyz",
        ] {
            assert_eq!(bot_id(bad), None, "{bad:?}");
        }
        assert_eq!(bot_id("7:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"), Some(7));
    }
}
