//! The automation service (Telegram Invite, rebuilt): connected accounts, audiences, and invite
//! campaigns run as durable jobs through a [`Connector`](connector::Connector) per platform;
//! the native one acts on this server's chats. Each file does one thing:
//!
//! - `api.rs`: the HTTP contract and error codes; `routes.rs`: thin handlers;
//! - `service.rs`: accounts, audiences and campaigns (ownership, limits);
//! - `engine.rs`: a campaign's steps, one action per job;
//! - `connector.rs`: what a platform must answer; `native.rs`: this server's;
//!   `telegram_bot.rs`: a bot's, over the Telegram Bot API (and the updates it follows);
//!   `telegram_user/`: a Telegram user account's, over MTProto (the `telegram-user` feature);
//! - `logins.rs`: QR logins of Telegram user accounts (the rows; Telegram's side is the connector's);
//! - `audience.rs`: reading TXT/CSV imports (phones to E.164);
//! - `content/`: the content pipeline: books to blocks, summaries and posts;
//! - `autopost/`: schedules that publish approved posts to chats, and their log;
//! - `stats.rs`: statistics for the dashboard and CSV; `alerts/`: alerts to an admin chat;
//! - `store.rs`: all SQL; `events.rs`: socket frames; `settings.rs`: `[automation]`.

mod alerts;
mod api;
mod audience;
mod autopost;
mod connector;
mod content;
mod engine;
mod events;
mod inbound;
mod logins;
mod native;
mod parser;
mod routes;
mod service;
mod settings;
mod stats;
mod store;
mod telegram_bot;
#[cfg(feature = "telegram-user")]
mod telegram_user;

use std::collections::HashMap;
use std::sync::Arc;

use futures::future::BoxFuture;
use hybrid_auth_api::TokenAuthority;
use hybrid_chats_api::ChatActions;
use hybrid_core::{ApiTag, CodeDoc, Module, ModuleContext, Schemas, Started, Worker, schema_of};
use hybrid_files_api::FileStore;
use hybrid_store::Migration;
use hybrid_users_api::UserDirectory;

pub use api::AutomationCode;
pub use events::AutomationFrame;

/// The service's name, as `--services` and `peers.*` give it.
pub const SERVICE: &str = "automation";

static MIGRATIONS: &[Migration] = &[
    hybrid_store::migration!(1, "0001_init"),
    hybrid_core::jobs::migration(2),
    hybrid_store::migration!(3, "0003_telegram_user"),
    hybrid_store::migration!(4, "0004_content"),
    hybrid_store::migration!(5, "0005_autopost"),
];

pub struct AutomationModule;

impl Module for AutomationModule {
    fn name(&self) -> &'static str {
        SERVICE
    }

    fn description(&self) -> &'static str {
        "connected accounts, audiences, invite campaigns, books made into posts, autopost, statistics and alerts"
    }

    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }

    fn needs(&self) -> &'static [&'static str] {
        // auth (its sessions) is called by every service and not listed
        &[
            hybrid_chats_api::SERVICE,
            hybrid_users_api::SERVICE,
            hybrid_files_api::SERVICE,
        ]
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
        Box::pin(async move {
            let accounts = service::Automation::reseal(&db, &secrets).await?;
            Ok(accounts + content::Content::reseal(&db, &secrets).await?)
        })
    }

    fn tags(&self) -> &'static [ApiTag] {
        &[ApiTag {
            name: SERVICE,
            description: "Automation: connected accounts, audiences, invite campaigns, the content pipeline, autopost, statistics and alerts (docs/automation.md)",
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
            let (logins, logins_off) = telegram_user_accounts(&config, &db, &mut connectors);
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
            let ai = hybrid_core::outbound::Outbound::new(hybrid_core::outbound::OutboundConfig {
                timeout_ms: config.ai_timeout_secs * 1000,
                ..ctx.config.outbound.clone()
            })?;
            let content = Arc::new(content::Content {
                db: db.clone(),
                engine: engine.clone(),
                files: ctx.apis.require::<dyn FileStore>(hybrid_files_api::SERVICE)?,
                ai,
                config: config.clone(),
            });
            content.register();
            let autopost = Arc::new(autopost::Autopost {
                db: db.clone(),
                engine: engine.clone(),
            });
            autopost.register();
            let alerts = Arc::new(alerts::Alerts {
                db: db.clone(),
                engine: engine.clone(),
            });
            alerts.register().await?;
            let stats = Arc::new(stats::Statistics {
                db: db.clone(),
                engine: engine.clone(),
            });
            let service = Arc::new(service::Automation {
                db,
                engine,
                secrets,
                config,
                logins,
                logins_off,
            });
            Ok(Started {
                routes: routes::routes(service)
                    .merge(content::routes(content))
                    .merge(autopost::routes(autopost))
                    .merge(alerts::routes(alerts))
                    .merge(stats::routes(stats)),
                workers: vec![Worker::jobs("automation-jobs", jobs)],
                ..Started::default()
            })
        })
    }
}

/// The `telegram_user` connector and its QR logins, when built in and configured (else why
/// logins are refused).
#[cfg(feature = "telegram-user")]
fn telegram_user_accounts(
    config: &settings::AutomationConfig,
    db: &hybrid_store::Db,
    connectors: &mut HashMap<&'static str, Arc<dyn connector::Connector>>,
) -> (Option<Arc<dyn logins::LoginFlow>>, &'static str) {
    use telegram_user::{login, mtproto, wire};
    if config.telegram_api_id == 0 || config.telegram_api_hash.is_empty() {
        return (
            None,
            "Telegram user accounts need an app of my.telegram.org: set automation.telegram_api_id and telegram_api_hash",
        );
    }
    let telegram: Arc<dyn wire::Telegram> = Arc::new(mtproto::Mtproto::new(config.telegram_api_id));
    connectors.insert(
        telegram_user::NAME,
        Arc::new(telegram_user::TelegramUser {
            telegram: telegram.clone(),
            db: db.clone(),
        }),
    );
    let flow = login::QrLogins {
        telegram,
        app: login::App {
            api_id: config.telegram_api_id,
            api_hash: config.telegram_api_hash.clone(),
        },
        dc: config.telegram_dc,
        dc_address: Some(config.telegram_dc_address.clone()).filter(|a| !a.is_empty()),
    };
    (Some(Arc::new(flow)), "")
}

#[cfg(not(feature = "telegram-user"))]
fn telegram_user_accounts(
    _config: &settings::AutomationConfig,
    _db: &hybrid_store::Db,
    _connectors: &mut HashMap<&'static str, Arc<dyn connector::Connector>>,
) -> (Option<Arc<dyn logins::LoginFlow>>, &'static str) {
    (
        None,
        "this Hybrid was built without Telegram user accounts (the cargo feature telegram-user)",
    )
}
