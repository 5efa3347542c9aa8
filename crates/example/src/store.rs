//! All of the example's SQL.

use futures::future::BoxFuture;
use hybrid_core::ApiResult;
use hybrid_core::stream::StreamEvent;
use hybrid_store::{Db, Sql, params};

use crate::api::Seen;

hybrid_store::from_row!(Seen {
    position,
    namespace,
    topic_id,
    pts,
    kind
});

/// The consumer's handler: each event into `seen`, in the consumer's transaction.
pub fn record<'a, 'c>(tx: &'a mut Sql<'c>, events: &'a [StreamEvent]) -> BoxFuture<'a, ApiResult<()>> {
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
        Ok(())
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

pub async fn add_notice(db: &Db, user_id: i64, frame: String) -> ApiResult<()> {
    db.write(move |tx| Box::pin(async move { insert_notice(tx, user_id, &frame).await }))
        .await
}

/// Keeps a notice inside a write (a job's, with its completion).
pub async fn insert_notice(tx: &mut Sql<'_>, user_id: i64, frame: &str) -> ApiResult<()> {
    let sql = "INSERT INTO notices (user_id, frame) VALUES ($1, $2)";
    tx.execute(sql, params![user_id, frame]).await?;
    Ok(())
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
