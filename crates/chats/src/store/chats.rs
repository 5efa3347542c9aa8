//! The `chats` table: a chat's row, and the chat list as one member sees it.

use hybrid_core::{ApiResult, now_ms};
use hybrid_store::{Sql, params};

use crate::api::{MSG_COLUMNS, MessageRow};

/// A chat as one member sees it: the chat, their standing in it, and what they have not read.
pub struct ChatRow {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub description: String,
    pub history_visibility: String,
    /// JSON of an [`Avatar`](hybrid_chats_api::avatar::Avatar).
    pub avatar: Option<String>,
    pub member_count: i64,
    pub created_at: i64,
    pub pts: i64,
    pub last_seq: i64,
    pub last_activity_at: i64,
    pub role: String,
    pub allow_bits: i64,
    pub deny_bits: i64,
    pub joined_seq: i64,
    pub read_seq: i64,
    pub unread_count: i64,
    pub peer_id: Option<i64>,
    pub peer_read_seq: Option<i64>,
}

// in the column order of CHAT_SELECT
hybrid_store::from_row!(ChatRow {
    id,
    kind,
    title,
    description,
    history_visibility,
    avatar,
    member_count,
    created_at,
    pts,
    last_seq,
    last_activity_at,
    role,
    allow_bits,
    deny_bits,
    joined_seq,
    read_seq,
    unread_count,
    peer_id,
    peer_read_seq,
});

/// The chats of member `$1`; unread messages count from what the member may see.
const CHAT_SELECT: &str = "SELECT c.id, c.kind, c.title, c.description, c.history_visibility, c.avatar, c.member_count, \
    c.created_at, c.pts, c.last_seq, c.last_activity_at, m.role, m.allow_bits, m.deny_bits, m.joined_seq, \
    m.read_seq, \
    (SELECT COUNT(*) FROM messages x WHERE x.chat_id = c.id AND x.seq > m.read_seq \
        AND x.seq > (CASE WHEN c.history_visibility = 'all' THEN 0 ELSE m.joined_seq END) \
        AND x.sender_id <> m.user_id AND x.deleted_at IS NULL) AS unread_count, \
    (SELECT p.user_id FROM members p WHERE c.kind = 'direct' AND p.chat_id = c.id AND p.user_id <> m.user_id) AS peer_id, \
    (SELECT p.read_seq FROM members p WHERE c.kind = 'direct' AND p.chat_id = c.id AND p.user_id <> m.user_id) \
        AS peer_read_seq \
    FROM members m JOIN chats c ON c.id = m.chat_id WHERE m.user_id = $1";

/// Chat `chat_id` as member `me` sees it; `None` if they are not a member.
pub async fn one(sql: &mut Sql<'_>, me: i64, chat_id: i64) -> ApiResult<Option<ChatRow>> {
    let query = format!("{CHAT_SELECT} AND c.id = $2");
    Ok(sql.fetch_optional(&query, params![me, chat_id]).await?)
}

/// Up to `limit` of `me`'s chats, most recent activity first, after `(last_activity_at, id)`.
pub async fn page(sql: &mut Sql<'_>, me: i64, after: (i64, i64), limit: i64) -> ApiResult<Vec<ChatRow>> {
    let query = format!(
        "{CHAT_SELECT} AND (c.last_activity_at < $2 OR (c.last_activity_at = $2 AND c.id < $3)) \
         ORDER BY c.last_activity_at DESC, c.id DESC LIMIT $4"
    );
    Ok(sql.fetch_all(&query, params![me, after.0, after.1, limit]).await?)
}

/// The last message of each of these chats that has one, in one query.
pub async fn last_messages(sql: &mut Sql<'_>, chat_ids: impl IntoIterator<Item = i64>) -> ApiResult<Vec<MessageRow>> {
    let ids = hybrid_store::id_list(chat_ids);
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let query = format!(
        "SELECT {MSG_COLUMNS} FROM messages msg JOIN chats c ON c.id = msg.chat_id AND msg.seq = c.last_seq \
         WHERE msg.chat_id IN ({ids})"
    );
    Ok(sql.fetch_all(&query, params![]).await?)
}

/// Locks a chat's row until the transaction ends (PostgreSQL only: SQLite has one writer).
pub async fn lock(sql: &mut Sql<'_>, chat_id: i64) -> ApiResult<()> {
    sql.execute("SELECT id FROM chats WHERE id = $1 FOR UPDATE", params![chat_id])
        .await?;
    Ok(())
}

/// Creates a group or channel; its id.
pub async fn insert(
    sql: &mut Sql<'_>,
    kind: &str,
    title: &str,
    description: &str,
    history_visibility: &str,
    by: i64,
) -> ApiResult<i64> {
    let (id,): (i64,) = sql
        .fetch_one(
            "INSERT INTO chats (kind, title, description, history_visibility, created_by, created_at, last_activity_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id",
            params![kind, title, description, history_visibility, by, now_ms()],
        )
        .await?;
    Ok(id)
}

/// Creates the direct chat of `direct_key`; its id, or `None` if it exists already.
pub async fn insert_direct(sql: &mut Sql<'_>, direct_key: &str, by: i64) -> ApiResult<Option<i64>> {
    let created: Option<(i64,)> = sql
        .fetch_optional(
            "INSERT INTO chats (kind, direct_key, history_visibility, created_by, created_at, last_activity_at) \
             VALUES ('direct', $1, 'all', $2, $3, $3) ON CONFLICT (direct_key) DO NOTHING RETURNING id",
            params![direct_key, by, now_ms()],
        )
        .await?;
    Ok(created.map(|(id,)| id))
}

/// The id of the direct chat of `direct_key`, if there is one.
pub async fn direct(sql: &mut Sql<'_>, direct_key: &str) -> ApiResult<Option<i64>> {
    let found: Option<(i64,)> = sql
        .fetch_optional("SELECT id FROM chats WHERE direct_key = $1", params![direct_key])
        .await?;
    Ok(found.map(|(id,)| id))
}

/// Sets what is given of title, description and history visibility; all three as they are now.
/// What of a chat's info changes: what is `Some` is set (an empty `avatar` removes it).
#[derive(Debug, Default)]
pub struct InfoChange<'a> {
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub history_visibility: Option<&'a str>,
    /// JSON of an Avatar, or empty.
    pub avatar: Option<&'a str>,
}

/// Applies `change`: the title, description, history visibility and avatar after it.
pub async fn update_info(
    sql: &mut Sql<'_>,
    chat_id: i64,
    change: InfoChange<'_>,
) -> ApiResult<(String, String, String, Option<String>)> {
    Ok(sql
        .fetch_one(
            "UPDATE chats SET title = COALESCE($2, title), description = COALESCE($3, description), \
             history_visibility = COALESCE($4, history_visibility), \
             avatar = CASE WHEN $5 IS NULL THEN avatar WHEN $5 = '' THEN NULL ELSE $5 END WHERE id = $1 \
             RETURNING title, description, history_visibility, avatar",
            params![
                chat_id,
                change.title,
                change.description,
                change.history_visibility,
                change.avatar
            ],
        )
        .await?)
}

/// Counts a member in (and the chat as active now): the chat's last seq, kind and title.
pub async fn count_in(sql: &mut Sql<'_>, chat_id: i64) -> ApiResult<(i64, String, String)> {
    Ok(sql
        .fetch_one(
            "UPDATE chats SET member_count = member_count + 1, last_activity_at = $2 WHERE id = $1 \
             RETURNING last_seq, kind, title",
            params![chat_id, now_ms()],
        )
        .await?)
}

/// The chat's title.
pub async fn title(sql: &mut Sql<'_>, chat_id: i64) -> ApiResult<String> {
    let (title,): (String,) = sql
        .fetch_one("SELECT title FROM chats WHERE id = $1", params![chat_id])
        .await?;
    Ok(title)
}

/// Counts a member out: the chat's kind.
pub async fn count_out(sql: &mut Sql<'_>, chat_id: i64) -> ApiResult<String> {
    let (kind,): (String,) = sql
        .fetch_one(
            "UPDATE chats SET member_count = member_count - 1 WHERE id = $1 RETURNING kind",
            params![chat_id],
        )
        .await?;
    Ok(kind)
}

/// How many members the chat has.
pub async fn member_count(sql: &mut Sql<'_>, chat_id: i64) -> ApiResult<i64> {
    let (count,): (i64,) = sql
        .fetch_one("SELECT member_count FROM chats WHERE id = $1", params![chat_id])
        .await?;
    Ok(count)
}
