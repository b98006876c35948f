//! helodata whitelists (§5.8): per sub-user and product (`/whitelists`) and per ISP batch
//! (`/isp/batches/{id}/whitelist`). There is no account-wide whitelist. The rules (IPv4 ranges
//! of /24 or narrower, IPv6 of /64 or narrower, 50 entries per scope, no duplicate in a scope)
//! are checked here before any write reaches helodata. An entry's upstream id is `wl_…`, or
//! `bat_…:wl_…` for a batch entry (deleting one needs its batch).

use std::sync::Arc;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::client::{parse, require_json};
use super::{HelodataAdapter, map, wire};
use crate::domain::products::Product;
use crate::domain::providers::ProviderKind;
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::whitelist::{
    NewWhitelistEntry, SourceIp, WhitelistEntry, WhitelistEntryId, WhitelistFilter, WhitelistQuota,
};
use crate::providers::{
    FailureKind, ProviderAdapter, ProviderError, UpstreamFailure, WhitelistPage,
};

/// Entries per sub-user per product, and per ISP batch (§5.8 "Limits").
pub const MAX_ENTRIES: u32 = 50;
/// The widest IPv4 range helodata takes (§5.8: "/24 or narrower").
pub const WIDEST_IPV4_PREFIX: u8 = 24;
/// The widest IPv6 range helodata takes (§5.8: "no wider than /64").
pub const WIDEST_IPV6_PREFIX: u8 = 64;

/// Where an entry lives at helodata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Scope {
    /// A sub-user and one gateway product (`residential` or `mobile`).
    SubUser {
        /// `sub_…`.
        subuser: String,
        /// helodata's product name.
        product: &'static str,
    },
    /// An ISP batch.
    Batch {
        /// `bat_…`.
        batch: String,
    },
}

impl Scope {
    /// The collection path of the scope's entries.
    fn path(&self) -> String {
        match self {
            Scope::SubUser { .. } => "/whitelists".to_string(),
            Scope::Batch { batch } => format!("/isp/batches/{batch}/whitelist"),
        }
    }

    /// The query that narrows `/whitelists` to the scope.
    fn query(&self) -> Vec<(&'static str, String)> {
        match self {
            Scope::SubUser { subuser, product } => {
                vec![
                    ("subuser", subuser.clone()),
                    ("product", product.to_string()),
                ]
            }
            Scope::Batch { .. } => Vec::new(),
        }
    }
}

/// The address rules of §5.8: one address, or a range no wider than /24 (IPv4) or /64 (IPv6).
pub fn check_ip(ip: &SourceIp) -> Result<(), ProviderError> {
    let (widest, family) = if ip.addr.is_ipv4() {
        (WIDEST_IPV4_PREFIX, "IPv4")
    } else {
        (WIDEST_IPV6_PREFIX, "IPv6")
    };
    match ip.prefix {
        Some(prefix) if prefix < widest => Err(ProviderError::invalid(
            "ip",
            format!("helodata whitelists {family} ranges of /{widest} or narrower, not /{prefix}"),
        )),
        _ => Ok(()),
    }
}

/// The scope a new entry names, checked: exactly one of a proxy user (with a gateway product,
/// residential by default) or an ISP batch (product isp or none), and no package.
pub fn scope_of(entry: &NewWhitelistEntry) -> Result<Scope, ProviderError> {
    check_ip(&entry.ip)?;
    if let Some(label) = &entry.label {
        map::check_label(label).map_err(|m| ProviderError::invalid("label", m))?;
    }
    if entry.package.is_some() {
        return Err(ProviderError::invalid(
            "package",
            "helodata whitelist entries name a proxy user or an ip_batch, not a package",
        ));
    }
    match (&entry.proxy_user, &entry.ip_batch) {
        (Some(_), Some(_)) => Err(ProviderError::invalid(
            "ip_batch",
            "a helodata whitelist entry belongs to a proxy user or to an ip_batch, not both",
        )),
        (None, None) => Err(ProviderError::invalid(
            "proxy_user",
            "helodata has no account-wide whitelist: name a proxy_user (and product) or an \
             ip_batch",
        )),
        (Some(subuser), None) => {
            if !map::is_subuser_id(subuser) {
                return Err(ProviderError::invalid(
                    "proxy_user",
                    "a helodata proxy user id is <account>:sub_…",
                ));
            }
            let product = match entry.product.unwrap_or(Product::Residential) {
                Product::Residential => "residential",
                Product::Mobile => "mobile",
                other => {
                    return Err(ProviderError::invalid(
                        "product",
                        format!(
                            "a helodata proxy user's whitelist is for residential or mobile, not \
                             {other} (ISP whitelists belong to an ip_batch)"
                        ),
                    ));
                }
            };
            Ok(Scope::SubUser {
                subuser: subuser.clone(),
                product,
            })
        }
        (None, Some(batch)) => {
            if !map::is_prefixed_id(batch, "bat_") {
                return Err(ProviderError::invalid(
                    "ip_batch",
                    "a helodata IP batch id is <account>:bat_…",
                ));
            }
            if entry.product.is_some_and(|p| p != Product::Isp) {
                return Err(ProviderError::invalid(
                    "product",
                    "an ip_batch whitelist is for the isp product",
                ));
            }
            Ok(Scope::Batch {
                batch: batch.clone(),
            })
        }
    }
}

/// An entry's upstream id.
fn upstream_id(row: &wire::WhitelistRow) -> String {
    match &row.batch_id {
        Some(batch) => format!("{batch}:{}", row.id),
        None => row.id.clone(),
    }
}

/// One listed entry, normalized. A batch entry is `isp`; a sub-user's has its product.
pub fn entry(
    account: &str,
    kind: ProviderKind,
    row: &wire::WhitelistRow,
    raw: Value,
) -> WhitelistEntry {
    let product = match (&row.batch_id, &row.product) {
        (Some(_), _) => Product::Isp,
        (None, Some(p)) => map::product_from_wire(p),
        (None, None) => Product::Other,
    };
    WhitelistEntry {
        id: WhitelistEntryId {
            account: account.to_string(),
            upstream: upstream_id(row),
        },
        provider: kind,
        ip: row.ip.clone(),
        product,
        proxy_user: row
            .subuser
            .as_ref()
            .map(|s| ProxyUserId::new(account, s.clone())),
        ip_batch: row.batch_id.as_ref().map(|b| format!("{account}:{b}")),
        label: row.label.clone(),
        active: row.active.unwrap_or(true),
        created_at: map::parse_time_opt(row.created_at.as_deref()),
        provider_data: Arc::new(raw),
    }
}

/// Where a listing resumes: the source (`/whitelists`, then each batch) and helodata's cursor.
#[derive(Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
struct Position {
    #[serde(rename = "s")]
    source: usize,
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
}

/// One list to read: a path and its query.
type Source = (String, Vec<(&'static str, String)>);

impl HelodataAdapter {
    fn entries_of(&self, items: &[Value]) -> Result<Vec<WhitelistEntry>, UpstreamFailure> {
        items
            .iter()
            .map(|raw| {
                let row: wire::WhitelistRow = parse(raw, "whitelist entry")?;
                Ok(entry(self.account(), self.kind_of(), &row, raw.clone()))
            })
            .collect()
    }

    fn kind_of(&self) -> ProviderKind {
        super::registration::KIND
    }

    /// Every batch id of the account.
    async fn batch_ids(&self) -> Result<Vec<String>, UpstreamFailure> {
        let items = self.all("/isp/batches", &[]).await?;
        items
            .iter()
            .map(|raw| parse::<wire::IspBatch>(raw, "ISP batch").map(|b| b.id))
            .collect()
    }

    /// The lists a filter reads, in order: sub-user entries, then each batch's.
    async fn sources(&self, filter: &WhitelistFilter) -> Result<Vec<Source>, ProviderError> {
        if let Some(batch) = &filter.ip_batch {
            if filter.proxy_user.is_some()
                || filter.product.is_some_and(|p| p != Product::Isp)
                || !map::is_prefixed_id(batch, "bat_")
            {
                return Ok(Vec::new());
            }
            return Ok(vec![(
                format!("/isp/batches/{batch}/whitelist"),
                Vec::new(),
            )]);
        }
        let mut query = Vec::new();
        if let Some(subuser) = &filter.proxy_user {
            if !map::is_subuser_id(subuser) {
                return Ok(Vec::new());
            }
            query.push(("subuser", subuser.clone()));
        }
        let mut sources = Vec::new();
        match filter.product {
            None => sources.push(("/whitelists".to_string(), query)),
            Some(Product::Residential | Product::Mobile) => {
                let name = filter.product.and_then(map::product_to_wire).unwrap_or("");
                query.push(("product", name.to_string()));
                sources.push(("/whitelists".to_string(), query));
            }
            _ => {}
        }
        if filter.proxy_user.is_none() && filter.product.is_none_or(|p| p == Product::Isp) {
            for batch in self.batch_ids().await? {
                sources.push((format!("/isp/batches/{batch}/whitelist"), Vec::new()));
            }
        }
        Ok(sources)
    }

    /// A page over the sources of `filter`.
    pub(super) async fn whitelist_page(
        &self,
        filter: &WhitelistFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<WhitelistPage, ProviderError> {
        let limit = limit.clamp(1, super::UPSTREAM_MAX_LIMIT);
        let mut position = match cursor {
            None => Position::default(),
            Some(text) => serde_json::from_str(text).map_err(|_| {
                ProviderError::invalid("cursor", "cursor is not a cursor returned by this API")
            })?,
        };
        let sources = self.sources(filter).await?;
        let mut entries = Vec::new();
        while let Some((path, query)) = sources.get(position.source) {
            let wanted = limit - entries.len() as u32;
            let (items, next) = self
                .page(path, query.clone(), position.cursor.as_deref(), wanted)
                .await?;
            entries.extend(self.entries_of(&items)?);
            position = match next {
                Some(next) => Position {
                    source: position.source,
                    cursor: Some(next),
                },
                None => Position {
                    source: position.source + 1,
                    cursor: None,
                },
            };
            if entries.len() as u32 >= limit {
                entries.truncate(limit as usize);
                break;
            }
        }
        let more = position.source < sources.len();
        Ok(WhitelistPage {
            entries,
            next_cursor: more
                .then(|| serde_json::to_string(&position).ok())
                .flatten(),
        })
    }

    /// Every entry of one scope; a batch that does not exist is the caller's bad `ip_batch`.
    async fn scope_entries(&self, scope: &Scope) -> Result<Vec<WhitelistEntry>, ProviderError> {
        let items = self
            .all(&scope.path(), &scope.query())
            .await
            .map_err(|failure| match (scope, failure.kind) {
                (Scope::Batch { batch }, FailureKind::NotFound) => ProviderError::invalid(
                    "ip_batch",
                    format!("account {} has no IP batch {batch}", self.account()),
                ),
                _ => failure.into(),
            })?;
        Ok(self.entries_of(&items)?)
    }

    /// Checks the rules, the duplicate and the cap against the scope's entries, then adds with
    /// the write's derived `Idempotency-Key`.
    pub(super) async fn add_whitelist(
        &self,
        new: &NewWhitelistEntry,
        key: Option<String>,
    ) -> Result<WhitelistEntry, ProviderError> {
        let scope = scope_of(new)?;
        let ip = new.ip.to_string();
        let existing = self.scope_entries(&scope).await?;
        if let Some(same) = existing.iter().find(|e| e.ip == ip) {
            return Err(ProviderError::invalid(
                "ip",
                format!(
                    "{ip} is already whitelisted in this scope (entry {})",
                    same.id
                ),
            ));
        }
        if existing.len() as u32 >= MAX_ENTRIES {
            return Err(ProviderError::Conflict {
                field: Some("ip".to_string()),
                message: format!(
                    "this helodata whitelist is full: its cap is {MAX_ENTRIES} entries and {} \
                     are used",
                    existing.len()
                ),
            });
        }
        let body = match &scope {
            Scope::SubUser { subuser, product } => wire::AddWhitelistEntry {
                subuser: Some(subuser.clone()),
                product: Some(product.to_string()),
                ip,
                label: new.label.clone(),
            },
            Scope::Batch { .. } => wire::AddWhitelistEntry {
                subuser: None,
                product: None,
                ip,
                label: new.label.clone(),
            },
        };
        let body = serde_json::to_value(&body).map_err(|e| {
            UpstreamFailure::new(FailureKind::Other).message(format!("cannot encode the body: {e}"))
        })?;
        let answer = self
            .client
            .write(Method::POST, &scope.path(), Some(body), key.as_deref())
            .await?;
        let raw = require_json(answer)?;
        let row: wire::WhitelistRow = parse(&raw, "whitelist entry")?;
        Ok(entry(self.account(), self.kind_of(), &row, raw))
    }

    /// `DELETE /whitelists/{id}` or `/isp/batches/{batch}/whitelist/{id}`; 404 is not found.
    pub(super) async fn delete_whitelist(
        &self,
        upstream: &str,
        key: Option<String>,
    ) -> Result<(), ProviderError> {
        let not_found = || ProviderError::NotFound(format!("{}:{upstream}", self.account()));
        let path = match upstream.split_once(':') {
            Some((batch, id))
                if map::is_prefixed_id(batch, "bat_") && map::is_prefixed_id(id, "wl_") =>
            {
                format!("/isp/batches/{batch}/whitelist/{id}")
            }
            None if map::is_prefixed_id(upstream, "wl_") => format!("/whitelists/{upstream}"),
            _ => return Err(not_found()),
        };
        match self
            .client
            .write(Method::DELETE, &path, None, key.as_deref())
            .await
        {
            Ok(_) => Ok(()),
            Err(failure) if failure.kind == FailureKind::NotFound => Err(not_found()),
            Err(failure) => Err(failure.into()),
        }
    }

    /// Used and allowed per scope: the batch's, or each product of the proxy user, or every
    /// sub-user scope holding an entry and every batch.
    pub(super) async fn whitelist_quotas(
        &self,
        filter: &WhitelistFilter,
    ) -> Result<Vec<WhitelistQuota>, ProviderError> {
        let account = self.account();
        let row = |product, proxy_user: Option<&str>, ip_batch: Option<&str>, used: usize| {
            WhitelistQuota {
                product,
                proxy_user: proxy_user.map(|s| ProxyUserId::new(account, s)),
                ip_batch: ip_batch.map(|b| format!("{account}:{b}")),
                used: u32::try_from(used).unwrap_or(u32::MAX),
                allowed: MAX_ENTRIES,
            }
        };
        let wants = |p: Product| filter.product.is_none_or(|f| f == p);
        if let Some(batch) = &filter.ip_batch {
            // Text that cannot be a batch id never reaches a URL path.
            if !wants(Product::Isp)
                || filter.proxy_user.is_some()
                || !map::is_prefixed_id(batch, "bat_")
            {
                return Ok(Vec::new());
            }
            let scope = Scope::Batch {
                batch: batch.clone(),
            };
            let used = self.scope_entries(&scope).await?.len();
            return Ok(vec![row(Product::Isp, None, Some(batch), used)]);
        }
        if let Some(subuser) = &filter.proxy_user {
            let user = self.fetch_user(subuser).await?;
            let mut rows = Vec::new();
            for product in user.products {
                let Some(name) = map::product_to_wire(product).filter(|_| wants(product)) else {
                    continue;
                };
                if product == Product::Isp {
                    continue;
                }
                let scope = Scope::SubUser {
                    subuser: subuser.clone(),
                    product: name,
                };
                let used = self.scope_entries(&scope).await?.len();
                rows.push(row(product, Some(subuser), None, used));
            }
            return Ok(rows);
        }
        let mut rows: Vec<WhitelistQuota> = Vec::new();
        if wants(Product::Residential) || wants(Product::Mobile) {
            let entries = self.entries_of(&self.all("/whitelists", &[]).await?)?;
            let mut counts: std::collections::BTreeMap<(String, Product), usize> =
                Default::default();
            for e in entries.iter().filter(|e| wants(e.product)) {
                if let Some(user) = &e.proxy_user {
                    *counts
                        .entry((user.upstream.clone(), e.product))
                        .or_default() += 1;
                }
            }
            rows.extend(
                counts
                    .into_iter()
                    .map(|((user, product), used)| row(product, Some(&user), None, used)),
            );
        }
        if wants(Product::Isp) {
            for batch in self.batch_ids().await? {
                let scope = Scope::Batch {
                    batch: batch.clone(),
                };
                let used = self.scope_entries(&scope).await?.len();
                rows.push(row(Product::Isp, None, Some(&batch), used));
            }
        }
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(ip: &str) -> NewWhitelistEntry {
        NewWhitelistEntry {
            ip: ip.parse().unwrap(),
            product: None,
            proxy_user: Some("sub_01HX".into()),
            ip_batch: None,
            package: None,
            label: None,
        }
    }

    fn field(result: Result<Scope, ProviderError>) -> String {
        match result {
            Err(ProviderError::InvalidInput { field, .. }) => field,
            other => panic!("expected an invalid input, got {other:?}"),
        }
    }

    #[test]
    fn ranges_follow_the_documented_widths() {
        for ok in [
            "203.0.113.5",
            "203.0.113.0/24",
            "203.0.113.8/29",
            "2001:db8::1",
            "2001:db8::/64",
        ] {
            assert!(scope_of(&new(ok)).is_ok(), "{ok}");
        }
        for wide in [
            "203.0.0.0/16",
            "203.0.112.0/23",
            "2001:db8::/48",
            "2001:db8::/63",
        ] {
            assert_eq!(field(scope_of(&new(wide))), "ip", "{wide}");
        }
    }

    #[test]
    fn a_scope_is_a_proxy_user_with_a_gateway_product_or_a_batch() {
        assert_eq!(
            scope_of(&new("203.0.113.5")).unwrap(),
            Scope::SubUser {
                subuser: "sub_01HX".into(),
                product: "residential"
            },
            "residential by default"
        );
        let isp = NewWhitelistEntry {
            product: Some(Product::Isp),
            ..new("203.0.113.5")
        };
        assert_eq!(field(scope_of(&isp)), "product");
        let neither = NewWhitelistEntry {
            proxy_user: None,
            ..new("203.0.113.5")
        };
        assert_eq!(field(scope_of(&neither)), "proxy_user");
        let both = NewWhitelistEntry {
            ip_batch: Some("bat_1".into()),
            ..new("203.0.113.5")
        };
        assert_eq!(field(scope_of(&both)), "ip_batch");
        let batch = NewWhitelistEntry {
            proxy_user: None,
            ip_batch: Some("bat_1".into()),
            ..new("203.0.113.5")
        };
        assert_eq!(
            scope_of(&batch).unwrap(),
            Scope::Batch {
                batch: "bat_1".into()
            }
        );
        let bad_label = NewWhitelistEntry {
            label: Some("no/slashes".into()),
            ..new("203.0.113.5")
        };
        assert_eq!(field(scope_of(&bad_label)), "label");
    }

    #[test]
    fn batch_entries_carry_their_batch_in_the_id() {
        let raw = serde_json::json!({"id": "wl_9", "batch_id": "bat_1", "ip": "203.0.113.5",
                                     "label": null, "active": true,
                                     "created_at": "2026-05-01T00:00:00Z"});
        let row: wire::WhitelistRow = serde_json::from_value(raw.clone()).unwrap();
        let e = entry("helodata", ProviderKind::new("helodata"), &row, raw);
        assert_eq!(e.id.to_string(), "helodata:bat_1:wl_9");
        assert_eq!(e.product, Product::Isp);
        assert_eq!(e.ip_batch.as_deref(), Some("helodata:bat_1"));
        assert_eq!(e.proxy_user, None);
    }
}
