//! Packages on 911Proxy: `user-product/list`, every page.

use std::collections::BTreeSet;

use time::OffsetDateTime;

use super::wire::{self, PackagePage};
use super::{MAX_PACKAGE_PAGES, Nine11Adapter, map};
use crate::domain::packages::Package;
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
}
