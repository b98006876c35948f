//! Sticky sessions and request samples across accounts: listings merged with one cursor (a
//! `proxy_user` filter selects its account), single sessions routed by id.

use super::listing::{ListCursor, merged_page};
use super::{UnknownAccount, resolve_account, select_accounts};
use crate::domain::api_keys::Principal;
use crate::domain::idempotency::WriteContext;
use crate::domain::pagination::Page;
use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::sessions::{RequestSample, StickySession, TrafficFilter};
use crate::providers::Capability;
use crate::providers::registry::{ProviderAccount, Registry};
use crate::services::ServiceError;

/// A listing's filters in gateway terms.
#[derive(Clone, Debug, Default)]
pub struct TrafficQuery {
    /// Only these accounts; every permitted one when empty.
    pub accounts: Vec<String>,
    /// Only this product.
    pub product: Option<Product>,
    /// Only this proxy user (it also selects its account).
    pub proxy_user: Option<ProxyUserId>,
}

impl TrafficQuery {
    /// The accounts to ask. Without an account named, those that cannot do `capability` are
    /// left out (a list over "every account" lists what exists); a named one answers 501.
    fn select<'a>(
        &self,
        registry: &'a Registry,
        principal: &Principal,
        capability: Capability,
    ) -> Result<Vec<&'a ProviderAccount>, ServiceError> {
        match &self.proxy_user {
            Some(user) => {
                if !self.accounts.is_empty() && !self.accounts.contains(&user.account) {
                    return Err(ServiceError::invalid_argument(
                        "proxy_user",
                        format!(
                            "proxy_user belongs to account '{}', which the account filter leaves out",
                            user.account
                        ),
                    ));
                }
                Ok(vec![resolve_account(
                    registry,
                    principal,
                    &user.account,
                    UnknownAccount::InvalidArgument("proxy_user"),
                )?])
            }
            None if self.accounts.is_empty() => Ok(select_accounts(registry, principal, &[])?
                .into_iter()
                .filter(|a| a.adapter.capabilities().contains(&capability))
                .collect()),
            None => select_accounts(registry, principal, &self.accounts),
        }
    }

    fn filter(&self) -> TrafficFilter {
        TrafficFilter {
            product: self.product,
            proxy_user: self.proxy_user.as_ref().map(|u| u.upstream.clone()),
        }
    }
}

/// One page of sessions.
pub async fn list_sessions(
    registry: &Registry,
    principal: &Principal,
    query: &TrafficQuery,
    cursor: Option<ListCursor>,
    limit: u32,
) -> Result<Page<StickySession>, ServiceError> {
    let selected = query.select(registry, principal, Capability::ListSessions)?;
    let filter = query.filter();
    let filter = &filter;
    merged_page(&selected, cursor, limit, |account, inner, wanted| {
        Box::pin(async move {
            let page = account
                .adapter
                .list_sessions(filter, inner.as_deref(), wanted)
                .await
                .map_err(|e| ServiceError::provider(&account.name, e))?;
            Ok((page.items, page.next_cursor))
        })
    })
    .await
}

/// One page of request samples.
pub async fn list_requests(
    registry: &Registry,
    principal: &Principal,
    query: &TrafficQuery,
    cursor: Option<ListCursor>,
    limit: u32,
) -> Result<Page<RequestSample>, ServiceError> {
    let selected = query.select(registry, principal, Capability::ListRequests)?;
    let filter = query.filter();
    let filter = &filter;
    merged_page(&selected, cursor, limit, |account, inner, wanted| {
        Box::pin(async move {
            let page = account
                .adapter
                .list_requests(filter, inner.as_deref(), wanted)
                .await
                .map_err(|e| ServiceError::provider(&account.name, e))?;
            Ok((page.items, page.next_cursor))
        })
    })
    .await
}

/// One session with its latest samples.
pub async fn get_session(
    registry: &Registry,
    principal: &Principal,
    id: &ProxyUserId,
) -> Result<StickySession, ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    account
        .adapter
        .get_session(&id.upstream)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}

/// Ends a session early.
pub async fn delete_session(
    registry: &Registry,
    principal: &Principal,
    id: &ProxyUserId,
    ctx: &WriteContext,
) -> Result<(), ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    account
        .adapter
        .delete_session(&id.upstream, ctx)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}
