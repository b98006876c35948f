//! Time as 911Proxy writes it: naive `Y-m-d H:i:s` in UTC+8 on most endpoints, ISO `…Z` on the
//! newer ones (order/*, user/info), and the simulator's clock (system time or pinned).

use time::format_description::FormatItem;
use time::macros::{format_description, offset};
use time::{Date, OffsetDateTime, PrimitiveDateTime, UtcOffset};

/// The zone of every naive time: Asia/Shanghai, UTC+8, no DST (the notes: [INF], China-run).
pub(crate) const PROVIDER_OFFSET: UtcOffset = offset!(+8);

const LOCAL: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day] [hour]:[minute]:[second]");
const DAY: &[FormatItem<'static>] = format_description!("[year]-[month]-[day]");
const ISO_Z: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
const TRADE_NO_PREFIX: &[FormatItem<'static>] =
    format_description!("[year][month][day][hour][minute][second]");

/// The simulator's notion of now.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Clock {
    pinned: Option<OffsetDateTime>,
}

impl Clock {
    pub(crate) fn new(pinned: Option<OffsetDateTime>) -> Clock {
        Clock { pinned }
    }

    pub(crate) fn now(&self) -> OffsetDateTime {
        self.pinned.unwrap_or_else(OffsetDateTime::now_utc)
    }
}

/// `2022-05-13 12:14:15` in UTC+8.
pub(crate) fn local(t: OffsetDateTime) -> String {
    t.to_offset(PROVIDER_OFFSET)
        .format(LOCAL)
        .unwrap_or_default()
}

/// `2019-08-24T14:15:22Z`, whole seconds, as the order/list and user/info examples show.
pub(crate) fn iso_z(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(ISO_Z)
        .unwrap_or_default()
}

/// `2022-08-01`.
pub(crate) fn day(d: Date) -> String {
    d.format(DAY).unwrap_or_default()
}

/// `20220513121343`: the first 14 digits of a trade number (the example's
/// `2022051312134339861461465434` starts with its order's creation time).
pub(crate) fn trade_no_prefix(t: OffsetDateTime) -> String {
    t.to_offset(PROVIDER_OFFSET)
        .format(TRADE_NO_PREFIX)
        .unwrap_or_default()
}

/// The provider's calendar day of `t`.
pub(crate) fn local_date(t: OffsetDateTime) -> Date {
    t.to_offset(PROVIDER_OFFSET).date()
}

/// Midnight of `d` in UTC+8.
pub(crate) fn local_midnight(d: Date) -> OffsetDateTime {
    d.midnight().assume_offset(PROVIDER_OFFSET)
}

/// Parses `Y-m-d H:i:s` as a UTC+8 time.
pub(crate) fn parse_local(s: &str) -> Option<OffsetDateTime> {
    PrimitiveDateTime::parse(s, LOCAL)
        .ok()
        .map(|t| t.assume_offset(PROVIDER_OFFSET))
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn local_times_are_naive_utc_plus_8() {
        let t = datetime!(2024-03-01 20:30:05 UTC);
        assert_eq!(local(t), "2024-03-02 04:30:05");
        assert_eq!(iso_z(t), "2024-03-01T20:30:05Z");
        assert_eq!(local_date(t), time::macros::date!(2024 - 03 - 02));
    }

    #[test]
    fn parse_local_round_trips() {
        let t = parse_local("2024-03-02 04:30:05");
        assert_eq!(t, Some(datetime!(2024-03-01 20:30:05 UTC)));
        assert_eq!(parse_local("2024-03-02"), None);
        assert_eq!(parse_local("2024-13-02 00:00:00"), None);
    }
}
