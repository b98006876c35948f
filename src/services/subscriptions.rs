//! Subscriptions (helodata): create, read, change, pause and cancel, routed by account or id.
//! They are listed with the packages (`services::packages`).

use super::{UnknownAccount, resolve_account};
use crate::domain::api_keys::Principal;
use crate::domain::idempotency::WriteContext;
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::subscriptions::{
    NewSubscription, Subscription, SubscriptionPatch, SubscriptionStop,
};
use crate::providers::registry::Registry;
use crate::services::ServiceError;

/// Creates a subscription for `account`; `ip_batch`, when given, must be that account's.
pub async fn create(
    registry: &Registry,
    principal: &Principal,
    account: &str,
    mut new: NewSubscription,
    ip_batch: Option<&ProxyUserId>,
    ctx: &WriteContext,
) -> Result<Subscription, ServiceError> {
    let account = resolve_account(
        registry,
        principal,
        account,
        UnknownAccount::InvalidArgument("account"),
    )?;
    if let Some(batch) = ip_batch {
        if batch.account != account.name {
            return Err(ServiceError::invalid_argument(
                "ip_batch",
                format!(
                    "{batch} belongs to account '{}', not to '{}'",
                    batch.account, account.name
                ),
            ));
        }
        new.ip_batch = Some(batch.upstream.clone());
    }
    account
        .adapter
        .create_subscription(&new, ctx)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}

/// One subscription.
pub async fn get(
    registry: &Registry,
    principal: &Principal,
    id: &ProxyUserId,
) -> Result<Subscription, ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    account
        .adapter
        .get_subscription(&id.upstream)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}

/// Changes a subscription from its next renewal.
pub async fn update(
    registry: &Registry,
    principal: &Principal,
    id: &ProxyUserId,
    patch: &SubscriptionPatch,
    ctx: &WriteContext,
) -> Result<Subscription, ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    if patch.is_empty() {
        return Err(ServiceError::invalid_argument(
            "body",
            "the patch changes nothing: name plan, cycle or quantity",
        ));
    }
    account
        .adapter
        .update_subscription(&id.upstream, patch, ctx)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}

/// Pauses or cancels a subscription's renewal.
pub async fn stop(
    registry: &Registry,
    principal: &Principal,
    id: &ProxyUserId,
    stop: SubscriptionStop,
    ctx: &WriteContext,
) -> Result<Subscription, ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    account
        .adapter
        .stop_subscription(&id.upstream, stop, ctx)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}
