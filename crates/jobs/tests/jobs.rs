//! The jobs on both dialects, through real databases: transactional enqueue, dedup, retries
//! and death, priorities and run-at times, one-at-a-time keys, cancel, and a dead worker's
//! job taken over when its lease runs out.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hybrid_jobs::{Clock, JobState, Jobs, NewJob, Outcome, WorkerConfig};
use hybrid_store::testing::TestPostgres;
use hybrid_store::{Db, Dialect, Migration, StoreConfig, StoreError, params};
use tokio::sync::watch;

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_effects",
        sqlite: "CREATE TABLE effects (job_id INTEGER NOT NULL, note TEXT NOT NULL);",
        postgres: "CREATE TABLE effects (job_id BIGINT NOT NULL, note TEXT NOT NULL);",
    },
    hybrid_jobs::migration(2),
];

macro_rules! dialect_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() { super::$name(hybrid_store::Dialect::Sqlite).await }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() { super::$name(hybrid_store::Dialect::Postgres).await }
        }
    )*};
}

dialect_tests!(
    a_job_exists_only_if_its_cause_committed,
    failures_back_off_then_die,
    effects_commit_with_completion_and_cancel_stops_at_once,
    a_dead_workers_job_runs_again_after_its_lease,
    due_jobs_run_by_priority_and_not_before_their_time,
    jobs_sharing_a_key_run_one_at_a_time,
    schedules_fire_once_per_period_with_a_movable_clock,
    a_rate_limit_spreads_a_keys_jobs_over_windows,
    finished_jobs_are_pruned_after_their_keeping_time,
);

struct Fixture {
    db: Db,
    _dir: tempfile::TempDir,
    _postgres: Option<TestPostgres>,
}

async fn open(dialect: Dialect) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    let mut config = StoreConfig::embedded(dir.path());
    let postgres = match dialect {
        Dialect::Sqlite => None,
        Dialect::Postgres => Some(TestPostgres::create().await.expect("PostgreSQL")),
    };
    if let Some(pg) = &postgres {
        config.url = pg.url.clone();
    }
    let db = Db::open("jobs_test", &config).await.unwrap();
    db.migrate(MIGRATIONS).await.unwrap();
    Fixture {
        db,
        _dir: dir,
        _postgres: postgres,
    }
}

fn quick() -> WorkerConfig {
    WorkerConfig {
        concurrency: 4,
        lease_ms: 5_000,
        poll_ms: 20,
        backoff_base_ms: 10,
        backoff_max_ms: 40,
        ..WorkerConfig::default()
    }
}

async fn enqueue(jobs: &Jobs, job: NewJob) -> i64 {
    let now = jobs.now_ms();
    let id = jobs
        .db()
        .write(move |tx| Box::pin(async move { hybrid_jobs::enqueue(tx, &job, now).await }))
        .await
        .unwrap();
    jobs.wake();
    id
}

async fn info(db: &Db, id: i64) -> hybrid_jobs::JobInfo {
    hybrid_jobs::get(&mut db.reads(), id)
        .await
        .unwrap()
        .expect("the job exists")
}

/// Waits (polling, up to 20 s) until the job reaches `state`.
async fn until_state(db: &Db, id: i64, state: JobState) -> hybrid_jobs::JobInfo {
    for _ in 0..1000 {
        let job = info(db, id).await;
        if job.state == state {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("job {id} never reached {state:?}: {:?}", info(db, id).await);
}

fn start(jobs: &Jobs) -> (watch::Sender<bool>, tokio::task::JoinHandle<()>) {
    let (stop, mut stopped) = watch::channel(false);
    let worker = jobs.clone();
    let stopped = async move {
        let _ = stopped.wait_for(|stop| *stop).await;
    };
    (stop, tokio::spawn(async move { worker.run(stopped).await }))
}

async fn a_job_exists_only_if_its_cause_committed(dialect: Dialect) {
    let f = open(dialect).await;
    let failed: Result<i64, StoreError> =
        f.db.write(|tx| {
            Box::pin(async move {
                hybrid_jobs::enqueue(tx, &NewJob::new("mail", &"hello"), 1).await?;
                Err(StoreError::NoRow) // the cause fails after the enqueue
            })
        })
        .await;
    assert!(failed.is_err());
    assert!(
        hybrid_jobs::list(&mut f.db.reads(), &Default::default(), 10)
            .await
            .unwrap()
            .is_empty(),
        "rolled back with its cause"
    );

    let jobs = Jobs::new(f.db.clone(), quick(), Clock::system());
    let first = enqueue(&jobs, NewJob::new("mail", &"hello").dedup_key("welcome:7")).await;
    let again = enqueue(&jobs, NewJob::new("mail", &"hello again").dedup_key("welcome:7")).await;
    let other_queue = enqueue(&jobs, NewJob::new("push", &"hello").dedup_key("welcome:7")).await;
    assert_eq!(first, again, "one job per dedup key");
    assert_ne!(first, other_queue, "keys are per queue");
    let all = hybrid_jobs::list(
        &mut f.db.reads(),
        &hybrid_jobs::JobFilter {
            state: Some(JobState::Ready),
            ..Default::default()
        },
        10,
    )
    .await
    .unwrap();
    assert_eq!(all.len(), 2);
}

async fn failures_back_off_then_die(dialect: Dialect) {
    let f = open(dialect).await;
    let jobs = Jobs::new(f.db.clone(), quick(), Clock::system());
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    jobs.handle("flaky", move |job: hybrid_jobs::Job| {
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            Outcome::Retry(format!("attempt {} failed", job.attempt))
        }
    });
    jobs.handle("hopeless", |_job: hybrid_jobs::Job| async {
        Outcome::Fail("bad payload".into())
    });
    let (stop, worker) = start(&jobs);
    let flaky = enqueue(&jobs, NewJob::new("flaky", &1).max_attempts(3)).await;
    let hopeless = enqueue(&jobs, NewJob::new("hopeless", &1).max_attempts(5)).await;
    let dead = until_state(&f.db, flaky, JobState::Dead).await;
    assert_eq!(
        (dead.attempts, dead.last_error.as_deref()),
        (3, Some("attempt 3 failed"))
    );
    assert_eq!(runs.load(Ordering::SeqCst), 3, "no run after the last attempt");
    let failed = until_state(&f.db, hopeless, JobState::Dead).await;
    assert_eq!(failed.attempts, 1, "a failure no retry can fix is not retried");

    // retry-now gives a dead job a fresh set of attempts
    let now = jobs.now_ms();
    assert!(
        f.db.write(move |tx| Box::pin(hybrid_jobs::retry_now(tx, flaky, now)))
            .await
            .unwrap()
    );
    jobs.wake();
    until_state(&f.db, flaky, JobState::Dead).await;
    assert_eq!(runs.load(Ordering::SeqCst), 6);
    stop.send(true).unwrap();
    worker.await.unwrap();

    let config = WorkerConfig {
        backoff_base_ms: 1_000,
        backoff_max_ms: 60_000,
        ..quick()
    };
    for (attempt, full) in [(1, 1_000), (2, 2_000), (3, 4_000), (10, 60_000)] {
        let delay = hybrid_jobs::backoff(&config, attempt).as_millis() as u64;
        assert!((full / 2..=full).contains(&delay), "attempt {attempt}: {delay} ms");
    }
}

async fn effects_commit_with_completion_and_cancel_stops_at_once(dialect: Dialect) {
    let f = open(dialect).await;
    let jobs = Jobs::new(f.db.clone(), quick(), Clock::system());
    let db = f.db.clone();
    jobs.handle("write", move |job: hybrid_jobs::Job| {
        let db = db.clone();
        async move {
            let note: String = job.payload().unwrap();
            let id = job.id;
            let wrote = db
                .write(move |tx| {
                    Box::pin(async move {
                        tx.execute("INSERT INTO effects (job_id, note) VALUES ($1, $2)", params![id, &note])
                            .await?;
                        job.complete_in(tx).await
                    })
                })
                .await;
            match wrote {
                Ok(()) => Outcome::Done,
                Err(e) => Outcome::Retry(e.to_string()),
            }
        }
    });
    let dropped = Arc::new(AtomicUsize::new(0));
    let guard_count = dropped.clone();
    jobs.handle("forever", move |_job: hybrid_jobs::Job| {
        let guard = DropGuard(guard_count.clone());
        async move {
            let _guard = guard;
            std::future::pending::<()>().await;
            Outcome::Done
        }
    });
    let (stop, worker) = start(&jobs);
    let written = enqueue(&jobs, NewJob::new("write", &"effect")).await;
    until_state(&f.db, written, JobState::Done).await;
    let effects: Vec<(i64, String)> =
        f.db.reads()
            .fetch_all("SELECT job_id, note FROM effects", params![])
            .await
            .unwrap();
    assert_eq!(
        effects,
        vec![(written, "effect".to_owned())],
        "one effect, with the completion"
    );

    let stuck = enqueue(&jobs, NewJob::new("forever", &0)).await;
    until_state(&f.db, stuck, JobState::Running).await;
    assert!(jobs.cancel(stuck).await.unwrap());
    for _ in 0..500 {
        if dropped.load(Ordering::SeqCst) == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(dropped.load(Ordering::SeqCst), 1, "the running job was stopped");
    assert_eq!(info(&f.db, stuck).await.state, JobState::Cancelled);
    assert!(!jobs.cancel(stuck).await.unwrap(), "cancelling twice changes nothing");
    stop.send(true).unwrap();
    worker.await.unwrap();
}

struct DropGuard(Arc<AtomicUsize>);

impl Drop for DropGuard {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

async fn a_dead_workers_job_runs_again_after_its_lease(dialect: Dialect) {
    let f = open(dialect).await;
    let short_lease = WorkerConfig {
        lease_ms: 300,
        ..quick()
    };
    let doomed = Jobs::new(f.db.clone(), short_lease.clone(), Clock::system());
    doomed.handle("task", |_job: hybrid_jobs::Job| async {
        std::future::pending::<()>().await;
        Outcome::Done
    });
    let (_stop, worker) = start(&doomed);
    let id = enqueue(&doomed, NewJob::new("task", &0).concurrency_key("account:1")).await;
    until_state(&f.db, id, JobState::Running).await;
    worker.abort(); // as if the process died: no more heartbeats, no outcome
    let _ = worker.await;
    // a more urgent job of the same key waits for the orphan, which is taken over first
    let next = enqueue(
        &doomed,
        NewJob::new("task", &1).concurrency_key("account:1").priority(10),
    )
    .await;

    let survivor = Jobs::new(f.db.clone(), short_lease, Clock::system());
    let late_completion = Arc::new(AtomicUsize::new(0));
    let count = late_completion.clone();
    survivor.handle("task", move |job: hybrid_jobs::Job| {
        let count = count.clone();
        async move {
            count.fetch_add(1, Ordering::SeqCst);
            let first: i64 = job.payload().unwrap();
            let expected_attempt = if first == 0 { 2 } else { 1 };
            assert_eq!(job.attempt, expected_attempt, "the dead worker's attempt counts");
            Outcome::Done
        }
    });
    let (stop, worker) = start(&survivor);
    let done = until_state(&f.db, id, JobState::Done).await;
    assert_eq!(done.attempts, 2);
    until_state(&f.db, next, JobState::Done).await;
    assert_eq!(late_completion.load(Ordering::SeqCst), 2);
    stop.send(true).unwrap();
    worker.await.unwrap();
}

async fn due_jobs_run_by_priority_and_not_before_their_time(dialect: Dialect) {
    let f = open(dialect).await;
    let clock = Clock::manual(1_000_000);
    let jobs = Jobs::new(
        f.db.clone(),
        WorkerConfig {
            concurrency: 1,
            ..quick()
        },
        clock.clone(),
    );
    let order = Arc::new(std::sync::Mutex::new(Vec::new()));
    let seen = order.clone();
    jobs.handle("step", move |job: hybrid_jobs::Job| {
        let seen = seen.clone();
        async move {
            seen.lock().unwrap().push(job.payload::<String>().unwrap());
            Outcome::Done
        }
    });
    // all enqueued before the worker starts, so only priority and time decide
    let later = enqueue(
        &jobs,
        NewJob::new("step", &"later")
            .run_at(clock.now_ms() + 60_000)
            .priority(9),
    )
    .await;
    let low = enqueue(&jobs, NewJob::new("step", &"low")).await;
    let high = enqueue(&jobs, NewJob::new("step", &"high").priority(5)).await;
    let (stop, worker) = start(&jobs);
    until_state(&f.db, low, JobState::Done).await;
    until_state(&f.db, high, JobState::Done).await;
    assert_eq!(info(&f.db, later).await.state, JobState::Ready, "not before its time");
    clock.advance(Duration::from_millis(60_000));
    jobs.wake();
    until_state(&f.db, later, JobState::Done).await;
    assert_eq!(*order.lock().unwrap(), ["high", "low", "later"]);
    stop.send(true).unwrap();
    worker.await.unwrap();
}

async fn jobs_sharing_a_key_run_one_at_a_time(dialect: Dialect) {
    let f = open(dialect).await;
    let jobs = Jobs::new(f.db.clone(), quick(), Clock::system());
    let running = Arc::new(std::sync::Mutex::new(
        std::collections::HashMap::<String, (i32, i32)>::new(),
    ));
    let track = running.clone();
    jobs.handle("send", move |job: hybrid_jobs::Job| {
        let track = track.clone();
        async move {
            let account: String = job.payload().unwrap();
            {
                let mut map = track.lock().unwrap();
                let entry = map.entry(account.clone()).or_default();
                entry.0 += 1;
                entry.1 = entry.1.max(entry.0);
            }
            tokio::time::sleep(Duration::from_millis(15)).await;
            track.lock().unwrap().get_mut(&account).unwrap().0 -= 1;
            Outcome::Done
        }
    });
    let mut ids = Vec::new();
    for i in 0..24 {
        let account = if i % 2 == 0 { "acct-a" } else { "acct-b" };
        ids.push(enqueue(&jobs, NewJob::new("send", &account).concurrency_key(account)).await);
    }
    for i in 0..6 {
        ids.push(enqueue(&jobs, NewJob::new("send", &format!("free-{i}"))).await);
    }
    let (stop, worker) = start(&jobs);
    for id in ids {
        until_state(&f.db, id, JobState::Done).await;
    }
    let peaks = running.lock().unwrap().clone();
    assert_eq!(peaks["acct-a"].1, 1, "one job of a key at a time: {peaks:?}");
    assert_eq!(peaks["acct-b"].1, 1, "{peaks:?}");
    stop.send(true).unwrap();
    worker.await.unwrap();
}

async fn digests(db: &Db) -> i64 {
    let (count,): (i64,) = db
        .reads()
        .fetch_one(
            "SELECT COUNT(*) FROM jobs WHERE queue = 'digest' AND state = 'done'",
            params![],
        )
        .await
        .unwrap();
    count
}

async fn until_digests(db: &Db, expected: i64) {
    for _ in 0..1000 {
        if digests(db).await >= expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert_eq!(digests(db).await, expected);
}

async fn schedules_fire_once_per_period_with_a_movable_clock(dialect: Dialect) {
    let f = open(dialect).await;
    // Friday 2026-03-27, two days before Berlin moves its clocks forward
    let clock = Clock::manual(1_774_612_800_000);
    let daily = hybrid_jobs::Schedule {
        name: "morning-digest".into(),
        queue: "digest".into(),
        payload: "{}".into(),
        cron: "0 9 * * *".into(),
        timezone: "Europe/Berlin".into(),
    };
    let (now, plan) = (clock.now_ms(), daily.clone());
    let first =
        f.db.write(move |tx| Box::pin(async move { hybrid_jobs::schedule(tx, &plan, now).await }))
            .await
            .unwrap();
    assert_eq!(first, 1_774_684_800_000, "Saturday 09:00 CET is 08:00 UTC");
    let bad = hybrid_jobs::Schedule {
        cron: "0 25 * * *".into(),
        ..daily.clone()
    };
    let refused =
        f.db.write(move |tx| Box::pin(async move { hybrid_jobs::schedule(tx, &bad, now).await }))
            .await;
    assert!(
        matches!(refused, Err(hybrid_jobs::ScheduleError::Pattern(..))),
        "{refused:?}"
    );

    // two workers race for every period
    // finished digests are counted, so none is pruned during the simulated days
    let keep_all = WorkerConfig {
        keep_finished_ms: 365 * 86_400_000,
        ..quick()
    };
    let workers: Vec<Jobs> = (0..2)
        .map(|_| Jobs::new(f.db.clone(), keep_all.clone(), clock.clone()))
        .collect();
    let mut running = Vec::new();
    for jobs in &workers {
        jobs.handle("digest", |_job: hybrid_jobs::Job| async { Outcome::Done });
        jobs.handle("marker", |_job: hybrid_jobs::Job| async { Outcome::Done });
        running.push(start(jobs));
    }
    let mut fired_at = Vec::new();
    let mut next = first;
    for day in 1..=4 {
        clock.set(next + 60_000);
        workers.iter().for_each(Jobs::wake);
        until_digests(&f.db, day).await;
        fired_at.push(next);
        next = hybrid_jobs::next_after("0 9 * * *", "Europe/Berlin", next).unwrap();
    }
    // Sunday is the first day of summer time: 09:00 CEST is 07:00 UTC
    let hours_utc: Vec<i64> = fired_at.iter().map(|ms| ms / 3_600_000 % 24).collect();
    assert_eq!(hours_utc, [8, 7, 7, 7]);

    // the server was away for three days: one run when it is back, not three
    clock.set(next + 3 * 86_400_000);
    workers.iter().for_each(Jobs::wake);
    until_digests(&f.db, 5).await;
    let (due,): (i64,) =
        f.db.reads()
            .fetch_one(
                "SELECT next_run_at FROM job_schedules WHERE name = 'morning-digest'",
                params![],
            )
            .await
            .unwrap();
    assert!(due > clock.now_ms(), "the next run is in the future");

    // declaring it again at start-up changes nothing; removing it stops it
    let (now, plan) = (clock.now_ms(), daily.clone());
    let kept =
        f.db.write(move |tx| Box::pin(async move { hybrid_jobs::schedule(tx, &plan, now).await }))
            .await
            .unwrap();
    assert_eq!(kept, due);
    assert!(
        f.db.write(|tx| Box::pin(hybrid_jobs::unschedule(tx, "morning-digest")))
            .await
            .unwrap()
    );
    clock.set(due + 86_400_000);
    // a job enqueued now is claimed after a look at the schedules at the new time
    let marker = enqueue(&workers[0], NewJob::new("marker", &0)).await;
    until_state(&f.db, marker, JobState::Done).await;
    for (stop, worker) in running {
        stop.send(true).unwrap();
        worker.await.unwrap();
    }
    assert_eq!(digests(&f.db).await, 5);
}

async fn a_rate_limit_spreads_a_keys_jobs_over_windows(dialect: Dialect) {
    let f = open(dialect).await;
    let clock = Clock::manual(1_800_000_000_000);
    let jobs = Jobs::new(f.db.clone(), quick(), clock.clone());
    jobs.handle("invite", |_job: hybrid_jobs::Job| async { Outcome::Done });
    let hour = Duration::from_secs(3600);
    let mut limited = Vec::new();
    for i in 0..5 {
        limited.push(enqueue(&jobs, NewJob::new("invite", &i).rate_limit("account:1", 2, hour)).await);
    }
    let other = enqueue(&jobs, NewJob::new("invite", &9).rate_limit("account:2", 2, hour)).await;
    let (stop, worker) = start(&jobs);
    let done_count = |db: Db| async move {
        let (n,): (i64,) = db
            .reads()
            .fetch_one(
                "SELECT COUNT(*) FROM jobs WHERE rate_key = 'account:1' AND state = 'done'",
                params![],
            )
            .await
            .unwrap();
        n
    };
    until_state(&f.db, other, JobState::Done).await; // another key is not held up
    until_state(&f.db, limited[1], JobState::Done).await;
    // a job enqueued now is claimed after the worker has passed over the limited ones
    let marker = enqueue(&jobs, NewJob::new("invite", &"marker")).await;
    until_state(&f.db, marker, JobState::Done).await;
    assert_eq!(done_count(f.db.clone()).await, 2, "two starts per hour");
    assert_eq!(info(&f.db, limited[2]).await.state, JobState::Ready);

    clock.advance(Duration::from_millis(3_600_001));
    jobs.wake();
    until_state(&f.db, limited[3], JobState::Done).await;
    let marker = enqueue(&jobs, NewJob::new("invite", &"marker 2")).await;
    until_state(&f.db, marker, JobState::Done).await;
    assert_eq!(done_count(f.db.clone()).await, 4, "two more in the next hour");
    clock.advance(Duration::from_millis(3_600_001));
    jobs.wake();
    until_state(&f.db, limited[4], JobState::Done).await;
    stop.send(true).unwrap();
    worker.await.unwrap();
}

async fn finished_jobs_are_pruned_after_their_keeping_time(dialect: Dialect) {
    let f = open(dialect).await;
    let clock = Clock::manual(1_800_000_000_000);
    let day: i64 = 86_400_000;
    let jobs = Jobs::new(
        f.db.clone(),
        WorkerConfig {
            keep_finished_ms: day as u64,
            ..quick()
        },
        clock.clone(),
    );
    jobs.handle("ok", |_job: hybrid_jobs::Job| async { Outcome::Done });
    jobs.handle("bad", |_job: hybrid_jobs::Job| async { Outcome::Fail("no".into()) });
    let done = enqueue(&jobs, NewJob::new("ok", &0).dedup_key("once")).await;
    let dead = enqueue(&jobs, NewJob::new("bad", &0)).await;
    let cancelled = enqueue(&jobs, NewJob::new("ok", &0).run_at(clock.now_ms() + 10 * day)).await;
    assert!(jobs.cancel(cancelled).await.unwrap());
    let (stop, worker) = start(&jobs);
    until_state(&f.db, done, JobState::Done).await;
    until_state(&f.db, dead, JobState::Dead).await;
    stop.send(true).unwrap();
    worker.await.unwrap();

    let now = clock.now_ms();
    let pruned =
        f.db.write(move |tx| Box::pin(hybrid_jobs::prune(tx, now - day, 100)))
            .await
            .unwrap();
    assert_eq!(pruned, 0, "kept for a day");
    // a day later, a worker starting up prunes what finished before then
    clock.advance(Duration::from_millis(day as u64 + 1));
    let (stop, worker) = start(&jobs);
    let marker = enqueue(&jobs, NewJob::new("ok", &"marker")).await;
    until_state(&f.db, marker, JobState::Done).await;
    stop.send(true).unwrap();
    worker.await.unwrap();
    assert!(
        hybrid_jobs::get(&mut f.db.reads(), done).await.unwrap().is_none(),
        "done: pruned"
    );
    assert!(
        hybrid_jobs::get(&mut f.db.reads(), cancelled).await.unwrap().is_none(),
        "cancelled: pruned"
    );
    assert_eq!(
        info(&f.db, dead).await.state,
        JobState::Dead,
        "dead jobs stay for a look"
    );
    let again = enqueue(&jobs, NewJob::new("ok", &0).dedup_key("once")).await;
    assert_ne!(again, done, "a pruned job's dedup key is free again");
}
