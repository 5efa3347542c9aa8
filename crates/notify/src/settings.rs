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
    /// The SMTP server email goes through: `smtp://host:25` (plain), `smtp://host:587?tls=required`
    /// (STARTTLS), `smtps://user:password@host:465` (TLS). Empty: no email (the default).
    pub smtp_url: String,
    /// Who email comes from: `Hybrid <hybrid@example.com>`.
    pub email_from: String,
    /// Where people open Hybrid (`https://chat.example.com`): the links in email point there.
    pub web_url: String,
}

impl Default for NotifyConfig {
    fn default() -> Self {
        NotifyConfig {
            vapid_subject: "mailto:admin@localhost".into(),
            push_ttl_secs: 86_400,
            max_push_subscriptions_per_user: 20,
            max_entries_per_user: 1000,
            smtp_url: String::new(),
            email_from: "Hybrid <hybrid@localhost>".into(),
            web_url: "http://localhost:8080".into(),
        }
    }
}
