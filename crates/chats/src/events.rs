//! The event log. Every change in a chat bumps the chat's `pts` and appends an event in the
//! same transaction; events that concern one user (added to a chat, read markers) go to that
//! user's log with a per-user pts. The stored payload is the exact frame clients receive, made
//! once, except for events about a message's content: those keep only the message's seq
//! (`message_seq`), and [`render`] fills in the message as it is when the event is delivered
//! (published, streamed, or read by `sync`). The log never holds a copy of message text, so
//! deleting or editing a message changes every later read of it. Each logged event also gets an `outbox` row in the same transaction, which the relay
//! (`relay.rs`) turns into a bus publish after the commit.

use hybrid_core::ApiResult;
use hybrid_realtime_api::Membership;
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};

use hybrid_store::{Sql, params};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::model::{MESSAGE_COLUMNS, Message, MessageRow, ReactionCount};

#[derive(Serialize)]
struct ChatFrame<'a, T> {
    #[serde(rename = "type")]
    frame: &'static str,
    chat_id: i64,
    pts: i64,
    kind: &'a str,
    data: &'a T,
}

#[derive(Serialize)]
struct UserFrame<'a, T> {
    #[serde(rename = "type")]
    frame: &'static str,
    pts: i64,
    kind: &'a str,
    data: &'a T,
}

/// Tracks whether a change logged events, so the relay is woken once it has committed.
#[derive(Default)]
pub struct Outbox {
    pub logged: bool,
    /// The `traceparent` of the request making the change (when traces are exported), stored
    /// with its outbox rows so the delivery in another process joins the request's trace.
    pub trace: Option<String>,
}

/// `outbox.topic`: which log an outbox row points into.
pub const CHAT_LOG: i64 = 0;
pub const USER_LOG: i64 = 1;

impl Outbox {
    /// Appends an event to a chat's log; returns its pts.
    pub async fn chat_event<T: Serialize>(
        &mut self,
        tx: &mut Sql<'_>,
        chat_id: i64,
        kind: &str,
        data: &T,
        membership: Option<Membership>,
    ) -> ApiResult<i64> {
        let pts = next_chat_pts(tx, chat_id).await?;
        self.chat_event_at(tx, chat_id, pts, kind, data, membership).await?;
        Ok(pts)
    }

    /// Appends an event whose pts the caller has already taken (bumping `chats.pts` in the
    /// same statement as another change to the chat's row).
    pub async fn chat_event_at<T: Serialize>(
        &mut self,
        tx: &mut Sql<'_>,
        chat_id: i64,
        pts: i64,
        kind: &str,
        data: &T,
        membership: Option<Membership>,
    ) -> ApiResult<()> {
        self.chat_frame(tx, chat_id, pts, kind, data, None, membership).await
    }

    /// Appends an event about message `seq`'s content (`message.new`, `message.edited`,
    /// `message.attachment`) whose pts the caller has taken. The log keeps only the seq: the
    /// frame delivered is rendered from the message as it is then ([`render`]), so a deleted
    /// or edited message leaves no old text behind.
    pub async fn message_event_at(
        &mut self,
        tx: &mut Sql<'_>,
        chat_id: i64,
        pts: i64,
        kind: &str,
        seq: i64,
    ) -> ApiResult<()> {
        self.chat_frame(tx, chat_id, pts, kind, &SeqOnly { seq }, Some(seq), None)
            .await
    }

    /// [`Outbox::message_event_at`], taking the next pts.
    pub async fn message_event(&mut self, tx: &mut Sql<'_>, chat_id: i64, kind: &str, seq: i64) -> ApiResult<i64> {
        let pts = next_chat_pts(tx, chat_id).await?;
        self.message_event_at(tx, chat_id, pts, kind, seq).await?;
        Ok(pts)
    }

    #[allow(clippy::too_many_arguments)]
    async fn chat_frame<T: Serialize>(
        &mut self,
        tx: &mut Sql<'_>,
        chat_id: i64,
        pts: i64,
        kind: &str,
        data: &T,
        message_seq: Option<i64>,
        membership: Option<Membership>,
    ) -> ApiResult<()> {
        let frame = chat_frame(chat_id, pts, kind, data);
        tx.execute(
            "INSERT INTO events (chat_id, pts, kind, payload, created_at, message_seq) VALUES ($1, $2, $3, $4, $5, $6)",
            params![chat_id, pts, kind, frame, hybrid_core::now_ms(), message_seq],
        )
        .await?;
        self.outbox_row(tx, CHAT_LOG, chat_id, pts, membership).await
    }

    /// Appends an event to a user's log; returns the user's new pts.
    pub async fn user_event<T: Serialize>(
        &mut self,
        tx: &mut Sql<'_>,
        user_id: i64,
        kind: &str,
        data: &T,
        membership: Option<Membership>,
    ) -> ApiResult<i64> {
        let (pts,): (i64,) = tx
            .fetch_one(
                "INSERT INTO user_state (user_id, pts) VALUES ($1, 1) \
                 ON CONFLICT (user_id) DO UPDATE SET pts = user_state.pts + 1 RETURNING pts",
                params![user_id],
            )
            .await?;
        let frame = serde_json::to_string(&UserFrame {
            frame: "user_event",
            pts,
            kind,
            data,
        })
        .expect("event data serialises");
        tx.execute(
            "INSERT INTO user_events (user_id, pts, kind, payload, created_at) VALUES ($1, $2, $3, $4, $5)",
            params![user_id, pts, kind, frame, hybrid_core::now_ms()],
        )
        .await?;
        self.outbox_row(tx, USER_LOG, user_id, pts, membership).await?;
        Ok(pts)
    }

    /// The outbox row of an event just logged.
    async fn outbox_row(
        &mut self,
        tx: &mut Sql<'_>,
        log: i64,
        key: i64,
        pts: i64,
        membership: Option<Membership>,
    ) -> ApiResult<()> {
        let control = membership.map(|m| m.control().as_str().to_owned());
        tx.execute(
            "INSERT INTO outbox (topic, key, pts, control, trace, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            params![log, key, pts, control, self.trace, hybrid_core::now_ms()],
        )
        .await?;
        self.logged = true;
        Ok(())
    }
}

async fn next_chat_pts(tx: &mut Sql<'_>, chat_id: i64) -> ApiResult<i64> {
    let (pts,): (i64,) = tx
        .fetch_one(
            "UPDATE chats SET pts = pts + 1 WHERE id = $1 RETURNING pts",
            params![chat_id],
        )
        .await?;
    Ok(pts)
}

fn chat_frame<T: Serialize>(chat_id: i64, pts: i64, kind: &str, data: &T) -> String {
    serde_json::to_string(&ChatFrame {
        frame: "event",
        chat_id,
        pts,
        kind,
        data,
    })
    .expect("event data serialises")
}

#[derive(Serialize)]
struct SeqOnly {
    seq: i64,
}

/// A stored frame that refers to a message, to render for a reader who sees the chat's
/// messages from `visible_from` on (0: everyone who may get the event sees the message).
pub(crate) struct Rendering<'a> {
    pub chat_id: i64,
    pub seq: i64,
    pub visible_from: i64,
    pub payload: &'a mut String,
}

#[derive(Deserialize)]
struct StoredHead {
    pts: i64,
    kind: String,
}

/// Replaces each frame's stored reference with the message as it is now: the whole message for
/// `message.new` (a tombstone once deleted), with reaction counts for `message.edited`, the
/// card for `message.attachment`. A reader who may not see the message gets only its seq
/// (and `edited_at` or the card's `version`), as when the event was made.
pub(crate) async fn render(sql: &mut Sql<'_>, frames: &mut [Rendering<'_>]) -> ApiResult<()> {
    if frames.is_empty() {
        return Ok(());
    }
    let pairs: BTreeSet<(i64, i64)> = frames.iter().map(|f| (f.chat_id, f.seq)).collect();
    let values = pairs
        .iter()
        .map(|(chat, seq)| format!("({chat}, {seq})"))
        .collect::<Vec<_>>()
        .join(", ");
    let rows: Vec<MessageRow> = sql
        .fetch_all(
            &format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE (chat_id, seq) IN (VALUES {values})"),
            params![],
        )
        .await?;
    let mut messages: HashMap<(i64, i64), Message> = rows
        .into_iter()
        .map(|row| ((row.chat_id, row.seq), Message::from(row)))
        .collect();
    let heads: Vec<Option<StoredHead>> = frames.iter().map(|f| serde_json::from_str(f.payload).ok()).collect();
    if heads
        .iter()
        .any(|h| h.as_ref().is_some_and(|h| h.kind == "message.edited"))
    {
        let counts: Vec<(i64, i64, String, i64)> = sql
            .fetch_all(
                &format!(
                    "SELECT chat_id, seq, emoji, COUNT(*) FROM reactions WHERE (chat_id, seq) IN (VALUES {values}) \
                     GROUP BY chat_id, seq, emoji ORDER BY chat_id, seq, MIN(created_at), emoji"
                ),
                params![],
            )
            .await?;
        for (chat_id, seq, emoji, count) in counts {
            if let Some(message) = messages.get_mut(&(chat_id, seq)) {
                message.reactions.push(ReactionCount {
                    emoji,
                    count,
                    me: false,
                });
            }
        }
    }
    for (frame, head) in frames.iter_mut().zip(heads) {
        let (Some(head), Some(message)) = (head, messages.get(&(frame.chat_id, frame.seq))) else {
            continue; // left as stored: it holds no content
        };
        let (chat_id, pts, seq) = (frame.chat_id, head.pts, frame.seq);
        let hidden = seq < frame.visible_from;
        *frame.payload = match (head.kind.as_str(), hidden) {
            ("message.edited", true) => chat_frame(
                chat_id,
                pts,
                &head.kind,
                &json!({"seq": seq, "edited_at": message.edited_at}),
            ),
            ("message.attachment", true) => {
                let version = message.attachment.as_ref().map(|a| a.version);
                chat_frame(chat_id, pts, &head.kind, &json!({"seq": seq, "version": version}))
            }
            (_, true) => chat_frame(chat_id, pts, &head.kind, &SeqOnly { seq }),
            ("message.attachment", false) => match &message.attachment {
                Some(card) => chat_frame(chat_id, pts, &head.kind, &json!({"seq": seq, "attachment": card})),
                None => chat_frame(chat_id, pts, &head.kind, &SeqOnly { seq }),
            },
            (_, false) => {
                let mut message = Cow::Borrowed(message);
                if head.kind == "message.new" && !message.reactions.is_empty() {
                    message.to_mut().reactions.clear();
                }
                chat_frame(chat_id, pts, &head.kind, &message)
            }
        };
    }
    Ok(())
}
