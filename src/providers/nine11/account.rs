//! The account's details: `user/info`, which the document marks "Not yet open". While 911
//! does not serve it (HTTP 404, the answer to a path it does not route), the account is
//! described as far as `user-product/summary` can and the answer names what is missing,
//! instead of failing. Any other failure of `user/info` is the answer, as for every read.

use super::Nine11Adapter;
use super::map;
use super::wire::{self, UserInfo};
use crate::domain::account::AccountInfo;
use crate::providers::ProviderError;

/// What `user/info` gives and `user-product/summary` does not.
const FROM_USER_INFO_ONLY: [&str; 5] = [
    "identity_id",
    "email",
    "balance",
    "verification",
    "created_at",
];

impl Nine11Adapter {
    /// `user/info`, or a partial account from `user-product/summary?product_type=9` (the
    /// residential traffic package every 911 account sells) while `user/info` is closed.
    pub(super) async fn account_or_partial(&self) -> Result<AccountInfo, ProviderError> {
        match self.client.get_as::<UserInfo>(wire::USER_INFO, &[]).await {
            Ok((user, raw)) => Ok(map::account_info(&user, self.tz(), raw)),
            Err(failure) if failure.status == Some(404) => {
                let summary = self
                    .client
                    .get(wire::PRODUCT_SUMMARY, &[("product_type", "9".to_string())])
                    .await?;
                Ok(AccountInfo {
                    identity_id: None,
                    email: None,
                    plan: None,
                    balance: None,
                    verification: None,
                    created_at: None,
                    provider_data: serde_json::json!({ "user_product_summary": summary }),
                    missing: FROM_USER_INFO_ONLY.to_vec(),
                })
            }
            Err(failure) => Err(failure.into()),
        }
    }
}
