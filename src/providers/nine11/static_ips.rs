//! Purchased static IPs (`ip/get-static-ip`, `page`/`size`) and stock per country
//! (`static-ip-region?isp=1|0`). `get-static-ip`'s example is `{}`, so rows are read field by
//! field as the simulator answers them (`id, ip, port, username, password, country_code,
//! state, city, product_type, trade_no, status 1-4, created_at, expired_at`) [INF]; the
//! password is kept out of `provider_data` and shown only to keys allowed to see it.

use std::sync::Arc;

use jiff::tz::TimeZone;
use serde_json::Value;

use super::client::Nine11Client;
use super::map;
use super::wire;
use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::static_ips::{Availability, StaticIp, StaticIpFilter, StaticIpStatus};
use crate::providers::{ItemPage, ProviderError};

/// The static product types (document: 25 static residential, 14 datacenter).
const STATIC_TYPES: [(i64, Product); 2] = [(25, Product::Isp), (14, Product::Datacenter)];

/// 911's static IP status: 1 valid, 2 invalid, 3 expiring soon, 4 under maintenance.
pub fn status_of(code: Option<i64>) -> StaticIpStatus {
    match code {
        Some(1) => StaticIpStatus::Active,
        Some(2) => StaticIpStatus::Expired,
        Some(3) => StaticIpStatus::Expiring,
        Some(4) => StaticIpStatus::Maintenance,
        _ => StaticIpStatus::Other,
    }
}

/// One listed static IP.
pub fn static_ip(account: &str, tz: &TimeZone, raw: &Value) -> StaticIp {
    let time = |k: &str| {
        raw.get(k)
            .and_then(Value::as_str)
            .and_then(|t| map::parse_any_time(t, tz))
    };
    StaticIp {
        id: ProxyUserId::new(account, map::text(raw, "id").unwrap_or_default()),
        product: raw
            .get("product_type")
            .and_then(Value::as_i64)
            .map_or(Product::Other, map::product_of_type),
        ip: map::text(raw, "ip").unwrap_or_default(),
        port: raw
            .get("port")
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok()),
        username: map::text(raw, "username"),
        password: map::text(raw, "password").map(Into::into),
        country: map::text(raw, "country_code").map(|c| c.to_ascii_uppercase()),
        state: map::text(raw, "state"),
        city: map::text(raw, "city"),
        asn: None,
        ip_batch: None,
        order: map::text(raw, "trade_no").map(|t| format!("{account}:{t}")),
        status: status_of(raw.get("status").and_then(Value::as_i64)),
        created_at: time("created_at"),
        expires_at: time("expired_at"),
        provider_data: Arc::new(map::without_password(raw)),
    }
}

/// A page: the cursor is 911's next page number.
pub async fn list(
    client: &Nine11Client,
    account: &str,
    tz: &TimeZone,
    filter: &StaticIpFilter,
    cursor: Option<&str>,
    limit: u32,
) -> Result<ItemPage<StaticIp>, ProviderError> {
    if filter.ip_batch.is_some() {
        return Err(ProviderError::invalid(
            "ip_batch",
            "911Proxy has no IP batches; filter by product or country",
        ));
    }
    let product_type = match filter.product {
        None => None,
        Some(p) => match STATIC_TYPES.iter().find(|(_, q)| *q == p) {
            Some((t, _)) => Some(*t),
            None => {
                return Ok(ItemPage {
                    items: Vec::new(),
                    next_cursor: None,
                });
            }
        },
    };
    let page: u64 = match cursor {
        None => 1,
        Some(c) => c.parse().ok().filter(|p| *p >= 1).ok_or_else(|| {
            ProviderError::invalid("cursor", "cursor is not a cursor returned by this API")
        })?,
    };
    let mut query = vec![
        ("page", page.to_string()),
        ("size", limit.clamp(1, 100).to_string()),
    ];
    if let Some(t) = product_type {
        query.push(("product_type", t.to_string()));
    }
    if let Some(c) = &filter.country {
        query.push(("country_code", c.to_ascii_uppercase()));
    }
    let data = client.get(wire::STATIC_IPS, &query).await?;
    let items: Vec<StaticIp> = data
        .get("list")
        .and_then(Value::as_array)
        .map(|rows| rows.iter().map(|r| static_ip(account, tz, r)).collect())
        .unwrap_or_default();
    let total_pages = data
        .get("total_page")
        .and_then(Value::as_u64)
        .unwrap_or(page);
    Ok(ItemPage {
        next_cursor: (page < total_pages && !items.is_empty()).then(|| (page + 1).to_string()),
        items,
    })
}

/// Stock per country for the static products the filter covers.
pub async fn availability(
    client: &Nine11Client,
    product: Option<Product>,
) -> Result<Vec<Availability>, ProviderError> {
    let mut out = Vec::new();
    for (isp, p) in [("1", Product::Isp), ("0", Product::Datacenter)] {
        if product.is_some_and(|want| want != p) {
            continue;
        }
        let data = client
            .get(wire::STATIC_REGIONS, &[("isp", isp.to_string())])
            .await?;
        for row in data
            .get("list")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            out.push(Availability {
                country: map::text(row, "code")
                    .unwrap_or_default()
                    .to_ascii_uppercase(),
                product: p,
                available: row.get("number").and_then(Value::as_u64).unwrap_or(0),
                monthly_price: None,
                currency: None,
                cities: Vec::new(),
                provider_data: Arc::new(row.clone()),
            });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use secrecy::ExposeSecret;
    use serde_json::json;

    use super::*;

    #[test]
    fn a_row_maps_with_its_status_product_and_password_kept_apart() {
        let raw = json!({"id": 7, "ip": "192.0.2.7", "port": 8000, "username": "u", "password": "p",
                         "country_code": "us", "state": "california", "city": "losangeles",
                         "product_type": 25, "trade_no": "T1", "status": 3,
                         "created_at": "2026-05-01 08:00:00", "expired_at": "2026-06-01 08:00:00"});
        let ip = static_ip("911proxy", &TimeZone::fixed(jiff::tz::offset(8)), &raw);
        assert_eq!(ip.id.to_string(), "911proxy:7");
        assert_eq!(ip.product, Product::Isp);
        assert_eq!(ip.status, StaticIpStatus::Expiring);
        assert_eq!(ip.country.as_deref(), Some("US"));
        assert_eq!(ip.password.unwrap().expose_secret(), "p");
        assert!(ip.provider_data.get("password").is_none());
        assert_eq!(ip.created_at.unwrap().unix_timestamp(), 1_777_593_600);
        assert_eq!(status_of(Some(9)), StaticIpStatus::Other);
    }
}
