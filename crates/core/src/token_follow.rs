//! Keeps a process's [`TokenVerifier`] current with the auth service, wherever that runs: the
//! public keys of its JWKS, and the sessions it revoked. Every process runs one follower; the
//! [`TokenAuthority`] behind it is a direct call when auth runs in the process, gRPC otherwise.

use std::sync::Arc;
use std::time::Duration;

use hybrid_bus::{Bus, Control, RecvError, Topic};

use crate::api::TokenAuthority;
use crate::{ApiResult, Shutdown, TokenVerifier, now_ms};

/// How often keys and revoked sessions are re-read. Revocations normally arrive on the bus at
/// once; this bounds how long one missed there (the bus is best effort) goes unnoticed.
pub const TOKEN_RELOAD: Duration = Duration::from_secs(10);
/// Retry pace while no key is known yet (the auth service is still starting or unreachable).
const FIRST_LOAD_RETRY: Duration = Duration::from_secs(1);

pub struct TokenFollower {
    authority: Arc<dyn TokenAuthority>,
    tokens: Arc<TokenVerifier>,
    /// The access-token lifetime: a session revoked longer ago has no valid token left.
    ttl: Duration,
}

impl TokenFollower {
    pub fn new(authority: Arc<dyn TokenAuthority>, tokens: Arc<TokenVerifier>, ttl: Duration) -> Self {
        TokenFollower { authority, tokens, ttl }
    }

    /// Reads the keys and the recently revoked sessions once.
    pub async fn reload(&self) -> ApiResult<()> {
        let keys = self.authority.public_keys().await?;
        if !keys.is_empty() {
            self.tokens.set_keys(keys);
        }
        let since = now_ms() - self.ttl.as_millis() as i64;
        for session_id in self.authority.revoked_since(since).await? {
            self.tokens.revoke_session(session_id, self.ttl);
        }
        Ok(())
    }

    /// Follows revocations on the bus and reloads every [`TOKEN_RELOAD`], at once after the bus
    /// says envelopes may have been lost, and every second while no key is known.
    pub async fn run(self, bus: Arc<dyn Bus>, mut shutdown: Shutdown) {
        let mut revocations = bus.subscribe(Topic::Sessions);
        loop {
            let wait = if self.tokens.has_keys() {
                TOKEN_RELOAD
            } else {
                FIRST_LOAD_RETRY
            };
            let reload = tokio::select! {
                received = revocations.recv() => match received {
                    Ok(envelope) => match envelope.control {
                        Some(Control::SessionRevoked { session_id, .. }) => {
                            self.tokens.revoke_session(session_id, self.ttl);
                            false
                        }
                        Some(Control::Resync) => true,
                        _ => false,
                    },
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => {
                        revocations = bus.subscribe(Topic::Sessions);
                        true
                    }
                },
                _ = tokio::time::sleep(wait) => true,
                _ = shutdown.wait() => break,
            };
            if reload && let Err(err) = self.reload().await {
                tracing::warn!(error = %err.message, "could not reload token keys and revoked sessions");
            }
        }
    }
}
