//! Bots' webhooks (setWebhook): each queued update is also POSTed to the bot's URL through the
//! webhooks component (`hybrid_core::webhooks`): retried with backoff, every attempt logged,
//! public addresses only unless the operator opened others. The request carries the bot's
//! `secret_token` as `X-Telegram-Bot-Api-Secret-Token`, as Telegram sends it. A delivered
//! update leaves the queue; one that could not be delivered stays until its retention ends
//! (and is sent again if a webhook is set again).

use std::sync::Arc;

use futures::future::BoxFuture;
use hybrid_core::webhooks::{self, Delivery, HookOwner};
use hybrid_core::{ApiResult, Secrets, now_ms};
use hybrid_store::{Db, Sql, StoreError, params};

/// What a bot's `secret_token` is sealed for.
pub const SECRET_CONTEXT: &str = "bot-webhook";
/// The header Telegram sends the secret token in.
pub const SECRET_HEADER: &str = "X-Telegram-Bot-Api-Secret-Token";

/// The webhooks component's name for the delivery of `update_id` to `bot_id`'s webhook.
fn hook(bot_id: i64, update_id: i64) -> String {
    format!("bot:{bot_id}:{update_id}")
}

fn parse_hook(hook: &str) -> Option<(i64, i64)> {
    let (bot, update) = hook.strip_prefix("bot:")?.split_once(':')?;
    Some((bot.parse().ok()?, update.parse().ok()?))
}

/// An update as the body Telegram POSTs: `{"update_id": N, "<kind>": {…}}`.
pub fn update_body(update_id: i64, kind: &str, payload: &str) -> String {
    format!("{{\"update_id\":{update_id},\"{kind}\":{payload}}}")
}

/// Queues the delivery of an update to `url`, in the caller's transaction.
pub async fn enqueue(
    tx: &mut Sql<'_>,
    bot_id: i64,
    url: &str,
    update_id: i64,
    kind: &str,
    payload: &str,
) -> ApiResult<()> {
    let body = update_body(update_id, kind, payload);
    let delivery = Delivery {
        hook: &hook(bot_id, update_id),
        url,
        event: kind,
        body: &body,
    };
    webhooks::enqueue(tx, &delivery, now_ms()).await?;
    Ok(())
}

/// Sets a bot's webhook (`hook`: its URL and sealed secret token) or removes it (`None`); the
/// waiting updates are dropped with `drop_pending`, else queued to a new webhook. Answers how
/// many were queued (wake the jobs then).
pub async fn set(db: &Db, bot_id: i64, hook: Option<(String, Option<Vec<u8>>)>, drop_pending: bool) -> ApiResult<u64> {
    db.write(move |tx| {
        Box::pin(async move {
            let (url, sealed, set_at) = match &hook {
                Some((url, sealed)) => (url.as_str(), sealed.clone(), now_ms()),
                None => ("", None, 0),
            };
            tx.execute(
                "UPDATE bots SET webhook_url = $2, webhook_secret = $3, webhook_set_at = $4 WHERE user_id = $1",
                params![bot_id, url, sealed, set_at],
            )
            .await?;
            if drop_pending {
                tx.execute("DELETE FROM updates WHERE bot_id = $1", params![bot_id])
                    .await?;
                return Ok(0);
            }
            match hook {
                Some((url, _)) => enqueue_pending(tx, bot_id, &url).await,
                None => Ok(0),
            }
        })
    })
    .await
}

/// Queues every waiting update of a bot whose webhook was just set.
async fn enqueue_pending(tx: &mut Sql<'_>, bot_id: i64, url: &str) -> ApiResult<u64> {
    let rows: Vec<(i64, String, String)> = tx
        .fetch_all(
            "SELECT update_id, kind, payload FROM updates WHERE bot_id = $1 ORDER BY update_id",
            params![bot_id],
        )
        .await?;
    for (update_id, kind, payload) in &rows {
        enqueue(tx, bot_id, url, *update_id, kind, payload).await?;
    }
    Ok(rows.len() as u64)
}

/// The most recent failed attempt to deliver to a bot's webhook: (Unix seconds, error).
pub async fn last_error(db: &Db, bot_id: i64) -> ApiResult<Option<(i64, String)>> {
    let row: Option<(i64, String)> = db
        .reads()
        .fetch_optional(
            "SELECT a.at, a.error FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id \
             WHERE d.hook LIKE $1 AND a.error IS NOT NULL ORDER BY a.at DESC LIMIT 1",
            params![format!("bot:{bot_id}:%")],
        )
        .await?;
    Ok(row.map(|(at, error)| (at.div_euclid(1000), error)))
}

/// The bots' side of the webhooks component.
pub struct BotHooks {
    pub db: Db,
    pub secrets: Arc<Secrets>,
}

impl HookOwner for BotHooks {
    /// The bot's secret token (empty: none) while its webhook is set; a delivery queued before
    /// deleteWebhook fails, and its update waits for getUpdates.
    fn secret(&self, hook: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        let parsed = parse_hook(hook);
        Box::pin(async move {
            let Some((bot_id, _)) = parsed else { return Ok(None) };
            let row: Option<(String, Option<Vec<u8>>)> = self
                .db
                .reads()
                .fetch_optional(
                    "SELECT webhook_url, webhook_secret FROM bots WHERE user_id = $1",
                    params![bot_id],
                )
                .await?;
            match row {
                Some((url, sealed)) if !url.is_empty() => match sealed {
                    Some(sealed) => self
                        .secrets
                        .open(SECRET_CONTEXT, &sealed)
                        .map(Some)
                        .map_err(|e| StoreError::Decode(e.to_string())),
                    None => Ok(Some(Vec::new())),
                },
                _ => Ok(None),
            }
        })
    }

    fn finished(&self, hook: &str, delivered: bool) -> BoxFuture<'_, Result<(), StoreError>> {
        let parsed = parse_hook(hook).filter(|_| delivered);
        Box::pin(async move {
            if let Some((bot_id, update_id)) = parsed {
                self.db
                    .execute(
                        "DELETE FROM updates WHERE bot_id = $1 AND update_id = $2",
                        hybrid_store::values![bot_id, update_id],
                    )
                    .await?;
            }
            Ok(())
        })
    }

    fn secret_header(&self) -> Option<&'static str> {
        Some(SECRET_HEADER)
    }
}

/// Seals every stored secret token again under the current master key.
pub async fn reseal(db: &Db, secrets: &Secrets) -> anyhow::Result<usize> {
    let rows: Vec<(i64, Vec<u8>)> = db
        .reads()
        .fetch_all(
            "SELECT user_id, webhook_secret FROM bots WHERE webhook_secret IS NOT NULL ORDER BY user_id",
            params![],
        )
        .await?;
    let mut changed = 0;
    for (id, sealed) in rows {
        if let Some(resealed) = secrets.reseal(SECRET_CONTEXT, &sealed)? {
            db.execute(
                "UPDATE bots SET webhook_secret = $2 WHERE user_id = $1",
                hybrid_store::values![id, resealed],
            )
            .await?;
            changed += 1;
        }
    }
    Ok(changed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hooks_name_the_bot_and_the_update() {
        assert_eq!(parse_hook(&hook(5, 17)), Some((5, 17)));
        assert_eq!(parse_hook("notify-hook:3"), None);
        let body: serde_json::Value = serde_json::from_str(&update_body(3, "message", r#"{"message_id":1}"#)).unwrap();
        assert_eq!(body, serde_json::json!({"update_id": 3, "message": {"message_id": 1}}));
    }
}
