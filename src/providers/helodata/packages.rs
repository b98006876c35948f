//! Packages: subscriptions and ISP batches (§5.4, §5.5), and the summary derived from them.

use serde_json::Value;
use time::OffsetDateTime;

use super::client::parse;
use super::{HelodataAdapter, map, wire};
use crate::domain::packages::{Package, PackageKind, PackageStatus, PackageSummary};
use crate::providers::{ProviderAdapter, ProviderError};

impl HelodataAdapter {
    /// Subscriptions (every page), then ISP batches (every page).
    pub(super) async fn package_list(&self) -> Result<Vec<Package>, ProviderError> {
        let (subscriptions, batches) = futures::try_join!(
            self.all("/subscriptions", &[]),
            self.all("/isp/batches", &[])
        )?;
        let now = OffsetDateTime::now_utc();
        let account = self.account();
        let mut packages = Vec::with_capacity(subscriptions.len() + batches.len());
        for raw in &subscriptions {
            let sub: wire::Subscription = parse(raw, "subscription")?;
            packages.push(map::subscription_package(account, &sub, raw, now));
        }
        for raw in &batches {
            let batch: wire::IspBatch = parse(raw, "ISP batch")?;
            packages.push(map::batch_package(account, &batch, raw));
        }
        Ok(packages)
    }
}

/// Totals over the packages at `now`: counts, and the monthly included traffic of active
/// bandwidth subscriptions. helodata reports no used or remaining traffic per package (its GB
/// sit in one pool per product, §5.2), so those are `None`. "Expiring soon" counts only
/// packages that will not renew (Ending, or an active batch with `auto_renew: false`) and end
/// within 7 days: a subscription's `renews_at` is not an expiry.
pub fn summarize(packages: &[Package], now: OffsetDateTime) -> PackageSummary {
    let soon = now + time::Duration::days(7);
    let count = |f: &dyn Fn(&Package) -> bool| packages.iter().filter(|p| f(p)).count() as u64;
    let active_bandwidth = |p: &Package| {
        p.status == PackageStatus::Active
            && p.kind == PackageKind::Subscription
            && p.traffic_included_bytes.is_some()
    };
    let expiring = |p: &Package| {
        let wont_renew = p.status == PackageStatus::Ending
            || (p.kind == PackageKind::IpBatch
                && p.status == PackageStatus::Active
                && p.provider_data.get("auto_renew") == Some(&Value::Bool(false)));
        wont_renew && p.expires_at.is_some_and(|e| e > now && e <= soon)
    };
    let bytes = |f: &dyn Fn(&Package) -> bool| {
        packages
            .iter()
            .filter(|p| f(p))
            .filter_map(|p| p.traffic_included_bytes)
            .fold(0u64, u64::saturating_add)
    };
    PackageSummary {
        total_bytes: Some(bytes(&active_bandwidth)),
        total_count: Some(packages.len() as u64),
        remaining_bytes: None,
        active_count: Some(count(&|p| p.status == PackageStatus::Active)),
        used_bytes: None,
        expiring_soon_bytes: Some(bytes(&expiring)),
        expiring_soon_count: Some(count(&expiring)),
        expired_bytes: None,
        expired_count: Some(count(&|p| p.status == PackageStatus::Expired)),
        provider_data: serde_json::json!({
            "derived_from": ["GET /subscriptions", "GET /isp/batches"],
            "total_bytes": "monthly included traffic of active bandwidth subscriptions",
        }),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use time::macros::datetime;

    use super::*;
    use crate::domain::products::Product;

    fn package(
        kind: PackageKind,
        status: PackageStatus,
        bytes: Option<u64>,
        expires_at: Option<OffsetDateTime>,
        provider_data: Value,
    ) -> Package {
        Package {
            id: "a:x".into(),
            account: "a".into(),
            kind,
            product: Product::Residential,
            name: None,
            status,
            traffic_included_bytes: bytes,
            ip_count: None,
            created_at: None,
            expires_at,
            provider_data,
        }
    }

    #[test]
    fn the_summary_counts_and_adds_only_what_it_can_know() {
        let now = datetime!(2026-05-10 00:00:00 UTC);
        let in_3_days = Some(now + time::Duration::days(3));
        let in_30_days = Some(now + time::Duration::days(30));
        let gb = map::GB;
        let packages = [
            // Renews in 3 days: not expiring.
            package(
                PackageKind::Subscription,
                PackageStatus::Active,
                Some(500 * gb),
                in_3_days,
                json!({}),
            ),
            // Paused, ends in 3 days: expiring soon.
            package(
                PackageKind::Subscription,
                PackageStatus::Ending,
                Some(25 * gb),
                in_3_days,
                json!({}),
            ),
            // Paused, ends in 30 days.
            package(
                PackageKind::Subscription,
                PackageStatus::Ending,
                Some(50 * gb),
                in_30_days,
                json!({}),
            ),
            package(
                PackageKind::Subscription,
                PackageStatus::Expired,
                Some(50 * gb),
                Some(now - time::Duration::days(1)),
                json!({}),
            ),
            // A batch that will not renew, ending in 3 days; one that will.
            package(
                PackageKind::IpBatch,
                PackageStatus::Active,
                None,
                in_3_days,
                json!({"auto_renew": false}),
            ),
            package(
                PackageKind::IpBatch,
                PackageStatus::Active,
                None,
                in_3_days,
                json!({"auto_renew": true}),
            ),
            package(
                PackageKind::IpBatch,
                PackageStatus::Pending,
                None,
                in_30_days,
                json!({}),
            ),
        ];
        let summary = summarize(&packages, now);
        assert_eq!(summary.total_count, Some(7));
        assert_eq!(summary.active_count, Some(3));
        assert_eq!(summary.expired_count, Some(1));
        assert_eq!(summary.total_bytes, Some(500 * gb));
        assert_eq!(summary.expiring_soon_count, Some(2));
        assert_eq!(summary.expiring_soon_bytes, Some(25 * gb));
        assert_eq!(summary.used_bytes, None);
        assert_eq!(summary.remaining_bytes, None);
        assert_eq!(summary.expired_bytes, None);
        let empty = summarize(&[], now);
        assert_eq!((empty.total_count, empty.total_bytes), (Some(0), Some(0)));
    }
}
