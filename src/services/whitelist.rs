//! Whitelist entries across accounts: listing merged in account order with one cursor, quotas
//! per account, and writes routed to the account that holds (or will hold) the entry. A
//! `proxy_user` or `ip_batch` id names its account, so it also narrows the accounts asked.

use futures::future::try_join_all;

use super::listing::{ListCursor, merged_page};
use super::{UnknownAccount, resolve_account, select_accounts};
use crate::domain::api_keys::Principal;
use crate::domain::idempotency::WriteContext;
use crate::domain::pagination::Page;
use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::whitelist::{
    NewWhitelistEntry, SourceIp, WhitelistEntry, WhitelistEntryId, WhitelistFilter, WhitelistQuota,
};
use crate::providers::ProviderKind;
use crate::providers::registry::{ProviderAccount, Registry};
use crate::services::ServiceError;

/// A listing's or a quota's filters, in gateway terms.
#[derive(Clone, Debug, Default)]
pub struct WhitelistQuery {
    /// Only these accounts; every permitted one when empty.
    pub accounts: Vec<String>,
    /// Only this product.
    pub product: Option<Product>,
    /// Only entries of this proxy user (`<account>:<upstream id>`).
    pub proxy_user: Option<ProxyUserId>,
    /// Only entries of this IP batch (`<account>:<upstream id>`).
    pub ip_batch: Option<ProxyUserId>,
}

impl WhitelistQuery {
    /// The account a scope id names, checked against the account filter.
    fn scoped_account(&self) -> Result<Option<(&'static str, &str)>, ServiceError> {
        let scoped = match (&self.proxy_user, &self.ip_batch) {
            (Some(user), Some(batch)) if user.account != batch.account => {
                return Err(ServiceError::invalid_argument(
                    "ip_batch",
                    "proxy_user and ip_batch belong to different accounts",
                ));
            }
            (Some(user), _) => Some(("proxy_user", user.account.as_str())),
            (None, Some(batch)) => Some(("ip_batch", batch.account.as_str())),
            (None, None) => None,
        };
        if let Some((field, account)) = scoped
            && !self.accounts.is_empty()
            && !self.accounts.iter().any(|a| a == account)
        {
            return Err(ServiceError::invalid_argument(
                field,
                format!(
                    "{field} belongs to account '{account}', which the account filter leaves out"
                ),
            ));
        }
        Ok(scoped)
    }

    /// The adapter's filter (scope ids reduced to their upstream part).
    fn filter(&self) -> WhitelistFilter {
        WhitelistFilter {
            product: self.product,
            proxy_user: self.proxy_user.as_ref().map(|u| u.upstream.clone()),
            ip_batch: self.ip_batch.as_ref().map(|b| b.upstream.clone()),
        }
    }

    /// The accounts to ask.
    fn select<'a>(
        &self,
        registry: &'a Registry,
        principal: &Principal,
    ) -> Result<Vec<&'a ProviderAccount>, ServiceError> {
        match self.scoped_account()? {
            Some((field, account)) => Ok(vec![resolve_account(
                registry,
                principal,
                account,
                UnknownAccount::InvalidArgument(field),
            )?]),
            None => select_accounts(registry, principal, &self.accounts),
        }
    }
}

/// One page of whitelist entries.
pub async fn list(
    registry: &Registry,
    principal: &Principal,
    query: &WhitelistQuery,
    cursor: Option<ListCursor>,
    limit: u32,
) -> Result<Page<WhitelistEntry>, ServiceError> {
    let selected = query.select(registry, principal)?;
    let filter = query.filter();
    let filter = &filter;
    merged_page(&selected, cursor, limit, |account, inner, wanted| {
        Box::pin(async move {
            let page = account
                .adapter
                .list_whitelist(filter, inner.as_deref(), wanted)
                .await
                .map_err(|e| ServiceError::provider(&account.name, e))?;
            Ok((page.entries, page.next_cursor))
        })
    })
    .await
}

/// The quotas of one account.
#[derive(Clone, Debug)]
pub struct AccountQuotas {
    /// The account.
    pub account: String,
    /// Its provider.
    pub provider: ProviderKind,
    /// One row per scope.
    pub scopes: Vec<WhitelistQuota>,
}

/// Quotas of the selected accounts, in account order.
pub async fn quotas(
    registry: &Registry,
    principal: &Principal,
    query: &WhitelistQuery,
) -> Result<Vec<AccountQuotas>, ServiceError> {
    let selected = query.select(registry, principal)?;
    let filter = query.filter();
    try_join_all(selected.iter().map(|account| {
        let filter = &filter;
        async move {
            let scopes = account
                .adapter
                .whitelist_quota(filter)
                .await
                .map_err(|e| ServiceError::provider(&account.name, e))?;
            Ok(AccountQuotas {
                account: account.name.clone(),
                provider: account.kind,
                scopes,
            })
        }
    }))
    .await
}

/// What a caller asks to whitelist, in gateway terms.
#[derive(Clone, Debug)]
pub struct NewEntry {
    /// The account to add it in.
    pub account: String,
    /// The address or range.
    pub ip: SourceIp,
    /// The product.
    pub product: Option<Product>,
    /// The proxy user (its account must be `account`).
    pub proxy_user: Option<ProxyUserId>,
    /// The IP batch (its account must be `account`).
    pub ip_batch: Option<ProxyUserId>,
    /// The package (911 `residential_ip`; its account must be `account`).
    pub package: Option<ProxyUserId>,
    /// Free text.
    pub label: Option<String>,
}

/// Adds an entry in one account (rules, duplicates and the cap checked by its adapter first).
pub async fn create(
    registry: &Registry,
    principal: &Principal,
    new: NewEntry,
    ctx: &WriteContext,
) -> Result<WhitelistEntry, ServiceError> {
    let account = resolve_account(
        registry,
        principal,
        &new.account,
        UnknownAccount::InvalidArgument("account"),
    )?;
    let upstream = |field: &'static str, id: Option<ProxyUserId>| match id {
        Some(id) if id.account != account.name => Err(ServiceError::invalid_argument(
            field,
            format!(
                "{field} belongs to account '{}', not to '{}'",
                id.account, account.name
            ),
        )),
        other => Ok(other.map(|id| id.upstream)),
    };
    let entry = NewWhitelistEntry {
        ip: new.ip,
        product: new.product,
        proxy_user: upstream("proxy_user", new.proxy_user)?,
        ip_batch: upstream("ip_batch", new.ip_batch)?,
        package: upstream("package", new.package)?,
        label: new.label,
    };
    account
        .adapter
        .add_whitelist_entry(&entry, ctx)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}

/// Removes an entry.
pub async fn delete(
    registry: &Registry,
    principal: &Principal,
    id: &WhitelistEntryId,
    ctx: &WriteContext,
) -> Result<(), ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    account
        .adapter
        .delete_whitelist_entry(&id.upstream, ctx)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}
