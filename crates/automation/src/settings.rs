//! The automation service's settings: `[automation]` in the config file, `HYBRID_AUTOMATION__*`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct AutomationConfig {
    /// The pause range between two actions of one account, in milliseconds: each pause is a
    /// random value in it. A campaign may ask for longer pauses, never shorter ones.
    pub pause_min_ms: i64,
    pub pause_max_ms: i64,
    /// Actions one account makes into one target chat over a rolling 24 hours, unless the
    /// account sets fewer; an account may not set more.
    pub daily_limit: i64,
    /// How long an account rests after the platform said "peer flood" (too many requests to
    /// strangers), in seconds.
    pub peer_flood_rest_secs: i64,
    /// Accounts, audiences and campaigns one user keeps.
    pub max_accounts_per_owner: i64,
    pub max_audiences_per_owner: i64,
    pub max_campaigns_per_owner: i64,
    /// People in one audience (an import past it is refused).
    pub max_audience_size: i64,
    /// The largest audience import, in bytes.
    pub max_import_bytes: usize,
    /// Where people open the web client: invite links campaigns send are `<web_url>/join/<code>`.
    pub web_url: String,
    /// The Bot API a bot account calls unless it names another: Telegram's.
    pub bot_api_url: String,
    /// How often a bot account asks for its updates when the last ask brought none, in ms.
    pub bot_poll_ms: i64,
    /// Telegram user accounts (built with the `telegram-user` feature) speak for an app
    /// registered at my.telegram.org: its api_id and api_hash. Unset (0, ""): QR logins are
    /// refused with a 503 that says so.
    pub telegram_api_id: i32,
    pub telegram_api_hash: String,
    /// The data centre a new login starts at, and its `ip:port` (empty: where Telegram's
    /// production data centres are; Telegram's test servers, say, are elsewhere).
    pub telegram_dc: i32,
    pub telegram_dc_address: String,
    /// The largest book the content pipeline reads, in bytes (at most 64 MiB: a book is read
    /// from the files service in one piece).
    pub max_book_bytes: usize,
    /// How long one call to an AI provider may take, in seconds (models write slowly).
    pub ai_timeout_secs: u64,
    /// The most tokens a model may answer with, for a summary or a post.
    pub ai_max_tokens: i64,
}

impl Default for AutomationConfig {
    fn default() -> Self {
        AutomationConfig {
            pause_min_ms: 120_000,
            pause_max_ms: 300_000,
            daily_limit: 200,
            peer_flood_rest_secs: 6 * 3600,
            max_accounts_per_owner: 50,
            max_audiences_per_owner: 200,
            max_campaigns_per_owner: 200,
            max_audience_size: 100_000,
            max_import_bytes: 5 << 20,
            web_url: "http://localhost:8080".into(),
            bot_api_url: "https://api.telegram.org".into(),
            bot_poll_ms: 2_000,
            telegram_api_id: 0,
            telegram_api_hash: String::new(),
            telegram_dc: 2,
            telegram_dc_address: String::new(),
            max_book_bytes: hybrid_files_api::MAX_MESSAGE_BYTES,
            ai_timeout_secs: 120,
            ai_max_tokens: 800,
        }
    }
}
