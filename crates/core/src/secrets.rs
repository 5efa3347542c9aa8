//! Secrets at rest, for every module: one 32-byte master key (`secrets.master_key`, or
//! `data_dir/master.key` generated on the first embedded start) seals values with AES-256-GCM,
//! each bound to a context (`totp:42`) so a sealed value cannot be moved to another row, and
//! derives keys for other uses (HMAC).
//!
//! Rotation: set a new `secrets.master_key` and list the old one in `secrets.retired_keys`.
//! Values sealed under a retired key still open; `hybrid admin reseal` seals every stored value
//! again under the current key (each module's [`Module::reseal`](crate::Module::reseal)),
//! after which the retired key can be dropped.

use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use anyhow::{Context, bail};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

use crate::Config;

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

/// What a token is stored as: its SHA-256, so a copy of the database opens nothing.
pub fn token_hash(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

/// A fresh master key, base64.
pub fn generate_master_key() -> String {
    STANDARD.encode(random_bytes::<32>())
}

struct Key {
    raw: [u8; 32],
    cipher: Aes256Gcm,
}

impl Key {
    fn new(raw: [u8; 32]) -> Key {
        Key {
            cipher: Aes256Gcm::new_from_slice(&raw).expect("32-byte key"),
            raw,
        }
    }

    fn open(&self, context: &str, sealed: &[u8]) -> Option<Vec<u8>> {
        let (nonce, ciphertext) = sealed.split_at_checked(NONCE_LEN)?;
        let nonce = Nonce::try_from(nonce).ok()?;
        let payload = Payload {
            msg: ciphertext,
            aad: context.as_bytes(),
        };
        self.cipher.decrypt(&nonce, payload).ok()
    }
}

/// The master key of the deployment and the keys it replaced.
pub struct Secrets {
    current: Key,
    retired: Vec<Key>,
}

impl Secrets {
    pub fn from_keys(current: [u8; 32], retired: &[[u8; 32]]) -> Secrets {
        Secrets {
            current: Key::new(current),
            retired: retired.iter().copied().map(Key::new).collect(),
        }
    }

    /// The configured keys. Without a configured master key an embedded install uses (and on
    /// first start makes) `data_dir/master.key`; a PostgreSQL deployment must configure one, so
    /// that every process shares it.
    pub fn resolve(config: &Config) -> anyhow::Result<Secrets> {
        let (setting, configured) = if !config.secrets.master_key.is_empty() {
            ("secrets.master_key", config.secrets.master_key.trim().to_owned())
        } else if config.database.url.is_empty() {
            let path = config.data_dir.join("master.key");
            ("data_dir/master.key", read_or_create_key_file(&path)?)
        } else {
            bail!(
                "secrets.master_key (HYBRID_SECRETS__MASTER_KEY) must be set when the database is not \
                 embedded, so that every process shares it; make one with `hybrid admin gen-master-key`"
            );
        };
        let current = decode_key(setting, &configured)?;
        let retired = config
            .secrets
            .retired_keys
            .split(',')
            .map(str::trim)
            .filter(|key| !key.is_empty())
            .map(|key| decode_key("secrets.retired_keys", key))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Secrets::from_keys(current, &retired))
    }

    /// Encrypts `plain` under the current key, bound to `context`.
    pub fn seal(&self, context: &str, plain: &[u8]) -> Vec<u8> {
        let nonce_bytes = random_bytes::<NONCE_LEN>();
        let payload = Payload {
            msg: plain,
            aad: context.as_bytes(),
        };
        let ciphertext = self
            .current
            .cipher
            .encrypt(&Nonce::from(nonce_bytes), payload)
            .expect("AES-GCM encryption does not fail for in-memory buffers");
        let mut sealed = nonce_bytes.to_vec();
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// Decrypts a value sealed under the current key or a retired one.
    pub fn open(&self, context: &str, sealed: &[u8]) -> anyhow::Result<Vec<u8>> {
        std::iter::once(&self.current)
            .chain(&self.retired)
            .find_map(|key| key.open(context, sealed))
            .ok_or_else(|| anyhow::anyhow!("cannot decrypt {context}: wrong master key or corrupted data"))
    }

    /// `sealed` sealed again under the current key when a retired key sealed it; `None` when it
    /// is current already.
    pub fn reseal(&self, context: &str, sealed: &[u8]) -> anyhow::Result<Option<Vec<u8>>> {
        if self.current.open(context, sealed).is_some() {
            return Ok(None);
        }
        Ok(Some(self.seal(context, &self.open(context, sealed)?)))
    }

    /// A key for `purpose` derived from the current master key (HMAC-SHA256).
    pub fn derive(&self, purpose: &str) -> [u8; 32] {
        derive(&self.current, purpose)
    }

    /// The key for `purpose` from the current master key, then from each retired one: what a
    /// process still accepts while the deployment rotates its master key.
    pub fn derive_all(&self, purpose: &str) -> Vec<[u8; 32]> {
        std::iter::once(&self.current)
            .chain(&self.retired)
            .map(|key| derive(key, purpose))
            .collect()
    }
}

fn derive(key: &Key, purpose: &str) -> [u8; 32] {
    let mut mac = <Hmac<Sha256>>::new_from_slice(&key.raw).expect("HMAC takes any key length");
    mac.update(purpose.as_bytes());
    mac.finalize().into_bytes().into()
}

fn decode_key(setting: &str, encoded: &str) -> anyhow::Result<[u8; 32]> {
    let bytes = STANDARD
        .decode(encoded.as_bytes())
        .with_context(|| format!("{setting} must be base64"))?;
    bytes
        .try_into()
        .map_err(|_| anyhow::anyhow!("{setting} must be 32 bytes (44 base64 characters)"))
}

fn read_or_create_key_file(path: &Path) -> anyhow::Result<String> {
    match std::fs::read_to_string(path) {
        Ok(key) => return Ok(key.trim().to_owned()),
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
        let secrets = Secrets::from_keys([7; 32], &[]);
        let sealed = secrets.seal("totp:1", b"secret");
        assert_eq!(secrets.open("totp:1", &sealed).unwrap(), b"secret");
        assert!(secrets.open("totp:2", &sealed).is_err());
        assert!(Secrets::from_keys([8; 32], &[]).open("totp:1", &sealed).is_err());
        assert!(secrets.open("totp:1", b"short").is_err());
    }

    #[test]
    fn a_rotated_key_still_opens_old_values_until_they_are_resealed() {
        let old = Secrets::from_keys([1; 32], &[]);
        let sealed = old.seal("signing-key:k1", b"seed");
        let rotated = Secrets::from_keys([2; 32], &[[1; 32]]);
        assert_eq!(rotated.open("signing-key:k1", &sealed).unwrap(), b"seed");
        let resealed = rotated
            .reseal("signing-key:k1", &sealed)
            .unwrap()
            .expect("was under the old key");
        assert!(
            rotated.reseal("signing-key:k1", &resealed).unwrap().is_none(),
            "current already"
        );
        let dropped = Secrets::from_keys([2; 32], &[]);
        assert_eq!(dropped.open("signing-key:k1", &resealed).unwrap(), b"seed");
        assert!(dropped.open("signing-key:k1", &sealed).is_err(), "the old key is gone");
    }

    #[test]
    fn derived_keys_depend_on_purpose_and_master_key() {
        let a = Secrets::from_keys([1; 32], &[]);
        assert_eq!(a.derive("x"), a.derive("x"));
        assert_ne!(a.derive("x"), a.derive("y"));
        assert_ne!(a.derive("x"), Secrets::from_keys([2; 32], &[]).derive("x"));
        let rotating = Secrets::from_keys([2; 32], &[[1; 32]]);
        assert_eq!(rotating.derive_all("x"), vec![rotating.derive("x"), a.derive("x")]);
    }

    #[test]
    fn keys_are_read_from_config_or_made_once_in_the_data_dir() {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config {
            data_dir: dir.path().to_path_buf(),
            ..Config::default()
        };
        let made = Secrets::resolve(&config).unwrap();
        let sealed = made.seal("c", b"v");
        assert_eq!(Secrets::resolve(&config).unwrap().open("c", &sealed).unwrap(), b"v");
        config.database.url = "postgres://db/hybrid".into();
        let refused = Secrets::resolve(&config).err().unwrap().to_string();
        assert!(refused.contains("HYBRID_SECRETS__MASTER_KEY"), "{refused}");
        config.secrets.master_key = STANDARD.encode([9; 32]);
        config.secrets.retired_keys = std::fs::read_to_string(dir.path().join("master.key")).unwrap();
        assert_eq!(Secrets::resolve(&config).unwrap().open("c", &sealed).unwrap(), b"v");
        config.secrets.master_key = "short".into();
        let bad = Secrets::resolve(&config).err().unwrap().to_string();
        assert!(bad.contains("secrets.master_key must be"), "{bad}");
    }
}
