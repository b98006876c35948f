//! `/v1/reports` and `/v1/report-runs`: helodata's scheduled or on-demand exports (traffic,
//! request samples, invoice lines, proxy users, IP batches) delivered by email, webhook, S3 or
//! GCS, and their runs. A webhook destination's `signing_secret` is passed to helodata and
//! never stored, shown or audited by the gateway; a run's download URL is not shown either (a
//! pre-signed URL is a credential). 501 on 911Proxy, which has no reports.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::common::{
    AccountName, CursorText, ProductName, ProviderName, RequestedProduct, ScopedIdText,
};
use super::files::streamed;
use super::pagination::{accounts_link, accounts_position};
use super::problems::{DownloadErrors, ReadErrors, WriteErrors};
use super::scoped::{provider_of, scoped_id};
use crate::domain::api_keys::Scope;
use crate::domain::idempotency::WriteContext;
use crate::domain::pagination::Cursor;
use crate::domain::reports::{NewReport, Report, ReportKind, ReportPatch, ReportRun, RunStatus};
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery, OptionalJson};
use crate::http::state::AppState;
use crate::services::reports as service;

/// What a report contains.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportKindName {
    /// Traffic per proxy user, product and day.
    Traffic,
    /// The sampled request log.
    Requests,
    /// Invoice line items.
    Invoices,
    /// The proxy-user inventory.
    ProxyUsers,
    /// IP batches with per-IP health.
    IpBatches,
    /// A kind the gateway does not know (in answers only); see `provider_data`.
    #[serde(skip_deserializing)]
    Other,
}

impl From<ReportKindName> for ReportKind {
    fn from(k: ReportKindName) -> Self {
        match k {
            ReportKindName::Traffic => ReportKind::Traffic,
            ReportKindName::Requests => ReportKind::Requests,
            ReportKindName::Invoices => ReportKind::Invoices,
            ReportKindName::ProxyUsers => ReportKind::ProxyUsers,
            ReportKindName::IpBatches => ReportKind::IpBatches,
            ReportKindName::Other => ReportKind::Other,
        }
    }
}

impl From<ReportKind> for ReportKindName {
    fn from(k: ReportKind) -> Self {
        match k {
            ReportKind::Traffic => ReportKindName::Traffic,
            ReportKind::Requests => ReportKindName::Requests,
            ReportKind::Invoices => ReportKindName::Invoices,
            ReportKind::ProxyUsers => ReportKindName::ProxyUsers,
            ReportKind::IpBatches => ReportKindName::IpBatches,
            ReportKind::Other => ReportKindName::Other,
        }
    }
}

/// One run of a report.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportRunView {
    /// `<account>:run_…`.
    #[schema(value_type = ScopedIdText, example = "helodata:run_01HX2K3PQ4M5")]
    pub id: String,
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// The report it ran.
    #[schema(value_type = Option<ScopedIdText>)]
    pub report: Option<String>,
    /// `running`, `succeeded`, `failed` or `other`.
    #[schema(example = "succeeded")]
    pub status: &'static str,
    /// Started, UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// Finished, UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    pub completed_at: Option<OffsetDateTime>,
    /// Whether helodata offers the run's file now.
    pub download_available: bool,
    /// Until when the file can be downloaded, UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    pub download_expires_at: Option<OffsetDateTime>,
    /// The provider's object, without its download URL.
    #[schema(value_type = Object)]
    pub provider_data: Value,
}

impl From<ReportRun> for ReportRunView {
    fn from(r: ReportRun) -> Self {
        ReportRunView {
            id: r.id.to_string(),
            account: r.id.account.clone(),
            report: r.report,
            status: match r.status {
                RunStatus::Running => "running",
                RunStatus::Succeeded => "succeeded",
                RunStatus::Failed => "failed",
                RunStatus::Other => "other",
            },
            created_at: r.created_at,
            completed_at: r.completed_at,
            download_available: r.download_available,
            download_expires_at: r.download_expires_at,
            provider_data: r.provider_data,
        }
    }
}

/// One report definition.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportView {
    /// `<account>:rep_…`.
    #[schema(value_type = ScopedIdText, example = "helodata:rep_01HX2K3PQ4M5")]
    pub id: String,
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// Its provider.
    pub provider: ProviderName,
    /// Its name.
    pub name: String,
    /// What it contains.
    #[serde(rename = "type")]
    pub kind: ReportKindName,
    /// Only these products (empty: all).
    pub products: Vec<ProductName>,
    /// A 5-field cron expression (UTC), or `null`: on demand only.
    pub schedule: Option<String>,
    /// File format.
    pub format: Option<String>,
    /// Where it is delivered (a webhook's `signing_secret` is never shown).
    #[schema(value_type = Object)]
    pub destination: Value,
    /// Created, UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// Last changed, UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    pub updated_at: Option<OffsetDateTime>,
    /// Its most recent runs, newest first.
    pub recent_runs: Vec<ReportRunView>,
    /// The provider's object, without secrets or download URLs.
    #[schema(value_type = Object)]
    pub provider_data: Value,
}

impl ReportView {
    fn from_domain(r: Report, state: &AppState) -> Result<Self, ApiError> {
        Ok(ReportView {
            id: r.id.to_string(),
            account: r.id.account.clone(),
            provider: provider_of(state, &r.id.account)?,
            name: r.name,
            kind: r.kind.into(),
            products: r.products.into_iter().map(Into::into).collect(),
            schedule: r.schedule,
            format: r.format,
            destination: r.destination,
            created_at: r.created_at,
            updated_at: r.updated_at,
            recent_runs: r.recent_runs.into_iter().map(Into::into).collect(),
            provider_data: r.provider_data,
        })
    }
}

/// A page of reports.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReportList {
    /// By account, then in the provider's order.
    pub data: Vec<ReportView>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    #[schema(value_type = Option<CursorText>)]
    pub next_cursor: Option<String>,
}

/// Filters and paging of the listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only these accounts (repeat the parameter); default: every account the key may use.
    #[serde(default)]
    #[param(value_type = Option<Vec<AccountName>>, explode = true, style = Form)]
    pub account: Vec<String>,
    /// Only this type.
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub kind: Option<ReportKindName>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<CursorText>)]
    pub cursor: Option<String>,
    /// Items per page, 1–100 (default 50).
    #[serde(default, deserialize_with = "super::common::query_u32")]
    #[param(minimum = 1, maximum = 100, example = 50)]
    pub limit: Option<u32>,
}

/// How a report is delivered.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DestinationType {
    /// To `email`.
    Email,
    /// POSTed to `url`, signed with `signing_secret`.
    Webhook,
    /// Into `bucket`/`prefix`, assuming `role_arn`.
    S3,
    /// Into `bucket`/`prefix`, as `service_account_email`.
    Gcs,
}

impl DestinationType {
    fn as_str(self) -> &'static str {
        match self {
            DestinationType::Email => "email",
            DestinationType::Webhook => "webhook",
            DestinationType::S3 => "s3",
            DestinationType::Gcs => "gcs",
        }
    }
}

/// Where a report is delivered, with the fields its type needs (helodata §5.9): `email`;
/// `webhook`: `url`, `signing_secret`; `s3`: `bucket`, `prefix`, `role_arn`; `gcs`: `bucket`,
/// `prefix`, `service_account_email`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"type": "email", "email": "ops@example.com"}))]
pub struct Destination {
    /// How it is delivered.
    #[serde(rename = "type")]
    pub kind: DestinationType,
    /// email: the address.
    pub email: Option<String>,
    /// webhook: where to POST.
    pub url: Option<String>,
    /// webhook: the signing secret (write-only: passed to helodata, never shown or audited).
    #[schema(write_only)]
    pub signing_secret: Option<String>,
    /// s3, gcs: the bucket.
    pub bucket: Option<String>,
    /// s3, gcs: the key prefix.
    pub prefix: Option<String>,
    /// s3: the role to assume.
    pub role_arn: Option<String>,
    /// gcs: the service account.
    pub service_account_email: Option<String>,
}

impl Destination {
    /// The fields given, as helodata takes them.
    fn into_map(self) -> Map<String, Value> {
        let mut map = Map::new();
        map.insert("type".into(), Value::String(self.kind.as_str().into()));
        for (key, value) in [
            ("email", self.email),
            ("url", self.url),
            ("signing_secret", self.signing_secret),
            ("bucket", self.bucket),
            ("prefix", self.prefix),
            ("role_arn", self.role_arn),
            ("service_account_email", self.service_account_email),
        ] {
            if let Some(v) = value {
                map.insert(key.into(), Value::String(v));
            }
        }
        map
    }
}

/// A report to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReport {
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// Its name: 1–64 of `A-Z a-z 0-9 space . _ -`.
    #[schema(example = "weekly-traffic")]
    pub name: String,
    /// What it contains.
    #[serde(rename = "type")]
    pub kind: ReportKindName,
    /// Only these products (`residential`, `mobile`, `isp`); default: all.
    #[serde(default)]
    pub products: Vec<RequestedProduct>,
    /// A 5-field cron expression, UTC (`0 9 * * MON`); absent: on demand only.
    #[schema(example = "0 9 * * MON")]
    pub schedule: Option<String>,
    /// File format: `csv`.
    #[schema(example = "csv")]
    pub format: Option<String>,
    /// Where it is delivered.
    pub destination: Destination,
}

/// A change to a report (at least one field; `schedule: null` makes it on demand only).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateReport {
    /// Another name.
    pub name: Option<String>,
    /// Other products.
    pub products: Option<Vec<RequestedProduct>>,
    /// Another schedule, or `null` for none.
    #[serde(default, deserialize_with = "crate::api::common::double_option")]
    #[schema(value_type = Option<String>)]
    pub schedule: Option<Option<String>>,
    /// Another format.
    pub format: Option<String>,
    /// Another destination.
    pub destination: Option<Destination>,
}

/// Lists the accounts' reports, each with its recent runs (helodata; 501 on 911Proxy).
#[utoipa::path(get, path = "/reports",
    extensions(("x-audit" = json!({"operation": "reports.list", "resource": "report", "account": "query"}))),
    tag = "billing", params(ListParams),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "A page of reports.", body = ReportList,
         headers(("Link" = String, description = "`<…?cursor=…&limit=…>; rel=\"next\"` when there is a next page"))),
        ReadErrors,
    ))]
pub async fn list_reports(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let (limit, cursor) = accounts_position(params.limit, 100, params.cursor.as_deref())?;
    let page = service::list(
        &state.providers,
        principal,
        &params.account,
        params.kind.map(Into::into),
        cursor,
        limit,
    )
    .await?;
    let headers = accounts_link("/v1/reports", &page, limit, &params.account);
    let body = ReportList {
        next_cursor: page.next.as_ref().map(Cursor::encode),
        data: page
            .items
            .into_iter()
            .map(|r| ReportView::from_domain(r, &state))
            .collect::<Result<_, _>>()?,
    };
    Ok((headers, Json(body)).into_response())
}

/// Creates a report (helodata; 501 on 911Proxy).
#[utoipa::path(post, path = "/reports",
    extensions(("x-audit" = json!({"operation": "reports.create", "resource": "report", "account": "body", "ids": "response_id"}))),
    tag = "billing", request_body = CreateReport,
    security(("api_key" = [])),
    responses((status = 201, description = "The report.", body = ReportView), WriteErrors))]
pub async fn create_report(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    ApiJson(body): ApiJson<CreateReport>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Write)?;
    let new = NewReport {
        name: body.name,
        kind: body.kind.into(),
        products: body.products.into_iter().map(Into::into).collect(),
        schedule: body.schedule,
        format: body.format,
        destination: body.destination.into_map(),
    };
    let created = service::create(&state.providers, principal, &body.account, &new, &ctx).await?;
    let view = ReportView::from_domain(created, &state)?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// One report with its recent runs (helodata; 501 on 911Proxy).
#[utoipa::path(get, path = "/reports/{id}",
    extensions(("x-audit" = json!({"operation": "reports.get", "resource": "report", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "billing",
    params(("id" = ScopedIdText, Path, description = "`<account>:rep_…`", example = "helodata:rep_01HX2K3PQ4M5")),
    security(("api_key" = [])),
    responses((status = 200, description = "The report.", body = ReportView), ReadErrors))]
pub async fn get_report(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ReportView>, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let id = scoped_id("id", &id)?;
    let found = service::get(&state.providers, principal, &id).await?;
    Ok(Json(ReportView::from_domain(found, &state)?))
}

/// Changes a report's name, products, schedule, format or destination.
#[utoipa::path(patch, path = "/reports/{id}",
    extensions(("x-audit" = json!({"operation": "reports.update", "resource": "report", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "billing", request_body = UpdateReport,
    params(("id" = ScopedIdText, Path, description = "`<account>:rep_…`", example = "helodata:rep_01HX2K3PQ4M5")),
    security(("api_key" = [])),
    responses((status = 200, description = "The report after.", body = ReportView), WriteErrors))]
pub async fn update_report(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateReport>,
) -> Result<Json<ReportView>, ApiError> {
    let principal = caller.require(Scope::Write)?;
    let id = scoped_id("id", &id)?;
    let patch = ReportPatch {
        name: body.name,
        products: body
            .products
            .map(|ps| ps.into_iter().map(Into::into).collect()),
        schedule: body.schedule,
        format: body.format,
        destination: body.destination.map(Destination::into_map),
    };
    let changed = service::update(&state.providers, principal, &id, &patch, &ctx).await?;
    Ok(Json(ReportView::from_domain(changed, &state)?))
}

/// Deletes a report and its runs.
#[utoipa::path(delete, path = "/reports/{id}",
    extensions(("x-audit" = json!({"operation": "reports.delete", "resource": "report", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "billing",
    params(("id" = ScopedIdText, Path, description = "`<account>:rep_…`", example = "helodata:rep_01HX2K3PQ4M5")),
    security(("api_key" = [])),
    responses((status = 204, description = "Deleted."), WriteErrors))]
pub async fn delete_report(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let principal = caller.require(Scope::Write)?;
    let id = scoped_id("id", &id)?;
    service::delete(&state.providers, principal, &id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Runs a report now; the run, `running` until helodata has produced it.
#[utoipa::path(post, path = "/reports/{id}/run",
    extensions(("x-audit" = json!({"operation": "reports.run", "resource": "report", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "billing", request_body(content = Option<Object>, description = "Empty."),
    params(("id" = ScopedIdText, Path, description = "`<account>:rep_…`", example = "helodata:rep_01HX2K3PQ4M5")),
    security(("api_key" = [])),
    responses((status = 202, description = "The run, started.", body = ReportRunView), WriteErrors))]
pub async fn run_report(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    Path(id): Path<String>,
    OptionalJson(_body): OptionalJson<Option<Map<String, Value>>>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Write)?;
    let id = scoped_id("id", &id)?;
    let run = service::run(&state.providers, principal, &id, &ctx).await?;
    Ok((StatusCode::ACCEPTED, Json(ReportRunView::from(run))).into_response())
}

/// One run: its status, and whether and until when its file can be downloaded.
#[utoipa::path(get, path = "/report-runs/{id}",
    extensions(("x-audit" = json!({"operation": "report_runs.get", "resource": "report_run", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "billing",
    params(("id" = ScopedIdText, Path, description = "`<account>:run_…`", example = "helodata:run_01HX2K3PQ4M5")),
    security(("api_key" = [])),
    responses((status = 200, description = "The run.", body = ReportRunView), ReadErrors))]
pub async fn get_report_run(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ReportRunView>, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let id = scoped_id("id", &id)?;
    let run = service::get_run(&state.providers, principal, &id).await?;
    Ok(Json(run.into()))
}

/// A succeeded run's file (CSV), streamed from helodata's download link as it arrives; 409
/// while the run has none. The link itself is never shown, and the gateway follows it only
/// on helodata's hosts.
#[utoipa::path(get, path = "/report-runs/{id}/download",
    extensions(("x-audit" = json!({"operation": "report_runs.download", "resource": "report_run", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "billing",
    params(("id" = ScopedIdText, Path, description = "`<account>:run_…`", example = "helodata:run_01HX2K3PQ4M5")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The run's file.", content_type = "text/csv", body = String,
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"….csv\"`"))),
        DownloadErrors,
    ))]
pub async fn download_report_run(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let id = scoped_id("id", &id)?;
    let file = service::run_file(&state.providers, principal, &id).await?;
    Ok(streamed(file))
}
