//! What a provider says about the account the gateway uses: identity, plan, balance.

use time::OffsetDateTime;

pub use super::money::Money;

/// One provider account's own details, where the provider gives them.
#[derive(Clone, Debug)]
pub struct AccountInfo {
    /// The provider's id of the account.
    pub identity_id: Option<String>,
    /// Login email.
    pub email: Option<String>,
    /// Plan or tier name.
    pub plan: Option<String>,
    /// Prepaid balance.
    pub balance: Option<Money>,
    /// Identity verification (KYC / real name) state, in the provider's words.
    pub verification: Option<String>,
    /// Account creation time.
    pub created_at: Option<OffsetDateTime>,
    /// The provider's object, secrets removed.
    pub provider_data: serde_json::Value,
    /// The fields the provider could not give this time (911 `user/info` closed): the answer
    /// is partial. Empty when complete.
    pub missing: Vec<&'static str>,
}
