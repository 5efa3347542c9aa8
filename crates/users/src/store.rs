//! The users tables. All SQL of this module lives here.

use std::sync::LazyLock;

use hybrid_core::text::validate_username;
use hybrid_core::{ApiError, ApiResult, now_ms};
use hybrid_store::{Db, params};
use hybrid_users_api::UsersCode;

use crate::events;

#[derive(Debug, Clone)]
pub struct UserRow {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub bio: String,
    pub created_at: i64,
    /// JSON of an [`Avatar`](hybrid_chats_api::avatar::Avatar).
    pub avatar: Option<String>,
    /// The pts of the profile's latest event.
    pub version: i64,
    /// 1 for a bot account.
    pub is_bot: i64,
}

const USER_COLUMNS: &str = "id, username, display_name, bio, created_at, avatar, version, is_bot";

hybrid_store::from_row!(UserRow {
    id,
    username,
    display_name,
    bio,
    created_at,
    avatar,
    version,
    is_bot,
});

/// A profile change: what is `Some` is set (an empty `avatar` removes the picture).
#[derive(Debug, Default)]
pub struct ProfileChange {
    pub display_name: Option<String>,
    pub bio: Option<String>,
    pub avatar: Option<String>,
}

#[derive(Clone)]
pub struct Store {
    db: Db,
}

/// The smallest string greater than every string starting with `prefix` (`prefix` non-empty
/// ASCII), for index range scans that behave the same in SQLite and PostgreSQL ("C" collation).
fn prefix_end(prefix: &str) -> String {
    let mut end = prefix.to_owned();
    let last = end
        .pop()
        .map(|c| (c as u8).saturating_add(1) as char)
        .unwrap_or('\u{7f}');
    end.push(last);
    end
}

impl Store {
    pub fn new(db: Db) -> Self {
        Store { db }
    }

    /// A person (`display_name` empty) or a bot.
    pub async fn create(&self, username: String, display_name: String, is_bot: bool) -> ApiResult<UserRow> {
        validate_username(&username)?;
        let now = now_ms();
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "INSERT INTO users (username, display_name, bio, created_at, updated_at, is_bot) \
                 VALUES ($1, $2, '', $3, $3, $4) RETURNING {USER_COLUMNS}"
            )
        });
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    let row: UserRow = tx
                        .fetch_one(&SQL, params![username, display_name, now, i64::from(is_bot)])
                        .await
                        .map_err(|err| match err {
                            e if e.is_unique_violation() => {
                                ApiError::new(UsersCode::UsernameTaken, "this username is taken").with_field("username")
                            }
                            e => e.into(),
                        })?;
                    Ok(row)
                })
            })
            .await
    }

    pub async fn delete(&self, id: i64) -> ApiResult<()> {
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    tx.execute("DELETE FROM blocks WHERE user_id = $1 OR blocked_id = $1", params![id])
                        .await?;
                    tx.execute("DELETE FROM users WHERE id = $1", params![id]).await?;
                    Ok::<_, ApiError>(())
                })
            })
            .await
    }

    pub async fn get(&self, id: i64) -> ApiResult<Option<UserRow>> {
        static SQL: LazyLock<String> = LazyLock::new(|| select_users("WHERE id = $1"));
        Ok(self.db.reads().fetch_optional(&SQL, params![id]).await?)
    }

    /// The users among `ids` that exist.
    pub async fn many(&self, ids: &[i64]) -> ApiResult<Vec<UserRow>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = select_users(&format!("WHERE id IN ({})", hybrid_store::id_list(ids.iter().copied())));
        Ok(self.db.reads().fetch_all(&sql, params![]).await?)
    }

    pub async fn by_username(&self, folded: &str) -> ApiResult<Option<UserRow>> {
        static SQL: LazyLock<String> = LazyLock::new(|| select_users("WHERE username = $1"));
        Ok(self.db.reads().fetch_optional(&SQL, params![folded]).await?)
    }

    /// Users whose name starts with `prefix`, in name order, after `after` (exclusive).
    pub async fn search_prefix(&self, prefix: &str, after: Option<&str>, limit: i64) -> ApiResult<Vec<UserRow>> {
        let from = match after {
            Some(after) if after >= prefix => after.to_owned(),
            _ => prefix.to_owned(),
        };
        let sql = select_users("WHERE username >= $1 AND username < $2 AND username <> $3 ORDER BY username LIMIT $4");
        Ok(self
            .db
            .reads()
            .fetch_all(&sql, params![&from, prefix_end(prefix), after.unwrap_or(""), limit])
            .await?)
    }

    /// Applies `change` and logs it as a profile event, in one transaction.
    pub async fn update_profile(&self, id: i64, change: ProfileChange) -> ApiResult<UserRow> {
        let now = now_ms();
        let trace = hybrid_core::trace_context::current();
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    static SQL: LazyLock<String> = LazyLock::new(|| {
                        format!(
                            "UPDATE users SET display_name = COALESCE($2, display_name), \
                             bio = COALESCE($3, bio), \
                             avatar = CASE WHEN $4 IS NULL THEN avatar WHEN $4 = '' THEN NULL ELSE $4 END, \
                             version = version + 1, updated_at = $5 WHERE id = $1 RETURNING {USER_COLUMNS}"
                        )
                    });
                    let row: Option<UserRow> = tx
                        .fetch_optional(&SQL, params![id, change.display_name, change.bio, change.avatar, now])
                        .await?;
                    let row = row.ok_or_else(|| ApiError::not_found("user"))?;
                    events::profile_changed(tx, row.clone().into(), row.version, trace.as_deref()).await?;
                    Ok(row)
                })
            })
            .await
    }

    /// Drops profile events and stream rows older than `cutoff`.
    pub async fn prune_events(&self, cutoff: i64) -> ApiResult<u64> {
        self.db
            .write(move |tx| Box::pin(async move { events::prune(tx, cutoff).await }))
            .await
    }

    pub async fn block(&self, user_id: i64, blocked_id: i64) -> ApiResult<()> {
        let now = now_ms();
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    let sql = "INSERT INTO blocks (user_id, blocked_id, created_at) VALUES ($1, $2, $3) \
                               ON CONFLICT (user_id, blocked_id) DO NOTHING";
                    tx.execute(sql, params![user_id, blocked_id, now]).await?;
                    Ok::<_, ApiError>(())
                })
            })
            .await
    }

    pub async fn unblock(&self, user_id: i64, blocked_id: i64) -> ApiResult<()> {
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    let sql = "DELETE FROM blocks WHERE user_id = $1 AND blocked_id = $2";
                    tx.execute(sql, params![user_id, blocked_id]).await?;
                    Ok::<_, ApiError>(())
                })
            })
            .await
    }

    pub async fn is_blocked(&self, blocker: i64, target: i64) -> ApiResult<bool> {
        let found: Option<(i64,)> = self
            .db
            .reads()
            .fetch_optional(
                "SELECT 1 FROM blocks WHERE user_id = $1 AND blocked_id = $2",
                params![blocker, target],
            )
            .await?;
        Ok(found.is_some())
    }

    /// Those of `others` that block `user` or that `user` blocks.
    pub async fn blocks_between(&self, user: i64, others: &[i64]) -> ApiResult<Vec<i64>> {
        if others.is_empty() {
            return Ok(Vec::new());
        }
        let list = hybrid_store::id_list(others.iter().copied());
        let sql = format!(
            "SELECT blocked_id FROM blocks WHERE user_id = $1 AND blocked_id IN ({list}) \
             UNION SELECT user_id FROM blocks WHERE blocked_id = $1 AND user_id IN ({list})"
        );
        let rows: Vec<(i64,)> = self.db.reads().fetch_all(&sql, params![user]).await?;
        Ok(rows.into_iter().map(|r| r.0).collect())
    }

    pub async fn add_policy(&self, user_id: i64) -> ApiResult<i64> {
        let found: Option<(i64,)> = self
            .db
            .reads()
            .fetch_optional("SELECT add_policy FROM users WHERE id = $1", params![user_id])
            .await?;
        found.map(|r| r.0).ok_or_else(|| ApiError::not_found("user"))
    }

    pub async fn set_add_policy(&self, user_id: i64, policy: i64) -> ApiResult<()> {
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    tx.execute(
                        "UPDATE users SET add_policy = $2 WHERE id = $1",
                        params![user_id, policy],
                    )
                    .await?;
                    Ok(())
                })
            })
            .await
    }

    /// Those of `ids` whose add policy is not "everyone", with it.
    pub async fn add_policies(&self, ids: &[i64]) -> ApiResult<Vec<(i64, i64)>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = hybrid_store::id_list(ids.iter().copied());
        let sql = format!("SELECT id, add_policy FROM users WHERE id IN ({list}) AND add_policy <> 0");
        Ok(self.db.reads().fetch_all(&sql, params![]).await?)
    }

    /// Users `user_id` blocks, most recent first.
    pub async fn blocked_by(&self, user_id: i64) -> ApiResult<Vec<UserRow>> {
        Ok(self
            .db
            .reads()
            .fetch_all(
                "SELECT u.id, u.username, u.display_name, u.bio, u.created_at, u.avatar, u.version, u.is_bot \
             FROM blocks b JOIN users u ON u.id = b.blocked_id \
             WHERE b.user_id = $1 ORDER BY b.created_at DESC, u.id DESC",
                params![user_id],
            )
            .await?)
    }
}

fn select_users(condition: &str) -> String {
    format!("SELECT {USER_COLUMNS} FROM users {condition}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefix_ranges() {
        assert_eq!(prefix_end("ab"), "ac");
        assert_eq!(prefix_end("a_"), "a`");
        assert!("az_9" < prefix_end("az").as_str());
    }
}
