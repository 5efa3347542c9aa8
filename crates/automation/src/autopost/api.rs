//! The autopost's HTTP contract: schedules, their targets, and the post log.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where a schedule publishes: a chat, as one of your accounts (a `hybrid` account posts into
/// a Hybrid chat, a `telegram_bot` one into a Telegram chat).
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTarget {
    pub account_id: i64,
    pub chat_id: i64,
}

/// A schedule to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSchedule {
    /// 1 to 64 characters.
    pub name: String,
    /// An IANA time zone, such as `Europe/Moscow`.
    pub timezone: String,
    /// Times of day as `HH:MM` (1 to 48).
    pub times: Vec<String>,
    /// ISO weekdays, 1 (Monday) to 7 (Sunday); none: every day.
    #[serde(default)]
    pub weekdays: Option<Vec<i64>>,
    /// Publish the approved posts in random order instead of oldest first.
    #[serde(default)]
    pub random_order: bool,
    /// Only posts of this book; none: any approved post.
    #[serde(default)]
    pub source_id: Option<i64>,
    /// 1 to 10.
    pub targets: Vec<NewTarget>,
}

/// A change to a schedule: what is given changes.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleChange {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub times: Option<Vec<String>>,
    pub weekdays: Option<Vec<i64>>,
    pub random_order: Option<bool>,
    /// A book, or `null`: any book's posts (absent: unchanged).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub source_id: Option<Option<i64>>,
    pub targets: Option<Vec<NewTarget>>,
}

/// A field that may be given as `null`: absent is `None`, `null` is `Some(None)`.
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Target {
    pub id: i64,
    pub account_id: i64,
    pub account_name: String,
    /// The account's connector: `hybrid`, `telegram_bot` or `telegram_user`.
    pub connector: String,
    pub chat_id: i64,
}

/// A schedule and where it stands.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Schedule {
    pub id: i64,
    pub name: String,
    pub timezone: String,
    /// `HH:MM`, sorted.
    pub times: Vec<String>,
    /// ISO weekdays it publishes on (all seven: every day).
    pub weekdays: Vec<i64>,
    pub random_order: bool,
    pub source_id: Option<i64>,
    /// `running` or `stopped`.
    pub state: String,
    /// The next slot (Unix ms); none while stopped.
    pub next_slot_at: Option<i64>,
    pub targets: Vec<Target>,
    /// Approved posts not published yet that it would take.
    pub posts_waiting: i64,
    pub created_at: i64,
    pub updated_at: i64,
}

/// What to publish now.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublishNow {
    /// An approved (or already published) post; none: the next one the schedule would take.
    #[serde(default)]
    pub post_id: Option<i64>,
}

/// A publication's delivery to one target.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    pub target_id: i64,
    pub account_name: String,
    pub chat_id: i64,
    /// `pending`, `sent` or `failed`.
    pub state: String,
    /// The message's id in the chat, once sent.
    pub message_id: Option<i64>,
    /// Sent without its formatting, which the target refused.
    pub plain_text: bool,
    pub error: Option<String>,
    pub sent_at: Option<i64>,
}

/// One entry of the post log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Publication {
    pub id: i64,
    pub schedule_id: i64,
    pub post_id: Option<i64>,
    /// The post's first 200 characters.
    pub preview: String,
    /// `slot` (the schedule's time), `now` (publish now) or `republish`.
    pub trigger: String,
    /// The slot it was made for (Unix ms).
    pub slot_at: Option<i64>,
    /// `publishing`, `published` (every target), `partial`, `failed`, or `empty` (no approved
    /// post was left).
    pub state: String,
    pub detail: Option<String>,
    pub deliveries: Vec<Delivery>,
    pub created_at: i64,
}
