//! Web Push on the wire: a payload encrypted for one browser subscription (RFC 8291, the
//! `aes128gcm` content coding of RFC 8188 in one record) and the VAPID header that identifies
//! this server to the push service (RFC 8292). Built on RustCrypto's P-256 (ECDH, ES256), HKDF
//! and AES-GCM rather than the `web-push` crate, which would bring a second `http`, chrono and
//! OpenSSL (through `ece`) for the same few steps. The tests check both against Python's
//! `http_ece` and `cryptography`, independent implementations (`hybrid_testkit::push_check`).

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hkdf::Hkdf;
use p256::ecdsa::SigningKey;
use p256::ecdsa::signature::Signer;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use sha2::Sha256;

/// The one record's size announced in the header: the whole payload fits in it.
const RECORD_SIZE: u32 = 4096;
/// The largest plaintext one record carries (the record size, less the delimiter and tag).
pub const MAX_PLAINTEXT: usize = RECORD_SIZE as usize - 1 - 16;
/// How long a VAPID signature holds (RFC 8292 allows up to 24 hours).
const VAPID_LIFETIME_SECS: i64 = 12 * 3600;

/// Why a subscription's keys cannot be used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadKeys {
    /// `p256dh` is not an uncompressed P-256 point.
    PublicKey,
    /// `auth` is not 16 bytes.
    AuthSecret,
}

/// A browser's subscription keys, decoded.
#[derive(Debug, Clone)]
pub struct Receiver {
    public: PublicKey,
    auth: [u8; 16],
}

impl Receiver {
    /// From the subscription's `keys.p256dh` and `keys.auth` (base64url, as browsers give them).
    pub fn from_base64(p256dh: &str, auth: &str) -> Result<Receiver, BadKeys> {
        let public = decode(p256dh).ok_or(BadKeys::PublicKey)?;
        if public.len() != 65 {
            return Err(BadKeys::PublicKey);
        }
        let public = PublicKey::from_sec1_bytes(&public).map_err(|_| BadKeys::PublicKey)?;
        let auth = decode(auth)
            .and_then(|bytes| <[u8; 16]>::try_from(bytes).ok())
            .ok_or(BadKeys::AuthSecret)?;
        Ok(Receiver { public, auth })
    }
}

/// `plaintext` encrypted for `receiver`: the request body, sent with
/// `Content-Encoding: aes128gcm`.
pub fn encrypt(receiver: &Receiver, plaintext: &[u8]) -> Vec<u8> {
    encrypt_with(receiver, plaintext, &random_secret(), random_bytes::<16>())
}

/// [`encrypt`] with the sender's one-time key and salt given (for tests).
fn encrypt_with(receiver: &Receiver, plaintext: &[u8], sender: &SecretKey, salt: [u8; 16]) -> Vec<u8> {
    assert!(plaintext.len() <= MAX_PLAINTEXT, "a Web Push payload fits one record");
    let receiver_public = receiver.public.to_encoded_point(false);
    let sender_public = sender.public_key().to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(sender.to_nonzero_scalar(), receiver.public.as_affine());
    // RFC 8291 section 3.4: the input keying material, from the ECDH secret and the auth secret
    let mut key_info = b"WebPush: info\0".to_vec();
    key_info.extend_from_slice(receiver_public.as_bytes());
    key_info.extend_from_slice(sender_public.as_bytes());
    let mut ikm = [0u8; 32];
    Hkdf::<Sha256>::new(Some(&receiver.auth), shared.raw_secret_bytes())
        .expand(&key_info, &mut ikm)
        .expect("32 bytes is a valid HKDF-SHA256 length");
    // RFC 8188 section 2.2 and 2.3: the content encryption key and nonce, from the salt
    let prk = Hkdf::<Sha256>::new(Some(&salt), &ikm);
    let (mut cek, mut nonce) = ([0u8; 16], [0u8; 12]);
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .expect("16 bytes");
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce).expect("12 bytes");
    let mut record = plaintext.to_vec();
    record.push(2); // the last (and only) record's delimiter
    let ciphertext = Aes128Gcm::new(&cek.into())
        .encrypt(&Nonce::from(nonce), record.as_slice())
        .expect("AES-GCM encryption does not fail for in-memory buffers");
    // the header: salt, record size, the sender's public key as the key id
    let mut body = Vec::with_capacity(16 + 4 + 1 + 65 + ciphertext.len());
    body.extend_from_slice(&salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(sender_public.as_bytes());
    body.extend_from_slice(&ciphertext);
    body
}

/// This server's VAPID key pair.
#[derive(Clone)]
pub struct Vapid {
    key: SigningKey,
    /// `sub`: how the push service reaches the operator (`mailto:` or `https:`).
    subject: String,
}

impl Vapid {
    /// From the private key's 32 bytes.
    pub fn new(private: &[u8], subject: String) -> Option<Vapid> {
        let secret = SecretKey::from_slice(private).ok()?;
        Some(Vapid {
            key: SigningKey::from(&secret),
            subject,
        })
    }

    /// A new private key's 32 bytes.
    pub fn generate() -> [u8; 32] {
        random_secret().to_bytes().into()
    }

    /// The public key browsers subscribe with (`applicationServerKey`), base64url.
    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.key.verifying_key().to_encoded_point(false).as_bytes())
    }

    /// The `Authorization` header for a request to `endpoint` at `now` (Unix seconds).
    pub fn authorization(&self, endpoint: &str, now: i64) -> Option<String> {
        let url = url_origin(endpoint)?;
        let header = URL_SAFE_NO_PAD.encode(br#"{"typ":"JWT","alg":"ES256"}"#);
        let claims = serde_json::json!({"aud": url, "exp": now + VAPID_LIFETIME_SECS, "sub": self.subject});
        let claims = URL_SAFE_NO_PAD.encode(claims.to_string());
        let signing_input = format!("{header}.{claims}");
        let signature: p256::ecdsa::Signature = self.key.sign(signing_input.as_bytes());
        let jwt = format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(signature.to_bytes()));
        Some(format!("vapid t={jwt}, k={}", self.public_key()))
    }
}

/// `scheme://host[:port]` of a URL: the audience of a VAPID token.
fn url_origin(endpoint: &str) -> Option<String> {
    let (scheme, rest) = endpoint.split_once("://")?;
    let authority = rest.split(['/', '?', '#']).next().filter(|a| !a.is_empty())?;
    matches!(scheme, "https" | "http").then(|| format!("{scheme}://{authority}"))
}

fn decode(text: &str) -> Option<Vec<u8>> {
    URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok()
}

fn random_bytes<const N: usize>() -> [u8; N] {
    hybrid_core::secrets::random_bytes::<N>()
}

/// A random P-256 private key (a random 32 bytes is one but for about 2^-32 of them).
fn random_secret() -> SecretKey {
    loop {
        if let Ok(key) = SecretKey::from_slice(&random_bytes::<32>()) {
            return key;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn b64(bytes: &[u8]) -> String {
        URL_SAFE_NO_PAD.encode(bytes)
    }

    #[test]
    fn http_ece_decrypts_what_a_browser_would_get() {
        let browser = random_secret();
        let auth = random_bytes::<16>();
        let public = b64(browser.public_key().to_encoded_point(false).as_bytes());
        let receiver = Receiver::from_base64(&public, &b64(&auth)).unwrap();
        let plaintext = r#"{"title":"Anna","body":"Привет 👋"}"#;
        let body = encrypt(&receiver, plaintext.as_bytes());
        let input = serde_json::json!({
            "private": b64(&browser.to_bytes()),
            "auth": b64(&auth),
            "body": b64(&body),
        });
        assert_eq!(hybrid_testkit::push_check(&input)["payload"], plaintext);
        // one-time keys: the same payload never encrypts the same way twice
        assert_ne!(encrypt(&receiver, plaintext.as_bytes()), body);
    }

    #[test]
    fn the_vapid_header_verifies_with_its_own_key() {
        let vapid = Vapid::new(&Vapid::generate(), "mailto:ops@example.com".into()).unwrap();
        let header = vapid
            .authorization("https://push.example.net:8443/wpush/v2/abc?x=1", 1_800_000_000)
            .unwrap();
        let seen = hybrid_testkit::push_check(&serde_json::json!({"authorization": header}));
        assert_eq!(seen["head"]["alg"], "ES256");
        assert_eq!(
            seen["claims"],
            serde_json::json!({"aud": "https://push.example.net:8443", "exp": 1_800_000_000 + VAPID_LIFETIME_SECS, "sub": "mailto:ops@example.com"})
        );
        assert_eq!(header.rsplit("k=").next(), Some(vapid.public_key().as_str()));
    }

    #[test]
    fn bad_subscription_keys_and_endpoints_are_refused() {
        let auth = b64(&[7u8; 16]);
        let point = b64(random_secret().public_key().to_encoded_point(false).as_bytes());
        assert!(Receiver::from_base64(&point, &auth).is_ok());
        assert_eq!(Receiver::from_base64("AAAA", &auth).unwrap_err(), BadKeys::PublicKey);
        assert_eq!(
            Receiver::from_base64(&b64(&[4u8; 65]), &auth).unwrap_err(),
            BadKeys::PublicKey
        );
        assert_eq!(Receiver::from_base64(&point, "AAAA").unwrap_err(), BadKeys::AuthSecret);
        assert_eq!(
            Receiver::from_base64(&point, "not base64!").unwrap_err(),
            BadKeys::AuthSecret
        );
        assert_eq!(
            url_origin("https://fcm.googleapis.com/fcm/send/x"),
            Some("https://fcm.googleapis.com".into())
        );
        assert_eq!(url_origin("ftp://example.com/x"), None);
        assert_eq!(url_origin("https:///x"), None);
        assert_eq!(
            Vapid::new(&[0u8; 32], String::new()).map(|_| ()),
            None,
            "zero is no P-256 key"
        );
    }

    #[test]
    fn a_known_key_and_salt_give_a_known_header() {
        let receiver = Receiver::from_base64(
            &b64(random_secret().public_key().to_encoded_point(false).as_bytes()),
            &b64(&[1u8; 16]),
        )
        .unwrap();
        let sender = random_secret();
        let body = encrypt_with(&receiver, b"hi", &sender, [9u8; 16]);
        assert_eq!(&body[..16], &[9u8; 16]);
        assert_eq!(&body[16..20], &4096u32.to_be_bytes());
        assert_eq!(body[20], 65);
        assert_eq!(&body[21..86], sender.public_key().to_encoded_point(false).as_bytes());
        assert_eq!(body.len(), 86 + 2 + 1 + 16, "the text, its delimiter, the tag");
    }
}
