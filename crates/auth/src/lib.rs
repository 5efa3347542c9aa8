//! The auth service: passwords (argon2id), sessions per device, short-lived EdDSA access
//! tokens with their public keys at a JWKS endpoint, rotating refresh tokens with reuse
//! detection, TOTP two-factor authentication, login throttling, registration invites.
//!
//! Users themselves (ids, usernames) belong to the users service; auth reaches them through
//! [`UserDirectory`].

mod cookie;
mod crypto;
mod keys;
mod password;
mod routes;
mod service;
mod store;
mod throttle;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use hybrid_core::api::UserDirectory;
use hybrid_core::bus::{Bus, Control, RecvError, Topic};
use hybrid_core::{Module, ModuleContext, Shutdown, Started, TokenVerifier};
use hybrid_store::Migration;

pub use crypto::generate_master_key;
pub use service::AuthService;

static MIGRATIONS: &[Migration] = &[
    hybrid_store::migration!(1, "0001_init"),
    hybrid_store::migration!(2, "0002_sessions_revoked"),
];

pub struct AuthModule;

impl Module for AuthModule {
    fn name(&self) -> &'static str {
        "auth"
    }

    fn description(&self) -> &'static str {
        "registration, login, sessions, access and refresh tokens, TOTP"
    }

    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }

    fn needs(&self) -> &'static [&'static str] {
        &["users"]
    }

    fn start(&self, ctx: ModuleContext) -> BoxFuture<'static, anyhow::Result<Started>> {
        Box::pin(async move {
            let directory = ctx.apis.require::<dyn UserDirectory>("users")?;
            let auth = AuthService::start(
                ctx.db()?,
                &ctx.config,
                ctx.tokens.clone(),
                directory,
                ctx.bus.clone(),
                ctx.state.clone(),
            )
            .await?;
            ctx.apis.provide::<AuthService>(auth.clone());
            let ttl = Duration::from_secs(ctx.config.auth.access_token_ttl_secs);
            let follow = follow_revocations(
                auth.clone(),
                ctx.bus.clone(),
                ctx.tokens.clone(),
                ttl,
                ctx.shutdown.clone(),
            );
            Ok(Started {
                routes: routes::router(auth),
                tasks: vec![Box::pin(follow)],
            })
        })
    }
}

/// Sessions revoked by another process stop working here too: at once when the revocation
/// arrives on the bus, and within [`REVOCATION_RELOAD`] when it was missed (the bus is best
/// effort): the recently revoked sessions are re-read from the database then, and at once
/// after the bus says envelopes may have been lost.
async fn follow_revocations(
    auth: Arc<AuthService>,
    bus: Arc<dyn Bus>,
    tokens: Arc<TokenVerifier>,
    ttl: Duration,
    mut shutdown: Shutdown,
) {
    let mut revocations = bus.subscribe(Topic::Sessions);
    let mut reload = tokio::time::interval(REVOCATION_RELOAD);
    reload.tick().await; // the start already loaded them
    loop {
        let missed = tokio::select! {
            received = revocations.recv() => match received {
                Ok(envelope) => match envelope.control {
                    Some(Control::SessionRevoked { session_id, .. }) => {
                        tokens.revoke_session(session_id, ttl);
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
            _ = reload.tick() => true,
            _ = shutdown.wait() => break,
        };
        if missed && let Err(err) = auth.load_revocations().await {
            tracing::warn!(error = %err.message, "could not reload revoked sessions");
        }
    }
}

/// How often revoked sessions are re-read, bounding how long a revocation missed on the bus
/// goes unnoticed.
const REVOCATION_RELOAD: Duration = Duration::from_secs(10);
