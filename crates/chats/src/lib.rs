//! The chats service: direct chats, groups and channels, members and their rights, invite
//! links, messages (text with UTF-16 entities, replies, edits, tombstones, reactions, pins),
//! read markers, the event log with catch-up (`/sync`), and message search.

mod body;
mod events;
mod membership;
mod messages;
mod model;
mod policy;
mod relay;
mod routes;
mod search;
mod service;
mod sync;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use hybrid_core::api::{ChatMembership, UserDirectory};
use hybrid_core::{Module, ModuleContext, Started};
use hybrid_store::Migration;

pub use service::Chats;

static MIGRATIONS: &[Migration] = &[
    hybrid_store::migration!(1, "0001_init"),
    hybrid_store::migration!(2, "0002_outbox"),
    hybrid_store::migration!(3, "0003_outbox_trace"),
];

pub struct ChatsModule;

impl Module for ChatsModule {
    fn name(&self) -> &'static str {
        "chats"
    }

    fn description(&self) -> &'static str {
        "chats, members, messages, reactions, read state, event log and sync, search"
    }

    fn migrations(&self) -> &'static [Migration] {
        MIGRATIONS
    }

    fn needs(&self) -> &'static [&'static str] {
        &["users"]
    }

    fn not_migrated(&self) -> &'static [&'static str] {
        &["outbox"]
    }

    fn rebuild_derived(&self, db: hybrid_store::Db) -> BoxFuture<'static, anyhow::Result<Option<String>>> {
        Box::pin(async move {
            let indexed = search::rebuild(&db).await.map_err(|e| anyhow::anyhow!(e.message))?;
            Ok(Some(format!("search index rebuilt, messages indexed: {indexed}")))
        })
    }

    fn start(&self, ctx: ModuleContext) -> BoxFuture<'static, anyhow::Result<Started>> {
        Box::pin(async move {
            let directory = ctx.apis.require::<dyn UserDirectory>("users")?;
            let chats = Arc::new(Chats {
                db: ctx.db()?,
                bus: ctx.bus.clone(),
                relay: Arc::default(),
                state: ctx.state.clone(),
                directory,
                config: ctx.config.chats.clone(),
            });
            ctx.apis
                .provide::<dyn ChatMembership>(Arc::new(sync::Membership(chats.clone())));
            let mut tasks: Vec<BoxFuture<'static, ()>> =
                vec![Box::pin(prune_events(chats.clone(), ctx.shutdown.clone()))];
            if ctx.config.chats.relay_events {
                tasks.push(Box::pin(relay::run(chats.clone(), ctx.shutdown.clone())));
            }
            Ok(Started {
                routes: routes::router(chats),
                tasks,
            })
        })
    }
}

/// Drops events past their retention once an hour.
async fn prune_events(chats: Arc<Chats>, mut shutdown: hybrid_core::Shutdown) {
    let mut tick = tokio::time::interval(Duration::from_secs(3600));
    loop {
        tokio::select! {
            _ = tick.tick() => match chats.prune_events().await {
                Ok(0) => {}
                Ok(pruned) => tracing::info!(pruned, "pruned old events"),
                Err(err) => tracing::warn!(error = %err, "pruning events failed"),
            },
            _ = shutdown.wait() => break,
        }
    }
}
