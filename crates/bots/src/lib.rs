//! The bots service: bot accounts and the Telegram Bot API (docs/bots.md). A bot is a user
//! (`is_bot`) that people add to chats and write to like anyone; its program calls
//! `/bot<token>/<method>` as it would call Telegram's server. Each file does one thing:
//!
//! - `api.rs`: the contract of people's API for their bots (`/api/v1/bots`);
//! - `routes.rs`: its thin HTTP handlers; `service.rs`: its logic; `token.rs`: bot tokens;
//! - `botapi/`: the Bot API (parameters, answers, shapes, methods, updates);
//! - `format.rs`: Telegram's parse modes (HTML, MarkdownV2, Markdown);
//! - `callbacks.rs`: buttons people press, and the bots' answers;
//! - `webhook.rs`: updates POSTed to bots' webhooks (through `hybrid_core::webhooks`);
//! - `follow.rs`: the consumer of chats' events that makes bots' updates;
//! - `store.rs`: all SQL (migrations in `migrations/{sqlite,postgres}`);
//! - `settings.rs`: its `[bots]` section.

mod api;
pub mod botapi;
mod callbacks;
mod follow;
pub mod format;
mod routes;
mod service;
mod settings;
mod store;
mod token;
mod webhook;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use hybrid_chats_api::ChatActions;
use hybrid_core::{ApiTag, CodeDoc, Module, ModuleContext, Started, Worker, now_ms};
use hybrid_files_api::FileStore;
use hybrid_store::Migration;
use hybrid_users_api::UserDirectory;

pub use api::{Bot, BotsCode};

/// The service's name, as `--services` and `peers.*` give it.
pub const SERVICE: &str = "bots";

static MIGRATIONS: &[Migration] = &[
    hybrid_store::migration!(1, "0001_init"),
    hybrid_core::jobs::migration(2),
    hybrid_core::webhooks::migration(3),
    hybrid_store::migration!(4, "0004_administration"),
    hybrid_store::migration!(5, "0005_sent_files"),
];

/// Unfetched updates past their retention are dropped this often.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

pub struct BotsModule;

impl Module for BotsModule {
    fn name(&self) -> &'static str {
        SERVICE
    }

    fn description(&self) -> &'static str {
        "bot accounts and the Telegram Bot API"
    }

    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }

    fn needs(&self) -> &'static [&'static str] {
        &[
            hybrid_chats_api::SERVICE,
            hybrid_users_api::SERVICE,
            hybrid_files_api::SERVICE,
        ]
    }

    fn settings(&self) -> Option<hybrid_core::config::Section> {
        Some(hybrid_core::config::section::<settings::BotsConfig>())
    }

    fn error_codes(&self) -> &'static [CodeDoc] {
        BotsCode::ALL
    }

    fn reseal(
        &self,
        db: hybrid_store::Db,
        secrets: Arc<hybrid_core::Secrets>,
    ) -> BoxFuture<'static, anyhow::Result<usize>> {
        Box::pin(async move { webhook::reseal(&db, &secrets).await })
    }

    fn tags(&self) -> &'static [ApiTag] {
        &[ApiTag {
            name: SERVICE,
            description: "Bot accounts: make, rename, new token, delete (the bots' own API is Telegram's, docs/bots.md)",
        }]
    }

    fn start(&self, ctx: ModuleContext) -> BoxFuture<'static, anyhow::Result<Started>> {
        Box::pin(async move {
            let config: settings::BotsConfig = ctx.config.section(SERVICE)?;
            let db = ctx.db()?;
            let chats = ctx.apis.require::<dyn ChatActions>(hybrid_chats_api::SERVICE)?;
            let directory = ctx.apis.require::<dyn UserDirectory>(hybrid_users_api::SERVICE)?;
            let secrets = ctx.secrets()?;
            let jobs = ctx.jobs()?;
            let hooks = Arc::new(webhook::BotHooks {
                db: db.clone(),
                secrets: secrets.clone(),
            });
            hybrid_core::webhooks::start(&jobs, ctx.outbound()?, hooks).await?;
            let bots = Arc::new(service::Bots {
                store: store::Store { db: db.clone() },
                directory: directory.clone(),
                chats: chats.clone(),
                bus: ctx.bus.clone(),
                state: ctx.state.clone(),
                config: config.clone(),
                jobs: jobs.clone(),
                file_keys: secrets.derive_all(botapi::file_ids::KEY_PURPOSE),
                secrets,
                files: ctx.apis.require::<dyn FileStore>(hybrid_files_api::SERVICE)?,
                fetcher: config.fetch_urls.then(|| fetcher(&ctx)).transpose()?,
            });
            let chat_events = hybrid_core::stream::consume(
                "chat-events",
                hybrid_chats_api::SERVICE,
                ctx.streams.require(hybrid_chats_api::SERVICE)?,
                db,
                ctx.bus.clone(),
                follow::follow_chats(bots.clone()),
            );
            let pruned = bots.clone();
            let retention_ms = config.update_retention_hours.max(1) * 3_600_000;
            let prune = Worker::every("prune-bot-updates", PRUNE_EVERY, move || {
                let bots = pruned.clone();
                async move {
                    bots.store.prune(now_ms() - retention_ms).await?;
                    bots.prune_callbacks().await?;
                    Ok(())
                }
            });
            Ok(Started {
                routes: routes::routes(bots.clone()),
                outside_api: botapi::router(bots),
                workers: vec![chat_events, prune, Worker::jobs("bots-jobs", jobs)],
            })
        })
    }
}

/// The client that fetches files bots send by URL: the outbound component's rules, with
/// answers up to the largest upload.
fn fetcher(ctx: &ModuleContext) -> anyhow::Result<hybrid_outbound::Outbound> {
    let config: settings::BotsConfig = ctx.config.section(SERVICE)?;
    let mut outbound = ctx.config.outbound.clone();
    outbound.max_response_bytes = config.max_upload_bytes;
    Ok(hybrid_outbound::Outbound::new(outbound)?)
}
