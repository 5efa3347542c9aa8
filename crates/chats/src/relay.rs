//! The chats' outbox, as the generic relay (`hybrid_core::outbox`) reads it: a row points into
//! a chat's event log (`topic` 0, `key` the chat) or a user's (`topic` 1, `key` the user), and
//! the event's frame and kind are read from there rather than stored twice. Message events
//! are rendered from the message at delivery (`events::render`).

use futures::future::BoxFuture;
use hybrid_core::ApiResult;
use hybrid_core::bus::Topic;
use hybrid_core::outbox::{OutboxSource, Referent, StreamTable};
use hybrid_store::Sql;

use crate::events::{self, CHAT_LOG, Rendering, USER_LOG};

pub struct ChatsOutbox;

impl OutboxSource for ChatsOutbox {
    fn pending_sql(&self) -> &'static str {
        "SELECT o.id, o.topic, o.key, o.pts, o.control, o.trace, COALESCE(e.payload, u.payload) AS payload, \
         e.message_seq AS refers_to FROM outbox o \
         LEFT JOIN events e ON o.topic = 0 AND e.chat_id = o.key AND e.pts = o.pts \
         LEFT JOIN user_events u ON o.topic = 1 AND u.user_id = o.key AND u.pts = o.pts \
         WHERE o.id > $1 ORDER BY o.id LIMIT $2"
    }

    fn stream_sql(&self, table: StreamTable) -> &'static str {
        match table {
            StreamTable::Outbox => {
                "SELECT s.id AS position, s.topic, s.key, s.pts, COALESCE(e.kind, u.kind) AS kind, \
                 COALESCE(e.payload, u.payload) AS payload, e.message_seq AS refers_to \
                 FROM outbox s \
                 LEFT JOIN events e ON s.topic = 0 AND e.chat_id = s.key AND e.pts = s.pts \
                 LEFT JOIN user_events u ON s.topic = 1 AND u.user_id = s.key AND u.pts = s.pts \
                 WHERE s.id > $1 ORDER BY s.id LIMIT $2"
            }
            StreamTable::Stream => {
                "SELECT s.position, s.topic, s.key, s.pts, COALESCE(e.kind, u.kind) AS kind, \
                 COALESCE(e.payload, u.payload) AS payload, e.message_seq AS refers_to \
                 FROM stream s \
                 LEFT JOIN events e ON s.topic = 0 AND e.chat_id = s.key AND e.pts = s.pts \
                 LEFT JOIN user_events u ON s.topic = 1 AND u.user_id = s.key AND u.pts = s.pts \
                 WHERE s.position > $1 ORDER BY s.position LIMIT $2"
            }
        }
    }

    fn topic(&self, topic: i64, key: i64) -> Option<Topic> {
        match topic {
            CHAT_LOG => Some(hybrid_realtime_api::chat(key)),
            USER_LOG => Some(hybrid_realtime_api::user(key)),
            _ => None,
        }
    }

    /// Message events go out with the message as it is now: to the bus as one frame for
    /// every member (the event itself was made with only a seq where some member may not see
    /// the message), and to other services' consumers.
    fn render<'a, 'b: 'a>(&'a self, sql: &'a mut Sql<'b>, events: &'a mut [Referent]) -> BoxFuture<'a, ApiResult<()>> {
        Box::pin(async move {
            let mut frames: Vec<Rendering<'_>> = events
                .iter_mut()
                .filter(|event| event.topic == CHAT_LOG)
                .map(|event| Rendering {
                    chat_id: event.key,
                    seq: event.refers_to,
                    visible_from: 0,
                    payload: &mut event.payload,
                })
                .collect();
            events::render(sql, &mut frames).await
        })
    }
}
