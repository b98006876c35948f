//! Packages on 911Proxy: `user-product/list`, every page, and the summary over every type.

use std::collections::BTreeSet;

use time::OffsetDateTime;

use super::wire::{self, PackagePage, Summary};
use super::{MAX_PACKAGE_PAGES, Nine11Adapter, map};
use crate::domain::packages::{Package, PackageStatus, PackageSummary};
use crate::providers::{FailureKind, ProviderError, UpstreamFailure};

impl Nine11Adapter {
    /// `user-product/list`, every page (`page`/`size`), deduplicated by package id in case the
    /// list shifts between pages.
    pub(super) async fn package_list(&self) -> Result<Vec<Package>, ProviderError> {
        let now = OffsetDateTime::now_utc();
        let mut seen = BTreeSet::new();
        let mut out = Vec::new();
        let mut page = 1u64;
        loop {
            let query = [
                ("page", page.to_string()),
                ("size", self.package_page_size.to_string()),
            ];
            let (data, _) = self
                .client
                .get_as::<PackagePage>(wire::PRODUCT_LIST, &query)
                .await?;
            let count = data.list.len() as u64;
            for raw in &data.list {
                let package =
                    map::package(&self.settings.account, self.tz(), now, raw).map_err(|m| {
                        UpstreamFailure::new(FailureKind::MalformedResponse)
                            .status(200)
                            .message(m)
                    })?;
                if seen.insert(package.id.clone()) {
                    out.push(package);
                }
            }
            let more = match data.total_page {
                Some(total) => page < total,
                None => count >= self.package_page_size,
            };
            if !more || count == 0 || page >= MAX_PACKAGE_PAGES {
                return Ok(out);
            }
            page += 1;
        }
    }

    /// Totals over every package type: `user-product/summary` for each type it accepts ("only
    /// supports: 9 … 12"; their KB figures summed) and, for the other types (IP packages, which
    /// it does not summarise and whose amounts are IPs, not traffic), the counts from the
    /// package list. `provider_data` keeps both summaries as 911 sent them.
    pub(super) async fn summary_of_every_type(&self) -> Result<PackageSummary, ProviderError> {
        let summary = |t: i64| async move {
            let query = [("product_type", t.to_string())];
            self.client
                .get_as::<Summary>(wire::PRODUCT_SUMMARY, &query)
                .await
                .map_err(ProviderError::from)
        };
        let ((nine, raw_nine), (twelve, raw_twelve), packages) = futures::future::try_join3(
            summary(SUMMARY_TYPES[0]),
            summary(SUMMARY_TYPES[1]),
            self.package_list(),
        )
        .await?;
        let mut total = map::package_summary(&nine, serde_json::Value::Null);
        let other = map::package_summary(&twelve, serde_json::Value::Null);
        let add = |a: Option<u64>, b: Option<u64>| match (a, b) {
            (None, None) => None,
            (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
        };
        total.total_bytes = add(total.total_bytes, other.total_bytes);
        total.total_count = add(total.total_count, other.total_count);
        total.remaining_bytes = add(total.remaining_bytes, other.remaining_bytes);
        total.active_count = add(total.active_count, other.active_count);
        total.used_bytes = add(total.used_bytes, other.used_bytes);
        total.expiring_soon_bytes = add(total.expiring_soon_bytes, other.expiring_soon_bytes);
        total.expiring_soon_count = add(total.expiring_soon_count, other.expiring_soon_count);
        total.expired_bytes = add(total.expired_bytes, other.expired_bytes);
        total.expired_count = add(total.expired_count, other.expired_count);
        let soon = OffsetDateTime::now_utc() + time::Duration::days(7);
        let mut counted_elsewhere = 0u64;
        for p in packages.iter().filter(|p| {
            p.provider_data
                .get("product_type")
                .and_then(serde_json::Value::as_i64)
                .is_none_or(|t| !SUMMARY_TYPES.contains(&t))
        }) {
            counted_elsewhere += 1;
            let count = |field: &mut Option<u64>| *field = Some(field.unwrap_or(0) + 1);
            count(&mut total.total_count);
            match p.status {
                PackageStatus::Expired => count(&mut total.expired_count),
                PackageStatus::Active | PackageStatus::Ending => {
                    count(&mut total.active_count);
                    if p.expires_at.is_some_and(|e| e <= soon) {
                        count(&mut total.expiring_soon_count);
                    }
                }
                PackageStatus::Pending | PackageStatus::Other => {}
            }
        }
        total.provider_data = serde_json::json!({
            "summaries": {"9": raw_nine, "12": raw_twelve},
            "counted_from_the_package_list": counted_elsewhere,
        });
        Ok(total)
    }
}

/// The types `user-product/summary` accepts.
pub const SUMMARY_TYPES: [i64; 2] = [9, 12];
