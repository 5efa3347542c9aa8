//! The `bans` table.

use hybrid_core::{ApiResult, now_ms};
use hybrid_store::{Sql, params};

/// Whether `user_id` is banned from the chat now.
pub async fn is_banned(sql: &mut Sql<'_>, chat_id: i64, user_id: i64) -> ApiResult<bool> {
    let row: Option<(i64,)> = sql
        .fetch_optional(
            "SELECT 1 FROM bans WHERE chat_id = $1 AND user_id = $2 AND (until IS NULL OR until > $3)",
            params![chat_id, user_id, now_ms()],
        )
        .await?;
    Ok(row.is_some())
}

/// `user_id`'s ban in force in a chat: `Some(until)` (`until` `None`: until lifted).
pub async fn ban_of(sql: &mut Sql<'_>, chat_id: i64, user_id: i64) -> ApiResult<Option<Option<i64>>> {
    let row: Option<(Option<i64>,)> = sql
        .fetch_optional(
            "SELECT until FROM bans WHERE chat_id = $1 AND user_id = $2 AND (until IS NULL OR until > $3)",
            params![chat_id, user_id, now_ms()],
        )
        .await?;
    Ok(row.map(|(until,)| until))
}

/// Bans `user_id`, replacing an earlier ban of them.
pub async fn ban(sql: &mut Sql<'_>, chat_id: i64, user_id: i64, by: i64, until: Option<i64>) -> ApiResult<()> {
    sql.execute(
        "INSERT INTO bans (chat_id, user_id, banned_by, banned_at, until) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (chat_id, user_id) DO UPDATE SET banned_by = excluded.banned_by, \
         banned_at = excluded.banned_at, until = excluded.until",
        params![chat_id, user_id, by, now_ms(), until],
    )
    .await?;
    Ok(())
}

/// Lifts a ban; whether there was one.
pub async fn lift(sql: &mut Sql<'_>, chat_id: i64, user_id: i64) -> ApiResult<bool> {
    let lifted = sql
        .execute(
            "DELETE FROM bans WHERE chat_id = $1 AND user_id = $2",
            params![chat_id, user_id],
        )
        .await?;
    Ok(lifted > 0)
}

/// A ban in force: who, by whom, since and until when (Unix ms; `None`: until lifted).
pub type BanRow = (i64, i64, i64, Option<i64>);

/// Up to `limit` bans in force, in user id order after `after`.
pub async fn in_force(sql: &mut Sql<'_>, chat_id: i64, after: i64, limit: i64) -> ApiResult<Vec<BanRow>> {
    Ok(sql
        .fetch_all(
            "SELECT user_id, banned_by, banned_at, until FROM bans WHERE chat_id = $1 AND user_id > $2 \
             AND (until IS NULL OR until > $3) ORDER BY user_id LIMIT $4",
            params![chat_id, after, now_ms(), limit],
        )
        .await?)
}
