//! ISP IPs (§5.4): listed per batch (`/isp/batches/{id}/ips` [I]), stock per country
//! (`/isp/inventory`), and the batch and IP operations: renew `{months}`, refresh (every IP,
//! once per billing period) and replace one IP `{reason}`. Every IP of a batch shares its
//! batch's user (`helo_<name>`, §7.2); helodata lists no password for it.

use std::sync::Arc;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::client::{parse, require_json};
use super::{HelodataAdapter, map, wire};
use crate::domain::packages::Package;
use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::static_ips::{Availability, StaticIp, StaticIpFilter, StaticIpStatus};
use crate::providers::{FailureKind, ItemPage, ProviderAdapter, ProviderError, UpstreamFailure};

fn text(raw: &Value, key: &str) -> Option<String> {
    raw.get(key).and_then(Value::as_str).map(str::to_string)
}

/// An IP's status, or its batch's when the batch is past its term.
pub fn status_of(ip: Option<&str>, batch: Option<&str>) -> StaticIpStatus {
    match (batch, ip) {
        (Some("expired" | "grace-period"), _) => StaticIpStatus::Expired,
        (_, Some("active")) => StaticIpStatus::Active,
        (_, Some("provisioning")) => StaticIpStatus::Provisioning,
        (_, Some("released")) => StaticIpStatus::Released,
        _ => StaticIpStatus::Other,
    }
}

/// One IP, with what its batch adds (term end, order, status past term).
pub fn static_ip(account: &str, raw: &Value, batch: Option<&Value>) -> StaticIp {
    let batch_field = |k: &str| batch.and_then(|b| b.get(k)).and_then(Value::as_str);
    StaticIp {
        id: ProxyUserId::new(account, text(raw, "id").unwrap_or_default()),
        product: Product::Isp,
        ip: text(raw, "ip").unwrap_or_default(),
        port: raw
            .get("port")
            .and_then(Value::as_u64)
            .and_then(|p| u16::try_from(p).ok()),
        username: text(raw, "user"),
        password: None,
        country: text(raw, "country").map(|c| c.to_ascii_uppercase()),
        state: None,
        city: text(raw, "city"),
        asn: raw.get("asn").and_then(Value::as_u64),
        ip_batch: text(raw, "batch_id").map(|b| format!("{account}:{b}")),
        order: batch_field("order_id").map(|o| format!("{account}:{o}")),
        status: status_of(
            raw.get("status").and_then(Value::as_str),
            batch_field("status"),
        ),
        created_at: map::parse_time_opt(raw.get("created_at").and_then(Value::as_str)),
        expires_at: map::parse_time_opt(batch_field("expires_at")),
        provider_data: Arc::new(map::without_secrets(raw)),
    }
}

/// One inventory country.
pub fn availability(raw: &Value) -> Availability {
    Availability {
        country: text(raw, "country")
            .unwrap_or_default()
            .to_ascii_uppercase(),
        product: Product::Isp,
        available: raw.get("available").and_then(Value::as_u64).unwrap_or(0),
        // A JSON number is printed as written; money never goes through a float here.
        monthly_price: raw.get("price_usd").map(|p| p.to_string()),
        currency: raw.get("price_usd").map(|_| "USD".to_string()),
        cities: raw
            .get("cities")
            .and_then(Value::as_array)
            .map(|cs| {
                cs.iter()
                    .filter_map(|c| {
                        Some((
                            text(c, "city")?,
                            c.get("available").and_then(Value::as_u64)?,
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default(),
        provider_data: Arc::new(raw.clone()),
    }
}

/// Where a listing resumes: the batch's index and helodata's cursor within it.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Position {
    #[serde(rename = "b")]
    batch: usize,
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
}

impl HelodataAdapter {
    fn batch_id_checked(&self, id: &str, field: &'static str) -> Result<(), ProviderError> {
        if map::is_prefixed_id(id, "bat_") {
            Ok(())
        } else {
            Err(ProviderError::NotFound(format!("{}:{id}", self.account()))).map_err(|e| {
                if field == "ip_batch" {
                    ProviderError::invalid(field, "a helodata IP batch id is <account>:bat_…")
                } else {
                    e
                }
            })
        }
    }

    /// A page of IPs over the batches the filter selects.
    pub(super) async fn static_ip_page(
        &self,
        filter: &StaticIpFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ItemPage<StaticIp>, ProviderError> {
        let empty = || ItemPage {
            items: Vec::new(),
            next_cursor: None,
        };
        if filter.product.is_some_and(|p| p != Product::Isp) {
            return Ok(empty());
        }
        let batches: Vec<Value> = match &filter.ip_batch {
            Some(id) => {
                self.batch_id_checked(id, "ip_batch")?;
                let answer = self.client.get(&format!("/isp/batches/{id}"), &[]).await;
                match answer {
                    Ok(a) => vec![require_json(a)?],
                    Err(f) if f.kind == FailureKind::NotFound => return Ok(empty()),
                    Err(f) => return Err(f.into()),
                }
            }
            None => self.all("/isp/batches", &[]).await?,
        };
        let batches: Vec<Value> = batches
            .into_iter()
            .filter(|b| {
                filter
                    .country
                    .as_ref()
                    .is_none_or(|c| text(b, "country").is_some_and(|bc| bc.eq_ignore_ascii_case(c)))
            })
            .collect();
        let mut position: Position = match cursor {
            None => Position::default(),
            Some(t) => serde_json::from_str(t).map_err(|_| {
                ProviderError::invalid("cursor", "cursor is not a cursor returned by this API")
            })?,
        };
        let limit = limit.clamp(1, super::UPSTREAM_MAX_LIMIT);
        let mut items = Vec::new();
        while let Some(batch) = batches.get(position.batch) {
            let id = text(batch, "id").unwrap_or_default();
            if !map::is_prefixed_id(&id, "bat_") {
                position = Position {
                    batch: position.batch + 1,
                    cursor: None,
                };
                continue;
            }
            let wanted = limit - items.len() as u32;
            let (page, next) = self
                .page(
                    &format!("/isp/batches/{id}/ips"),
                    Vec::new(),
                    position.cursor.as_deref(),
                    wanted,
                )
                .await?;
            items.extend(
                page.iter()
                    .map(|raw| static_ip(self.account(), raw, Some(batch))),
            );
            position = match next {
                Some(c) => Position {
                    batch: position.batch,
                    cursor: Some(c),
                },
                None => Position {
                    batch: position.batch + 1,
                    cursor: None,
                },
            };
            if items.len() as u32 >= limit {
                break;
            }
        }
        Ok(ItemPage {
            next_cursor: (position.batch < batches.len())
                .then(|| serde_json::to_string(&position).ok())
                .flatten(),
            items,
        })
    }

    /// Every inventory country (optionally one).
    pub(super) async fn inventory(
        &self,
        country: Option<&str>,
    ) -> Result<Vec<Availability>, ProviderError> {
        let mut query = Vec::new();
        if let Some(c) = country {
            query.push(("country", c.to_ascii_lowercase()));
        }
        let items = self.all("/isp/inventory", &query).await?;
        Ok(items.iter().map(availability).collect())
    }

    /// `POST /isp/batches/{id}/renew` or `/refresh`; the batch as it is after.
    pub(super) async fn batch_action(
        &self,
        batch: &str,
        action: &str,
        body: Option<Value>,
        key: Option<String>,
    ) -> Result<Package, ProviderError> {
        self.batch_id_checked(batch, "id")?;
        let answer = self
            .client
            .write(
                Method::POST,
                &format!("/isp/batches/{batch}/{action}"),
                body,
                key.as_deref(),
            )
            .await
            .map_err(|f| self.not_found_as(f, batch))?;
        let raw = require_json(answer)?;
        let parsed: wire::IspBatch = parse(&raw, "ISP batch")?;
        Ok(map::batch_package(self.account(), &parsed, &raw))
    }

    /// `POST /isp/ips/{id}/replace {reason}`: the replacement IP (provisioning).
    pub(super) async fn replace(
        &self,
        ip: &str,
        reason: &str,
        key: Option<String>,
    ) -> Result<StaticIp, ProviderError> {
        if !map::is_prefixed_id(ip, "ip_") {
            return Err(ProviderError::NotFound(format!("{}:{ip}", self.account())));
        }
        let answer = self
            .client
            .write(
                Method::POST,
                &format!("/isp/ips/{ip}/replace"),
                Some(json!({"reason": reason})),
                key.as_deref(),
            )
            .await
            .map_err(|f| self.not_found_as(f, ip))?;
        let raw = require_json(answer)?;
        Ok(static_ip(self.account(), &raw, None))
    }

    fn not_found_as(&self, failure: UpstreamFailure, id: &str) -> ProviderError {
        if failure.kind == FailureKind::NotFound {
            ProviderError::NotFound(format!("{}:{id}", self.account()))
        } else {
            failure.into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ip_takes_its_batch_term_and_a_lapsed_batch_marks_it_expired() {
        let raw = json!({"id": "ip_1", "batch_id": "bat_1", "ip": "198.51.100.42", "port": 8000,
                         "country": "us", "city": "nyc", "asn": 7922, "status": "active",
                         "user": "helo_s1", "created_at": "2026-05-01T00:00:00Z"});
        let batch = json!({"id": "bat_1", "order_id": "ord_1", "status": "grace-period",
                           "expires_at": "2026-06-01T00:00:00Z"});
        let ip = static_ip("helodata", &raw, Some(&batch));
        assert_eq!(ip.id.to_string(), "helodata:ip_1");
        assert_eq!(ip.ip_batch.as_deref(), Some("helodata:bat_1"));
        assert_eq!(ip.order.as_deref(), Some("helodata:ord_1"));
        assert_eq!(ip.status, StaticIpStatus::Expired);
        assert_eq!(ip.username.as_deref(), Some("helo_s1"));
        assert_eq!(ip.expires_at.unwrap().unix_timestamp(), 1_780_272_000);
        assert_eq!(
            status_of(Some("provisioning"), Some("active")),
            StaticIpStatus::Provisioning
        );
        let stock = availability(&json!({"country": "us", "available": 40, "price_usd": 3.5,
                                         "cities": [{"city": "nyc", "available": 10}]}));
        assert_eq!((stock.country.as_str(), stock.available), ("US", 40));
        assert_eq!(stock.monthly_price.as_deref(), Some("3.5"));
        assert_eq!(stock.cities, vec![("nyc".to_string(), 10)]);
    }
}
