//! The source-IP whitelist on 911: `proxy-ip/list|add|delete` and `white-ip/quota` (notes
//! "IP whitelist", [SIB]: paths and fields from deployments of the same backend). An entry
//! covers the whole account for one product type; 911 deletes by IP, so the gateway's upstream
//! id of an entry is `<product type>:<ip>` and 911's numeric id stays in `provider_data`.

use std::net::IpAddr;
use std::sync::Arc;

use jiff::tz::TimeZone;
use serde_json::Value;

use super::client::{Nine11Client, decode};
use super::map;
use super::validate;
use super::wire::{self, AddWhiteIps, DeleteWhiteIps, ListData, WhiteIpQuota, WhiteIpRow};
use crate::domain::providers::ProviderKind;
use crate::domain::whitelist::{
    NewWhitelistEntry, WhitelistEntry, WhitelistEntryId, WhitelistFilter, WhitelistQuota,
};
use crate::providers::{ProviderError, WhitelistPage};

/// The product types a whitelist exists for: those of proxy accounts (9, 11, 25, 14), each
/// listed and counted on its own because `proxy-ip/list` rows do not say their type.
const TYPES: [i64; 4] = map::ACCOUNT_PRODUCT_TYPES;

/// An entry's upstream id: `<product type>:<ip>`.
pub fn upstream_id(product_type: i64, ip: &str) -> String {
    format!("{product_type}:{ip}")
}

/// The product type and IP an upstream id names; `None` for text no 911 entry could have.
pub fn parse_upstream_id(id: &str) -> Option<(i64, IpAddr)> {
    let (product_type, ip) = id.split_once(':')?;
    let product_type: i64 = product_type.parse().ok()?;
    TYPES.contains(&product_type).then_some(())?;
    Some((product_type, ip.parse().ok()?))
}

/// One `proxy-ip/list` row, normalized.
pub fn entry(
    account: &str,
    kind: ProviderKind,
    tz: &TimeZone,
    product_type: i64,
    row: &WhiteIpRow,
    raw: Value,
) -> WhitelistEntry {
    // 911 may echo an address in another spelling than the gateway sends; the id uses the
    // canonical one so it matches what delete sends back.
    let ip = row
        .ip
        .trim()
        .parse::<IpAddr>()
        .map_or_else(|_| row.ip.clone(), |ip| ip.to_string());
    WhitelistEntry {
        id: WhitelistEntryId {
            account: account.to_string(),
            upstream: upstream_id(product_type, &ip),
        },
        provider: kind,
        ip,
        product: map::product_of_type(product_type),
        proxy_user: None,
        ip_batch: None,
        label: row.remark.clone().filter(|r| !r.is_empty()),
        active: true,
        created_at: row
            .created_at
            .as_deref()
            .and_then(|t| map::parse_any_time(t, tz)),
        provider_data: Arc::new(raw),
    }
}

/// The product types a filter covers, in listing order.
fn types_of(filter: &WhitelistFilter) -> Result<Vec<i64>, ProviderError> {
    scope_only(filter)?;
    Ok(match filter.product {
        None => TYPES.to_vec(),
        Some(product) => map::type_of_product(product).into_iter().collect(),
    })
}

/// 911 whitelists have no per-user or per-batch scope: such a filter is a question 911
/// cannot answer, said so rather than answered with an empty list.
fn scope_only(filter: &WhitelistFilter) -> Result<(), ProviderError> {
    if filter.proxy_user.is_some() {
        return Err(ProviderError::invalid(
            "proxy_user",
            "911Proxy whitelists cover the whole account per product; they have no per-user \
             entries",
        ));
    }
    if filter.ip_batch.is_some() {
        return Err(ProviderError::invalid(
            "ip_batch",
            "911Proxy has no IP batches; its whitelists cover the whole account per product",
        ));
    }
    Ok(())
}

/// The entries of one product type, in 911's order.
async fn list_type(
    client: &Nine11Client,
    account: &str,
    kind: ProviderKind,
    tz: &TimeZone,
    product_type: i64,
) -> Result<Vec<WhitelistEntry>, ProviderError> {
    let data = client
        .get(
            wire::WHITE_IP_LIST,
            &[("product_type", product_type.to_string())],
        )
        .await?;
    let raw_rows: Vec<Value> = match data.get("list") {
        Some(Value::Array(rows)) => rows.clone(),
        _ => Vec::new(),
    };
    let rows: ListData<WhiteIpRow> = decode(wire::WHITE_IP_LIST, &data)?;
    Ok(rows
        .list
        .iter()
        .zip(raw_rows)
        .map(|(row, raw)| entry(account, kind, tz, product_type, row, raw))
        .collect())
}

/// Everything one account's whitelist needs: its client and how to name what it reads.
pub struct Whitelist<'a> {
    /// The account's client.
    pub client: &'a Nine11Client,
    /// The account's name.
    pub account: &'a str,
    /// The provider.
    pub kind: ProviderKind,
    /// The account's zone, for the times of rows that carry a naive one.
    pub tz: &'a TimeZone,
}

impl Whitelist<'_> {
    async fn entries(&self, types: &[i64]) -> Result<Vec<WhitelistEntry>, ProviderError> {
        let lists = futures::future::try_join_all(
            types
                .iter()
                .map(|t| list_type(self.client, self.account, self.kind, self.tz, *t)),
        )
        .await?;
        Ok(lists.into_iter().flatten().collect())
    }

    /// A page: every type's list read at once (the quota bounds each), ordered by type then
    /// 911's order; the cursor is the upstream id of the last entry served.
    pub async fn list(
        &self,
        filter: &WhitelistFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<WhitelistPage, ProviderError> {
        let types = types_of(filter)?;
        let entries = self.entries(&types).await?;
        let start = match cursor {
            None => 0,
            Some(after) => {
                let (after_type, _) = parse_upstream_id(after).ok_or_else(|| {
                    ProviderError::invalid("cursor", "cursor is not a cursor returned by this API")
                })?;
                match entries.iter().position(|e| e.id.upstream == after) {
                    Some(i) => i + 1,
                    // The entry was deleted since: resume at the next product type.
                    None => entries
                        .iter()
                        .position(|e| {
                            let t = parse_upstream_id(&e.id.upstream).map_or(0, |(t, _)| t);
                            type_rank(t) > type_rank(after_type)
                        })
                        .unwrap_or(entries.len()),
                }
            }
        };
        let limit = limit.max(1) as usize;
        let page: Vec<WhitelistEntry> = entries.iter().skip(start).take(limit).cloned().collect();
        let next_cursor = (start + page.len() < entries.len())
            .then(|| page.last().map(|e| e.id.upstream.clone()))
            .flatten();
        Ok(WhitelistPage {
            entries: page,
            next_cursor,
        })
    }

    /// `white-ip/quota` for one type.
    async fn quota_of(&self, product_type: i64) -> Result<WhitelistQuota, ProviderError> {
        let data = self
            .client
            .get(
                wire::WHITE_IP_QUOTA,
                &[("product_type", product_type.to_string())],
            )
            .await?;
        let quota: WhiteIpQuota = decode(wire::WHITE_IP_QUOTA, &data)?;
        let used = match quota.used {
            Some(used) => used,
            // No `used` in the answer: count the list.
            None => {
                let listed = list_type(self.client, self.account, self.kind, self.tz, product_type)
                    .await?
                    .len();
                u32::try_from(listed).unwrap_or(u32::MAX)
            }
        };
        Ok(WhitelistQuota {
            product: map::product_of_type(product_type),
            proxy_user: None,
            ip_batch: None,
            used,
            allowed: quota.quota,
        })
    }

    /// One row per product type the filter covers.
    pub async fn quota(
        &self,
        filter: &WhitelistFilter,
    ) -> Result<Vec<WhitelistQuota>, ProviderError> {
        let types = types_of(filter)?;
        futures::future::try_join_all(types.iter().map(|t| self.quota_of(*t))).await
    }

    /// Checks the rules, the duplicate and the quota, adds, and reads the entry back (911's
    /// add answers `data: null`). An entry not listed yet is answered as sent.
    pub async fn add(&self, new: &NewWhitelistEntry) -> Result<WhitelistEntry, ProviderError> {
        let valid = validate::whitelist_entry(new)?;
        let ip = valid.ip.to_string();
        let (listed, quota) = futures::future::try_join(
            list_type(
                self.client,
                self.account,
                self.kind,
                self.tz,
                valid.product_type,
            ),
            self.quota_of(valid.product_type),
        )
        .await?;
        let product = map::product_of_type(valid.product_type);
        if listed.iter().any(|e| e.ip == ip) {
            return Err(ProviderError::invalid(
                "ip",
                format!(
                    "{ip} is already whitelisted for {product} on this account (entry {}:{})",
                    self.account,
                    upstream_id(valid.product_type, &ip)
                ),
            ));
        }
        if !quota.has_room() {
            return Err(ProviderError::Conflict {
                field: Some("ip".to_string()),
                message: format!(
                    "the {product} whitelist of account {} is full: its cap is {} entries and \
                     {} are used",
                    self.account, quota.allowed, quota.used
                ),
            });
        }
        let body = AddWhiteIps {
            ips: &ip,
            product_type: valid.product_type,
            remark: valid.remark.as_deref().unwrap_or(""),
            user_product_id: valid.package,
        };
        self.client.post(wire::WHITE_IP_ADD, &body, &[]).await?;
        let now = list_type(
            self.client,
            self.account,
            self.kind,
            self.tz,
            valid.product_type,
        )
        .await
        .unwrap_or_default();
        Ok(now.into_iter().find(|e| e.ip == ip).unwrap_or_else(|| {
            let row = WhiteIpRow {
                id: None,
                ip: ip.clone(),
                remark: valid.remark.clone(),
                created_at: None,
            };
            entry(
                self.account,
                self.kind,
                self.tz,
                valid.product_type,
                &row,
                Value::Object(Default::default()),
            )
        }))
    }

    /// Deletes by IP within the entry's product type, after checking it is listed (911 answers
    /// a parameter error for an IP it does not hold; the gateway answers 404).
    pub async fn delete(&self, upstream: &str) -> Result<(), ProviderError> {
        let not_found = || ProviderError::NotFound(format!("{}:{upstream}", self.account));
        let (product_type, ip) = parse_upstream_id(upstream).ok_or_else(not_found)?;
        let ip = ip.to_string();
        let listed = list_type(self.client, self.account, self.kind, self.tz, product_type).await?;
        if !listed.iter().any(|e| e.ip == ip) {
            return Err(not_found());
        }
        let body = DeleteWhiteIps {
            ips: &ip,
            product_type,
        };
        self.client.post(wire::WHITE_IP_DELETE, &body, &[]).await?;
        Ok(())
    }
}

/// Where a type sits in the listing order.
fn type_rank(product_type: i64) -> usize {
    TYPES
        .iter()
        .position(|t| *t == product_type)
        .unwrap_or(TYPES.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::products::Product;

    #[test]
    fn upstream_ids_carry_the_type_and_the_ip_ipv6_included() {
        assert_eq!(upstream_id(9, "203.0.113.5"), "9:203.0.113.5");
        assert_eq!(
            parse_upstream_id("11:2001:db8::1"),
            Some((11, "2001:db8::1".parse().unwrap()))
        );
        assert_eq!(
            parse_upstream_id("12:203.0.113.5"),
            None,
            "not a whitelist type"
        );
        assert_eq!(parse_upstream_id("9:example.com"), None);
        assert_eq!(parse_upstream_id("user01"), None);
    }

    #[test]
    fn a_row_maps_with_its_iso_time_and_canonical_ip() {
        let raw = serde_json::json!({"id": 7, "ip": "2001:DB8::1", "remark": "",
                                     "created_at": "2026-05-01T08:00:00Z"});
        let row: WhiteIpRow = serde_json::from_value(raw.clone()).unwrap();
        let e = entry(
            "911proxy",
            ProviderKind::new("911proxy"),
            &TimeZone::UTC,
            25,
            &row,
            raw,
        );
        assert_eq!(e.id.to_string(), "911proxy:25:2001:db8::1");
        assert_eq!(e.ip, "2001:db8::1");
        assert_eq!(e.product, Product::Isp);
        assert_eq!(e.label, None, "an empty remark is no label");
        assert_eq!(
            e.created_at.map(|t| t.unix_timestamp()),
            Some(1_777_622_400)
        );
        assert_eq!(e.provider_data["id"], 7);
    }
}
