//! The report operations (helodata §5.9) as a trait of their own: a provider that has reports
//! hands one out from `ProviderAdapter::reports`, one that has none keeps the default `None`
//! and every report route answers 501 for it.

use async_trait::async_trait;

use super::{ItemPage, ProviderError};
use crate::domain::download::Download;
use crate::domain::idempotency::WriteContext;
use crate::domain::reports::{NewReport, Report, ReportKind, ReportPatch, ReportRun};

/// Reports and their runs at one account.
#[async_trait]
pub trait ReportsAdapter: Send + Sync {
    /// A page of report definitions (each with its recent runs).
    async fn list_reports(
        &self,
        kind: Option<ReportKind>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ItemPage<Report>, ProviderError>;

    /// Creates a report.
    async fn create_report(
        &self,
        new: &NewReport,
        ctx: &WriteContext,
    ) -> Result<Report, ProviderError>;

    /// One report.
    async fn get_report(&self, upstream_id: &str) -> Result<Report, ProviderError>;

    /// Changes a report; the report after.
    async fn update_report(
        &self,
        upstream_id: &str,
        patch: &ReportPatch,
        ctx: &WriteContext,
    ) -> Result<Report, ProviderError>;

    /// Deletes a report and its runs.
    async fn delete_report(
        &self,
        upstream_id: &str,
        ctx: &WriteContext,
    ) -> Result<(), ProviderError>;

    /// Runs a report now; the run (still running).
    async fn run_report(
        &self,
        upstream_id: &str,
        ctx: &WriteContext,
    ) -> Result<ReportRun, ProviderError>;

    /// One run.
    async fn get_report_run(&self, upstream_id: &str) -> Result<ReportRun, ProviderError>;

    /// A succeeded run's file, streamed.
    async fn report_file(&self, upstream_id: &str) -> Result<Download, ProviderError>;
}
