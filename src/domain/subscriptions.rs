//! Subscriptions: recurring bandwidth plans and ISP batch renewals (helodata §5.5). They are
//! also packages (`GET /v1/packages`); here they are managed: created, changed, paused and
//! canceled.

use time::OffsetDateTime;

use crate::domain::money::Money;
use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUserId;

/// Where a subscription stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscriptionStatus {
    /// Renews at `renews_at`.
    Active,
    /// Renewal stopped; the current period runs on to `ends_at`.
    Paused,
    /// Ends with the current period (`ends_at`) and cannot change any more.
    Canceled,
    /// A state the gateway does not know; see `provider_data`.
    Other,
}

impl SubscriptionStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            SubscriptionStatus::Active => "active",
            SubscriptionStatus::Paused => "paused",
            SubscriptionStatus::Canceled => "canceled",
            SubscriptionStatus::Other => "other",
        }
    }
}

/// Billing cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cycle {
    /// Every month.
    Monthly,
    /// Every 12 months (10 % off for Pro and up, and for ISP: §5.5).
    Annual,
}

impl Cycle {
    /// The wire name (helodata's as well).
    pub fn as_str(self) -> &'static str {
        match self {
            Cycle::Monthly => "monthly",
            Cycle::Annual => "annual",
        }
    }

    /// A wire name back.
    pub fn parse(text: &str) -> Option<Cycle> {
        [Cycle::Monthly, Cycle::Annual]
            .into_iter()
            .find(|c| c.as_str() == text)
    }
}

/// The bandwidth plans helodata sells (§5.5; `enterprise` is priced by sales).
pub const PLANS: [&str; 4] = ["starter", "pro", "business", "enterprise"];

/// One subscription, normalized.
#[derive(Clone, Debug)]
pub struct Subscription {
    /// `<account>:sbn_…`.
    pub id: ProxyUserId,
    /// What it renews.
    pub product: Product,
    /// The bandwidth plan.
    pub plan: Option<String>,
    /// The ISP batch it renews (`<account>:bat_…`).
    pub ip_batch: Option<String>,
    /// Billing cycle, when the provider names one the gateway knows.
    pub cycle: Option<Cycle>,
    /// Traffic included per month, in bytes (bandwidth plans).
    pub traffic_included_bytes: Option<u64>,
    /// IPs renewed (ISP).
    pub quantity: Option<u64>,
    /// Price per cycle.
    pub price: Option<Money>,
    /// Where it stands.
    pub status: SubscriptionStatus,
    /// Next renewal (active only).
    pub renews_at: Option<OffsetDateTime>,
    /// When it ends (paused or canceled).
    pub ends_at: Option<OffsetDateTime>,
    /// When it was created.
    pub created_at: Option<OffsetDateTime>,
    /// The provider's object.
    pub provider_data: serde_json::Value,
}

/// A subscription to create: a bandwidth plan (`product`, `plan`, `cycle`) or the renewal of an
/// ISP batch (`product: isp`, `ip_batch`, `cycle`).
#[derive(Clone, Debug)]
pub struct NewSubscription {
    /// `residential`, `mobile` or `isp`.
    pub product: Product,
    /// Bandwidth plan.
    pub plan: Option<String>,
    /// Billing cycle.
    pub cycle: Cycle,
    /// ISP: the batch to renew (upstream id).
    pub ip_batch: Option<String>,
}

/// A change, applied from the next renewal.
#[derive(Clone, Debug, Default)]
pub struct SubscriptionPatch {
    /// Another bandwidth plan.
    pub plan: Option<String>,
    /// Another cycle.
    pub cycle: Option<Cycle>,
    /// Another IP count (ISP, 5–5,000).
    pub quantity: Option<u64>,
}

impl SubscriptionPatch {
    /// Whether it changes anything.
    pub fn is_empty(&self) -> bool {
        self.plan.is_none() && self.cycle.is_none() && self.quantity.is_none()
    }
}

/// Stopping a subscription's renewal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SubscriptionStop {
    /// Renewal stops; the period runs on and it may be canceled later.
    Pause,
    /// It ends with the period, for good.
    Cancel,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cycles_round_trip_and_only_documented_ones_parse() {
        for c in [Cycle::Monthly, Cycle::Annual] {
            assert_eq!(Cycle::parse(c.as_str()), Some(c));
        }
        assert_eq!(Cycle::parse("weekly"), None);
        assert!(SubscriptionPatch::default().is_empty());
    }
}
