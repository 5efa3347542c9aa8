//! The notify service's contract: what its HTTP API takes and returns, and its error codes.

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

hybrid_core::error_codes! {
    /// Errors of the notify service.
    pub enum NotifyCode {
        /// The user has as many browsers subscribed as one may.
        TooManySubscriptions = (CONFLICT, "too_many_push_subscriptions"),
        /// This server sends no email (`notify.smtp_url` is not set).
        EmailNotConfigured = (CONFLICT, "email_not_configured"),
        /// The user has as many webhooks as one may.
        TooManyWebhooks = (CONFLICT, "too_many_webhooks"),
        /// There is no address waiting to be confirmed.
        NothingToVerify = (CONFLICT, "nothing_to_verify"),
    }
}

/// Why a user is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Someone mentioned you in a message.
    Mention,
    /// Someone replied to your message.
    Reply,
    /// A message in a direct chat with you.
    DirectMessage,
    /// Someone reacted to your message (the latest reaction; one entry per message).
    Reaction,
    /// Someone added you to a group or channel.
    AddedToChat,
}

impl NotificationKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationKind::Mention => "mention",
            NotificationKind::Reply => "reply",
            NotificationKind::DirectMessage => "direct_message",
            NotificationKind::Reaction => "reaction",
            NotificationKind::AddedToChat => "added_to_chat",
        }
    }

    pub fn parse(text: &str) -> Option<NotificationKind> {
        [
            NotificationKind::Mention,
            NotificationKind::Reply,
            NotificationKind::DirectMessage,
            NotificationKind::Reaction,
            NotificationKind::AddedToChat,
        ]
        .into_iter()
        .find(|kind| kind.as_str() == text)
    }
}

/// An entry of the in-app list. Times are epoch milliseconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Notification {
    pub id: i64,
    pub kind: NotificationKind,
    pub chat_id: i64,
    /// The message it is about (absent for `added_to_chat`): open the chat there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    /// Who did it.
    pub actor_id: i64,
    /// The chat's title then (empty for a direct chat).
    pub chat_title: String,
    /// The message's first 200 characters (or a file's name), the emoji of a reaction. Kept in
    /// step with edits; the entry goes when the message is deleted.
    pub preview: String,
    pub created_at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read_at: Option<i64>,
}

/// A page of the list, newest first, with how many entries are unread in all (the badge).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct NotificationPage {
    pub items: Vec<Notification>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    pub unread_count: i64,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PageParams {
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1 to 100 (default 50).
    pub limit: Option<i64>,
}

/// What to mark read: entries up to an id (the newest one shown), or all.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkRead {
    /// Every entry with this id or a lower one; absent: every entry.
    pub up_to: Option<i64>,
}

/// How many entries are unread now.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
pub struct Unread {
    pub unread_count: i64,
}

/// What a user hears of a chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Everything that concerns you (the default).
    All,
    /// Only mentions of you and replies to you.
    Mentions,
    /// Nothing: the chat is muted.
    None,
}

impl Level {
    pub fn as_str(self) -> &'static str {
        match self {
            Level::All => "all",
            Level::Mentions => "mentions",
            Level::None => "none",
        }
    }

    /// A stored level; anything else (`default`) is none of them.
    pub fn parse(text: &str) -> Option<Level> {
        match text {
            "all" => Some(Level::All),
            "mentions" => Some(Level::Mentions),
            "none" => Some(Level::None),
            _ => None,
        }
    }
}

/// What a user hears of each kind of chat that has no level of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LevelDefaults {
    /// Direct chats (default `all`).
    #[serde(default = "everything")]
    pub direct: Level,
    /// Groups (default `all`).
    #[serde(default = "everything")]
    pub group: Level,
    /// Channels (default `all`).
    #[serde(default = "everything")]
    pub channel: Level,
}

fn everything() -> Level {
    Level::All
}

impl Default for LevelDefaults {
    fn default() -> Self {
        LevelDefaults {
            direct: Level::All,
            group: Level::All,
            channel: Level::All,
        }
    }
}

impl LevelDefaults {
    /// The level for a chat of `chat_kind` (`direct`, `group`, `channel`).
    pub fn for_kind(&self, chat_kind: &str) -> Level {
        match chat_kind {
            "direct" => self.direct,
            "channel" => self.channel,
            _ => self.group,
        }
    }
}

/// A user's notification setting for one chat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ChatSetting {
    pub chat_id: i64,
    /// The chat's own level; absent: the user's default for its kind (`defaults` of
    /// `/notifications/settings`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<Level>,
    /// Muted until this time (epoch ms), whatever the level; absent: not muted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub muted_until: Option<i64>,
}

/// A change of a chat's setting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChatSettingUpdate {
    /// Absent or null: follow the default for the chat's kind.
    #[serde(default)]
    pub level: Option<Level>,
    /// Mute until this time (epoch ms, in the future); absent or null: not muted.
    pub muted_until: Option<i64>,
}

/// What a browser subscribes with (the JSON of its `PushSubscription`).
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewPushSubscription {
    /// The push service's URL for this browser (`https:`).
    pub endpoint: String,
    pub keys: PushKeys,
    /// Send only that something happened, not the message's text.
    #[serde(default)]
    pub hide_content: bool,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PushKeys {
    /// The browser's P-256 public key, base64url.
    pub p256dh: String,
    /// Its 16-byte authentication secret, base64url.
    pub auth: String,
}

/// A browser that receives the user's notifications.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct PushSubscription {
    pub id: i64,
    pub endpoint: String,
    pub hide_content: bool,
    pub created_at: i64,
}

/// The key browsers subscribe with (`applicationServerKey`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PushKey {
    /// This server's VAPID public key, base64url (an uncompressed P-256 point).
    pub public_key: String,
}

/// What a push carries, encrypted for the browser; the service worker shows it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PushPayload {
    pub id: i64,
    pub kind: NotificationKind,
    pub chat_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    pub actor_id: i64,
    pub chat_title: String,
    /// Absent when the subscription hides content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
}

/// A stretch of each day when no push goes out (the in-app list still fills).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuietHours {
    /// An IANA time zone name: `Europe/Moscow`, `UTC`.
    pub time_zone: String,
    /// From this time of day (`HH:MM`)…
    pub from: String,
    /// …to this one, exclusive; earlier than `from` wraps past midnight (22:00 to 07:00).
    pub to: String,
}

/// A user's settings for all chats.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserSettings {
    /// Absent (null): none.
    #[serde(default)]
    pub quiet_hours: Option<QuietHours>,
    /// The level of chats without one of their own, per kind of chat; absent: all.
    #[serde(default)]
    pub defaults: LevelDefaults,
}

/// A user's email notifications (`/notifications/email`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct EmailSettings {
    /// Where email goes; absent: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// Whether the address was confirmed by the link sent to it; nothing but that link goes
    /// to an address not confirmed.
    pub verified: bool,
    /// Mentions, replies and direct messages still unread this many minutes after they came
    /// are emailed (several in one message); 0: never.
    pub unread_after_minutes: i64,
    /// A digest of the last day's unread entries at this time of day (`HH:MM`, in
    /// `time_zone`), unless there are none; absent: no digest.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub digest_at: Option<String>,
    /// An IANA time zone name, for `digest_at`.
    pub time_zone: String,
    /// Whether this server sends email at all.
    pub available: bool,
}

/// A change of the email settings: replaces them all. A new address is sent a link to
/// confirm it.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailSettingsUpdate {
    /// Absent or null: no email at all (the settings go too).
    #[serde(default)]
    pub address: Option<String>,
    /// 0 (never) to 1440; default 15.
    #[serde(default = "fifteen")]
    pub unread_after_minutes: i64,
    /// `HH:MM`; absent or null: no digest.
    #[serde(default)]
    pub digest_at: Option<String>,
    /// Default `UTC`.
    #[serde(default = "utc")]
    pub time_zone: String,
}

fn fifteen() -> i64 {
    15
}

fn utc() -> String {
    "UTC".into()
}

/// The token of a link sent by email (to confirm an address, to unsubscribe).
#[derive(Debug, Deserialize, IntoParams)]
pub struct EmailToken {
    pub token: String,
}

/// An outgoing webhook: the user's new entries (or one chat's) are POSTed to `url`, signed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    /// Only this chat's entries; absent: all of the user's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chat_id: Option<i64>,
    pub created_at: i64,
    /// Deliveries in a row that failed for good (at 3 the hook is disabled).
    pub failures: i64,
    /// When it was disabled for failing; absent: active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled_at: Option<i64>,
    /// The signing secret (`x-hybrid-signature`): in the answer that made the hook only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

/// A webhook to add.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// Where to POST (`http(s)://`; public addresses only unless the operator opened others).
    pub url: String,
    /// Only this chat's entries (a chat you are in); absent: all of yours.
    #[serde(default)]
    pub chat_id: Option<i64>,
}

/// A page of a webhook's deliveries, newest first.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DeliveryPage {
    pub items: Vec<hybrid_core::webhooks::DeliveryLog>,
    /// Pass as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
}
