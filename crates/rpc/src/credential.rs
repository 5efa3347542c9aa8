//! The credential every call between processes carries, so that reaching the gRPC port is not
//! enough to use the internal APIs (which trust their callers: they take user ids as given).
//!
//! It is a bearer token derived from the master key (HMAC, purpose [`PURPOSE`]) rather than
//! mutual TLS: every process of a deployment already shares the master key, so nothing new
//! has to be issued, distributed or renewed, and a rotation of the master key rotates it too
//! (tokens of retired keys are accepted until they are removed). It authenticates; it does not
//! encrypt. Keep the gRPC port on a private network (the Kubernetes manifests add a
//! NetworkPolicy) or under a mesh that encrypts (docs/security.md).

use std::sync::Arc;

use axum::extract::Request;
use axum::middleware::Next;
use hybrid_core::Secrets;
use subtle::ConstantTimeEq;
use tonic::Status;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::Routes;

/// What the token is derived for.
pub const PURPOSE: &str = "hybrid internal gRPC credential v1";

/// The header that carries it.
pub(crate) const HEADER: &str = "authorization";

/// What this process sends to its peers, and what it accepts from them.
#[derive(Clone)]
pub struct InternalCredential {
    /// `Bearer <hex>` of the token from the current master key.
    sent: MetadataValue<Ascii>,
    /// The same from the current key and each retired one.
    accepted: Arc<[String]>,
}

impl InternalCredential {
    pub fn new(secrets: &Secrets) -> InternalCredential {
        let accepted: Arc<[String]> = secrets.derive_all(PURPOSE).iter().map(|token| bearer(token)).collect();
        let sent = accepted[0].parse().expect("hex is ASCII");
        InternalCredential { sent, accepted }
    }

    /// The value outgoing calls carry (kept by each [`PeerLink`](hybrid_core::PeerLink)).
    pub(crate) fn sent(&self) -> MetadataValue<Ascii> {
        self.sent.clone()
    }

    /// Whether `presented` (the header's value) is one this process accepts; compared in
    /// constant time, so timing does not reveal how much of a guess was right.
    fn accepts(&self, presented: &[u8]) -> bool {
        self.accepted
            .iter()
            .fold(subtle::Choice::from(0), |found, token| {
                found | token.as_bytes().ct_eq(presented)
            })
            .into()
    }

    /// `routes`, answering `UNAUTHENTICATED` to a call without an accepted credential. The
    /// health service is added beside them, so load balancers and probes need none.
    pub(crate) fn guard(self, routes: Routes) -> Routes {
        let router = routes
            .into_axum_router()
            .layer(axum::middleware::from_fn(move |request: Request, next: Next| {
                let credential = self.clone();
                async move {
                    let presented = request.headers().get(HEADER).map(|v| v.as_bytes()).unwrap_or_default();
                    if credential.accepts(presented) {
                        next.run(request).await
                    } else {
                        tracing::warn!(path = %request.uri().path(), "refused an internal call without the credential");
                        Status::unauthenticated(
                            "internal calls need the credential derived from the deployment's master key",
                        )
                        .into_http()
                    }
                }
            }));
        Routes::from(router)
    }
}

fn bearer(token: &[u8; 32]) -> String {
    let mut value = String::with_capacity(7 + 64);
    value.push_str("Bearer ");
    for byte in token {
        value.push_str(&format!("{byte:02x}"));
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_current_and_retired_keys_only() {
        let old = InternalCredential::new(&Secrets::from_keys([1; 32], &[]));
        let rotating = InternalCredential::new(&Secrets::from_keys([2; 32], &[[1; 32]]));
        let other = InternalCredential::new(&Secrets::from_keys([3; 32], &[]));
        for credential in [&old, &rotating] {
            assert!(rotating.accepts(credential.sent.as_bytes()));
        }
        assert!(
            !old.accepts(rotating.sent.as_bytes()),
            "a process not yet rotated refuses the new key"
        );
        assert!(!rotating.accepts(other.sent.as_bytes()));
        assert!(!rotating.accepts(b""));
        assert!(!rotating.accepts(&rotating.sent.as_bytes()[..20]));
        assert_eq!(rotating.sent.len(), "Bearer ".len() + 64);
    }
}
