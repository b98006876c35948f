//! What the permitted accounts can pay with and the promotions they can use, merged across
//! accounts in account order (each list is the provider's whole list: nothing to page).

use super::{UnknownAccount, resolve_account, select_capable};
use crate::domain::api_keys::Principal;
use crate::domain::payments::{PaymentMethod, Promotion};
use crate::domain::proxy_users::ProxyUserId;
use crate::providers::registry::Registry;
use crate::providers::{Capability, ProviderKind};
use crate::services::ServiceError;

/// Payment methods of each selected account, tagged with the account; with `order`, only
/// that order's account, and the methods that order can be paid with.
pub async fn payment_methods(
    registry: &Registry,
    principal: &Principal,
    accounts: &[String],
    order: Option<&ProxyUserId>,
) -> Result<Vec<(String, ProviderKind, PaymentMethod)>, ServiceError> {
    let selected = match order {
        Some(order) => {
            if !accounts.is_empty() && !accounts.contains(&order.account) {
                return Err(ServiceError::invalid_argument(
                    "order",
                    format!(
                        "order belongs to account '{}', which the account filter leaves out",
                        order.account
                    ),
                ));
            }
            let account = resolve_account(
                registry,
                principal,
                &order.account,
                UnknownAccount::InvalidArgument("order"),
            )?;
            vec![account]
        }
        None => select_capable(registry, principal, accounts, Capability::PaymentMethods)?,
    };
    let mut out = Vec::new();
    for account in selected {
        let methods = account
            .adapter
            .payment_methods(order.map(|o| o.upstream.as_str()))
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
