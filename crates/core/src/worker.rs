//! Background workers. A module declares its workers in [`Started`](crate::Started); the
//! registry runs each under [`supervise`]: a worker that panics, fails or returns before
//! shutdown is started again after a backoff, its restarts are counted in `/metrics`
//! (`worker_restarts_total{worker}`), and one that keeps failing makes `/readyz` answer 503
//! naming it ([`Workers::failing`]).

use std::collections::VecDeque;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::future::BoxFuture;
use tokio::time::Instant;

use crate::Shutdown;

type Run = dyn Fn(Shutdown) -> BoxFuture<'static, anyhow::Result<()>> + Send + Sync;

/// A background worker: a name, and how to start a run of it.
pub struct Worker {
    name: &'static str,
    run: Arc<Run>,
}

impl Worker {
    /// A worker that runs until `shutdown`; each (re)start calls `run` afresh.
    pub fn new<F, Fut>(name: &'static str, run: F) -> Worker
    where
        F: Fn(Shutdown) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        Worker {
            name,
            run: Arc::new(move |shutdown| Box::pin(run(shutdown))),
        }
    }

    /// A worker that calls `tick` every `period` (the first at once) until shutdown. A tick's
    /// error is logged and counted (`worker_errors_total{worker}`), and the next tick comes on
    /// time: periodic chores (pruning, refreshing) catch up by themselves.
    pub fn every<F, Fut>(name: &'static str, period: Duration, tick: F) -> Worker
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
    {
        let tick = Arc::new(tick);
        Worker::new(name, move |mut shutdown| {
            let tick = tick.clone();
            async move {
                let mut interval = tokio::time::interval(period);
                interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
                loop {
                    tokio::select! {
                        _ = interval.tick() => {}
                        _ = shutdown.wait() => return Ok(()),
                    }
                    if let Err(err) = tick().await {
                        tracing::warn!(worker = name, error = format!("{err:#}"), "a periodic task failed");
                        metrics::counter!("worker_errors_total", "worker" => name).increment(1);
                    }
                }
            }
        })
    }

    /// The worker that runs a module's background jobs until shutdown (jobs in flight
    /// finish first; a killed process's jobs run again when their leases run out).
    pub fn jobs(name: &'static str, jobs: hybrid_jobs::Jobs) -> Worker {
        Worker::new(name, move |mut shutdown| {
            let jobs = jobs.clone();
            async move {
                jobs.run(async move { shutdown.wait().await }).await;
                Ok(())
            }
        })
    }

    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// First pause before a restart; it doubles with each failure in a row, up to [`MAX_BACKOFF`].
const FIRST_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(30);
/// A run that lasted this long was healthy: the next failure starts the backoff afresh.
const HEALTHY_RUN: Duration = Duration::from_secs(60);
/// A worker that stopped this many times within [`FAILING_WINDOW`] keeps failing.
const FAILING_AFTER: usize = 3;
const FAILING_WINDOW: Duration = Duration::from_secs(60);

/// The workers of a process, as `/readyz` sees them.
#[derive(Default)]
pub struct Workers {
    stops: Mutex<Vec<(String, VecDeque<(Instant, String)>)>>,
}

impl Workers {
    fn record(&self, worker: &str, why: String) {
        let mut stops = self.stops.lock().unwrap_or_else(|e| e.into_inner());
        let index = match stops.iter().position(|(name, _)| name == worker) {
            Some(index) => index,
            None => {
                stops.push((worker.to_owned(), VecDeque::new()));
                stops.len() - 1
            }
        };
        let recent = &mut stops[index].1;
        recent.push_back((Instant::now(), why));
        while recent.len() > FAILING_AFTER {
            recent.pop_front();
        }
    }

    /// Workers that stopped [`FAILING_AFTER`] times within the last [`FAILING_WINDOW`], each
    /// with the reason it last stopped.
    pub fn failing(&self) -> Vec<(String, String)> {
        let stops = self.stops.lock().unwrap_or_else(|e| e.into_inner());
        stops
            .iter()
            .filter(|(_, recent)| {
                recent.len() >= FAILING_AFTER && recent.front().is_some_and(|(at, _)| at.elapsed() < FAILING_WINDOW)
            })
            .map(|(name, recent)| {
                (
                    name.clone(),
                    recent.back().map(|(_, why)| why.clone()).unwrap_or_default(),
                )
            })
            .collect()
    }
}

/// Runs `worker` of `module` until `shutdown`, restarting it whenever it stops before then.
pub fn supervise(
    module: &'static str,
    worker: Worker,
    shutdown: Shutdown,
    workers: Arc<Workers>,
) -> BoxFuture<'static, ()> {
    let label = format!("{module}.{}", worker.name);
    Box::pin(async move {
        let mut backoff = FIRST_BACKOFF;
        let mut stopping = shutdown.clone();
        loop {
            let started = Instant::now();
            // its own task, so a panic ends this run only
            let outcome = tokio::spawn((worker.run)(shutdown.clone())).await;
            if shutdown.is_stopping() {
                return;
            }
            let why = match outcome {
                Ok(Ok(())) => "returned before shutdown".to_owned(),
                Ok(Err(err)) => format!("failed: {err:#}"),
                Err(join) => match join.try_into_panic() {
                    Ok(panic) => format!("panicked: {}", panic_message(panic.as_ref())),
                    Err(_) => "was cancelled".to_owned(),
                },
            };
            if started.elapsed() >= HEALTHY_RUN {
                backoff = FIRST_BACKOFF;
            }
            tracing::error!(worker = %label, %why, restart_in_ms = backoff.as_millis() as u64, "a worker stopped; restarting it");
            metrics::counter!("worker_restarts_total", "worker" => label.clone()).increment(1);
            workers.record(&label, why);
            tokio::select! {
                _ = tokio::time::sleep(backoff) => {}
                _ = stopping.wait() => return,
            }
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    })
}

fn panic_message(panic: &(dyn std::any::Any + Send)) -> &str {
    if let Some(text) = panic.downcast_ref::<&str>() {
        text
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text
    } else {
        "(no message)"
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_worker_that_panics_is_restarted_and_reported_until_it_recovers() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        let worker = Worker::new("flaky", move |mut shutdown| {
            let run = counted.fetch_add(1, Ordering::SeqCst) + 1;
            async move {
                if run <= 3 {
                    panic!("run {run} breaks");
                }
                shutdown.wait().await;
                Ok(())
            }
        });
        let workers = Arc::new(Workers::default());
        let (stop, shutdown) = Shutdown::new();
        let supervisor = tokio::spawn(supervise("test", worker, shutdown, workers.clone()));
        // three panics, with 100 + 200 ms of backoff between them, then a fourth run that lasts
        tokio::time::sleep(Duration::from_millis(450)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        let failing = workers.failing();
        assert_eq!(failing.len(), 1, "{failing:?}");
        assert_eq!(failing[0].0, "test.flaky");
        assert!(failing[0].1.contains("panicked: run 3 breaks"), "{failing:?}");
        tokio::time::sleep(Duration::from_millis(400)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 4, "restarted after the third panic");
        tokio::time::sleep(FAILING_WINDOW).await;
        assert!(workers.failing().is_empty(), "the failures aged out while it ran");
        stop.send(true).unwrap();
        supervisor.await.unwrap();
        assert_eq!(runs.load(Ordering::SeqCst), 4, "not restarted at shutdown");
    }

    #[tokio::test(start_paused = true)]
    async fn a_worker_that_returns_or_fails_early_is_restarted_with_a_growing_backoff() {
        let runs = Arc::new(AtomicUsize::new(0));
        let counted = runs.clone();
        let worker = Worker::new("quitter", move |_| {
            let run = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                if run % 2 == 0 {
                    Ok(())
                } else {
                    Err(anyhow::anyhow!("no database"))
                }
            }
        });
        let workers = Arc::new(Workers::default());
        let (stop, shutdown) = Shutdown::new();
        let supervisor = tokio::spawn(supervise("test", worker, shutdown, workers.clone()));
        // runs at 0, 100, 300, 700, 1500 ms
        tokio::time::sleep(Duration::from_millis(1000)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 4);
        assert!(workers.failing()[0].1.contains("failed: no database"));
        tokio::time::sleep(Duration::from_millis(600)).await;
        assert_eq!(runs.load(Ordering::SeqCst), 5);
        assert!(workers.failing()[0].1.contains("returned before shutdown"));
        stop.send(true).unwrap();
        supervisor.await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_periodic_worker_ticks_on_time_through_errors_and_stops_at_shutdown() {
        let ticks = Arc::new(AtomicUsize::new(0));
        let counted = ticks.clone();
        let worker = Worker::every("chore", Duration::from_secs(10), move || {
            let tick = counted.fetch_add(1, Ordering::SeqCst);
            async move {
                anyhow::ensure!(tick != 1, "the second tick fails");
                Ok(())
            }
        });
        let workers = Arc::new(Workers::default());
        let (stop, shutdown) = Shutdown::new();
        let supervisor = tokio::spawn(supervise("test", worker, shutdown, workers.clone()));
        tokio::time::sleep(Duration::from_secs(35)).await;
        assert_eq!(ticks.load(Ordering::SeqCst), 4, "at 0, 10, 20 and 30 s");
        assert!(workers.failing().is_empty(), "a failed tick does not stop the worker");
        stop.send(true).unwrap();
        supervisor.await.unwrap();
    }
}
