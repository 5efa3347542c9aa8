//! A service built only for tests (the binary's `example-service` feature; `--services
//! all,example`): the smallest service that uses every piece of the service kit, so the tests
//! of the kit run against something real, and a model for new services.
//!
//! - routes under `/api/v1/example`;
//! - an internal API ([`Tally`], `proto/`) served over gRPC when it runs in its own process;
//! - a durable consumer of the chats' events, recording each in `seen` exactly once;
//! - a supervised worker that panics on demand (`POST /example/panic`);
//! - posts with an attachment through the chats API, and updates of it;
//! - frames to the caller's sockets through realtime's user topic, kept for `POST /sync` too;
//! - notices sent later as background jobs, and POSTed to the user's webhooks.

mod api;
mod events;
mod grpc;
mod routes;
mod service;
mod store;

use std::sync::Arc;

use futures::future::BoxFuture;
use hybrid_chats_api::ChatWriter;
use hybrid_core::stream::{Handler, consume};
use hybrid_core::{ApiTag, GrpcApi, Module, ModuleContext, Started, Worker};
use hybrid_store::Migration;

pub use api::Tally;
pub use events::ExampleFrame;
pub use grpc::GRPC;
use service::Example;

static MIGRATIONS: &[Migration] = &[
    hybrid_store::migration!(1, "0001_init"),
    hybrid_core::jobs::migration(2),
    hybrid_store::migration!(3, "0003_hooks"),
    hybrid_core::webhooks::migration(4),
];

pub const SERVICE: &str = "example";

pub struct ExampleModule;

impl Module for ExampleModule {
    fn name(&self) -> &'static str {
        SERVICE
    }

    fn description(&self) -> &'static str {
        "test-only: exercises the service kit"
    }

    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }

    fn needs(&self) -> &'static [&'static str] {
        &[hybrid_chats_api::SERVICE]
    }

    fn grpc(&self) -> Option<GrpcApi> {
        Some(GRPC)
    }

    fn frames(&self) -> Option<hybrid_core::Schemas> {
        Some(hybrid_core::schema_of::<ExampleFrame>())
    }

    fn tags(&self) -> &'static [ApiTag] {
        &[ApiTag {
            name: "example",
            description: "Test-only: the example service",
        }]
    }

    fn in_all(&self) -> bool {
        false
    }

    fn contributes_sync(&self) -> bool {
        true
    }

    fn start(&self, ctx: ModuleContext) -> BoxFuture<'static, anyhow::Result<Started>> {
        Box::pin(async move {
            let db = ctx.db()?;
            let events = ctx.streams.require(hybrid_chats_api::SERVICE)?;
            let writer = ctx.apis.require::<dyn ChatWriter>(hybrid_chats_api::SERVICE)?;
            let jobs = ctx.jobs()?;
            let (job_db, job_bus) = (db.clone(), ctx.bus.clone());
            jobs.handle(service::NOTICE_JOB, move |job| {
                service::deliver_later(job_db.clone(), job_bus.clone(), job)
            });
            let secrets = Arc::new(store::HooksInDb(db.clone()));
            hybrid_core::webhooks::start(&jobs, ctx.outbound()?, secrets).await?;
            let example = Arc::new(Example::new(db.clone(), ctx.bus.clone(), writer, jobs.clone()));
            ctx.apis.provide::<dyn Tally>(example.clone());
            ctx.sync.provide(SERVICE, example.clone());
            let record: Arc<Handler> = Arc::new(store::record);
            let consumer = consume(
                "chat-events",
                hybrid_chats_api::SERVICE,
                events,
                db,
                ctx.bus.clone(),
                record,
            );
            let worker = example.flaky_worker();
            Ok(Started {
                routes: routes::routes(example),
                workers: vec![consumer, worker, Worker::jobs("example-jobs", jobs)],
                ..Started::default()
            })
        })
    }
}
