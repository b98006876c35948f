//! Static IPs across accounts (listing merged with one cursor, stock per country) and the IP
//! batch and single-IP operations routed by id.

use super::listing::{ListCursor, merged_page};
use super::{UnknownAccount, resolve_account, select_capable};
use crate::domain::api_keys::Principal;
use crate::domain::idempotency::WriteContext;
use crate::domain::packages::Package;
use crate::domain::pagination::Page;
use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::static_ips::{Availability, StaticIp, StaticIpFilter};
use crate::providers::registry::Registry;
use crate::providers::{Capability, ProviderKind};
use crate::services::ServiceError;

/// A listing's filters in gateway terms.
#[derive(Clone, Debug, Default)]
pub struct StaticIpQuery {
    /// Only these accounts; every permitted one (that has static IPs) when empty.
    pub accounts: Vec<String>,
    /// Only this product.
    pub product: Option<Product>,
    /// Only this country.
    pub country: Option<String>,
    /// Only this IP batch's (it also selects its account).
    pub ip_batch: Option<ProxyUserId>,
}

/// One page of static IPs.
pub async fn list(
    registry: &Registry,
    principal: &Principal,
    query: &StaticIpQuery,
    cursor: Option<ListCursor>,
    limit: u32,
) -> Result<Page<StaticIp>, ServiceError> {
    let selected = match &query.ip_batch {
        Some(batch) => {
            if !query.accounts.is_empty() && !query.accounts.contains(&batch.account) {
                return Err(ServiceError::invalid_argument(
                    "ip_batch",
                    format!(
                        "ip_batch belongs to account '{}', which the account filter leaves out",
                        batch.account
                    ),
                ));
            }
            vec![resolve_account(
                registry,
                principal,
                &batch.account,
                UnknownAccount::InvalidArgument("ip_batch"),
            )?]
        }
        None => select_capable(
            registry,
            principal,
            &query.accounts,
            Capability::ListStaticIps,
        )?,
    };
    let filter = StaticIpFilter {
        product: query.product,
        country: query.country.clone(),
        ip_batch: query.ip_batch.as_ref().map(|b| b.upstream.clone()),
    };
    let filter = &filter;
    merged_page(&selected, cursor, limit, |account, inner, wanted| {
        Box::pin(async move {
            let page = account
                .adapter
                .list_static_ips(filter, inner.as_deref(), wanted)
                .await
                .map_err(|e| ServiceError::provider(&account.name, e))?;
            Ok((page.items, page.next_cursor))
        })
    })
    .await
}

/// Stock per country, per account.
pub async fn availability(
    registry: &Registry,
    principal: &Principal,
    accounts: &[String],
    product: Option<Product>,
    country: Option<&str>,
) -> Result<Vec<(String, ProviderKind, Availability)>, ServiceError> {
    let selected = select_capable(
        registry,
        principal,
        accounts,
        Capability::StaticIpAvailability,
    )?;
    let mut out = Vec::new();
    for account in selected {
        let rows = account
            .adapter
            .static_ip_availability(product, country)
            .await
            .map_err(|e| ServiceError::provider(&account.name, e))?;
        out.extend(
            rows.into_iter()
                .map(|r| (account.name.clone(), account.kind, r)),
        );
    }
    Ok(out)
}

/// What to do to an IP batch.
#[derive(Clone, Copy, Debug)]
pub enum BatchAction {
    /// Extend by this many months.
    Renew(u32),
    /// Replace every IP.
    Refresh,
}

/// Renews or refreshes an IP batch; the batch after.
pub async fn batch_action(
    registry: &Registry,
    principal: &Principal,
    batch: &ProxyUserId,
    action: BatchAction,
    ctx: &WriteContext,
) -> Result<Package, ServiceError> {
    let account = resolve_account(
        registry,
        principal,
        &batch.account,
        UnknownAccount::NotFound,
    )?;
    let result = match action {
        BatchAction::Renew(months) => {
            account
                .adapter
                .renew_ip_batch(&batch.upstream, months, ctx)
                .await
        }
        BatchAction::Refresh => account.adapter.refresh_ip_batch(&batch.upstream, ctx).await,
    };
    result.map_err(|e| ServiceError::provider(&account.name, e))
}

/// Replaces one static IP; the new one.
pub async fn replace(
    registry: &Registry,
    principal: &Principal,
    ip: &ProxyUserId,
    reason: &str,
    ctx: &WriteContext,
) -> Result<StaticIp, ServiceError> {
    let account = resolve_account(registry, principal, &ip.account, UnknownAccount::NotFound)?;
    account
        .adapter
        .replace_static_ip(&ip.upstream, reason, ctx)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}
