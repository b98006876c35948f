//! Subscriptions (§5.5): create `{product, plan, cycle}` (bandwidth) or `{product: "isp",
//! batch_id, cycle}` (ISP renewal, inferred by the reference), read, change (`plan`, `cycle`,
//! `quantity`), pause and cancel, each write forwarded with the derived Idempotency-Key.
//! Only `active` is documented; the simulator adds `paused` and `canceled` with `ends_at`.

use reqwest::Method;
use serde_json::{Map, Value, json};

use super::client::require_json;
use super::{HelodataAdapter, map};
use crate::domain::money::{Decimal, Money};
use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::subscriptions::{
    Cycle, NewSubscription, PLANS, Subscription, SubscriptionPatch, SubscriptionStatus,
    SubscriptionStop,
};
use crate::providers::{FailureKind, ProviderAdapter, ProviderError, UpstreamFailure};

/// ISP quantity bounds (the same as an ISP order's, §5.3).
const ISP_QUANTITY: std::ops::RangeInclusive<u64> = 5..=5_000;

fn status_of(status: Option<&str>) -> SubscriptionStatus {
    match status {
        Some("active") => SubscriptionStatus::Active,
        Some("paused") => SubscriptionStatus::Paused,
        Some("canceled" | "cancelled") => SubscriptionStatus::Canceled,
        _ => SubscriptionStatus::Other,
    }
}

/// One subscription as helodata answers it.
pub fn subscription(account: &str, raw: &Value) -> Subscription {
    let text = |k: &str| raw.get(k).and_then(Value::as_str);
    Subscription {
        id: ProxyUserId::new(account, text("id").unwrap_or_default()),
        product: map::product_from_wire(text("product").unwrap_or_default()),
        plan: text("plan").map(str::to_string),
        ip_batch: text("batch_id").map(|b| format!("{account}:{b}")),
        cycle: text("cycle").and_then(Cycle::parse),
        traffic_included_bytes: raw
            .get("gb_included")
            .and_then(Value::as_u64)
            .map(map::gb_to_bytes),
        quantity: raw.get("quantity").and_then(Value::as_u64),
        price: raw
            .get("price_usd")
            .and_then(Decimal::from_json)
            .map(|amount| Money {
                amount,
                currency: "USD".to_string(),
            }),
        status: status_of(text("status")),
        renews_at: map::parse_time_opt(text("renews_at")),
        ends_at: map::parse_time_opt(text("ends_at")),
        created_at: map::parse_time_opt(text("created_at")),
        provider_data: map::without_secrets(raw),
    }
}

fn check_plan(plan: &str) -> Result<(), ProviderError> {
    if plan == "enterprise" {
        return Err(ProviderError::invalid(
            "plan",
            "enterprise plans are priced by helodata's sales team, not through the API",
        ));
    }
    if !PLANS.contains(&plan) {
        return Err(ProviderError::invalid(
            "plan",
            "helodata plans are starter, pro and business",
        ));
    }
    Ok(())
}

/// The `POST /subscriptions` body, each field checked and named.
pub fn create_body(new: &NewSubscription) -> Result<Value, ProviderError> {
    let mut body = Map::new();
    body.insert("product".into(), json!(new.product.as_str()));
    body.insert("cycle".into(), json!(new.cycle.as_str()));
    match new.product {
        Product::Residential | Product::Mobile => {
            if new.ip_batch.is_some() {
                return Err(ProviderError::invalid(
                    "ip_batch",
                    "a bandwidth subscription renews no batch; ip_batch is for product isp",
                ));
            }
            let plan = new
                .plan
                .as_deref()
                .ok_or_else(|| ProviderError::invalid("plan", "required for a bandwidth plan"))?;
            check_plan(plan)?;
            body.insert("plan".into(), json!(plan));
        }
        Product::Isp => {
            if new.plan.is_some() {
                return Err(ProviderError::invalid("plan", "ISP renewals have no plan"));
            }
            let batch = new.ip_batch.as_deref().ok_or_else(|| {
                ProviderError::invalid("ip_batch", "required for an ISP renewal subscription")
            })?;
            if !map::is_prefixed_id(batch, "bat_") {
                return Err(ProviderError::invalid(
                    "ip_batch",
                    "a helodata IP batch id is <account>:bat_…",
                ));
            }
            body.insert("batch_id".into(), json!(batch));
        }
        other => {
            return Err(ProviderError::invalid(
                "product",
                format!(
                    "helodata subscribes residential, mobile and isp, not {}",
                    other.as_str()
                ),
            ));
        }
    }
    Ok(Value::Object(body))
}

/// The `PATCH /subscriptions/{id}` body.
pub fn patch_body(patch: &SubscriptionPatch) -> Result<Value, ProviderError> {
    let mut body = Map::new();
    if let Some(plan) = &patch.plan {
        check_plan(plan)?;
        body.insert("plan".into(), json!(plan));
    }
    if let Some(cycle) = patch.cycle {
        body.insert("cycle".into(), json!(cycle.as_str()));
    }
    if let Some(quantity) = patch.quantity {
        if !ISP_QUANTITY.contains(&quantity) {
            return Err(ProviderError::invalid(
                "quantity",
                "an ISP renewal covers 5 to 5,000 IPs",
            ));
        }
        body.insert("quantity".into(), json!(quantity));
    }
    Ok(Value::Object(body))
}

impl HelodataAdapter {
    /// `POST /subscriptions`.
    pub(super) async fn subscribe(
        &self,
        new: &NewSubscription,
        key: Option<String>,
    ) -> Result<Subscription, ProviderError> {
        let body = create_body(new)?;
        let answer = self
            .client
            .write(Method::POST, "/subscriptions", Some(body), key.as_deref())
            .await?;
        Ok(subscription(self.account(), &require_json(answer)?))
    }

    /// `GET /subscriptions/{id}`.
    pub(super) async fn subscription(&self, id: &str) -> Result<Subscription, ProviderError> {
        self.check_subscription_id(id)?;
        let answer = self
            .client
            .get(&format!("/subscriptions/{id}"), &[])
            .await
            .map_err(|f| self.on_subscription(id, f))?;
        Ok(subscription(self.account(), &require_json(answer)?))
    }

    /// `PATCH /subscriptions/{id}`.
    pub(super) async fn change_subscription(
        &self,
        id: &str,
        patch: &SubscriptionPatch,
        key: Option<String>,
    ) -> Result<Subscription, ProviderError> {
        self.check_subscription_id(id)?;
        let body = patch_body(patch)?;
        let answer = self
            .client
            .write(
                Method::PATCH,
                &format!("/subscriptions/{id}"),
                Some(body),
                key.as_deref(),
            )
            .await
            .map_err(|f| self.on_subscription(id, f))?;
        Ok(subscription(self.account(), &require_json(answer)?))
    }

    /// `POST /subscriptions/{id}/pause|cancel`. A resumed write whose subscription already
    /// stands where it asked is done (helodata refuses stopping it twice).
    pub(super) async fn end_subscription(
        &self,
        id: &str,
        stop: SubscriptionStop,
        key: Option<String>,
        resumed: bool,
    ) -> Result<Subscription, ProviderError> {
        self.check_subscription_id(id)?;
        let (action, done) = match stop {
            SubscriptionStop::Pause => ("pause", SubscriptionStatus::Paused),
            SubscriptionStop::Cancel => ("cancel", SubscriptionStatus::Canceled),
        };
        if resumed {
            let current = self.subscription(id).await?;
            if current.status == done {
                return Ok(current);
            }
        }
        let answer = self
            .client
            .write(
                Method::POST,
                &format!("/subscriptions/{id}/{action}"),
                None,
                key.as_deref(),
            )
            .await
            .map_err(|f| self.on_subscription(id, f))?;
        Ok(subscription(self.account(), &require_json(answer)?))
    }

    fn check_subscription_id(&self, id: &str) -> Result<(), ProviderError> {
        if map::is_prefixed_id(id, "sbn_") {
            Ok(())
        } else {
            Err(self.subscription_not_found(id))
        }
    }

    fn on_subscription(&self, id: &str, failure: UpstreamFailure) -> ProviderError {
        if failure.kind == FailureKind::NotFound {
            self.subscription_not_found(id)
        } else {
            failure.into()
        }
    }

    fn subscription_not_found(&self, id: &str) -> ProviderError {
        ProviderError::NotFound(format!(
            "subscription {}",
            ProxyUserId::new(self.account(), id)
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new(product: Product, plan: Option<&str>, batch: Option<&str>) -> NewSubscription {
        NewSubscription {
            product,
            plan: plan.map(str::to_string),
            cycle: Cycle::Annual,
            ip_batch: batch.map(str::to_string),
        }
    }

    #[test]
    fn bandwidth_and_isp_subscriptions_become_the_documented_bodies() {
        assert_eq!(
            create_body(&new(Product::Residential, Some("pro"), None)).unwrap(),
            json!({"product": "residential", "plan": "pro", "cycle": "annual"})
        );
        assert_eq!(
            create_body(&new(Product::Isp, None, Some("bat_01"))).unwrap(),
            json!({"product": "isp", "batch_id": "bat_01", "cycle": "annual"})
        );
    }

    #[test]
    fn each_refusal_names_its_field() {
        let field = |n: NewSubscription| match create_body(&n) {
            Err(ProviderError::InvalidInput { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(field(new(Product::Residential, None, None)), "plan");
        assert_eq!(field(new(Product::Residential, Some("gold"), None)), "plan");
        assert_eq!(
            field(new(Product::Mobile, Some("enterprise"), None)),
            "plan"
        );
        assert_eq!(field(new(Product::Isp, None, None)), "ip_batch");
        assert_eq!(field(new(Product::Isp, Some("pro"), Some("bat_1"))), "plan");
        assert_eq!(
            field(new(Product::Datacenter, Some("pro"), None)),
            "product"
        );
        let few = SubscriptionPatch {
            quantity: Some(4),
            ..SubscriptionPatch::default()
        };
        assert!(
            matches!(patch_body(&few), Err(ProviderError::InvalidInput { field, .. }) if field == "quantity")
        );
    }

    #[test]
    fn a_subscription_maps_its_price_exactly_and_its_included_traffic_in_bytes() {
        let raw = json!({"id": "sbn_1", "product": "residential", "plan": "pro", "cycle": "annual",
            "gb_included": 500, "price_usd": 16200.0, "status": "paused", "renews_at": null,
            "ends_at": "2027-01-01T00:00:00Z", "created_at": "2026-12-01T00:00:00Z"});
        let s = subscription("helodata", &raw);
        assert_eq!(s.id.to_string(), "helodata:sbn_1");
        assert_eq!(s.price.unwrap().amount.as_str(), "16200");
        assert_eq!(s.traffic_included_bytes, Some(map::gb_to_bytes(500)));
        assert_eq!(
            (s.status, s.cycle),
            (SubscriptionStatus::Paused, Some(Cycle::Annual))
        );
        assert!(s.renews_at.is_none() && s.ends_at.is_some());
    }
}
