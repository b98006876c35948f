//! Usage from `GET /{product}/traffic` (§5.6): one call per product, rows merged by the
//! requested grouping.

use std::collections::{BTreeMap, HashMap};

use futures::future::try_join_all;

use super::client::{self, parse, require_json};
use super::{HelodataAdapter, map, wire};
use crate::domain::products::Product;
use crate::domain::usage::{UsageGroupBy, UsageQuery, UsageRow};
use crate::providers::{ProviderAdapter, ProviderError, UpstreamFailure};

impl HelodataAdapter {
    /// `GET /{product}/traffic?from=&to=` (RFC 3339 UTC, `to` exclusive on both sides) for the
    /// query's product or each of residential, mobile, isp, merged. A product helodata does not
    /// sell, or another account's proxy user, has no usage here: no rows, no call.
    pub(super) async fn usage_rows(
        &self,
        query: &UsageQuery,
    ) -> Result<Vec<UsageRow>, ProviderError> {
        let products: Vec<Product> = match query.product {
            Some(p) if map::product_to_wire(p).is_some() => vec![p],
            Some(_) => return Ok(Vec::new()),
            None => map::PRODUCTS.to_vec(),
        };
        if query
            .proxy_user
            .as_ref()
            .is_some_and(|u| u.account != self.account())
        {
            return Ok(Vec::new());
        }
        let account = self.account();
        // A region or tag filter, and the detailed groupings, exist for the gateway products
        // (residential, mobile) or for ISP only (§5.6): other products are left out, and a
        // product asked for by name that cannot answer is the caller's error.
        let gateway_only = query.region.is_some()
            || query.tag.is_some()
            || query.group_by.is_some_and(|g| {
                matches!(
                    g,
                    UsageGroupBy::Hour
                        | UsageGroupBy::Region
                        | UsageGroupBy::Asn
                        | UsageGroupBy::Tag
                )
            });
        let isp_only = matches!(
            query.group_by,
            Some(UsageGroupBy::Ip | UsageGroupBy::IpBatch)
        );
        if gateway_only && isp_only {
            return Err(ProviderError::invalid(
                "group_by",
                "helodata groups ISP traffic by ip or ip_batch, and filters only gateway traffic \
                 by region or tag",
            ));
        }
        let products: Vec<Product> = products
            .into_iter()
            .filter(|p| {
                if gateway_only {
                    *p != Product::Isp
                } else if isp_only {
                    *p == Product::Isp
                } else {
                    true
                }
            })
            .collect();
        if products.is_empty() {
            return Err(ProviderError::invalid(
                if query.product.is_some() {
                    "product"
                } else {
                    "group_by"
                },
                "helodata reports that grouping or filter for residential and mobile (hour, region, \
                 asn, tag) or for isp (ip, ip_batch) only",
            ));
        }
        let dim = match query.group_by {
            Some(UsageGroupBy::ProxyUser) => return self.usage_by_user(query, &products).await,
            Some(UsageGroupBy::Day) => Some("day"),
            Some(UsageGroupBy::Hour) => Some("hour"),
            Some(UsageGroupBy::Region) => Some("region"),
            Some(UsageGroupBy::Asn) => Some("asn"),
            Some(UsageGroupBy::Tag) => Some("tag"),
            Some(UsageGroupBy::Ip) => Some("ip"),
            Some(UsageGroupBy::IpBatch) => Some("batch"),
            Some(UsageGroupBy::Product) | None => None,
        };
        let calls = products
            .iter()
            .map(|p| async move { self.traffic(*p, query, dim).await.map(|rows| (*p, rows)) });
        let results = try_join_all(calls).await?;
        type Key = (Option<time::Date>, Option<Product>, Option<String>);
        let mut rows: BTreeMap<Key, UsageRow> = BTreeMap::new();
        for (product, product_rows) in &results {
            for row in product_rows {
                let day = match dim {
                    Some("day") => {
                        Some(row.day.as_deref().and_then(map::parse_day).ok_or_else(|| {
                            client::malformed(200, None, "a traffic row grouped by day has no day")
                        })?)
                    }
                    _ => None,
                };
                let group = match query.group_by {
                    Some(UsageGroupBy::Hour) => row.hour.clone(),
                    Some(UsageGroupBy::Region) => {
                        row.region.as_ref().map(|r| r.to_ascii_uppercase())
                    }
                    Some(UsageGroupBy::Asn) => row.asn.map(|a| a.to_string()),
                    Some(UsageGroupBy::Tag) => row.tag.clone(),
                    Some(UsageGroupBy::Ip) => row.ip.clone(),
                    Some(UsageGroupBy::IpBatch) => {
                        row.batch.as_ref().map(|b| format!("{account}:{b}"))
                    }
                    _ => None,
                };
                let product = (query.group_by == Some(UsageGroupBy::Product)).then_some(*product);
                let hour = (query.group_by == Some(UsageGroupBy::Hour))
                    .then(|| map::parse_time_opt(row.hour.as_deref()))
                    .flatten();
                let detail = query.group_by.is_some_and(UsageGroupBy::is_detail);
                rows.entry((day, product, group.clone()))
                    .or_insert_with(|| UsageRow {
                        day,
                        product,
                        hour,
                        group: if detail && query.group_by != Some(UsageGroupBy::Hour) {
                            group
                        } else {
                            None
                        },
                        ..map::zero_row(account)
                    })
                    .absorb(&map::usage_row(account, row));
            }
        }
        // Without grouping the answer is one total row, zero when there was no traffic.
        if query.group_by.is_none() && rows.is_empty() {
            return Ok(vec![map::zero_row(account)]);
        }
        Ok(rows.into_values().collect())
    }

    /// One product's traffic rows.
    async fn traffic(
        &self,
        product: Product,
        query: &UsageQuery,
        group_by: Option<&'static str>,
    ) -> Result<Vec<wire::TrafficRow>, UpstreamFailure> {
        let name = map::product_to_wire(product).unwrap_or("residential");
        let mut params = vec![
            ("from", map::format_time(query.from)),
            ("to", map::format_time(query.to)),
        ];
        if let Some(dim) = group_by {
            params.push(("group_by", dim.to_string()));
        }
        if let Some(user) = &query.proxy_user {
            params.push(("subuser", user.upstream.clone()));
        }
        if let Some(region) = &query.region {
            params.push(("region", region.to_ascii_lowercase()));
        }
        if let Some(tag) = &query.tag {
            params.push(("tag", tag.clone()));
        }
        let json = require_json(
            self.client
                .get(&format!("/{name}/traffic"), &params)
                .await?,
        )?;
        Ok(parse::<wire::Traffic>(&json, "traffic")?.rows)
    }

    /// Rows keyed by proxy user: the `subuser` key may be the `sub_` id (TRF) or the name
    /// (R-STAT), §10.3; ISP traffic cannot be grouped by sub-user (§5.6 lists `ip`, `batch`,
    /// `target_domain`, `day`), so it is grouped by batch and each batch's bound sub-user taken
    /// from `GET /isp/batches` [I: batches carry `subuser`].
    async fn usage_by_user(
        &self,
        query: &UsageQuery,
        products: &[Product],
    ) -> Result<Vec<UsageRow>, ProviderError> {
        let calls = products.iter().map(|p| async move {
            let dim = if *p == Product::Isp {
                "batch"
            } else {
                "subuser"
            };
            self.traffic(*p, query, Some(dim))
                .await
                .map(|rows| (*p, rows))
        });
        let results = try_join_all(calls).await?;
        let batch_owners: HashMap<String, Option<String>> = if products.contains(&Product::Isp) {
            self.all("/isp/batches", &[])
                .await?
                .iter()
                .filter_map(|raw| serde_json::from_value::<wire::IspBatch>(raw.clone()).ok())
                .map(|b| (b.id, b.subuser))
                .collect()
        } else {
            HashMap::new()
        };
        let mut keyed: Vec<(Option<String>, UsageRow)> = Vec::new();
        for (product, rows) in &results {
            for row in rows {
                let key = if *product == Product::Isp {
                    row.batch
                        .as_ref()
                        .and_then(|b| batch_owners.get(b).cloned().flatten())
                } else {
                    row.subuser.clone()
                };
                keyed.push((key, map::usage_row(self.account(), row)));
            }
        }
        // Names are resolved through the sub-user list, fetched only when a name shows up.
        let needs_names = keyed
            .iter()
            .any(|(k, _)| k.as_deref().is_some_and(|k| !k.starts_with("sub_")));
        let names: HashMap<String, String> = if needs_names {
            self.all("/subusers", &[])
                .await?
                .iter()
                .filter_map(|raw| serde_json::from_value::<wire::SubUser>(raw.clone()).ok())
                .map(|s| (s.name, s.id))
                .collect()
        } else {
            HashMap::new()
        };
        Ok(map::rows_by_user(self.account(), keyed, &names))
    }
}
