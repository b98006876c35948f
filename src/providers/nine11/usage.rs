//! Usage on 911Proxy: `user-usage-flow/total` (daily KB) grouped as the normalized query asks.

use futures::{StreamExt, TryStreamExt};
use time::OffsetDateTime;

use super::wire::{self, ListData, UsageDay};
use super::{Nine11Adapter, USAGE_CONCURRENCY, map};
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::usage::{CountedWindow, UsageGroupBy, UsageQuery, UsageRow};
use crate::providers::{Capability, FailureKind, ProviderError, UpstreamFailure};

impl Nine11Adapter {
    /// `user-usage-flow/total` over `[from, to)`: times sent as `Y-m-d H:i:s` in the account's
    /// zone, `end_time` = to − 1 s (inclusive to the second). Days are 911's local calendar
    /// days (in the account's zone), as 911 reports them. A username's usage sums every 911
    /// account of that name, matching the one-user-per-username view.
    pub(super) async fn usage_rows(
        &self,
        query: &UsageQuery,
    ) -> Result<Vec<UsageRow>, ProviderError> {
        if query.to <= query.from {
            return Err(ProviderError::invalid("to", "must be after from"));
        }
        if query.group_by.is_some_and(UsageGroupBy::is_detail)
            || query.region.is_some()
            || query.tag.is_some()
        {
            return Err(ProviderError::unsupported_because(
                Capability::UsageDetail,
                "911Proxy reports daily traffic per proxy user and product only: no hours, \
                 regions, ASNs, tags, IPs or batches",
            ));
        }
        let nothing = || match query.group_by {
            None => vec![self.row(0)],
            Some(_) => Vec::new(),
        };
        let username = match &query.proxy_user {
            Some(id) if id.account != self.settings.account => return Ok(nothing()),
            Some(id) => Some(id.upstream.as_str()),
            None => None,
        };
        let product_type = match query.product {
            Some(product) => match map::type_of_product(product) {
                Some(t) => Some(t),
                // 911 sells no such product, so there is no usage of it.
                None => return Ok(nothing()),
            },
            None => None,
        };
        let window = (
            map::format_local_time(query.from, self.tz()),
            map::format_local_time(last_second_before(query.to), self.tz()),
        );
        match query.group_by {
            None => {
                let days = self.usage_days(&window, username, product_type).await?;
                Ok(vec![self.row(total_bytes(&days))])
            }
            Some(UsageGroupBy::Day) => {
                let days = self.usage_days(&window, username, product_type).await?;
                days.iter()
                    .map(|d| {
                        let day = map::parse_day(&d.day).ok_or_else(|| {
                            ProviderError::from(
                                UpstreamFailure::new(FailureKind::MalformedResponse)
                                    .status(200)
                                    .message(format!(
                                        "user-usage-flow/total answered a day that is not Y-m-d: {:?}",
                                        d.day
                                    )),
                            )
                        })?;
                        Ok(UsageRow {
                            day: Some(day),
                            ..self.row(map::kb_to_bytes(d.flow))
                        })
                    })
                    .collect()
            }
            Some(UsageGroupBy::Product) => {
                let types: Vec<i64> = match product_type {
                    Some(t) => vec![t],
                    None => map::ACCOUNT_PRODUCT_TYPES.to_vec(),
                };
                let mut rows = Vec::with_capacity(types.len());
                for t in types {
                    let days = self.usage_days(&window, username, Some(t)).await?;
                    rows.push(UsageRow {
                        product: Some(map::product_of_type(t)),
                        ..self.row(total_bytes(&days))
                    });
                }
                Ok(rows)
            }
            Some(
                UsageGroupBy::Hour
                | UsageGroupBy::Region
                | UsageGroupBy::Asn
                | UsageGroupBy::Tag
                | UsageGroupBy::Ip
                | UsageGroupBy::IpBatch,
            ) => Ok(nothing()),
            Some(UsageGroupBy::ProxyUser) => {
                let names: Vec<String> = match username {
                    Some(name) => vec![name.to_string()],
                    None => self
                        .snapshot(self.snapshots.epoch())
                        .await?
                        .users
                        .values()
                        .filter(|u| query.product.is_none_or(|p| u.products.contains(&p)))
                        .map(|u| u.username.clone())
                        .collect(),
                };
                futures::stream::iter(names)
                    .map(|name| {
                        let window = &window;
                        async move {
                            let days = self.usage_days(window, Some(&name), product_type).await?;
                            Ok::<_, ProviderError>(UsageRow {
                                proxy_user: Some(ProxyUserId::new(
                                    self.settings.account.clone(),
                                    name,
                                )),
                                ..self.row(total_bytes(&days))
                            })
                        }
                    })
                    .buffered(USAGE_CONCURRENCY)
                    .try_collect()
                    .await
            }
        }
    }

    /// The daily usage 911 reports for the window and filters.
    async fn usage_days(
        &self,
        window: &(String, String),
        username: Option<&str>,
        product_type: Option<i64>,
    ) -> Result<Vec<UsageDay>, ProviderError> {
        let mut query = vec![
            ("start_time", window.0.clone()),
            ("end_time", window.1.clone()),
        ];
        if let Some(name) = username {
            query.push(("username", name.to_string()));
        }
        if let Some(t) = product_type {
            query.push(("product_type", t.to_string()));
        }
        let (list, _) = self
            .client
            .get_as::<ListData<UsageDay>>(wire::USAGE_TOTAL, &query)
            .await?;
        Ok(list.list)
    }

    fn row(&self, bytes: u64) -> UsageRow {
        UsageRow::bytes_only(&self.settings.account, bytes)
    }
}

fn total_bytes(days: &[UsageDay]) -> u64 {
    days.iter()
        .map(|d| map::kb_to_bytes(d.flow))
        .fold(0, u64::saturating_add)
}

/// The last whole second before the exclusive `to`: 911's `end_time` is inclusive to the
/// second (user-usage-flow/total: "accurate to the second").
fn last_second_before(to: OffsetDateTime) -> OffsetDateTime {
    let just_before = to - time::Duration::nanoseconds(1);
    just_before.replace_nanosecond(0).unwrap_or(just_before)
}

/// The UTC bounds of the local calendar day `day` in `tz` (911 reports whole local days).
pub fn local_day_bounds(
    day: time::Date,
    tz: &jiff::tz::TimeZone,
) -> (OffsetDateTime, OffsetDateTime) {
    let start_of = |d: time::Date| {
        map::parse_local_time(&format!("{d} 00:00:00"), tz).unwrap_or(d.midnight().assume_utc())
    };
    let next = day.next_day().unwrap_or(day);
    (start_of(day), start_of(next))
}

/// What 911 counts for `[from, to)`: every local day the window touches, whole.
pub fn counted_window(
    from: OffsetDateTime,
    to: OffsetDateTime,
    tz: &jiff::tz::TimeZone,
) -> CountedWindow {
    let local_day = |t: OffsetDateTime| {
        map::parse_day(&map::format_local_time(t, tz)[..10]).unwrap_or(t.date())
    };
    CountedWindow {
        from: local_day_bounds(local_day(from), tz).0,
        to: local_day_bounds(local_day(last_second_before(to)), tz).1,
    }
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;

    #[test]
    fn the_exclusive_end_becomes_the_last_whole_second_before_it() {
        assert_eq!(
            last_second_before(datetime!(2026-05-02 00:00:00 UTC)),
            datetime!(2026-05-01 23:59:59 UTC)
        );
        assert_eq!(
            last_second_before(datetime!(2026-05-02 00:00:00.5 UTC)),
            datetime!(2026-05-02 00:00:00 UTC)
        );
    }

    #[test]
    fn the_counted_window_is_every_local_day_the_request_touches() {
        let tz = jiff::tz::TimeZone::fixed(jiff::tz::offset(8));
        // The example: 11-01 to 11-03 UTC is 11-01 08:00 to 11-03 08:00 in UTC+8, so
        // 911 counts its whole days 11-01, 11-02 and 11-03.
        let w = counted_window(
            datetime!(2026-11-01 0:00 UTC),
            datetime!(2026-11-03 0:00 UTC),
            &tz,
        );
        assert_eq!(w.from, datetime!(2026-10-31 16:00 UTC));
        assert_eq!(w.to, datetime!(2026-11-03 16:00 UTC));
        let (start, end) = local_day_bounds(time::macros::date!(2026 - 11 - 02), &tz);
        assert_eq!(
            (start, end),
            (
                datetime!(2026-11-01 16:00 UTC),
                datetime!(2026-11-02 16:00 UTC)
            )
        );
        // A window on local day boundaries is counted as asked.
        let exact = counted_window(
            datetime!(2026-10-31 16:00 UTC),
            datetime!(2026-11-01 16:00 UTC),
            &tz,
        );
        assert_eq!(
            (exact.from, exact.to),
            (
                datetime!(2026-10-31 16:00 UTC),
                datetime!(2026-11-01 16:00 UTC)
            )
        );
    }
}
