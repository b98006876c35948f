//! `GET /v1/providers` and the per-account health probe.

use std::time::{Duration, Instant};

use super::{UnknownAccount, resolve_account};
use crate::domain::api_keys::Principal;
use crate::error::ApiError;
use crate::providers::registry::{ProviderAccount, Registry};

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
    pub outcome: Result<(), ApiError>,
}

/// Makes the account's cheap health call and times it.
pub async fn health(
    registry: &Registry,
    principal: &Principal,
    name: &str,
) -> Result<HealthReport, ApiError> {
    let account = resolve_account(registry, principal, name, UnknownAccount::NotFound)?;
    let started = Instant::now();
    let outcome = account
        .adapter
        .health()
        .await
        .map_err(|e| ApiError::from_provider(&account.name, e));
    Ok(HealthReport {
        account: account.name.clone(),
        latency: started.elapsed(),
        outcome,
    })
}
