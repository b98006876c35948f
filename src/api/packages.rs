//! `/v1/packages`: purchased packages (911 user products; helodata subscriptions and ISP
//! batches) and per-account summaries in bytes.

use axum::Json;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::common::{AccountName, CursorText, ProductName, ProviderName};
use super::pagination::accounts_link;
use super::problems::ReadErrors;
use crate::domain::api_keys::Scope;
use crate::domain::packages::{Package, PackageKind, PackageStatus};
use crate::domain::pagination::{Cursor, page_limit};
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::state::AppState;
use crate::services::packages::{self as service, SummaryEntry};

/// Which accounts, and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PackageParams {
    /// Only these accounts (repeat the parameter); default: every account the key may use.
    #[serde(default)]
    #[param(value_type = Option<Vec<AccountName>>, explode = true, style = Form)]
    pub account: Vec<String>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<CursorText>)]
    pub cursor: Option<String>,
    /// Items per page, 1–200 (default 50).
    #[serde(default, deserialize_with = "super::common::query_u32")]
    #[param(minimum = 1, maximum = 200, example = 50)]
    pub limit: Option<u32>,
}

/// What kind of purchase a package is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PackageKindName {
    /// A traffic or time package (911 user product).
    Package,
    /// A recurring subscription (helodata).
    Subscription,
    /// A batch of static IPs (helodata ISP).
    IpBatch,
}

impl From<PackageKind> for PackageKindName {
    fn from(kind: PackageKind) -> Self {
        match kind {
            PackageKind::Package => PackageKindName::Package,
            PackageKind::Subscription => PackageKindName::Subscription,
            PackageKind::IpBatch => PackageKindName::IpBatch,
        }
    }
}

/// Where a package is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PackageStatusName {
    /// In force.
    Active,
    /// Being set up (helodata ISP batch provisioning).
    Pending,
    /// Paused or cancelled, still in force until its end.
    Ending,
    /// Past its end.
    Expired,
    /// A state the gateway does not know; see `provider_data`.
    Other,
}

impl From<PackageStatus> for PackageStatusName {
    fn from(status: PackageStatus) -> Self {
        match status {
            PackageStatus::Active => PackageStatusName::Active,
            PackageStatus::Pending => PackageStatusName::Pending,
            PackageStatus::Ending => PackageStatusName::Ending,
            PackageStatus::Expired => PackageStatusName::Expired,
            PackageStatus::Other => PackageStatusName::Other,
        }
    }
}

/// One package.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageView {
    /// `<account>:<upstream id>`.
    #[schema(example = "911proxy:8812")]
    pub id: String,
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// `package` (911), `subscription` or `ip_batch` (helodata).
    pub kind: PackageKindName,
    /// The product.
    pub product: ProductName,
    /// The provider's name or plan.
    pub name: Option<String>,
    /// Where the package is in its life.
    pub status: PackageStatusName,
    /// Traffic included, in bytes, where stated.
    pub traffic_included_bytes: Option<u64>,
    /// Number of IPs, for IP packages.
    pub ip_count: Option<u64>,
    /// Start (UTC).
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// End: expiry or next renewal (UTC).
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// The provider's object.
    #[schema(value_type = Object)]
    pub provider_data: serde_json::Value,
}

impl From<Package> for PackageView {
    fn from(p: Package) -> Self {
        PackageView {
            id: p.id,
            account: p.account,
            kind: p.kind.into(),
            product: p.product.into(),
            name: p.name,
            status: p.status.into(),
            traffic_included_bytes: p.traffic_included_bytes,
            ip_count: p.ip_count,
            created_at: p.created_at,
            expires_at: p.expires_at,
            provider_data: p.provider_data,
        }
    }
}

/// One page of packages.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageList {
    /// Ordered by id.
    pub data: Vec<PackageView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// Packages across accounts.
#[utoipa::path(get, path = "/packages",
    extensions(("x-audit" = json!({"operation": "packages.list", "account": "query"}))),
    tag = "packages", params(PackageParams),
    security(("api_key" = [])),
    responses((status = 200, description = "A page of packages.", body = PackageList,
               headers(("Link" = String, description = "`<…?cursor=…&limit=…>; rel=\"next\"` when there is a next page"))), ReadErrors))]
pub async fn list_packages(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<PackageParams>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let limit = page_limit(params.limit)
        .map_err(|e| ApiError::invalid_argument("limit", format!("limit {e}")))?;
    let cursor = params
        .cursor
        .as_deref()
        .map(Cursor::decode)
        .transpose()
        .map_err(|e| ApiError::invalid_argument("cursor", format!("cursor {e}")))?;
    let page = service::list(
        &state.providers,
        principal,
        &params.account,
        cursor.as_ref(),
        limit,
    )
    .await?;
    let headers = accounts_link("/v1/packages", &page, limit, &params.account);
    let body = PackageList {
        next_cursor: page.next.as_ref().map(Cursor::encode),
        data: page.items.into_iter().map(PackageView::from).collect(),
    };
    Ok((headers, Json(body)).into_response())
}

/// Which accounts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SummaryParams {
    /// Only these accounts (repeat the parameter); default: every account the key may use.
    #[serde(default)]
    #[param(value_type = Option<Vec<AccountName>>, explode = true, style = Form)]
    pub account: Vec<String>,
}

/// One account's package totals, in bytes; unknown figures are `null`.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageSummaryView {
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// The account's provider.
    pub provider: ProviderName,
    /// Every package's traffic.
    pub total_bytes: Option<u64>,
    /// Number of packages.
    pub total_count: Option<u64>,
    /// Traffic still usable in packages in force.
    pub remaining_bytes: Option<u64>,
    /// Packages in force.
    pub active_count: Option<u64>,
    /// Traffic used.
    pub used_bytes: Option<u64>,
    /// Traffic in packages that expire within 7 days.
    pub expiring_soon_bytes: Option<u64>,
    /// Packages that expire within 7 days.
    pub expiring_soon_count: Option<u64>,
    /// Unused traffic in expired packages.
    pub expired_bytes: Option<u64>,
    /// Expired packages.
    pub expired_count: Option<u64>,
    /// The provider's object.
    #[schema(value_type = Object)]
    pub provider_data: serde_json::Value,
}

impl From<SummaryEntry> for PackageSummaryView {
    fn from(e: SummaryEntry) -> Self {
        let s = e.summary;
        PackageSummaryView {
            account: e.account,
            provider: e.provider.into(),
            total_bytes: s.total_bytes,
            total_count: s.total_count,
            remaining_bytes: s.remaining_bytes,
            active_count: s.active_count,
            used_bytes: s.used_bytes,
            expiring_soon_bytes: s.expiring_soon_bytes,
            expiring_soon_count: s.expiring_soon_count,
            expired_bytes: s.expired_bytes,
            expired_count: s.expired_count,
            provider_data: s.provider_data,
        }
    }
}

/// Summaries per account.
#[derive(Debug, Serialize, ToSchema)]
pub struct PackageSummaryList {
    /// By account name.
    pub data: Vec<PackageSummaryView>,
    /// Accounts left out because their provider cannot summarise (only when no account was named;
    /// naming such an account answers 501).
    #[schema(value_type = Vec<AccountName>)]
    pub unsupported_accounts: Vec<String>,
}

/// Package totals per account, in bytes.
#[utoipa::path(get, path = "/packages/summary",
    extensions(("x-audit" = json!({"operation": "packages.summary", "account": "query"}))),
    tag = "packages", params(SummaryParams),
    security(("api_key" = [])),
    responses((status = 200, description = "Summaries.", body = PackageSummaryList), ReadErrors))]
pub async fn package_summary(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<SummaryParams>,
) -> Result<Json<PackageSummaryList>, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let (entries, unsupported_accounts) =
        service::summaries(&state.providers, principal, &params.account).await?;
    Ok(Json(PackageSummaryList {
        data: entries.into_iter().map(PackageSummaryView::from).collect(),
        unsupported_accounts,
    }))
}
