//! The outbox and its relay, for any module that publishes logged events: a change writes its
//! events and one `outbox` row per event in its own transaction; after the commit the relay
//! publishes them to the bus, in order per topic, at least once, and gives each a position in
//! the module's event stream, which other modules consume durably ([`crate::stream`]).
//!
//! The module has two tables (the chats' migrations 0002 to 0004 are the model): `outbox`, with
//! `id` (increasing, never reused), `topic` and `key` (which log the event is in: the module
//! maps them to a bus topic), `pts`, `control`, `trace` and `created_at`; and the append-only
//! `stream`, with `position` (its primary key), `topic`, `key`, `pts` and `relayed_at`. The
//! payload and kind usually live in the module's event log, so the module gives the `SELECT`s
//! that join them in ([`OutboxSource`]). Rows of one topic must get their outbox ids in that
//! topic's commit order: every change to a topic holds a lock on it (PostgreSQL) or the single
//! writer (SQLite).
//!
//! The relay reads outbox rows in id order and publishes them. A crash between commit and
//! publish leaves rows the next drain publishes; a crash just after publishing publishes them
//! again, which JetStream deduplicates by event id and subscribers drop by pts. What the
//! consumers of the module's event stream read depends on the dialect:
//!
//! - On SQLite this process is the only writer, so outbox ids become visible in commit order
//!   and serve as positions: the outbox itself is the stream, and a send pays nothing more
//!   for it. The relay keeps its place in `stream_cursors` (as `_relay`, written in the
//!   background once per drain, so a busy write queue never delays the next publish), and
//!   published rows stay until pruned with the module's log.
//! - On PostgreSQL ids are not handed out in commit order, so the relay moves published rows
//!   into `stream` with a position (`id` plus an offset that puts them after every earlier
//!   one), deleting them from the outbox in the same transaction: each event enters the stream
//!   once. Every process running the module shares the tables; a transaction-scoped advisory
//!   lock lets one drain at a time, so per-topic order and positions follow commit order across
//!   processes. A process that finds the lock taken retries shortly (the holder may have read
//!   before our commit).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::Duration;

use futures::future::BoxFuture;
use hybrid_bus::{Bus, Bytes, Control, Envelope, Topic};
use hybrid_store::{Db, Dialect, Sql, params};
use tokio::sync::Notify;

use crate::stream::{EventStream, StreamBatch, StreamEvent, wake_consumers};
use crate::{ApiError, ApiResult, Shutdown, Worker, now_ms};

/// What the generic relay and stream need to know of a module's outbox.
pub trait OutboxSource: Send + Sync + 'static {
    /// Outbox rows after id `$1`, at most `$2`, in id order, with the columns
    /// `id, topic, key, pts, control, trace, payload, refers_to` (`payload` NULL when its
    /// event is gone).
    fn pending_sql(&self) -> &'static str;
    /// Stream rows with a position above `$1`, at most `$2`, in position order, with the
    /// columns `position, topic, key, pts, kind, payload, refers_to`: read from `stream`, or on
    /// SQLite from `outbox`, whose `id` is the position there.
    fn stream_sql(&self, table: StreamTable) -> &'static str;
    /// The bus topic of a row's `topic` and `key`; `None` skips the row.
    fn topic(&self, topic: i64, key: i64) -> Option<Topic>;
    /// Whether the relay publishes the events to the bus; `false` for a module whose events
    /// only its stream's consumers read (they decide who hears of them).
    fn publishes(&self) -> bool {
        true
    }
    /// Completes the events whose stored payload only refers to an object (`refers_to` not
    /// NULL) with the object's current state, in the transaction the rows were read in. A log
    /// that keeps references instead of copies loses an object's content when the object is
    /// deleted: nothing published or streamed later can bring it back.
    fn render<'a, 'b: 'a>(&'a self, sql: &'a mut Sql<'b>, events: &'a mut [Referent]) -> BoxFuture<'a, ApiResult<()>> {
        let _ = (sql, events);
        Box::pin(async { Ok(()) })
    }
}

/// An event whose stored payload refers to an object; [`OutboxSource::render`] replaces the
/// payload with what is delivered.
#[derive(Debug)]
pub struct Referent {
    pub topic: i64,
    pub key: i64,
    pub refers_to: i64,
    pub payload: String,
}

/// Renders the referring payloads among `rows` in place.
async fn render_rows<'r>(
    source: &dyn OutboxSource,
    sql: &mut Sql<'_>,
    rows: impl Iterator<Item = (i64, i64, Option<i64>, &'r mut Option<String>)>,
) -> ApiResult<()> {
    let (mut slots, mut referents) = (Vec::new(), Vec::new());
    for (topic, key, refers_to, payload) in rows {
        if let (Some(refers_to), Some(stored)) = (refers_to, payload.as_mut()) {
            referents.push(Referent {
                topic,
                key,
                refers_to,
                payload: std::mem::take(stored),
            });
            slots.push(payload);
        }
    }
    if referents.is_empty() {
        return Ok(());
    }
    source.render(sql, &mut referents).await?;
    for (slot, referent) in slots.into_iter().zip(referents) {
        *slot = Some(referent.payload);
    }
    Ok(())
}

/// Where a module's event stream is read from (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StreamTable {
    /// SQLite: the outbox, by id.
    Outbox,
    /// PostgreSQL: the stream table, by position.
    Stream,
}

/// The relay's own place in `stream_cursors` (SQLite): the last outbox id it published.
const RELAY_CURSOR: &str = "_relay";

/// Rows published per drain.
const BATCH: i64 = 512;
/// Drains this often without a wake-up: rows other processes committed, retries.
const SWEEP: Duration = Duration::from_secs(1);
/// Wait before trying again while another process holds the relay lock.
const BUSY_RETRY: Duration = Duration::from_millis(25);
/// Longest a drain waits for the bus to take its events. On PostgreSQL the drain holds a
/// transaction (and the relay lock) meanwhile, so it must not wait out a whole NATS outage.
const PUBLISH_TIMEOUT: Duration = Duration::from_secs(5);
/// Most events one stream read returns.
const MAX_READ: u32 = 1000;

/// A module's outbox relay; also its event stream for consumers in other modules.
pub struct Relay {
    /// The module: metrics label, wake-up topic of its consumers, relay lock key.
    producer: &'static str,
    db: Db,
    bus: Arc<dyn Bus>,
    source: Arc<dyn OutboxSource>,
    wake: Notify,
    /// SQLite: the last outbox id published.
    cursor: AtomicI64,
    /// SQLite: the cursor as saved in `stream_cursors`.
    saved: AtomicI64,
    /// SQLite: a save is queued; another waits for it.
    saving: AtomicBool,
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

struct PendingRow {
    id: i64,
    topic: i64,
    key: i64,
    pts: i64,
    control: Option<String>,
    trace: Option<String>,
    payload: Option<String>,
    refers_to: Option<i64>,
}

hybrid_store::from_row!(PendingRow {
    id,
    topic,
    key,
    pts,
    control,
    trace,
    payload,
    refers_to,
});

struct StreamRow {
    position: i64,
    topic: i64,
    key: i64,
    pts: i64,
    kind: Option<String>,
    payload: Option<String>,
    refers_to: Option<i64>,
}

hybrid_store::from_row!(StreamRow {
    position,
    topic,
    key,
    pts,
    kind,
    payload,
    refers_to,
});

impl Relay {
    pub fn new(producer: &'static str, db: Db, bus: Arc<dyn Bus>, source: Arc<dyn OutboxSource>) -> Arc<Relay> {
        Arc::new(Relay {
            producer,
            db,
            bus,
            source,
            wake: Notify::new(),
            cursor: AtomicI64::new(0),
            saved: AtomicI64::new(0),
            saving: AtomicBool::new(false),
        })
    }

    /// A change with events has committed: drain soon.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The relay worker: drains on every wake-up and every second until shutdown, then once
    /// more.
    pub fn worker(self: &Arc<Self>) -> Worker {
        let relay = self.clone();
        Worker::new("relay", move |shutdown| relay.clone().run(shutdown))
    }

    async fn run(self: Arc<Self>, mut shutdown: Shutdown) -> anyhow::Result<()> {
        if self.db.dialect() == Dialect::Sqlite {
            // where the last run stopped (rows after it are published again: at least once)
            let saved: Option<(i64,)> = self
                .db
                .reads()
                .fetch_optional(
                    "SELECT position FROM stream_cursors WHERE consumer = $1",
                    params![RELAY_CURSOR],
                )
                .await?;
            let saved = saved.map_or(0, |(position,)| position);
            self.cursor.fetch_max(saved, Ordering::AcqRel);
            self.saved.fetch_max(saved, Ordering::AcqRel);
        }
        let mut backoff = Duration::from_millis(50);
        loop {
            let pause = match self.drain().await {
                Ok(Drained::More) => continue,
                // Another process drains; it may have read before our commit, so look again soon.
                Ok(Drained::Busy) => Some(BUSY_RETRY),
                Ok(Drained::Done) => {
                    backoff = Duration::from_millis(50);
                    None
                }
                Err(err) => {
                    tracing::warn!(producer = self.producer, error = %err.message, retry_ms = backoff.as_millis() as u64, "relaying events failed");
                    metrics::counter!("relay_errors_total", "producer" => self.producer).increment(1);
                    let pause = backoff;
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    Some(pause)
                }
            };
            tokio::select! {
                _ = self.wake.notified(), if pause.is_none() => {}
                _ = tokio::time::sleep(pause.unwrap_or(SWEEP)) => {}
                _ = shutdown.wait() => break,
            }
        }
        // What committed while the server was stopping.
        let _ = tokio::time::timeout(Duration::from_secs(5), self.drain()).await;
        Ok(())
    }

    async fn drain(self: &Arc<Self>) -> ApiResult<Drained> {
        match self.db.dialect() {
            Dialect::Sqlite => {
                // The reader sees only committed rows; this process is the only writer.
                let rows = self
                    .pending(&mut self.db.reads(), self.cursor.load(Ordering::Acquire))
                    .await?;
                let drained = self.publish(&rows).await?;
                if let Some(last) = rows.last() {
                    self.cursor.store(last.id, Ordering::Release);
                }
                self.save_cursor();
                Ok(drained)
            }
            Dialect::Postgres => {
                let relay = self.clone();
                let (drained, relayed) = self
                    .db
                    .write(move |tx| {
                        Box::pin(async move {
                            let lock = "SELECT CASE WHEN pg_try_advisory_xact_lock(hashtext($1)) THEN 1 ELSE 0 END";
                            let name = format!("hybrid {} relay", relay.producer);
                            let (locked,): (bool,) = tx.fetch_one(lock, params![name]).await?;
                            if !locked {
                                return Ok((Drained::Busy, false));
                            }
                            let rows = relay.pending(tx, 0).await?;
                            let drained = relay.publish(&rows).await?;
                            if let Some(first) = rows.first() {
                                let (last,): (i64,) = tx
                                    .fetch_one("SELECT COALESCE(MAX(position), 0) FROM stream", params![])
                                    .await?;
                                // positions after every earlier one, in id order
                                let offset = (last + 1 - first.id).max(0);
                                let ids = hybrid_store::id_list(rows.iter().map(|row| row.id));
                                let moved = format!(
                                    "INSERT INTO stream (position, topic, key, pts, relayed_at) \
                                     SELECT id + $1, topic, key, pts, $2 FROM outbox WHERE id IN ({ids})"
                                );
                                tx.execute(&moved, params![offset, now_ms()]).await?;
                                let delete = format!("DELETE FROM outbox WHERE id IN ({ids})");
                                tx.execute(&delete, params![]).await?;
                            }
                            Ok::<_, ApiError>((drained, !rows.is_empty()))
                        })
                    })
                    .await?;
                if relayed {
                    wake_consumers(self.bus.as_ref(), self.producer);
                }
                Ok(drained)
            }
        }
    }

    async fn pending(&self, sql: &mut Sql<'_>, after: i64) -> ApiResult<Vec<PendingRow>> {
        let mut rows: Vec<PendingRow> = sql.fetch_all(self.source.pending_sql(), params![after, BATCH]).await?;
        let referring = rows
            .iter_mut()
            .map(|row| (row.topic, row.key, row.refers_to, &mut row.payload));
        render_rows(self.source.as_ref(), sql, referring).await?;
        Ok(rows)
    }

    /// SQLite: saves the relay's place in the background, one save queued at a time; each
    /// drain (at least every second) saves what earlier ones left. Consumers of the stream are
    /// woken then.
    fn save_cursor(self: &Arc<Self>) {
        let up_to = self.cursor.load(Ordering::Acquire);
        if up_to <= self.saved.load(Ordering::Acquire) || self.saving.swap(true, Ordering::AcqRel) {
            return;
        }
        let relay = self.clone();
        tokio::spawn(async move {
            let saved = relay
                .db
                .write(move |tx| {
                    Box::pin(async move {
                        let sql = "INSERT INTO stream_cursors (consumer, position, updated_at) VALUES ($1, $2, $3) \
                                   ON CONFLICT (consumer) DO UPDATE SET position = excluded.position, \
                                   updated_at = excluded.updated_at";
                        tx.execute(sql, params![RELAY_CURSOR, up_to, now_ms()]).await
                    })
                })
                .await;
            match saved {
                Ok(_) => {
                    relay.saved.store(up_to, Ordering::Release);
                    wake_consumers(relay.bus.as_ref(), relay.producer);
                }
                Err(err) => tracing::warn!(error = %err, "saving the relay's place failed; retried on the next drain"),
            }
            relay.saving.store(false, Ordering::Release);
        });
    }

    /// Drops stream rows relayed (on SQLite: outbox rows published and made) before `cutoff`
    /// (Unix ms), as the module prunes its log. Positions and times grow together, so this
    /// reads only the rows it deletes.
    pub async fn prune(&self, cutoff: i64) -> ApiResult<u64> {
        let pruned = match self.db.dialect() {
            Dialect::Sqlite => {
                let published = self.saved.load(Ordering::Acquire);
                let sql = "DELETE FROM outbox WHERE id <= $2 AND id < COALESCE(\
                           (SELECT id FROM outbox WHERE created_at >= $1 ORDER BY id LIMIT 1), $2 + 1)";
                self.db.execute(sql, hybrid_store::values![cutoff, published]).await?
            }
            Dialect::Postgres => {
                let sql = "DELETE FROM stream WHERE position < COALESCE(\
                           (SELECT position FROM stream WHERE relayed_at >= $1 ORDER BY position LIMIT 1), \
                           (SELECT COALESCE(MAX(position), 0) + 1 FROM stream))";
                self.db.execute(sql, hybrid_store::values![cutoff]).await?
            }
        };
        Ok(pruned)
    }

    /// Publishes the rows' events in order; rows whose event was pruned meanwhile are skipped.
    async fn publish(&self, rows: &[PendingRow]) -> ApiResult<Drained> {
        let envelopes: Vec<Envelope> = rows
            .iter()
            .filter(|_| self.source.publishes())
            .filter_map(|row| {
                Some(Envelope {
                    topic: self.source.topic(row.topic, row.key)?,
                    pts: Some(row.pts),
                    payload: Bytes::from(row.payload.clone()?),
                    control: row.control.as_deref().map(Control::new),
                    trace: row.trace.as_deref().map(Arc::from),
                })
            })
            .collect();
        if !envelopes.is_empty() {
            tokio::time::timeout(PUBLISH_TIMEOUT, self.bus.publish_logged(&envelopes))
                .await
                .map_err(|_| ApiError::unavailable("the event bus did not take the events in time"))?
                .map_err(|e| ApiError::unavailable(e.to_string()))?;
            metrics::counter!("relay_published_total", "producer" => self.producer).increment(envelopes.len() as u64);
        }
        Ok(if rows.len() as i64 == BATCH {
            Drained::More
        } else {
            Drained::Done
        })
    }
}

impl EventStream for Relay {
    fn read(&self, after: i64, limit: u32) -> BoxFuture<'_, ApiResult<StreamBatch>> {
        Box::pin(async move {
            let (bounds, table) = match self.db.dialect() {
                Dialect::Sqlite => (
                    "SELECT COALESCE(MAX(id), 0), COALESCE(MIN(id), 0) FROM outbox",
                    StreamTable::Outbox,
                ),
                Dialect::Postgres => (
                    "SELECT COALESCE(MAX(position), 0), COALESCE(MIN(position), 0) FROM stream",
                    StreamTable::Stream,
                ),
            };
            let mut reads = self.db.reads();
            let (head, oldest): (i64, i64) = reads.fetch_one(bounds, params![]).await?;
            let mut rows: Vec<StreamRow> = reads
                .fetch_all(
                    self.source.stream_sql(table),
                    params![after, limit.clamp(1, MAX_READ) as i64],
                )
                .await?;
            let referring = rows
                .iter_mut()
                .map(|row| (row.topic, row.key, row.refers_to, &mut row.payload));
            render_rows(self.source.as_ref(), &mut reads, referring).await?;
            let events = rows
                .into_iter()
                // an event pruned from the log a moment before its stream row
                .filter_map(|row| {
                    Some(StreamEvent {
                        position: row.position,
                        topic: self.source.topic(row.topic, row.key)?,
                        pts: row.pts,
                        kind: row.kind?,
                        payload: row.payload?,
                    })
                })
                .collect();
            Ok(StreamBatch { events, head, oldest })
        })
    }
}
