//! The users' event stream: every profile change is logged in `profile_events` with an
//! `outbox` row, in the transaction that makes it, and relayed by the generic relay
//! (`hybrid_core::outbox`) into the stream other modules consume. Nothing is published to
//! sockets from here: chats consumes the stream and sends the change to everyone who shares a
//! chat with the user (they see the new name or picture at once), and to the user's devices.

use hybrid_core::bus::Topic;
use hybrid_core::outbox::{OutboxSource, StreamTable};
use hybrid_core::{ApiResult, now_ms};
use hybrid_store::{Sql, params};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use hybrid_users_api::PROFILE_UPDATED;

use crate::api::Profile;

/// `outbox.topic` of a row that points into `profile_events` (key: the user).
const PROFILE_LOG: i64 = 0;
/// How long profile events stay for consumers that were stopped.
pub const RETENTION_MS: i64 = 7 * 24 * 3600 * 1000;

/// The frames about users that reach sockets (sent by chats, which knows who sees whom).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type")]
pub enum UsersFrame {
    /// A user's profile changed (name, bio, picture): what is shown for them.
    #[serde(rename = "user.updated")]
    UserUpdated { user: Profile },
}

/// Logs that `profile` changed, in the transaction that changed it: its version is the pts.
/// `trace`: the request's traceparent, taken before the transaction (which may run elsewhere).
pub async fn profile_changed(tx: &mut Sql<'_>, profile: Profile, version: i64, trace: Option<&str>) -> ApiResult<()> {
    let payload = serde_json::to_string(&UsersFrame::UserUpdated { user: profile.clone() }).expect("frames serialise");
    let now = now_ms();
    tx.execute(
        "INSERT INTO profile_events (user_id, pts, kind, payload, created_at) VALUES ($1, $2, $3, $4, $5)",
        params![profile.id, version, PROFILE_UPDATED, payload, now],
    )
    .await?;
    tx.execute(
        "INSERT INTO outbox (topic, key, pts, trace, created_at) VALUES ($1, $2, $3, $4, $5)",
        params![PROFILE_LOG, profile.id, version, trace, now],
    )
    .await?;
    Ok(())
}

pub struct UsersOutbox;

impl OutboxSource for UsersOutbox {
    fn pending_sql(&self) -> &'static str {
        "SELECT o.id, o.topic, o.key, o.pts, o.control, o.trace, e.payload, NULL AS refers_to FROM outbox o \
         LEFT JOIN profile_events e ON e.user_id = o.key AND e.pts = o.pts \
         WHERE o.id > $1 ORDER BY o.id LIMIT $2"
    }

    fn stream_sql(&self, table: StreamTable) -> &'static str {
        match table {
            StreamTable::Outbox => {
                "SELECT s.id AS position, s.topic, s.key, s.pts, e.kind, e.payload, NULL AS refers_to FROM outbox s \
                 LEFT JOIN profile_events e ON e.user_id = s.key AND e.pts = s.pts \
                 WHERE s.id > $1 ORDER BY s.id LIMIT $2"
            }
            StreamTable::Stream => {
                "SELECT s.position, s.topic, s.key, s.pts, e.kind, e.payload, NULL AS refers_to FROM stream s \
                 LEFT JOIN profile_events e ON e.user_id = s.key AND e.pts = s.pts \
                 WHERE s.position > $1 ORDER BY s.position LIMIT $2"
            }
        }
    }

    /// The user's; the stream's consumers read it (`StreamEvent::topic`).
    fn topic(&self, _topic: i64, key: i64) -> Option<Topic> {
        Some(hybrid_realtime_api::user(key))
    }

    /// Nothing goes to the bus: the stream's consumer (chats) decides who hears of it.
    fn publishes(&self) -> bool {
        false
    }
}

/// Drops profile events past their retention (the relay prunes the stream rows).
pub async fn prune(tx: &mut Sql<'_>, cutoff: i64) -> ApiResult<u64> {
    Ok(tx
        .execute("DELETE FROM profile_events WHERE created_at < $1", params![cutoff])
        .await?)
}
