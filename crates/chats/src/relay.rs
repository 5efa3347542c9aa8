//! The outbox relay: publishes logged events to the bus after their commit, in order per
//! topic, at least once.
//!
//! A change writes its events and one `outbox` row per event in its transaction. The relay
//! reads committed rows in id order — a chat's rows get their ids in the chat's commit order,
//! because every change to a chat holds the chat's row lock (PostgreSQL) or the single writer
//! (SQLite) — publishes them, then deletes them. A crash between commit and publish leaves rows
//! the next drain publishes; a crash between publish and delete publishes them again, which
//! JetStream deduplicates by event id and realtime nodes drop by pts.
//!
//! On PostgreSQL every process running chats shares the table: a transaction-scoped advisory
//! lock lets one drain at a time, so per-chat order holds across processes. A process that finds
//! the lock taken retries shortly (the holder may have read before our commit).
//!
//! On SQLite this process is the only writer, so outbox ids become visible in order: the relay
//! keeps a cursor and deletes what it relayed in the background (`id <= cursor`), so that a busy
//! write queue delays only the clean-up, never the next publish.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use hybrid_core::bus::{Bus, Bytes, Control, Envelope};
use hybrid_core::{ApiError, ApiResult, Shutdown};
use hybrid_store::Dialect;
use hybrid_store::{Sql, params};
use tokio::sync::Notify;

use crate::Chats;
use crate::events::{CHAT_LOG, USER_LOG};

/// Rows published per drain.
const BATCH: i64 = 512;
/// `pg_try_advisory_xact_lock` key of the relay ("hybrid" + 1).
const LOCK_KEY: i64 = 0x6879_6272_6964_0001;
/// Drains this often without a wake-up: rows other processes committed, retries.
const SWEEP: Duration = Duration::from_secs(1);
/// Wait before trying again while another process holds the relay lock.
const BUSY_RETRY: Duration = Duration::from_millis(25);
/// Longest a drain waits for the bus to take its events. On PostgreSQL the drain holds a
/// transaction (and the relay lock) meanwhile, so it must not wait out a whole NATS outage.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Default)]
pub struct Relay {
    wake: Notify,
    /// SQLite: the last outbox id published (0 after a start: everything left is published).
    cursor: AtomicI64,
    /// SQLite: outbox rows up to this id are deleted.
    trimmed: AtomicI64,
    /// SQLite: a clean-up delete is queued; another waits for it.
    trimming: AtomicBool,
}

impl Relay {
    /// A change with events has committed: drain soon.
    pub fn wake(&self) {
        self.wake.notify_one();
    }
}

#[derive(Debug, PartialEq)]
enum Drained {
    /// Published a full batch; there may be more.
    More,
    /// Nothing left (as far as this process can tell).
    Done,
    /// Another process holds the relay lock.
    Busy,
}

struct OutboxRow {
    id: i64,
    topic: i64,
    key: i64,
    pts: i64,
    control: Option<String>,
    trace: Option<String>,
    payload: Option<String>,
}

hybrid_store::from_row!(OutboxRow {
    id,
    topic,
    key,
    pts,
    control,
    trace,
    payload,
});

const SELECT: &str = "SELECT o.id, o.topic, o.key, o.pts, o.control, o.trace, COALESCE(e.payload, u.payload) AS payload \
    FROM outbox o \
    LEFT JOIN events e ON o.topic = 0 AND e.chat_id = o.key AND e.pts = o.pts \
    LEFT JOIN user_events u ON o.topic = 1 AND u.user_id = o.key AND u.pts = o.pts \
    WHERE o.id > $1 ORDER BY o.id LIMIT $2";

/// The relay worker: drains on every wake-up and every second until shutdown, then once more.
pub async fn run(chats: Arc<Chats>, mut shutdown: Shutdown) -> anyhow::Result<()> {
    let mut backoff = Duration::from_millis(50);
    loop {
        let pause = match drain(&chats).await {
            Ok(Drained::More) => continue,
            // Another process drains; it may have read before our commit, so look again soon.
            Ok(Drained::Busy) => Some(BUSY_RETRY),
            Ok(Drained::Done) => {
                backoff = Duration::from_millis(50);
                None
            }
            Err(err) => {
                tracing::warn!(error = %err.message, retry_ms = backoff.as_millis() as u64, "relaying events failed");
                metrics::counter!("chats_relay_errors_total").increment(1);
                let pause = backoff;
                backoff = (backoff * 2).min(Duration::from_secs(5));
                Some(pause)
            }
        };
        tokio::select! {
            _ = chats.relay.wake.notified(), if pause.is_none() => {}
            _ = tokio::time::sleep(pause.unwrap_or(SWEEP)) => {}
            _ = shutdown.wait() => break,
        }
    }
    // What committed while the server was stopping.
    let _ = tokio::time::timeout(Duration::from_secs(5), drain(&chats)).await;
    Ok(())
}

async fn drain(chats: &Chats) -> ApiResult<Drained> {
    match chats.db.dialect() {
        Dialect::Sqlite => {
            // The reader sees only committed rows; this process is the only writer.
            let relay = &chats.relay;
            let rows = pending(&mut chats.db.reads(), relay.cursor.load(Ordering::Acquire)).await?;
            let drained = publish(chats.bus.as_ref(), &rows).await?;
            if let Some(last) = rows.last() {
                relay.cursor.store(last.id, Ordering::Release);
            }
            trim(chats);
            Ok(drained)
        }
        Dialect::Postgres => {
            let bus = chats.bus.clone();
            chats
                .db
                .write_tx(move |tx| {
                    Box::pin(async move {
                        let lock = "SELECT CASE WHEN pg_try_advisory_xact_lock($1) THEN 1 ELSE 0 END";
                        let (locked,): (bool,) = tx.fetch_one(lock, params![LOCK_KEY]).await?;
                        if !locked {
                            return Ok(Drained::Busy);
                        }
                        let rows = pending(tx, 0).await?;
                        let drained = publish(bus.as_ref(), &rows).await?;
                        if !rows.is_empty() {
                            tx.execute(&delete_sql(&rows), params![]).await?;
                        }
                        Ok::<_, ApiError>(drained)
                    })
                })
                .await
        }
    }
}

async fn pending(sql: &mut Sql<'_>, after: i64) -> ApiResult<Vec<OutboxRow>> {
    Ok(sql.fetch_all(SELECT, params![after, BATCH]).await?)
}

/// SQLite: deletes relayed rows in the background, one delete queued at a time; each drain
/// (at least every second) trims what earlier ones left.
fn trim(chats: &Chats) {
    let relay = &chats.relay;
    let up_to = relay.cursor.load(Ordering::Acquire);
    if up_to <= relay.trimmed.load(Ordering::Acquire) || relay.trimming.swap(true, Ordering::AcqRel) {
        return;
    }
    let db = chats.db.clone();
    let relay = relay.clone();
    tokio::spawn(async move {
        let trimmed = db
            .write_tx(move |tx| {
                Box::pin(async move { tx.execute("DELETE FROM outbox WHERE id <= $1", params![up_to]).await })
            })
            .await;
        match trimmed {
            Ok(_) => relay.trimmed.store(up_to, Ordering::Release),
            Err(err) => tracing::warn!(error = %err, "trimming the outbox failed; retried on the next drain"),
        }
        relay.trimming.store(false, Ordering::Release);
    });
}

/// Publishes the rows' events in order; rows whose event was pruned meanwhile are skipped.
async fn publish(bus: &dyn Bus, rows: &[OutboxRow]) -> ApiResult<Drained> {
    let envelopes: Vec<Envelope> = rows
        .iter()
        .filter_map(|row| {
            let topic = match row.topic {
                CHAT_LOG => hybrid_realtime_api::chat(row.key),
                USER_LOG => hybrid_realtime_api::user(row.key),
                _ => return None,
            };
            Some(Envelope {
                topic,
                pts: Some(row.pts),
                payload: Bytes::from(row.payload.clone()?),
                control: row.control.as_deref().map(Control::new),
                trace: row.trace.as_deref().map(Arc::from),
            })
        })
        .collect();
    if !envelopes.is_empty() {
        tokio::time::timeout(PUBLISH_TIMEOUT, bus.publish_logged(&envelopes))
            .await
            .map_err(|_| ApiError::unavailable("the event bus did not take the events in time"))?
            .map_err(|e| ApiError::unavailable(e.to_string()))?;
        metrics::counter!("chats_relay_published_total").increment(envelopes.len() as u64);
    }
    Ok(if rows.len() as i64 == BATCH {
        Drained::More
    } else {
        Drained::Done
    })
}

fn delete_sql(rows: &[OutboxRow]) -> String {
    let ids = hybrid_store::id_list(rows.iter().map(|row| row.id));
    format!("DELETE FROM outbox WHERE id IN ({ids})")
}
