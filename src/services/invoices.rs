//! Invoices across accounts (one cursor), one invoice, and its PDF passed through as it
//! arrives.

use super::listing::{ListCursor, merged_page};
use super::{UnknownAccount, resolve_account, select_capable};
use crate::domain::api_keys::Principal;
use crate::domain::download::Download;
use crate::domain::invoices::{Invoice, InvoiceFilter};
use crate::domain::pagination::Page;
use crate::domain::proxy_users::ProxyUserId;
use crate::providers::Capability;
use crate::providers::registry::Registry;
use crate::services::ServiceError;

/// One page of the selected accounts' invoices.
pub async fn list(
    registry: &Registry,
    principal: &Principal,
    accounts: &[String],
    filter: &InvoiceFilter,
    cursor: Option<ListCursor>,
    limit: u32,
) -> Result<Page<Invoice>, ServiceError> {
    let selected = select_capable(registry, principal, accounts, Capability::ListInvoices)?;
    merged_page(&selected, cursor, limit, |account, inner, wanted| {
        Box::pin(async move {
            let page = account
                .adapter
                .list_invoices(filter, inner.as_deref(), wanted)
                .await
                .map_err(|e| ServiceError::provider(&account.name, e))?;
            Ok((page.items, page.next_cursor))
        })
    })
    .await
}

/// One invoice.
pub async fn get(
    registry: &Registry,
    principal: &Principal,
    id: &ProxyUserId,
) -> Result<Invoice, ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    account
        .adapter
        .get_invoice(&id.upstream)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}

/// An invoice's PDF, as it arrives from the provider.
pub async fn pdf(
    registry: &Registry,
    principal: &Principal,
    id: &ProxyUserId,
) -> Result<Download, ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    account
        .adapter
        .invoice_pdf(&id.upstream)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}
