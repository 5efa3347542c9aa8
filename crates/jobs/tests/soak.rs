//! The soak test: 5,000 jobs, one in ten failing at random, worker processes killed with
//! SIGKILL half-way. None may be lost and none may complete twice. Each job's effect is a row
//! written in the same transaction as its completion, so "twice" would show as two rows.
//!
//! The workers are this test binary run again as a child (`SOAK_CHILD` set), so the kill hits
//! a real process with jobs in flight. On SQLite one worker is killed and a new one takes
//! over the file (one process per file, as embedded Hybrid runs); on PostgreSQL two workers
//! share the queue and one of them is killed.
//!
//! It prints jobs/s and enqueue-to-start latency (docs/benchmarks.md).

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use hybrid_jobs::{Clock, Jobs, NewJob, Outcome, WorkerConfig};
use hybrid_store::testing::TestPostgres;
use hybrid_store::{Db, Dialect, Migration, StoreConfig, params};

const JOBS: i64 = 5_000;
const MODULE: &str = "soak";

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_effects",
        sqlite: "CREATE TABLE effects (job_id INTEGER NOT NULL, enqueued_at INTEGER NOT NULL, started_at INTEGER NOT NULL);",
        postgres: "CREATE TABLE effects (job_id BIGINT NOT NULL, enqueued_at BIGINT NOT NULL, started_at BIGINT NOT NULL);",
    },
    hybrid_jobs::migration(2),
];

fn store_config(location: &str) -> StoreConfig {
    if location.starts_with("postgres") {
        let mut config = StoreConfig::embedded(std::env::temp_dir());
        config.url = location.to_owned();
        config
    } else {
        StoreConfig::embedded(location)
    }
}

/// The worker process: runs until killed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_child() {
    let Ok(location) = std::env::var("SOAK_CHILD") else {
        return; // an ordinary test run: nothing to do
    };
    let db = Db::open(MODULE, &store_config(&location)).await.unwrap();
    let config = WorkerConfig {
        concurrency: 16,
        lease_ms: 1_000,
        poll_ms: 50,
        backoff_base_ms: 10,
        backoff_max_ms: 200,
        ..WorkerConfig::default()
    };
    let jobs = Jobs::new(db.clone(), config, Clock::system());
    jobs.handle("soak", move |job: hybrid_jobs::Job| {
        let db = db.clone();
        async move {
            let started_at = hybrid_store::time::now_ms();
            if fastrand::u8(0..10) == 0 {
                return Outcome::Retry("the one in ten that fails".into());
            }
            let enqueued_at: i64 = job.payload().unwrap();
            let id = job.id;
            let wrote = db
                .write(move |tx| {
                    Box::pin(async move {
                        tx.execute(
                            "INSERT INTO effects (job_id, enqueued_at, started_at) VALUES ($1, $2, $3)",
                            params![id, enqueued_at, started_at],
                        )
                        .await?;
                        job.complete_in(tx).await
                    })
                })
                .await;
            match wrote {
                Ok(()) => Outcome::Done,
                Err(error) => Outcome::Retry(error.to_string()),
            }
        }
    });
    jobs.run(std::future::pending()).await; // until killed
}

fn worker(location: &str) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "soak_child", "--nocapture", "--test-threads=1"])
        .env("SOAK_CHILD", location)
        .spawn()
        .expect("starting a worker process")
}

async fn done(db: &Db) -> i64 {
    let (count,): (i64,) = db
        .reads()
        .fetch_one("SELECT COUNT(*) FROM jobs WHERE state = 'done'", params![])
        .await
        .unwrap();
    count
}

/// Polls (no fixed sleeps beyond the poll step) until `done` reaches `target`, up to `limit`.
async fn until_done(db: &Db, target: i64, limit: Duration) {
    let deadline = Instant::now() + limit;
    while done(db).await < target {
        assert!(
            Instant::now() < deadline,
            "only {} of {target} jobs done in {limit:?}",
            done(db).await
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn soak(dialect: Dialect) {
    let dir = tempfile::tempdir().unwrap();
    let postgres = match dialect {
        Dialect::Sqlite => None,
        Dialect::Postgres => Some(TestPostgres::create().await.expect("PostgreSQL")),
    };
    let location = match &postgres {
        Some(pg) => pg.url.clone(),
        None => dir.path().display().to_string(),
    };
    let db = Db::open(MODULE, &store_config(&location)).await.unwrap();
    db.migrate(MIGRATIONS).await.unwrap();
    for _ in 0..JOBS / 500 {
        db.write(|tx| {
            Box::pin(async move {
                for _ in 0..500 {
                    let now = hybrid_store::time::now_ms();
                    hybrid_jobs::enqueue(tx, &NewJob::new("soak", &now).max_attempts(30), now).await?;
                }
                Ok::<_, hybrid_store::StoreError>(())
            })
        })
        .await
        .unwrap();
    }

    let started = Instant::now();
    let mut doomed = worker(&location);
    let mut survivor = (dialect == Dialect::Postgres).then(|| worker(&location));
    until_done(&db, JOBS * 2 / 5, Duration::from_secs(40)).await;
    doomed.kill().unwrap(); // SIGKILL: its jobs in flight keep their leases until they run out
    doomed.wait().unwrap();
    let killed_at = done(&db).await;
    let mut replacement = worker(&location);
    until_done(&db, JOBS, Duration::from_secs(50)).await;
    let elapsed = started.elapsed();
    for child in [Some(&mut replacement), survivor.as_mut()].into_iter().flatten() {
        child.kill().unwrap();
        child.wait().unwrap();
    }

    let (rows, distinct): (i64, i64) = db
        .reads()
        .fetch_one("SELECT COUNT(*), COUNT(DISTINCT job_id) FROM effects", params![])
        .await
        .unwrap();
    assert_eq!((rows, distinct), (JOBS, JOBS), "every job's effect exactly once");
    let (unfinished,): (i64,) = db
        .reads()
        .fetch_one("SELECT COUNT(*) FROM jobs WHERE state <> 'done'", params![])
        .await
        .unwrap();
    assert_eq!(unfinished, 0);
    let (retried,): (i64,) = db
        .reads()
        .fetch_one("SELECT COUNT(*) FROM jobs WHERE attempts > 1", params![])
        .await
        .unwrap();
    assert!(retried > JOBS / 20, "about one in ten failed at first: {retried}");

    let mut waits: Vec<i64> = db
        .reads()
        .fetch_all::<(i64,)>("SELECT started_at - enqueued_at FROM effects", params![])
        .await
        .unwrap()
        .into_iter()
        .map(|(wait,)| wait)
        .collect();
    waits.sort_unstable();
    let latency = wake_latency(&db).await;
    println!(
        "soak {dialect:?}: {JOBS} jobs in {:.1} s ({:.0} jobs/s, a worker killed at {killed_at} done, \
         {retried} retried; with the whole backlog enqueued at once, enqueue to start p50 {} ms); \
         one job at a time in the enqueuing process: enqueue to start p50 {} ms, p99 {} ms",
        elapsed.as_secs_f64(),
        JOBS as f64 / elapsed.as_secs_f64(),
        waits[waits.len() / 2],
        latency[latency.len() / 2],
        latency[latency.len() * 99 / 100],
    );
}

/// Enqueue-to-start for single jobs on an idle worker in the enqueuing process (the embedded
/// case: the commit wakes the worker), in ms, sorted.
async fn wake_latency(db: &Db) -> Vec<i64> {
    let jobs = Jobs::new(db.clone(), WorkerConfig::default(), Clock::system());
    let (started_tx, mut started) = tokio::sync::mpsc::unbounded_channel();
    jobs.handle("ping", move |job: hybrid_jobs::Job| {
        let started_tx = started_tx.clone();
        async move {
            let enqueued_at: i64 = job.payload().unwrap();
            let _ = started_tx.send(hybrid_store::time::now_ms() - enqueued_at);
            Outcome::Done
        }
    });
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let worker = {
        let jobs = jobs.clone();
        tokio::spawn(async move {
            jobs.run(async move {
                let _ = stopped.await;
            })
            .await
        })
    };
    let mut waits = Vec::new();
    for _ in 0..200 {
        db.write(|tx| {
            Box::pin(async move {
                let now = hybrid_store::time::now_ms();
                hybrid_jobs::enqueue(tx, &NewJob::new("ping", &now), now).await
            })
        })
        .await
        .unwrap();
        jobs.wake();
        waits.push(started.recv().await.unwrap());
    }
    stop.send(()).unwrap();
    worker.await.unwrap();
    waits.sort_unstable();
    waits
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_sqlite() {
    soak(Dialect::Sqlite).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn soak_postgres() {
    soak(Dialect::Postgres).await
}
