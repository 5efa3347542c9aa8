//! The worker: claims due jobs of the queues it has handlers for, runs each in its own task
//! while a heartbeat keeps its lease, and records the outcome. A wake-up (a job enqueued in
//! this process, or a message from the bus in a split deployment) makes it look at once;
//! otherwise it looks every `poll_ms`. The table is the queue: a wake-up only saves time.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use hybrid_store::{Db, StoreError};
use tokio::sync::{Notify, Semaphore};
use tokio::task::JoinSet;

use crate::queue::{self, Claimed, JobState, LeaseError};
use crate::schedule;
use hybrid_store::Clock;

/// What a run came to.
#[derive(Debug)]
pub enum Outcome {
    /// Finished. If the handler already called [`Job::complete_in`] in its own write, the
    /// worker's completion finds it done and does nothing more.
    Done,
    /// Failed; try again after the backoff (or dead after the last attempt).
    Retry(String),
    /// Failed; try again no earlier than this (a flood wait, a `Retry-After`).
    RetryAfter(String, Duration),
    /// Failed for good: retrying cannot help (bad payload, a refused address).
    Fail(String),
}

/// A claimed job as its handler sees it.
#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub queue: String,
    pub payload: String,
    /// 1 on the first run.
    pub attempt: i64,
    pub max_attempts: i64,
    owner: Arc<str>,
    clock: Clock,
}

impl Job {
    pub fn payload<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_str(&self.payload)
    }

    /// Marks the job done inside the write that makes its effects on the module's tables:
    /// both commit or neither. Fails (rolling the effects back) when the job was cancelled or
    /// its lease was lost meanwhile.
    pub async fn complete_in(&self, tx: &mut hybrid_store::Sql<'_>) -> Result<(), LeaseError> {
        queue::complete(tx, self.id, &self.owner, self.clock.now_ms()).await
    }
}

/// Runs the jobs of one queue.
pub trait Handler: Send + Sync + 'static {
    fn run(&self, job: Job) -> BoxFuture<'static, Outcome>;
}

impl<F, Fut> Handler for F
where
    F: Fn(Job) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    fn run(&self, job: Job) -> BoxFuture<'static, Outcome> {
        Box::pin(self(job))
    }
}

/// The worker's settings (the `[jobs]` config section).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
#[serde(default, deny_unknown_fields)]
pub struct WorkerConfig {
    /// Jobs run at once by one process.
    pub concurrency: usize,
    /// How long a claim holds without a heartbeat; a killed process's jobs run again after it.
    pub lease_ms: u64,
    /// How often to look for due jobs when nothing wakes the worker.
    pub poll_ms: u64,
    /// Backoff after a failed attempt: `base * 2^(attempt-1)`, at most `max`, with jitter.
    pub backoff_base_ms: u64,
    pub backoff_max_ms: u64,
    /// Done and cancelled jobs are deleted this long after they finished (dead ones stay).
    pub keep_finished_ms: u64,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        WorkerConfig {
            concurrency: 8,
            lease_ms: 30_000,
            poll_ms: 1_000,
            backoff_base_ms: 1_000,
            backoff_max_ms: 3_600_000,
            keep_finished_ms: 7 * 24 * 3_600_000,
        }
    }
}

/// How often a worker deletes finished jobs past their keeping time.
const PRUNE_EVERY_MS: i64 = 60_000;

/// The delay before attempt `attempt + 1`: exponential, capped, with "equal jitter" (half
/// fixed, half random) so retries of many jobs that failed together spread out.
pub fn backoff(config: &WorkerConfig, attempt: i64) -> Duration {
    let exp = (attempt.max(1) - 1).min(32) as u32;
    let full = config
        .backoff_base_ms
        .saturating_mul(1u64 << exp)
        .min(config.backoff_max_ms);
    let half = full / 2;
    Duration::from_millis(half + fastrand::u64(0..=half))
}

/// A module's jobs: enqueue helpers, the wake-up, and the worker. Cheap to clone.
#[derive(Clone)]
pub struct Jobs {
    inner: Arc<Inner>,
}

struct Inner {
    db: Db,
    clock: Clock,
    config: WorkerConfig,
    /// This process's name on its leases.
    owner: Arc<str>,
    wake: Notify,
    handlers: Mutex<HashMap<&'static str, Arc<dyn Handler>>>,
    /// Jobs running here, to stop one at once when it is cancelled.
    running: Mutex<HashMap<i64, Arc<Notify>>>,
}

impl Jobs {
    pub fn new(db: Db, config: WorkerConfig, clock: Clock) -> Self {
        let owner = format!("{}-{}-{:08x}", std::process::id(), db.module(), fastrand::u32(..));
        Jobs {
            inner: Arc::new(Inner {
                db,
                clock,
                config,
                owner: owner.into(),
                wake: Notify::new(),
                handlers: Mutex::new(HashMap::new()),
                running: Mutex::new(HashMap::new()),
            }),
        }
    }

    pub fn db(&self) -> &Db {
        &self.inner.db
    }

    pub fn now_ms(&self) -> i64 {
        self.inner.clock.now_ms()
    }

    /// Registers the handler of `queue`, before [`run`](Self::run).
    pub fn handle(&self, queue: &'static str, handler: impl Handler) -> &Self {
        self.inner
            .handlers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(queue, Arc::new(handler));
        self
    }

    /// Tells the worker that jobs may be due (call after a commit that enqueued some).
    pub fn wake(&self) {
        self.inner.wake.notify_one();
    }

    /// Cancels a job; if it runs in this process it is stopped now.
    pub async fn cancel(&self, id: i64) -> Result<bool, StoreError> {
        let now = self.now_ms();
        let cancelled = self
            .inner
            .db
            .write(move |tx| Box::pin(queue::cancel(tx, id, now)))
            .await?;
        if let Some(stop) = self.inner.running.lock().unwrap_or_else(|e| e.into_inner()).remove(&id) {
            stop.notify_one();
        }
        Ok(cancelled)
    }

    /// Runs until `stop` resolves; then waits for the jobs in flight (their leases keep them
    /// safe if the process is killed instead).
    pub async fn run(&self, stop: impl Future<Output = ()>) {
        tokio::pin!(stop);
        let handlers: Vec<&'static str> = {
            let map = self.inner.handlers.lock().unwrap_or_else(|e| e.into_inner());
            let mut queues: Vec<&'static str> = map.keys().copied().collect();
            queues.sort_unstable();
            queues
        };
        if handlers.is_empty() {
            return;
        }
        let claim_sql: Arc<str> = queue::claim_sql(
            handlers.len(),
            self.inner.db.dialect() == hybrid_store::Dialect::Postgres,
        )
        .into();
        let slots = Arc::new(Semaphore::new(self.inner.config.concurrency.max(1)));
        let mut tasks = JoinSet::new();
        let poll = Duration::from_millis(self.inner.config.poll_ms.max(10));
        let mut next_prune = 0;
        loop {
            self.fire_schedules().await;
            if self.now_ms() >= next_prune {
                self.prune().await;
                next_prune = self.now_ms() + PRUNE_EVERY_MS;
            }
            // take jobs while there are free slots and due jobs
            let mut idle = true;
            while let Ok(permit) = slots.clone().try_acquire_owned() {
                match self.claim(&claim_sql, &handlers).await {
                    Ok(Some(job)) => {
                        idle = false;
                        let this = self.clone();
                        let cancelled = Arc::new(Notify::new());
                        self.inner
                            .running
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .insert(job.id, cancelled.clone());
                        tasks.spawn(async move {
                            this.execute(job, cancelled).await;
                            drop(permit);
                        });
                    }
                    Ok(None) => break,
                    // a unique-index race over a concurrency key, or the database is away
                    Err(error) => {
                        if !matches!(error, StoreError::UniqueViolation(_)) {
                            tracing::warn!(%error, module = self.inner.db.module(), "claiming jobs");
                        }
                        break;
                    }
                }
            }
            while tasks.try_join_next().is_some() {}
            if !idle && slots.available_permits() > 0 {
                continue;
            }
            tokio::select! {
                _ = self.inner.wake.notified() => {}
                _ = tokio::time::sleep(poll) => {}
                _ = &mut stop => break,
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
        while tasks.join_next().await.is_some() {}
    }

    /// Deletes finished jobs past `keep_finished_ms`, a batch at a time.
    async fn prune(&self) {
        let before = self.now_ms() - self.inner.config.keep_finished_ms as i64;
        loop {
            let pruned = self
                .inner
                .db
                .write(move |tx| Box::pin(queue::prune(tx, before, 1_000)))
                .await;
            match pruned {
                Ok(n) if n == 1_000 => continue,
                Ok(_) => return,
                Err(error) => {
                    tracing::warn!(%error, module = self.inner.db.module(), "pruning finished jobs");
                    return;
                }
            }
        }
    }

    /// Enqueues the jobs of due schedules (a read first, so an idle worker does not write).
    async fn fire_schedules(&self) {
        let now = self.now_ms();
        let db = &self.inner.db;
        match schedule::any_due(&mut db.reads(), now).await {
            Ok(false) => return,
            Ok(true) => {}
            Err(error) => {
                tracing::warn!(%error, module = db.module(), "reading job schedules");
                return;
            }
        }
        let postgres = db.dialect() == hybrid_store::Dialect::Postgres;
        match db
            .write(move |tx| Box::pin(schedule::fire_due(tx, now, postgres)))
            .await
        {
            Ok(fired) => tracing::debug!(fired, module = db.module(), "schedules fired"),
            Err(error) => tracing::warn!(%error, module = db.module(), "firing job schedules"),
        }
    }

    async fn claim(&self, sql: &Arc<str>, queues: &[&'static str]) -> Result<Option<Claimed>, StoreError> {
        let now = self.now_ms();
        let lease_until = now + self.inner.config.lease_ms as i64;
        let owner = self.inner.owner.clone();
        let sql = sql.clone();
        let queues = queues.to_vec();
        self.inner
            .db
            .write(move |tx| Box::pin(async move { queue::claim(tx, &sql, &queues, &owner, now, lease_until).await }))
            .await
    }

    /// Runs one claimed job with a heartbeat beside it, then records how it went.
    async fn execute(&self, claimed: Claimed, cancelled: Arc<Notify>) {
        let id = claimed.id;
        let queue_name = claimed.queue.clone();
        let handler = self
            .inner
            .handlers
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(claimed.queue.as_str())
            .cloned();
        let job = Job {
            id,
            queue: claimed.queue,
            payload: claimed.payload,
            attempt: claimed.attempt,
            max_attempts: claimed.max_attempts,
            owner: self.inner.owner.clone(),
            clock: self.inner.clock.clone(),
        };
        let outcome = match handler {
            // a killed process spent the last attempt: no more runs
            _ if job.attempt > job.max_attempts => Outcome::Fail("its lease ran out on the last attempt".into()),
            None => Outcome::Fail(format!("no handler for queue {queue_name}")),
            Some(handler) => {
                let started = std::time::Instant::now();
                let outcome = tokio::select! {
                    outcome = handler.run(job.clone()) => outcome,
                    lost = self.keep_lease(id) => {
                        tracing::info!(job = id, queue = %queue_name, %lost, "job stopped");
                        self.forget(id);
                        return;
                    }
                    _ = cancelled.notified() => {
                        tracing::info!(job = id, queue = %queue_name, "job cancelled while running");
                        return;
                    }
                };
                metrics::histogram!("hybrid_job_run_seconds", "queue" => queue_name.clone())
                    .record(started.elapsed().as_secs_f64());
                outcome
            }
        };
        self.forget(id);
        self.finish(&job, &queue_name, outcome).await;
    }

    /// Heartbeats until the lease is lost; returns why.
    async fn keep_lease(&self, id: i64) -> LeaseError {
        let every = Duration::from_millis((self.inner.config.lease_ms / 3).max(10));
        loop {
            tokio::time::sleep(every).await;
            let until = self.now_ms() + self.inner.config.lease_ms as i64;
            let owner = self.inner.owner.clone();
            let beat = self
                .inner
                .db
                .write(move |tx| Box::pin(async move { queue::heartbeat(tx, id, &owner, until).await }))
                .await;
            match beat {
                Ok(()) => {}
                Err(LeaseError::Store(error)) => tracing::warn!(job = id, %error, "heartbeat"),
                Err(lost) => return lost,
            }
        }
    }

    fn forget(&self, id: i64) {
        self.inner.running.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
    }

    async fn finish(&self, job: &Job, queue_name: &str, outcome: Outcome) {
        let now = self.now_ms();
        let owner = self.inner.owner.clone();
        let id = job.id;
        let (error, retry_at) = match outcome {
            Outcome::Done => {
                let done = self
                    .inner
                    .db
                    .write(move |tx| Box::pin(async move { queue::complete(tx, id, &owner, now).await }))
                    .await;
                match done {
                    // completed by the handler in its own write, or cancelled meanwhile
                    Ok(()) | Err(LeaseError::Lost(_)) => {}
                    Err(LeaseError::Store(error)) => tracing::warn!(job = id, %error, "recording a finished job"),
                }
                metrics::counter!("hybrid_job_runs_total", "queue" => queue_name.to_owned(), "outcome" => "done")
                    .increment(1);
                return;
            }
            Outcome::Retry(error) => (
                error,
                Some(now + backoff(&self.inner.config, job.attempt).as_millis() as i64),
            ),
            Outcome::RetryAfter(error, after) => (error, Some(now + after.as_millis() as i64)),
            Outcome::Fail(error) => (error, None),
        };
        let message = error.clone();
        let failed = self
            .inner
            .db
            .write(move |tx| Box::pin(async move { queue::fail(tx, id, &owner, &message, retry_at, now).await }))
            .await;
        let outcome = match failed {
            Ok(JobState::Dead) => "dead",
            Ok(_) => "retry",
            Err(LeaseError::Lost(_)) => "lost",
            Err(LeaseError::Store(error)) => {
                tracing::warn!(job = id, %error, "recording a failed job");
                "lost"
            }
        };
        tracing::debug!(job = id, queue = queue_name, attempt = job.attempt, %error, outcome, "job failed");
        metrics::counter!("hybrid_job_runs_total", "queue" => queue_name.to_owned(), "outcome" => outcome).increment(1);
    }
}
