//! The `invite_links` table. A link is usable while it is not revoked, not expired and not
//! used up; each rule is spelled once, in [`USABLE`].

use hybrid_core::{ApiResult, now_ms};
use hybrid_store::{Sql, params};

use crate::api::InviteRow;

/// The columns of an [`InviteRow`].
const INVITE_COLUMNS: &str =
    "code, chat_id, created_by, created_at, expires_at, usage_limit, uses, revoked_at, name, needs_approval";

/// A link `l` that admits someone at time `$2`.
const USABLE: &str = "l.revoked_at IS NULL AND (l.expires_at IS NULL OR l.expires_at > $2) \
    AND (l.usage_limit IS NULL OR l.uses < l.usage_limit)";

/// How many of a chat's links are not revoked and not expired.
pub async fn working(sql: &mut Sql<'_>, chat_id: i64) -> ApiResult<i64> {
    let (count,): (i64,) = sql
        .fetch_one(
            "SELECT COUNT(*) FROM invite_links WHERE chat_id = $1 AND revoked_at IS NULL \
             AND (expires_at IS NULL OR expires_at > $2)",
            params![chat_id, now_ms()],
        )
        .await?;
    Ok(count)
}

/// What a link admits, as its creator set it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InviteTerms {
    pub expires_at: Option<i64>,
    pub usage_limit: Option<i64>,
    pub name: String,
    pub needs_approval: bool,
}

pub async fn insert(sql: &mut Sql<'_>, code: &str, chat_id: i64, by: i64, terms: InviteTerms) -> ApiResult<InviteRow> {
    let query = format!(
        "INSERT INTO invite_links (code, chat_id, created_by, created_at, expires_at, usage_limit, name, \
         needs_approval) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {INVITE_COLUMNS}"
    );
    let InviteTerms {
        expires_at,
        usage_limit,
        name,
        needs_approval,
    } = terms;
    Ok(sql
        .fetch_one(
            &query,
            params![
                code,
                chat_id,
                by,
                now_ms(),
                expires_at,
                usage_limit,
                name,
                needs_approval
            ],
        )
        .await?)
}

/// Replaces the terms of a chat's link `code`, unless it is revoked: the link after.
pub async fn set_terms(
    sql: &mut Sql<'_>,
    chat_id: i64,
    code: &str,
    terms: InviteTerms,
) -> ApiResult<Option<InviteRow>> {
    let query = format!(
        "UPDATE invite_links SET expires_at = $3, usage_limit = $4, name = $5, needs_approval = $6 \
         WHERE code = $1 AND chat_id = $2 AND revoked_at IS NULL RETURNING {INVITE_COLUMNS}"
    );
    let InviteTerms {
        expires_at,
        usage_limit,
        name,
        needs_approval,
    } = terms;
    Ok(sql
        .fetch_optional(
            &query,
            params![code, chat_id, expires_at, usage_limit, name, needs_approval],
        )
        .await?)
}

/// A chat's link `code`, revoked or not.
pub async fn get(sql: &mut Sql<'_>, chat_id: i64, code: &str) -> ApiResult<Option<InviteRow>> {
    let query = format!("SELECT {INVITE_COLUMNS} FROM invite_links WHERE code = $1 AND chat_id = $2");
    Ok(sql.fetch_optional(&query, params![code, chat_id]).await?)
}

/// Up to `limit` of a chat's links, newest first, before `(created_at, code)`.
pub async fn page(sql: &mut Sql<'_>, chat_id: i64, before: (i64, &str), limit: i64) -> ApiResult<Vec<InviteRow>> {
    let query = format!(
        "SELECT {INVITE_COLUMNS} FROM invite_links WHERE chat_id = $1 \
         AND (created_at < $2 OR (created_at = $2 AND ($3 = '' OR code < $3))) \
         ORDER BY created_at DESC, code DESC LIMIT $4"
    );
    Ok(sql
        .fetch_all(&query, params![chat_id, before.0, before.1, limit])
        .await?)
}

/// Who made a chat's link `code`, if it has one.
pub async fn creator(sql: &mut Sql<'_>, chat_id: i64, code: &str) -> ApiResult<Option<i64>> {
    let row: Option<(i64,)> = sql
        .fetch_optional(
            "SELECT created_by FROM invite_links WHERE code = $1 AND chat_id = $2",
            params![code, chat_id],
        )
        .await?;
    Ok(row.map(|(id,)| id))
}

/// Revokes link `code` (revoking it again changes nothing).
pub async fn revoke(sql: &mut Sql<'_>, code: &str) -> ApiResult<()> {
    sql.execute(
        "UPDATE invite_links SET revoked_at = $2 WHERE code = $1 AND revoked_at IS NULL",
        params![code, now_ms()],
    )
    .await?;
    Ok(())
}

/// Revokes the links `user_id` made in a chat.
pub async fn revoke_made_by(sql: &mut Sql<'_>, chat_id: i64, user_id: i64) -> ApiResult<()> {
    sql.execute(
        "UPDATE invite_links SET revoked_at = $3 WHERE chat_id = $1 AND created_by = $2 AND revoked_at IS NULL",
        params![chat_id, user_id, now_ms()],
    )
    .await?;
    Ok(())
}

/// The chat a usable link admits to: id, kind, title, description, member count, and whether
/// the link needs approval.
pub type InviteChatRow = (i64, String, String, String, i64, bool);

/// The chat link `code` admits to, if it is usable.
pub async fn usable(sql: &mut Sql<'_>, code: &str) -> ApiResult<Option<InviteChatRow>> {
    let query = format!(
        "SELECT c.id, c.kind, c.title, c.description, c.member_count, l.needs_approval FROM invite_links l \
         JOIN chats c ON c.id = l.chat_id WHERE l.code = $1 AND {USABLE}"
    );
    Ok(sql.fetch_optional(&query, params![code, now_ms()]).await?)
}

/// Uses link `code` once if it is usable: its chat and creator.
pub async fn use_once(sql: &mut Sql<'_>, code: &str) -> ApiResult<Option<(i64, i64)>> {
    let query = format!(
        "UPDATE invite_links AS l SET uses = uses + 1 WHERE l.code = $1 AND {USABLE} RETURNING chat_id, created_by"
    );
    Ok(sql.fetch_optional(&query, params![code, now_ms()]).await?)
}
