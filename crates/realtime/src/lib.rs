//! The realtime service: WebSocket sessions at `GET /api/v1/realtime` (subprotocol
//! `hybrid.v1`) that push chat and user events, typing and presence. The protocol is in
//! `docs/protocol.md`.

mod api;
mod events;
mod hub;
mod routes;
mod service;
mod settings;
mod socket;

use futures::future::BoxFuture;
use hybrid_chats_api::ChatMembership;
use hybrid_core::{ApiTag, Module, ModuleContext, Started};
use hybrid_store::Migration;

pub use api::Presence;
pub use events::RealtimeFrame;
pub use hub::close;
use service::Realtime;
pub use settings::RealtimeConfig;

pub struct RealtimeModule;

impl Module for RealtimeModule {
    fn name(&self) -> &'static str {
        "realtime"
    }

    fn description(&self) -> &'static str {
        "WebSocket sessions: live events, typing, presence"
    }

    fn migrations(&self) -> &'static [Migration] {
        &[]
    }

    fn needs(&self) -> &'static [&'static str] {
        &[hybrid_chats_api::SERVICE]
    }

    fn settings(&self) -> Option<hybrid_core::config::Section> {
        Some(hybrid_core::config::section::<RealtimeConfig>())
    }

    fn frames(&self) -> Option<hybrid_core::Schemas> {
        Some(hybrid_core::schema_of::<RealtimeFrame>())
    }

    fn tags(&self) -> &'static [ApiTag] {
        &[ApiTag {
            name: "realtime",
            description: "Catch-up (sync) and the WebSocket; see docs/protocol.md",
        }]
    }

    fn start(&self, ctx: ModuleContext) -> BoxFuture<'static, anyhow::Result<Started>> {
        Box::pin(async move {
            let membership = ctx.apis.require::<dyn ChatMembership>(hybrid_chats_api::SERVICE)?;
            let config: RealtimeConfig = ctx.config.section("realtime")?;
            let realtime = Realtime::new(&ctx, membership, config);
            let workers = realtime.workers();
            Ok(Started {
                routes: routes::routes(realtime),
                workers,
                ..Started::default()
            })
        })
    }
}
