//! The `jobs` table's statements. Every function takes a [`Sql`], so an enqueue runs inside
//! the caller's own write (the job exists if and only if its cause committed), and a job's
//! completion can commit together with its effects on the module's tables.
//!
//! A job moves `ready` → `running` (claimed with a lease) → `done`, or back to `ready` with a
//! later `run_at` after a failure, `dead` after its last attempt, `cancelled` at any time
//! before it is done. A lease that runs out (its process died) makes the job claimable again.

use std::borrow::Cow;

use hybrid_store::{FromRow, Row, Sql, StoreError, params};
use serde::Serialize;

/// A job to enqueue: [`NewJob::new`] then the builder methods.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub queue: Cow<'static, str>,
    pub payload: String,
    /// When it may start, in ms since the epoch; `None` is now.
    pub run_at: Option<i64>,
    /// Higher runs first among jobs that are due.
    pub priority: i64,
    pub max_attempts: i64,
    /// At most one job per queue and key ever exists: enqueueing it again returns the first.
    pub dedup_key: Option<String>,
    /// Jobs sharing this key run one at a time (one per account, say).
    pub concurrency_key: Option<String>,
    /// Jobs sharing this key start at most `max` times per window: (key, max, window in ms).
    pub rate: Option<(String, i64, i64)>,
}

impl NewJob {
    /// A job for `queue` carrying `payload` as JSON.
    pub fn new(queue: &'static str, payload: &impl Serialize) -> Self {
        Self::raw(queue, serde_json::to_string(payload).expect("job payloads serialize"))
    }

    /// A job whose payload is JSON text already (a schedule's).
    pub fn raw(queue: impl Into<Cow<'static, str>>, payload: String) -> Self {
        NewJob {
            queue: queue.into(),
            payload,
            run_at: None,
            priority: 0,
            max_attempts: 10,
            dedup_key: None,
            concurrency_key: None,
            rate: None,
        }
    }

    pub fn run_at(mut self, at_ms: i64) -> Self {
        self.run_at = Some(at_ms);
        self
    }

    pub fn priority(mut self, priority: i64) -> Self {
        self.priority = priority;
        self
    }

    pub fn max_attempts(mut self, attempts: i64) -> Self {
        self.max_attempts = attempts.max(1);
        self
    }

    pub fn dedup_key(mut self, key: impl Into<String>) -> Self {
        self.dedup_key = Some(key.into());
        self
    }

    pub fn concurrency_key(mut self, key: impl Into<String>) -> Self {
        self.concurrency_key = Some(key.into());
        self
    }

    /// At most `max` jobs sharing `key` start per `window` ("20 an hour per account"); the
    /// others wait, without holding up other keys.
    pub fn rate_limit(mut self, key: impl Into<String>, max: i64, window: std::time::Duration) -> Self {
        self.rate = Some((key.into(), max.max(1), window.as_millis() as i64));
        self
    }
}

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    Ready,
    Running,
    Done,
    Dead,
    Cancelled,
}

impl JobState {
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Ready => "ready",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Dead => "dead",
            JobState::Cancelled => "cancelled",
        }
    }

    /// Every state, in the order of a job's life.
    pub const ALL: [JobState; 5] = [
        JobState::Ready,
        JobState::Running,
        JobState::Done,
        JobState::Dead,
        JobState::Cancelled,
    ];

    pub fn parse(text: &str) -> Result<Self, StoreError> {
        Ok(match text {
            "ready" => JobState::Ready,
            "running" => JobState::Running,
            "done" => JobState::Done,
            "dead" => JobState::Dead,
            "cancelled" => JobState::Cancelled,
            other => return Err(StoreError::Decode(format!("job state {other:?}"))),
        })
    }
}

/// A job as the admin API and tests see it. Times are Unix milliseconds.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct JobInfo {
    pub id: i64,
    pub queue: String,
    pub state: JobState,
    /// Higher runs first.
    pub priority: i64,
    /// When it runs next (a waiting job), or ran last.
    pub run_at: i64,
    /// Attempts made so far (the running one included).
    pub attempts: i64,
    pub max_attempts: i64,
    /// The last failed attempt's error.
    pub last_error: Option<String>,
    pub created_at: i64,
    /// The last change of state: when a finished job finished.
    pub updated_at: i64,
}

impl FromRow for JobInfo {
    fn from_row(row: &Row<'_>) -> Result<Self, StoreError> {
        Ok(JobInfo {
            id: row.get(0)?,
            queue: row.get(1)?,
            state: JobState::parse(&row.get::<String>(2)?)?,
            priority: row.get(3)?,
            run_at: row.get(4)?,
            attempts: row.get(5)?,
            max_attempts: row.get(6)?,
            last_error: row.get(7)?,
            created_at: row.get(8)?,
            updated_at: row.get(9)?,
        })
    }
}

const INFO_COLUMNS: &str =
    "id, queue, state, priority, run_at, attempts, max_attempts, last_error, created_at, updated_at";

/// Enqueues `job` in the caller's transaction; returns its id, or the id of the job already
/// holding its dedup key.
pub async fn enqueue(tx: &mut Sql<'_>, job: &NewJob, now_ms: i64) -> Result<i64, StoreError> {
    let run_at = job.run_at.unwrap_or(now_ms);
    let inserted: Option<(i64,)> = tx
        .fetch_optional(
            "INSERT INTO jobs (queue, payload, state, priority, run_at, max_attempts, dedup_key, \
             concurrency_key, rate_key, rate_max, rate_window_ms, created_at, updated_at) \
             VALUES ($1, $2, 'ready', $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) \
             ON CONFLICT (queue, dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING RETURNING id",
            params![
                &*job.queue,
                &job.payload,
                job.priority,
                run_at,
                job.max_attempts,
                &job.dedup_key,
                &job.concurrency_key,
                job.rate.as_ref().map(|(key, _, _)| key.as_str()),
                job.rate.as_ref().map(|(_, max, _)| *max),
                job.rate.as_ref().map(|(_, _, window)| *window),
                now_ms
            ],
        )
        .await?;
    match inserted {
        Some((id,)) => Ok(id),
        None => {
            let (id,): (i64,) = tx
                .fetch_one(
                    "SELECT id FROM jobs WHERE queue = $1 AND dedup_key = $2",
                    params![&*job.queue, &job.dedup_key],
                )
                .await?;
            Ok(id)
        }
    }
}

/// A claimed job: what a handler gets.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub id: i64,
    pub queue: String,
    pub payload: String,
    /// 1 on the first run.
    pub attempt: i64,
    pub max_attempts: i64,
}

/// The claim statement for a set of queues: the most urgent due job (or one whose lease ran
/// out) whose concurrency key is not running elsewhere and whose rate key has starts left in
/// its window, taken with a lease. A running job with an expired lease still holds its key:
/// it is taken over itself, and until then the key's other jobs wait (they would break the
/// one-running-per-key index). PostgreSQL skips
/// rows another worker is claiming; SQLite has one writer, so the statement is atomic anyway.
pub(crate) fn claim_sql(queues: usize, postgres: bool) -> String {
    let list: Vec<String> = (0..queues).map(|i| format!("${}", i + 4)).collect();
    format!(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_owner = $2, \
         lease_until = $3, started_at = $1, updated_at = $1 \
         WHERE id = (SELECT j.id FROM jobs j \
           WHERE ((j.state = 'ready' AND j.run_at <= $1) OR (j.state = 'running' AND j.lease_until < $1)) \
             AND j.queue IN ({}) \
             AND (j.concurrency_key IS NULL OR NOT EXISTS (SELECT 1 FROM jobs r \
               WHERE r.concurrency_key = j.concurrency_key AND r.state = 'running' AND r.id <> j.id)) \
             AND (j.rate_key IS NULL OR (SELECT COUNT(*) FROM jobs s \
               WHERE s.rate_key = j.rate_key AND s.started_at > $1 - j.rate_window_ms) < j.rate_max) \
           ORDER BY j.priority DESC, j.run_at, j.id LIMIT 1{}) \
         RETURNING id, queue, payload, attempts, max_attempts",
        list.join(", "),
        if postgres { " FOR UPDATE SKIP LOCKED" } else { "" }
    )
}

/// Claims one job for `owner` until `lease_until`, or `None` when nothing is due.
pub(crate) async fn claim(
    tx: &mut Sql<'_>,
    sql: &str,
    queues: &[&'static str],
    owner: &str,
    now_ms: i64,
    lease_until: i64,
) -> Result<Option<Claimed>, StoreError> {
    let mut values: Vec<&dyn hybrid_store::sql::DynToSql> = vec![&now_ms, &owner, &lease_until];
    for queue in queues {
        values.push(queue);
    }
    let row: Option<(i64, String, String, i64, i64)> = tx.fetch_optional(sql, &values).await?;
    Ok(row.map(|(id, queue, payload, attempt, max_attempts)| Claimed {
        id,
        queue,
        payload,
        attempt,
        max_attempts,
    }))
}

/// The job's lease is gone: it was cancelled, or its lease ran out and another worker took it.
#[derive(Debug, thiserror::Error)]
pub enum LeaseError {
    #[error("job {0} is no longer held by this worker (cancelled, or its lease ran out)")]
    Lost(i64),
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn held(id: i64, changed: u64) -> Result<(), LeaseError> {
    if changed == 1 {
        Ok(())
    } else {
        Err(LeaseError::Lost(id))
    }
}

/// Marks a held job done: inside the transaction that writes its effects, so both commit or
/// neither (an error rolls the effects back when the lease was lost).
pub async fn complete(tx: &mut Sql<'_>, id: i64, owner: &str, now_ms: i64) -> Result<(), LeaseError> {
    let changed = tx
        .execute(
            "UPDATE jobs SET state = 'done', lease_owner = NULL, lease_until = NULL, updated_at = $3 \
             WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
            params![id, owner, now_ms],
        )
        .await?;
    held(id, changed)
}

/// Records a failed attempt: `ready` again at `retry_at`, or `dead` when it was the last one
/// (or `retry_at` is `None`: a failure that no retry can fix).
pub(crate) async fn fail(
    tx: &mut Sql<'_>,
    id: i64,
    owner: &str,
    error: &str,
    retry_at: Option<i64>,
    now_ms: i64,
) -> Result<JobState, LeaseError> {
    let error: String = error.chars().take(2000).collect();
    let (changed, state) = match retry_at {
        Some(at) => {
            let changed = tx
                .execute(
                    "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'ready' END, \
                     run_at = $4, last_error = $3, lease_owner = NULL, lease_until = NULL, updated_at = $5 \
                     WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
                    params![id, owner, &error, at, now_ms],
                )
                .await?;
            let (state,): (String,) = tx
                .fetch_one("SELECT state FROM jobs WHERE id = $1", params![id])
                .await?;
            (changed, JobState::parse(&state)?)
        }
        None => {
            let changed = tx
                .execute(
                    "UPDATE jobs SET state = 'dead', last_error = $3, lease_owner = NULL, lease_until = NULL, \
                     updated_at = $4 WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
                    params![id, owner, &error, now_ms],
                )
                .await?;
            (changed, JobState::Dead)
        }
    };
    held(id, changed)?;
    Ok(state)
}

/// Extends a held job's lease; [`LeaseError::Lost`] tells the worker to stop it.
pub(crate) async fn heartbeat(tx: &mut Sql<'_>, id: i64, owner: &str, lease_until: i64) -> Result<(), LeaseError> {
    let changed = tx
        .execute(
            "UPDATE jobs SET lease_until = $3 WHERE id = $1 AND lease_owner = $2 AND state = 'running'",
            params![id, owner, lease_until],
        )
        .await?;
    held(id, changed)
}

/// Cancels a job that is not finished yet; a running one loses its lease, so its worker stops
/// it at once (same process) or at its next heartbeat, and its completion can no longer
/// commit. Returns whether the job was cancelled.
pub async fn cancel(tx: &mut Sql<'_>, id: i64, now_ms: i64) -> Result<bool, StoreError> {
    let changed = tx
        .execute(
            "UPDATE jobs SET state = 'cancelled', lease_owner = NULL, lease_until = NULL, updated_at = $2 \
             WHERE id = $1 AND state IN ('ready', 'running')",
            params![id, now_ms],
        )
        .await?;
    Ok(changed == 1)
}

/// Makes a waiting, dead or cancelled job due now, with its attempts counted afresh.
/// Returns whether it changed.
pub async fn retry_now(tx: &mut Sql<'_>, id: i64, now_ms: i64) -> Result<bool, StoreError> {
    let changed = tx
        .execute(
            "UPDATE jobs SET state = 'ready', run_at = $2, attempts = 0, updated_at = $2 \
             WHERE id = $1 AND state IN ('ready', 'dead', 'cancelled')",
            params![id, now_ms],
        )
        .await?;
    Ok(changed == 1)
}

/// Deletes up to `limit` done and cancelled jobs last changed before `before_ms`; returns how
/// many. Dead jobs stay for an operator to look at. A pruned job's dedup key is free again.
pub async fn prune(tx: &mut Sql<'_>, before_ms: i64, limit: i64) -> Result<u64, StoreError> {
    tx.execute(
        "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs \
         WHERE state IN ('done', 'cancelled') AND updated_at < $1 ORDER BY id LIMIT $2)",
        params![before_ms, limit],
    )
    .await
}

pub async fn get(sql: &mut Sql<'_>, id: i64) -> Result<Option<JobInfo>, StoreError> {
    sql.fetch_optional(&format!("SELECT {INFO_COLUMNS} FROM jobs WHERE id = $1"), params![id])
        .await
}

/// Whether a job holding `concurrency_key` is waiting or running (a chain of jobs that
/// enqueue their successor is alive).
pub async fn pending_with_key(sql: &mut Sql<'_>, concurrency_key: &str) -> Result<bool, StoreError> {
    let row: Option<(i64,)> = sql
        .fetch_optional(
            "SELECT id FROM jobs WHERE concurrency_key = $1 AND state IN ('ready', 'running') LIMIT 1",
            params![concurrency_key],
        )
        .await?;
    Ok(row.is_some())
}

/// Which jobs [`list`] returns.
#[derive(Debug, Clone, Default)]
pub struct JobFilter {
    /// Only jobs in this state.
    pub state: Option<JobState>,
    /// Only jobs of this queue.
    pub queue: Option<String>,
    /// Only jobs with a smaller id (the next page of a list).
    pub before: Option<i64>,
}

/// Jobs matching `filter`, newest first, at most `limit`.
pub async fn list(sql: &mut Sql<'_>, filter: &JobFilter, limit: i64) -> Result<Vec<JobInfo>, StoreError> {
    let state = filter.state.map(JobState::as_str);
    sql.fetch_all(
        &format!(
            "SELECT {INFO_COLUMNS} FROM jobs WHERE ($1 IS NULL OR state = $1) AND ($2 IS NULL OR queue = $2) \
             AND ($3 IS NULL OR id < $3) ORDER BY id DESC LIMIT $4"
        ),
        params![state, &filter.queue, filter.before, limit],
    )
    .await
}

/// The earliest time after `now_ms` at which something falls due: a waiting job, a lease
/// running out, a schedule.
pub(crate) async fn next_due(sql: &mut Sql<'_>, now_ms: i64) -> Result<Option<i64>, StoreError> {
    let (next,): (Option<i64>,) = sql
        .fetch_one(
            "SELECT MIN(t) FROM (\
               SELECT MIN(run_at) AS t FROM jobs WHERE state = 'ready' AND run_at > $1 \
               UNION ALL SELECT MIN(lease_until) FROM jobs WHERE state = 'running' AND lease_until > $1 \
               UNION ALL SELECT MIN(next_run_at) FROM job_schedules WHERE next_run_at > $1) AS due",
            params![now_ms],
        )
        .await?;
    Ok(next)
}

/// Per queue and state: how many jobs, and the run time of the oldest due one (for depth and
/// age metrics).
pub async fn stats(sql: &mut Sql<'_>, now_ms: i64) -> Result<Vec<QueueStats>, StoreError> {
    let rows: Vec<(String, String, i64, Option<i64>)> = sql
        .fetch_all(
            "SELECT queue, state, COUNT(*), MIN(CASE WHEN state = 'ready' AND run_at <= $1 THEN run_at END) \
             FROM jobs GROUP BY queue, state ORDER BY queue, state",
            params![now_ms],
        )
        .await?;
    rows.into_iter()
        .map(|(queue, state, count, oldest_due)| {
            Ok(QueueStats {
                queue,
                state: JobState::parse(&state)?,
                count,
                oldest_due_ms: oldest_due,
            })
        })
        .collect()
}

#[derive(Debug, Clone, Serialize)]
pub struct QueueStats {
    pub queue: String,
    pub state: JobState,
    pub count: i64,
    /// The `run_at` of the oldest job that is due and waiting.
    pub oldest_due_ms: Option<i64>,
}
