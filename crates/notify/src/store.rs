//! All of the notify service's SQL, the same text on SQLite and PostgreSQL. The functions
//! taking `Sql` run inside the consumer's transaction (`follow.rs`) or a read.

use std::collections::HashMap;

use hybrid_core::{ApiResult, now_ms};
use hybrid_store::{Db, Sql, params};

use crate::api::{ChatSetting, Level, Notification, NotificationKind};

pub(crate) const COLUMNS: &str = "id, kind, chat_id, seq, actor_id, chat_title, preview, created_at, read_at";

pub(crate) struct Row {
    id: i64,
    kind: String,
    chat_id: i64,
    seq: i64,
    actor_id: i64,
    chat_title: String,
    preview: String,
    created_at: i64,
    read_at: Option<i64>,
}

hybrid_store::from_row!(Row {
    id,
    kind,
    chat_id,
    seq,
    actor_id,
    chat_title,
    preview,
    created_at,
    read_at,
});

impl From<Row> for Notification {
    fn from(row: Row) -> Self {
        Notification {
            id: row.id,
            // written only from a NotificationKind
            kind: NotificationKind::parse(&row.kind).unwrap_or(NotificationKind::Mention),
            chat_id: row.chat_id,
            seq: (row.seq > 0).then_some(row.seq),
            actor_id: row.actor_id,
            chat_title: row.chat_title,
            preview: row.preview,
            created_at: row.created_at,
            read_at: row.read_at,
        }
    }
}

/// An entry to record.
pub struct NewNotification<'a> {
    pub user_id: i64,
    pub kind: NotificationKind,
    pub chat_id: i64,
    /// 0 for none.
    pub seq: i64,
    pub actor_id: i64,
    pub chat_title: &'a str,
    pub preview: &'a str,
    pub created_at: i64,
}

/// Records an entry. One for the same user, message and kind (a second reaction to the same
/// message) is replaced by it, with a new id, so it comes to the top of the list and counts
/// as unread again: the entry made and the id of the one replaced.
pub async fn record(tx: &mut Sql<'_>, new: NewNotification<'_>) -> ApiResult<(Notification, Option<i64>)> {
    let replaced: Option<(i64,)> = tx
        .fetch_optional(
            "DELETE FROM notifications WHERE user_id = $1 AND chat_id = $2 AND seq = $3 AND kind = $4 RETURNING id",
            params![new.user_id, new.chat_id, new.seq, new.kind.as_str()],
        )
        .await?;
    let sql = format!(
        "INSERT INTO notifications (user_id, kind, chat_id, seq, actor_id, chat_title, preview, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {COLUMNS}"
    );
    let row: Row = tx
        .fetch_one(
            &sql,
            params![
                new.user_id,
                new.kind.as_str(),
                new.chat_id,
                new.seq,
                new.actor_id,
                new.chat_title,
                new.preview,
                new.created_at
            ],
        )
        .await?;
    changed(tx, new.user_id).await?;
    Ok((row.into(), replaced.map(|(id,)| id)))
}

/// Marks `user_id`'s entries about `chat_id` up to message `seq` read at `now` (they read the
/// chat that far): the ids marked.
pub async fn read_chat(tx: &mut Sql<'_>, user_id: i64, chat_id: i64, seq: i64, now: i64) -> ApiResult<Vec<i64>> {
    let rows: Vec<(i64,)> = tx
        .fetch_all(
            "UPDATE notifications SET read_at = $4 WHERE user_id = $1 AND chat_id = $2 AND seq <= $3 \
             AND read_at IS NULL RETURNING id",
            params![user_id, chat_id, seq, now],
        )
        .await?;
    if !rows.is_empty() {
        changed(tx, user_id).await?;
    }
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// Entry `id` of `user_id`, if it still exists.
pub async fn get(sql: &mut Sql<'_>, user_id: i64, id: i64) -> ApiResult<Option<Notification>> {
    let found: Option<Row> = sql
        .fetch_optional(
            &format!("SELECT {COLUMNS} FROM notifications WHERE id = $1 AND user_id = $2"),
            params![id, user_id],
        )
        .await?;
    Ok(found.map(Notification::from))
}

/// Counts a change to `user_id`'s list (`sync.rs`).
pub async fn changed(tx: &mut Sql<'_>, user_id: i64) -> ApiResult<()> {
    tx.execute(
        "INSERT INTO list_versions (user_id, version) VALUES ($1, 1) \
         ON CONFLICT (user_id) DO UPDATE SET version = list_versions.version + 1",
        params![user_id],
    )
    .await?;
    Ok(())
}

/// How many times `user_id`'s list changed (0: never).
pub async fn version(sql: &mut Sql<'_>, user_id: i64) -> ApiResult<i64> {
    let found: Option<(i64,)> = sql
        .fetch_optional("SELECT version FROM list_versions WHERE user_id = $1", params![user_id])
        .await?;
    Ok(found.map_or(0, |(version,)| version))
}

/// How many of `user_id`'s entries are unread.
pub async fn unread(sql: &mut Sql<'_>, user_id: i64) -> ApiResult<i64> {
    let (count,): (i64,) = sql
        .fetch_one(
            "SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_at IS NULL",
            params![user_id],
        )
        .await?;
    Ok(count)
}

/// Deletes the entries about message (`chat_id`, `seq`): (id, user) of each.
pub async fn remove_message(tx: &mut Sql<'_>, chat_id: i64, seq: i64) -> ApiResult<Vec<(i64, i64)>> {
    let removed: Vec<(i64, i64)> = tx
        .fetch_all(
            "DELETE FROM notifications WHERE chat_id = $1 AND seq = $2 RETURNING id, user_id",
            params![chat_id, seq],
        )
        .await?;
    let mut users: Vec<i64> = removed.iter().map(|(_, user)| *user).collect();
    users.sort_unstable();
    users.dedup();
    for user_id in users {
        changed(tx, user_id).await?;
    }
    Ok(removed)
}

/// Deletes `user_id`'s entries about `chat_id`, and their setting for it (they left it): the
/// entries' ids.
pub async fn remove_chat(tx: &mut Sql<'_>, user_id: i64, chat_id: i64) -> ApiResult<Vec<i64>> {
    tx.execute(
        "DELETE FROM chat_settings WHERE user_id = $1 AND chat_id = $2",
        params![user_id, chat_id],
    )
    .await?;
    let rows: Vec<(i64,)> = tx
        .fetch_all(
            "DELETE FROM notifications WHERE user_id = $1 AND chat_id = $2 RETURNING id",
            params![user_id, chat_id],
        )
        .await?;
    if !rows.is_empty() {
        changed(tx, user_id).await?;
    }
    Ok(rows.into_iter().map(|(id,)| id).collect())
}

/// An edited message's new preview, on the entries that show its text.
pub async fn edit_preview(tx: &mut Sql<'_>, chat_id: i64, seq: i64, preview: &str) -> ApiResult<()> {
    let edited: Vec<(i64,)> = tx
        .fetch_all(
            "UPDATE notifications SET preview = $3 WHERE chat_id = $1 AND seq = $2 AND kind <> 'reaction' \
             RETURNING user_id",
            params![chat_id, seq, preview],
        )
        .await?;
    for (user_id,) in edited {
        changed(tx, user_id).await?;
    }
    Ok(())
}

/// A chat's own level (`None`: the default for its kind) and the end of its mute (0: none).
pub type Setting = (Option<Level>, i64);

/// The settings of `users` for `chat_id` that are not the default.
pub async fn settings_for(tx: &mut Sql<'_>, chat_id: i64, users: &[i64]) -> ApiResult<HashMap<i64, Setting>> {
    if users.is_empty() {
        return Ok(HashMap::new());
    }
    let sql = format!(
        "SELECT user_id, level, muted_until FROM chat_settings WHERE chat_id = $1 AND user_id IN ({})",
        hybrid_store::id_list(users.iter().copied())
    );
    let rows: Vec<(i64, String, i64)> = tx.fetch_all(&sql, params![chat_id]).await?;
    Ok(rows
        .into_iter()
        .map(|(user, level, muted_until)| (user, (Level::parse(&level), muted_until)))
        .collect())
}

fn chat_setting(chat_id: i64, (level, muted_until): Setting, now: i64) -> ChatSetting {
    ChatSetting {
        chat_id,
        level,
        muted_until: (muted_until > now).then_some(muted_until),
    }
}

pub struct Store {
    db: Db,
}

impl Store {
    pub fn new(db: Db) -> Self {
        Store { db }
    }

    /// Up to `limit` of `user_id`'s entries with ids below `before`, newest first, and the
    /// unread count.
    pub async fn page(&self, user_id: i64, before: i64, limit: i64) -> ApiResult<(Vec<Notification>, i64)> {
        let mut reads = self.db.reads();
        let sql =
            format!("SELECT {COLUMNS} FROM notifications WHERE user_id = $1 AND id < $2 ORDER BY id DESC LIMIT $3");
        let rows: Vec<Row> = reads.fetch_all(&sql, params![user_id, before, limit]).await?;
        let unread = unread(&mut reads, user_id).await?;
        Ok((rows.into_iter().map(Notification::from).collect(), unread))
    }

    /// Marks `user_id`'s entries up to `up_to` (all without it) read at `now`: the unread
    /// count after.
    pub async fn mark_read(&self, user_id: i64, up_to: Option<i64>, now: i64) -> ApiResult<i64> {
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    let read = tx
                        .execute(
                            "UPDATE notifications SET read_at = $3 WHERE user_id = $1 AND id <= $2 AND read_at IS NULL",
                            params![user_id, up_to.unwrap_or(i64::MAX), now],
                        )
                        .await?;
                    if read > 0 {
                        changed(tx, user_id).await?;
                    }
                    unread(tx, user_id).await
                })
            })
            .await
    }

    pub async fn setting(&self, user_id: i64, chat_id: i64) -> ApiResult<ChatSetting> {
        let mut reads = self.db.reads();
        let found = settings_for(&mut reads, chat_id, &[user_id]).await?;
        let setting = found.get(&user_id).copied().unwrap_or((None, 0));
        Ok(chat_setting(chat_id, setting, now_ms()))
    }

    /// `user_id`'s chats with a setting of their own (a level, or a mute not yet over).
    pub async fn settings(&self, user_id: i64) -> ApiResult<Vec<ChatSetting>> {
        let now = now_ms();
        let rows: Vec<(i64, String, i64)> = self
            .db
            .reads()
            .fetch_all(
                "SELECT chat_id, level, muted_until FROM chat_settings WHERE user_id = $1 \
                 AND (level <> 'default' OR muted_until > $2) ORDER BY chat_id",
                params![user_id, now],
            )
            .await?;
        Ok(rows
            .into_iter()
            .map(|(chat_id, level, muted_until)| chat_setting(chat_id, (Level::parse(&level), muted_until), now))
            .collect())
    }

    /// Stores a chat's setting; the default (no level of its own, not muted) is stored as no
    /// row, no level of its own as `default`.
    pub async fn set(&self, user_id: i64, setting: ChatSetting) -> ApiResult<()> {
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    let muted_until = setting.muted_until.unwrap_or(0);
                    if setting.level.is_none() && muted_until == 0 {
                        tx.execute(
                            "DELETE FROM chat_settings WHERE user_id = $1 AND chat_id = $2",
                            params![user_id, setting.chat_id],
                        )
                        .await?;
                    } else {
                        tx.execute(
                            "INSERT INTO chat_settings (user_id, chat_id, level, muted_until) VALUES ($1, $2, $3, $4) \
                             ON CONFLICT (user_id, chat_id) DO UPDATE SET level = excluded.level, \
                             muted_until = excluded.muted_until",
                            params![
                                user_id,
                                setting.chat_id,
                                setting.level.map_or("default", Level::as_str),
                                muted_until
                            ],
                        )
                        .await?;
                    }
                    Ok(())
                })
            })
            .await
    }

    /// Drops entries made before `cutoff`, and each user's beyond their newest `keep`: how
    /// many went. A list that lost entries counts as changed (its /sync part says so).
    pub async fn prune(&self, cutoff: i64, keep: i64) -> ApiResult<u64> {
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    let old = tx
                        .execute("DELETE FROM notifications WHERE created_at < $1", params![cutoff])
                        .await?;
                    let beyond: Vec<(i64,)> = tx
                        .fetch_all(
                            "DELETE FROM notifications WHERE id IN (SELECT id FROM (SELECT id, ROW_NUMBER() \
                             OVER (PARTITION BY user_id ORDER BY id DESC) AS newer FROM notifications) ranked \
                             WHERE newer > $1) RETURNING user_id",
                            params![keep],
                        )
                        .await?;
                    let users: std::collections::BTreeSet<i64> = beyond.iter().map(|(user,)| *user).collect();
                    for user_id in users {
                        changed(tx, user_id).await?;
                    }
                    Ok(old + beyond.len() as u64)
                })
            })
            .await
    }
}
