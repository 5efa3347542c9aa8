//! The bots service's HTTP contract for people: their bot accounts (`/api/v1/bots`). The Bot
//! API bots themselves call (`/bot<token>/<method>`) is Telegram's and lives in `botapi/`.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

hybrid_core::error_codes! {
    /// Errors of the bots service.
    pub enum BotsCode {
        /// The person owns as many bots as one may.
        TooManyBots = (CONFLICT, "too_many_bots"),
    }
}

/// A bot account, as its owner sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Bot {
    /// The bot's user id: the part of its token before the colon.
    pub id: i64,
    /// Ends in `bot`, like Telegram's.
    pub username: String,
    pub name: String,
    /// In groups the bot sees only commands, replies to its messages and mentions of it
    /// (Telegram's privacy mode); off: every message.
    pub privacy: bool,
    pub created_at: i64,
    /// The Bot API token: only in the answer that made it (creating the bot, or a new token).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct NewBot {
    /// 5 to 32 of `a-z`, `0-9`, `_`, ending in `bot` (any case; stored folded).
    pub username: String,
    /// 1 to 64 characters.
    pub name: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct BotUpdate {
    /// 1 to 64 characters; omit to keep.
    pub name: Option<String>,
    /// Omit to keep.
    pub privacy: Option<bool>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PressButton {
    /// The button's `callback_data` (1 to 64 bytes).
    pub data: String,
}

/// What the bot answered to a pressed button (its answerCallbackQuery), or `answered: false`
/// when it did not within `bots.callback_wait_ms`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct CallbackAnswer {
    #[serde(default)]
    pub answered: bool,
    /// A notification to show (up to 200 characters).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Show `text` as an alert to dismiss rather than a passing notice.
    #[serde(default)]
    pub show_alert: bool,
    /// A URL to open.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
}

/// A command in a bot's menu (setMyCommands).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BotCommand {
    /// 1 to 32 of `a-z0-9_`, without the slash.
    pub command: String,
    pub description: String,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct CommandParams {
    /// Two-letter language code (`ru`); the list for no language when the bot has none for it.
    pub language_code: Option<String>,
}
