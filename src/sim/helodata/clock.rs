//! Time as the simulator keeps it: whole Unix seconds, rendered as RFC 3339 UTC with a `Z`
//! (`"2026-05-01T00:00:00Z"`, §1 "Request conventions").

use serde::Serializer;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, Month, OffsetDateTime, Time};

pub const MINUTE: i64 = 60;
pub const HOUR: i64 = 3600;
pub const DAY: i64 = 86_400;

/// Where every seeded object's creation time is anchored, so the same seed gives the same ids.
pub const SEED_BASE: i64 = 1_748_736_000; // 2025-06-01T00:00:00Z

/// The wall clock in whole seconds.
pub fn now() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// The wall clock in milliseconds (ULID timestamps of objects created by requests).
pub fn now_ms() -> u64 {
    let ms = OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000;
    u64::try_from(ms).unwrap_or(0)
}

fn datetime(secs: i64) -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(secs).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

/// `2026-05-01T00:00:00Z`.
pub fn fmt(secs: i64) -> String {
    let d = datetime(secs);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        d.year(),
        u8::from(d.month()),
        d.day(),
        d.hour(),
        d.minute(),
        d.second()
    )
}

/// `2026-05-01`.
pub fn fmt_date(secs: i64) -> String {
    let d = datetime(secs);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

/// A query time: RFC 3339, or a plain date meaning its midnight UTC (TRF's examples send plain
/// dates, §10.5). The flag says whether it was a plain date.
pub fn parse(s: &str) -> Option<(i64, bool)> {
    if let Ok(d) = OffsetDateTime::parse(s, &Rfc3339) {
        return Some((d.unix_timestamp(), false));
    }
    let date = Date::parse(s, format_description!("[year]-[month]-[day]")).ok()?;
    Some((
        date.with_time(Time::MIDNIGHT).assume_utc().unix_timestamp(),
        true,
    ))
}

/// Midnight UTC of the first day of the month `back` months before the month of `secs`.
pub fn month_start(secs: i64, back: u32) -> i64 {
    let d = datetime(secs);
    let mut index = i64::from(d.year()) * 12 + i64::from(u8::from(d.month())) - 1;
    index -= i64::from(back);
    let year = i32::try_from(index.div_euclid(12)).unwrap_or(1970);
    let month = u8::try_from(index.rem_euclid(12) + 1).unwrap_or(1);
    let month = Month::try_from(month).unwrap_or(Month::January);
    Date::from_calendar_date(year, month, 1)
        .map(|date| date.with_time(Time::MIDNIGHT).assume_utc().unix_timestamp())
        .unwrap_or(0)
}

/// Floors to the hour.
pub fn floor_hour(secs: i64) -> i64 {
    secs.div_euclid(HOUR) * HOUR
}

/// Floors to the day.
pub fn floor_day(secs: i64) -> i64 {
    secs.div_euclid(DAY) * DAY
}

/// serde helper: an `i64` of seconds as RFC 3339.
pub fn ser<S: Serializer>(secs: &i64, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&fmt(*secs))
}

/// serde helper: an optional `i64` of seconds as RFC 3339 or null.
pub fn ser_opt<S: Serializer>(secs: &Option<i64>, s: S) -> Result<S::Ok, S::Error> {
    match secs {
        Some(v) => s.serialize_str(&fmt(*v)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_and_parses_rfc3339_and_plain_dates() {
        assert_eq!(fmt(SEED_BASE), "2025-06-01T00:00:00Z");
        assert_eq!(parse("2025-06-01T00:00:00Z"), Some((SEED_BASE, false)));
        assert_eq!(parse("2025-06-01"), Some((SEED_BASE, true)));
        assert_eq!(parse("2025-06-01T02:00:00+02:00"), Some((SEED_BASE, false)));
        assert_eq!(parse("yesterday"), None);
        assert_eq!(fmt_date(SEED_BASE + 5), "2025-06-01");
    }

    #[test]
    fn month_start_walks_back_across_years() {
        assert_eq!(
            fmt(month_start(SEED_BASE + 10 * DAY, 0)),
            "2025-06-01T00:00:00Z"
        );
        assert_eq!(fmt(month_start(SEED_BASE, 6)), "2024-12-01T00:00:00Z");
    }
}
