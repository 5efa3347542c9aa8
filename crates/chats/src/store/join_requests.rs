//! The `join_requests` table: people who followed a link that needs approval, waiting.

use hybrid_core::{ApiResult, now_ms};
use hybrid_store::{Sql, params};

/// A waiting request: who, with which link, since when (Unix ms).
pub type RequestRow = (i64, String, i64);

/// Records `user_id`'s request to join with link `code`; asking again changes nothing. Whether
/// this call made it.
pub async fn insert(sql: &mut Sql<'_>, chat_id: i64, user_id: i64, code: &str) -> ApiResult<bool> {
    let made = sql
        .execute(
            "INSERT INTO join_requests (chat_id, user_id, code, requested_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (chat_id, user_id) DO NOTHING",
            params![chat_id, user_id, code, now_ms()],
        )
        .await?;
    Ok(made == 1)
}

/// Takes `user_id`'s request out of the chat's: the link it came with, if there was one.
pub async fn take(sql: &mut Sql<'_>, chat_id: i64, user_id: i64) -> ApiResult<Option<String>> {
    let row: Option<(String,)> = sql
        .fetch_optional(
            "DELETE FROM join_requests WHERE chat_id = $1 AND user_id = $2 RETURNING code",
            params![chat_id, user_id],
        )
        .await?;
    Ok(row.map(|(code,)| code))
}

/// Whether `user_id` waits to join the chat.
pub async fn exists(sql: &mut Sql<'_>, chat_id: i64, user_id: i64) -> ApiResult<bool> {
    let row: Option<(i64,)> = sql
        .fetch_optional(
            "SELECT 1 FROM join_requests WHERE chat_id = $1 AND user_id = $2",
            params![chat_id, user_id],
        )
        .await?;
    Ok(row.is_some())
}

/// Up to `limit` of a chat's requests, oldest first, after (`requested_at`, `user_id`).
pub async fn page(sql: &mut Sql<'_>, chat_id: i64, after: (i64, i64), limit: i64) -> ApiResult<Vec<RequestRow>> {
    Ok(sql
        .fetch_all(
            "SELECT user_id, code, requested_at FROM join_requests WHERE chat_id = $1 \
             AND (requested_at > $2 OR (requested_at = $2 AND user_id > $3)) \
             ORDER BY requested_at, user_id LIMIT $4",
            params![chat_id, after.0, after.1, limit],
        )
        .await?)
}

/// How many wait to join the chat.
pub async fn count(sql: &mut Sql<'_>, chat_id: i64) -> ApiResult<i64> {
    let (count,): (i64,) = sql
        .fetch_one(
            "SELECT COUNT(*) FROM join_requests WHERE chat_id = $1",
            params![chat_id],
        )
        .await?;
    Ok(count)
}

/// How many wait who came with link `code`.
pub async fn count_for(sql: &mut Sql<'_>, chat_id: i64, code: &str) -> ApiResult<i64> {
    let (count,): (i64,) = sql
        .fetch_one(
            "SELECT COUNT(*) FROM join_requests WHERE chat_id = $1 AND code = $2",
            params![chat_id, code],
        )
        .await?;
    Ok(count)
}
