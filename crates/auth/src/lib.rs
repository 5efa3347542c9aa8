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

static MIGRATIONS: &[Migration] = &[hybrid_store::migration!(1, "0001_init")];

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
            let follow = follow_revocations(ctx.bus.clone(), ctx.tokens.clone(), ttl, ctx.shutdown.clone());
            Ok(Started {
                routes: routes::router(auth),
                tasks: vec![Box::pin(follow)],
            })
        })
    }
}

/// Sessions revoked by another process stop working here too: their access tokens are
/// refused from the moment the revocation arrives on the bus (those revoked before this
/// process started were loaded from the database at start).
async fn follow_revocations(bus: Arc<dyn Bus>, tokens: Arc<TokenVerifier>, ttl: Duration, mut shutdown: Shutdown) {
    let mut revocations = bus.subscribe(Topic::Sessions);
    loop {
        tokio::select! {
            received = revocations.recv() => match received {
                Ok(envelope) => {
                    if let Some(Control::SessionRevoked { session_id, .. }) = envelope.control {
                        tokens.revoke_session(session_id, ttl);
                    }
                }
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => revocations = bus.subscribe(Topic::Sessions),
            },
            _ = shutdown.wait() => break,
        }
    }
}
