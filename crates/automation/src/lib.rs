//! The automation service (Telegram Invite, rebuilt): connected accounts, audiences, and invite
//! campaigns run as durable jobs through a [`Connector`](connector::Connector) per platform;
//! the native one acts on this server's chats. Each file does one thing:
//!
//! - `api.rs`: the HTTP contract and error codes; `routes.rs`: thin handlers;
//! - `service.rs`: accounts, audiences and campaigns (ownership, limits);
//! - `engine.rs`: a campaign's steps, one action per job;
//! - `connector.rs`: what a platform must answer; `native.rs`: this server's;
//!   `telegram_bot.rs`: a bot's, over the Telegram Bot API (and the updates it follows);
//! - `audience.rs`: reading TXT/CSV imports (phones to E.164);
//! - `store.rs`: all SQL; `events.rs`: socket frames; `settings.rs`: `[automation]`.

mod api;
mod audience;
mod connector;
mod engine;
mod events;
mod inbound;
mod native;
mod parser;
mod routes;
mod service;
mod settings;
mod store;
mod telegram_bot;

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use hybrid_auth_api::TokenAuthority;
use hybrid_chats_api::ChatActions;
use hybrid_core::{ApiTag, CodeDoc, Module, ModuleContext, Schemas, Started, Worker, schema_of};
use hybrid_store::Migration;
use hybrid_users_api::UserDirectory;

pub use api::AutomationCode;
pub use events::AutomationFrame;

/// The service's name, as `--services` and `peers.*` give it.
pub const SERVICE: &str = "automation";

static MIGRATIONS: &[Migration] = &[
    hybrid_store::migration!(1, "0001_init"),
    hybrid_core::jobs::migration(2),
];

pub struct AutomationModule;

impl Module for AutomationModule {
    fn name(&self) -> &'static str {
        SERVICE
    }

    fn description(&self) -> &'static str {
        "connected accounts, audiences and invite campaigns"
    }

    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }

    fn needs(&self) -> &'static [&'static str] {
        // auth (its sessions) is called by every service and not listed
        &[hybrid_chats_api::SERVICE, hybrid_users_api::SERVICE]
    }

    fn settings(&self) -> Option<hybrid_core::config::Section> {
        Some(hybrid_core::config::section::<settings::AutomationConfig>())
    }

    fn error_codes(&self) -> &'static [CodeDoc] {
        AutomationCode::ALL
    }

    fn frames(&self) -> Option<Schemas> {
        Some(schema_of::<AutomationFrame>())
    }

    fn reseal(
        &self,
        db: hybrid_store::Db,
        secrets: Arc<hybrid_core::Secrets>,
    ) -> BoxFuture<'static, anyhow::Result<usize>> {
        Box::pin(async move { service::Automation::reseal(&db, &secrets).await })
    }

    fn tags(&self) -> &'static [ApiTag] {
        &[ApiTag {
            name: SERVICE,
            description: "Automation: connected accounts, audiences, invite campaigns (docs/automation.md)",
        }]
    }

    fn start(&self, ctx: ModuleContext) -> BoxFuture<'static, anyhow::Result<Started>> {
        Box::pin(async move {
            let config: settings::AutomationConfig = ctx.config.section(SERVICE)?;
            let db = ctx.db()?;
            let users = ctx.apis.require::<dyn UserDirectory>(hybrid_users_api::SERVICE)?;
            let native = native::Native {
                chats: ctx.apis.require::<dyn ChatActions>(hybrid_chats_api::SERVICE)?,
                users,
                sessions: ctx.apis.require::<dyn TokenAuthority>(hybrid_auth_api::SERVICE)?,
                tokens: ctx.tokens.clone(),
                web_url: config.web_url.clone(),
            };
            let bot = telegram_bot::TelegramBot {
                http: ctx.outbound()?,
                db: db.clone(),
            };
            let jobs = ctx.jobs()?;
            let mut connectors: HashMap<&'static str, Arc<dyn connector::Connector>> = HashMap::new();
            connectors.insert(native::NAME, Arc::new(native));
            let bot = Arc::new(bot);
            connectors.insert(telegram_bot::NAME, bot.clone());
            let secrets = ctx.secrets()?;
            let engine = Arc::new(engine::Engine {
                db: db.clone(),
                jobs: jobs.clone(),
                connectors,
                config: config.clone(),
                bus: ctx.bus.clone(),
                secrets: secrets.clone(),
            });
            engine.register();
            engine.register_parser();
            telegram_bot::register_updates(&engine, bot);
            let service = Arc::new(service::Automation {
                db,
                engine,
                secrets,
                config,
            });
            Ok(Started {
                routes: routes::routes(service),
                workers: vec![Worker::jobs("automation-jobs", jobs)],
                ..Started::default()
            })
        })
    }
}
