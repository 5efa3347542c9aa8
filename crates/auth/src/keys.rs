//! Ed25519 keys that sign access tokens. Stored in the auth database with the private half
//! sealed by the master key, so every auth process signs with the same key and every service
//! verifies with the published public keys (JWKS).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use hybrid_core::AccessClaims;
use hybrid_store::Db;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::crypto::{MasterKey, random_bytes};
use crate::store;

/// PKCS#8 v1 prefix of an Ed25519 private key (RFC 8410); the 32-byte seed follows.
const PKCS8_ED25519_PREFIX: [u8; 16] = [
    0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
];

pub struct Signer {
    header: Header,
    key: EncodingKey,
}

impl Signer {
    fn new(kid: &str, seed: &[u8; 32]) -> Self {
        let mut der = PKCS8_ED25519_PREFIX.to_vec();
        der.extend_from_slice(seed);
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(kid.to_owned());
        Signer {
            header,
            key: EncodingKey::from_ed_der(&der),
        }
    }

    pub fn sign(&self, claims: &AccessClaims) -> anyhow::Result<String> {
        Ok(jsonwebtoken::encode(&self.header, claims, &self.key)?)
    }
}

pub struct SigningKeys {
    pub signer: Signer,
    /// Every key still trusted: (kid, public key).
    pub public: Vec<(String, [u8; 32])>,
}

impl SigningKeys {
    /// The JSON Web Key Set (RFC 7517/8037) of the trusted keys.
    pub fn jwks(&self) -> serde_json::Value {
        let keys: Vec<_> = self
            .public
            .iter()
            .map(|(kid, public)| {
                json!({"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
                       "kid": kid, "x": URL_SAFE_NO_PAD.encode(public)})
            })
            .collect();
        json!({ "keys": keys })
    }
}

fn kid_of(public: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(public)[..12])
}

/// Loads the trusted keys, creating the first one if there is none.
pub async fn load_or_create(db: &Db, master: &MasterKey) -> anyhow::Result<SigningKeys> {
    let mut rows = store::signing_keys(db).await?;
    if rows.is_empty() {
        let seed = random_bytes::<32>();
        let public = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        let kid = kid_of(&public);
        let sealed = master.seal(&format!("signing-key:{kid}"), &seed);
        store::insert_signing_key(db, &kid, sealed, public.to_vec()).await?;
        tracing::info!(kid, "created a new token signing key");
        rows = store::signing_keys(db).await?;
    }
    // Newest first: the newest key signs; all listed keys verify.
    let newest = rows.first().ok_or_else(|| anyhow::anyhow!("no signing key"))?;
    let seed: [u8; 32] = master
        .open(&format!("signing-key:{}", newest.kid), &newest.private_key)?
        .try_into()
        .map_err(|_| anyhow::anyhow!("signing key {} is corrupted", newest.kid))?;
    let signer = Signer::new(&newest.kid, &seed);
    let public = rows
        .iter()
        .filter_map(|row| Some((row.kid.clone(), row.public_key.clone().try_into().ok()?)))
        .collect();
    Ok(SigningKeys { signer, public })
}
