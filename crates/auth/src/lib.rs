//! The auth service: passwords (argon2id), sessions per device, short-lived EdDSA access
//! tokens with their public keys at a JWKS endpoint, rotating refresh tokens with reuse
//! detection, TOTP two-factor authentication, login throttling, registration invites.
//!
//! Users themselves (ids, usernames) belong to the users service; auth reaches them through
//! [`UserDirectory`].

mod api;
mod cookie;
mod crypto;
mod device;
mod keys;
mod password;
mod routes;
mod service;
mod settings;
mod store;
mod throttle;

use futures::future::BoxFuture;
use hybrid_auth_api::TokenAuthority;
use hybrid_core::admin::Administrators;
use std::sync::Arc;

use hybrid_core::{ApiTag, GrpcApi, Module, ModuleContext, Secrets, Started};
use hybrid_store::Migration;
use hybrid_users_api::UserDirectory;

pub use service::AuthService;
pub use settings::{AuthConfig, RegistrationPolicy};

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
        &[hybrid_users_api::SERVICE]
    }

    fn grpc(&self) -> Option<GrpcApi> {
        Some(hybrid_auth_api::GRPC)
    }

    fn settings(&self) -> Option<hybrid_core::config::Section> {
        Some(hybrid_core::config::section::<AuthConfig>())
    }

    fn error_codes(&self) -> &'static [hybrid_core::CodeDoc] {
        api::AuthCode::ALL
    }

    fn tags(&self) -> &'static [ApiTag] {
        &[ApiTag {
            name: "auth",
            description: "Accounts, sessions, tokens, two-factor authentication",
        }]
    }

    fn reseal(&self, db: hybrid_store::Db, secrets: Arc<Secrets>) -> BoxFuture<'static, anyhow::Result<usize>> {
        Box::pin(async move { Ok(store::reseal(&db, &secrets).await?) })
    }

    fn start(&self, ctx: ModuleContext) -> BoxFuture<'static, anyhow::Result<Started>> {
        Box::pin(async move {
            let directory = ctx.apis.require::<dyn UserDirectory>(hybrid_users_api::SERVICE)?;
            let auth = AuthService::start(
                ctx.db()?,
                &ctx.config,
                ctx.secrets()?,
                ctx.tokens.clone(),
                directory,
                ctx.bus.clone(),
                ctx.state.clone(),
            )
            .await?;
            ctx.apis.provide::<AuthService>(auth.clone());
            ctx.apis.provide::<dyn TokenAuthority>(auth.clone());
            ctx.apis.provide::<dyn Administrators>(auth.clone());
            Ok(Started::routes(routes::router(auth)))
        })
    }
}
