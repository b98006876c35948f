//! What an account can pay with and the offers it can use when it does: the inputs of buying
//! an order, in gateway terms.

use super::money::{Decimal, Money};

/// One way to pay for an order (911Proxy `payment/groups`: its `id` is `order/create`'s
/// `pm_id`).
#[derive(Clone, Debug)]
pub struct PaymentMethod {
    /// The provider's id of the method.
    pub upstream_id: String,
    /// The method's name, in the provider's words.
    pub name: String,
    /// The provider's group id (911: `online`, `crypto`, `balance`).
    pub group: Option<String>,
    /// The group's name, in the provider's words.
    pub group_name: Option<String>,
    /// Whether the provider offers it now (911 lists disabled methods too).
    pub available: bool,
    /// The smallest payment it takes.
    pub min_amount: Option<Money>,
    /// The largest payment it takes.
    pub max_amount: Option<Money>,
    /// The provider's logo of the method.
    pub logo_url: Option<String>,
    /// The provider's object.
    pub provider_data: serde_json::Value,
}

/// What a promotion gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PromotionKind {
    /// A balance top-up of at least `min_amount` is credited `ratio` times over (911
    /// `activity/balance-recharge-gift-ratio`).
    TopUpBonus,
}

/// One offer the account can use.
#[derive(Clone, Debug)]
pub struct Promotion {
    /// A stable id within the account (911 gives none: the tier's threshold names it).
    pub upstream_id: String,
    /// What it gives.
    pub kind: PromotionKind,
    /// The smallest purchase or top-up it applies to.
    pub min_amount: Money,
    /// The multiplier of what is credited (`1.2`: 120 credited for 100 paid).
    pub ratio: Decimal,
    /// The provider's object.
    pub provider_data: serde_json::Value,
}
