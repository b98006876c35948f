//! The normalized operations: each takes the caller's principal, picks the provider accounts
//! it may use, calls the adapters, and merges what they return. Handlers call exactly one of
//! these functions.

pub mod account;
pub mod api_keys;
pub mod audit;
pub mod audit_worker;
pub mod connection;
mod error;
pub mod idempotency;
pub mod invoices;
pub mod key_cache;
pub mod listing;
pub mod locations;
pub mod orders;
pub mod packages;
pub mod passthrough;
pub mod payments;
pub mod providers;
pub mod proxy_users;
pub mod reports;
pub mod sessions;
pub mod static_ips;
pub mod subscriptions;
pub mod tombstones;
pub mod usage;
pub mod whitelist;

pub use error::ServiceError;

use crate::domain::api_keys::Principal;
use crate::providers::Capability;
use crate::providers::registry::{ProviderAccount, Registry};

/// How an account name that does not exist is reported.
#[derive(Clone, Copy, Debug)]
pub enum UnknownAccount {
    /// As bad input naming this field (the account came from a body or query).
    InvalidArgument(&'static str),
    /// As 404 (the account came from a resource id in the path).
    NotFound,
}

/// The account `name`, if it exists and the key may use it.
pub fn resolve_account<'a>(
    registry: &'a Registry,
    principal: &Principal,
    name: &str,
    unknown: UnknownAccount,
) -> Result<&'a ProviderAccount, ServiceError> {
    let account = registry.get(name).ok_or_else(|| match unknown {
        UnknownAccount::InvalidArgument(field) => ServiceError::invalid_argument(
            field,
            format!("no provider account named '{name}' (GET /v1/providers lists them)"),
        ),
        UnknownAccount::NotFound => {
            ServiceError::NotFound(format!("no provider account named '{name}'"))
        }
    })?;
    if !principal.accounts.permits(name) {
        return Err(ServiceError::PermissionDenied(format!(
            "this API key may not use the provider account '{name}'"
        )));
    }
    Ok(account)
}

/// The accounts a request for `capability` covers: the named ones (a named account that cannot
/// do it answers 501 from its adapter), or when none is named, every permitted account that
/// can: a list over "every account" lists what exists.
pub fn select_capable<'a>(
    registry: &'a Registry,
    principal: &Principal,
    requested: &[String],
    capability: Capability,
) -> Result<Vec<&'a ProviderAccount>, ServiceError> {
    let selected = select_accounts(registry, principal, requested)?;
    if !requested.is_empty() {
        return Ok(selected);
    }
    Ok(selected
        .into_iter()
        .filter(|a| a.adapter.capabilities().contains(&capability))
        .collect())
}

/// The accounts a request covers: the named ones (each must exist and be permitted), or when
/// none is named, every account the key may use. Always in name order, without duplicates.
pub fn select_accounts<'a>(
    registry: &'a Registry,
    principal: &Principal,
    requested: &[String],
) -> Result<Vec<&'a ProviderAccount>, ServiceError> {
    if requested.is_empty() {
        return Ok(registry
            .iter()
            .filter(|a| principal.accounts.permits(&a.name))
            .collect());
    }
    let mut names: Vec<&String> = requested.iter().collect();
    names.sort();
    names.dedup();
    names
        .into_iter()
        .map(|name| {
            resolve_account(
                registry,
                principal,
                name,
                UnknownAccount::InvalidArgument("account"),
            )
        })
        .collect()
}
