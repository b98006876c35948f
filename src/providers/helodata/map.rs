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
    id.strip_prefix("sub_").is_some_and(|rest| {
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
        provider_data: without_secrets(raw),
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
        bytes: row.bytes_in.saturating_add(row.bytes_out),
        bytes_in: Some(row.bytes_in),
        bytes_out: Some(row.bytes_out),
        requests: row.requests,
        errors: row.errors,
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
        "from" => Some("from"),
        "to" => Some("to"),
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
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;
    use time::macros::{date, datetime};

    #[test]
    fn products_map_both_ways_and_unknown_ones_become_other_once() {
        assert_eq!(product_from_wire("residential"), Product::Residential);
        assert_eq!(product_from_wire("mobile"), Product::Mobile);
        assert_eq!(product_from_wire("isp"), Product::Isp);
        assert_eq!(product_from_wire("datacenter"), Product::Other);
        assert_eq!(product_from_wire("Residential"), Product::Other);
        assert_eq!(
            products_from_wire(&[
                "mobile".into(),
                "scraping".into(),
                "residential".into(),
                "unblocker".into()
            ]),
            vec![Product::Mobile, Product::Other, Product::Residential]
        );
        for p in PRODUCTS {
            assert_eq!(product_to_wire(p).map(product_from_wire), Some(p));
        }
        assert_eq!(product_to_wire(Product::Datacenter), None);
        assert_eq!(product_to_wire(Product::ResidentialIp), None);
        assert_eq!(product_to_wire(Product::Other), None);
    }

    #[test]
    fn statuses_map_active_to_enabled_and_anything_else_to_disabled() {
        assert_eq!(status_from_wire("active"), ProxyUserStatus::Enabled);
        assert_eq!(status_from_wire("disabled"), ProxyUserStatus::Disabled);
        assert_eq!(status_from_wire("suspended"), ProxyUserStatus::Disabled);
        assert_eq!(status_to_wire(ProxyUserStatus::Enabled), "active");
        assert_eq!(status_to_wire(ProxyUserStatus::Disabled), "disabled");
    }

    #[test]
    fn times_parse_to_utc_and_format_with_z() {
        assert_eq!(
            parse_time("2026-05-01T02:00:00+02:00"),
            Some(datetime!(2026-05-01 00:00:00 UTC))
        );
        assert_eq!(parse_time("2026-05-01"), None);
        assert_eq!(
            format_time(datetime!(2026-05-01 02:00:00 +02:00)),
            "2026-05-01T00:00:00Z"
        );
        assert_eq!(parse_day("2026-05-01"), Some(date!(2026 - 05 - 01)));
        assert_eq!(
            parse_day("2026-04-30T23:00:00-02:00"),
            Some(date!(2026 - 05 - 01))
        );
        assert_eq!(parse_day("May 1st"), None);
    }

    #[test]
    fn gigabytes_are_binary() {
        assert_eq!(gb_to_bytes(1), 1_073_741_824);
        assert_eq!(gb_to_bytes(500), 536_870_912_000);
        assert_eq!(gb_to_bytes(u64::MAX), u64::MAX);
    }

    #[test]
    fn subuser_ids_must_be_sub_prefixed_and_path_safe() {
        assert!(is_subuser_id("sub_01HX2K3PQ4M5"));
        assert!(is_subuser_id("sub_01JWMKF78094CT0T695R5G6203"));
        assert!(!is_subuser_id("sub_"));
        assert!(!is_subuser_id("usr_01HX"));
        assert!(!is_subuser_id("sub_1/../users/me"));
        assert!(!is_subuser_id("sub_1?x=1"));
        assert!(!is_subuser_id("s1a2b3c4d5e"));
    }

    #[test]
    fn a_subuser_maps_to_exact_values_and_never_keeps_a_password() {
        let raw = json!({
            "id": "sub_01HX2K3PQ4M5", "name": "s1a2b3c4d5e", "label": "acme-prod",
            "products": ["residential", "mobile", "satellite"], "status": "active",
            "concurrent_max": 600, "rps_max": 1000, "created_at": "2026-05-01T00:00:00Z",
            "password": "Mz4yQv8R"
        });
        let sub: wire::SubUser = serde_json::from_value(raw.clone()).expect("sub-user");
        let user = proxy_user("helo-main", &sub, &raw);
        assert_eq!(user.id.to_string(), "helo-main:sub_01HX2K3PQ4M5");
        assert_eq!(
            user.provider,
            crate::providers::helodata::registration::KIND
        );
        assert_eq!(user.username, "s1a2b3c4d5e");
        assert_eq!(user.label.as_deref(), Some("acme-prod"));
        assert_eq!(
            user.products,
            vec![Product::Residential, Product::Mobile, Product::Other]
        );
        assert_eq!(user.status, ProxyUserStatus::Enabled);
        assert_eq!(user.traffic_limit_bytes, None);
        assert_eq!(user.traffic_used_bytes, None);
        assert_eq!(user.concurrency_max, Some(600));
        assert_eq!(user.rps_max, Some(1000));
        assert_eq!(user.created_at, Some(datetime!(2026-05-01 00:00:00 UTC)));
        assert!(user.password.is_none());
        assert_eq!(user.provider_data.get("password"), None);
        assert_eq!(user.provider_data["label"], "acme-prod");
        assert_eq!(user.provider_data["products"][2], "satellite");
    }

    #[test]
    fn traffic_rows_sum_in_and_out_into_bytes() {
        let row: wire::TrafficRow = serde_json::from_value(json!({
            "subuser": "sub_01HX", "bytes_in": 12_345_678, "bytes_out": 9_876_543,
            "requests": 4210, "errors": 51, "error_rate": 0.012
        }))
        .expect("row");
        let mapped = usage_row("helo-main", &row);
        assert_eq!(mapped.account, "helo-main");
        assert_eq!(mapped.bytes, 22_222_221);
        assert_eq!(mapped.bytes_in, Some(12_345_678));
        assert_eq!(mapped.bytes_out, Some(9_876_543));
        assert_eq!(mapped.requests, Some(4210));
        assert_eq!(mapped.errors, Some(51));
        assert_eq!(
            (mapped.day, mapped.proxy_user, mapped.product),
            (None, None, None)
        );
        let huge = wire::TrafficRow {
            bytes_in: u64::MAX,
            bytes_out: 1,
            ..Default::default()
        };
        assert_eq!(usage_row("a", &huge).bytes, u64::MAX);
    }

    #[test]
    fn user_rows_merge_ids_and_resolved_names_into_one_row_each() {
        let row = |bytes_in: u64| {
            usage_row(
                "a",
                &wire::TrafficRow {
                    bytes_in,
                    bytes_out: 1,
                    requests: Some(2),
                    errors: Some(0),
                    ..Default::default()
                },
            )
        };
        let names = HashMap::from([("s1a2b3c4d5e".to_string(), "sub_1".to_string())]);
        let rows = rows_by_user(
            "a",
            vec![
                (Some("sub_1".into()), row(10)),
                (None, row(5)),
                (Some("s1a2b3c4d5e".into()), row(20)),
                (Some("sgone000000".into()), row(1)),
                (Some("sub_0".into()), row(3)),
            ],
            &names,
        );
        let keys: Vec<Option<String>> = rows
            .iter()
            .map(|r| r.proxy_user.as_ref().map(ToString::to_string))
            .collect();
        assert_eq!(
            keys,
            [
                Some("a:sgone000000".to_string()),
                Some("a:sub_0".to_string()),
                Some("a:sub_1".to_string()),
                None
            ]
        );
        assert_eq!(rows[2].bytes, 32);
        assert_eq!(rows[2].bytes_in, Some(30));
        assert_eq!(rows[2].bytes_out, Some(2));
        assert_eq!(rows[2].requests, Some(4));
        assert_eq!(rows[3].bytes, 6);
        assert!(rows.iter().all(|r| r.account == "a" && r.day.is_none()));
    }

    #[test]
    fn package_statuses_follow_the_end_of_the_period() {
        let now = datetime!(2026-05-10 00:00:00 UTC);
        let later = Some(datetime!(2026-05-20 00:00:00 UTC));
        let earlier = Some(datetime!(2026-05-01 00:00:00 UTC));
        assert_eq!(
            subscription_status("active", None, now),
            PackageStatus::Active
        );
        assert_eq!(
            subscription_status("paused", later, now),
            PackageStatus::Ending
        );
        assert_eq!(
            subscription_status("canceled", later, now),
            PackageStatus::Ending
        );
        assert_eq!(
            subscription_status("canceled", earlier, now),
            PackageStatus::Expired
        );
        assert_eq!(
            subscription_status("trialing", None, now),
            PackageStatus::Other
        );
        assert_eq!(batch_status(Some("provisioning")), PackageStatus::Pending);
        assert_eq!(batch_status(Some("active")), PackageStatus::Active);
        assert_eq!(batch_status(Some("grace-period")), PackageStatus::Ending);
        assert_eq!(batch_status(Some("expired")), PackageStatus::Expired);
        assert_eq!(batch_status(Some("frozen")), PackageStatus::Other);
        assert_eq!(batch_status(None), PackageStatus::Other);
    }

    #[test]
    fn subscriptions_and_batches_become_exact_packages() {
        let now = datetime!(2026-05-10 00:00:00 UTC);
        let raw = json!({
            "id": "sbn_01HX", "product": "residential", "plan": "pro", "cycle": "monthly",
            "gb_included": 500, "price_usd": 1500.0, "status": "active",
            "renews_at": "2026-06-01T00:00:00Z", "ends_at": null,
            "created_at": "2026-01-01T09:00:00Z"
        });
        let sub: wire::Subscription = serde_json::from_value(raw.clone()).expect("sbn");
        let p = subscription_package("helo-main", &sub, &raw, now);
        assert_eq!(p.id, "helo-main:sbn_01HX");
        assert_eq!(p.kind, PackageKind::Subscription);
        assert_eq!(p.product, Product::Residential);
        assert_eq!(p.name.as_deref(), Some("pro"));
        assert_eq!(p.status, PackageStatus::Active);
        assert_eq!(p.traffic_included_bytes, Some(536_870_912_000));
        assert_eq!(p.ip_count, None);
        assert_eq!(p.created_at, Some(datetime!(2026-01-01 09:00:00 UTC)));
        assert_eq!(p.expires_at, Some(datetime!(2026-06-01 00:00:00 UTC)));
        assert_eq!(p.provider_data, raw);

        let canceled = json!({
            "id": "sbn_02", "product": "mobile", "plan": "starter", "status": "canceled",
            "renews_at": null, "ends_at": "2026-05-15T00:00:00Z", "gb_included": 25
        });
        let sub: wire::Subscription = serde_json::from_value(canceled.clone()).expect("sbn");
        let p = subscription_package("a", &sub, &canceled, now);
        assert_eq!(p.status, PackageStatus::Ending);
        assert_eq!(p.expires_at, Some(datetime!(2026-05-15 00:00:00 UTC)));
        assert_eq!(p.traffic_included_bytes, Some(26_843_545_600));

        let raw = json!({
            "id": "bat_01HX", "subuser": "sub_1", "country": "us", "quantity": 20,
            "status": "provisioning", "created_at": "2026-05-01T00:00:00Z",
            "expires_at": "2026-06-01T00:00:00Z"
        });
        let batch: wire::IspBatch = serde_json::from_value(raw.clone()).expect("batch");
        let p = batch_package("a", &batch, &raw);
        assert_eq!(p.id, "a:bat_01HX");
        assert_eq!(p.kind, PackageKind::IpBatch);
        assert_eq!(p.product, Product::Isp);
        assert_eq!(p.status, PackageStatus::Pending);
        assert_eq!(p.ip_count, Some(20));
        assert_eq!(p.traffic_included_bytes, None);
        assert_eq!(p.expires_at, Some(datetime!(2026-06-01 00:00:00 UTC)));
    }

    #[test]
    fn error_fields_map_to_gateway_wire_names() {
        assert_eq!(field_to_gateway("label"), Some("label"));
        assert_eq!(field_to_gateway("concurrent_max"), Some("concurrency_max"));
        assert_eq!(field_to_gateway("rps_max"), Some("rps_max"));
        assert_eq!(field_to_gateway("products"), Some("products"));
        assert_eq!(field_to_gateway("name"), Some("username"));
        assert_eq!(field_to_gateway("cursor"), None);
        assert_eq!(field_to_gateway("Idempotency-Key"), None);
    }

    #[test]
    fn labels_follow_the_simulators_rule() {
        assert_eq!(check_label("acme-prod 2.0_x"), Ok(()));
        assert!(check_label("").is_err());
        assert!(check_label(&"a".repeat(65)).is_err());
        assert_eq!(check_label(&"a".repeat(64)), Ok(()));
        assert!(check_label("naïve").is_err());
        assert!(check_label("a/b").is_err());
    }

    #[test]
    fn the_write_key_is_cut_to_64_characters_and_a_short_key_kept() {
        let derived = crate::domain::idempotency::derive_write_key("key_A", "order-1");
        let fitted = fit_write_key(&derived);
        assert_eq!(fitted.len(), 64);
        assert_eq!(fitted, derived[..64]);
        assert_eq!(fit_write_key("order-1"), "order-1");
    }

    #[test]
    fn idempotency_keys_get_an_index_in_batches_and_fit_64_characters() {
        assert_eq!(item_idempotency_key("k1", 0, false), "k1");
        assert_eq!(item_idempotency_key("k1", 2, true), "k1-2");
        let long = "x".repeat(64);
        assert_eq!(item_idempotency_key(&long, 0, false), long);
        let fitted = item_idempotency_key(&long, 3, true);
        assert_eq!(fitted.len(), 64);
        assert_eq!(fitted, hex::encode(Sha256::digest(format!("{long}-3"))));
        assert_ne!(fitted, item_idempotency_key(&long, 4, true));
    }

    #[test]
    fn the_link_header_yields_the_next_cursor() {
        assert_eq!(
            next_cursor_from_link("<http://h/v1/subusers?limit=5&cursor=azpzdWJfMQ>; rel=\"next\""),
            Some("azpzdWJfMQ".to_string())
        );
        assert_eq!(
            next_cursor_from_link(
                "</v1/subusers?cursor=a>; rel=\"prev\", </v1/subusers?cursor=b%3D>; rel=\"next\""
            ),
            Some("b=".to_string())
        );
        assert_eq!(
            next_cursor_from_link("</v1/subusers?cursor=a>; rel=\"prev\""),
            None
        );
        assert_eq!(next_cursor_from_link("garbage"), None);
    }

    #[test]
    fn cursors_resume_after_the_last_id_or_after_skip() {
        let c = ListCursor {
            upstream: Some("up".into()),
            skip: 2,
            last_id: Some("sub_b".into()),
        };
        assert_eq!(c.resume_index(&["sub_a", "sub_b", "sub_c"]), 2);
        // sub_a was deleted: the last id is found one place earlier.
        assert_eq!(c.resume_index(&["sub_b", "sub_c"]), 1);
        // sub_b itself was deleted: fall back to the count.
        assert_eq!(c.resume_index(&["sub_a", "sub_c", "sub_d"]), 2);
        assert_eq!(c.resume_index(&["sub_a"]), 1);
        assert_eq!(ListCursor::default().resume_index(&["x"]), 0);
        assert!(ListCursor::decode("not a cursor!").is_err());
        assert!(ListCursor::decode(&URL_SAFE_NO_PAD.encode("[1]")).is_err());
    }

    proptest! {
        #[test]
        fn cursors_round_trip(
            upstream in proptest::option::of(".{0,80}"),
            skip in 0u32..1000,
            last_id in proptest::option::of("[a-zA-Z0-9_]{1,40}"),
        ) {
            let c = ListCursor { upstream, skip, last_id };
            let text = c.encode();
            prop_assert!(text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
            prop_assert_eq!(ListCursor::decode(&text), Ok(c));
        }

        #[test]
        fn fitted_keys_are_never_longer_than_64(key in ".{0,200}", index in 0usize..1000) {
            prop_assert!(item_idempotency_key(&key, index, true).len() <= MAX_IDEMPOTENCY_KEY);
        }
    }
}
