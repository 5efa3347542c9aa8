//! Keeps a process's [`TokenVerifier`] current with the auth service, wherever that runs: the
//! public keys of its JWKS, and the sessions it revoked. Every process runs one follower; the
//! [`TokenAuthority`] behind it is a direct call when auth runs in the process, gRPC otherwise.

use std::sync::Arc;
use std::time::Duration;

use hybrid_core::bus::{Bus, Receiver, RecvError};
use hybrid_core::{ApiResult, Shutdown, TokenVerifier, now_ms};
use tokio::time::Instant;

use crate::{REVOCATIONS, Revoked, TokenAuthority};

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
    bus: Arc<dyn Bus>,
    /// Subscribed before the first reload, so no revocation falls between the list read then
    /// and the stream followed after.
    revocations: Receiver,
}

impl TokenFollower {
    /// Subscribes to revocations on the bus (and waits until the subscription is live); call
    /// [`reload`](Self::reload) next, then [`run`](Self::run).
    pub async fn subscribe(
        authority: Arc<dyn TokenAuthority>,
        tokens: Arc<TokenVerifier>,
        ttl: Duration,
        bus: Arc<dyn Bus>,
    ) -> Self {
        let revocations = bus.subscribe(REVOCATIONS);
        if let Err(err) = bus.settle().await {
            // the periodic reload covers what the bus misses meanwhile
            tracing::warn!(error = %err, "the revocation subscription is not live yet");
        }
        TokenFollower {
            authority,
            tokens,
            ttl,
            bus,
            revocations,
        }
    }

    /// Reads the keys and the recently revoked sessions once. The keys are applied last: a
    /// process counts as ready once it has keys (`/readyz`), and by then it must also know every
    /// session revoked within a token's lifetime, or a signed-out device would pass here.
    pub async fn reload(&self) -> ApiResult<()> {
        let since = now_ms() - self.ttl.as_millis() as i64;
        let (keys, revoked) = tokio::try_join!(self.authority.public_keys(), self.authority.revoked_since(since))?;
        for session_id in revoked {
            self.tokens.revoke_session(session_id, self.ttl);
        }
        if !keys.is_empty() {
            self.tokens.set_keys(keys);
        }
        Ok(())
    }

    /// How long until the next periodic reload.
    fn pace(&self) -> Duration {
        if self.tokens.has_keys() {
            TOKEN_RELOAD
        } else {
            FIRST_LOAD_RETRY
        }
    }

    /// Follows revocations on the bus and reloads every [`TOKEN_RELOAD`], at once after the bus
    /// says envelopes may have been lost, and every second while no key is known. The reload
    /// timer is reset by reloads only, so a steady stream of revocations cannot starve it.
    pub async fn run(mut self, mut shutdown: Shutdown) {
        let next_reload = tokio::time::sleep(self.pace());
        tokio::pin!(next_reload);
        loop {
            let reload = tokio::select! {
                received = self.revocations.recv() => match received {
                    Ok(envelope) => match &envelope.control {
                        Some(control) if control.is_resync() => true,
                        Some(control) => {
                            if let Some(revoked) = Revoked::read(control) {
                                self.tokens.revoke_session(revoked.session_id, self.ttl);
                            }
                            false
                        }
                        None => false,
                    },
                    Err(RecvError::Lagged(_)) => true,
                    Err(RecvError::Closed) => {
                        self.revocations = self.bus.subscribe(REVOCATIONS);
                        true
                    }
                },
                _ = &mut next_reload => true,
                _ = shutdown.wait() => break,
            };
            if reload {
                if let Err(err) = self.reload().await {
                    tracing::warn!(error = %err.message, "could not reload token keys and revoked sessions");
                }
                next_reload.as_mut().reset(Instant::now() + self.pace());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    use futures::future::BoxFuture;
    use hybrid_core::bus::{Envelope, LocalBus};

    use hybrid_core::ApiError;

    use super::*;

    /// An auth service that counts key reads and can refuse the revocation list.
    #[derive(Default)]
    struct Authority {
        key_reads: AtomicUsize,
        revocations_down: AtomicBool,
    }

    impl TokenAuthority for Authority {
        fn public_keys(&self) -> BoxFuture<'_, ApiResult<Vec<(String, [u8; 32])>>> {
            self.key_reads.fetch_add(1, Ordering::SeqCst);
            Box::pin(async { Ok(vec![("k1".to_owned(), [7; 32])]) })
        }

        fn revoked_since(&self, _since_ms: i64) -> BoxFuture<'_, ApiResult<Vec<i64>>> {
            let down = self.revocations_down.load(Ordering::SeqCst);
            Box::pin(async move {
                if down {
                    Err(ApiError::unavailable("the auth service is unreachable"))
                } else {
                    Ok(vec![41])
                }
            })
        }

        fn live_sessions(&self, session_ids: Vec<i64>) -> BoxFuture<'_, ApiResult<Vec<i64>>> {
            Box::pin(async move { Ok(session_ids) })
        }
    }

    async fn follower(authority: &Arc<Authority>, bus: &Arc<LocalBus>) -> (TokenFollower, Arc<TokenVerifier>) {
        let tokens = Arc::new(TokenVerifier::new("hybrid"));
        let follower =
            TokenFollower::subscribe(authority.clone(), tokens.clone(), Duration::from_secs(900), bus.clone()).await;
        (follower, tokens)
    }

    fn revoke(bus: &LocalBus, session_id: i64) {
        bus.publish(Envelope::control(
            REVOCATIONS,
            Revoked { user_id: 1, session_id }.control(),
        ));
    }

    #[tokio::test(start_paused = true)]
    async fn a_steady_stream_of_revocations_does_not_starve_the_reload() {
        let authority = Arc::new(Authority::default());
        let bus = Arc::new(LocalBus::new(64));
        let (follower, tokens) = follower(&authority, &bus).await;
        follower.reload().await.unwrap();
        let (stop, shutdown) = Shutdown::new();
        let running = tokio::spawn(follower.run(shutdown));
        // one revocation every 2 s, for a minute: more often than the 10 s reload
        for session_id in 0..30 {
            tokio::time::sleep(Duration::from_secs(2)).await;
            revoke(&bus, session_id);
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        assert!(tokens.is_revoked(29), "revocations on the bus apply at once");
        let reads = authority.key_reads.load(Ordering::SeqCst);
        assert!(
            reads >= 6,
            "one reload at start and one per 10 s expected, got {reads} reads"
        );
        stop.send(true).unwrap();
        running.await.unwrap();
    }

    #[tokio::test]
    async fn no_keys_until_the_revocation_list_is_known() {
        let authority = Arc::new(Authority::default());
        authority.revocations_down.store(true, Ordering::SeqCst);
        let bus = Arc::new(LocalBus::new(64));
        let (follower, tokens) = follower(&authority, &bus).await;
        assert!(follower.reload().await.is_err());
        assert!(
            !tokens.has_keys(),
            "keys without the revocation list would let revoked sessions in"
        );
        authority.revocations_down.store(false, Ordering::SeqCst);
        follower.reload().await.unwrap();
        assert!(tokens.has_keys() && tokens.is_revoked(41));
    }

    #[tokio::test]
    async fn a_revocation_sent_before_the_follower_runs_is_not_missed() {
        let authority = Arc::new(Authority::default());
        let bus = Arc::new(LocalBus::new(64));
        let (follower, tokens) = follower(&authority, &bus).await;
        follower.reload().await.unwrap();
        revoke(&bus, 5);
        let (stop, shutdown) = Shutdown::new();
        let running = tokio::spawn(follower.run(shutdown));
        for _ in 0..100 {
            if tokens.is_revoked(5) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        assert!(tokens.is_revoked(5));
        stop.send(true).unwrap();
        running.await.unwrap();
    }
}
