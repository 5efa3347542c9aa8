//! Ed25519 keys that sign access tokens. Stored in the auth database with the private half
//! sealed by the master key, so every auth process signs with the same key and every service
//! verifies with the published public keys (JWKS).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use hybrid_core::{AccessClaims, ApiResult};
use hybrid_store::Db;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use sha2::{Digest, Sha256};

use hybrid_core::Secrets;

use crate::crypto::random_bytes;
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

/// A trusted key: (kid, raw 32-byte Ed25519 public key).
pub type PublicKey = (String, [u8; 32]);

/// The JSON Web Key Set (RFC 7517/8037) of `keys`.
pub fn jwks(keys: &[PublicKey]) -> serde_json::Value {
    let keys: Vec<_> = keys
        .iter()
        .map(|(kid, public)| {
            json!({"kty": "OKP", "crv": "Ed25519", "alg": "EdDSA", "use": "sig",
                   "kid": kid, "x": URL_SAFE_NO_PAD.encode(public)})
        })
        .collect();
    json!({ "keys": keys })
}

fn kid_of(public: &[u8; 32]) -> String {
    URL_SAFE_NO_PAD.encode(&Sha256::digest(public)[..12])
}

/// Every key still trusted, newest first, as stored now: read on each request so that all auth
/// replicas publish the same set whichever of them started first.
pub async fn trusted(db: &Db) -> ApiResult<Vec<PublicKey>> {
    Ok(store::signing_keys(db)
        .await?
        .into_iter()
        .filter_map(|row| Some((row.kid, row.public_key.try_into().ok()?)))
        .collect())
}

/// The signer of the newest trusted key, creating the first key if there is none.
pub async fn load_or_create(db: &Db, master: &Secrets) -> anyhow::Result<Signer> {
    let mut rows = store::signing_keys(db).await?;
    if rows.is_empty() {
        let seed = random_bytes::<32>();
        let public = SigningKey::from_bytes(&seed).verifying_key().to_bytes();
        let kid = kid_of(&public);
        let sealed = master.seal(&format!("signing-key:{kid}"), &seed);
        if store::insert_first_signing_key(db, kid.clone(), sealed, public.to_vec()).await? {
            tracing::info!(kid, "created a new token signing key");
        }
        rows = store::signing_keys(db).await?;
    }
    let newest = rows.first().ok_or_else(|| anyhow::anyhow!("no signing key"))?;
    let seed: [u8; 32] = master
        .open(&format!("signing-key:{}", newest.kid), &newest.private_key)?
        .try_into()
        .map_err(|_| anyhow::anyhow!("signing key {} is corrupted", newest.kid))?;
    Ok(Signer::new(&newest.kid, &seed))
}

#[cfg(test)]
mod tests {
    use hybrid_store::StoreConfig;
    use hybrid_store::testing::TestPostgres;

    use super::*;

    /// Two auth processes starting together on a fresh database end up with one key: both
    /// sign with it and both publish it.
    #[tokio::test]
    async fn auth_processes_starting_together_share_one_key() {
        let postgres = TestPostgres::create().await.expect("PostgreSQL for the key race");
        let config = StoreConfig {
            url: postgres.url.clone(),
            ..StoreConfig::embedded("unused")
        };
        let master = Secrets::from_keys([3; 32], &[]);
        let (a, b) = (
            Db::open("auth", &config).await.unwrap(),
            Db::open("auth", &config).await.unwrap(),
        );
        a.migrate(crate::MIGRATIONS).await.unwrap();
        let (signer_a, signer_b) = tokio::join!(load_or_create(&a, &master), load_or_create(&b, &master));
        let (signer_a, signer_b) = (signer_a.unwrap(), signer_b.unwrap());
        assert_eq!(signer_a.header.kid, signer_b.header.kid);
        let keys = trusted(&b).await.unwrap();
        assert_eq!(keys.len(), 1, "{keys:?}");
        assert_eq!(Some(&keys[0].0), signer_a.header.kid.as_ref());
        // a later start loads the same key rather than making another
        let again = load_or_create(&b, &master).await.unwrap();
        assert_eq!(again.header.kid, signer_a.header.kid);
        assert_eq!(trusted(&a).await.unwrap(), keys);
        a.close().await;
        b.close().await;
    }
}
