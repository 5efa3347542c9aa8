//! Quiet hours: a stretch of each day, in the user's time zone, when no push goes out (the
//! in-app list still fills, and the socket still shows entries). It may wrap past midnight
//! (22:00 to 07:00). Time zones come from the IANA database bundled with `jiff`.

use hybrid_core::{ApiError, ApiResult};
use hybrid_store::{Db, Sql, params};
use jiff::Timestamp;
use jiff::tz::TimeZone;

use crate::api::QuietHours;

/// Minutes after midnight of "HH:MM" (field `field` of the request).
pub(crate) fn minutes(text: &str, field: &str) -> ApiResult<i64> {
    let refused = || ApiError::validation(field, "must be a time of day, HH:MM (00:00 to 23:59)");
    let (h, m) = text.split_once(':').ok_or_else(refused)?;
    let (h, m): (i64, i64) = (h.parse().map_err(|_| refused())?, m.parse().map_err(|_| refused())?);
    if !(0..24).contains(&h) || !(0..60).contains(&m) || text.len() != 5 {
        return Err(refused());
    }
    Ok(h * 60 + m)
}

pub(crate) fn hh_mm(minutes: i64) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Refuses a `time_zone` that is not in the IANA database.
pub(crate) fn check_time_zone(name: &str) -> ApiResult<()> {
    TimeZone::get(name)
        .map(drop)
        .map_err(|_| ApiError::validation("time_zone", "must be an IANA time zone name (Europe/Moscow, UTC)"))
}

/// Whether `at` (Unix ms) falls in the quiet stretch `from`..`to` (minutes after midnight) of
/// `zone`'s day; `from == to` is never.
fn is_quiet(zone: &TimeZone, from: i64, to: i64, at: i64) -> bool {
    let Ok(at) = Timestamp::from_millisecond(at) else {
        return false;
    };
    let local = at.to_zoned(zone.clone());
    let now = i64::from(local.hour()) * 60 + i64::from(local.minute());
    if from <= to {
        from <= now && now < to
    } else {
        now >= from || now < to
    }
}

/// Checks and stores `user_id`'s quiet hours (`None` removes them).
pub async fn set(db: &Db, user_id: i64, quiet: Option<QuietHours>) -> ApiResult<Option<QuietHours>> {
    let Some(quiet) = quiet else {
        db.execute(
            "DELETE FROM quiet_hours WHERE user_id = $1",
            hybrid_store::values![user_id],
        )
        .await?;
        return Ok(None);
    };
    check_time_zone(&quiet.time_zone)?;
    let (from, to) = (minutes(&quiet.from, "from")?, minutes(&quiet.to, "to")?);
    db.execute(
        "INSERT INTO quiet_hours (user_id, time_zone, quiet_from, quiet_to) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (user_id) DO UPDATE SET time_zone = excluded.time_zone, quiet_from = excluded.quiet_from, \
         quiet_to = excluded.quiet_to",
        hybrid_store::values![user_id, quiet.time_zone.clone(), from, to],
    )
    .await?;
    Ok(Some(QuietHours {
        time_zone: quiet.time_zone,
        from: hh_mm(from),
        to: hh_mm(to),
    }))
}

/// `user_id`'s quiet hours, if any.
pub async fn get(sql: &mut Sql<'_>, user_id: i64) -> ApiResult<Option<QuietHours>> {
    let row: Option<(String, i64, i64)> = sql
        .fetch_optional(
            "SELECT time_zone, quiet_from, quiet_to FROM quiet_hours WHERE user_id = $1",
            params![user_id],
        )
        .await?;
    Ok(row.map(|(time_zone, from, to)| QuietHours {
        time_zone,
        from: hh_mm(from),
        to: hh_mm(to),
    }))
}

/// Whether it is quiet for `user_id` at `at` (Unix ms).
pub async fn quiet_now(sql: &mut Sql<'_>, user_id: i64, at: i64) -> ApiResult<bool> {
    let row: Option<(String, i64, i64)> = sql
        .fetch_optional(
            "SELECT time_zone, quiet_from, quiet_to FROM quiet_hours WHERE user_id = $1",
            params![user_id],
        )
        .await?;
    Ok(row.is_some_and(|(zone, from, to)| TimeZone::get(&zone).is_ok_and(|zone| is_quiet(&zone, from, to, at))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> i64 {
        text.parse::<jiff::Zoned>().unwrap().timestamp().as_millisecond()
    }

    #[test]
    fn quiet_hours_follow_the_users_clock_and_may_wrap_past_midnight() {
        let moscow = TimeZone::get("Europe/Moscow").unwrap();
        let (night_from, night_to) = (22 * 60, 7 * 60);
        // 20:30 UTC is 23:30 in Moscow: quiet there, not in UTC
        assert!(is_quiet(
            &moscow,
            night_from,
            night_to,
            at("2026-12-05T20:30:00+00:00[UTC]")
        ));
        assert!(!is_quiet(
            &TimeZone::UTC,
            night_from,
            night_to,
            at("2026-12-05T20:30:00+00:00[UTC]")
        ));
        assert!(is_quiet(
            &moscow,
            night_from,
            night_to,
            at("2026-12-06T06:59:00+03:00[Europe/Moscow]")
        ));
        assert!(!is_quiet(
            &moscow,
            night_from,
            night_to,
            at("2026-12-06T07:00:00+03:00[Europe/Moscow]")
        ));
        // a daytime stretch, and an empty one
        assert!(is_quiet(
            &TimeZone::UTC,
            9 * 60,
            17 * 60,
            at("2026-12-05T12:00:00+00:00[UTC]")
        ));
        assert!(!is_quiet(
            &TimeZone::UTC,
            9 * 60,
            17 * 60,
            at("2026-12-05T17:00:00+00:00[UTC]")
        ));
        assert!(!is_quiet(
            &TimeZone::UTC,
            600,
            600,
            at("2026-12-05T10:00:00+00:00[UTC]")
        ));
        // across a change of clocks: 01:30 in New York on the night summer time ends is quiet
        let new_york = TimeZone::get("America/New_York").unwrap();
        assert!(is_quiet(
            &new_york,
            60,
            120,
            at("2026-11-01T01:30:00-05:00[America/New_York]")
        ));
    }

    #[test]
    fn times_of_day_are_read_strictly() {
        assert_eq!(minutes("00:00", "from").unwrap(), 0);
        assert_eq!(minutes("23:59", "from").unwrap(), 1439);
        for bad in ["24:00", "7:00", "07:60", "0700", "07:0a", "", "-1:00"] {
            let refused = minutes(bad, "from").unwrap_err();
            assert_eq!(refused.status.as_u16(), 422, "{bad}");
        }
        assert_eq!(hh_mm(7 * 60 + 5), "07:05");
    }
}
