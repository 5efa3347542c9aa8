//! Getting updates: `getUpdates` long polling with Telegram's offset rules, and the webhook
//! methods (setWebhook, deleteWebhook, getWebhookInfo; delivery is `webhook.rs`).
//!
//! The consumer of chats' events (`follow.rs`) queues each bot's updates with increasing
//! `update_id`s and pings the bot's topic; a long poll waits on that topic. A newer poll of the
//! same bot pings it too, with its own id, which ends the older poll with Telegram's 409 (two
//! copies of a bot running), in every process of the deployment.

use std::time::Duration;

use hybrid_core::ApiError;
use hybrid_core::bus::{Control, Envelope, Topic};
use hybrid_core::secrets::random_bytes;
use serde_json::{Value, json};

use super::Call;
use super::params::Params;
use super::reply::{BotError, BotResult};
use crate::store::BotChange;
use crate::webhook;

/// The longest a poll waits (Telegram: 50 s).
const MAX_TIMEOUT: i64 = 50;
/// What tells a poll new updates are there.
pub const WAKE: &str = "updates";
/// What tells a poll a webhook was set: it ends with 409.
const WEBHOOK_SET: &str = "webhook";
const WEBHOOK_ACTIVE: &str =
    "can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first";
/// The topic a bot's polls listen on.
pub fn topic(bot_id: i64) -> Topic {
    Topic::new("bots", bot_id)
}

impl Call<'_> {
    pub(super) async fn get_updates(&self, params: &Params) -> BotResult<Value> {
        if self.webhook_set().await? {
            return Err(BotError::conflict(WEBHOOK_ACTIVE));
        }
        let offset = params.integer("offset")?.unwrap_or(0);
        let limit = params.integer("limit")?.unwrap_or(100).clamp(1, 100);
        let timeout = params.integer("timeout")?.unwrap_or(0).clamp(0, MAX_TIMEOUT);
        if let Some(kinds) = params.json::<Vec<String>>("allowed_updates", "allowed_updates")? {
            self.remember_allowed(kinds).await?;
        }
        // listen before anything else, so nothing queued from here on is missed
        let mut wake = self.bots.bus.subscribe(topic(self.id()));
        if timeout > 0 {
            // a newer poll's ping must reach this one, in whatever process it lands
            self.bots
                .bus
                .settle()
                .await
                .map_err(|err| BotError::from(ApiError::unavailable(err.to_string())))?;
        }
        let _waiting = Waiting::new();
        let poll = format!("poll:{}", u64::from_le_bytes(random_bytes::<8>()));
        self.bots
            .bus
            .publish(Envelope::control(topic(self.id()), Control::new(poll.clone())));
        let after = self.confirm(offset).await?;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(timeout as u64);
        loop {
            let rows = self.bots.store.updates_after(self.id(), after, limit).await?;
            if !rows.is_empty() || tokio::time::Instant::now() >= deadline {
                let updates: Vec<Value> = rows
                    .into_iter()
                    .map(|row| {
                        let payload: Value = serde_json::from_str(&row.payload).unwrap_or(Value::Null);
                        json!({"update_id": row.update_id, row.kind: payload})
                    })
                    .collect();
                return Ok(Value::Array(updates));
            }
            tokio::select! {
                received = wake.recv() => match received {
                    Ok(envelope) => {
                        let control = envelope.control.as_ref().map(|c| c.as_str()).unwrap_or("");
                        if control.starts_with("poll:") && control != poll {
                            return Err(BotError::conflict(
                                "terminated by other getUpdates request; make sure that only one bot instance is running",
                            ));
                        }
                        if control == WEBHOOK_SET {
                            return Err(BotError::conflict(WEBHOOK_ACTIVE));
                        }
                    }
                    // a lagging receiver missed wake-ups: look again
                    Err(hybrid_core::bus::RecvError::Lagged(_)) => {}
                    Err(hybrid_core::bus::RecvError::Closed) => return Ok(json!([])),
                },
                _ = tokio::time::sleep_until(deadline) => {}
            }
        }
    }

    async fn webhook_set(&self) -> BotResult<bool> {
        Ok(!self.bots.store.webhook_url(self.id()).await?.is_empty())
    }

    /// Applies an offset: updates below it are confirmed (forgotten); a negative one keeps only
    /// the last `-offset`. Answers the update_id to read after.
    async fn confirm(&self, offset: i64) -> BotResult<i64> {
        let store = &self.bots.store;
        if offset > 0 {
            store.confirm_below(self.id(), offset).await?;
            return Ok(offset - 1);
        }
        if offset < 0 {
            if let Some(first) = store.nth_newest(self.id(), offset.saturating_neg()).await? {
                store.confirm_below(self.id(), first).await?;
                return Ok(first - 1);
            }
        }
        Ok(0)
    }

    /// `allowed_updates`: kept for the updates queued from now on; an empty list is the
    /// default (every kind but reactions and chat_member). Names Hybrid does not know are
    /// accepted and never match, as libraries send the kinds of newer Bot API versions
    /// (python-telegram-bot's `Update.ALL_TYPES`).
    async fn remember_allowed(&self, kinds: Vec<String>) -> BotResult<()> {
        if kinds.len() > 64 || kinds.iter().any(|kind| kind.len() > 64) {
            return Err(BotError::bad_request("too many allowed_updates specified"));
        }
        let stored = serde_json::to_string(&kinds).expect("lists serialise");
        if self.bot.allowed_updates.as_deref() != Some(stored.as_str()) {
            let change = BotChange {
                allowed_updates: Some(stored),
                ..Default::default()
            };
            self.bots.store.update(self.id(), change).await?;
        }
        Ok(())
    }

    /// setWebhook: updates are POSTed to `url` from now on (and those waiting, unless
    /// `drop_pending_updates`); an empty `url` removes the webhook.
    pub(super) async fn set_webhook(&self, params: &Params) -> BotResult<Value> {
        let url = params.string("url")?.unwrap_or_default();
        if url.is_empty() {
            return self.delete_webhook(params).await;
        }
        check_webhook_url(&url)?;
        let secret = params.string("secret_token")?.unwrap_or_default();
        let secret_ok = secret.len() <= 256
            && secret
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !secret_ok {
            return Err(BotError::bad_request("secret token contains unallowed characters"));
        }
        if let Some(max) = params.integer("max_connections")?
            && !(1..=100).contains(&max)
        {
            return Err(BotError::bad_request("invalid max_connections specified"));
        }
        if let Some(kinds) = params.json::<Vec<String>>("allowed_updates", "allowed_updates")? {
            self.remember_allowed(kinds).await?;
        }
        let sealed = (!secret.is_empty()).then(|| self.bots.secrets.seal(webhook::SECRET_CONTEXT, secret.as_bytes()));
        let drop_pending = params.boolean("drop_pending_updates")?.unwrap_or(false);
        let queued = webhook::set(&self.bots.store.db, self.id(), Some((url, sealed)), drop_pending).await?;
        if queued > 0 {
            self.bots.jobs.wake();
        }
        // a poll waiting now ends, as the webhook takes over
        self.bots
            .bus
            .publish(Envelope::control(topic(self.id()), Control::new(WEBHOOK_SET)));
        Ok(Value::Bool(true))
    }

    pub(super) async fn delete_webhook(&self, params: &Params) -> BotResult<Value> {
        let drop_pending = params.boolean("drop_pending_updates")?.unwrap_or(false);
        webhook::set(&self.bots.store.db, self.id(), None, drop_pending).await?;
        Ok(Value::Bool(true))
    }

    pub(super) async fn webhook_info(&self) -> BotResult<Value> {
        let store = &self.bots.store;
        let pending = store.pending(self.id()).await?;
        let url = store.webhook_url(self.id()).await?;
        let set = !url.is_empty();
        let mut info = json!({"url": url, "has_custom_certificate": false, "pending_update_count": pending});
        if set {
            info["max_connections"] = json!(40);
            if let Some((at, error)) = webhook::last_error(&store.db, self.id()).await? {
                info["last_error_date"] = json!(at);
                info["last_error_message"] = json!(error);
            }
        }
        if let Some(allowed) = self
            .bot
            .allowed_updates
            .as_deref()
            .and_then(|a| serde_json::from_str::<Value>(a).ok())
            && allowed.as_array().is_some_and(|list| !list.is_empty())
        {
            info["allowed_updates"] = allowed;
        }
        Ok(info)
    }
}

/// A webhook URL: http(s), with a host, at most 2048 bytes. (Telegram asks for HTTPS on a few
/// ports; a self-hosted server may deliver on its own network, which the outbound settings
/// govern: private addresses are refused unless the operator allows them.)
fn check_webhook_url(url: &str) -> BotResult<()> {
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| BotError::bad_request("bad webhook: An HTTPS URL must be provided for webhook"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || url.len() > 2048 || url.chars().any(char::is_whitespace) {
        return Err(BotError::bad_request(
            "bad webhook: Failed to resolve host: invalid URL",
        ));
    }
    Ok(())
}

/// Counts a poll in `bot_long_polls` (in `/metrics`) while it runs.
struct Waiting;

impl Waiting {
    fn new() -> Waiting {
        metrics::gauge!("bot_long_polls").increment(1.0);
        Waiting
    }
}

impl Drop for Waiting {
    fn drop(&mut self) {
        metrics::gauge!("bot_long_polls").decrement(1.0);
    }
}

/// Whether a bot with `allowed` (its stored list) wants updates of `kind`.
pub fn wants(allowed: Option<&str>, kind: &str) -> bool {
    let list: Vec<String> = allowed.and_then(|a| serde_json::from_str(a).ok()).unwrap_or_default();
    if list.is_empty() {
        !matches!(kind, "chat_member" | "message_reaction" | "message_reaction_count")
    } else {
        list.iter().any(|k| k == kind)
    }
}

#[cfg(test)]
mod tests {
    use super::wants;

    #[test]
    fn allowed_updates_filter_kinds() {
        assert!(wants(None, "message"));
        assert!(wants(Some("[]"), "callback_query"));
        assert!(!wants(None, "chat_member"));
        assert!(wants(Some(r#"["message"]"#), "message"));
        assert!(!wants(Some(r#"["message"]"#), "edited_message"));
        assert!(wants(Some(r#"["chat_member"]"#), "chat_member"));
    }
}
