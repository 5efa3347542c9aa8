//! When a schedule publishes: times of day on chosen weekdays in an IANA time zone. The next
//! slot is the earliest of one cron pattern per time, so daylight saving time follows the jobs'
//! schedules (croner): a time that falls into a spring-forward gap runs at the first minute
//! after it, and a time that occurs twice when clocks go back runs once.

use hybrid_core::ApiError;
use hybrid_core::jobs::next_after;

/// Times of day a schedule may hold.
pub const MAX_TIMES: usize = 48;
/// Every weekday (bits 0..=6, Monday first).
pub const EVERY_DAY: i64 = 0b111_1111;
const NAMES: [&str; 7] = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];

/// `"HH:MM"` as (hour, minute).
pub fn parse_time(text: &str) -> Option<(u32, u32)> {
    let (hour, minute) = text.split_once(':')?;
    if hour.len() != 2 || minute.len() != 2 {
        return None;
    }
    let (hour, minute): (u32, u32) = (hour.parse().ok()?, minute.parse().ok()?);
    (hour < 24 && minute < 60).then_some((hour, minute))
}

/// The times, checked, sorted and without repeats (`field` names them in errors).
pub fn times(texts: &[String]) -> Result<Vec<String>, ApiError> {
    if texts.is_empty() || texts.len() > MAX_TIMES {
        return Err(ApiError::validation(
            "times",
            format!("1 to {MAX_TIMES} times of day, as HH:MM"),
        ));
    }
    let mut times = Vec::with_capacity(texts.len());
    for (i, text) in texts.iter().enumerate() {
        let Some((hour, minute)) = parse_time(text.trim()) else {
            return Err(ApiError::validation(
                &format!("times[{i}]"),
                format!("{text:?} is not a time of day as HH:MM (00:00 to 23:59)"),
            ));
        };
        times.push(format!("{hour:02}:{minute:02}"));
    }
    times.sort_unstable();
    times.dedup();
    Ok(times)
}

/// ISO weekdays (1 Monday … 7 Sunday) as a bit mask; none given is every day.
pub fn weekday_mask(days: Option<&[i64]>) -> Result<i64, ApiError> {
    let Some(days) = days.filter(|d| !d.is_empty()) else {
        return Ok(EVERY_DAY);
    };
    days.iter().try_fold(0, |mask, &day| match day {
        1..=7 => Ok(mask | 1 << (day - 1)),
        _ => Err(ApiError::validation(
            "weekdays",
            "ISO weekdays: 1 (Monday) to 7 (Sunday)",
        )),
    })
}

/// The mask as ISO weekdays.
pub fn weekdays(mask: i64) -> Vec<i64> {
    (1..=7).filter(|day| mask & 1 << (day - 1) != 0).collect()
}

/// Whether `zone` is an IANA time zone this build knows.
pub fn check_zone(zone: &str) -> Result<(), ApiError> {
    next_after("0 0 * * *", zone, 0).map(|_| ()).map_err(|_| {
        ApiError::validation(
            "timezone",
            format!("{zone:?} is not an IANA time zone such as Europe/Moscow"),
        )
    })
}

/// The first slot strictly after `after_ms`, in Unix ms.
pub fn next_slot(times: &[String], mask: i64, zone: &str, after_ms: i64) -> Option<i64> {
    let days = if mask & EVERY_DAY == EVERY_DAY {
        "*".to_owned()
    } else {
        weekdays(mask)
            .iter()
            .map(|d| NAMES[(d - 1) as usize])
            .collect::<Vec<_>>()
            .join(",")
    };
    times
        .iter()
        .filter_map(|time| {
            let (hour, minute) = parse_time(time)?;
            next_after(&format!("{minute} {hour} * * {days}"), zone, after_ms).ok()
        })
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::Timestamp;
    use jiff::tz::TimeZone;

    fn at(text: &str) -> i64 {
        text.parse::<Timestamp>().unwrap().as_millisecond()
    }

    fn local(ms: i64, zone: &str) -> String {
        Timestamp::from_millisecond(ms)
            .unwrap()
            .to_zoned(TimeZone::get(zone).unwrap())
            .strftime("%a %Y-%m-%d %H:%M %z")
            .to_string()
    }

    fn slots(times: &[&str], mask: i64, zone: &str, from: &str, n: usize) -> Vec<String> {
        let times: Vec<String> = times.iter().map(|t| t.to_string()).collect();
        let mut after = at(from);
        (0..n)
            .map(|_| {
                after = next_slot(&times, mask, zone, after).unwrap();
                local(after, zone)
            })
            .collect()
    }

    #[test]
    fn times_are_checked_sorted_and_deduplicated() {
        let ok = times(&["18:30".into(), "09:00".into(), "9:00".into()]);
        assert_eq!(ok.unwrap_err().field.as_deref(), Some("times[2]"));
        let ok = times(&["18:30".into(), "09:00".into(), "09:00".into()]).unwrap();
        assert_eq!(ok, ["09:00", "18:30"]);
        for bad in ["24:00", "12:60", "noon", "12:5", ""] {
            assert!(times(&[bad.into()]).is_err(), "{bad}");
        }
        assert!(times(&[]).is_err());
        assert_eq!(weekday_mask(Some(&[1, 5, 7])).unwrap(), 0b101_0001);
        assert_eq!(weekdays(0b101_0001), [1, 5, 7]);
        assert_eq!(weekday_mask(None).unwrap(), EVERY_DAY);
        assert!(weekday_mask(Some(&[0])).is_err() && weekday_mask(Some(&[8])).is_err());
        assert!(check_zone("Europe/Moscow").is_ok() && check_zone("Mars/Olympus").is_err());
    }

    #[test]
    fn slots_follow_local_time_and_weekdays() {
        // Moscow has no summer time: 09:00 MSK is 06:00 UTC all year
        assert_eq!(
            slots(
                &["09:00", "18:30"],
                weekday_mask(Some(&[1, 3])).unwrap(),
                "Europe/Moscow",
                "2026-12-07T07:00:00Z",
                4
            ),
            [
                "Mon 2026-12-07 18:30 +0300",
                "Wed 2026-12-09 09:00 +0300",
                "Wed 2026-12-09 18:30 +0300",
                "Mon 2026-12-14 09:00 +0300"
            ]
        );
    }

    #[test]
    fn slots_keep_local_time_across_a_change_of_summer_time() {
        // Berlin springs forward on 2027-03-28 (02:00 CET → 03:00 CEST): 09:00 stays 09:00, and
        // 02:30, which does not exist that night, runs at 03:00
        assert_eq!(
            slots(
                &["02:30", "09:00"],
                EVERY_DAY,
                "Europe/Berlin",
                "2027-03-27T00:00:00Z",
                4
            ),
            [
                "Sat 2027-03-27 02:30 +0100",
                "Sat 2027-03-27 09:00 +0100",
                "Sun 2027-03-28 03:00 +0200",
                "Sun 2027-03-28 09:00 +0200"
            ]
        );
        // and falls back on 2027-10-31 (03:00 CEST → 02:00 CET): 02:30 happens twice, runs once
        assert_eq!(
            slots(&["02:30"], EVERY_DAY, "Europe/Berlin", "2027-10-30T12:00:00Z", 2),
            ["Sun 2027-10-31 02:30 +0200", "Mon 2027-11-01 02:30 +0100"]
        );
    }
}
