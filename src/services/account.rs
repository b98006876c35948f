//! `GET /v1/account`: each selected account's identity, plan and balance.

use futures::future::try_join_all;

use super::select_accounts;
use crate::domain::account::AccountInfo;
use crate::domain::api_keys::Principal;
use crate::providers::ProviderKind;
use crate::providers::registry::Registry;
use crate::services::ServiceError;

/// One account's details with its name and provider.
#[derive(Clone, Debug)]
pub struct AccountEntry {
    /// The account name.
    pub account: String,
    /// The provider.
    pub provider: ProviderKind,
    /// What the provider says.
    pub info: AccountInfo,
}

/// Details of every selected account (one upstream call each, in parallel).
pub async fn accounts(
    registry: &Registry,
    principal: &Principal,
    requested: &[String],
) -> Result<Vec<AccountEntry>, ServiceError> {
    let selected = select_accounts(registry, principal, requested)?;
    try_join_all(selected.into_iter().map(|account| async move {
        let info = account
            .adapter
            .account_info()
            .await
            .map_err(|e| ServiceError::provider(&account.name, e))?;
        Ok::<_, ServiceError>(AccountEntry {
            account: account.name.clone(),
            provider: account.kind,
            info,
        })
    }))
    .await
}
