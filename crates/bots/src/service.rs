//! Bot accounts: made, renamed, given a new token and deleted by their owners. A bot is a user
//! of the users service (`is_bot`) with a row here: its owner, its token's hash, its settings.

use std::sync::Arc;

use hybrid_chats_api::{Action, ChatActions};
use hybrid_core::bus::Bus;
use hybrid_core::state::SharedState;
use hybrid_core::text::{fold, validate_username};
use hybrid_core::{ApiError, ApiResult, Page, now_ms};
use hybrid_users_api::UserDirectory;

use crate::api::{Bot, BotUpdate, BotsCode, NewBot};
use crate::settings::BotsConfig;
use crate::store::{BotChange, BotRow, Store};
use crate::token;

pub struct Bots {
    pub store: Store,
    pub directory: Arc<dyn UserDirectory>,
    pub chats: Arc<dyn ChatActions>,
    pub bus: Arc<dyn Bus>,
    pub state: Arc<dyn SharedState>,
    pub config: BotsConfig,
    /// Webhook deliveries run as its jobs.
    pub jobs: hybrid_core::jobs::Jobs,
    /// Seals bots' webhook secret tokens.
    pub secrets: Arc<hybrid_core::Secrets>,
    /// Bots' files (uploads, downloads).
    pub files: Arc<dyn hybrid_files_api::FileStore>,
    /// Sign file ids: the current key, then retired ones.
    pub file_keys: Vec<[u8; 32]>,
    /// Fetches files bots send by URL, when `bots.fetch_urls` allows it.
    pub fetcher: Option<hybrid_outbound::Outbound>,
}

/// Telegram's rule: a bot's username ends in "bot" and is 5 to 32 characters.
fn check_bot_username(folded: &str) -> ApiResult<()> {
    validate_username(folded)?;
    if folded.len() < 5 || !folded.ends_with("bot") {
        return Err(ApiError::validation(
            "username",
            "a bot's username is 5 to 32 characters and ends in \"bot\"",
        ));
    }
    Ok(())
}

impl Bots {
    /// Signs and reads file ids for bot `bot_id`.
    pub fn file_ids(&self, bot_id: i64) -> crate::botapi::file_ids::FileIds<'_> {
        crate::botapi::file_ids::FileIds {
            keys: &self.file_keys,
            bot_id,
        }
    }

    /// Where invite link `code` opens in the web client.
    pub fn invite_url(&self, code: &str) -> String {
        crate::botapi::shapes::invite_url(&self.config.web_url, code)
    }

    pub async fn create(&self, owner: i64, new: NewBot) -> ApiResult<Bot> {
        let username = fold(&new.username);
        check_bot_username(&username)?;
        if self.store.count_owned(owner).await? >= self.config.max_bots_per_owner {
            return Err(ApiError::new(
                BotsCode::TooManyBots,
                format!("you own {} bots, as many as one may", self.config.max_bots_per_owner),
            ));
        }
        let user = self.directory.create_bot(username, new.name).await?;
        let (token, token_hash) = token::issue(user.id);
        let row = BotRow {
            user_id: user.id,
            owner_id: owner,
            username: user.username,
            token_hash,
            privacy: 1,
            commands: "{}".into(),
            allowed_updates: None,
            created_at: now_ms(),
        };
        if let Err(err) = self.store.insert(row.clone()).await {
            // the account without its row would be a bot nobody owns
            let _ = self.directory.delete(user.id).await;
            return Err(err);
        }
        let mut bot = self.bot(row).await?;
        bot.token = Some(token);
        Ok(bot)
    }

    pub async fn list(&self, owner: i64, after: i64, limit: i64) -> ApiResult<Page<Bot>> {
        let rows = self.store.owned(owner, after, limit + 1).await?;
        let names = self.names(rows.iter().map(|row| row.user_id).collect()).await?;
        let bots = rows
            .into_iter()
            .map(|row| {
                let name = names.iter().find(|(id, _)| *id == row.user_id).map(|(_, n)| n.clone());
                bot_of(row, name.unwrap_or_default())
            })
            .collect();
        Ok(Page::from_rows(bots, limit, |bot: &Bot| bot.id.to_string()))
    }

    /// One of `owner`'s bots; 404 for anyone else's.
    pub async fn owned(&self, owner: i64, bot_id: i64) -> ApiResult<BotRow> {
        match self.store.get(bot_id).await? {
            Some(row) if row.owner_id == owner => Ok(row),
            _ => Err(ApiError::not_found("bot")),
        }
    }

    pub async fn get(&self, owner: i64, bot_id: i64) -> ApiResult<Bot> {
        let row = self.owned(owner, bot_id).await?;
        self.bot(row).await
    }

    pub async fn update(&self, owner: i64, bot_id: i64, update: BotUpdate) -> ApiResult<Bot> {
        let row = self.owned(owner, bot_id).await?;
        if let Some(name) = update.name {
            self.directory.rename_bot(bot_id, name).await?;
        }
        let row = match update.privacy {
            Some(privacy) => {
                self.change(
                    bot_id,
                    BotChange {
                        privacy: Some(i64::from(privacy)),
                        ..Default::default()
                    },
                )
                .await?
            }
            None => row,
        };
        self.bot(row).await
    }

    /// A new token; the old one stops working at once.
    pub async fn new_token(&self, owner: i64, bot_id: i64) -> ApiResult<Bot> {
        self.owned(owner, bot_id).await?;
        let (token, token_hash) = token::issue(bot_id);
        let row = self
            .change(
                bot_id,
                BotChange {
                    token_hash: Some(token_hash),
                    ..Default::default()
                },
            )
            .await?;
        let mut bot = self.bot(row).await?;
        bot.token = Some(token);
        Ok(bot)
    }

    /// Deletes a bot: its token stops working, it leaves its groups and channels, its pending
    /// updates go, and its account is removed (its messages stay, as a deleted account's).
    pub async fn delete(&self, owner: i64, bot_id: i64) -> ApiResult<()> {
        self.owned(owner, bot_id).await?;
        let chats: Vec<(i64, String)> = self
            .store
            .db
            .reads()
            .fetch_all(
                "SELECT chat_id, kind FROM bot_chats WHERE bot_id = $1",
                hybrid_store::params![bot_id],
            )
            .await?;
        self.store.delete(bot_id).await?;
        for (chat_id, _) in chats.into_iter().filter(|(_, kind)| kind != "direct") {
            if let Err(err) = self.chats.act(bot_id, Action::Leave { chat_id }).await {
                tracing::warn!(bot_id, chat_id, error = %err.message, "a deleted bot could not leave a chat");
            }
        }
        self.directory.delete(bot_id).await
    }

    /// A bot's default command list in `language` (else the one for no language), for the
    /// people who talk with it; 404 for a user who is no bot.
    pub async fn menu(&self, bot_id: i64, language: &str) -> ApiResult<Vec<crate::api::BotCommand>> {
        let bot = self
            .store
            .get(bot_id)
            .await?
            .ok_or_else(|| ApiError::not_found("bot"))?;
        let lists: serde_json::Map<String, serde_json::Value> = serde_json::from_str(&bot.commands).unwrap_or_default();
        let list = lists
            .get(&format!("default|{language}"))
            .or_else(|| lists.get("default|"))
            .cloned()
            .unwrap_or_default();
        Ok(serde_json::from_value(list).unwrap_or_default())
    }

    async fn change(&self, bot_id: i64, change: BotChange) -> ApiResult<BotRow> {
        self.store
            .update(bot_id, change)
            .await?
            .ok_or_else(|| ApiError::not_found("bot"))
    }

    /// The bot as its owner sees it, with its display name from the directory.
    async fn bot(&self, row: BotRow) -> ApiResult<Bot> {
        let name = self.names(vec![row.user_id]).await?.pop().map(|(_, name)| name);
        Ok(bot_of(row, name.unwrap_or_default()))
    }

    async fn names(&self, ids: Vec<i64>) -> ApiResult<Vec<(i64, String)>> {
        let cards = self.directory.cards(&ids).await?;
        Ok(cards.into_iter().map(|card| (card.id, card.display_name)).collect())
    }
}

fn bot_of(row: BotRow, name: String) -> Bot {
    Bot {
        id: row.user_id,
        username: row.username,
        name,
        privacy: row.privacy != 0,
        created_at: row.created_at,
        token: None,
    }
}

#[cfg(test)]
mod tests {
    use super::check_bot_username;

    #[test]
    fn bot_usernames_end_in_bot() {
        for good in ["echo_bot", "weatherbot", "abbot"] {
            assert!(check_bot_username(good).is_ok(), "{good}");
        }
        for bad in ["bot", "robot_x", "echo", "1_bot", "a-bot"] {
            assert!(check_bot_username(bad).is_err(), "{bad}");
        }
    }
}
