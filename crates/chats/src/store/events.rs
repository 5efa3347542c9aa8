//! The event logs (`events` per chat, `user_events` and `user_state` per user), their outbox
//! rows, and the reads that render and replay them.

use std::collections::BTreeSet;

use hybrid_core::ApiResult;
use hybrid_store::{Db, Sql, params, values};

use crate::api::{MESSAGE_COLUMNS, MessageRow};

/// Bumps the chat's pts; returns the new one.
pub async fn next_chat_pts(sql: &mut Sql<'_>, chat_id: i64) -> ApiResult<i64> {
    let (pts,): (i64,) = sql
        .fetch_one(
            "UPDATE chats SET pts = pts + 1 WHERE id = $1 RETURNING pts",
            params![chat_id],
        )
        .await?;
    Ok(pts)
}

/// Appends a chat's event; `message_seq` when it refers to a message rendered at delivery.
pub async fn append_chat_event(
    sql: &mut Sql<'_>,
    chat_id: i64,
    pts: i64,
    kind: &str,
    payload: &str,
    message_seq: Option<i64>,
) -> ApiResult<()> {
    sql.execute(
        "INSERT INTO events (chat_id, pts, kind, payload, created_at, message_seq) VALUES ($1, $2, $3, $4, $5, $6)",
        params![chat_id, pts, kind, payload, hybrid_core::now_ms(), message_seq],
    )
    .await?;
    Ok(())
}

/// Bumps the user's pts; returns the new one.
pub async fn next_user_pts(sql: &mut Sql<'_>, user_id: i64) -> ApiResult<i64> {
    let (pts,): (i64,) = sql
        .fetch_one(
            "INSERT INTO user_state (user_id, pts) VALUES ($1, 1) \
             ON CONFLICT (user_id) DO UPDATE SET pts = user_state.pts + 1 RETURNING pts",
            params![user_id],
        )
        .await?;
    Ok(pts)
}

pub async fn append_user_event(sql: &mut Sql<'_>, user_id: i64, pts: i64, kind: &str, payload: &str) -> ApiResult<()> {
    sql.execute(
        "INSERT INTO user_events (user_id, pts, kind, payload, created_at) VALUES ($1, $2, $3, $4, $5)",
        params![user_id, pts, kind, payload, hybrid_core::now_ms()],
    )
    .await?;
    Ok(())
}

/// The outbox row of an event just logged (`log`: 0 a chat's, 1 a user's).
pub async fn append_outbox(
    sql: &mut Sql<'_>,
    log: i64,
    key: i64,
    pts: i64,
    control: Option<String>,
    trace: Option<&str>,
) -> ApiResult<()> {
    sql.execute(
        "INSERT INTO outbox (topic, key, pts, control, trace, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        params![log, key, pts, control, trace, hybrid_core::now_ms()],
    )
    .await?;
    Ok(())
}

/// The user's latest pts (0 for none).
pub async fn user_pts(sql: &mut Sql<'_>, user_id: i64) -> ApiResult<i64> {
    let (pts,): (i64,) = sql
        .fetch_one(
            "SELECT COALESCE(MAX(pts), 0) FROM user_state WHERE user_id = $1",
            params![user_id],
        )
        .await?;
    Ok(pts)
}

/// Up to `limit` of the user's events after pts `after`: (pts, payload).
pub async fn user_events_after(
    sql: &mut Sql<'_>,
    user_id: i64,
    after: i64,
    limit: i64,
) -> ApiResult<Vec<(i64, String)>> {
    Ok(sql
        .fetch_all(
            "SELECT pts, payload FROM user_events WHERE user_id = $1 AND pts > $2 ORDER BY pts LIMIT $3",
            params![user_id, after, limit],
        )
        .await?)
}

/// The chat's latest pts.
pub async fn chat_pts(sql: &mut Sql<'_>, chat_id: i64) -> ApiResult<i64> {
    let (pts,): (i64,) = sql
        .fetch_one("SELECT pts FROM chats WHERE id = $1", params![chat_id])
        .await?;
    Ok(pts)
}

/// Up to `limit` of the chat's events after pts `after`: (pts, payload, message seq).
pub async fn chat_events_after(
    sql: &mut Sql<'_>,
    chat_id: i64,
    after: i64,
    limit: i64,
) -> ApiResult<Vec<(i64, String, Option<i64>)>> {
    Ok(sql
        .fetch_all(
            "SELECT pts, payload, message_seq FROM events WHERE chat_id = $1 AND pts > $2 \
             ORDER BY pts LIMIT $3",
            params![chat_id, after, limit],
        )
        .await?)
}

/// `(chat, seq), …` for an `IN (VALUES …)` list: integers only, so inline is safe.
fn pair_list(pairs: &BTreeSet<(i64, i64)>) -> String {
    pairs
        .iter()
        .map(|(chat, seq)| format!("({chat}, {seq})"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The messages at these (chat, seq) places, in one query.
pub async fn messages_at(sql: &mut Sql<'_>, pairs: &BTreeSet<(i64, i64)>) -> ApiResult<Vec<MessageRow>> {
    let values = pair_list(pairs);
    Ok(sql
        .fetch_all(
            &format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE (chat_id, seq) IN (VALUES {values})"),
            params![],
        )
        .await?)
}

/// Reaction counts of the messages at these places: (chat, seq, emoji, count), each message's
/// emoji in the order they were first used.
pub async fn reaction_counts_at(
    sql: &mut Sql<'_>,
    pairs: &BTreeSet<(i64, i64)>,
) -> ApiResult<Vec<(i64, i64, String, i64)>> {
    let values = pair_list(pairs);
    Ok(sql
        .fetch_all(
            &format!(
                "SELECT chat_id, seq, emoji, COUNT(*) FROM reactions WHERE (chat_id, seq) IN (VALUES {values}) \
                 GROUP BY chat_id, seq, emoji ORDER BY chat_id, seq, MIN(created_at), emoji"
            ),
            params![],
        )
        .await?)
}

/// Deletes both logs' events created before `cutoff`; returns how many.
pub async fn prune(db: &Db, cutoff: i64) -> ApiResult<u64> {
    let mut pruned = 0;
    for sql in [
        "DELETE FROM events WHERE created_at < $1",
        "DELETE FROM user_events WHERE created_at < $1",
    ] {
        pruned += db.execute(sql, values![cutoff]).await?;
    }
    Ok(pruned)
}
