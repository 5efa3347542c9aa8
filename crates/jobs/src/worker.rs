//! The worker: claims due jobs of the queues it has handlers for, runs each in its own task
//! while a heartbeat keeps its lease, and records the outcome. A wake-up (a job enqueued in
//! this process, or a message from the bus in a split deployment) makes it look at once;
//! otherwise it looks every `poll_ms`. The table is the queue: a wake-up only saves time.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures::StreamExt;
use futures::future::BoxFuture;
use futures::stream::BoxStream;
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

    /// The time by the worker's clock (movable in tests).
    pub fn now_ms(&self) -> i64 {
        self.clock.now_ms()
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
    /// Whether this process runs job workers; `false` on replicas that should only serve
    /// requests (they still enqueue, and wake the workers elsewhere).
    pub run: bool,
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
            run: true,
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

/// Carries wake-ups between the processes that share a module's jobs (the bus, in a split
/// deployment), so a job enqueued in one process starts at once in another's worker.
pub trait Wakeups: Send + Sync + 'static {
    /// Tells every process's worker that jobs may be due.
    fn announce(&self);
    /// Wake-ups announced by any process (this one's too); ends if the carrier drops the
    /// subscription, and the worker then subscribes again.
    fn listen(&self) -> BoxStream<'static, ()>;
}

/// How often a worker refreshes the queue gauges (`hybrid_jobs_depth`, ...).
const GAUGES_EVERY_MS: i64 = 15_000;

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
    wakeups: OnceLock<Arc<dyn Wakeups>>,
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
                wakeups: OnceLock::new(),
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

    /// Declares (or updates) a recurring job of the module, as `Module::start` does.
    pub async fn declare(&self, schedule: crate::Schedule) -> Result<(), crate::ScheduleError> {
        let now = self.now_ms();
        self.db()
            .write(move |tx| Box::pin(async move { crate::schedule(tx, &schedule, now).await }))
            .await?;
        Ok(())
    }

    /// The module whose jobs these are.
    pub fn module(&self) -> &'static str {
        self.inner.db.module()
    }

    /// Lets wake-ups reach the workers of other processes (set once, before [`run`](Self::run)).
    pub fn set_wakeups(&self, wakeups: Arc<dyn Wakeups>) {
        let _ = self.inner.wakeups.set(wakeups);
    }

    /// Tells the workers that jobs may be due (call after a commit that enqueued some): this
    /// process's at once, other processes' through the [`Wakeups`] if set.
    pub fn wake(&self) {
        self.inner.wake.notify_one();
        if let Some(wakeups) = self.inner.wakeups.get() {
            wakeups.announce();
        }
    }

    /// Makes a waiting, dead or cancelled job due now; returns whether it changed.
    pub async fn retry_now(&self, id: i64) -> Result<bool, StoreError> {
        let now = self.now_ms();
        let changed = self
            .inner
            .db
            .write(move |tx| Box::pin(queue::retry_now(tx, id, now)))
            .await?;
        if changed {
            self.wake();
        }
        Ok(changed)
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
        if handlers.is_empty() || !self.inner.config.run {
            // nothing to run here; a supervisor would read an early return as a failure
            stop.await;
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
        let listener = self
            .inner
            .wakeups
            .get()
            .map(|wakeups| tokio::spawn(listen(wakeups.clone(), self.clone(), poll)));
        let mut gauges = Gauges::default();
        let (mut next_prune, mut next_gauges) = (0, 0);
        loop {
            self.fire_schedules().await;
            let now = self.now_ms();
            if now >= next_prune {
                self.prune().await;
                next_prune = now + PRUNE_EVERY_MS;
            }
            if now >= next_gauges {
                gauges.refresh(self).await;
                next_gauges = now + GAUGES_EVERY_MS;
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
            let wait = self.until_next_due(poll).await;
            tokio::select! {
                _ = self.inner.wake.notified() => {}
                _ = tokio::time::sleep(wait) => {}
                _ = &mut stop => break,
                Some(_) = tasks.join_next(), if !tasks.is_empty() => {}
            }
        }
        if let Some(listener) = listener {
            listener.abort();
        }
        while tasks.join_next().await.is_some() {}
    }

    /// How long to sleep: until the next job or schedule falls due (a delayed job starts on
    /// time), at most `poll` (jobs other processes enqueued without a wake-up reaching here).
    async fn until_next_due(&self, poll: Duration) -> Duration {
        let now = self.now_ms();
        match queue::next_due(&mut self.inner.db.reads(), now).await {
            Ok(Some(at)) => poll.min(Duration::from_millis((at - now).max(1) as u64)),
            Ok(None) => poll,
            Err(error) => {
                tracing::warn!(%error, module = self.module(), "reading the next due job");
                poll
            }
        }
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

/// Forwards wake-ups from other processes to the worker, subscribing again (after a pause) if
/// the carrier drops the subscription.
async fn listen(wakeups: Arc<dyn Wakeups>, jobs: Jobs, pause: Duration) {
    loop {
        let mut woken = wakeups.listen();
        while woken.next().await.is_some() {
            jobs.inner.wake.notify_one();
        }
        tokio::time::sleep(pause).await;
    }
}

/// The queue gauges of one module: jobs per queue and state, and the age of the oldest due
/// job per queue. Every process sharing the database reports the same values (take the
/// maximum, not the sum, across processes).
#[derive(Default)]
struct Gauges {
    /// The label sets set last time, so a queue that emptied reads 0 rather than its old value.
    depth: BTreeSet<(String, &'static str)>,
    age: BTreeSet<String>,
}

impl Gauges {
    async fn refresh(&mut self, jobs: &Jobs) {
        let now = jobs.now_ms();
        let stats = match queue::stats(&mut jobs.inner.db.reads(), now).await {
            Ok(stats) => stats,
            Err(error) => {
                tracing::warn!(%error, module = jobs.module(), "reading queue depths");
                return;
            }
        };
        let module = jobs.module();
        let mut depth = BTreeSet::new();
        let mut age = BTreeSet::new();
        for row in &stats {
            metrics::gauge!("hybrid_jobs_depth", "module" => module, "queue" => row.queue.clone(), "state" => row.state.as_str())
                .set(row.count as f64);
            depth.insert((row.queue.clone(), row.state.as_str()));
            if let Some(oldest) = row.oldest_due_ms {
                metrics::gauge!("hybrid_jobs_oldest_due_seconds", "module" => module, "queue" => row.queue.clone())
                    .set((now - oldest).max(0) as f64 / 1000.0);
                age.insert(row.queue.clone());
            }
        }
        for (queue, state) in self.depth.difference(&depth) {
            metrics::gauge!("hybrid_jobs_depth", "module" => module, "queue" => queue.clone(), "state" => *state)
                .set(0.0);
        }
        for queue in self.age.difference(&age) {
            metrics::gauge!("hybrid_jobs_oldest_due_seconds", "module" => module, "queue" => queue.clone()).set(0.0);
        }
        (self.depth, self.age) = (depth, age);
    }
}
