//! Attach tokens: how a service lets a user put one of its objects into a message without
//! chats calling it back (no cycle between the services). The owning service signs the
//! object's card for one user for a while; chats checks the signature, the user and the time
//! locally when that user sends a message with the token. The key is derived from the
//! deployment's master key ([`KEY_PURPOSE`]), so every process of either service holds it.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use prost::Message;
use sha2::Sha256;

use crate::Attachment;
use crate::proto::AttachClaim;

/// What `Secrets::derive_all` is given for the keys of attach tokens.
pub const KEY_PURPOSE: &str = "chats-attach";
/// The longest token chats reads (a card is at most about 6 KB).
const MAX_TOKEN: usize = 12 * 1024;

/// Why a token was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Not a token, or signed under another key, or altered.
    Invalid,
    /// Signed for someone else.
    NotYours,
    /// Past its time.
    Expired,
}

/// A token letting `user_id` attach `attachment` to a message until `expires` (ms since the
/// epoch), signed with `key`.
pub fn sign(key: &[u8; 32], user_id: i64, expires: i64, attachment: Attachment) -> String {
    let claim = AttachClaim {
        user_id,
        expires,
        attachment: Some(attachment),
    }
    .encode_to_vec();
    let tag = mac(key, &claim).finalize().into_bytes();
    format!("{}.{}", URL_SAFE_NO_PAD.encode(&claim), URL_SAFE_NO_PAD.encode(tag))
}

/// The card `token` lets `user_id` attach at `now`, when one of `keys` signed it.
pub fn verify(keys: &[[u8; 32]], token: &str, user_id: i64, now: i64) -> Result<Attachment, Refused> {
    if token.len() > MAX_TOKEN {
        return Err(Refused::Invalid);
    }
    let (claim, tag) = token.split_once('.').ok_or(Refused::Invalid)?;
    let claim = URL_SAFE_NO_PAD.decode(claim).map_err(|_| Refused::Invalid)?;
    let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| Refused::Invalid)?;
    if !keys.iter().any(|key| mac(key, &claim).verify_slice(&tag).is_ok()) {
        return Err(Refused::Invalid);
    }
    let claim = AttachClaim::decode(claim.as_slice()).map_err(|_| Refused::Invalid)?;
    if claim.user_id != user_id {
        return Err(Refused::NotYours);
    }
    if claim.expires <= now {
        return Err(Refused::Expired);
    }
    claim.attachment.ok_or(Refused::Invalid)
}

fn mac(key: &[u8; 32], claim: &[u8]) -> Hmac<Sha256> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes keys of any length");
    mac.update(b"hybrid-attach:");
    mac.update(claim);
    mac
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> Attachment {
        Attachment {
            kind: "file".into(),
            service: "files".into(),
            object_id: "42".into(),
            version: 1,
            preview: r#"{"name":"a.png"}"#.into(),
            searchable_text: "a.png".into(),
        }
    }

    #[test]
    fn a_token_holds_for_its_user_until_its_time_under_any_accepted_key() {
        let (old, new) = ([1u8; 32], [2u8; 32]);
        let token = sign(&old, 7, 1_000, card());
        assert_eq!(verify(&[new, old], &token, 7, 999), Ok(card()));
        assert_eq!(verify(&[new], &token, 7, 999), Err(Refused::Invalid));
        assert_eq!(verify(&[old], &token, 8, 999), Err(Refused::NotYours));
        assert_eq!(verify(&[old], &token, 7, 1_000), Err(Refused::Expired));
    }

    #[test]
    fn an_altered_token_is_refused() {
        let key = [3u8; 32];
        let token = sign(&key, 7, 1_000, card());
        let (claim, tag) = token.split_once('.').unwrap();
        let mut bytes = URL_SAFE_NO_PAD.decode(claim).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        let forged = format!("{}.{tag}", URL_SAFE_NO_PAD.encode(&bytes));
        assert_eq!(verify(&[key], &forged, 7, 0), Err(Refused::Invalid));
        for junk in ["", ".", "abc", "a.b.c", &"x".repeat(MAX_TOKEN + 1)] {
            assert_eq!(verify(&[key], junk, 7, 0), Err(Refused::Invalid), "{junk:.10}");
        }
    }
}
