//! Europe/Paris local time: CET (UTC+1), CEST (UTC+2) from the last Sunday of March
//! 01:00 UTC to the last Sunday of October 01:00 UTC (EU rule). Enough for display and
//! for parsing the agents' local input without a time-zone database.

use chrono::{Datelike, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Weekday};

fn last_sunday(year: i32, month: u32) -> NaiveDate {
    let mut d = NaiveDate::from_ymd_opt(year, month + 1, 1).expect("valid") - Duration::days(1);
    while d.weekday() != Weekday::Sun {
        d -= Duration::days(1);
    }
    d
}

/// Offset in hours at a UTC instant.
pub fn offset_at_utc(utc: NaiveDateTime) -> i32 {
    let y = utc.year();
    let start = last_sunday(y, 3).and_hms_opt(1, 0, 0).expect("valid");
    let end = last_sunday(y, 10).and_hms_opt(1, 0, 0).expect("valid");
    if utc >= start && utc < end {
        2
    } else {
        1
    }
}

/// UTC instant shown as Paris local time, RFC 3339 with its offset.
pub fn to_local(utc: NaiveDateTime) -> String {
    let off = FixedOffset::east_opt(offset_at_utc(utc) * 3600).expect("valid offset");
    off.from_utc_datetime(&utc).to_rfc3339()
}

/// Local Paris wall time to UTC. Ambiguous autumn times take the first (summer) one;
/// non-existent spring times are shifted by the offset of the instant after the gap.
pub fn local_to_utc(local: NaiveDateTime) -> NaiveDateTime {
    let guess = local - Duration::hours(2);
    if offset_at_utc(guess) == 2 {
        guess
    } else {
        local - Duration::hours(1)
    }
}

/// Whether a Paris wall time does not exist: the spring-forward hour (02:00 to 03:00 on
/// the last Sunday of March), skipped by the clocks.
pub fn in_spring_gap(local: NaiveDateTime) -> bool {
    let day = last_sunday(local.year(), 3);
    let gap = day.and_hms_opt(2, 0, 0).expect("valid")..day.and_hms_opt(3, 0, 0).expect("valid");
    gap.contains(&local)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dt(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn summer_and_winter() {
        assert_eq!(offset_at_utc(dt("2026-07-01 12:00:00")), 2);
        assert_eq!(offset_at_utc(dt("2026-12-01 12:00:00")), 1);
        assert_eq!(offset_at_utc(dt("2026-03-29 00:59:59")), 1);
        assert_eq!(offset_at_utc(dt("2026-03-29 01:00:00")), 2);
        assert_eq!(offset_at_utc(dt("2026-10-25 00:59:59")), 2);
        assert_eq!(offset_at_utc(dt("2026-10-25 01:00:00")), 1);
        assert_eq!(to_local(dt("2026-11-28 08:00:00")), "2026-11-28T09:00:00+01:00");
        assert_eq!(local_to_utc(dt("2026-07-01 14:00:00")), dt("2026-07-01 12:00:00"));
        assert_eq!(local_to_utc(dt("2026-01-10 08:30:00")), dt("2026-01-10 07:30:00"));
    }

    #[test]
    fn the_spring_forward_hour_does_not_exist() {
        assert!(in_spring_gap(dt("2026-03-29 02:30:00")));
        assert!(in_spring_gap(dt("2026-03-29 02:00:00")));
        assert!(!in_spring_gap(dt("2026-03-29 01:59:59")));
        assert!(!in_spring_gap(dt("2026-03-29 03:00:00")));
        assert!(!in_spring_gap(dt("2026-03-22 02:30:00")));
    }
}
