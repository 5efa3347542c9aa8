//! The event log. Every change in a chat bumps the chat's `pts` and appends an event in the
//! same transaction; events that concern one user (added to a chat, read markers) go to that
//! user's log with a per-user pts. The stored payload is the exact frame clients receive, made
//! once. Each logged event also gets an `outbox` row in the same transaction, which the relay
//! (`relay.rs`) turns into a bus publish after the commit.

use hybrid_core::ApiResult;
use hybrid_realtime_api::Membership;
use hybrid_store::{Sql, params};
use serde::Serialize;

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
        let (pts,): (i64,) = tx
            .fetch_one(
                "UPDATE chats SET pts = pts + 1 WHERE id = $1 RETURNING pts",
                params![chat_id],
            )
            .await?;
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
        let frame = serde_json::to_string(&ChatFrame {
            frame: "event",
            chat_id,
            pts,
            kind,
            data,
        })
        .expect("event data serialises");
        const SQL: &str = "INSERT INTO events (chat_id, pts, kind, payload, created_at) VALUES ($1, $2, $3, $4, $5)";
        self.log(tx, SQL, CHAT_LOG, chat_id, pts, kind, frame, membership).await
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
        const SQL: &str =
            "INSERT INTO user_events (user_id, pts, kind, payload, created_at) VALUES ($1, $2, $3, $4, $5)";
        self.log(tx, SQL, USER_LOG, user_id, pts, kind, frame, membership)
            .await?;
        Ok(pts)
    }

    /// Stores a frame in a log (`sql` inserts key, pts, kind, payload, time) and its outbox row.
    #[allow(clippy::too_many_arguments)]
    async fn log(
        &mut self,
        tx: &mut Sql<'_>,
        sql: &'static str,
        log: i64,
        key: i64,
        pts: i64,
        kind: &str,
        frame: String,
        membership: Option<Membership>,
    ) -> ApiResult<()> {
        let now = hybrid_core::now_ms();
        tx.execute(sql, params![key, pts, kind, frame, now]).await?;
        let control = membership.map(|m| m.control().as_str().to_owned());
        tx.execute(
            "INSERT INTO outbox (topic, key, pts, control, trace, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
            params![log, key, pts, control, self.trace, now],
        )
        .await?;
        self.logged = true;
        Ok(())
    }
}
