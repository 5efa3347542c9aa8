//! Secrets at rest and token material.
//!
//! One 32-byte master key (config `auth.master_key`, or `data_dir/master.key` generated on the
//! first embedded start) encrypts signing keys and TOTP secrets with AES-256-GCM, and derives
//! the key that links each refresh token to its successor.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use hybrid_core::Config;
use sha2::{Digest, Sha256};

const NONCE_LEN: usize = 12;

pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the OS random number generator failed");
    bytes
}

/// A random opaque token: `prefix` + 32 random bytes in base64url.
pub fn random_token(prefix: &str) -> String {
    format!("{prefix}{}", URL_SAFE_NO_PAD.encode(random_bytes::<32>()))
}

/// Tokens are stored by hash only.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

pub struct MasterKey {
    cipher: Aes256Gcm,
    refresh_key: [u8; 32],
}

impl MasterKey {
    pub fn from_bytes(key: &[u8; 32]) -> Self {
        let mut mac = <Hmac<Sha256>>::new_from_slice(key).expect("HMAC takes any key length");
        mac.update(b"hybrid refresh-token successor v1");
        MasterKey {
            cipher: Aes256Gcm::new_from_slice(key).expect("32-byte key"),
            refresh_key: mac.finalize().into_bytes().into(),
        }
    }

    /// The configured key, or for embedded installs the one in `data_dir/master.key`,
    /// generated on first start.
    pub fn resolve(config: &Config) -> anyhow::Result<Self> {
        let encoded = if !config.auth.master_key.is_empty() {
            config.auth.master_key.trim().to_owned()
        } else if config.database.url.is_empty() {
            read_or_create_key_file(&config.data_dir.join("master.key"))?
        } else {
            bail!(
                "auth.master_key (HYBRID_AUTH__MASTER_KEY) must be set when the database is not \
                 embedded, so that every auth process shares it; make one with `hybrid admin gen-master-key`"
            );
        };
        let bytes = STANDARD
            .decode(encoded.as_bytes())
            .context("auth.master_key must be base64")?;
        let key: [u8; 32] = bytes
            .try_into()
            .map_err(|_| anyhow::anyhow!("auth.master_key must be 32 bytes (44 base64 characters)"))?;
        Ok(Self::from_bytes(&key))
    }

    /// Encrypts `plain`, bound to `context` (e.g. `totp:42`) so ciphertexts can't be swapped
    /// between rows.
    pub fn seal(&self, context: &str, plain: &[u8]) -> Vec<u8> {
        let nonce_bytes = random_bytes::<NONCE_LEN>();
        let nonce = Nonce::from(nonce_bytes);
        let mut sealed = nonce_bytes.to_vec();
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plain,
                    aad: context.as_bytes(),
                },
            )
            .expect("AES-GCM encryption does not fail for in-memory buffers");
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    pub fn open(&self, context: &str, sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
        if sealed.len() < NONCE_LEN {
            bail!("sealed value too short");
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let nonce = Nonce::try_from(nonce).expect("checked length");
        self.cipher
            .decrypt(
                &nonce,
                Payload {
                    msg: ciphertext,
                    aad: context.as_bytes(),
                },
            )
            .map_err(|_| anyhow::anyhow!("cannot decrypt {context}: wrong master key or corrupted data"))
    }

    /// The refresh token that replaces `token`. Deterministic, so a spent token presented again
    /// within the grace period gets the same successor without storing any token in clear.
    pub fn refresh_successor(&self, token: &str) -> String {
        let mut mac = <Hmac<Sha256>>::new_from_slice(&self.refresh_key).expect("HMAC takes any key length");
        mac.update(token.as_bytes());
        format!("hrt_{}", URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
    }
}

/// A fresh master key, base64.
pub fn generate_master_key() -> String {
    STANDARD.encode(random_bytes::<32>())
}

fn read_or_create_key_file(path: &Path) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(key) => return Ok(key),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
        Err(err) => return Err(err).with_context(|| format!("reading {}", path.display())),
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let key = generate_master_key();
    write_private(path, &key).with_context(|| format!("writing {}", path.display()))?;
    tracing::info!(path = %path.display(), "generated a new master key; back it up with the data");
    Ok(key)
}

fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_round_trip_and_context_binding() {
        let key = MasterKey::from_bytes(&[7; 32]);
        let sealed = key.seal("totp:1", b"secret");
        assert_eq!(key.open("totp:1", &sealed).unwrap(), b"secret");
        assert!(key.open("totp:2", &sealed).is_err());
        assert!(MasterKey::from_bytes(&[8; 32]).open("totp:1", &sealed).is_err());
    }

    #[test]
    fn successors_are_deterministic_and_key_bound() {
        let a = MasterKey::from_bytes(&[1; 32]);
        let b = MasterKey::from_bytes(&[2; 32]);
        assert_eq!(a.refresh_successor("hrt_x"), a.refresh_successor("hrt_x"));
        assert_ne!(a.refresh_successor("hrt_x"), a.refresh_successor("hrt_y"));
        assert_ne!(a.refresh_successor("hrt_x"), b.refresh_successor("hrt_x"));
    }
}
