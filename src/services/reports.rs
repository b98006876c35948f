//! Reports and their runs, routed by account or id, across accounts for the listing. A
//! provider without reports answers 501 for each operation by name.

use super::listing::{ListCursor, merged_page};
use super::{UnknownAccount, resolve_account, select_capable};
use crate::domain::api_keys::Principal;
use crate::domain::download::Download;
use crate::domain::idempotency::WriteContext;
use crate::domain::pagination::Page;
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::reports::{NewReport, Report, ReportKind, ReportPatch, ReportRun};
use crate::providers::registry::{ProviderAccount, Registry};
use crate::providers::{Capability, ProviderError, ReportsAdapter};
use crate::services::ServiceError;

/// The account's reports, or 501 naming `capability`.
fn reports_of(
    account: &ProviderAccount,
    capability: Capability,
) -> Result<&dyn ReportsAdapter, ServiceError> {
    account.adapter.reports().ok_or_else(|| {
        ServiceError::provider(&account.name, ProviderError::unsupported(capability))
    })
}

/// One page of the selected accounts' reports.
pub async fn list(
    registry: &Registry,
    principal: &Principal,
    accounts: &[String],
    kind: Option<ReportKind>,
    cursor: Option<ListCursor>,
    limit: u32,
) -> Result<Page<Report>, ServiceError> {
    let selected = select_capable(registry, principal, accounts, Capability::ListReports)?;
    merged_page(&selected, cursor, limit, |account, inner, wanted| {
        Box::pin(async move {
            let page = reports_of(account, Capability::ListReports)?
                .list_reports(kind, inner.as_deref(), wanted)
                .await
                .map_err(|e| ServiceError::provider(&account.name, e))?;
            Ok((page.items, page.next_cursor))
        })
    })
    .await
}

/// Creates a report at `account`.
pub async fn create(
    registry: &Registry,
    principal: &Principal,
    account: &str,
    new: &NewReport,
    ctx: &WriteContext,
) -> Result<Report, ServiceError> {
    let account = resolve_account(
        registry,
        principal,
        account,
        UnknownAccount::InvalidArgument("account"),
    )?;
    reports_of(account, Capability::CreateReport)?
        .create_report(new, ctx)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}

/// One report.
pub async fn get(
    registry: &Registry,
    principal: &Principal,
    id: &ProxyUserId,
) -> Result<Report, ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    reports_of(account, Capability::GetReport)?
        .get_report(&id.upstream)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}

/// Changes one report.
pub async fn update(
    registry: &Registry,
    principal: &Principal,
    id: &ProxyUserId,
    patch: &ReportPatch,
    ctx: &WriteContext,
) -> Result<Report, ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    let reports = reports_of(account, Capability::UpdateReport)?;
    if patch.is_empty() {
        return Err(ServiceError::invalid_argument(
            "body",
            "the patch changes nothing: name name, products, schedule, format or destination",
        ));
    }
    reports
        .update_report(&id.upstream, patch, ctx)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}

/// Runs one report now.
pub async fn run(
    registry: &Registry,
    principal: &Principal,
    id: &ProxyUserId,
    ctx: &WriteContext,
) -> Result<ReportRun, ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    reports_of(account, Capability::RunReport)?
        .run_report(&id.upstream, ctx)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}

/// Deletes one report and its runs.
pub async fn delete(
    registry: &Registry,
    principal: &Principal,
    id: &ProxyUserId,
    ctx: &WriteContext,
) -> Result<(), ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    reports_of(account, Capability::DeleteReport)?
        .delete_report(&id.upstream, ctx)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}

/// One run.
pub async fn get_run(
    registry: &Registry,
    principal: &Principal,
    id: &ProxyUserId,
) -> Result<ReportRun, ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    reports_of(account, Capability::GetReportRun)?
        .get_report_run(&id.upstream)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}

/// A succeeded run's file, as it arrives.
pub async fn run_file(
    registry: &Registry,
    principal: &Principal,
    id: &ProxyUserId,
) -> Result<Download, ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    reports_of(account, Capability::DownloadReportRun)?
        .report_file(&id.upstream)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}
