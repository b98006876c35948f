//! `GET /v1/providers` and the per-account health probe.

use std::time::{Duration, Instant};

use super::{UnknownAccount, resolve_account};
use crate::domain::api_keys::Principal;
use crate::domain::providers::ProviderKind;
use crate::providers::registry::{ProviderAccount, Registry};
use crate::services::ServiceError;

/// Every registered provider's kind, in registration order (the API's enum of providers).
pub fn kinds() -> impl Iterator<Item = ProviderKind> {
    crate::providers::registry::PROVIDERS
        .iter()
        .map(|provider| provider.spec.kind)
}

/// The accounts the key may see.
pub fn visible<'a>(registry: &'a Registry, principal: &Principal) -> Vec<&'a ProviderAccount> {
    registry
        .iter()
        .filter(|a| principal.accounts.permits(&a.name))
        .collect()
}

/// The outcome of one health probe.
#[derive(Debug)]
pub struct HealthReport {
    /// The account.
    pub account: String,
    /// How long the upstream call took.
    pub latency: Duration,
    /// `Ok`, or the error the call produced (as the public error).
    pub outcome: Result<(), ServiceError>,
}

/// Makes the account's cheap health call and times it.
pub async fn health(
    registry: &Registry,
    principal: &Principal,
    name: &str,
) -> Result<HealthReport, ServiceError> {
    let account = resolve_account(registry, principal, name, UnknownAccount::NotFound)?;
    let started = Instant::now();
    let outcome = account
        .adapter
        .health()
        .await
        .map_err(|e| ServiceError::provider(&account.name, e));
    Ok(HealthReport {
        account: account.name.clone(),
        latency: started.elapsed(),
        outcome,
    })
}
