//! What the permitted accounts can pay with and the promotions they can use, merged across
//! accounts in account order (each list is the provider's whole list: nothing to page).

use super::select_capable;
use crate::domain::api_keys::Principal;
use crate::domain::payments::{PaymentMethod, Promotion};
use crate::providers::registry::Registry;
use crate::providers::{Capability, ProviderKind};
use crate::services::ServiceError;

/// Payment methods of each selected account, tagged with the account.
pub async fn payment_methods(
    registry: &Registry,
    principal: &Principal,
    accounts: &[String],
) -> Result<Vec<(String, ProviderKind, PaymentMethod)>, ServiceError> {
    let mut out = Vec::new();
    for account in select_capable(registry, principal, accounts, Capability::PaymentMethods)? {
        let methods = account
            .adapter
            .payment_methods()
            .await
            .map_err(|e| ServiceError::provider(&account.name, e))?;
        out.extend(
            methods
                .into_iter()
                .map(|m| (account.name.clone(), account.kind, m)),
        );
    }
    Ok(out)
}

/// Promotions of each selected account, tagged with the account.
pub async fn promotions(
    registry: &Registry,
    principal: &Principal,
    accounts: &[String],
) -> Result<Vec<(String, ProviderKind, Promotion)>, ServiceError> {
    let mut out = Vec::new();
    for account in select_capable(registry, principal, accounts, Capability::Promotions)? {
        let promotions = account
            .adapter
            .promotions()
            .await
            .map_err(|e| ServiceError::provider(&account.name, e))?;
        out.extend(
            promotions
                .into_iter()
                .map(|p| (account.name.clone(), account.kind, p)),
        );
    }
    Ok(out)
}
