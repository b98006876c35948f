//! The one wire shape of money: decimal text and an ISO 4217 code, never a float.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::money::Money;

/// An exact amount of money.
#[derive(Debug, Serialize, ToSchema)]
pub struct MoneyAmount {
    /// Decimal text in the currency's main unit (dollars, not cents): exact, never a float.
    #[schema(example = "19.99", pattern = r"^-?[0-9]+(\.[0-9]+)?$")]
    pub amount: String,
    /// ISO 4217 code.
    #[schema(example = "USD", pattern = "^[A-Z]{3}$")]
    pub currency: String,
}

impl From<Money> for MoneyAmount {
    fn from(m: Money) -> Self {
        MoneyAmount {
            amount: m.amount.to_string(),
            currency: m.currency,
        }
    }
}
