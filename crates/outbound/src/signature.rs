//! Signed bodies: a receiver checks that a webhook came from this server and is fresh.
//!
//! The header is `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (the scheme Stripe
//! and others use), so a receiver needs only an HMAC and a clock, and a replay of an old
//! body fails the age check.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

/// The header the signature travels in.
pub const SIGNATURE_HEADER: &str = "x-hybrid-signature";

/// The lowercase hex HMAC-SHA256 of `data` under `key`.
pub fn hmac_sha256_hex(key: &[u8], data: &[&[u8]]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    for part in data {
        mac.update(part);
    }
    let digest = mac.finalize().into_bytes();
    let mut hex = String::with_capacity(digest.len() * 2);
    for byte in digest {
        hex.push(char::from_digit((byte >> 4) as u32, 16).unwrap_or('0'));
        hex.push(char::from_digit((byte & 0xf) as u32, 16).unwrap_or('0'));
    }
    hex
}

/// The signature header's value for `body` sent at `unix_seconds`.
pub fn sign(secret: &[u8], unix_seconds: i64, body: &[u8]) -> String {
    let t = unix_seconds.to_string();
    format!("t={t},v1={}", hmac_sha256_hex(secret, &[t.as_bytes(), b".", body]))
}

/// Whether `header` signs `body` with `secret` and is at most `max_age_seconds` old at
/// `now_seconds`: what a receiver runs (and what the tests check deliveries with).
pub fn verify(secret: &[u8], header: &str, body: &[u8], now_seconds: i64, max_age_seconds: i64) -> bool {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", value)) => t = value.parse::<i64>().ok(),
            Some(("v1", value)) => v1 = Some(value),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else { return false };
    if (now_seconds - t).abs() > max_age_seconds {
        return false;
    }
    let expected = hmac_sha256_hex(secret, &[t.to_string().as_bytes(), b".", body]);
    constant_time_eq(expected.as_bytes(), v1.as_bytes())
}

/// Whether `given` equals `secret`, in a time that does not tell how much of it matched: for
/// checks that run on attacker-chosen input.
pub fn constant_time_eq(given: &[u8], secret: &[u8]) -> bool {
    given.ct_eq(secret).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hmac_matches_rfc_4231() {
        // RFC 4231, test case 2
        assert_eq!(
            hmac_sha256_hex(b"Jefe", &[b"what do ya want ", b"for nothing?"]),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn a_signature_verifies_only_for_its_body_secret_and_time() {
        let header = sign(b"secret", 1_700_000_000, b"{\"a\":1}");
        assert!(header.starts_with("t=1700000000,v1="));
        assert_eq!(
            header,
            format!(
                "t=1700000000,v1={}",
                hmac_sha256_hex(b"secret", &[b"1700000000.{\"a\":1}"])
            )
        );
        assert!(verify(b"secret", &header, b"{\"a\":1}", 1_700_000_010, 300));
        assert!(
            !verify(b"secret", &header, b"{\"a\":2}", 1_700_000_010, 300),
            "another body"
        );
        assert!(
            !verify(b"other", &header, b"{\"a\":1}", 1_700_000_010, 300),
            "another secret"
        );
        assert!(!verify(b"secret", &header, b"{\"a\":1}", 1_700_001_000, 300), "too old");
        assert!(!verify(b"secret", "v1=00", b"{\"a\":1}", 1_700_000_010, 300), "no time");
    }

    #[test]
    fn constant_time_eq_is_equality() {
        assert!(constant_time_eq(b"secret", b"secret"));
        assert!(!constant_time_eq(b"secreT", b"secret"));
        assert!(!constant_time_eq(b"secret", b"secret2"), "a longer guess");
        assert!(!constant_time_eq(b"", b"secret"));
    }
}
