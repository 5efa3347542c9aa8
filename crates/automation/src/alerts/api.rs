//! The alerts' HTTP contract.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Which kinds of alert are sent.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct AlertKinds {
    /// A job failed after its retries (a campaign's step), or a parse failed.
    pub job_failed: bool,
    /// An account was banned or logged out.
    pub account_down: bool,
    /// The queue (people waiting in running campaigns, deliveries waiting) passed the threshold.
    pub queue_high: bool,
    pub campaign_finished: bool,
    /// An autopost delivery failed, or a slot found no approved post.
    pub autopost_failed: bool,
}

impl Default for AlertKinds {
    fn default() -> Self {
        AlertKinds {
            job_failed: true,
            account_down: true,
            queue_high: true,
            campaign_finished: true,
            autopost_failed: true,
        }
    }
}

/// A change to the kinds: what is given changes.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertKindsChange {
    pub job_failed: Option<bool>,
    pub account_down: Option<bool>,
    pub queue_high: Option<bool>,
    pub campaign_finished: Option<bool>,
    pub autopost_failed: Option<bool>,
}

/// Where alerts go and which.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AlertSettings {
    /// The account that posts them (`hybrid`: into a Hybrid chat; `telegram_bot`: into a
    /// Telegram chat); none: alerts are only listed here.
    pub account_id: Option<i64>,
    pub chat_id: Option<i64>,
    pub kinds: AlertKinds,
    /// `queue_high` fires above this many waiting.
    pub queue_threshold: i64,
    /// The least time between two alerts of one kind: a storm sends one, counting the rest.
    pub min_interval_secs: i64,
}

/// A change to the settings: what is given changes; `account_id: null` stops sending.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertSettingsChange {
    #[serde(default, deserialize_with = "crate::autopost::api::present")]
    #[schema(value_type = Option<i64>)]
    pub account_id: Option<Option<i64>>,
    pub chat_id: Option<i64>,
    pub kinds: Option<AlertKindsChange>,
    /// 1 to 10 000 000.
    pub queue_threshold: Option<i64>,
    /// 0 to 86 400.
    pub min_interval_secs: Option<i64>,
}

/// An alert raised.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Alert {
    pub id: i64,
    /// `job_failed`, `account_down`, `queue_high`, `campaign_finished`, `autopost_failed` or `test`.
    pub kind: String,
    pub text: String,
    /// `pending`, `sent`, `suppressed` (no destination set) or `failed` (`detail` says why).
    pub state: String,
    pub detail: Option<String>,
    /// Alerts of this kind within the minimum interval after it, folded into it.
    pub repeats: i64,
    pub created_at: i64,
}
