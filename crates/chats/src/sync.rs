//! Catch-up: a client that reconnects sends the pts it knows (its own and per chat) and gets
//! every event it missed, or `too_long` for a chat it should reload instead.

use std::collections::BTreeMap;

use futures::future::BoxFuture;
use hybrid_chats_api::{ChatMembership, MessageContext};
use hybrid_core::sync::SyncPart;
use hybrid_core::{ApiError, ApiResult, now_ms};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use utoipa::ToSchema;

use crate::events::{self, Rendering};
use crate::service::Chats;
use crate::store;

pub const MAX_SYNC_CHATS: usize = 1000;
/// Most services one sync names, and the longest cursor one may send back.
const MAX_SYNC_SERVICES: usize = 64;
const MAX_CURSOR_LEN: usize = 256;

#[derive(Debug, Deserialize, ToSchema)]
pub struct SyncRequest {
    /// The last user event pts the client has (0 for none).
    #[serde(default)]
    pub user_pts: i64,
    /// Chat id → the last pts the client has of that chat.
    #[serde(default)]
    pub chats: BTreeMap<i64, i64>,
    /// Service → the `cursor` its part of the last answer gave (other services' entries that
    /// survive a disconnect); a service left out answers from its start.
    #[serde(default)]
    pub services: BTreeMap<String, String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SyncResponse {
    /// The user's latest pts: send it next time.
    pub user_pts: i64,
    /// Missed user events, oldest first (the same frames the socket sends).
    #[schema(value_type = Vec<Object>)]
    pub user_events: Vec<Box<RawValue>>,
    /// More user events were missed than returned: reload the chat list, then sync from
    /// `user_pts`.
    pub user_too_long: bool,
    pub chats: Vec<ChatSync>,
    /// Each service's part (see `services` in the request), by service name.
    pub services: BTreeMap<String, SyncPart>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChatSync {
    pub chat_id: i64,
    /// The chat's latest pts.
    pub pts: i64,
    /// Missed events, oldest first.
    #[schema(value_type = Vec<Object>)]
    pub events: Vec<Box<RawValue>>,
    /// Too much was missed (or it is no longer kept): reload the chat's history instead.
    pub too_long: bool,
    /// The user is no longer a member: drop the chat.
    pub not_member: bool,
}

fn raw(payload: String) -> Box<RawValue> {
    RawValue::from_string(payload).expect("stored payloads are JSON")
}

impl Chats {
    pub async fn sync(&self, me: i64, request: SyncRequest) -> ApiResult<SyncResponse> {
        if request.chats.len() > MAX_SYNC_CHATS {
            return Err(ApiError::validation(
                "chats",
                format!("at most {MAX_SYNC_CHATS} chats per call"),
            ));
        }
        if request.services.len() > MAX_SYNC_SERVICES
            || request.services.values().any(|cursor| cursor.len() > MAX_CURSOR_LEN)
        {
            return Err(ApiError::validation(
                "services",
                format!("at most {MAX_SYNC_SERVICES} services, cursors of at most {MAX_CURSOR_LEN} bytes"),
            ));
        }
        let (chats, services) = tokio::join!(
            self.sync_chats(me, &request),
            self.sync_sources.collect(me, &request.services)
        );
        Ok(SyncResponse {
            services: services?,
            ..chats?
        })
    }

    async fn sync_chats(&self, me: i64, request: &SyncRequest) -> ApiResult<SyncResponse> {
        let limit = self.config.sync_max_events;

        let user_pts = store::events::user_pts(&mut self.db.reads(), me).await?;
        let rows = store::events::user_events_after(&mut self.db.reads(), me, request.user_pts, limit + 1).await?;
        // Too long when more were missed than we return, or the oldest missed one is gone.
        let user_too_long = rows.len() as i64 > limit
            || rows.first().is_some_and(|(pts, _)| *pts > request.user_pts + 1)
            || (rows.is_empty() && user_pts > request.user_pts);
        let user_events = if user_too_long {
            Vec::new()
        } else {
            rows.into_iter().map(|r| raw(r.1)).collect()
        };

        let mut chats = Vec::with_capacity(request.chats.len());
        for (&chat_id, &known) in &request.chats {
            let Some(member) = self.member_if_any(chat_id, me).await? else {
                chats.push(ChatSync {
                    chat_id,
                    pts: 0,
                    events: Vec::new(),
                    too_long: false,
                    not_member: true,
                });
                continue;
            };
            let pts = store::events::chat_pts(&mut self.db.reads(), chat_id).await?;
            let mut sync = ChatSync {
                chat_id,
                pts,
                events: Vec::new(),
                too_long: false,
                not_member: false,
            };
            if known < pts {
                let mut reads = self.db.reads();
                let mut rows = store::events::chat_events_after(&mut reads, chat_id, known, limit + 1).await?;
                // Too long: asking for events from before joining, more than one answer holds,
                // or a gap where events were pruned.
                sync.too_long = known < member.joined_pts
                    || rows.len() as i64 > limit
                    || rows.first().is_none_or(|(first, _, _)| *first != known + 1);
                if !sync.too_long {
                    let visible_from = member.first_visible_seq();
                    let mut frames: Vec<Rendering<'_>> = rows
                        .iter_mut()
                        .filter_map(|(_, payload, seq)| {
                            Some(Rendering {
                                chat_id,
                                seq: (*seq)?,
                                visible_from,
                                payload,
                            })
                        })
                        .collect();
                    events::render(&mut reads, &mut frames).await?;
                    sync.events = rows.into_iter().map(|r| raw(r.1)).collect();
                }
            }
            chats.push(sync);
        }
        Ok(SyncResponse {
            user_pts,
            user_events,
            user_too_long,
            chats,
            services: BTreeMap::new(),
        })
    }

    /// Deletes events older than the retention period; returns how many.
    pub async fn prune_events(&self) -> ApiResult<u64> {
        let cutoff = now_ms() - self.config.event_retention_days as i64 * 24 * 3600 * 1000;
        let pruned = store::events::prune(&self.db, cutoff).await?;
        // the event stream goes with the log it points into
        self.relay.prune(cutoff).await?;
        Ok(pruned)
    }
}

/// The chats service's side of [`ChatMembership`].
pub struct Membership(pub std::sync::Arc<Chats>);

impl ChatMembership for Membership {
    fn chats_of(&self, user_id: i64) -> BoxFuture<'_, Result<Vec<i64>, ApiError>> {
        Box::pin(async move { store::members::chats_of(&mut self.0.db.reads(), user_id).await })
    }

    fn direct_peers(&self, user_id: i64) -> BoxFuture<'_, Result<Vec<i64>, ApiError>> {
        Box::pin(async move {
            // Both have written: opening a chat with someone does not reveal their presence.
            let peers = store::members::direct_peers_who_wrote(&mut self.0.db.reads(), user_id).await?;
            let blocked = self.0.directory.blocks_between(user_id, &peers).await?;
            Ok(peers.into_iter().filter(|p| !blocked.contains(p)).collect())
        })
    }

    fn membership(&self, chat_id: i64, user_id: i64) -> BoxFuture<'_, Result<Option<i64>, ApiError>> {
        Box::pin(async move { Ok(self.0.member_if_any(chat_id, user_id).await?.map(|m| m.member_count)) })
    }

    fn message_context(&self, chat_id: i64, seq: i64) -> BoxFuture<'_, Result<Option<MessageContext>, ApiError>> {
        Box::pin(async move { store::messages::context(&mut self.0.db.reads(), chat_id, seq).await })
    }
}
