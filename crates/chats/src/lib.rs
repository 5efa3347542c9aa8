//! The chats service: direct chats, groups and channels, members and their rights, invite
//! links, messages (text with UTF-16 entities, replies, edits, tombstones, reactions, pins),
//! read markers, the event log with catch-up (`/sync`), and message search.

mod actions;
mod api;
mod bans;
mod body;
mod events;
mod invites;
mod membership;
mod messages;
mod objects;
mod policy;
mod profiles;
mod relay;
mod routes;
mod search;
mod service;
mod settings;
mod store;
mod sync;

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use hybrid_chats_api::{ChatMembership, ChatWriter, SERVICE};
use hybrid_core::outbox::Relay;
use hybrid_core::{ApiTag, GrpcApi, Module, ModuleContext, Started, Worker};
use hybrid_store::Migration;
use hybrid_users_api::UserDirectory;

pub use api::ChatsCode;
pub use events::{ChatEvent, ChatsFrame, UserEvent};
pub use service::Chats;
pub use settings::ChatsConfig;

static MIGRATIONS: &[Migration] = &[
    hybrid_store::migration!(1, "0001_init"),
    hybrid_store::migration!(2, "0002_outbox"),
    hybrid_store::migration!(3, "0003_outbox_trace"),
    hybrid_store::migration!(4, "0004_event_stream"),
    hybrid_store::migration!(5, "0005_attachments"),
    hybrid_store::migration!(6, "0006_events_refer_to_messages"),
    hybrid_store::migration!(7, "0007_bans"),
    hybrid_store::migration!(8, "0008_fts_secure_delete"),
    hybrid_store::migration!(9, "0009_revoke_orphan_invite_links"),
    hybrid_store::migration!(10, "0010_message_changed_events"),
    hybrid_store::migration!(11, "0011_service_messages"),
    hybrid_store::migration!(12, "0012_forwards"),
    hybrid_store::migration!(13, "0013_chat_avatars"),
    hybrid_store::migration!(14, "0014_messages_with_attachment"),
    hybrid_store::migration!(15, "0015_reply_markup"),
    hybrid_store::migration!(16, "0016_join_requests"),
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
        &[hybrid_users_api::SERVICE]
    }

    fn grpc(&self) -> Option<GrpcApi> {
        Some(hybrid_chats_api::GRPC)
    }

    fn publishes_events(&self) -> bool {
        true
    }

    fn settings(&self) -> Option<hybrid_core::config::Section> {
        Some(hybrid_core::config::section::<ChatsConfig>())
    }

    fn error_codes(&self) -> &'static [hybrid_core::CodeDoc] {
        api::ChatsCode::ALL
    }

    fn frames(&self) -> Option<hybrid_core::Schemas> {
        Some(hybrid_core::schema_of::<events::ChatsFrame>())
    }

    fn tags(&self) -> &'static [ApiTag] {
        &[
            ApiTag {
                name: "chats",
                description: "Direct chats, groups, channels, members, invite links",
            },
            ApiTag {
                name: "messages",
                description: "Messages, reactions, pins, read markers, typing, search",
            },
        ]
    }

    fn not_migrated(&self) -> &'static [&'static str] {
        // relays pending in the old install, and its event stream, whose positions (and the
        // consumers' cursors into it) do not carry over: the new install's stream starts anew
        &["outbox", "stream"]
    }

    fn rebuild_derived(&self, db: hybrid_store::Db) -> BoxFuture<'static, anyhow::Result<Option<String>>> {
        Box::pin(async move {
            let indexed = search::rebuild(&db).await.map_err(|e| anyhow::anyhow!(e.message))?;
            Ok(Some(format!("search index rebuilt, messages indexed: {indexed}")))
        })
    }

    fn start(&self, ctx: ModuleContext) -> BoxFuture<'static, anyhow::Result<Started>> {
        Box::pin(async move {
            let directory = ctx.apis.require::<dyn UserDirectory>(hybrid_users_api::SERVICE)?;
            let db = ctx.db()?;
            let config: ChatsConfig = ctx.config.section(SERVICE)?;
            let relay = Relay::new(SERVICE, db.clone(), ctx.bus.clone(), Arc::new(relay::ChatsOutbox));
            let chats = Arc::new(Chats {
                db,
                bus: ctx.bus.clone(),
                relay: relay.clone(),
                state: ctx.state.clone(),
                directory,
                config: config.clone(),
                sync_sources: ctx.sync.clone(),
                attach_keys: ctx.secrets()?.derive_all(hybrid_chats_api::attach::KEY_PURPOSE),
            });
            ctx.apis
                .provide::<dyn ChatMembership>(Arc::new(sync::Membership(chats.clone())));
            ctx.streams.provide(SERVICE, relay.clone());
            ctx.apis
                .provide::<dyn ChatWriter>(Arc::new(objects::Writer(chats.clone())));
            ctx.apis.provide::<dyn hybrid_chats_api::ChatActions>(chats.clone());
            let pruned = chats.clone();
            let profile_events = hybrid_core::stream::consume(
                "profile-events",
                hybrid_users_api::SERVICE,
                ctx.streams.require(hybrid_users_api::SERVICE)?,
                chats.db.clone(),
                ctx.bus.clone(),
                profiles::follow_profiles(),
            );
            let mut workers = vec![objects::attachment_events(chats.clone()), profile_events];
            workers.push(Worker::every("prune-events", PRUNE_EVERY, move || {
                let chats = pruned.clone();
                async move {
                    let pruned = chats.prune_events().await?;
                    if pruned > 0 {
                        tracing::info!(pruned, "pruned old events");
                    }
                    Ok(())
                }
            }));
            if config.relay_events {
                workers.push(relay.worker());
            }
            Ok(Started {
                routes: routes::router(chats, ctx.config.http.body_limit_bytes),
                workers,
                ..Started::default()
            })
        })
    }
}

/// Events past their retention are dropped this often.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);
