//! Webhook delivery, the same way for every module (docs/jobs.md#webhooks):
//!
//! - [`enqueue`] records a delivery and its job in the caller's transaction, so an event and
//!   its webhook commit together;
//! - the `webhook.deliver` job POSTs the body through [`Outbound`] (public addresses only
//!   unless the operator opened others), signed with the hook's secret
//!   (`x-hybrid-signature`, or the secret itself in the owner's header), naming the event and the delivery (`x-hybrid-event`,
//!   `x-hybrid-delivery`: the receiver's idempotency key, as a retry may repeat a delivery);
//! - every attempt is logged with its status, error and time; a 2xx answer delivers, a
//!   refused address or a bad URL fails at once, anything else is retried with the jobs'
//!   backoff (after `Retry-After` when the receiver sent one) until the attempts run out;
//! - finished deliveries are deleted after [`KEEP_MS`] by an hourly schedule.
//!
//! The owning module keeps its hooks (URL, secret) in its own tables and answers
//! [`HookOwner`]: a delivery names its hook, and a hook removed meanwhile fails it; the owner
//! hears how each delivery ended (to disable a hook that keeps failing, say).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures::future::BoxFuture;
use hybrid_jobs::{Job, Jobs, LeaseError, NewJob, Outcome, Schedule, ScheduleError};
use hybrid_outbound::signature::{SIGNATURE_HEADER, sign};
use hybrid_outbound::{Outbound, OutboundError};
use hybrid_store::{Db, Migration, Sql, StoreError, params};
use serde::{Deserialize, Serialize};

/// The queue deliveries run on.
pub const QUEUE: &str = "webhook.deliver";
/// The queue of the hourly clean-up.
pub const PRUNE_QUEUE: &str = "webhook.prune";
/// Attempts before a delivery fails: with the default backoff (1 s doubling, capped at an
/// hour) the last is about four hours after the first.
pub const MAX_ATTEMPTS: i64 = 12;
/// Finished deliveries are kept this long (30 days) for their log.
pub const KEEP_MS: i64 = 30 * 24 * 3_600_000;
/// The headers naming the event and the delivery.
pub const EVENT_HEADER: &str = "x-hybrid-event";
pub const DELIVERY_HEADER: &str = "x-hybrid-delivery";

/// The tables as a module's migration number `version`.
pub const fn migration(version: i64) -> Migration {
    Migration {
        version,
        name: "webhooks_v1",
        sqlite: include_str!("../migrations/sqlite/webhooks_v1.sql"),
        postgres: include_str!("../migrations/postgres/webhooks_v1.sql"),
    }
}

/// The module that owns the hooks: where the signing secrets come from, and who hears how
/// deliveries end.
pub trait HookOwner: Send + Sync + 'static {
    /// The secret of `hook`, or `None` once the hook is gone.
    fn secret(&self, hook: &str) -> BoxFuture<'_, Result<Option<Vec<u8>>, StoreError>>;

    /// A delivery to `hook` ended: delivered, or failed for good (every attempt used, or one
    /// that cannot succeed). Called once per delivery, after its state is recorded; an error
    /// is logged, not retried.
    fn finished(&self, _hook: &str, _delivered: bool) -> BoxFuture<'_, Result<(), StoreError>> {
        Box::pin(async { Ok(()) })
    }

    /// Send the secret itself in this header instead of signing the body with it, for
    /// receivers that expect that (Telegram's `X-Telegram-Bot-Api-Secret-Token`); an empty
    /// secret sends no header. `None` (the default): sign, as `x-hybrid-signature`.
    fn secret_header(&self) -> Option<&'static str> {
        None
    }
}

/// One event for one endpoint.
#[derive(Debug, Clone)]
pub struct Delivery<'a> {
    /// The owner's name for the endpoint, passed back to [`HookOwner`].
    pub hook: &'a str,
    pub url: &'a str,
    /// What happened (`message.new`), sent as `x-hybrid-event`.
    pub event: &'a str,
    /// The JSON body, sent as is.
    pub body: &'a str,
}

/// Records `delivery` and enqueues its job in the caller's transaction; returns its id. Call
/// [`Jobs::wake`] after the commit.
pub async fn enqueue(tx: &mut Sql<'_>, delivery: &Delivery<'_>, now_ms: i64) -> Result<i64, StoreError> {
    let (id,): (i64,) = tx
        .fetch_one(
            "INSERT INTO webhook_deliveries (hook, url, event, body, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $5) RETURNING id",
            params![delivery.hook, delivery.url, delivery.event, delivery.body, now_ms],
        )
        .await?;
    let job = NewJob::new(QUEUE, &DeliveryJob { delivery: id })
        .dedup_key(format!("delivery:{id}"))
        .max_attempts(MAX_ATTEMPTS);
    hybrid_jobs::enqueue(tx, &job, now_ms).await?;
    Ok(id)
}

#[derive(Debug, Serialize, Deserialize)]
struct DeliveryJob {
    delivery: i64,
}

/// Where a delivery is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryState {
    /// Not delivered yet: waiting for its first attempt or a retry.
    Pending,
    /// A 2xx answer came.
    Delivered,
    /// Given up: the address was refused, or every attempt failed.
    Failed,
}

impl DeliveryState {
    fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    fn parse(text: &str) -> Result<Self, StoreError> {
        Ok(match text {
            "pending" => DeliveryState::Pending,
            "delivered" => DeliveryState::Delivered,
            "failed" => DeliveryState::Failed,
            other => return Err(StoreError::Decode(format!("delivery state {other:?}"))),
        })
    }
}

/// A delivery and its attempts, for the owner's delivery log. Times are Unix milliseconds.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DeliveryLog {
    pub id: i64,
    pub event: String,
    pub url: String,
    pub state: DeliveryState,
    pub created_at: i64,
    /// Newest last.
    pub attempts: Vec<Attempt>,
}

/// One try at a delivery.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Attempt {
    pub attempt: i64,
    pub at: i64,
    /// The answer's HTTP status; none when no answer came.
    pub status: Option<i64>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// The deliveries of `hook`, newest first, with ids below `before`; at most `limit`.
pub async fn log(
    sql: &mut Sql<'_>,
    hook: &str,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<DeliveryLog>, StoreError> {
    let rows: Vec<(i64, String, String, String, i64)> = sql
        .fetch_all(
            "SELECT id, event, url, state, created_at FROM webhook_deliveries \
             WHERE hook = $1 AND ($2 IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
            params![hook, before, limit],
        )
        .await?;
    let mut logs = Vec::with_capacity(rows.len());
    for (id, event, url, state, created_at) in rows {
        let attempts: Vec<(i64, i64, Option<i64>, Option<String>, i64)> = sql
            .fetch_all(
                "SELECT attempt, at, status, error, duration_ms FROM webhook_attempts \
                 WHERE delivery_id = $1 ORDER BY attempt",
                params![id],
            )
            .await?;
        logs.push(DeliveryLog {
            id,
            event,
            url,
            state: DeliveryState::parse(&state)?,
            created_at,
            attempts: attempts
                .into_iter()
                .map(|(attempt, at, status, error, duration_ms)| Attempt {
                    attempt,
                    at,
                    status,
                    error,
                    duration_ms,
                })
                .collect(),
        });
    }
    Ok(logs)
}

/// Registers the delivery and clean-up handlers on `jobs` and declares the hourly clean-up.
/// Call in `Module::start`, before the jobs' worker runs.
pub async fn start(jobs: &Jobs, outbound: Outbound, owner: Arc<dyn HookOwner>) -> Result<(), ScheduleError> {
    let deliverer = Arc::new(Deliverer {
        db: jobs.db().clone(),
        outbound,
        owner,
    });
    jobs.handle(QUEUE, move |job: Job| {
        let deliverer = deliverer.clone();
        async move { deliverer.deliver(job).await }
    });
    let db = jobs.db().clone();
    let clock = jobs.clone();
    jobs.handle(PRUNE_QUEUE, move |_job: Job| {
        let (db, before) = (db.clone(), clock.now_ms() - KEEP_MS);
        async move {
            match db.write(move |tx| Box::pin(prune(tx, before))).await {
                Ok(_) => Outcome::Done,
                Err(e) => Outcome::Retry(e.to_string()),
            }
        }
    });
    jobs.declare(Schedule {
        name: "webhooks-prune".into(),
        queue: PRUNE_QUEUE.into(),
        payload: "{}".into(),
        cron: "17 * * * *".into(),
        timezone: "UTC".into(),
    })
    .await
}

/// Deletes finished deliveries (and their attempts) last changed before `before_ms`.
async fn prune(tx: &mut Sql<'_>, before_ms: i64) -> Result<u64, StoreError> {
    let old = "SELECT id FROM webhook_deliveries WHERE state <> 'pending' AND updated_at < $1";
    tx.execute(
        &format!("DELETE FROM webhook_attempts WHERE delivery_id IN ({old})"),
        params![before_ms],
    )
    .await?;
    tx.execute(
        &format!("DELETE FROM webhook_deliveries WHERE id IN ({old})"),
        params![before_ms],
    )
    .await
}

struct Deliverer {
    db: Db,
    outbound: Outbound,
    owner: Arc<dyn HookOwner>,
}

/// What one attempt came to.
struct Tried {
    status: Option<i64>,
    error: Option<String>,
    duration_ms: i64,
    outcome: Outcome,
}

impl Deliverer {
    async fn deliver(&self, job: Job) -> Outcome {
        let DeliveryJob { delivery: id } = match job.payload() {
            Ok(payload) => payload,
            Err(e) => return Outcome::Fail(format!("bad payload: {e}")),
        };
        let row: Result<Option<(String, String, String, String, String)>, _> = self
            .db
            .reads()
            .fetch_optional(
                "SELECT hook, url, event, body, state FROM webhook_deliveries WHERE id = $1",
                params![id],
            )
            .await;
        let (hook, url, event, body, state) = match row {
            Ok(Some(row)) => row,
            Ok(None) => return Outcome::Fail("the delivery was deleted".into()),
            Err(e) => return Outcome::Retry(e.to_string()),
        };
        // a retry after a crash between the answer and the record: sent already
        if state != DeliveryState::Pending.as_str() {
            return Outcome::Done;
        }
        let tried = match self.owner.secret(&hook).await {
            Err(e) => return Outcome::Retry(e.to_string()),
            Ok(None) => Tried {
                status: None,
                error: Some("the hook was removed".into()),
                duration_ms: 0,
                outcome: Outcome::Fail("the hook was removed".into()),
            },
            Ok(Some(secret)) => self.post(id, &url, &event, body, &secret, &job).await,
        };
        let (outcome, state) = self.record(id, &job, tried).await;
        if state != DeliveryState::Pending {
            if let Err(e) = self.owner.finished(&hook, state == DeliveryState::Delivered).await {
                tracing::warn!(delivery = id, error = %e, "the hook's owner did not take the delivery's end");
            }
        }
        outcome
    }

    async fn post(&self, id: i64, url: &str, event: &str, body: String, secret: &[u8], job: &Job) -> Tried {
        let delivery = id.to_string();
        let (secret_header, secret_value) = match self.owner.secret_header() {
            Some(header) => (header, String::from_utf8_lossy(secret).into_owned()),
            None => (SIGNATURE_HEADER, sign(secret, job.now_ms() / 1000, body.as_bytes())),
        };
        let mut headers = vec![(EVENT_HEADER, event), (DELIVERY_HEADER, delivery.as_str())];
        if !secret_value.is_empty() {
            headers.push((secret_header, secret_value.as_str()));
        }
        let started = std::time::Instant::now();
        let answer = self.outbound.post_json(url, Bytes::from(body), &headers).await;
        let duration_ms = started.elapsed().as_millis() as i64;
        match answer {
            Ok(answer) if (200..300).contains(&answer.status) => Tried {
                status: Some(answer.status.into()),
                error: None,
                duration_ms,
                outcome: Outcome::Done,
            },
            Ok(answer) => {
                let error = format!("the receiver answered {}", answer.status);
                let outcome = match answer.retry_after {
                    Some(after) => Outcome::RetryAfter(error.clone(), after.min(Duration::from_secs(3600))),
                    None => Outcome::Retry(error.clone()),
                };
                Tried {
                    status: Some(answer.status.into()),
                    error: Some(error),
                    duration_ms,
                    outcome,
                }
            }
            Err(e) => Tried {
                status: None,
                error: Some(e.to_string()),
                duration_ms,
                outcome: if retryable(&e) {
                    Outcome::Retry(e.to_string())
                } else {
                    Outcome::Fail(e.to_string())
                },
            },
        }
    }

    /// Logs the attempt and the delivery's new state; a delivered one completes its job in
    /// the same write. The job's outcome, and the state recorded (pending if none was).
    async fn record(&self, id: i64, job: &Job, tried: Tried) -> (Outcome, DeliveryState) {
        let now = job.now_ms();
        let last = job.attempt >= job.max_attempts;
        let state = match tried.outcome {
            Outcome::Done => DeliveryState::Delivered,
            Outcome::Fail(_) => DeliveryState::Failed,
            Outcome::Retry(_) | Outcome::RetryAfter(..) if last => DeliveryState::Failed,
            Outcome::Retry(_) | Outcome::RetryAfter(..) => DeliveryState::Pending,
        };
        let (job_done, attempt) = (job.clone(), job.attempt);
        let (status, error, duration_ms) = (tried.status, tried.error.clone(), tried.duration_ms);
        let written = self
            .db
            .write(move |tx| {
                Box::pin(async move {
                    tx.execute(
                        "INSERT INTO webhook_attempts (delivery_id, attempt, at, status, error, duration_ms) \
                         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (delivery_id, attempt) DO NOTHING",
                        params![id, attempt, now, status, &error, duration_ms],
                    )
                    .await?;
                    tx.execute(
                        "UPDATE webhook_deliveries SET state = $2, attempts = $3, last_status = $4, \
                         last_error = $5, updated_at = $6 WHERE id = $1",
                        params![id, state.as_str(), attempt, status, &error, now],
                    )
                    .await?;
                    if state == DeliveryState::Delivered {
                        job_done.complete_in(tx).await?;
                    }
                    Ok::<_, LeaseError>(())
                })
            })
            .await;
        match written {
            Ok(()) => (tried.outcome, state),
            // sent, but not recorded: the retry finds the delivery pending and sends again,
            // which the receiver's idempotency check on x-hybrid-delivery absorbs
            Err(e) => (
                Outcome::Retry(format!("recording the attempt: {e}")),
                DeliveryState::Pending,
            ),
        }
    }
}

/// Whether sending again may help: not for a refused address, a bad URL or a redirect loop.
fn retryable(error: &OutboundError) -> bool {
    !matches!(
        error,
        OutboundError::Refused(_) | OutboundError::BadUrl(_) | OutboundError::TooManyRedirects(_)
    )
}
