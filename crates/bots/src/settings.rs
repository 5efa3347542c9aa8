//! The bots service's settings: `[bots]` in the config file, `HYBRID_BOTS__*`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct BotsConfig {
    /// Bots one person may own.
    pub max_bots_per_owner: i64,
    /// Messages a bot may send into one chat per `chat_window_secs` (Telegram allows about one
    /// a second per chat); past it the Bot API answers 429 with `retry_after`.
    pub messages_per_chat: u32,
    pub chat_window_secs: u64,
    /// Messages a bot may send per second over all its chats (Telegram: about 30).
    pub messages_per_second: u32,
    /// Updates a bot has not fetched are dropped after this many hours (Telegram: 24).
    pub update_retention_hours: i64,
    /// How long `POST /chats/{id}/messages/{seq}/callback` waits for the bot's
    /// answerCallbackQuery before answering `{"answered": false}`.
    pub callback_wait_ms: u64,
    /// Where people open the web client: invite links the Bot API gives out are
    /// `<web_url>/join/<code>`.
    pub web_url: String,
    /// The largest file a bot uploads (sendDocument …; Telegram: 50 MB); photos are at most
    /// 10 MB, as in Telegram.
    pub max_upload_bytes: usize,
    /// The largest file a bot downloads (`/file/bot<token>/…`; Telegram: 20 MB).
    pub max_download_bytes: usize,
    /// Whether bots may send files by http(s) URL, which the server then fetches through the
    /// outbound component (its address rules apply).
    pub fetch_urls: bool,
}

impl Default for BotsConfig {
    fn default() -> Self {
        BotsConfig {
            max_bots_per_owner: 20,
            messages_per_chat: 20,
            chat_window_secs: 20,
            messages_per_second: 30,
            update_retention_hours: 24,
            callback_wait_ms: 5000,
            web_url: "http://localhost:8080".into(),
            max_upload_bytes: 50 << 20,
            max_download_bytes: 20 << 20,
            fetch_urls: false,
        }
    }
}
