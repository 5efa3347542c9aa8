//! Messages, their reactions, pins and read markers.

use std::sync::LazyLock;

use hybrid_chats_api::MessageContext;
use hybrid_core::ApiResult;
use hybrid_store::{Sql, params};

use crate::api::{MESSAGE_COLUMNS, MSG_COLUMNS, MessageRow, ReactionCount};
use crate::messages::{HistoryFrom, Only};

/// `SELECT` of a message by chat and seq.
static LOAD_MESSAGE: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE chat_id = $1 AND seq = $2"));
/// `SELECT` of a message by chat, sender and nonce.
static BY_NONCE: LazyLock<String> = LazyLock::new(|| {
    format!("SELECT {MESSAGE_COLUMNS} FROM messages WHERE chat_id = $1 AND sender_id = $2 AND nonce = $3")
});

/// A message to insert, its text and entities ready as stored.
pub struct NewRow<'a> {
    pub chat_id: i64,
    pub seq: i64,
    pub sender_id: i64,
    pub text: &'a str,
    pub entities: &'a str,
    pub reply_to: Option<i64>,
    pub nonce: Option<&'a str>,
    pub created_at: i64,
    pub attachment: Option<&'a str>,
    pub attachment_event_at: Option<i64>,
    /// A service message's [`ServiceAction`](crate::api::ServiceAction), as JSON.
    pub action: Option<&'a str>,
    /// A forwarded message's original author.
    pub forwarded_from: Option<i64>,
    /// A bot's buttons, as JSON.
    pub reply_markup: Option<&'a str>,
}

pub async fn load(sql: &mut Sql<'_>, chat_id: i64, seq: i64) -> ApiResult<Option<MessageRow>> {
    Ok(sql.fetch_optional(&LOAD_MESSAGE, params![chat_id, seq]).await?)
}

/// The message `sender` sent with `nonce` in a chat, if any.
pub async fn by_nonce(sql: &mut Sql<'_>, chat_id: i64, sender: i64, nonce: &str) -> ApiResult<Option<MessageRow>> {
    Ok(sql.fetch_optional(&BY_NONCE, params![chat_id, sender, nonce]).await?)
}

/// The seq of the newest message any member of the chat joined after (0: none).
pub async fn newest_join(sql: &mut Sql<'_>, chat_id: i64) -> ApiResult<i64> {
    let (newest,): (i64,) = sql
        .fetch_one(
            "SELECT COALESCE(MAX(joined_seq), 0) FROM members WHERE chat_id = $1",
            params![chat_id],
        )
        .await?;
    Ok(newest)
}

/// `None` unless `me` is a member; then the other member of a direct chat, if it is one.
pub async fn reach(sql: &mut Sql<'_>, chat_id: i64, me: i64) -> ApiResult<Option<Option<i64>>> {
    let row: Option<(Option<i64>,)> = sql
        .fetch_optional(
            "SELECT (SELECT p.user_id FROM members p WHERE c.kind = 'direct' AND p.chat_id = m.chat_id \
                 AND p.user_id <> m.user_id) \
             FROM members m JOIN chats c ON c.id = m.chat_id WHERE m.chat_id = $1 AND m.user_id = $2",
            params![chat_id, me],
        )
        .await?;
    Ok(row.map(|(peer,)| peer))
}

/// Takes the chat's next message seq and event pts in one statement: (seq, pts).
pub async fn next_seq(sql: &mut Sql<'_>, chat_id: i64, now: i64) -> ApiResult<(i64, i64)> {
    Ok(sql
        .fetch_one(
            "UPDATE chats SET last_seq = last_seq + 1, pts = pts + 1, last_activity_at = $2 WHERE id = $1 \
             RETURNING last_seq, pts",
            params![chat_id, now],
        )
        .await?)
}

pub async fn insert(sql: &mut Sql<'_>, row: &NewRow<'_>) -> ApiResult<()> {
    sql.execute(
        "INSERT INTO messages (chat_id, seq, sender_id, text, entities, reply_to, nonce, created_at, \
         attachment, attachment_event_at, action, forwarded_from, reply_markup) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        params![
            row.chat_id,
            row.seq,
            row.sender_id,
            row.text,
            row.entities,
            row.reply_to,
            row.nonce,
            row.created_at,
            row.attachment,
            row.attachment_event_at,
            row.action,
            row.forwarded_from,
            row.reply_markup
        ],
    )
    .await?;
    Ok(())
}

/// Moves a member's read marker to `seq`.
pub async fn mark_read(sql: &mut Sql<'_>, chat_id: i64, user_id: i64, seq: i64) -> ApiResult<()> {
    sql.execute(
        "UPDATE members SET read_seq = $3 WHERE chat_id = $1 AND user_id = $2",
        params![chat_id, user_id, seq],
    )
    .await?;
    Ok(())
}

pub async fn set_text(
    sql: &mut Sql<'_>,
    chat_id: i64,
    seq: i64,
    text: &str,
    entities: &str,
    edited_at: i64,
) -> ApiResult<()> {
    sql.execute(
        "UPDATE messages SET text = $3, entities = $4, edited_at = $5 WHERE chat_id = $1 AND seq = $2",
        params![chat_id, seq, text, entities, edited_at],
    )
    .await?;
    Ok(())
}

/// Replaces a message's buttons (`None`: removes them).
pub async fn set_reply_markup(
    sql: &mut Sql<'_>,
    chat_id: i64,
    seq: i64,
    reply_markup: Option<&str>,
    edited_at: i64,
) -> ApiResult<()> {
    sql.execute(
        "UPDATE messages SET reply_markup = $3, edited_at = $4 WHERE chat_id = $1 AND seq = $2",
        params![chat_id, seq, reply_markup, edited_at],
    )
    .await?;
    Ok(())
}

/// Leaves a tombstone of the message: no text, card, reactions or pin.
pub async fn tombstone(sql: &mut Sql<'_>, chat_id: i64, seq: i64, now: i64) -> ApiResult<()> {
    sql.execute(
        "UPDATE messages SET text = '', entities = '[]', deleted_at = $3, attachment = NULL, reply_markup = NULL, \
         attachment_pending = 0 WHERE chat_id = $1 AND seq = $2",
        params![chat_id, seq, now],
    )
    .await?;
    for table in [
        "DELETE FROM reactions WHERE chat_id = $1 AND seq = $2",
        "DELETE FROM pins WHERE chat_id = $1 AND seq = $2",
    ] {
        sql.execute(table, params![chat_id, seq]).await?;
    }
    Ok(())
}

/// The message's reaction counts, each emoji in the order it was first used.
pub async fn reaction_counts(sql: &mut Sql<'_>, chat_id: i64, seq: i64) -> ApiResult<Vec<ReactionCount>> {
    let rows: Vec<(String, i64)> = sql
        .fetch_all(
            "SELECT emoji, COUNT(*) FROM reactions WHERE chat_id = $1 AND seq = $2 \
             GROUP BY emoji ORDER BY MIN(created_at), emoji",
            params![chat_id, seq],
        )
        .await?;
    Ok(rows
        .into_iter()
        .map(|(emoji, count)| ReactionCount {
            emoji,
            count,
            me: false,
        })
        .collect())
}

/// How many different emoji other than `emoji` the message's reactions use.
pub async fn other_emoji(sql: &mut Sql<'_>, chat_id: i64, seq: i64, emoji: &str) -> ApiResult<i64> {
    let (distinct,): (i64,) = sql
        .fetch_one(
            "SELECT COUNT(DISTINCT emoji) FROM reactions WHERE chat_id = $1 AND seq = $2 AND emoji <> $3",
            params![chat_id, seq, emoji],
        )
        .await?;
    Ok(distinct)
}

/// Adds a reaction; the rows changed (0 when it was there).
pub async fn add_reaction(
    sql: &mut Sql<'_>,
    chat_id: i64,
    seq: i64,
    user_id: i64,
    emoji: &str,
    now: i64,
) -> ApiResult<u64> {
    Ok(sql
        .execute(
            "INSERT INTO reactions (chat_id, seq, user_id, emoji, created_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (chat_id, seq, user_id, emoji) DO NOTHING",
            params![chat_id, seq, user_id, emoji, now],
        )
        .await?)
}

/// Removes a reaction; the rows changed (0 when it was not there).
pub async fn remove_reaction(sql: &mut Sql<'_>, chat_id: i64, seq: i64, user_id: i64, emoji: &str) -> ApiResult<u64> {
    Ok(sql
        .execute(
            "DELETE FROM reactions WHERE chat_id = $1 AND seq = $2 AND user_id = $3 AND emoji = $4",
            params![chat_id, seq, user_id, emoji],
        )
        .await?)
}

/// Who reacted with what: (emoji, user), by emoji, then in the order they reacted.
pub async fn reactors(sql: &mut Sql<'_>, chat_id: i64, seq: i64) -> ApiResult<Vec<(String, i64)>> {
    Ok(sql
        .fetch_all(
            "SELECT emoji, user_id FROM reactions WHERE chat_id = $1 AND seq = $2 ORDER BY emoji, created_at, user_id",
            params![chat_id, seq],
        )
        .await?)
}

/// The emoji `user_id` reacted with on a message.
pub async fn reactions_of(sql: &mut Sql<'_>, chat_id: i64, seq: i64, user_id: i64) -> ApiResult<Vec<String>> {
    let rows: Vec<(String,)> = sql
        .fetch_all(
            "SELECT emoji FROM reactions WHERE chat_id = $1 AND seq = $2 AND user_id = $3",
            params![chat_id, seq, user_id],
        )
        .await?;
    Ok(rows.into_iter().map(|(emoji,)| emoji).collect())
}

/// Pins a message; the rows changed (0 when it was pinned).
pub async fn pin(sql: &mut Sql<'_>, chat_id: i64, seq: i64, by: i64, now: i64) -> ApiResult<u64> {
    Ok(sql
        .execute(
            "INSERT INTO pins (chat_id, seq, pinned_by, pinned_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (chat_id, seq) DO NOTHING",
            params![chat_id, seq, by, now],
        )
        .await?)
}

/// Unpins a message; the rows changed (0 when it was not pinned).
pub async fn unpin(sql: &mut Sql<'_>, chat_id: i64, seq: i64) -> ApiResult<u64> {
    Ok(sql
        .execute(
            "DELETE FROM pins WHERE chat_id = $1 AND seq = $2",
            params![chat_id, seq],
        )
        .await?)
}

/// Up to 100 pinned messages from seq `first` on, most recently pinned first.
pub async fn pinned(sql: &mut Sql<'_>, chat_id: i64, first: i64) -> ApiResult<Vec<MessageRow>> {
    static PINNED: LazyLock<String> = LazyLock::new(|| {
        format!(
            "SELECT {MSG_COLUMNS} FROM pins p JOIN messages msg ON msg.chat_id = p.chat_id AND msg.seq = p.seq \
             WHERE p.chat_id = $1 AND p.seq >= $2 ORDER BY p.pinned_at DESC, p.seq DESC LIMIT 100"
        )
    });
    Ok(sql.fetch_all(&PINNED, params![chat_id, first]).await?)
}

/// Up to `limit` messages from seq `first` on, from where `from` says: newest first for
/// `Latest` (up to `last_seq`) and `Before`, oldest first for `After`.
pub async fn page(
    sql: &mut Sql<'_>,
    chat_id: i64,
    first: i64,
    from: HistoryFrom,
    last_seq: i64,
    limit: i64,
    only: Only,
) -> ApiResult<Vec<MessageRow>> {
    let (condition, bound, order) = match from {
        HistoryFrom::Latest => ("seq >= $2 AND seq <= $3", last_seq, "DESC"),
        HistoryFrom::Before(seq) => ("seq >= $2 AND seq < $3", seq, "DESC"),
        HistoryFrom::After(seq) => ("seq > $3 AND seq >= $2", seq, "ASC"),
    };
    // (the partial index messages_with_attachment serves the second)
    let only = match only {
        Only::All => "",
        Only::WithAttachment => "AND attachment IS NOT NULL",
    };
    let query = format!(
        "SELECT {MESSAGE_COLUMNS} FROM messages WHERE chat_id = $1 AND {condition} {only} \
         ORDER BY seq {order} LIMIT $4"
    );
    Ok(sql.fetch_all(&query, params![chat_id, first, bound, limit]).await?)
}

/// Reaction counts of messages `lo` to `hi`: (seq, emoji, count, whether `me` is among them),
/// by seq, each message's emoji in the order they were first used.
pub async fn reaction_counts_between(
    sql: &mut Sql<'_>,
    chat_id: i64,
    lo: i64,
    hi: i64,
    me: i64,
) -> ApiResult<Vec<(i64, String, i64, i64)>> {
    Ok(sql
        .fetch_all(
            "SELECT seq, emoji, COUNT(*), MAX(CASE WHEN user_id = $4 THEN 1 ELSE 0 END) \
             FROM reactions WHERE chat_id = $1 AND seq >= $2 AND seq <= $3 \
             GROUP BY seq, emoji ORDER BY seq, MIN(created_at), emoji",
            params![chat_id, lo, hi, me],
        )
        .await?)
}

/// Whom message (`chat_id`, `seq`) concerns ([`MessageContext`]); `None` if it is deleted or
/// was never sent.
pub async fn context(sql: &mut Sql<'_>, chat_id: i64, seq: i64) -> ApiResult<Option<MessageContext>> {
    let row: Option<(String, String, i64, Option<i64>, Option<i64>)> = sql
        .fetch_optional(
            "SELECT c.kind, c.title, m.sender_id, \
             (SELECT p.user_id FROM members p WHERE c.kind = 'direct' AND p.chat_id = c.id \
                AND p.user_id <> m.sender_id) AS direct_peer, \
             r.sender_id AS reply_to_sender \
             FROM messages m JOIN chats c ON c.id = m.chat_id \
             LEFT JOIN messages r ON r.chat_id = m.chat_id AND r.seq = m.reply_to AND r.deleted_at IS NULL \
             WHERE m.chat_id = $1 AND m.seq = $2 AND m.deleted_at IS NULL",
            params![chat_id, seq],
        )
        .await?;
    Ok(row.map(
        |(chat_kind, chat_title, sender_id, direct_peer, reply_to_sender)| MessageContext {
            chat_kind,
            chat_title,
            sender_id,
            direct_peer,
            reply_to_sender,
        },
    ))
}
