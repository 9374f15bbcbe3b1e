//! GLPI's date values in search: absolute dates, NOW/TODAY, BEGINMONTH…, LASTMONDAY…,
//! relative `-3DAY`, `2WEEK`, `-1MONTH`, `1YEAR`, `-5HOUR`, `-30MINUTE`, and a bare signed
//! number of months. Resolved to `YYYY-MM-DD HH:MM:SS` (UTC).

use chrono::{Datelike, Duration, Months, NaiveDate, NaiveDateTime, Utc, Weekday};

pub fn resolve(v: &str) -> Option<String> {
    resolve_at(v, Utc::now().naive_utc())
}

fn fmt(d: NaiveDateTime) -> String {
    d.format("%Y-%m-%d %H:%M:%S").to_string()
}

fn add_months(d: NaiveDateTime, n: i64) -> Option<NaiveDateTime> {
    if n >= 0 {
        d.checked_add_months(Months::new(u32::try_from(n).ok()?))
    } else {
        d.checked_sub_months(Months::new(u32::try_from(-n).ok()?))
    }
}

pub fn resolve_at(v: &str, now: NaiveDateTime) -> Option<String> {
    let v = v.trim();
    let upper = v.to_ascii_uppercase();
    let midnight = |d: NaiveDate| d.and_hms_opt(0, 0, 0).expect("valid");
    let today = midnight(now.date());
    let out = match upper.as_str() {
        "NOW" => now,
        "TODAY" => today,
        "BEGINYEAR" => midnight(NaiveDate::from_ymd_opt(now.year(), 1, 1)?),
        "ENDYEAR" => NaiveDate::from_ymd_opt(now.year(), 12, 31)?.and_hms_opt(23, 59, 59)?,
        "BEGINMONTH" => midnight(NaiveDate::from_ymd_opt(now.year(), now.month(), 1)?),
        "ENDMONTH" => {
            add_months(midnight(NaiveDate::from_ymd_opt(now.year(), now.month(), 1)?), 1)? - Duration::seconds(1)
        }
        s if s.starts_with("LAST") => {
            let wd: Weekday = s[4..].to_ascii_lowercase().parse().ok()?;
            let mut d = now.date() - Duration::days(1);
            while d.weekday() != wd {
                d -= Duration::days(1);
            }
            midnight(d)
        }
        _ => {
            if let Some(s) = crate::itemtypes::store::parse_datetime(v) {
                return Some(s);
            }
            if let Ok(d) = NaiveDate::parse_from_str(v, "%d-%m-%Y") {
                return Some(fmt(midnight(d)));
            }
            let digits_end = upper.find(|c: char| !(c.is_ascii_digit() || c == '-' || c == '+')).unwrap_or(upper.len());
            let n: i64 = upper[..digits_end].parse().ok()?;
            if n.abs() > 100_000 {
                return None;
            }
            match &upper[digits_end..] {
                "" | "MONTH" => add_months(now, n)?,
                "YEAR" => add_months(now, n.checked_mul(12)?)?,
                "WEEK" => now + Duration::weeks(n),
                "DAY" => now + Duration::days(n),
                "HOUR" => now + Duration::hours(n),
                "MINUTE" => now + Duration::minutes(n),
                _ => return None,
            }
        }
    };
    Some(fmt(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn glpi_date_keywords() {
        let now = NaiveDate::from_ymd_opt(2026, 11, 28).unwrap().and_hms_opt(18, 0, 0).unwrap();
        assert_eq!(resolve_at("TODAY", now).unwrap(), "2026-11-28 00:00:00");
        assert_eq!(resolve_at("-3DAY", now).unwrap(), "2026-11-25 18:00:00");
        assert_eq!(resolve_at("-1", now).unwrap(), "2026-10-28 18:00:00");
        assert_eq!(resolve_at("BEGINMONTH", now).unwrap(), "2026-11-01 00:00:00");
        assert_eq!(resolve_at("LASTMONDAY", now).unwrap(), "2026-11-23 00:00:00");
        assert_eq!(resolve_at("2024-03-05", now).unwrap(), "2024-03-05 00:00:00");
        assert!(resolve_at("soon", now).is_none());
    }
}
