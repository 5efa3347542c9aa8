//! Durable consumers of another module's committed events.
//!
//! A module that publishes events through an outbox (chats today) keeps every relayed event for
//! a while with a *position*: increasing in commit order, assigned by its relay. It offers them
//! to other modules as an [`EventStream`] (a direct call in one process, gRPC across processes).
//!
//! A consuming module runs a [`consume`] worker: it reads the events after its cursor and hands
//! each batch to its handler inside a transaction of its own database, in which the cursor
//! moves too. So an effect is committed exactly when its events count as consumed: nothing is
//! lost across a crash or an outage, and nothing is applied twice. The cursor lives in the
//! consumer's `stream_cursors` table (every module database has it). The worker waits on the
//! producer's wake-up topic between batches, and polls every second in case a wake-up was
//! lost; when the producer or its own database fails it logs, waits and tries again (an
//! outage is not a crash); `stream_consumer_lag{consumer}` in `/metrics` is how many positions it is behind.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use hybrid_bus::{Bus, Envelope, RecvError, Topic};
use hybrid_store::{Db, Sql, params};

use crate::{ApiError, ApiResult, Worker};

/// One committed event of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamEvent {
    /// Increasing in commit order; the consumer's cursor.
    pub position: i64,
    /// Where the event was published (a chat's topic, a user's).
    pub topic: Topic,
    /// Its place in that topic's log.
    pub pts: i64,
    /// The event kind (`message.new`).
    pub kind: String,
    /// The event as clients receive it (JSON).
    pub payload: String,
}

/// A read of a stream.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StreamBatch {
    /// Events after the position asked for, in position order.
    pub events: Vec<StreamEvent>,
    /// The highest position committed so far (0 for an empty stream).
    pub head: i64,
    /// The lowest position still kept: a cursor below `oldest - 1` missed events that were
    /// pruned (the consumer was stopped longer than the producer keeps its events).
    pub oldest: i64,
}

/// A module's committed events, offered to other modules.
pub trait EventStream: Send + Sync {
    /// Up to `limit` events with a position above `after`.
    fn read(&self, after: i64, limit: u32) -> BoxFuture<'_, ApiResult<StreamBatch>>;
}

/// The event streams this process can read, by producing service (`ctx.streams`): a producer
/// provides its own at start, and the registry adds those of producers in other processes
/// that a module here needs.
pub type EventStreams = crate::named::ByName<dyn EventStream>;

/// The topic a producer pings (an empty frame) after relaying, so consumers read at once.
pub fn wake_topic(producer: &'static str) -> Topic {
    Topic::new(producer, 0)
}

/// Tells the consumers of `producer`'s stream that new events are there.
pub fn wake_consumers(bus: &dyn Bus, producer: &'static str) {
    bus.publish(Envelope::ephemeral(wake_topic(producer), Default::default()));
}

/// What a consumer does with a batch, inside its own transaction; it answers with the frames
/// to publish once that transaction has committed (so no socket hears of a change a reader
/// could not see yet). A batch whose transaction fails comes back: nothing is published for it.
pub type Handler =
    dyn for<'a, 'c> Fn(&'a mut Sql<'c>, &'a [StreamEvent]) -> BoxFuture<'a, ApiResult<Vec<Envelope>>> + Send + Sync;

/// Events read per batch.
const BATCH: u32 = 256;
/// Longest wait for a wake-up before looking anyway.
const POLL: Duration = Duration::from_secs(1);
/// The first wait after a failed read or write; it grows to five times this.
const RETRY: Duration = Duration::from_secs(1);

/// The worker that consumes `producer`'s `stream` into `db` as `name` (unique within the
/// consuming module), calling `handler` with each batch.
pub fn consume(
    name: &'static str,
    producer: &'static str,
    stream: Arc<dyn EventStream>,
    db: Db,
    bus: Arc<dyn Bus>,
    handler: Arc<Handler>,
) -> Worker {
    Worker::new(name, move |mut shutdown| {
        let (stream, db, bus, handler) = (stream.clone(), db.clone(), bus.clone(), handler.clone());
        async move {
            let mut wake = bus.subscribe(wake_topic(producer));
            let mut cursor = None;
            let mut warned_gap = false;
            let mut failures = 0u32;
            loop {
                // an outage of the producer or of this database is waited out here, not by
                // stopping the worker (whose restarts would mark the process unready)
                let step = async {
                    let at = match cursor {
                        Some(at) => at,
                        None => load_cursor(&db, name).await?,
                    };
                    cursor = Some(at);
                    let batch = stream.read(at, BATCH).await.map_err(|e| anyhow::anyhow!(e.message))?;
                    if at + 1 < batch.oldest && !warned_gap {
                        tracing::error!(
                            consumer = name,
                            cursor = at,
                            oldest = batch.oldest,
                            "events were pruned before this consumer read them"
                        );
                        warned_gap = true;
                    }
                    let lag = batch.head - batch.events.last().map_or(at, |e| e.position);
                    metrics::gauge!("stream_consumer_lag", "consumer" => name).set(lag.max(0) as f64);
                    let Some(last) = batch.events.last().map(|e| e.position) else {
                        return Ok::<_, anyhow::Error>(false);
                    };
                    let handler = handler.clone();
                    let events = batch.events;
                    let consumed = events.len() as u64;
                    let frames = db
                        .write(move |tx| {
                            Box::pin(async move {
                                if !claim(tx, name, at, last).await? {
                                    return Ok(None);
                                }
                                Ok::<_, ApiError>(Some(handler(tx, &events).await?))
                            })
                        })
                        .await
                        .map_err(|e: ApiError| anyhow::anyhow!("{name}: {}", e.message))?;
                    let Some(frames) = frames else {
                        // another replica consumed this batch first: start from where it is
                        cursor = None;
                        return Ok(true);
                    };
                    for frame in frames {
                        bus.publish(frame);
                    }
                    cursor = Some(last);
                    metrics::counter!("stream_consumed_total", "consumer" => name).increment(consumed);
                    Ok(true)
                };
                let pause = match step.await {
                    Ok(true) => {
                        failures = 0;
                        if shutdown.is_stopping() {
                            return Ok(());
                        }
                        continue;
                    }
                    Ok(false) => {
                        failures = 0;
                        POLL
                    }
                    Err(error) => {
                        failures += 1;
                        tracing::warn!(consumer = name, failures, %error, "reading events failed; trying again");
                        RETRY.saturating_mul(failures.min(5))
                    }
                };
                tokio::select! {
                    woken = wake.recv(), if failures == 0 => {
                        if let Err(RecvError::Closed) = woken {
                            // the bus dropped the subscription (NATS refused it): take a
                            // new one, and poll meanwhile rather than spin on the closed one
                            wake = bus.subscribe(wake_topic(producer));
                            tokio::time::sleep(POLL).await;
                        }
                    }
                    _ = tokio::time::sleep(pause) => {}
                    _ = shutdown.wait() => return Ok(()),
                }
            }
        }
    })
}

async fn load_cursor(db: &Db, name: &str) -> anyhow::Result<i64> {
    let row: Option<(i64,)> = db
        .reads()
        .fetch_optional("SELECT position FROM stream_cursors WHERE consumer = $1", params![name])
        .await?;
    Ok(row.map_or(0, |(position,)| position))
}

/// Moves the consumer's cursor from `from` to `to` first thing in the batch's transaction, so
/// it holds the cursor's row until it commits: a replica consuming the same stream under the
/// same name waits there, then finds the cursor moved and claims nothing (`false`), and the
/// batch is handled exactly once. Returns whether this transaction claimed it.
async fn claim(tx: &mut Sql<'_>, name: &str, from: i64, to: i64) -> ApiResult<bool> {
    let now = crate::now_ms();
    let moved = tx
        .execute(
            "UPDATE stream_cursors SET position = $3, updated_at = $4 WHERE consumer = $1 AND position = $2",
            params![name, from, to, now],
        )
        .await
        .map_err(ApiError::from)?;
    if moved == 1 || from != 0 {
        return Ok(moved == 1);
    }
    // the first batch ever: no row yet, unless another replica made it meanwhile
    let made = tx
        .execute(
            "INSERT INTO stream_cursors (consumer, position, updated_at) VALUES ($1, $2, $3) \
             ON CONFLICT (consumer) DO NOTHING",
            params![name, to, now],
        )
        .await
        .map_err(ApiError::from)?;
    Ok(made == 1)
}
