//! Messages' attachments: the card, and the pending mark of an attachment event held back.

use hybrid_core::ApiResult;
use hybrid_store::{Sql, params};

/// Whether message `seq` exists and is not deleted.
pub async fn is_live(sql: &mut Sql<'_>, chat_id: i64, seq: i64) -> ApiResult<bool> {
    let live: Option<(i64,)> = sql
        .fetch_optional(
            "SELECT seq FROM messages WHERE chat_id = $1 AND seq = $2 AND deleted_at IS NULL",
            params![chat_id, seq],
        )
        .await?;
    Ok(live.is_some())
}

/// A live message's text, stored attachment (JSON) and when its last attachment event went out.
pub async fn attachment_of(
    sql: &mut Sql<'_>,
    chat_id: i64,
    seq: i64,
) -> ApiResult<Option<(String, Option<String>, Option<i64>)>> {
    Ok(sql
        .fetch_optional(
            "SELECT text, attachment, attachment_event_at FROM messages \
             WHERE chat_id = $1 AND seq = $2 AND deleted_at IS NULL",
            params![chat_id, seq],
        )
        .await?)
}

/// Stores a new attachment (JSON), its event sent now or `pending`.
pub async fn set_attachment(sql: &mut Sql<'_>, chat_id: i64, seq: i64, json: &str, pending: bool) -> ApiResult<()> {
    sql.execute(
        "UPDATE messages SET attachment = $3, attachment_pending = $4 WHERE chat_id = $1 AND seq = $2",
        params![chat_id, seq, json, i64::from(pending)],
    )
    .await?;
    Ok(())
}

/// Marks the attachment event of message `seq` sent at `now`.
pub async fn event_sent(sql: &mut Sql<'_>, chat_id: i64, seq: i64, now: i64) -> ApiResult<()> {
    sql.execute(
        "UPDATE messages SET attachment_event_at = $3, attachment_pending = 0 WHERE chat_id = $1 AND seq = $2",
        params![chat_id, seq, now],
    )
    .await?;
    Ok(())
}

/// Up to 100 messages whose held-back attachment event is due (its last went out before
/// `sent_before`).
pub async fn pending_events(sql: &mut Sql<'_>, sent_before: i64) -> ApiResult<Vec<(i64, i64)>> {
    Ok(sql
        .fetch_all(
            "SELECT chat_id, seq FROM messages WHERE attachment_pending = 1 \
             AND attachment_event_at <= $1 LIMIT 100",
            params![sent_before],
        )
        .await?)
}

/// Whether message `seq` still has a held-back attachment event (and is not deleted).
pub async fn is_pending(sql: &mut Sql<'_>, chat_id: i64, seq: i64) -> ApiResult<bool> {
    let due: Option<(i64,)> = sql
        .fetch_optional(
            "SELECT seq FROM messages WHERE chat_id = $1 AND seq = $2 \
             AND attachment_pending = 1 AND deleted_at IS NULL",
            params![chat_id, seq],
        )
        .await?;
    Ok(due.is_some())
}

/// The chat's history visibility (`all` or `since_join`).
pub async fn history_visibility(sql: &mut Sql<'_>, chat_id: i64) -> ApiResult<String> {
    let (history,): (String,) = sql
        .fetch_one("SELECT history_visibility FROM chats WHERE id = $1", params![chat_id])
        .await?;
    Ok(history)
}
