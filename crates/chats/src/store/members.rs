//! The `members` table: who is in a chat, with which role and rights, and how far they read.

use hybrid_core::{ApiResult, now_ms};
use hybrid_store::{FromRow, Row, Sql, StoreError, params};

use crate::api::{HistoryVisibility, parse_kind, parse_role};
use crate::policy::Access;
use crate::service::Member;

impl FromRow for Member {
    /// In the column order of [`standing`]'s query.
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        Ok(Member {
            access: Access {
                kind: parse_kind(&row.get::<String>(0)?),
                role: parse_role(&row.get::<String>(2)?),
                allow: row.get(3)?,
                deny: row.get(4)?,
            },
            history: HistoryVisibility::parse(&row.get::<String>(1)?),
            joined_seq: row.get(5)?,
            joined_pts: row.get(6)?,
            joined_at: row.get(7)?,
            read_seq: row.get(8)?,
            last_seq: row.get(9)?,
            member_count: row.get(10)?,
        })
    }
}

/// `user_id`'s standing in the chat; `None` if they are not a member.
pub async fn standing(sql: &mut Sql<'_>, chat_id: i64, user_id: i64) -> ApiResult<Option<Member>> {
    Ok(sql
        .fetch_optional(
            "SELECT c.kind, c.history_visibility, m.role, m.allow_bits, m.deny_bits, m.joined_seq, \
             m.joined_pts, m.joined_at, m.read_seq, c.last_seq, c.member_count \
             FROM members m JOIN chats c ON c.id = m.chat_id WHERE m.chat_id = $1 AND m.user_id = $2",
            params![chat_id, user_id],
        )
        .await?)
}

/// Whether `user_id` is a member (a cheaper [`standing`] inside a change).
pub async fn is_member(sql: &mut Sql<'_>, chat_id: i64, user_id: i64) -> ApiResult<bool> {
    let row: Option<(i64,)> = sql
        .fetch_optional(
            "SELECT 1 FROM members WHERE chat_id = $1 AND user_id = $2",
            params![chat_id, user_id],
        )
        .await?;
    Ok(row.is_some())
}

/// Those of `others` who share a chat (any kind) with `user_id`.
pub async fn sharing_a_chat(sql: &mut Sql<'_>, user_id: i64, others: &[i64]) -> ApiResult<Vec<i64>> {
    if others.is_empty() {
        return Ok(Vec::new());
    }
    let list = hybrid_store::id_list(others.iter().copied());
    let query = format!(
        "SELECT DISTINCT o.user_id FROM members m JOIN members o ON o.chat_id = m.chat_id \
         WHERE m.user_id = $1 AND o.user_id IN ({list})"
    );
    let rows: Vec<(i64,)> = sql.fetch_all(&query, params![user_id]).await?;
    Ok(rows.into_iter().map(|r| r.0).collect())
}

/// How many groups and channels `user_id` is in (direct chats do not count).
pub async fn groups_of(sql: &mut Sql<'_>, user_id: i64) -> ApiResult<i64> {
    let (count,): (i64,) = sql
        .fetch_one(
            "SELECT COUNT(*) FROM members m JOIN chats c ON c.id = m.chat_id \
             WHERE m.user_id = $1 AND c.kind <> 'direct'",
            params![user_id],
        )
        .await?;
    Ok(count)
}

/// Adds a member who has read up to `last_seq`, the chat's last message when they join.
pub async fn insert(sql: &mut Sql<'_>, chat_id: i64, user_id: i64, role: &str, last_seq: i64) -> ApiResult<()> {
    sql.execute(
        "INSERT INTO members (chat_id, user_id, role, joined_at, joined_seq, joined_pts, read_seq) \
         VALUES ($1, $2, $3, $4, $5, 0, $5)",
        params![chat_id, user_id, role, now_ms(), last_seq],
    )
    .await?;
    Ok(())
}

/// Where the member's view of the chat's event log starts (after `pts`).
pub async fn set_joined_pts(sql: &mut Sql<'_>, chat_id: i64, user_id: i64, pts: i64) -> ApiResult<()> {
    sql.execute(
        "UPDATE members SET joined_pts = $3 WHERE chat_id = $1 AND user_id = $2",
        params![chat_id, user_id, pts],
    )
    .await?;
    Ok(())
}

/// Removes a member: the role they had.
pub async fn delete(sql: &mut Sql<'_>, chat_id: i64, user_id: i64) -> ApiResult<String> {
    let (role,): (String,) = sql
        .fetch_one(
            "DELETE FROM members WHERE chat_id = $1 AND user_id = $2 RETURNING role",
            params![chat_id, user_id],
        )
        .await?;
    Ok(role)
}

/// Sets a member's role and their rights beyond it.
pub async fn set_role(
    sql: &mut Sql<'_>,
    chat_id: i64,
    user_id: i64,
    role: &str,
    allow_bits: i64,
    deny_bits: i64,
) -> ApiResult<()> {
    sql.execute(
        "UPDATE members SET role = $3, allow_bits = $4, deny_bits = $5 WHERE chat_id = $1 AND user_id = $2",
        params![chat_id, user_id, role, allow_bits, deny_bits],
    )
    .await?;
    Ok(())
}

/// A member as a list shows them: user, role, allow and deny bits, joined at.
pub type MemberRow = (i64, String, i64, i64, i64);

/// Up to `limit` members in user id order after `after`; `only_staff_and` limits them to the
/// owner, the admins and that one user (what a channel's subscriber may see).
pub async fn page(
    sql: &mut Sql<'_>,
    chat_id: i64,
    after: i64,
    limit: i64,
    only_staff_and: Option<i64>,
) -> ApiResult<Vec<MemberRow>> {
    Ok(sql
        .fetch_all(
            "SELECT user_id, role, allow_bits, deny_bits, joined_at FROM members \
             WHERE chat_id = $1 AND user_id > $2 AND ($4 = 0 OR role <> 'member' OR user_id = $4) \
             ORDER BY user_id LIMIT $3",
            params![chat_id, after, limit, only_staff_and.unwrap_or(0)],
        )
        .await?)
}

/// The chats `user_id` is in.
pub async fn chats_of(sql: &mut Sql<'_>, user_id: i64) -> ApiResult<Vec<i64>> {
    let rows: Vec<(i64,)> = sql
        .fetch_all("SELECT chat_id FROM members WHERE user_id = $1", params![user_id])
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// The peers of `user_id`'s direct chats in which both have written.
pub async fn direct_peers_who_wrote(sql: &mut Sql<'_>, user_id: i64) -> ApiResult<Vec<i64>> {
    let rows: Vec<(i64,)> = sql
        .fetch_all(
            "SELECT p.user_id FROM members m JOIN chats c ON c.id = m.chat_id AND c.kind = 'direct' \
             JOIN members p ON p.chat_id = m.chat_id AND p.user_id <> m.user_id WHERE m.user_id = $1 \
             AND EXISTS (SELECT 1 FROM messages w WHERE w.chat_id = m.chat_id AND w.sender_id = m.user_id) \
             AND EXISTS (SELECT 1 FROM messages w WHERE w.chat_id = m.chat_id AND w.sender_id = p.user_id)",
            params![user_id],
        )
        .await?;
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// A chat's admins and owner, who may decide on requests: id, role, allow and deny bits, and
/// the chat's kind.
pub async fn staff(sql: &mut Sql<'_>, chat_id: i64) -> ApiResult<Vec<(i64, String, i64, i64, String)>> {
    Ok(sql
        .fetch_all(
            "SELECT m.user_id, m.role, m.allow_bits, m.deny_bits, c.kind FROM members m \
             JOIN chats c ON c.id = m.chat_id WHERE m.chat_id = $1 AND m.role <> 'member' ORDER BY m.user_id",
            params![chat_id],
        )
        .await?)
}
