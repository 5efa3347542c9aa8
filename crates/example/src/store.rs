//! All of the example's SQL.

use futures::future::BoxFuture;
use hybrid_core::bus::Envelope;
use hybrid_core::stream::StreamEvent;
use hybrid_core::webhooks::{self, Delivery, DeliveryLog, HookOwner};
use hybrid_core::{ApiError, ApiResult};
use hybrid_store::{Db, Sql, StoreError, params};

use crate::api::Seen;

hybrid_store::from_row!(Seen {
    position,
    namespace,
    topic_id,
    pts,
    kind
});

/// The consumer's handler: each event into `seen`, in the consumer's transaction.
pub fn record<'a, 'c>(tx: &'a mut Sql<'c>, events: &'a [StreamEvent]) -> BoxFuture<'a, ApiResult<Vec<Envelope>>> {
    Box::pin(async move {
        for event in events {
            tx.execute(
                "INSERT INTO seen (position, namespace, topic_id, pts, kind) VALUES ($1, $2, $3, $4, $5)",
                params![
                    event.position,
                    event.topic.namespace,
                    event.topic.id,
                    event.pts,
                    event.kind.as_str()
                ],
            )
            .await?;
        }
        Ok(Vec::new())
    })
}

pub async fn seen_count(db: &Db) -> ApiResult<i64> {
    let (count,): (i64,) = db.reads().fetch_one("SELECT COUNT(*) FROM seen", params![]).await?;
    Ok(count)
}

pub async fn seen(db: &Db) -> ApiResult<Vec<Seen>> {
    Ok(db
        .reads()
        .fetch_all(
            "SELECT position, namespace, topic_id, pts, kind FROM seen ORDER BY position",
            params![],
        )
        .await?)
}

pub async fn add_notice(db: &Db, user_id: i64, frame: String, text: String, now: i64) -> ApiResult<()> {
    db.write(move |tx| Box::pin(async move { insert_notice(tx, user_id, &frame, &text, now).await }))
        .await
}

/// Keeps a notice inside a write (a job's, with its completion), and a delivery of it to
/// each of the user's webhooks.
pub async fn insert_notice(tx: &mut Sql<'_>, user_id: i64, frame: &str, text: &str, now: i64) -> ApiResult<()> {
    let sql = "INSERT INTO notices (user_id, frame) VALUES ($1, $2)";
    tx.execute(sql, params![user_id, frame]).await?;
    let hooks: Vec<(i64, String)> = tx
        .fetch_all(
            "SELECT id, url FROM hooks WHERE user_id = $1 ORDER BY id",
            params![user_id],
        )
        .await?;
    let body = serde_json::json!({"event": "example.notice", "user_id": user_id, "text": text}).to_string();
    for (id, url) in hooks {
        let delivery = Delivery {
            hook: &hook_key(id),
            url: &url,
            event: "example.notice",
            body: &body,
        };
        webhooks::enqueue(tx, &delivery, now).await?;
    }
    Ok(())
}

/// The webhooks crate's name for hook `id`.
fn hook_key(id: i64) -> String {
    format!("hook:{id}")
}

pub async fn add_hook(db: &Db, user_id: i64, url: String, secret: String, now: i64) -> ApiResult<i64> {
    db.write(move |tx| {
        Box::pin(async move {
            let (id,): (i64,) = tx
                .fetch_one(
                    "INSERT INTO hooks (user_id, url, secret, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
                    params![user_id, &url, &secret, now],
                )
                .await?;
            Ok(id)
        })
    })
    .await
}

/// The deliveries of `user_id`'s hook `id`, newest first; 404 for another's hook.
pub async fn deliveries(db: &Db, user_id: i64, id: i64, limit: i64) -> ApiResult<Vec<DeliveryLog>> {
    let mut reads = db.reads();
    let owner: Option<(i64,)> = reads
        .fetch_optional("SELECT user_id FROM hooks WHERE id = $1", params![id])
        .await?;
    if owner.is_none_or(|(owner,)| owner != user_id) {
        return Err(ApiError::not_found("hook"));
    }
    Ok(webhooks::log(&mut reads, &hook_key(id), None, limit).await?)
}

/// The hooks' secrets, as the webhooks crate signs with them.
pub struct HooksInDb(pub Db);

impl HookOwner for HooksInDb {
    fn secret(&self, hook: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>> {
        let id: Option<i64> = hook.strip_prefix("hook:").and_then(|id| id.parse().ok());
        Box::pin(async move {
            let Some(id) = id else { return Ok(None) };
            let secret: Option<(String,)> = self
                .0
                .reads()
                .fetch_optional("SELECT secret FROM hooks WHERE id = $1", params![id])
                .await?;
            Ok(secret.map(|(secret,)| secret.into_bytes()))
        })
    }
}

/// Up to `limit` of `user_id`'s notices after id `after`, oldest first.
pub async fn notices_after(db: &Db, user_id: i64, after: i64, limit: i64) -> ApiResult<Vec<(i64, String)>> {
    Ok(db
        .reads()
        .fetch_all(
            "SELECT id, frame FROM notices WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3",
            params![user_id, after, limit],
        )
        .await?)
}

pub async fn newest_notice(db: &Db, user_id: i64) -> ApiResult<i64> {
    let (newest,): (i64,) = db
        .reads()
        .fetch_one(
            "SELECT COALESCE(MAX(id), 0) FROM notices WHERE user_id = $1",
            params![user_id],
        )
        .await?;
    Ok(newest)
}
