//! The {{name}} service: each user's items, under `/api/v1/{{name}}`. Made by
//! `cargo xtask new-service {{name}}` (docs/adding-a-service.md); each file does one thing:
//!
//! - `api.rs`: the contract: request and response types, error codes, the internal API;
//! - `routes.rs`: thin HTTP handlers;
//! - `service.rs`: the logic;
//! - `store.rs`: all SQL (migrations in `migrations/{sqlite,postgres}`);
//! - `events.rs`: the frames it sends to sockets;
//! - `grpc.rs`: the internal API across processes (`proto/`).

mod api;
mod events;
mod grpc;
mod routes;
mod service;
mod store;

use std::sync::Arc;

use futures::future::BoxFuture;
use hybrid_core::{ApiTag, CodeDoc, GrpcApi, Module, ModuleContext, Schemas, Started, schema_of};
use hybrid_store::Migration;

pub use api::{{{Name}}Api, {{Name}}Code, Item, NewItem};
pub use events::{{Name}}Frame;

/// The service's name, as `--services` and `peers.*` give it.
pub const SERVICE: &str = "{{name}}";

static MIGRATIONS: &[Migration] = &[hybrid_store::migration!(1, "0001_init")];

pub struct {{Name}}Module;

impl Module for {{Name}}Module {
    fn name(&self) -> &'static str {
        SERVICE
    }

    fn description(&self) -> &'static str {
        "{{Name}}: each user's items"
    }

    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }

    fn grpc(&self) -> Option<GrpcApi> {
        Some(grpc::GRPC)
    }

    fn error_codes(&self) -> &'static [CodeDoc] {
        {{Name}}Code::ALL
    }

    fn frames(&self) -> Option<Schemas> {
        Some(schema_of::<{{Name}}Frame>())
    }

    fn tags(&self) -> &'static [ApiTag] {
        &[ApiTag {
            name: SERVICE,
            description: "{{Name}}: each user's items",
        }]
    }

    fn start(&self, ctx: ModuleContext) -> BoxFuture<'static, anyhow::Result<Started>> {
        Box::pin(async move {
            let service = Arc::new(service::{{Name}}::new(ctx.db()?, ctx.bus.clone()));
            ctx.apis.provide::<dyn {{Name}}Api>(service.clone());
            Ok(Started::routes(routes::routes(service)))
        })
    }
}
