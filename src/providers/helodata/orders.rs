//! helodata's orders (§5.3): `POST /orders` for bandwidth `{product, gb}` and ISP batches
//! `{product: "isp", country, city?, asn?, quantity, months, subuser?}`, forwarded with the
//! write's derived Idempotency-Key (helodata dedupes a resend), and `GET /orders[/{id}]`
//! (inferred by the reference, served by the simulator). Statuses seen: `completed`,
//! `provisioning`; no failure or cancellation state is documented, so there is no cancel.

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::client::require_json;
use super::{HelodataAdapter, map};
use crate::domain::money::{Decimal, Money};
use crate::domain::orders::{Order, OrderFilter, OrderRequest, OrderStatus};
use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUserId;
use crate::providers::{FailureKind, ItemPage, ProviderAdapter, ProviderError, UpstreamFailure};

/// The fields of a normalized order request helodata takes, per kind of order.
const BANDWIDTH: [&str; 2] = ["product", "gb"];
const ISP: [&str; 7] = [
    "product",
    "country",
    "city",
    "asn",
    "quantity",
    "months",
    "proxy_user",
];
/// ISP quantity bounds per order (§5.3: "5–5,000 per order").
const ISP_QUANTITY: std::ops::RangeInclusive<u64> = 5..=5_000;

/// helodata's order status; anything else is kept as `other` (no other value is documented).
pub fn status_of(status: Option<&str>) -> OrderStatus {
    match status {
        Some("completed") => OrderStatus::Completed,
        Some("provisioning") => OrderStatus::Provisioning,
        Some("pending") => OrderStatus::Pending,
        Some("canceled" | "cancelled") => OrderStatus::Canceled,
        Some("refunded") => OrderStatus::Refunded,
        Some("failed") => OrderStatus::Failed,
        _ => OrderStatus::Other,
    }
}

fn product_of(name: Option<&str>) -> Option<Product> {
    match name? {
        "residential" => Some(Product::Residential),
        "mobile" => Some(Product::Mobile),
        "isp" => Some(Product::Isp),
        _ => Some(Product::Other),
    }
}

/// One order as helodata answers it (`total_usd` is money in US dollars, §8).
pub fn order(account: &str, raw: &Value) -> Order {
    let text = |k: &str| raw.get(k).and_then(Value::as_str);
    Order {
        id: ProxyUserId::new(account, text("id").unwrap_or_default()),
        status: status_of(text("status")),
        product: product_of(text("product")),
        description: None,
        amount: raw
            .get("total_usd")
            .and_then(Decimal::from_json)
            .map(|amount| Money {
                amount,
                currency: "USD".to_string(),
            }),
        paid_amount: None,
        created_at: map::parse_time_opt(text("created_at")),
        provider_data: raw.clone(),
    }
}

/// The `POST /orders` body of a normalized request, each field checked and named.
pub fn create_body(request: &OrderRequest) -> Result<Value, ProviderError> {
    let product = request.product.ok_or_else(|| {
        ProviderError::invalid(
            "product",
            "required for helodata orders: residential or mobile (with gb), or isp",
        )
    })?;
    let taken: &[&str] = match product {
        Product::Residential | Product::Mobile => &BANDWIDTH,
        Product::Isp => &ISP,
        other => {
            return Err(ProviderError::invalid(
                "product",
                format!(
                    "helodata sells residential, mobile and isp, not {}",
                    other.as_str()
                ),
            ));
        }
    };
    if let Some(field) = request
        .fields_set()
        .into_iter()
        .find(|f| !taken.contains(f))
    {
        return Err(ProviderError::invalid(
            field,
            format!(
                "a helodata {} order does not take this field",
                product.as_str()
            ),
        ));
    }
    let mut body = Map::new();
    body.insert("product".into(), json!(product.as_str()));
    if product != Product::Isp {
        let gb = request
            .gb
            .ok_or_else(|| ProviderError::invalid("gb", "required for a bandwidth order"))?;
        if gb == 0 {
            return Err(ProviderError::invalid("gb", "must be at least 1"));
        }
        body.insert("gb".into(), json!(gb));
        return Ok(Value::Object(body));
    }
    let country = request
        .country
        .as_deref()
        .ok_or_else(|| ProviderError::invalid("country", "required for an ISP order"))?;
    let quantity = request
        .quantity
        .ok_or_else(|| ProviderError::invalid("quantity", "required for an ISP order"))?;
    if !ISP_QUANTITY.contains(&quantity) {
        return Err(ProviderError::invalid(
            "quantity",
            "helodata sells 5 to 5,000 ISP IPs per order",
        ));
    }
    let months = request
        .months
        .ok_or_else(|| ProviderError::invalid("months", "required for an ISP order"))?;
    if months == 0 {
        return Err(ProviderError::invalid("months", "must be at least 1"));
    }
    body.insert("country".into(), json!(country.to_ascii_lowercase()));
    body.insert("quantity".into(), json!(quantity));
    body.insert("months".into(), json!(months));
    if let Some(city) = &request.city {
        body.insert("city".into(), json!(city));
    }
    if let Some(asn) = request.asn {
        body.insert("asn".into(), json!(asn));
    }
    if let Some(subuser) = &request.proxy_user {
        body.insert("subuser".into(), json!(subuser));
    }
    Ok(Value::Object(body))
}

impl HelodataAdapter {
    /// A page of `GET /orders`, filtered by product and status at helodata, by time here.
    pub(super) async fn orders_page(
        &self,
        filter: &OrderFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ItemPage<Order>, ProviderError> {
        let mut query = Vec::new();
        match filter.product {
            None => {}
            Some(p @ (Product::Residential | Product::Mobile | Product::Isp)) => {
                query.push(("product", p.as_str().to_string()))
            }
            Some(_) => return Ok(empty()),
        }
        match filter.status {
            None => {}
            Some(s @ (OrderStatus::Completed | OrderStatus::Provisioning)) => {
                query.push(("status", s.as_str().to_string()))
            }
            // No other status is documented (or accepted by the list's filter).
            Some(_) => return Ok(empty()),
        }
        let (items, next_cursor) = self.page("/orders", query, cursor, limit).await?;
        Ok(ItemPage {
            items: items
                .iter()
                .map(|raw| order(self.account(), raw))
                .filter(|o| filter.admits_time(o))
                .collect(),
            next_cursor,
        })
    }

    /// `GET /orders/{id}`.
    pub(super) async fn order(&self, id: &str) -> Result<Order, ProviderError> {
        // Ids that cannot be helodata order ids never reach a URL path.
        if !map::is_prefixed_id(id, "ord_") {
            return Err(self.order_not_found(id));
        }
        let answer = self
            .client
            .get(&format!("/orders/{id}"), &[])
            .await
            .map_err(|f| self.on_order(id, f))?;
        Ok(order(self.account(), &require_json(answer)?))
    }

    /// `POST /orders` with the forwarded key.
    pub(super) async fn place_order(
        &self,
        request: &OrderRequest,
        key: Option<String>,
    ) -> Result<Order, ProviderError> {
        let body = create_body(request)?;
        let answer = self
            .client
            .write(Method::POST, "/orders", Some(body), key.as_deref())
            .await?;
        Ok(order(self.account(), &require_json(answer)?))
    }

    fn on_order(&self, id: &str, failure: UpstreamFailure) -> ProviderError {
        if failure.kind == FailureKind::NotFound {
            self.order_not_found(id)
        } else {
            failure.into()
        }
    }

    fn order_not_found(&self, id: &str) -> ProviderError {
        ProviderError::NotFound(format!("order {}", ProxyUserId::new(self.account(), id)))
    }
}

fn empty() -> ItemPage<Order> {
    ItemPage {
        items: Vec::new(),
        next_cursor: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bandwidth_and_isp_requests_become_the_documented_bodies() {
        let bandwidth = OrderRequest {
            product: Some(Product::Residential),
            gb: Some(50),
            ..OrderRequest::default()
        };
        assert_eq!(
            create_body(&bandwidth).unwrap(),
            json!({"product": "residential", "gb": 50})
        );
        let isp = OrderRequest {
            product: Some(Product::Isp),
            country: Some("US".into()),
            city: Some("newyork".into()),
            quantity: Some(20),
            months: Some(1),
            proxy_user: Some("sub_01".into()),
            ..OrderRequest::default()
        };
        assert_eq!(
            create_body(&isp).unwrap(),
            json!({"product": "isp", "country": "us", "city": "newyork", "quantity": 20, "months": 1, "subuser": "sub_01"})
        );
    }

    #[test]
    fn each_refusal_names_its_field() {
        let field = |r: OrderRequest| match create_body(&r) {
            Err(ProviderError::InvalidInput { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(OrderRequest::default()), "product");
        let gb_on_isp = OrderRequest {
            product: Some(Product::Isp),
            gb: Some(1),
            ..OrderRequest::default()
        };
        assert_eq!(field(gb_on_isp), "gb");
        let few = OrderRequest {
            product: Some(Product::Isp),
            country: Some("us".into()),
            quantity: Some(4),
            months: Some(1),
            ..OrderRequest::default()
        };
        assert_eq!(field(few), "quantity");
        let nine11 = OrderRequest {
            product: Some(Product::Residential),
            gb: Some(1),
            package_id: Some(3),
            ..OrderRequest::default()
        };
        assert_eq!(field(nine11), "package_id");
        let datacenter = OrderRequest {
            product: Some(Product::Datacenter),
            ..OrderRequest::default()
        };
        assert_eq!(field(datacenter), "product");
    }

    #[test]
    fn an_order_maps_its_money_exactly() {
        let raw = json!({"id": "ord_1", "product": "isp", "status": "provisioning",
            "total_usd": 120.1, "created_at": "2026-12-07T10:00:00Z"});
        let o = order("helodata", &raw);
        assert_eq!(o.status, OrderStatus::Provisioning);
        assert_eq!(o.product, Some(Product::Isp));
        assert_eq!(o.amount.unwrap().amount.as_str(), "120.1");
    }
}
