//! The files service, under `/api/v1/files` (docs/files.md): uploads streamed to storage
//! with sniffed types, per-kind limits and per-user quotas; downloads with ranges, ETags and
//! safe headers; signed links. Each file does one thing:
//!
//! - `api.rs`: the contract: request and response types, error codes;
//! - `routes.rs`: thin HTTP handlers, and the headers of a download;
//! - `tus.rs`: resumable uploads' HTTP side (tus 1.0), `uploads.rs` their logic;
//! - `service.rs`: the logic: limits, quotas, who may read, links, attach tokens;
//! - `file_store.rs`: the same for other services ([`hybrid_files_api::FileStore`]);
//! - `lifecycle.rs`: how long a file lives (the messages carrying it), the cleanup job;
//! - `media.rs`: pictures processed by a job (upright, no metadata, thumbnails), cards updated;
//! - `storage.rs`: the bytes, through `object_store`; `s3.rs`: its S3 client;
//! - `sniff.rs`: the content type, from the bytes;
//! - `store.rs`: all SQL (migrations in `migrations/{sqlite,postgres}`);
//! - `settings.rs`: the `[files]` section.

mod api;
mod file_store;
mod lifecycle;
mod media;
mod routes;
mod s3;
mod service;
mod settings;
mod sniff;
mod storage;
mod store;
mod tus;
mod uploads;

use std::sync::Arc;

use futures::future::BoxFuture;
use hybrid_chats_api::ChatWriter;
use hybrid_core::jobs::{Outcome, Schedule};
use hybrid_core::stream::{Handler, consume};
use hybrid_core::{ApiTag, CodeDoc, Module, ModuleContext, Started, Worker};
use hybrid_store::Migration;

pub use api::{FileInfo, FilesCode};
pub use settings::FilesConfig;

/// The service's name, as `--services` and `peers.*` give it.
pub const SERVICE: &str = hybrid_files_api::SERVICE;

static MIGRATIONS: &[Migration] = &[
    hybrid_store::migration!(1, "0001_init"),
    hybrid_store::migration!(2, "0002_uploads"),
    hybrid_core::jobs::migration(3),
    hybrid_store::migration!(4, "0004_refs"),
    hybrid_store::migration!(5, "0005_media"),
];

/// The queue of the cleanup job (expired uploads, orphans, deleted files' bytes).
const CLEANUP_QUEUE: &str = "files-cleanup";

pub struct FilesModule;

impl Module for FilesModule {
    fn name(&self) -> &'static str {
        SERVICE
    }

    fn description(&self) -> &'static str {
        "Files: uploads, storage, downloads and links"
    }

    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }

    fn needs(&self) -> &'static [&'static str] {
        &[hybrid_chats_api::SERVICE]
    }

    fn grpc(&self) -> Option<hybrid_core::GrpcApi> {
        Some(hybrid_files_api::GRPC)
    }

    fn settings(&self) -> Option<hybrid_core::config::Section> {
        Some(hybrid_core::config::section::<FilesConfig>())
    }

    fn error_codes(&self) -> &'static [CodeDoc] {
        FilesCode::ALL
    }

    fn tags(&self) -> &'static [ApiTag] {
        &[ApiTag {
            name: SERVICE,
            description: "Files: uploads, downloads and links",
        }]
    }

    fn start(&self, ctx: ModuleContext) -> BoxFuture<'static, anyhow::Result<Started>> {
        Box::pin(async move {
            let config: FilesConfig = ctx.config.section(SERVICE)?;
            let dir = if config.dir.is_empty() {
                ctx.config.data_dir.join("files")
            } else {
                config.dir.clone().into()
            };
            let storage = match config.storage.as_str() {
                "local" => storage::Storage::local(&dir)?,
                "s3" => storage::Storage::s3(&config, &ctx.config.outbound.ca_file)?,
                other => anyhow::bail!("files.storage is `{other}`: use `local` or `s3`"),
            };
            anyhow::ensure!(
                config.orphan_grace_secs > config.attach_token_ttl_secs,
                "files.orphan_grace_secs must be more than files.attach_token_ttl_secs: a file \
                 could be collected while a message is sent with it"
            );
            let secrets = ctx.secrets()?;
            let keys = service::Keys {
                links: secrets.derive_all("files-links"),
                attach: secrets.derive(hybrid_chats_api::attach::KEY_PURPOSE),
            };
            let chats = ctx.apis.require::<dyn ChatWriter>(hybrid_chats_api::SERVICE)?;
            let db = ctx.db()?;
            let service = Arc::new(service::Files::new(db.clone(), storage, config, keys, chats));
            ctx.apis.provide::<dyn hybrid_files_api::FileStore>(service.clone());
            let jobs = ctx.jobs()?;
            let cleaning = service.clone();
            jobs.handle(CLEANUP_QUEUE, move |_job| {
                let files = cleaning.clone();
                async move {
                    match files.clean_up().await {
                        Ok(()) => Outcome::Done,
                        Err(e) => Outcome::Retry(e.message.to_string()),
                    }
                }
            });
            let processing = service.clone();
            jobs.handle(store::MEDIA_QUEUE, move |job| {
                let files = processing.clone();
                async move { files.media_job(job).await }
            });
            let carding = service.clone();
            jobs.handle(media::CARD_QUEUE, move |job| {
                let files = carding.clone();
                async move { files.card_job(job).await }
            });
            jobs.declare(Schedule {
                name: CLEANUP_QUEUE.into(),
                queue: CLEANUP_QUEUE.into(),
                payload: "{}".into(),
                cron: service.config.cleanup_cron.clone(),
                timezone: "UTC".into(),
            })
            .await?;
            let follow: Arc<Handler> = Arc::new(lifecycle::follow_messages);
            let messages = consume(
                "chat-events",
                hybrid_chats_api::SERVICE,
                ctx.streams.require(hybrid_chats_api::SERVICE)?,
                db,
                ctx.bus.clone(),
                follow,
            );
            Ok(Started {
                routes: routes::routes(service.clone()).merge(tus::routes(service)),
                workers: vec![messages, Worker::jobs("files-jobs", jobs)],
                ..Started::default()
            })
        })
    }
}
