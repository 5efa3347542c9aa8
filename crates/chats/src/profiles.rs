//! Profile changes seen live: chats consumes the users' event stream (a durable consumer,
//! `hybrid_core::stream`) and sends each change as users made it, a `user.updated` frame, to
//! the user's own sockets and to every chat whose members see the user: direct chats, groups,
//! and the channels the user runs (a channel's subscribers are not shown to each other).

use std::sync::Arc;

use hybrid_core::ApiResult;
use hybrid_core::bus::{Bytes, Envelope};
use hybrid_core::stream::{Handler, StreamEvent};
use hybrid_store::{Sql, params};

/// The handler of the consumer of users' events: the frames to send.
pub fn follow_profiles() -> Arc<Handler> {
    Arc::new(move |tx: &mut Sql<'_>, events: &[StreamEvent]| {
        Box::pin(async move {
            let mut frames = Vec::new();
            for event in events.iter().filter(|e| e.kind == hybrid_users_api::PROFILE_UPDATED) {
                let user_id = event.topic.id;
                let frame = Bytes::from(event.payload.clone());
                frames.push(Envelope::ephemeral(hybrid_realtime_api::user(user_id), frame.clone()));
                for chat_id in audience(tx, user_id).await? {
                    frames.push(Envelope::ephemeral(hybrid_realtime_api::chat(chat_id), frame.clone()));
                }
            }
            Ok(frames)
        })
    })
}

/// The chats whose members see `user_id`.
async fn audience(sql: &mut Sql<'_>, user_id: i64) -> ApiResult<Vec<i64>> {
    let rows: Vec<(i64,)> = sql
        .fetch_all(
            "SELECT m.chat_id FROM members m JOIN chats c ON c.id = m.chat_id \
             WHERE m.user_id = $1 AND (c.kind <> 'channel' OR m.role IN ('owner', 'admin'))",
            params![user_id],
        )
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}
