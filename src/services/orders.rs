//! Orders across accounts (listing merged with one cursor), one order by id, placing an order
//! exactly once, and canceling one. Placing requires an Idempotency-Key: it is what lets a
//! retry after a cut connection find the order instead of buying it again.

use super::listing::{ListCursor, merged_page};
use super::{UnknownAccount, resolve_account, select_capable};
use crate::domain::api_keys::Principal;
use crate::domain::idempotency::WriteContext;
use crate::domain::orders::{Order, OrderFilter, OrderRequest};
use crate::domain::pagination::Page;
use crate::domain::proxy_users::ProxyUserId;
use crate::providers::Capability;
use crate::providers::registry::Registry;
use crate::services::ServiceError;

/// Where a keyed create journals the provider's watermark before its call.
const ORDER_MARK: &str = "order_mark";

/// One page of orders of the selected accounts (every permitted one that lists orders when
/// `accounts` is empty).
pub async fn list(
    registry: &Registry,
    principal: &Principal,
    accounts: &[String],
    filter: &OrderFilter,
    cursor: Option<ListCursor>,
    limit: u32,
) -> Result<Page<Order>, ServiceError> {
    let selected = select_capable(registry, principal, accounts, Capability::ListOrders)?;
    merged_page(&selected, cursor, limit, |account, inner, wanted| {
        Box::pin(async move {
            let page = account
                .adapter
                .list_orders(filter, inner.as_deref(), wanted)
                .await
                .map_err(|e| ServiceError::provider(&account.name, e))?;
            Ok((page.items, page.next_cursor))
        })
    })
    .await
}

/// One order.
pub async fn get(
    registry: &Registry,
    principal: &Principal,
    id: &ProxyUserId,
) -> Result<Order, ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    account
        .adapter
        .get_order(&id.upstream)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}

/// The objects an order names by their gateway ids; each must belong to the order's account.
#[derive(Clone, Debug, Default)]
pub struct OrderRefs {
    /// `payment_method` (from `GET /v1/payment-methods`).
    pub payment_method: Option<ProxyUserId>,
    /// `static_ips` to renew (from `GET /v1/static-ips`).
    pub static_ips: Vec<ProxyUserId>,
    /// `proxy_user` an ISP batch belongs to.
    pub proxy_user: Option<ProxyUserId>,
}

/// Places an order, exactly once per Idempotency-Key. A provider without idempotency of its
/// own (911) journals a watermark before the call; a retry of a write whose outcome was
/// unknown reconciles with what the provider holds before it sends anything.
pub async fn create(
    registry: &Registry,
    principal: &Principal,
    account: &str,
    mut request: OrderRequest,
    refs: OrderRefs,
    ctx: &WriteContext,
) -> Result<Order, ServiceError> {
    let account = resolve_account(
        registry,
        principal,
        account,
        UnknownAccount::InvalidArgument("account"),
    )?;
    let own = |field: &str, id: &ProxyUserId| -> Result<String, ServiceError> {
        if id.account == account.name {
            Ok(id.upstream.clone())
        } else {
            Err(ServiceError::invalid_argument(
                field,
                format!(
                    "{id} belongs to account '{}', not to the order's account '{}'",
                    id.account, account.name
                ),
            ))
        }
    };
    if let Some(id) = &refs.payment_method {
        request.payment_method = Some(own("payment_method", id)?);
    }
    if let Some(id) = &refs.proxy_user {
        request.proxy_user = Some(own("proxy_user", id)?);
    }
    request.static_ips = refs
        .static_ips
        .iter()
        .map(|id| own("static_ips", id))
        .collect::<Result<_, _>>()?;
    let Some(journal) = ctx.journal() else {
        return Err(ServiceError::invalid_argument(
            "Idempotency-Key",
            "placing an order requires an Idempotency-Key header: it is what keeps a retried order from being bought twice",
        ));
    };
    let fail = |e| ServiceError::provider(&account.name, e);
    match journal.get(ORDER_MARK) {
        // The first attempt journaled its watermark, so it may have sent the order.
        Some(mark) if journal.resumed() => {
            if let Some(placed) = account.adapter.reconcile_order(&mark).await.map_err(fail)? {
                tracing::info!(account = %account.name, order = %placed.id, "reconciled a keyed order: the provider already has it");
                return Ok(placed);
            }
        }
        _ => {
            if let Some(mark) = account
                .adapter
                .order_watermark(&request)
                .await
                .map_err(fail)?
            {
                journal.record(ORDER_MARK, mark).await?;
            }
        }
    }
    account
        .adapter
        .create_order(&request, ctx)
        .await
        .map_err(fail)
}

/// Cancels an order not yet paid; the order after.
pub async fn cancel(
    registry: &Registry,
    principal: &Principal,
    id: &ProxyUserId,
    ctx: &WriteContext,
) -> Result<Order, ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    account
        .adapter
        .cancel_order(&id.upstream, ctx)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}
