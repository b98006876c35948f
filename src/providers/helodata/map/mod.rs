//! Translations between helodata's wire values and the gateway's domain: products, statuses,
//! ids, times, units, traffic rows, packages, field names, the adapter's list cursor and the
//! forwarded idempotency keys. Pure functions, unit-tested without any network.

use std::collections::{BTreeMap, HashMap};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime, UtcOffset};

use super::wire;
use crate::domain::packages::{Package, PackageKind, PackageStatus};
use crate::domain::products::Product;
use crate::domain::proxy_users::{ProxyUser, ProxyUserId, ProxyUserStatus};
use crate::domain::usage::UsageRow;

/// The products helodata sells, in the order the adapter queries them (§2).
pub const PRODUCTS: [Product; 3] = [Product::Residential, Product::Mobile, Product::Isp];

/// One GB in bytes: the gateway's convention is GB = 1024³ bytes (helodata does not define it).
pub const GB: u64 = 1024 * 1024 * 1024;

/// `Idempotency-Key` is at most 64 characters (overview "幂等性").
pub const MAX_IDEMPOTENCY_KEY: usize = 64;

/// How long the old password keeps working after a rotation (D-SUB, T-407: 60 s).
pub const ROTATION_GRACE: time::Duration = time::Duration::seconds(60);

/// A helodata product name; anything else (a future product) is [`Product::Other`].
pub fn product_from_wire(value: &str) -> Product {
    match value {
        "residential" => Product::Residential,
        "mobile" => Product::Mobile,
        "isp" => Product::Isp,
        _ => Product::Other,
    }
}

/// The helodata name of a product, `None` for products helodata does not sell.
pub fn product_to_wire(product: Product) -> Option<&'static str> {
    match product {
        Product::Residential => Some("residential"),
        Product::Mobile => Some("mobile"),
        Product::Isp => Some("isp"),
        Product::ResidentialIp | Product::Datacenter | Product::Other => None,
    }
}

/// Products as listed upstream, in their order, duplicates (e.g. two unknown ones) removed.
pub fn products_from_wire(values: &[String]) -> Vec<Product> {
    let mut out = Vec::with_capacity(values.len());
    for product in values.iter().map(|v| product_from_wire(v)) {
        if !out.contains(&product) {
            out.push(product);
        }
    }
    out
}

/// `active` → enabled; `disabled` and any status the docs do not list → disabled (a sub-user
/// in an unknown state is not assumed usable; D-SUB lists only the two).
pub fn status_from_wire(value: &str) -> ProxyUserStatus {
    match value {
        "active" => ProxyUserStatus::Enabled,
        _ => ProxyUserStatus::Disabled,
    }
}

/// The helodata status word (D-SUB).
pub fn status_to_wire(status: ProxyUserStatus) -> &'static str {
    match status {
        ProxyUserStatus::Enabled => "active",
        ProxyUserStatus::Disabled => "disabled",
    }
}

/// An RFC 3339 timestamp as UTC; `None` when it does not parse (the raw text stays in
/// `provider_data`).
pub fn parse_time(value: &str) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(value, &Rfc3339)
        .ok()
        .map(|t| t.to_offset(UtcOffset::UTC))
}

/// An optional wire timestamp as UTC.
pub fn parse_time_opt(value: Option<&str>) -> Option<OffsetDateTime> {
    value.and_then(parse_time)
}

/// RFC 3339 in UTC with `Z`, as every helodata example writes times (§1).
pub fn format_time(value: OffsetDateTime) -> String {
    let utc = value.to_offset(UtcOffset::UTC);
    utc.format(&Rfc3339)
        .unwrap_or_else(|_| utc.unix_timestamp().to_string())
}

/// A traffic `day` key: `2026-05-01`, or a full RFC 3339 timestamp whose UTC date is taken.
/// helodata's day is taken to be the UTC day [I, §5.6 gives no zone; all its times are UTC].
pub fn parse_day(value: &str) -> Option<Date> {
    Date::parse(value, format_description!("[year]-[month]-[day]"))
        .ok()
        .or_else(|| parse_time(value).map(OffsetDateTime::date))
}

/// GB (1024³ bytes, the gateway's convention) to bytes, saturating.
pub fn gb_to_bytes(gb: u64) -> u64 {
    gb.saturating_mul(GB)
}

/// Whether `id` can be a helodata sub-user id: `sub_` (§1 prefixes) and then characters that
/// are safe in a path segment. Ids are otherwise opaque, with no length check (§1 [I]).
pub fn is_subuser_id(id: &str) -> bool {
    is_prefixed_id(id, "sub_")
}

/// Whether `id` is `prefix` and then characters that are safe in a path segment (any helodata
/// object id: `sub_`, `wl_`, `bat_`, …).
pub fn is_prefixed_id(id: &str, prefix: &str) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| {
        !rest.is_empty()
            && rest
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
    })
}

/// The raw object with any `password` member removed, for `provider_data`.
pub fn without_secrets(raw: &Value) -> Value {
    let mut raw = raw.clone();
    if let Some(obj) = raw.as_object_mut() {
        obj.remove("password");
    }
    raw
}

/// A sub-user as a normalized proxy user. helodata has no per-sub-user traffic quota or usage
/// field (§5.2, §11), so both traffic figures are `None`; the password is never listed (SUB).
pub fn proxy_user(account: &str, sub: &wire::SubUser, raw: &Value) -> ProxyUser {
    ProxyUser {
        id: ProxyUserId::new(account, sub.id.clone()),
        provider: crate::providers::helodata::registration::KIND,
        username: sub.name.clone(),
        label: sub.label.clone(),
        products: products_from_wire(&sub.products),
        status: status_from_wire(&sub.status),
        traffic_limit_bytes: None,
        traffic_used_bytes: None,
        concurrency_max: sub.concurrent_max.and_then(|v| u32::try_from(v).ok()),
        rps_max: sub.rps_max.and_then(|v| u32::try_from(v).ok()),
        created_at: parse_time_opt(sub.created_at.as_deref()),
        password: None,
        provider_data: without_secrets(raw).into(),
    }
}

/// A traffic row's counters: `bytes` = `bytes_in` + `bytes_out` (§5.6, both in bytes). Keys
/// (`day`, `proxy_user`, `product`) are set by the caller, which knows the grouping.
pub fn usage_row(account: &str, row: &wire::TrafficRow) -> UsageRow {
    UsageRow {
        account: account.to_string(),
        day: None,
        proxy_user: None,
        product: None,
        hour: None,
        group: None,
        bytes: row.bytes_in.saturating_add(row.bytes_out),
        bytes_in: Some(row.bytes_in),
        bytes_out: Some(row.bytes_out),
        requests: row.requests,
        errors: row.errors,
        period_start: None,
        period_end: None,
    }
}

/// The zero row a total starts from (every counter reported, all zero).
pub fn zero_row(account: &str) -> UsageRow {
    usage_row(
        account,
        &wire::TrafficRow {
            requests: Some(0),
            errors: Some(0),
            ..wire::TrafficRow::default()
        },
    )
}

/// Merges rows keyed by helodata's `subuser` value into one row per proxy user. The key may be
/// the `sub_` id (TRF) or the name (R-STAT), §10.3: a name is resolved through `names` (name →
/// id); one that no longer resolves (a deleted sub-user) stays as helodata gave it. `None`
/// keys (ISP traffic of a batch bound to no sub-user) make one row without a proxy user, last.
pub fn rows_by_user(
    account: &str,
    keyed: Vec<(Option<String>, UsageRow)>,
    names: &HashMap<String, String>,
) -> Vec<UsageRow> {
    let mut merged: BTreeMap<(bool, String), UsageRow> = BTreeMap::new();
    for (key, row) in keyed {
        let key = key.map(|k| names.get(&k).cloned().unwrap_or(k));
        let sort_key = (key.is_none(), key.clone().unwrap_or_default());
        merged
            .entry(sort_key)
            .or_insert_with(|| UsageRow {
                proxy_user: key.map(|k| ProxyUserId::new(account, k)),
                ..zero_row(account)
            })
            .absorb(&row);
    }
    merged.into_values().collect()
}

/// A subscription's state: `active` → Active; `paused` / `canceled` → Ending until their end,
/// then Expired (§5.5 documents only `active`; the other words are the simulator's); anything
/// else → Other.
pub fn subscription_status(
    status: &str,
    ends_at: Option<OffsetDateTime>,
    now: OffsetDateTime,
) -> PackageStatus {
    match status {
        "active" => PackageStatus::Active,
        "paused" | "canceled" | "cancelled" => match ends_at {
            Some(end) if end <= now => PackageStatus::Expired,
            _ => PackageStatus::Ending,
        },
        "expired" => PackageStatus::Expired,
        _ => PackageStatus::Other,
    }
}

/// An ISP batch's state: `provisioning` → Pending (ORD), `active` → Active, `grace-period` →
/// Ending (IPs still answer during the 7-day grace, I-ERR), `expired` → Expired. The API's words
/// are not documented (§5.4, §11): these are the simulator's.
pub fn batch_status(status: Option<&str>) -> PackageStatus {
    match status {
        Some("provisioning") => PackageStatus::Pending,
        Some("active" | "completed") => PackageStatus::Active,
        Some("grace-period" | "grace_period") => PackageStatus::Ending,
        Some("expired" | "released") => PackageStatus::Expired,
        _ => PackageStatus::Other,
    }
}

/// A subscription as a package. `expires_at` is the next renewal, or, when it will not renew,
/// `ends_at` (not documented, §5.5; the simulator's). Included traffic is per billing month.
pub fn subscription_package(
    account: &str,
    sub: &wire::Subscription,
    raw: &Value,
    now: OffsetDateTime,
) -> Package {
    let ends_at = parse_time_opt(sub.ends_at.as_deref());
    Package {
        id: format!("{account}:{}", sub.id),
        account: account.to_string(),
        kind: PackageKind::Subscription,
        product: product_from_wire(&sub.product),
        name: sub.plan.clone(),
        status: subscription_status(&sub.status, ends_at, now),
        traffic_included_bytes: sub.gb_included.map(gb_to_bytes),
        ip_count: sub.quantity,
        created_at: parse_time_opt(sub.created_at.as_deref()),
        expires_at: parse_time_opt(sub.renews_at.as_deref()).or(ends_at),
        provider_data: without_secrets(raw),
    }
}

/// An ISP batch as a package.
pub fn batch_package(account: &str, batch: &wire::IspBatch, raw: &Value) -> Package {
    Package {
        id: format!("{account}:{}", batch.id),
        account: account.to_string(),
        kind: PackageKind::IpBatch,
        product: Product::Isp,
        name: None,
        status: batch_status(batch.status.as_deref()),
        traffic_included_bytes: None,
        ip_count: batch.quantity,
        created_at: parse_time_opt(batch.created_at.as_deref()),
        expires_at: parse_time_opt(batch.expires_at.as_deref()),
        provider_data: without_secrets(raw),
    }
}

/// A field helodata names in an error, as the gateway's wire name. Fields with no gateway
/// counterpart (`cursor`, `Idempotency-Key`, …) give `None`; the message still names them.
pub fn field_to_gateway(field: &str) -> Option<&'static str> {
    match field {
        "label" => Some("label"),
        "concurrent_max" => Some("concurrency_max"),
        "rps_max" => Some("rps_max"),
        "products" => Some("products"),
        "status" => Some("status"),
        "name" => Some("username"),
        "password" => Some("password"),
        "product" => Some("product"),
        "subuser" => Some("proxy_user"),
        "ip" => Some("ip"),
        "from" => Some("from"),
        "to" => Some("to"),
        // Orders and subscriptions.
        "batch_id" => Some("ip_batch"),
        "gb" => Some("gb"),
        "country" => Some("country"),
        "city" => Some("city"),
        "asn" => Some("asn"),
        "quantity" => Some("quantity"),
        "months" => Some("months"),
        "plan" => Some("plan"),
        "cycle" => Some("cycle"),
        _ => None,
    }
}

/// A label as helodata accepts it: 1–64 characters from `A-Z a-z 0-9 space . _ -`. SUB's
/// constraints table was not recovered (§11); this is the simulator's rule.
pub fn check_label(label: &str) -> Result<(), String> {
    let chars_ok = label
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, ' ' | '.' | '_' | '-'));
    if label.is_empty() || label.chars().count() > 64 || !chars_ok {
        return Err("must be 1-64 characters from A-Z a-z 0-9 space . _ -".to_string());
    }
    Ok(())
}

/// The `Idempotency-Key` forwarded for item `index` of a create: the context key itself for a
/// single create, `<key>-<index>` in a batch. A key longer than helodata's 64 characters is
/// replaced by the hex SHA-256 of it (64 characters), the same on every retry.
pub fn item_idempotency_key(key: &str, index: usize, batch: bool) -> String {
    let key = if batch {
        format!("{key}-{index}")
    } else {
        key.to_string()
    };
    fit_idempotency_key(&key)
}

/// The gateway's write key as helodata takes it. helodata accepts at most 64 characters
/// (overview "幂等性"); the write key is `pgw_` and 64 hex digits of a SHA-256, so it is cut to 64
/// (240 bits of the digest remain; the value keyed writes have always forwarded). A shorter
/// key is sent as it is.
pub fn fit_write_key(key: &str) -> String {
    key.chars().take(MAX_IDEMPOTENCY_KEY).collect()
}

/// `key` if helodata accepts its length, else its hex SHA-256.
pub fn fit_idempotency_key(key: &str) -> String {
    if key.len() <= MAX_IDEMPOTENCY_KEY {
        key.to_string()
    } else {
        hex::encode(Sha256::digest(key.as_bytes()))
    }
}

/// The `cursor` of a `Link: <…>; rel="next"` header (overview "约定"; §10.7: support it beside
/// `next_cursor`).
pub fn next_cursor_from_link(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.trim().split_once(';')?;
        let is_next = params.split(';').any(|p| {
            let p = p.trim();
            p == "rel=\"next\"" || p == "rel=next"
        });
        if !is_next {
            return None;
        }
        let url = target.trim().strip_prefix('<')?.strip_suffix('>')?;
        let (_, query) = url.split_once('?')?;
        form_urlencoded::parse(query.as_bytes())
            .find(|(k, _)| k == "cursor")
            .map(|(_, v)| v.into_owned())
            .filter(|v| !v.is_empty())
    })
}

/// Where the adapter's next page of sub-users starts: the helodata page (its cursor, `None`
/// for the first page) and how much of it the previous page already consumed. Local filtering
/// (`username_prefix`) can stop a gateway page in the middle of a helodata page.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListCursor {
    /// helodata's `next_cursor` that produced the page, `None` for the first page.
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    /// Items of that page already consumed.
    #[serde(rename = "s", default)]
    pub skip: u32,
    /// The id of the last consumed item: resuming after it survives deletions earlier in the
    /// page; `skip` is the fallback when it is gone.
    #[serde(rename = "l", default, skip_serializing_if = "Option::is_none")]
    pub last_id: Option<String>,
}

impl ListCursor {
    /// The opaque text handed to callers.
    pub fn encode(&self) -> String {
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    /// Reads text produced by [`ListCursor::encode`]; anything else is refused.
    pub fn decode(text: &str) -> Result<ListCursor, String> {
        let refused = || "is not a cursor returned by this API".to_string();
        let bytes = URL_SAFE_NO_PAD.decode(text).map_err(|_| refused())?;
        serde_json::from_slice(&bytes).map_err(|_| refused())
    }

    /// Where to resume in a freshly fetched page of `ids`: after `last_id` when it is still
    /// there, else after `skip` items.
    pub fn resume_index(&self, ids: &[&str]) -> usize {
        self.last_id
            .as_deref()
            .and_then(|last| ids.iter().position(|id| *id == last))
            .map_or(self.skip as usize, |i| i + 1)
            .min(ids.len())
    }
}

#[cfg(test)]
mod tests;
