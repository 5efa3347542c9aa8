//! The automation service's HTTP contract: what its API takes and returns, and its error codes.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// An account to connect.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAccount {
    /// 1 to 64 characters.
    pub name: String,
    /// `hybrid`: a Hybrid user of this server, acting through one of their sessions;
    /// `telegram_bot`: a bot, through the Telegram Bot API (Telegram's, or any server that
    /// speaks it, such as another Hybrid's).
    pub connector: String,
    /// For `hybrid`: an access token of the session the account acts through (sign the user in
    /// and pass its `access_token`); ending that session disconnects the account. For
    /// `telegram_bot`: the bot's token. Kept sealed, never returned.
    pub token: String,
    /// For `telegram_bot`: the Bot API's base URL (default `automation.bot_api_url`,
    /// `https://api.telegram.org`); calls go to `<endpoint>/bot<token>/<method>`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// Actions per target chat over a rolling 24 hours (default and most: `automation.daily_limit`).
    #[serde(default)]
    pub daily_limit: Option<i64>,
}

/// A Telegram user account to log in by QR code (the `telegram_user` connector).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewTelegramLogin)]
pub struct NewLogin {
    /// The account's name here, 1 to 64 characters.
    pub name: String,
    /// As for other accounts (default and most: `automation.daily_limit`).
    #[serde(default)]
    pub daily_limit: Option<i64>,
}

/// A QR login of a Telegram user account. Poll it (`GET`) every couple of seconds while it is
/// `waiting`: each poll asks Telegram, and the QR code changes when its token expires.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = TelegramLogin)]
pub struct Login {
    pub id: i64,
    pub name: String,
    /// `waiting` (show `qr_url` as a QR code: Telegram → Settings → Devices → Link Desktop
    /// Device scans it), `password_needed` (the account has a cloud password: send it),
    /// `done` (`account` is connected), `expired` (not finished in time) or `failed` (`error`).
    pub state: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_url: Option<String>,
    /// Epoch ms: this QR code stops working then (a poll after it shows a new one). Absent
    /// with `qr_url` until Telegram gave the first code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr_expires_at: Option<i64>,
    /// The password's hint, when one is asked for (may be empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password_hint: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account: Option<Account>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Epoch ms: the login ends then, finished or not.
    pub expires_at: i64,
    /// Telegram could not be reached just now (why): the login is as it was, and the next
    /// poll tries again.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unreachable: Option<String>,
}

/// The cloud password of a login that asks for it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = TelegramLoginPassword)]
pub struct LoginPassword {
    pub password: String,
}

/// A change to an account: what is present is set.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountChange {
    pub name: Option<String>,
    pub daily_limit: Option<i64>,
    /// `true` pauses the account (campaigns skip it), `false` makes it active again.
    pub paused: Option<bool>,
}

/// A connected account. Its secret is never shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[schema(as = AutomationAccount)]
pub struct Account {
    pub id: i64,
    pub name: String,
    pub connector: String,
    /// Whom it acts as: the platform's user id and name.
    pub actor_id: i64,
    pub actor_name: String,
    /// `active`, `paused`, `flood_wait`, `peer_flood` (resting until `rest_until`),
    /// `logged_out` or `banned`.
    pub state: String,
    /// What the platform said when the state changed.
    pub state_detail: String,
    /// Epoch ms: a flood wait or peer-flood rest ends then.
    pub rest_until: Option<i64>,
    pub daily_limit: i64,
    /// Actions in the last 24 hours, all targets together.
    pub used_today: i64,
    /// A bot's Bot API base URL (absent for other accounts).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub endpoint: Option<String>,
    /// A bot's: how many people it may write to (they wrote to it first); absent for others.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reachable: Option<i64>,
    pub last_used_at: Option<i64>,
    pub created_at: i64,
}

/// A message to publish as an account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPost {
    /// A chat (group or channel) the account may post in.
    pub chat_id: i64,
    pub text: String,
    /// Your key for this post (1 to 64 bytes): sending again with the same key answers with
    /// the first post instead of publishing twice. Absent: every request publishes.
    #[serde(default)]
    pub key: Option<String>,
}

/// A published message.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Published {
    pub chat_id: i64,
    /// Its id in the chat (a Hybrid message's `seq`).
    pub message_id: i64,
}

/// An audience to import: lines of a TXT or CSV file, one person each.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAudience {
    /// 1 to 64 characters.
    pub name: String,
    /// The file's text: one phone number (`+7 912 …`, any punctuation) or `@username` per
    /// line; in a CSV, the first column (a header line is skipped).
    pub text: String,
    /// Where numbers without a `+` country code are from (ISO 3166 code, `RU`); absent: such
    /// numbers are rejected.
    #[serde(default)]
    pub region: Option<String>,
}

/// More people for an audience, in the same format.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AudienceImport {
    pub text: String,
    #[serde(default)]
    pub region: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Audience {
    pub id: i64,
    pub name: String,
    /// People in it.
    pub size: i64,
    pub created_at: i64,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ImportReport {
    /// People added.
    pub added: i64,
    /// Lines naming someone already in the audience (or twice in the file).
    pub duplicates: i64,
    /// Lines that name nobody, each with why (the first 100).
    pub rejected: Vec<RejectedLine>,
    pub rejected_count: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RejectedLine {
    /// 1-based.
    pub line: i64,
    pub text: String,
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Imported {
    pub audience: Audience,
    pub report: ImportReport,
}

/// A person of an audience.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Entry {
    pub id: i64,
    /// `phone` (E.164) or `username` (without the `@`).
    pub kind: String,
    pub value: String,
}

/// An invite campaign to start.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCampaign {
    /// 1 to 64 characters.
    pub name: String,
    pub audience_id: i64,
    /// The group or channel people are invited into; every account must be able to invite there.
    pub target_chat_id: i64,
    /// The accounts that act, 1 to 20 of yours; the least recently used healthy one acts next.
    pub account_ids: Vec<i64>,
    /// `invite` (add people), `link` (send them an invite link), or `invite_then_link` (send
    /// the link to those whose privacy forbids adding them). Default `invite`.
    #[serde(default)]
    pub mode: Option<String>,
    /// The message that carries the link; `{link}` marks where it goes (added at the end
    /// otherwise). Up to 1,000 characters.
    #[serde(default)]
    pub link_text: Option<String>,
    /// Each account's pause between actions, a random value in this range (seconds); never
    /// shorter than the server's `automation.pause_min_ms`.
    #[serde(default)]
    pub pause_min_secs: Option<i64>,
    #[serde(default)]
    pub pause_max_secs: Option<i64>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub audience_id: Option<i64>,
    pub target_chat_id: i64,
    pub account_ids: Vec<i64>,
    pub mode: String,
    pub link_text: String,
    pub pause_min_secs: i64,
    pub pause_max_secs: i64,
    /// `running`, `paused`, `cancelled` or `finished`.
    pub state: String,
    /// While running: what it waits for, if anything (`daily_limit`, `accounts`, `pause`,
    /// `flood_wait`).
    pub waiting: String,
    pub progress: Progress,
    pub created_at: i64,
    pub finished_at: Option<i64>,
    /// Where its inbound webhook takes contacts, if it has one
    /// (`POST /automation/campaigns/{id}/inbound` makes it).
    pub inbound_path: Option<String>,
}

/// A campaign's inbound webhook: send one contact per request to `path`, authenticated by
/// `secret` (shown this once): in the `x-hybrid-token` header, or as an HMAC signature of the
/// body in `x-hybrid-signature` (`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, at
/// most 5 minutes old).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InboundHook {
    pub path: String,
    pub secret: String,
}

/// One contact for a campaign, through its inbound webhook.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InboundContact {
    /// A phone number or a username, as an import line takes them.
    pub contact: String,
    /// As for imports: where numbers without a `+` country code are from.
    #[serde(default)]
    pub region: Option<String>,
}

/// How far a campaign is.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct Progress {
    pub total: i64,
    /// People with an outcome.
    pub settled: i64,
    /// Settled people per outcome.
    pub outcomes: std::collections::BTreeMap<String, i64>,
    /// Epoch ms when the rest is expected to be done at the present pace (absent: not running
    /// or no pace yet).
    pub eta: Option<i64>,
}

/// A person of a campaign and what came of them.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    pub id: i64,
    pub kind: String,
    pub value: String,
    /// Absent while pending. `invited`, `already_member`, `privacy_restricted`,
    /// `not_mutual_contact`, `not_found`, `link_sent`, `failed`
    /// (docs/automation.md says what each means).
    pub outcome: Option<String>,
    /// The reason of a failure, the seconds of a flood wait …
    pub detail: String,
    /// The platform's user, once resolved.
    pub user_id: Option<i64>,
    /// The account that acted last.
    pub account_id: Option<i64>,
    pub attempts: i64,
    pub updated_at: i64,
}

/// A parse to start: fills a new audience with the people of a chat the account is in.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewParse {
    /// The account that reads the chat; it must be in it.
    pub account_id: i64,
    pub source_chat_id: i64,
    /// `members` (default): the chat's members as the account sees them (a channel shows its
    /// subscribers only to its admins). `authors`: the distinct people who wrote in its
    /// history, newest first. Bots are left out of both.
    #[serde(default)]
    pub source: Option<String>,
    /// The name of the audience made for them, 1 to 64 characters.
    pub audience_name: String,
    /// Stop after this many people (default and most: `automation.max_audience_size`).
    #[serde(default)]
    pub max_people: Option<i64>,
}

/// A parse: a job reading a chat page by page into an audience.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Parse {
    pub id: i64,
    pub account_id: i64,
    pub source_chat_id: i64,
    /// `members` or `authors`.
    pub source: String,
    /// The audience it fills (absent once that audience is deleted); export it as CSV with
    /// `GET /automation/audiences/{id}/export`.
    pub audience_id: Option<i64>,
    pub max_people: i64,
    /// `running`, `finished`, `cancelled` or `failed`.
    pub state: String,
    /// Why it failed or stopped early.
    pub detail: String,
    /// Members or messages read so far.
    pub scanned: i64,
    /// People added to the audience so far.
    pub found: i64,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PageParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ContactParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
    /// Only people with this outcome (`pending`: those without one yet).
    pub outcome: Option<String>,
    /// `audience` (default): in the audience's order; `recent`: the most recently changed
    /// first (a campaign's live log).
    pub order: Option<String>,
}

hybrid_core::error_codes! {
    /// Errors of the automation service.
    pub enum AutomationCode {
        /// The caller keeps as many accounts, audiences or campaigns as one may.
        TooMany = (CONFLICT, "automation_limit"),
        /// The account's credentials were refused by its platform.
        BadCredentials = (UNPROCESSABLE_ENTITY, "bad_credentials"),
        /// The campaign or account is not in a state that allows this (a campaign paused,
        /// cancelled or finished; an account signed out or banned).
        WrongState = (CONFLICT, "wrong_state"),
    }
}
