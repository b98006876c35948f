//! 911Proxy ⇄ normalized, as pure functions: product types, statuses, KB and GB to bytes,
//! naive local times to UTC, field names, and whole objects (proxy users, packages, the
//! summary, the account). No I/O here; everything is unit-tested below.

use jiff::tz::TimeZone;
use secrecy::SecretString;
use serde_json::Value;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;
use time::{Date, OffsetDateTime};

use super::wire::{AccountRow, PackageRow, Summary, UserInfo};
use crate::domain::account::{AccountInfo, Money};
use crate::domain::money::Decimal;
use crate::domain::packages::{Package, PackageKind, PackageStatus, PackageSummary};
use crate::domain::products::Product;
use crate::domain::proxy_users::{ProxyUser, ProxyUserId, ProxyUserStatus};

/// Bytes in a KB (911 reports traffic in KB; 1 KB = 1024 bytes).
pub const KB: u64 = 1024;
/// Bytes in a GB (911 limits are whole GB; 1 GB = 1024³ bytes).
pub const GB: u64 = 1024 * 1024 * 1024;
/// The largest limit 911 takes, in GB ("maximum 102400, 0 for unlimited", whitelist-account/list).
pub const MAX_LIMIT_GB: u64 = 102_400;

/// The account product types of 911, in the order the adapter walks them (productTypes).
pub const ACCOUNT_PRODUCT_TYPES: [i64; 4] = [9, 11, 25, 14];

/// The normalized product of a 911 product type; an unknown type is `Other` (its value stays
/// in `provider_data`).
pub fn product_of_type(product_type: i64) -> Product {
    match product_type {
        9 => Product::Residential,
        11 => Product::ResidentialIp,
        25 => Product::Isp,
        14 => Product::Datacenter,
        _ => Product::Other,
    }
}

/// The 911 product type of a normalized product, when 911 sells it for proxy accounts.
pub fn type_of_product(product: Product) -> Option<i64> {
    match product {
        Product::Residential => Some(9),
        Product::ResidentialIp => Some(11),
        Product::Isp => Some(25),
        Product::Datacenter => Some(14),
        Product::Mobile | Product::Other => None,
    }
}

/// 1 enabled, 0 disabled ("Enable Status: 1 Enabled, 0 Disabled"). Any other value counts as
/// disabled: the document names only 1 as enabled, so nothing else is promised to work.
pub fn status_of(status: i64) -> ProxyUserStatus {
    if status == 1 {
        ProxyUserStatus::Enabled
    } else {
        ProxyUserStatus::Disabled
    }
}

/// KB → bytes (saturating: a corrupt figure must not wrap).
pub fn kb_to_bytes(kb: u64) -> u64 {
    kb.saturating_mul(KB)
}

/// A `limit_flow` in GB → a limit in bytes; 0 means unlimited, so `None`.
pub fn limit_gb_to_bytes(gb: u64) -> Option<u64> {
    (gb != 0).then(|| gb.saturating_mul(GB))
}

/// A limit in bytes → the GB 911 takes: `None` (unlimited) is 0; otherwise a whole number of GB
/// from 1 to 102400. The error says what is wrong, for the caller.
pub fn limit_bytes_to_gb(limit: Option<u64>) -> Result<u64, String> {
    let Some(bytes) = limit else {
        return Ok(0);
    };
    if bytes == 0 {
        return Err(
            "a limit of 0 bytes would block all traffic; 911Proxy takes whole GB from 1 GB \
             (1073741824 bytes) to 102400 GB, or null for unlimited"
                .to_string(),
        );
    }
    if bytes % GB != 0 {
        return Err(format!(
            "911Proxy takes limits in whole GB (multiples of 1073741824 bytes); {bytes} is not"
        ));
    }
    let gb = bytes / GB;
    if gb > MAX_LIMIT_GB {
        return Err(format!(
            "911Proxy takes at most {MAX_LIMIT_GB} GB ({} bytes)",
            MAX_LIMIT_GB * GB
        ));
    }
    Ok(gb)
}

/// A naive `Y-m-d H:i:s` time in `tz` → UTC. In a DST gap or fold the earlier reading wins
/// (jiff's "compatible" disambiguation).
pub fn parse_local_time(text: &str, tz: &TimeZone) -> Option<OffsetDateTime> {
    let civil = jiff::civil::DateTime::strptime("%Y-%m-%d %H:%M:%S", text.trim()).ok()?;
    let ts = tz.to_timestamp(civil).ok()?;
    OffsetDateTime::from_unix_timestamp_nanos(ts.as_nanosecond()).ok()
}

/// A time as 911 reads it: `Y-m-d H:i:s` in `tz`, whole seconds (any fraction is dropped).
pub fn format_local_time(t: OffsetDateTime, tz: &TimeZone) -> String {
    let seconds = t.unix_timestamp();
    let ts = jiff::Timestamp::from_second(seconds).unwrap_or(if seconds < 0 {
        jiff::Timestamp::MIN
    } else {
        jiff::Timestamp::MAX
    });
    tz.to_datetime(ts).strftime("%Y-%m-%d %H:%M:%S").to_string()
}

/// Either form 911 writes times in: ISO 8601 / RFC 3339 (`2019-08-24T14:15:22Z`, order/list and
/// user/info examples) or naive `Y-m-d H:i:s` in `tz` (every other example); notes "Time".
pub fn parse_any_time(text: &str, tz: &TimeZone) -> Option<OffsetDateTime> {
    OffsetDateTime::parse(text.trim(), &Rfc3339)
        .ok()
        .or_else(|| parse_local_time(text, tz))
}

/// A `Y-m-d` day of `user-usage-flow/total`.
pub fn parse_day(text: &str) -> Option<Date> {
    Date::parse(text.trim(), format_description!("[year]-[month]-[day]")).ok()
}

/// One account row as listed, with its raw object kept for `provider_data`.
#[derive(Clone, Debug)]
pub struct Row {
    /// The typed reading.
    pub parsed: AccountRow,
    /// The object as 911 sent it (password included; stripped before it leaves the adapter).
    pub raw: Value,
}

/// The object without its `password` member.
pub fn without_password(raw: &Value) -> Value {
    let mut raw = raw.clone();
    if let Some(obj) = raw.as_object_mut() {
        obj.remove("password");
    }
    raw
}

/// The proxy user of one username. 911 allows one username under several product types
/// (user-usage-flow/total: "if you add sub-accounts with the same name"), and its by-name
/// endpoints act on all of them, so the adapter shows ONE user per username: the oldest row
/// (lowest id) gives label, status, limit and password; `products` is the union;
/// `traffic_used_bytes` the sum (as 911's usage by username sums them); `created_at` the
/// earliest; `provider_data` the row's object, or an array of every row's object (oldest
/// first) when there are several, passwords removed. `rows` must not be empty.
pub fn proxy_user(account: &str, tz: &TimeZone, rows: &[Row]) -> Option<ProxyUser> {
    let mut rows: Vec<&Row> = rows.iter().collect();
    rows.sort_by_key(|r| r.parsed.id.unwrap_or(i64::MAX));
    let primary = &rows.first()?.parsed;
    let mut products = Vec::new();
    for row in &rows {
        let product = row
            .parsed
            .product_type
            .map_or(Product::Other, product_of_type);
        if !products.contains(&product) {
            products.push(product);
        }
    }
    let used = rows
        .iter()
        .filter_map(|r| r.parsed.usage_flow)
        .map(kb_to_bytes)
        .reduce(u64::saturating_add);
    let created_at = rows
        .iter()
        .filter_map(|r| r.parsed.created_at.as_deref())
        .filter_map(|t| parse_local_time(t, tz))
        .min();
    let provider_data = match rows.as_slice() {
        [only] => without_password(&only.raw),
        several => Value::Array(several.iter().map(|r| without_password(&r.raw)).collect()),
    };
    Some(ProxyUser {
        id: ProxyUserId::new(account, primary.username.clone()),
        provider: crate::providers::nine11::registration::KIND,
        username: primary.username.clone(),
        label: primary.remark.clone().filter(|r| !r.is_empty()),
        products,
        status: status_of(primary.status.unwrap_or(0)),
        traffic_limit_bytes: primary.limit_flow.and_then(limit_gb_to_bytes),
        traffic_used_bytes: used,
        concurrency_max: None,
        rps_max: None,
        created_at,
        password: primary
            .password
            .clone()
            .filter(|p| !p.is_empty())
            .map(SecretString::from),
        provider_data: provider_data.into(),
    })
}

/// A package of `user-product/list`: expired once `expired_at` is past `now`, active before,
/// `Other` when 911 gives no readable expiry.
pub fn package(
    account: &str,
    tz: &TimeZone,
    now: OffsetDateTime,
    raw: &Value,
) -> Result<Package, String> {
    let row: PackageRow = serde_json::from_value(raw.clone())
        .map_err(|e| format!("a user-product/list item is not as documented: {e}"))?;
    let expires_at = row
        .expired_at
        .as_deref()
        .and_then(|t| parse_any_time(t, tz));
    let status = match expires_at {
        Some(end) if end <= now => PackageStatus::Expired,
        Some(_) => PackageStatus::Active,
        None => PackageStatus::Other,
    };
    Ok(Package {
        id: format!("{account}:{}", row.id),
        account: account.to_string(),
        kind: PackageKind::Package,
        product: row.product_type.map_or(Product::Other, product_of_type),
        name: row
            .order
            .and_then(|o| o.title)
            .filter(|title| !title.is_empty()),
        status,
        traffic_included_bytes: None,
        ip_count: None,
        created_at: row
            .created_at
            .as_deref()
            .and_then(|t| parse_any_time(t, tz)),
        expires_at,
        provider_data: raw.clone(),
    })
}

/// `user-product/summary` in bytes.
pub fn package_summary(summary: &Summary, raw: Value) -> PackageSummary {
    PackageSummary {
        total_bytes: summary.total.map(kb_to_bytes),
        total_count: summary.total_count,
        remaining_bytes: summary.effective.map(kb_to_bytes),
        active_count: summary.effective_count,
        used_bytes: summary.used.map(kb_to_bytes),
        expiring_soon_bytes: summary.temporary.map(kb_to_bytes),
        expiring_soon_count: summary.temporary_count,
        expired_bytes: summary.expired.map(kb_to_bytes),
        expired_count: summary.expired_count,
        provider_data: raw,
    }
}

/// A money field of 911's: it states no currency for prices, limits or bonus tiers, which are
/// in US dollars as the balance is ([`BALANCE_CURRENCY`]).
pub fn usd(raw: &Value, key: &str) -> Option<crate::domain::money::Money> {
    crate::domain::money::Decimal::from_json(raw.get(key)?).map(|amount| {
        crate::domain::money::Money {
            amount,
            currency: BALANCE_CURRENCY.to_string(),
        }
    })
}

/// A field read as text: a non-empty string, or a number as written (ids and codes come as
/// either on the newer endpoints, whose examples are all the document gives).
pub fn text(raw: &Value, key: &str) -> Option<String> {
    match raw.get(key)? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The currency of `user/info`'s `balance`: undocumented; 911Proxy's site prices in US
/// dollars, so USD (the document's User schema says only `number(float)`).
pub const BALANCE_CURRENCY: &str = "USD";

/// `user/info` as the account's details.
pub fn account_info(user: &UserInfo, tz: &TimeZone, raw: Value) -> AccountInfo {
    AccountInfo {
        identity_id: user.id.map(|id| id.to_string()),
        email: user.email.clone().filter(|e| !e.is_empty()),
        plan: None,
        balance: user
            .balance
            .and_then(Decimal::from_f64)
            .map(|amount| Money {
                amount,
                currency: BALANCE_CURRENCY.to_string(),
            }),
        // `is_real_name` (User schema) kept in 911's own terms: verified or not, nothing finer.
        verification: user.is_real_name.map(|verified| {
            if verified {
                "real_name_verified".to_string()
            } else {
                "real_name_unverified".to_string()
            }
        }),
        created_at: user
            .created_at
            .as_deref()
            .and_then(|t| parse_any_time(t, tz)),
        provider_data: raw,
        missing: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use secrecy::ExposeSecret;
    use serde_json::json;
    use time::macros::{date, datetime};

    use super::*;

    fn utc8() -> TimeZone {
        TimeZone::fixed(jiff::tz::offset(8))
    }

    fn row(raw: Value) -> Row {
        Row {
            parsed: serde_json::from_value(raw.clone()).unwrap(),
            raw,
        }
    }

    #[test]
    fn usage_flow_3_kb_is_3072_bytes() {
        assert_eq!(kb_to_bytes(3), 3072);
        assert_eq!(kb_to_bytes(0), 0);
        assert_eq!(kb_to_bytes(u64::MAX), u64::MAX);
    }

    #[test]
    fn limit_flow_5_gb_is_5368709120_bytes_and_0_is_unlimited() {
        assert_eq!(limit_gb_to_bytes(5), Some(5_368_709_120));
        assert_eq!(limit_gb_to_bytes(102_400), Some(109_951_162_777_600));
        assert_eq!(limit_gb_to_bytes(0), None);
    }

    #[test]
    fn limits_in_bytes_become_whole_gb_or_are_refused() {
        assert_eq!(limit_bytes_to_gb(None), Ok(0));
        assert_eq!(limit_bytes_to_gb(Some(5_368_709_120)), Ok(5));
        assert_eq!(limit_bytes_to_gb(Some(GB)), Ok(1));
        assert_eq!(limit_bytes_to_gb(Some(102_400 * GB)), Ok(102_400));
        assert!(limit_bytes_to_gb(Some(0)).unwrap_err().contains("0 bytes"));
        assert!(
            limit_bytes_to_gb(Some(GB + 1))
                .unwrap_err()
                .contains("whole GB")
        );
        assert!(limit_bytes_to_gb(Some(GB / 2)).is_err());
        assert!(
            limit_bytes_to_gb(Some(102_401 * GB))
                .unwrap_err()
                .contains("102400")
        );
    }

    #[test]
    fn a_naive_time_at_utc_plus_8_converts_to_utc() {
        assert_eq!(
            parse_local_time("2026-05-01 08:00:00", &utc8()),
            Some(datetime!(2026-05-01 00:00:00 UTC))
        );
        assert_eq!(
            parse_local_time("2026-05-01 08:00:00", &TimeZone::UTC),
            Some(datetime!(2026-05-01 08:00:00 UTC))
        );
        assert_eq!(parse_local_time("2026-05-01", &utc8()), None);
        assert_eq!(parse_local_time("2026-13-01 08:00:00", &utc8()), None);
    }

    #[test]
    fn named_zones_follow_their_rules() {
        let ny = TimeZone::get("America/New_York").unwrap();
        assert_eq!(
            parse_local_time("2026-07-01 08:00:00", &ny),
            Some(datetime!(2026-07-01 12:00:00 UTC))
        );
        assert_eq!(
            parse_local_time("2026-01-01 08:00:00", &ny),
            Some(datetime!(2026-01-01 13:00:00 UTC))
        );
    }

    #[test]
    fn utc_times_format_as_local_whole_seconds() {
        assert_eq!(
            format_local_time(datetime!(2026-05-01 00:00:00.75 UTC), &utc8()),
            "2026-05-01 08:00:00"
        );
    }

    #[test]
    fn iso_and_naive_times_are_both_accepted() {
        assert_eq!(
            parse_any_time("2019-08-24T14:15:22Z", &utc8()),
            Some(datetime!(2019-08-24 14:15:22 UTC))
        );
        assert_eq!(
            parse_any_time("2019-08-24 22:15:22", &utc8()),
            Some(datetime!(2019-08-24 14:15:22 UTC))
        );
        assert_eq!(parse_any_time("string", &utc8()), None);
    }

    #[test]
    fn days_parse_as_calendar_dates() {
        assert_eq!(parse_day("2022-08-01"), Some(date!(2022 - 08 - 01)));
        assert_eq!(parse_day("2022-8-1x"), None);
    }

    #[test]
    fn product_types_map_both_ways_and_unknown_is_other() {
        assert_eq!(product_of_type(9), Product::Residential);
        assert_eq!(product_of_type(11), Product::ResidentialIp);
        assert_eq!(product_of_type(25), Product::Isp);
        assert_eq!(product_of_type(14), Product::Datacenter);
        assert_eq!(product_of_type(12), Product::Other);
        assert_eq!(product_of_type(-1), Product::Other);
        for t in ACCOUNT_PRODUCT_TYPES {
            assert_eq!(type_of_product(product_of_type(t)), Some(t));
        }
        assert_eq!(type_of_product(Product::Mobile), None);
        assert_eq!(type_of_product(Product::Other), None);
    }

    #[test]
    fn status_1_is_enabled_and_anything_else_disabled() {
        assert_eq!(status_of(1), ProxyUserStatus::Enabled);
        assert_eq!(status_of(0), ProxyUserStatus::Disabled);
        assert_eq!(status_of(2), ProxyUserStatus::Disabled);
    }

    #[test]
    fn a_listed_row_becomes_a_normalized_proxy_user_without_its_password_in_provider_data() {
        let raw = json!({"id": 7, "username": "alpha01", "password": "Secret123",
            "created_at": "2026-05-01 08:00:00", "remark": "", "product_type": 9,
            "usage_flow": 3, "limit_flow": 5, "status": 1});
        let user = proxy_user("nine", &utc8(), &[row(raw)]).unwrap();
        assert_eq!(user.id.to_string(), "nine:alpha01");
        assert_eq!(user.provider, crate::providers::nine11::registration::KIND);
        assert_eq!(user.username, "alpha01");
        assert_eq!(user.label, None);
        assert_eq!(user.products, vec![Product::Residential]);
        assert_eq!(user.status, ProxyUserStatus::Enabled);
        assert_eq!(user.traffic_limit_bytes, Some(5_368_709_120));
        assert_eq!(user.traffic_used_bytes, Some(3072));
        assert_eq!(user.concurrency_max, None);
        assert_eq!(user.rps_max, None);
        assert_eq!(user.created_at, Some(datetime!(2026-05-01 00:00:00 UTC)));
        assert_eq!(user.password.unwrap().expose_secret(), "Secret123");
        assert_eq!(
            *user.provider_data,
            json!({"id": 7, "username": "alpha01", "created_at": "2026-05-01 08:00:00",
                "remark": "", "product_type": 9, "usage_flow": 3, "limit_flow": 5, "status": 1})
        );
    }

    #[test]
    fn an_unknown_product_type_is_other_and_kept_raw() {
        let raw = json!({"id": 1, "username": "u1", "product_type": 99, "status": 0,
            "limit_flow": 0, "remark": "ads"});
        let user = proxy_user("nine", &utc8(), &[row(raw)]).unwrap();
        assert_eq!(user.products, vec![Product::Other]);
        assert_eq!(user.provider_data["product_type"], 99);
        assert_eq!(user.status, ProxyUserStatus::Disabled);
        assert_eq!(user.traffic_limit_bytes, None);
        assert_eq!(user.label.as_deref(), Some("ads"));
        assert!(user.password.is_none());
    }

    #[test]
    fn one_username_under_several_product_types_is_one_user_with_every_row() {
        let newer = json!({"id": 20, "username": "dup", "password": "p2p2p2",
            "created_at": "2026-05-02 08:00:00", "remark": "b", "product_type": 25,
            "usage_flow": 2, "limit_flow": 0, "status": 0});
        let older = json!({"id": 10, "username": "dup", "password": "p1p1p1",
            "created_at": "2026-05-01 08:00:00", "remark": "a", "product_type": 9,
            "usage_flow": 1, "limit_flow": 1, "status": 1});
        let user = proxy_user("nine", &utc8(), &[row(newer), row(older)]).unwrap();
        assert_eq!(user.products, vec![Product::Residential, Product::Isp]);
        assert_eq!(user.label.as_deref(), Some("a"));
        assert_eq!(user.status, ProxyUserStatus::Enabled);
        assert_eq!(user.traffic_limit_bytes, Some(GB));
        assert_eq!(user.traffic_used_bytes, Some(3 * 1024));
        assert_eq!(user.created_at, Some(datetime!(2026-05-01 00:00:00 UTC)));
        assert_eq!(user.password.unwrap().expose_secret(), "p1p1p1");
        let rows = user.provider_data.as_array().unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0]["id"], 10);
        assert_eq!(rows[1]["id"], 20);
        assert!(rows.iter().all(|r| r.get("password").is_none()));
    }

    #[test]
    fn packages_expire_when_their_end_is_past() {
        let raw = json!({"id": 501, "created_at": "2022-05-13 12:14:15",
            "expired_at": "2022-06-13 12:14:15", "product_type": 9,
            "trade_no": "2022051312134339861461465434",
            "order": {"created_at": "2022-05-13 12:13:43", "pay_at": "2022-05-13 12:13:43",
                "title": "入门级"}});
        let before = datetime!(2022-06-13 04:14:14 UTC);
        let p = package("nine", &utc8(), before, &raw).unwrap();
        assert_eq!(p.id, "nine:501");
        assert_eq!(p.kind, PackageKind::Package);
        assert_eq!(p.product, Product::Residential);
        assert_eq!(p.name.as_deref(), Some("入门级"));
        assert_eq!(p.status, PackageStatus::Active);
        assert_eq!(p.created_at, Some(datetime!(2022-05-13 04:14:15 UTC)));
        assert_eq!(p.expires_at, Some(datetime!(2022-06-13 04:14:15 UTC)));
        assert_eq!(p.provider_data, raw);
        let after = datetime!(2022-06-13 04:14:15 UTC);
        assert_eq!(
            package("nine", &utc8(), after, &raw).unwrap().status,
            PackageStatus::Expired
        );
        assert!(package("nine", &utc8(), after, &json!({"title": 1})).is_err());
    }

    #[test]
    fn the_summary_is_converted_from_kb_to_bytes() {
        let s = Summary {
            total: Some(1_048_576),
            total_count: Some(5),
            effective: Some(524_288),
            effective_count: Some(3),
            effective_total: Some(786_432),
            effective_used: Some(262_144),
            temporary: Some(102_400),
            temporary_count: Some(1),
            expired: Some(51_200),
            expired_count: Some(1),
            used: Some(473_088),
        };
        let out = package_summary(&s, json!({}));
        assert_eq!(out.total_bytes, Some(1_073_741_824));
        assert_eq!(out.total_count, Some(5));
        assert_eq!(out.remaining_bytes, Some(536_870_912));
        assert_eq!(out.active_count, Some(3));
        assert_eq!(out.used_bytes, Some(484_442_112));
        assert_eq!(out.expiring_soon_bytes, Some(104_857_600));
        assert_eq!(out.expiring_soon_count, Some(1));
        assert_eq!(out.expired_bytes, Some(52_428_800));
        assert_eq!(out.expired_count, Some(1));
    }

    #[test]
    fn user_info_becomes_account_info() {
        let user = UserInfo {
            id: Some(123),
            email: Some("[email protected]".into()),
            phone: Some(String::new()),
            balance: Some(12.5),
            status: Some(1),
            is_real_name: Some(false),
            created_at: Some("2019-08-24T14:15:22Z".into()),
        };
        let info = account_info(&user, &utc8(), json!({"id": 123}));
        assert_eq!(info.identity_id.as_deref(), Some("123"));
        assert_eq!(info.email.as_deref(), Some("[email protected]"));
        assert_eq!(
            info.balance,
            Some(Money {
                amount: Decimal::parse("12.5").unwrap(),
                currency: "USD".into()
            })
        );
        assert_eq!(info.verification.as_deref(), Some("real_name_unverified"));
        assert_eq!(info.created_at, Some(datetime!(2019-08-24 14:15:22 UTC)));
    }

    proptest! {
        #[test]
        fn whole_gb_limits_round_trip(gb in 1u64..=MAX_LIMIT_GB) {
            let bytes = limit_gb_to_bytes(gb);
            prop_assert_eq!(bytes, Some(gb * GB));
            prop_assert_eq!(limit_bytes_to_gb(bytes), Ok(gb));
        }

        #[test]
        fn local_times_round_trip(secs in 0i64..4_102_444_800, hours in -12i8..=14) {
            let tz = TimeZone::fixed(jiff::tz::offset(hours));
            let t = OffsetDateTime::from_unix_timestamp(secs).unwrap();
            prop_assert_eq!(parse_local_time(&format_local_time(t, &tz), &tz), Some(t));
        }
    }
}
