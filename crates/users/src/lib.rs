//! The users service: who exists (id, username), their profiles, and whom they block.
//! Usernames are folded (NFKC, lowercase) and unique; `auth` creates users through the
//! [`UserDirectory`](hybrid_users_api::UserDirectory) this module provides.

mod api;
mod events;
mod routes;
mod service;
mod settings;
mod store;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use hybrid_core::outbox::Relay;
use hybrid_core::{ApiTag, GrpcApi, Module, ModuleContext, Started, Worker};
use hybrid_store::Migration;
use hybrid_users_api::UserDirectory;

pub use api::Profile;
pub use events::UsersFrame;

static MIGRATIONS: &[Migration] = &[
    hybrid_store::migration!(1, "0001_init"),
    hybrid_store::migration!(2, "0002_avatars_and_events"),
    hybrid_store::migration!(3, "0003_bots"),
    hybrid_store::migration!(4, "0004_privacy"),
];

use hybrid_users_api::SERVICE;
/// Events past their retention are dropped this often.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

pub struct UsersModule;

impl Module for UsersModule {
    fn name(&self) -> &'static str {
        "users"
    }

    fn description(&self) -> &'static str {
        "profiles, username lookup and search, blocks"
    }

    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }

    fn settings(&self) -> Option<hybrid_core::config::Section> {
        Some(hybrid_core::config::section::<settings::UsersConfig>())
    }

    fn publishes_events(&self) -> bool {
        true
    }

    fn not_migrated(&self) -> &'static [&'static str] {
        // as chats': the new install's stream starts anew
        &["outbox", "stream"]
    }

    fn frames(&self) -> Option<hybrid_core::Schemas> {
        Some(hybrid_core::schema_of::<UsersFrame>())
    }

    fn grpc(&self) -> Option<GrpcApi> {
        Some(hybrid_users_api::GRPC)
    }

    fn error_codes(&self) -> &'static [hybrid_core::CodeDoc] {
        hybrid_users_api::UsersCode::ALL
    }

    fn tags(&self) -> &'static [ApiTag] {
        &[ApiTag {
            name: "users",
            description: "Profiles, search, blocks",
        }]
    }

    fn start(&self, ctx: ModuleContext) -> BoxFuture<'static, anyhow::Result<Started>> {
        Box::pin(async move {
            let db = ctx.db()?;
            let relay = Relay::new(SERVICE, db.clone(), ctx.bus.clone(), Arc::new(events::UsersOutbox));
            let attach_keys = ctx.secrets()?.derive_all(hybrid_chats_api::attach::KEY_PURPOSE);
            let config: settings::UsersConfig = ctx.config.section(SERVICE)?;
            let users = Arc::new(service::Users {
                store: store::Store::new(db),
                relay: relay.clone(),
                attach_keys,
                state: ctx.state.clone(),
                config,
            });
            ctx.apis.provide::<dyn UserDirectory>(users.clone());
            ctx.streams.provide(SERVICE, relay.clone());
            let pruned = users.clone();
            let prune = Worker::every("prune-profile-events", PRUNE_EVERY, move || {
                let users = pruned.clone();
                async move {
                    users.prune_events().await?;
                    Ok(())
                }
            });
            Ok(Started {
                routes: routes::router(users),
                workers: vec![relay.worker(), prune],
                ..Started::default()
            })
        })
    }
}
