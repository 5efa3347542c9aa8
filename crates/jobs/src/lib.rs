//! Durable background jobs, a platform piece every module uses the same way (docs/jobs.md):
//!
//! - the queue is a `jobs` table in the module's own database ([`migration`]), written
//!   through the store's [`Sql`](hybrid_store::Sql), so [`enqueue`] runs inside the caller's
//!   transaction: the job exists if and only if its cause committed;
//! - a [`Jobs`] worker claims due jobs with a lease (PostgreSQL: `FOR UPDATE SKIP LOCKED`,
//!   so several processes share a queue), keeps it with heartbeats, and records the outcome:
//!   done, retried with exponential backoff and jitter, or dead after the last attempt. A
//!   killed process's jobs run again when their leases run out; a cancelled job stops at once;
//! - recurring [`Schedule`]s: cron patterns in IANA time zones, one job per period;
//! - at least once: a job's effects on its own module's tables commit with its completion
//!   ([`Job::complete_in`]); effects outside (HTTP, email, Telegram) may repeat after a crash,
//!   so such jobs carry an idempotency key or check before acting again.
//!
//! What wakes a worker (an enqueue here, the bus in a split deployment) only saves time; the
//! table is the truth, polled every `poll_ms`.

mod queue;
mod schedule;
mod worker;

pub use hybrid_store::Clock;
pub use queue::{
    JobFilter, JobInfo, JobState, LeaseError, NewJob, QueueStats, cancel, complete, enqueue, get, list,
    pending_with_key, prune, retry_now, stats,
};
pub use schedule::{Schedule, ScheduleError, next_after, schedule, unschedule};
pub use worker::{Handler, Job, Jobs, Outcome, Wakeups, WorkerConfig, backoff};

/// The `jobs` table as a module's migration number `version`: list it in the module's
/// migrations like its own.
pub const fn migration(version: i64) -> hybrid_store::Migration {
    hybrid_store::Migration {
        version,
        name: "jobs_v1",
        sqlite: include_str!("../migrations/sqlite/jobs_v1.sql"),
        postgres: include_str!("../migrations/postgres/jobs_v1.sql"),
    }
}
