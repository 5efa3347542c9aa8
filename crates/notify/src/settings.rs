//! The notify service's settings: `[notify]` in the config file, `HYBRID_NOTIFY__*`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct NotifyConfig {
    /// How push services reach the operator, sent in every VAPID signature (`sub`): a
    /// `mailto:` address or an `https:` URL. Push services may refuse a server without one.
    pub vapid_subject: String,
    /// How long a push service keeps a notification for a browser that is offline (`TTL`).
    pub push_ttl_secs: u64,
    /// Browsers (push subscriptions) one user may have.
    pub max_push_subscriptions_per_user: i64,
    /// Entries one user's list keeps: the oldest beyond it go when entries are pruned
    /// (hourly, and at start), as do entries older than 90 days.
    pub max_entries_per_user: i64,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            vapid_subject: "mailto:admin@localhost".into(),
            push_ttl_secs: 86_400,
            max_push_subscriptions_per_user: 20,
            max_entries_per_user: 1000,
        }
    }
}
