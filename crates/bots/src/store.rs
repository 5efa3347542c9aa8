//! All SQL of the bots service: bot accounts, the chats bots are in, their pending updates.

use std::collections::HashMap;
use std::sync::LazyLock;

use hybrid_core::{ApiError, ApiResult, now_ms};
use hybrid_store::{Db, Sql, params, values};

use crate::botapi::shapes::ChatMeta;

#[derive(Debug, Clone)]
pub struct BotRow {
    pub user_id: i64,
    pub owner_id: i64,
    pub username: String,
    pub token_hash: Vec<u8>,
    pub privacy: i64,
    pub commands: String,
    pub allowed_updates: Option<String>,
    pub created_at: i64,
}

const BOT_COLUMNS: &str = "user_id, owner_id, username, token_hash, privacy, commands, allowed_updates, created_at";

hybrid_store::from_row!(BotRow {
    user_id,
    owner_id,
    username,
    token_hash,
    privacy,
    commands,
    allowed_updates,
    created_at,
});

/// A chat a bot is in, with the bot's privacy (for the consumer of chats' events).
#[derive(Debug, Clone)]
pub struct BotInChat {
    pub bot_id: i64,
    pub chat_id: i64,
    pub kind: String,
    pub title: String,
    pub peer_id: Option<i64>,
    pub privacy: i64,
    pub username: String,
    pub allowed_updates: Option<String>,
    /// The bot's role there: owner, admin or member.
    pub role: String,
}

hybrid_store::from_row!(BotInChat {
    bot_id,
    chat_id,
    kind,
    title,
    peer_id,
    privacy,
    username,
    allowed_updates,
    role,
});

/// An update waiting for its bot.
#[derive(Debug, Clone)]
pub struct UpdateRow {
    pub update_id: i64,
    pub kind: String,
    pub payload: String,
}

hybrid_store::from_row!(UpdateRow {
    update_id,
    kind,
    payload
});

#[derive(Clone)]
pub struct Store {
    pub db: Db,
}

static BY_ID: LazyLock<String> = LazyLock::new(|| format!("SELECT {BOT_COLUMNS} FROM bots WHERE user_id = $1"));

impl Store {
    pub async fn insert(&self, bot: BotRow) -> ApiResult<()> {
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    tx.execute(
                        "INSERT INTO bots (user_id, owner_id, username, token_hash, privacy, commands, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7)",
                        params![
                            bot.user_id,
                            bot.owner_id,
                            bot.username,
                            bot.token_hash,
                            bot.privacy,
                            bot.commands,
                            bot.created_at
                        ],
                    )
                    .await?;
                    Ok::<_, ApiError>(())
                })
            })
            .await
    }

    pub async fn get(&self, bot_id: i64) -> ApiResult<Option<BotRow>> {
        Ok(self.db.reads().fetch_optional(&BY_ID, params![bot_id]).await?)
    }

    pub async fn count_owned(&self, owner_id: i64) -> ApiResult<i64> {
        let (count,): (i64,) = self
            .db
            .reads()
            .fetch_one("SELECT COUNT(*) FROM bots WHERE owner_id = $1", params![owner_id])
            .await?;
        Ok(count)
    }

    /// `owner_id`'s bots by id, after `after`.
    pub async fn owned(&self, owner_id: i64, after: i64, limit: i64) -> ApiResult<Vec<BotRow>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!("SELECT {BOT_COLUMNS} FROM bots WHERE owner_id = $1 AND user_id > $2 ORDER BY user_id LIMIT $3")
        });
        Ok(self.db.reads().fetch_all(&SQL, params![owner_id, after, limit]).await?)
    }

    /// Sets what is `Some`; the bot row after the change.
    pub async fn update(&self, bot_id: i64, change: BotChange) -> ApiResult<Option<BotRow>> {
        static SQL: LazyLock<String> = LazyLock::new(|| {
            format!(
                "UPDATE bots SET token_hash = COALESCE($2, token_hash), privacy = COALESCE($3, privacy), \
                 commands = COALESCE($4, commands), \
                 allowed_updates = CASE WHEN $5 IS NULL THEN allowed_updates ELSE $5 END \
                 WHERE user_id = $1 RETURNING {BOT_COLUMNS}"
            )
        });
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    let row: Option<BotRow> = tx
                        .fetch_optional(
                            &SQL,
                            params![
                                bot_id,
                                change.token_hash,
                                change.privacy,
                                change.commands,
                                change.allowed_updates
                            ],
                        )
                        .await?;
                    Ok::<_, ApiError>(row)
                })
            })
            .await
    }

    /// Removes a bot with its chats and updates.
    pub async fn delete(&self, bot_id: i64) -> ApiResult<()> {
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    for sql in [
                        "DELETE FROM updates WHERE bot_id = $1",
                        "DELETE FROM bot_chats WHERE bot_id = $1",
                        "DELETE FROM bots WHERE user_id = $1",
                    ] {
                        tx.execute(sql, params![bot_id]).await?;
                    }
                    Ok::<_, ApiError>(())
                })
            })
            .await
    }

    /// The private chat between a bot and a person, if the bot has learned of it.
    pub async fn direct_with(&self, bot_id: i64, user_id: i64) -> ApiResult<Option<ChatMeta>> {
        let row: Option<(i64, String, String, Option<i64>)> = self
            .db
            .reads()
            .fetch_optional(
                "SELECT chat_id, kind, title, peer_id FROM bot_chats WHERE bot_id = $1 AND peer_id = $2 AND kind = 'direct'",
                params![bot_id, user_id],
            )
            .await?;
        Ok(row.map(meta))
    }

    /// A chat of the bot's, if it has learned of it.
    pub async fn chat_of(&self, bot_id: i64, chat_id: i64) -> ApiResult<Option<ChatMeta>> {
        let row: Option<(i64, String, String, Option<i64>)> = self
            .db
            .reads()
            .fetch_optional(
                "SELECT chat_id, kind, title, peer_id FROM bot_chats WHERE bot_id = $1 AND chat_id = $2",
                params![bot_id, chat_id],
            )
            .await?;
        Ok(row.map(meta))
    }

    /// Updates after `after` (the first `limit`), oldest first.
    pub async fn updates_after(&self, bot_id: i64, after: i64, limit: i64) -> ApiResult<Vec<UpdateRow>> {
        Ok(self
            .db
            .reads()
            .fetch_all(
                "SELECT update_id, kind, payload FROM updates WHERE bot_id = $1 AND update_id > $2 \
                 ORDER BY update_id LIMIT $3",
                params![bot_id, after, limit],
            )
            .await?)
    }

    /// The id of the `n`th newest update (for a negative offset), if there are that many.
    pub async fn nth_newest(&self, bot_id: i64, n: i64) -> ApiResult<Option<i64>> {
        let row: Option<(i64,)> = self
            .db
            .reads()
            .fetch_optional(
                "SELECT update_id FROM updates WHERE bot_id = $1 ORDER BY update_id DESC LIMIT 1 OFFSET $2",
                params![bot_id, n - 1],
            )
            .await?;
        Ok(row.map(|(id,)| id))
    }

    /// Forgets the updates below `update_id`: the bot has them.
    pub async fn confirm_below(&self, bot_id: i64, update_id: i64) -> ApiResult<()> {
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    tx.execute(
                        "DELETE FROM updates WHERE bot_id = $1 AND update_id < $2",
                        params![bot_id, update_id],
                    )
                    .await?;
                    Ok::<_, ApiError>(())
                })
            })
            .await
    }

    /// Where the bot's updates are POSTed; empty when no webhook is set.
    /// Makes `code` the bot's primary invite link of a chat: the one it replaces, if any.
    pub async fn swap_primary_invite(&self, bot_id: i64, chat_id: i64, code: &str) -> ApiResult<Option<String>> {
        let code = code.to_owned();
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    let old: Option<(Option<String>,)> = tx
                        .fetch_optional(
                            "SELECT primary_invite FROM bot_chats WHERE bot_id = $1 AND chat_id = $2",
                            params![bot_id, chat_id],
                        )
                        .await?;
                    tx.execute(
                        "UPDATE bot_chats SET primary_invite = $3 WHERE bot_id = $1 AND chat_id = $2",
                        params![bot_id, chat_id, code],
                    )
                    .await?;
                    Ok(old.and_then(|(code,)| code))
                })
            })
            .await
    }

    /// Records that a bot sent message (`chat_id`, `seq`)'s file as `kind`.
    pub async fn record_sent(&self, chat_id: i64, seq: i64, kind: &str) -> ApiResult<()> {
        self.db
            .execute(
                "INSERT INTO sent_files (chat_id, seq, kind) VALUES ($1, $2, $3) \
                 ON CONFLICT (chat_id, seq) DO UPDATE SET kind = excluded.kind",
                values![chat_id, seq, kind],
            )
            .await?;
        Ok(())
    }

    /// How a bot sent message (`chat_id`, `seq`)'s file, if a bot did.
    pub async fn sent_as(&self, chat_id: i64, seq: i64) -> ApiResult<Option<String>> {
        let mut kinds = follow::sent_as(&mut self.db.reads(), &[(chat_id, seq)]).await?;
        Ok(kinds.remove(&(chat_id, seq)))
    }

    pub async fn webhook_url(&self, bot_id: i64) -> ApiResult<String> {
        let row: Option<(String,)> = self
            .db
            .reads()
            .fetch_optional("SELECT webhook_url FROM bots WHERE user_id = $1", params![bot_id])
            .await?;
        Ok(row.map(|(url,)| url).unwrap_or_default())
    }

    pub async fn pending(&self, bot_id: i64) -> ApiResult<i64> {
        let (count,): (i64,) = self
            .db
            .reads()
            .fetch_one("SELECT COUNT(*) FROM updates WHERE bot_id = $1", params![bot_id])
            .await?;
        Ok(count)
    }

    /// Drops updates older than `cutoff` nobody fetched.
    pub async fn prune(&self, cutoff: i64) -> ApiResult<u64> {
        self.db
            .write(move |tx| {
                Box::pin(async move {
                    Ok::<_, ApiError>(
                        tx.execute("DELETE FROM updates WHERE created_at < $1", params![cutoff])
                            .await?,
                    )
                })
            })
            .await
    }
}

fn meta((chat_id, kind, title, peer_id): (i64, String, String, Option<i64>)) -> ChatMeta {
    ChatMeta {
        chat_id,
        kind,
        title,
        peer_id,
    }
}

/// A change to a bot: what is `Some` is set.
#[derive(Debug, Default)]
pub struct BotChange {
    pub token_hash: Option<Vec<u8>>,
    pub privacy: Option<i64>,
    pub commands: Option<String>,
    pub allowed_updates: Option<String>,
}

/// Statements of the consumer of chats' events, inside its transaction.
pub mod follow {
    use super::*;

    /// A bot's privacy, username and allowed_updates; `None` for a user who is no bot.
    pub async fn settings(tx: &mut Sql<'_>, user_id: i64) -> ApiResult<Option<(i64, String, Option<String>)>> {
        Ok(tx
            .fetch_optional(
                "SELECT privacy, username, allowed_updates FROM bots WHERE user_id = $1",
                params![user_id],
            )
            .await?)
    }

    pub async fn join(
        tx: &mut Sql<'_>,
        bot_id: i64,
        chat_id: i64,
        kind: &str,
        title: &str,
        peer_id: Option<i64>,
    ) -> ApiResult<()> {
        tx.execute(
            "INSERT INTO bot_chats (bot_id, chat_id, kind, title, peer_id) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (bot_id, chat_id) DO UPDATE SET kind = $3, title = $4, peer_id = $5",
            params![bot_id, chat_id, kind, title, peer_id],
        )
        .await?;
        Ok(())
    }

    /// Forgets that a bot is in a chat: the chat as it was, when it was.
    pub async fn leave(tx: &mut Sql<'_>, bot_id: i64, chat_id: i64) -> ApiResult<Option<BotInChat>> {
        let was = in_chat(tx, bot_id, chat_id).await?;
        tx.execute(
            "DELETE FROM bot_chats WHERE bot_id = $1 AND chat_id = $2",
            params![bot_id, chat_id],
        )
        .await?;
        Ok(was)
    }

    /// A chat a bot is in.
    pub async fn in_chat(tx: &mut Sql<'_>, bot_id: i64, chat_id: i64) -> ApiResult<Option<BotInChat>> {
        let sql = format!("{BOTS_IN_CHATS} WHERE c.bot_id = $1 AND c.chat_id = $2");
        Ok(tx.fetch_optional(&sql, params![bot_id, chat_id]).await?)
    }

    /// Records a bot's new role in a chat.
    pub async fn set_role(tx: &mut Sql<'_>, bot_id: i64, chat_id: i64, role: &str) -> ApiResult<()> {
        tx.execute(
            "UPDATE bot_chats SET role = $3 WHERE bot_id = $1 AND chat_id = $2",
            params![bot_id, chat_id, role],
        )
        .await?;
        Ok(())
    }

    pub async fn retitle(tx: &mut Sql<'_>, chat_id: i64, title: &str) -> ApiResult<()> {
        tx.execute(
            "UPDATE bot_chats SET title = $2 WHERE chat_id = $1",
            params![chat_id, title],
        )
        .await?;
        Ok(())
    }

    /// The bots in any of `chat_ids`, in one query.
    pub async fn bots_in(tx: &mut Sql<'_>, chat_ids: &[i64]) -> ApiResult<Vec<BotInChat>> {
        if chat_ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = hybrid_store::id_list(chat_ids.iter().copied());
        let sql = format!("{BOTS_IN_CHATS} WHERE c.chat_id IN ({list})");
        Ok(tx.fetch_all(&sql, params![]).await?)
    }

    /// The columns of a [`BotInChat`], for a `WHERE` to follow.
    const BOTS_IN_CHATS: &str = "SELECT c.bot_id, c.chat_id, c.kind, c.title, c.peer_id, b.privacy, b.username, \
        b.allowed_updates, c.role FROM bot_chats c JOIN bots b ON b.user_id = c.bot_id";

    /// Queues an update for a bot; its update_id is the bot's next. With a webhook set, its
    /// delivery is queued too, and the answer is `true`: wake the jobs once committed.
    pub async fn push(
        tx: &mut Sql<'_>,
        bot_id: i64,
        kind: &str,
        chat_id: i64,
        seq: i64,
        payload: &str,
    ) -> ApiResult<bool> {
        let (update_id, url): (i64, String) = tx
            .fetch_one(
                "UPDATE bots SET last_update_id = last_update_id + 1 WHERE user_id = $1 \
                 RETURNING last_update_id, webhook_url",
                params![bot_id],
            )
            .await?;
        tx.execute(
            "INSERT INTO updates (bot_id, update_id, kind, chat_id, seq, payload, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            params![bot_id, update_id, kind, chat_id, seq, payload, now_ms()],
        )
        .await?;
        if !url.is_empty() {
            crate::webhook::enqueue(tx, bot_id, &url, update_id, kind, payload).await?;
        }
        Ok(!url.is_empty())
    }

    /// Drops the updates about a deleted message.
    pub async fn forget_message(tx: &mut Sql<'_>, chat_id: i64, seq: i64) -> ApiResult<()> {
        for table in ["updates", "sent_files"] {
            tx.execute(
                &format!("DELETE FROM {table} WHERE chat_id = $1 AND seq = $2"),
                params![chat_id, seq],
            )
            .await?;
        }
        Ok(())
    }

    /// How bots sent the files of these messages (those a bot sent).
    pub async fn sent_as(tx: &mut Sql<'_>, messages: &[(i64, i64)]) -> ApiResult<HashMap<(i64, i64), String>> {
        let mut kinds = HashMap::new();
        for &(chat_id, seq) in messages {
            let row: Option<(String,)> = tx
                .fetch_optional(
                    "SELECT kind FROM sent_files WHERE chat_id = $1 AND seq = $2",
                    params![chat_id, seq],
                )
                .await?;
            if let Some((kind,)) = row {
                kinds.insert((chat_id, seq), kind);
            }
        }
        Ok(kinds)
    }
}
