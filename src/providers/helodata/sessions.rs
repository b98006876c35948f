//! Sticky sessions (`/{residential|mobile}/sessions`, §5.7) and request samples
//! (`/{product}/requests`, §5.6). A session's upstream id is `<product>:ses_…`: helodata's
//! paths need both. Session and sample objects are read field by field from their raw JSON
//! (both shapes are only partly documented), and kept whole as `provider_data`.

use std::sync::Arc;

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{HelodataAdapter, map};
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::sessions::{RequestSample, StickySession, TrafficFilter};
use crate::providers::{FailureKind, ProviderAdapter, ProviderError};

/// The products with sessions (§5.7: ISP has no sessions API).
const SESSION_PRODUCTS: [&str; 2] = ["residential", "mobile"];
/// The products with request samples (§5.6).
const SAMPLE_PRODUCTS: [&str; 3] = ["residential", "mobile", "isp"];

fn text(raw: &Value, key: &str) -> Option<String> {
    raw.get(key).and_then(Value::as_str).map(str::to_string)
}

fn number(raw: &Value, key: &str) -> Option<u64> {
    raw.get(key).and_then(Value::as_u64)
}

/// A sub-user reference as the gateway id (helodata writes the id, or the name in R-STAT's
/// examples, §5.6: either is kept as given).
fn user(account: &str, raw: &Value) -> Option<ProxyUserId> {
    text(raw, "subuser").map(|s| ProxyUserId::new(account, s))
}

/// One sample, normalized.
pub fn sample(account: &str, product: &str, raw: &Value) -> RequestSample {
    RequestSample {
        id: text(raw, "id").unwrap_or_default(),
        account: account.to_string(),
        product: map::product_from_wire(product),
        proxy_user: user(account, raw),
        at: map::parse_time_opt(raw.get("timestamp").and_then(Value::as_str)),
        status: number(raw, "status").and_then(|s| u16::try_from(s).ok()),
        exit_ip: text(raw, "exit_ip"),
        geo: text(raw, "geo"),
        asn: number(raw, "asn"),
        bytes_in: number(raw, "bytes_in"),
        bytes_out: number(raw, "bytes_out"),
        tag: text(raw, "tag"),
        target_domain: text(raw, "target_domain"),
        provider_data: Arc::new(raw.clone()),
    }
}

/// One session, normalized (its samples when the read carried them).
pub fn session(account: &str, product: &str, raw: &Value) -> StickySession {
    let samples = raw
        .get("samples")
        .and_then(Value::as_array)
        .map(|s| s.iter().map(|r| sample(account, product, r)).collect())
        .unwrap_or_default();
    let mut provider_data = raw.clone();
    if let Some(obj) = provider_data.as_object_mut() {
        obj.remove("samples");
    }
    StickySession {
        id: ProxyUserId::new(
            account,
            format!("{product}:{}", text(raw, "id").unwrap_or_default()),
        ),
        product: map::product_from_wire(product),
        proxy_user: user(account, raw),
        session_id: text(raw, "session_id"),
        country: text(raw, "region").map(|r| r.to_ascii_uppercase()),
        state: text(raw, "state"),
        city: text(raw, "city"),
        asn: number(raw, "asn"),
        exit_ip: text(raw, "exit_ip"),
        started_at: map::parse_time_opt(raw.get("started_at").and_then(Value::as_str)),
        expires_at: map::parse_time_opt(raw.get("expires_at").and_then(Value::as_str)),
        bytes_used: number(raw, "bytes_used"),
        requests: number(raw, "requests"),
        repinned: raw
            .get("repinned")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        samples,
        provider_data: Arc::new(provider_data),
    }
}

/// Where a listing resumes: the product's index and helodata's cursor.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Position {
    #[serde(rename = "p")]
    product: usize,
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    cursor: Option<String>,
}

/// `<product>:ses_…` split, checked to be safe in a path.
fn parse_id(upstream: &str) -> Option<(&str, &str)> {
    let (product, id) = upstream.split_once(':')?;
    (SESSION_PRODUCTS.contains(&product) && map::is_prefixed_id(id, "ses_"))
        .then_some((product, id))
}

impl HelodataAdapter {
    /// The products a filter reads, in order; `None` when the filter names a product without
    /// the feature (the answer is then empty).
    fn products_of(filter: &TrafficFilter, all: &[&'static str]) -> Vec<&'static str> {
        all.iter()
            .copied()
            .filter(|p| {
                filter
                    .product
                    .is_none_or(|want| map::product_to_wire(want) == Some(*p))
            })
            .collect()
    }

    /// A page over the products of `filter`, `kind` being `sessions` or `requests`.
    pub(super) async fn traffic_page(
        &self,
        kind: &str,
        filter: &TrafficFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<(&'static str, Value)>, Option<String>), ProviderError> {
        let all: &[&'static str] = if kind == "sessions" {
            &SESSION_PRODUCTS
        } else {
            &SAMPLE_PRODUCTS
        };
        let products = Self::products_of(filter, all);
        let mut position: Position = match cursor {
            None => Position::default(),
            Some(text) => serde_json::from_str(text).map_err(|_| {
                ProviderError::invalid("cursor", "cursor is not a cursor returned by this API")
            })?,
        };
        let mut query = Vec::new();
        if let Some(user) = &filter.proxy_user {
            if !map::is_subuser_id(user) {
                return Ok((Vec::new(), None));
            }
            query.push(("subuser", user.clone()));
        }
        let limit = limit.clamp(1, super::UPSTREAM_MAX_LIMIT);
        let mut out = Vec::new();
        while let Some(product) = products.get(position.product) {
            let wanted = limit - out.len() as u32;
            let path = format!("/{product}/{kind}");
            let (items, next) = self
                .page(&path, query.clone(), position.cursor.as_deref(), wanted)
                .await?;
            out.extend(items.into_iter().map(|raw| (*product, raw)));
            position = match next {
                Some(next) => Position {
                    product: position.product,
                    cursor: Some(next),
                },
                None => Position {
                    product: position.product + 1,
                    cursor: None,
                },
            };
            if out.len() as u32 >= limit {
                break;
            }
        }
        let next = (position.product < products.len())
            .then(|| serde_json::to_string(&position).ok())
            .flatten();
        Ok((out, next))
    }

    /// One session with its samples.
    pub(super) async fn fetch_session(
        &self,
        upstream: &str,
    ) -> Result<StickySession, ProviderError> {
        let not_found = || ProviderError::NotFound(format!("{}:{upstream}", self.account()));
        let (product, id) = parse_id(upstream).ok_or_else(not_found)?;
        let answer = self
            .client
            .get(&format!("/{product}/sessions/{id}"), &[])
            .await
            .map_err(|f| match f.kind {
                FailureKind::NotFound => not_found(),
                _ => f.into(),
            })?;
        let raw = super::client::require_json(answer)?;
        Ok(session(self.account(), product, &raw))
    }

    /// Ends a session early (`DELETE /{product}/sessions/{id}`).
    pub(super) async fn end_session(
        &self,
        upstream: &str,
        key: Option<String>,
    ) -> Result<(), ProviderError> {
        let not_found = || ProviderError::NotFound(format!("{}:{upstream}", self.account()));
        let (product, id) = parse_id(upstream).ok_or_else(not_found)?;
        self.client
            .write(
                Method::DELETE,
                &format!("/{product}/sessions/{id}"),
                None,
                key.as_deref(),
            )
            .await
            .map_err(|f| match f.kind {
                FailureKind::NotFound => not_found(),
                _ => f.into(),
            })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::products::Product;

    #[test]
    fn a_session_keeps_its_product_in_the_id_and_its_samples_apart() {
        let raw = json!({"id": "ses_1", "subuser": "sub_9", "session_id": "job1", "region": "us",
                         "state": "ca", "city": "la", "asn": 7922, "exit_ip": "203.0.113.9",
                         "started_at": "2026-05-01T00:00:00Z", "expires_at": "2026-05-01T00:30:00Z",
                         "bytes_used": 10, "requests": 2, "repinned": true,
                         "samples": [{"id": "req_1", "status": 200, "bytes_in": 5}]});
        let s = session("helodata", "mobile", &raw);
        assert_eq!(s.id.to_string(), "helodata:mobile:ses_1");
        assert_eq!(s.product, Product::Mobile);
        assert_eq!(s.country.as_deref(), Some("US"));
        assert_eq!(s.proxy_user.unwrap().to_string(), "helodata:sub_9");
        assert!(s.repinned);
        assert_eq!(s.samples.len(), 1);
        assert_eq!(s.samples[0].status, Some(200));
        assert!(s.provider_data.get("samples").is_none());
        assert_eq!(parse_id("mobile:ses_1"), Some(("mobile", "ses_1")));
        assert_eq!(parse_id("isp:ses_1"), None);
        assert_eq!(parse_id("residential:../x"), None);
    }
}
