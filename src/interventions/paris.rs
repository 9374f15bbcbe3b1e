//! Europe/Paris local time from the IANA database (chrono-tz): display of UTC instants
//! and parsing of the agents' local input, with the two daylight-saving edge cases made
//! explicit (the skipped spring hour, the repeated autumn hour).

use chrono::{Duration, LocalResult, NaiveDateTime, Offset, TimeZone};
use chrono_tz::Europe::Paris;

/// Offset in hours at a UTC instant.
pub fn offset_at_utc(utc: NaiveDateTime) -> i32 {
    Paris.offset_from_utc_datetime(&utc).fix().local_minus_utc() / 3600
}

/// UTC instant shown as Paris local time, RFC 3339 with its offset.
pub fn to_local(utc: NaiveDateTime) -> String {
    Paris.from_utc_datetime(&utc).to_rfc3339()
}

/// Local Paris wall time to UTC. Ambiguous autumn times take the first (summer) one;
/// non-existent spring times are read with the offset in force before the gap.
pub fn local_to_utc(local: NaiveDateTime) -> NaiveDateTime {
    match Paris.from_local_datetime(&local) {
        LocalResult::Single(t) | LocalResult::Ambiguous(t, _) => t.naive_utc(),
        LocalResult::None => {
            // An hour earlier is before the gap (the clocks jump by one hour).
            let before = Paris.offset_from_local_datetime(&(local - Duration::hours(1))).earliest();
            local - Duration::seconds(before.map_or(3600, |o| o.fix().local_minus_utc()).into())
        }
    }
}

/// Whether a Paris wall time does not exist: the spring-forward hour (02:00 to 03:00 on
/// the last Sunday of March), skipped by the clocks.
pub fn in_spring_gap(local: NaiveDateTime) -> bool {
    matches!(Paris.from_local_datetime(&local), LocalResult::None)
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
        // Read with winter time, as before the gap.
        assert_eq!(local_to_utc(dt("2026-03-29 02:30:00")), dt("2026-03-29 01:30:00"));
    }

    #[test]
    fn the_autumn_hour_twice_is_read_as_summer_time() {
        assert!(!in_spring_gap(dt("2026-10-25 02:30:00")));
        assert_eq!(local_to_utc(dt("2026-10-25 02:30:00")), dt("2026-10-25 00:30:00"));
        assert_eq!(local_to_utc(dt("2026-10-25 03:00:00")), dt("2026-10-25 02:00:00"));
        assert_eq!(to_local(dt("2026-10-25 00:30:00")), "2026-10-25T02:30:00+02:00");
        assert_eq!(to_local(dt("2026-10-25 01:30:00")), "2026-10-25T02:30:00+01:00");
    }
}
