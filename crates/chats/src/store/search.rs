//! The message search index: SQLite FTS5 (`message_fts`, rows keyed by chat and seq) or a
//! PostgreSQL `tsvector` GIN index, and the search query on each.

use hybrid_core::ApiResult;
use hybrid_store::{Dialect, Sql, params};

use crate::api::{MSG_COLUMNS, MessageRow};
use crate::body::normalize_for_search;

/// FTS5 rows are keyed by one integer: chat id in the high half, seq in the low half. Embedded
/// installs are therefore limited to 2^31 chats of 2^32 messages each.
fn fts_rowid(chat_id: i64, seq: i64) -> i64 {
    debug_assert!((0..1 << 31).contains(&chat_id) && (0..1 << 32).contains(&seq));
    (chat_id << 32) | seq
}

pub async fn index(tx: &mut Sql<'_>, chat_id: i64, seq: i64, text: &str) -> ApiResult<()> {
    let body = normalize_for_search(text);
    match tx.dialect() {
        Dialect::Sqlite => {
            let sql = "INSERT INTO message_fts (rowid, body) VALUES ($1, $2)";
            tx.execute(sql, params![fts_rowid(chat_id, seq), body]).await?
        }
        Dialect::Postgres => {
            let sql = "INSERT INTO message_fts (chat_id, seq, body) VALUES ($1, $2, $3)";
            tx.execute(sql, params![chat_id, seq, body]).await?
        }
    };
    Ok(())
}

pub async fn unindex(tx: &mut Sql<'_>, chat_id: i64, seq: i64) -> ApiResult<()> {
    match tx.dialect() {
        Dialect::Sqlite => {
            let sql = "DELETE FROM message_fts WHERE rowid = $1";
            tx.execute(sql, params![fts_rowid(chat_id, seq)]).await?
        }
        Dialect::Postgres => {
            let sql = "DELETE FROM message_fts WHERE chat_id = $1 AND seq = $2";
            tx.execute(sql, params![chat_id, seq]).await?
        }
    };
    Ok(())
}

/// Empties the index (before a rebuild).
pub async fn clear(sql: &mut Sql<'_>) -> ApiResult<()> {
    sql.execute("DELETE FROM message_fts", params![]).await?;
    Ok(())
}

/// A message to index: chat, seq, text and stored attachment.
pub type Indexable = (i64, i64, String, Option<String>);

/// Up to `limit` messages people wrote (not service messages) that are not deleted, after
/// (`chat_id`, `seq`) in that order.
pub async fn messages_after(sql: &mut Sql<'_>, chat_id: i64, seq: i64, limit: i64) -> ApiResult<Vec<Indexable>> {
    Ok(sql
        .fetch_all(
            "SELECT chat_id, seq, text, attachment FROM messages WHERE deleted_at IS NULL AND action IS NULL \
             AND (chat_id > $1 OR (chat_id = $1 AND seq > $2)) ORDER BY chat_id, seq LIMIT $3",
            params![chat_id, seq, limit],
        )
        .await?)
}

/// How many chats a search by `me` covers: theirs, or `chat_id` alone if they are in it.
pub async fn chats_searched(sql: &mut Sql<'_>, me: i64, chat_id: Option<i64>) -> ApiResult<i64> {
    let (chats,): (i64,) = sql
        .fetch_one(
            "SELECT COUNT(*) FROM members WHERE user_id = $1 AND ($2 = 0 OR chat_id = $2)",
            params![me, chat_id.unwrap_or(0)],
        )
        .await?;
    Ok(chats)
}

/// Callers in at most this many chats (or searching one) have their chats searched one by one.
const SEARCH_CHAT_BY_CHAT: i64 = 64;

/// Messages `me` may read that hold every term (the last as a prefix), newest first, in the
/// `chats` chats they search (see [`chats_searched`]), before `before` (created_at, chat, seq).
/// Terms hold only letters and digits (`body::query_terms`), so they are safe inside the match
/// expression.
#[allow(clippy::too_many_arguments)]
pub async fn matching(
    sql: &mut Sql<'_>,
    me: i64,
    terms: &[String],
    chats: i64,
    chat_id: Option<i64>,
    before: Option<(i64, i64, i64)>,
    limit: i64,
) -> ApiResult<Vec<MessageRow>> {
    let last = terms.len() - 1;
    // SQLite: FTS5 rows are keyed by chat in the high half of the rowid, so one chat's
    // messages are one rowid range. For a caller in a few chats the query walks their chats
    // and searches each range: the cost follows what they can read, not the server's size.
    // In many chats, the index drives once over all matches instead (running the MATCH,
    // and building a prefix's doclist, per chat would cost more). CROSS JOIN keeps
    // SQLite's planner to that order.
    let by_chat = chats <= SEARCH_CHAT_BY_CHAT;
    let (from, expression) = match sql.dialect() {
        Dialect::Sqlite => {
            let expr: Vec<String> = terms
                .iter()
                .enumerate()
                .map(|(i, t)| {
                    if i == last {
                        format!("\"{t}\"*")
                    } else {
                        format!("\"{t}\"")
                    }
                })
                .collect();
            let from = if by_chat {
                "members m CROSS JOIN message_fts f \
                 ON f.rowid >= (m.chat_id << 32) AND f.rowid <= ((m.chat_id << 32) | 4294967295) \
                 CROSS JOIN messages msg ON msg.chat_id = m.chat_id AND msg.seq = (f.rowid & 4294967295) \
                 JOIN chats c ON c.id = msg.chat_id \
                 WHERE m.user_id = $1 AND ($3 = 0 OR m.chat_id = $3) AND message_fts MATCH $2"
            } else {
                "message_fts f CROSS JOIN messages msg \
                 ON msg.chat_id = (f.rowid >> 32) AND msg.seq = (f.rowid & 4294967295) \
                 JOIN members m ON m.chat_id = msg.chat_id AND m.user_id = $1 \
                 JOIN chats c ON c.id = msg.chat_id \
                 WHERE message_fts MATCH $2"
            };
            (from, expr.join(" "))
        }
        Dialect::Postgres => {
            let expr: Vec<String> = terms
                .iter()
                .enumerate()
                .map(|(i, t)| if i == last { format!("{t}:*") } else { t.clone() })
                .collect();
            (
                "messages msg \
                 JOIN members m ON m.chat_id = msg.chat_id AND m.user_id = $1 \
                 JOIN chats c ON c.id = msg.chat_id \
                 JOIN message_fts f ON f.chat_id = msg.chat_id AND f.seq = msg.seq \
                 WHERE to_tsvector('simple', f.body) @@ to_tsquery('simple', $2)",
                expr.join(" & "),
            )
        }
    };
    let query = format!(
        "SELECT {MSG_COLUMNS} FROM {from} \
         AND msg.deleted_at IS NULL \
         AND (c.history_visibility = 'all' OR msg.seq > m.joined_seq) \
         AND ($3 = 0 OR msg.chat_id = $3) \
         AND ($4 = 0 OR (msg.created_at, msg.chat_id, msg.seq) < ($4, $5, $6)) \
         ORDER BY msg.created_at DESC, msg.chat_id DESC, msg.seq DESC LIMIT $7"
    );
    let (before_at, before_chat, before_seq) = before.unwrap_or((0, 0, 0));
    Ok(sql
        .fetch_all(
            &query,
            params![
                me,
                expression,
                chat_id.unwrap_or(0),
                before_at,
                before_chat,
                before_seq,
                limit
            ],
        )
        .await?)
}
