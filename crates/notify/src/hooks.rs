//! Outgoing webhooks (the legacy "webhook channel"): a user's URL gets each new entry of theirs
//! (or of one chat) as `notification.new`, and `notification.removed` when entries go (their
//! message deleted, the chat left), through the webhooks component (`hybrid_core::webhooks`):
//! signed with the hook's secret, retried with backoff, every attempt in a delivery log. A
//! hook whose deliveries fail for good [`DISABLE_AFTER`] times in a row is disabled until
//! its owner turns it on again. The secret is made here, shown once, and kept sealed.

use std::sync::Arc;

use futures::future::BoxFuture;
use hybrid_core::webhooks::{self, Delivery, DeliveryLog, HookOwner};
use hybrid_core::{ApiError, ApiResult, Secrets, now_ms};
use hybrid_store::{Db, Sql, StoreError, params};

use crate::api::{DeliveryPage, NewWebhook, Notification, NotifyCode, Webhook};

/// Deliveries in a row that failed for good before a hook is disabled.
pub const DISABLE_AFTER: i64 = 3;
/// Hooks one user may have.
const MAX_HOOKS: i64 = 10;
/// What a hook's secret is sealed for.
const SECRET_CONTEXT: &str = "notify-hook";

/// The webhooks component's name for hook `id`.
fn key(id: i64) -> String {
    format!("notify-hook:{id}")
}

fn id_of(key: &str) -> Option<i64> {
    key.strip_prefix("notify-hook:")?.parse().ok()
}

type HookRow = (i64, i64, String, i64, i64, i64);
const HOOK_COLUMNS: &str = "id, chat_id, url, created_at, failures, disabled_at";

fn webhook((id, chat_id, url, created_at, failures, disabled_at): HookRow, secret: Option<String>) -> Webhook {
    Webhook {
        id,
        url,
        chat_id: (chat_id != 0).then_some(chat_id),
        created_at,
        failures,
        disabled_at: (disabled_at != 0).then_some(disabled_at),
        secret,
    }
}

/// Queues `event` with `body` to each active hook of `user_id` that hears `chat_id`, in the
/// caller's transaction (the consumer's: the delivery commits with the entry).
async fn queue(tx: &mut Sql<'_>, user_id: i64, chat_id: i64, event: &str, body: &serde_json::Value) -> ApiResult<()> {
    let hooks: Vec<(i64, String)> = tx
        .fetch_all(
            "SELECT id, url FROM hooks WHERE user_id = $1 AND disabled_at = 0 AND (chat_id = 0 OR chat_id = $2) \
             ORDER BY id",
            params![user_id, chat_id],
        )
        .await?;
    if hooks.is_empty() {
        return Ok(());
    }
    let body = body.to_string();
    for (id, url) in hooks {
        let delivery = Delivery {
            hook: &key(id),
            url: &url,
            event,
            body: &body,
        };
        webhooks::enqueue(tx, &delivery, now_ms()).await?;
    }
    Ok(())
}

/// A new (or renewed) entry of `user_id`'s, to their hooks.
pub async fn queue_new(tx: &mut Sql<'_>, user_id: i64, entry: &Notification) -> ApiResult<()> {
    let body = serde_json::json!({"event": "notification.new", "user_id": user_id, "notification": entry});
    queue(tx, user_id, entry.chat_id, "notification.new", &body).await
}

/// Entries of `user_id`'s about `chat_id` that went, to their hooks: a receiver that showed
/// them withdraws them.
pub async fn queue_removed(tx: &mut Sql<'_>, user_id: i64, chat_id: i64, ids: &[i64]) -> ApiResult<()> {
    let body = serde_json::json!({"event": "notification.removed", "user_id": user_id, "chat_id": chat_id, "ids": ids});
    queue(tx, user_id, chat_id, "notification.removed", &body).await
}

/// The API over a user's hooks, and what the webhooks component asks of their owner.
pub struct Hooks {
    pub db: Db,
    pub secrets: Arc<Secrets>,
}

impl Hooks {
    pub async fn list(&self, user_id: i64) -> ApiResult<Vec<Webhook>> {
        let rows: Vec<HookRow> = self
            .db
            .reads()
            .fetch_all(
                &format!("SELECT {HOOK_COLUMNS} FROM hooks WHERE user_id = $1 ORDER BY id"),
                params![user_id],
            )
            .await?;
        Ok(rows.into_iter().map(|row| webhook(row, None)).collect())
    }

    /// Adds a hook (`chat_id` already checked to be one of the user's chats): it, with its
    /// secret, which is not shown again.
    pub async fn add(&self, user_id: i64, new: NewWebhook) -> ApiResult<Webhook> {
        let url = new.url.trim().to_owned();
        if url.len() > 2048 || !(url.starts_with("https://") || url.starts_with("http://")) {
            return Err(ApiError::validation(
                "url",
                "must be an http(s) URL of at most 2048 characters",
            ));
        }
        let secret = hybrid_core::secrets::random_token("whsec_");
        let sealed = self.secrets.seal(SECRET_CONTEXT, secret.as_bytes());
        let chat_id = new.chat_id.unwrap_or(0);
        let row = self
            .db
            .write(move |tx| {
                Box::pin(async move {
                    let (count,): (i64,) = tx
                        .fetch_one("SELECT COUNT(*) FROM hooks WHERE user_id = $1", params![user_id])
                        .await?;
                    if count >= MAX_HOOKS {
                        return Err(ApiError::new(
                            NotifyCode::TooManyWebhooks,
                            format!("you have {MAX_HOOKS} webhooks, the most one may: remove one first"),
                        ));
                    }
                    let row: HookRow = tx
                        .fetch_one(
                            &format!(
                                "INSERT INTO hooks (user_id, chat_id, url, sealed_secret, created_at) \
                                 VALUES ($1, $2, $3, $4, $5) RETURNING {HOOK_COLUMNS}"
                            ),
                            params![user_id, chat_id, url, sealed, now_ms()],
                        )
                        .await?;
                    Ok(row)
                })
            })
            .await?;
        Ok(webhook(row, Some(secret)))
    }

    pub async fn remove(&self, user_id: i64, id: i64) -> ApiResult<()> {
        let removed = self
            .db
            .execute(
                "DELETE FROM hooks WHERE id = $1 AND user_id = $2",
                hybrid_store::values![id, user_id],
            )
            .await?;
        match removed {
            0 => Err(ApiError::not_found("webhook")),
            _ => Ok(()),
        }
    }

    /// Turns a disabled hook on again, its failures forgotten.
    pub async fn enable(&self, user_id: i64, id: i64) -> ApiResult<Webhook> {
        let row: Option<HookRow> = self
            .db
            .write(move |tx| {
                Box::pin(async move {
                    tx.fetch_optional(
                        &format!(
                            "UPDATE hooks SET failures = 0, disabled_at = 0 WHERE id = $1 AND user_id = $2 \
                             RETURNING {HOOK_COLUMNS}"
                        ),
                        params![id, user_id],
                    )
                    .await
                })
            })
            .await?;
        row.map(|row| webhook(row, None))
            .ok_or_else(|| ApiError::not_found("webhook"))
    }

    /// A page of hook `id`'s deliveries, newest first, each with its attempts.
    pub async fn deliveries(&self, user_id: i64, id: i64, before: Option<i64>, limit: i64) -> ApiResult<DeliveryPage> {
        let mut reads = self.db.reads();
        let owner: Option<(i64,)> = reads
            .fetch_optional("SELECT user_id FROM hooks WHERE id = $1", params![id])
            .await?;
        if owner.is_none_or(|(owner,)| owner != user_id) {
            return Err(ApiError::not_found("webhook"));
        }
        let mut items: Vec<DeliveryLog> = webhooks::log(&mut reads, &key(id), before, limit + 1).await?;
        let next_cursor = (items.len() as i64 > limit).then(|| {
            items.truncate(limit as usize);
            items.last().map_or_else(String::new, |d| d.id.to_string())
        });
        Ok(DeliveryPage { items, next_cursor })
    }
}

impl HookOwner for Hooks {
    fn secret(&self, hook: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        let id = id_of(hook);
        Box::pin(async move {
            let Some(id) = id else { return Ok(None) };
            // a disabled hook's queued deliveries fail too: it is off until turned on
            let sealed: Option<(Vec<u8>,)> = self
                .db
                .reads()
                .fetch_optional(
                    "SELECT sealed_secret FROM hooks WHERE id = $1 AND disabled_at = 0",
                    params![id],
                )
                .await?;
            let Some((sealed,)) = sealed else { return Ok(None) };
            let secret = self
                .secrets
                .open(SECRET_CONTEXT, &sealed)
                .map_err(|e| StoreError::Decode(e.to_string()))?;
            Ok(Some(secret))
        })
    }

    fn finished(&self, hook: &str, delivered: bool) -> BoxFuture<'_, Result<(), StoreError>> {
        let id = id_of(hook);
        Box::pin(async move {
            let Some(id) = id else { return Ok(()) };
            if delivered {
                self.db
                    .execute("UPDATE hooks SET failures = 0 WHERE id = $1", hybrid_store::values![id])
                    .await?;
            } else {
                self.db
                    .execute(
                        "UPDATE hooks SET failures = failures + 1, disabled_at = CASE \
                         WHEN disabled_at = 0 AND failures + 1 >= $2 THEN $3 ELSE disabled_at END WHERE id = $1",
                        hybrid_store::values![id, DISABLE_AFTER, now_ms()],
                    )
                    .await?;
            }
            Ok(())
        })
    }
}

/// Seals every hook's secret again under the current master key: how many changed.
pub async fn reseal(db: &Db, secrets: &Secrets) -> anyhow::Result<usize> {
    let rows: Vec<(i64, Vec<u8>)> = db
        .reads()
        .fetch_all("SELECT id, sealed_secret FROM hooks ORDER BY id", params![])
        .await?;
    let mut changed = 0;
    for (id, sealed) in rows {
        if let Some(resealed) = secrets.reseal(SECRET_CONTEXT, &sealed)? {
            db.execute(
                "UPDATE hooks SET sealed_secret = $2 WHERE id = $1",
                hybrid_store::values![id, resealed],
            )
            .await?;
            changed += 1;
        }
    }
    Ok(changed)
}
