//! The notify service: each user's notifications (docs/notifications.md). It consumes chats'
//! event stream into an in-app list (mentions, replies, direct messages, reactions, being added
//! to a chat), read or not, kept in step across devices, with per-chat levels and mutes, and
//! sends them on by Web Push and email. Each file does one thing:
//!
//! - `api.rs`: the contract: request and response types;
//! - `routes.rs`: thin HTTP handlers;
//! - `follow.rs`: the consumer of chats' events that makes the entries;
//! - `service.rs`: the logic of the API;
//! - `store.rs`: all SQL (migrations in `migrations/{sqlite,postgres}`);
//! - `events.rs`: the frames it sends to sockets;
//! - `defaults.rs`, `quiet.rs`: a user's default levels per kind of chat, their quiet hours;
//! - `push.rs`, `webpush.rs`: Web Push delivery and its wire format;
//! - `email.rs`, `mail.rs`: email settings and delivery, and what the messages say;
//! - `hooks.rs`: outgoing webhooks (through `hybrid_core::webhooks`);
//! - `sync.rs`: its part of `/sync`.

mod api;
mod defaults;
mod email;
mod events;
mod follow;
mod hooks;
mod mail;
mod push;
mod quiet;
mod routes;
mod service;
mod settings;
mod store;
mod sync;
mod webpush;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use hybrid_chats_api::ChatMembership;
use hybrid_core::{ApiTag, Module, ModuleContext, Schemas, Started, Worker, schema_of};
use hybrid_store::Migration;

pub use api::{Notification, NotificationKind};
pub use events::NotifyFrame;

/// The service's name, as `--services` and `peers.*` give it.
pub const SERVICE: &str = "notify";

static MIGRATIONS: &[Migration] = &[
    hybrid_store::migration!(1, "0001_init"),
    hybrid_core::jobs::migration(2),
    hybrid_store::migration!(3, "0003_push"),
    hybrid_store::migration!(4, "0004_push_session"),
    hybrid_store::migration!(5, "0005_versions"),
    hybrid_store::migration!(6, "0006_quiet_hours"),
    hybrid_store::migration!(7, "0007_level_defaults"),
    hybrid_store::migration!(8, "0008_email"),
    hybrid_core::webhooks::migration(9),
    hybrid_store::migration!(10, "0010_hooks"),
];

/// Entries past their retention are dropped this often.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

pub struct NotifyModule;

impl Module for NotifyModule {
    fn name(&self) -> &'static str {
        SERVICE
    }

    fn description(&self) -> &'static str {
        "notifications: the in-app list, per-chat levels and mutes, Web Push, email and webhooks"
    }

    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }

    fn needs(&self) -> &'static [&'static str] {
        &[hybrid_chats_api::SERVICE, hybrid_users_api::SERVICE]
    }

    fn contributes_sync(&self) -> bool {
        true
    }

    fn settings(&self) -> Option<hybrid_core::config::Section> {
        Some(hybrid_core::config::section::<settings::NotifyConfig>())
    }

    fn error_codes(&self) -> &'static [hybrid_core::CodeDoc] {
        api::NotifyCode::ALL
    }

    fn reseal(
        &self,
        db: hybrid_store::Db,
        secrets: Arc<hybrid_core::Secrets>,
    ) -> BoxFuture<'static, anyhow::Result<usize>> {
        Box::pin(async move { Ok(push::reseal(&db, &secrets).await? + hooks::reseal(&db, &secrets).await?) })
    }

    fn frames(&self) -> Option<Schemas> {
        Some(schema_of::<NotifyFrame>())
    }

    fn tags(&self) -> &'static [ApiTag] {
        &[ApiTag {
            name: SERVICE,
            description: "Notifications: the in-app list and per-chat settings",
        }]
    }

    fn start(&self, ctx: ModuleContext) -> BoxFuture<'static, anyhow::Result<Started>> {
        Box::pin(async move {
            let chats = ctx.apis.require::<dyn ChatMembership>(hybrid_chats_api::SERVICE)?;
            let config: settings::NotifyConfig = ctx.config.section(SERVICE)?;
            let db = ctx.db()?;
            let secrets = ctx.secrets()?;
            let vapid = push::vapid_key(&db, &secrets, config.vapid_subject.clone()).await?;
            let users = ctx
                .apis
                .require::<dyn hybrid_users_api::UserDirectory>(hybrid_users_api::SERVICE)?;
            let mailer = Arc::new(mail::Mailer::new(&config)?);
            let hooks = Arc::new(hooks::Hooks {
                db: db.clone(),
                secrets: secrets.clone(),
            });
            let service = Arc::new(service::Notify {
                store: store::Store::new(db.clone()),
                db: db.clone(),
                bus: ctx.bus.clone(),
                chats: chats.clone(),
                push_key: vapid.public_key(),
                config: config.clone(),
                email: email::EmailSettingsStore {
                    db: db.clone(),
                    mailer: mailer.clone(),
                    state: ctx.state.clone(),
                },
                hooks: hooks.clone(),
            });
            ctx.sync.provide(SERVICE, service.clone());
            let pusher = Arc::new(push::Pusher {
                db: db.clone(),
                sessions: ctx
                    .apis
                    .require::<dyn hybrid_auth_api::TokenAuthority>(hybrid_auth_api::SERVICE)?,
                state: ctx.state.clone(),
                vapid,
                outbound: ctx.outbound()?,
                ttl_secs: config.push_ttl_secs,
            });
            let jobs = ctx.jobs()?;
            let pushes = pusher.clone();
            jobs.handle(push::PUSH_QUEUE, move |job| pushes.clone().run(job));
            let emailer = Arc::new(email::Emailer {
                db: db.clone(),
                mailer,
                users,
            });
            jobs.handle(email::EMAIL_QUEUE, move |job| emailer.clone().run(job));
            hybrid_core::webhooks::start(&jobs, ctx.outbound()?, hooks).await?;
            let chat_events = hybrid_core::stream::consume(
                "chat-events",
                hybrid_chats_api::SERVICE,
                ctx.streams.require(hybrid_chats_api::SERVICE)?,
                db,
                ctx.bus.clone(),
                follow::follow_chats(chats),
            );
            let pruned = service.clone();
            let prune = Worker::every("prune-notifications", PRUNE_EVERY, move || {
                let (service, pusher) = (pruned.clone(), pusher.clone());
                async move {
                    service.prune().await?;
                    pusher.sweep_signed_out().await?;
                    Ok(())
                }
            });
            Ok(Started {
                routes: routes::routes(service),
                workers: vec![chat_events, prune, Worker::jobs("notify-jobs", jobs)],
                ..Started::default()
            })
        })
    }
}
