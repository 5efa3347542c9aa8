//! Recurring jobs: a cron pattern in an IANA time zone ("0 9 * * MON-FRI" in Europe/Moscow).
//!
//! Each schedule keeps its next run time. When it is due, one write enqueues its job with the
//! dedup key `schedule:<name>:<period>` and moves the next run past now, so a period fires
//! once however many workers race for it, and a server that was down for three periods
//! fires once when it is back, not three times. Daylight saving time follows croner (OCPS):
//! a time that falls into a spring-forward gap runs at the first minute after it, and a time
//! that occurs twice in a fall-back overlap runs once.

use std::str::FromStr;

use croner::Cron;
use hybrid_store::{Sql, StoreError, params};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::queue::{self, NewJob};

/// A recurring job, as a module declares it.
#[derive(Debug, Clone)]
pub struct Schedule {
    /// Unique within the module; re-declaring a name updates it.
    pub name: String,
    pub queue: String,
    /// JSON the job gets each time.
    pub payload: String,
    /// Five fields (minute hour day month weekday), an optional leading seconds field, or a
    /// nickname such as `@daily`.
    pub cron: String,
    /// An IANA name such as `Europe/Moscow`, or `UTC`.
    pub timezone: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("the cron pattern {0:?} is not valid: {1}")]
    Pattern(String, String),
    #[error("{0:?} is not an IANA time zone")]
    TimeZone(String),
    #[error("the pattern {0:?} never matches again")]
    Never(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// The first time after `after_ms` that `cron` matches in `timezone`, in ms since the epoch.
pub fn next_after(cron: &str, timezone: &str, after_ms: i64) -> Result<i64, ScheduleError> {
    let pattern = Cron::from_str(cron).map_err(|e| ScheduleError::Pattern(cron.to_owned(), e.to_string()))?;
    let zone = TimeZone::get(timezone).map_err(|_| ScheduleError::TimeZone(timezone.to_owned()))?;
    let after = Timestamp::from_millisecond(after_ms)
        .map_err(|_| ScheduleError::Never(cron.to_owned()))?
        .to_zoned(zone);
    let next = pattern
        .find_next_occurrence(&after, false)
        .map_err(|_| ScheduleError::Never(cron.to_owned()))?;
    Ok(next.timestamp().as_millisecond())
}

/// Creates or updates a schedule in the caller's transaction. An unchanged pattern and zone
/// keep their next run time (re-declaring schedules at every start changes nothing).
/// Returns the next run time.
pub async fn schedule(tx: &mut Sql<'_>, schedule: &Schedule, now_ms: i64) -> Result<i64, ScheduleError> {
    let next = next_after(&schedule.cron, &schedule.timezone, now_ms)?;
    let current: Option<(String, String, i64)> = tx
        .fetch_optional(
            "SELECT cron, timezone, next_run_at FROM job_schedules WHERE name = $1",
            params![&schedule.name],
        )
        .await?;
    let next = match current {
        Some((cron, timezone, at)) if cron == schedule.cron && timezone == schedule.timezone => at,
        _ => next,
    };
    tx.execute(
        "INSERT INTO job_schedules (name, queue, payload, cron, timezone, next_run_at, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $7) \
         ON CONFLICT (name) DO UPDATE SET queue = $2, payload = $3, cron = $4, timezone = $5, \
         next_run_at = $6, updated_at = $7",
        params![
            &schedule.name,
            &schedule.queue,
            &schedule.payload,
            &schedule.cron,
            &schedule.timezone,
            next,
            now_ms
        ],
    )
    .await?;
    Ok(next)
}

/// Removes a schedule; returns whether it existed. Jobs it already enqueued stay.
pub async fn unschedule(tx: &mut Sql<'_>, name: &str) -> Result<bool, StoreError> {
    Ok(tx
        .execute("DELETE FROM job_schedules WHERE name = $1", params![name])
        .await?
        == 1)
}

/// Whether any schedule is due (a read, so an idle worker does not write every poll).
pub(crate) async fn any_due(sql: &mut Sql<'_>, now_ms: i64) -> Result<bool, StoreError> {
    let due: Option<(i64,)> = sql
        .fetch_optional(
            "SELECT 1 FROM job_schedules WHERE next_run_at <= $1 LIMIT 1",
            params![now_ms],
        )
        .await?;
    Ok(due.is_some())
}

/// Enqueues the job of every due schedule and moves it to its next period after now.
/// Returns how many jobs were enqueued.
pub(crate) async fn fire_due(tx: &mut Sql<'_>, now_ms: i64, postgres: bool) -> Result<usize, StoreError> {
    let lock = if postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
    let due: Vec<(String, String, String, String, String, i64)> = tx
        .fetch_all(
            &format!(
                "SELECT name, queue, payload, cron, timezone, next_run_at FROM job_schedules \
                 WHERE next_run_at <= $1 ORDER BY next_run_at LIMIT 100{lock}"
            ),
            params![now_ms],
        )
        .await?;
    let mut fired = 0;
    for (name, queue, payload, cron, timezone, period) in due {
        let job = NewJob::raw(queue, payload).dedup_key(format!("schedule:{name}:{period}"));
        queue::enqueue(tx, &job, now_ms).await?;
        fired += 1;
        // a pattern that stopped matching (or a zone that vanished) stops; it stays listed
        let next = next_after(&cron, &timezone, now_ms.max(period)).unwrap_or(i64::MAX);
        tx.execute(
            "UPDATE job_schedules SET next_run_at = $2, updated_at = $3 WHERE name = $1",
            params![&name, next, now_ms],
        )
        .await?;
    }
    Ok(fired)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        text.parse::<jiff::Zoned>().unwrap().timestamp().as_millisecond()
    }

    #[test]
    fn times_follow_the_zone_across_daylight_saving() {
        // 09:00 in Berlin is 08:00 UTC in winter and 07:00 UTC in summer
        let winter = next_after("0 9 * * *", "Europe/Berlin", at("2026-03-28T12:00:00+00:00[UTC]")).unwrap();
        assert_eq!(winter, at("2026-03-29T09:00:00+02:00[Europe/Berlin]"));
        assert_eq!(winter, at("2026-03-29T07:00:00+00:00[UTC]"));
        // 02:30 does not exist on 2026-03-29 in Berlin: it runs at 03:00, once
        let gap = next_after(
            "30 2 * * *",
            "Europe/Berlin",
            at("2026-03-29T00:00:00+01:00[Europe/Berlin]"),
        )
        .unwrap();
        assert_eq!(gap, at("2026-03-29T03:00:00+02:00[Europe/Berlin]"));
        let after_gap = next_after("30 2 * * *", "Europe/Berlin", gap).unwrap();
        assert_eq!(after_gap, at("2026-03-30T02:30:00+02:00[Europe/Berlin]"));
        // 02:30 happens twice on 2026-10-25: it runs at the first one only
        let first = next_after(
            "30 2 * * *",
            "Europe/Berlin",
            at("2026-10-25T00:00:00+02:00[Europe/Berlin]"),
        )
        .unwrap();
        assert_eq!(first, at("2026-10-25T02:30:00+02:00[Europe/Berlin]"));
        let next = next_after("30 2 * * *", "Europe/Berlin", first).unwrap();
        assert_eq!(
            next,
            at("2026-10-26T02:30:00+01:00[Europe/Berlin]"),
            "not again an hour later"
        );
        // Moscow has no daylight saving: always UTC+3
        let moscow = next_after("@daily", "Europe/Moscow", at("2026-06-01T12:00:00+00:00[UTC]")).unwrap();
        assert_eq!(moscow, at("2026-06-01T21:00:00+00:00[UTC]"));
    }

    #[test]
    fn bad_patterns_and_zones_are_refused() {
        assert!(matches!(
            next_after("61 * * * *", "UTC", 0),
            Err(ScheduleError::Pattern(..))
        ));
        assert!(matches!(
            next_after("every day", "UTC", 0),
            Err(ScheduleError::Pattern(..))
        ));
        assert!(matches!(
            next_after("0 9 * * *", "Mars/Olympus", 0),
            Err(ScheduleError::TimeZone(_))
        ));
        assert!(
            matches!(next_after("0 0 30 2 *", "UTC", 0), Err(ScheduleError::Never(_))),
            "30 February"
        );
    }
}
