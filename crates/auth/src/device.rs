//! Device cookies (OWASP's answer to account lockout): a browser that signed in to an account
//! gets a cookie signed for that account. Failed logins count per (account, client address),
//! per address, and, from devices without the cookie, per account, which is what stops a guesser
//! spread over many addresses. A login that shows a valid cookie for the account it names is
//! counted against that cookie alone, so an attacker who locks the account out for strangers
//! does not lock out its owner's own devices. A cookie is bound to the account's password hash
//! as well: setting a new password voids every cookie issued before, including any an
//! intruder collected while they knew the old one.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

/// What the device-cookie key is derived for, from the master key.
pub const DEVICE_COOKIE: &str = "hybrid login device cookie v1";

/// What a cookie is bound to: the folded username and the current password hash.
pub struct Account<'a> {
    username: &'a str,
    password_hash: &'a str,
}

impl<'a> Account<'a> {
    pub fn new(username: &'a str, password_hash: &'a str) -> Self {
        Account {
            username,
            password_hash,
        }
    }
}

/// The cookie value for `account`, issued at `issued_at` (Unix seconds): `hd1.<issued_at>.<MAC>`.
pub fn issue(key: &[u8; 32], account: &Account<'_>, issued_at: i64) -> String {
    format!(
        "hd1.{issued_at}.{}",
        URL_SAFE_NO_PAD.encode(keyed(key, account, issued_at).finalize().into_bytes())
    )
}

/// The cookie's identity (its MAC, which names the device's budget) when it was issued for
/// `account` no earlier than `not_before` (Unix seconds).
pub fn verify(key: &[u8; 32], account: &Account<'_>, cookie: &str, not_before: i64) -> Option<String> {
    let rest = cookie.strip_prefix("hd1.")?;
    let (issued_at, tag) = rest.split_once('.')?;
    let issued_at: i64 = issued_at.parse().ok()?;
    let tag_bytes = URL_SAFE_NO_PAD.decode(tag).ok()?;
    keyed(key, account, issued_at).verify_slice(&tag_bytes).ok()?;
    (issued_at >= not_before).then(|| tag.to_owned())
}

fn keyed(key: &[u8; 32], account: &Account<'_>, issued_at: i64) -> Hmac<Sha256> {
    let mut mac = <Hmac<Sha256>>::new_from_slice(key).expect("HMAC takes any key length");
    for part in [account.username, account.password_hash] {
        mac.update(part.as_bytes());
        mac.update(b"\0");
    }
    mac.update(issued_at.to_string().as_bytes());
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_good_for_its_account_password_key_and_lifetime_only() {
        let (key, other_key) = ([7; 32], [8; 32]);
        let alice = Account::new("alice", "$argon2id$old");
        let cookie = issue(&key, &alice, 1_000);
        assert!(verify(&key, &alice, &cookie, 900).is_some());
        let other = Account::new("alicf", "$argon2id$old");
        assert!(verify(&key, &other, &cookie, 900).is_none(), "another account");
        let new_password = Account::new("alice", "$argon2id$new");
        assert!(verify(&key, &new_password, &cookie, 900).is_none(), "password changed");
        assert!(verify(&other_key, &alice, &cookie, 900).is_none(), "another key");
        assert!(verify(&key, &alice, &cookie, 1_001).is_none(), "expired");
        let forged = cookie.replace("hd1.1000.", "hd1.2000.");
        assert!(verify(&key, &alice, &forged, 900).is_none(), "moved forward");
        assert!(verify(&key, &alice, "hd1.x.y", 0).is_none());
        assert!(verify(&key, &alice, "", 0).is_none());
    }
}
