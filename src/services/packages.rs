//! Packages across accounts (911 user products; helodata subscriptions and ISP batches), and
//! per-account summaries.

use futures::future::try_join_all;

use super::select_accounts;
use crate::domain::api_keys::Principal;
use crate::domain::packages::{Package, PackageSummary};
use crate::domain::pagination::{Cursor, Page};
use crate::providers::registry::Registry;
use crate::providers::{ProviderError, ProviderKind};
use crate::services::ServiceError;

/// One page of packages over the selected accounts, ordered by id (`<account>:<upstream id>`).
pub async fn list(
    registry: &Registry,
    principal: &Principal,
    requested: &[String],
    after: Option<&Cursor>,
    limit: u32,
) -> Result<Page<Package>, ServiceError> {
    let selected = select_accounts(registry, principal, requested)?;
    let after_id = after.map(|c| c.0.as_str());
    let selected: Vec<_> = selected
        .into_iter()
        .filter(|a| {
            after_id.is_none_or(|id| {
                id.split(':')
                    .next()
                    .is_some_and(|acct| a.name.as_str() >= acct)
            })
        })
        .collect();
    let lists = try_join_all(selected.iter().map(|account| async move {
        account
            .adapter
            .packages()
            .await
            .map_err(|e| ServiceError::provider(&account.name, e))
    }))
    .await?;
    let mut packages: Vec<Package> = lists.into_iter().flatten().collect();
    packages.sort_by(|a, b| a.id.cmp(&b.id));
    packages.retain(|p| after_id.is_none_or(|id| p.id.as_str() > id));
    packages.truncate(limit as usize + 1);
    Ok(Page::from_overfetch(packages, limit, |p| p.id.clone()))
}

/// One account's summary.
#[derive(Clone, Debug)]
pub struct SummaryEntry {
    /// The account.
    pub account: String,
    /// Its provider.
    pub provider: ProviderKind,
    /// The figures.
    pub summary: PackageSummary,
}

/// Summaries of the selected accounts. An account named explicitly that cannot summarise
/// answers 501; when no account is named, such accounts are listed in the second value.
pub async fn summaries(
    registry: &Registry,
    principal: &Principal,
    requested: &[String],
) -> Result<(Vec<SummaryEntry>, Vec<String>), ServiceError> {
    let selected = select_accounts(registry, principal, requested)?;
    let explicit = !requested.is_empty();
    let results = try_join_all(selected.iter().map(|account| async move {
        match account.adapter.package_summary().await {
            Ok(summary) => Ok(Some(SummaryEntry {
                account: account.name.clone(),
                provider: account.kind,
                summary,
            })),
            Err(ProviderError::Unsupported { .. }) if !explicit => Ok(None),
            Err(e) => Err(ServiceError::provider(&account.name, e)),
        }
    }))
    .await?;
    let mut entries = Vec::new();
    let mut unsupported = Vec::new();
    for (account, result) in selected.iter().zip(results) {
        match result {
            Some(entry) => entries.push(entry),
            None => unsupported.push(account.name.clone()),
        }
    }
    Ok((entries, unsupported))
}
