//! `/v1/whitelist-entries`: source IPs that may use an account's proxies without a password,
//! for every provider in one shape. Where an entry applies differs by provider and is part of
//! the entry: helodata scopes it to a proxy user and product, or to an ISP batch; 911Proxy to
//! the whole account, per product. Reads need `read`, writes `write`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::common::{
    AccountName, CursorText, IpOrRange, ProductName, ProviderName, RequestedProduct, ScopedIdText,
    WhitelistEntryIdText,
};
use super::pagination::{accounts_link, accounts_position};
use super::problems::{ReadErrors, WriteErrors};
use crate::domain::api_keys::Scope;
use crate::domain::idempotency::WriteContext;
use crate::domain::pagination::Cursor;
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::whitelist::{SourceIp, WhitelistEntry, WhitelistEntryId};
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::state::AppState;
use crate::services::whitelist::{self as service, NewEntry, WhitelistQuery};

/// Filters and paging of the listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only these accounts (repeat the parameter); default: every account the key may use.
    #[serde(default)]
    #[param(value_type = Option<Vec<AccountName>>, explode = true, style = Form)]
    pub account: Vec<String>,
    /// Only entries opening this product.
    pub product: Option<RequestedProduct>,
    /// Only entries of this proxy user (helodata); it also selects the proxy user's account.
    #[param(value_type = Option<ScopedIdText>)]
    pub proxy_user: Option<String>,
    /// Only entries of this IP batch (helodata); it also selects the batch's account.
    #[param(value_type = Option<ScopedIdText>)]
    pub ip_batch: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<CursorText>)]
    pub cursor: Option<String>,
    /// Items per page, 1–100 (default 50).
    #[serde(default, deserialize_with = "super::common::query_u32")]
    #[param(minimum = 1, maximum = 100, example = 50)]
    pub limit: Option<u32>,
}

/// Filters of the quota.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QuotaParams {
    /// Only these accounts (repeat the parameter); default: every account the key may use.
    #[serde(default)]
    #[param(value_type = Option<Vec<AccountName>>, explode = true, style = Form)]
    pub account: Vec<String>,
    /// Only scopes of this product.
    pub product: Option<RequestedProduct>,
    /// Only this proxy user's scopes (helodata: one per product it has, empty ones included).
    #[param(value_type = Option<ScopedIdText>)]
    pub proxy_user: Option<String>,
    /// Only this IP batch's scope (helodata).
    #[param(value_type = Option<ScopedIdText>)]
    pub ip_batch: Option<String>,
}

/// The most entries one page holds.
const MAX_LIMIT: u32 = 100;

/// One whitelist entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhitelistEntryView {
    /// `<account>:<upstream id>`.
    #[schema(value_type = WhitelistEntryIdText)]
    pub id: String,
    /// The provider account's configured name.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// The account's provider.
    pub provider: ProviderName,
    /// The whitelisted address or CIDR range.
    #[schema(example = "203.0.113.5")]
    pub ip: String,
    /// The product it opens.
    pub product: ProductName,
    /// The proxy user it belongs to (helodata); `null` where it covers the whole account
    /// (911Proxy) or an IP batch.
    #[schema(value_type = Option<ScopedIdText>)]
    pub proxy_user: Option<String>,
    /// The IP batch it belongs to (helodata ISP); `null` otherwise.
    #[schema(value_type = Option<ScopedIdText>)]
    pub ip_batch: Option<String>,
    /// Free text (911 remark; helodata label).
    pub label: Option<String>,
    /// Whether the provider applies it (helodata applies a change within 60 s).
    pub active: bool,
    /// Creation time in UTC; `null` when the provider has not listed the entry yet.
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// The provider's own object, untouched (`{}` when the provider has not listed it yet).
    #[schema(value_type = Object)]
    pub provider_data: std::sync::Arc<serde_json::Value>,
}

impl From<WhitelistEntry> for WhitelistEntryView {
    fn from(e: WhitelistEntry) -> Self {
        WhitelistEntryView {
            id: e.id.to_string(),
            account: e.id.account,
            provider: e.provider.into(),
            ip: e.ip,
            product: e.product.into(),
            proxy_user: e.proxy_user.map(|u| u.to_string()),
            ip_batch: e.ip_batch,
            label: e.label,
            active: e.active,
            created_at: e.created_at,
            provider_data: e.provider_data,
        }
    }
}

/// A page of whitelist entries.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhitelistEntryList {
    /// The entries, by account name, then in each provider's order.
    pub data: Vec<WhitelistEntryView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    #[schema(value_type = Option<CursorText>)]
    pub next_cursor: Option<String>,
}

/// A new whitelist entry.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateWhitelistEntry {
    /// The provider account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// An IPv4 or IPv6 address, or a CIDR range where the provider takes ranges (helodata:
    /// IPv4 /24 or narrower, IPv6 /64 or narrower; 911Proxy: single addresses only).
    #[schema(value_type = IpOrRange)]
    pub ip: String,
    /// The product it opens; default `residential` (helodata ISP batches: `isp`).
    pub product: Option<RequestedProduct>,
    /// helodata: the proxy user whose whitelist it joins (one of `proxy_user`, `ip_batch`).
    /// 911Proxy whitelists cover the whole account: must be absent.
    #[schema(value_type = Option<ScopedIdText>)]
    pub proxy_user: Option<String>,
    /// helodata: the ISP batch whose whitelist it joins. Must be absent on 911Proxy.
    #[schema(value_type = Option<ScopedIdText>)]
    pub ip_batch: Option<String>,
    /// 911Proxy `residential_ip` only: the package (from `GET /v1/packages`) it opens.
    #[schema(value_type = Option<ScopedIdText>)]
    pub package: Option<String>,
    /// Free text (911Proxy: up to 64 characters, a non-ASCII one counting 2; helodata: 1-64 of
    /// A-Z a-z 0-9 space . _ -).
    #[schema(max_length = 64, example = "office-egress")]
    pub label: Option<String>,
}

/// Used and allowed entries of one whitelist scope.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhitelistQuotaView {
    /// The provider account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// The account's provider.
    pub provider: ProviderName,
    /// The product the scope opens.
    pub product: ProductName,
    /// The proxy user of a per-user scope (helodata); `null` for an account-wide one.
    #[schema(value_type = Option<ScopedIdText>)]
    pub proxy_user: Option<String>,
    /// The IP batch of a per-batch scope (helodata).
    #[schema(value_type = Option<ScopedIdText>)]
    pub ip_batch: Option<String>,
    /// Entries in the scope now.
    pub used: u32,
    /// Entries the scope may hold (helodata: 50; 911Proxy: as `white-ip/quota` says).
    pub allowed: u32,
}

/// Whitelist quotas, one row per scope.
#[derive(Debug, Serialize, ToSchema)]
pub struct WhitelistQuotaList {
    /// The scopes, by account name. helodata lists every scope that holds an entry and every
    /// ISP batch (with `proxy_user=`, each product of that user, empty ones included); 911Proxy
    /// one per product type.
    pub data: Vec<WhitelistQuotaView>,
}

fn scoped(field: &'static str, text: Option<String>) -> Result<Option<ProxyUserId>, ApiError> {
    text.map(|t| {
        t.parse::<ProxyUserId>().map_err(|_| {
            ApiError::invalid_argument(
                field,
                format!("{field} looks like <account>:<upstream id>, as the gateway lists it"),
            )
        })
    })
    .transpose()
}

fn query(
    account: Vec<String>,
    product: Option<RequestedProduct>,
    proxy_user: Option<String>,
    ip_batch: Option<String>,
) -> Result<WhitelistQuery, ApiError> {
    Ok(WhitelistQuery {
        accounts: account,
        product: product.map(Into::into),
        proxy_user: scoped("proxy_user", proxy_user)?,
        ip_batch: scoped("ip_batch", ip_batch)?,
    })
}

/// Lists whitelist entries across accounts.
#[utoipa::path(get, path = "/whitelist-entries",
    extensions(("x-audit" = json!({"operation": "whitelist_entries.list", "resource": "whitelist_entry", "account": "query"}))),
    tag = "whitelist-entries", params(ListParams),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "A page of whitelist entries.", body = WhitelistEntryList,
         headers(("Link" = String, description = "`<…?cursor=…&limit=…>; rel=\"next\"` when there is a next page"))),
        ReadErrors,
    ))]
pub async fn list_whitelist_entries(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let (limit, cursor) = accounts_position(params.limit, MAX_LIMIT, params.cursor.as_deref())?;
    let query = query(
        params.account,
        params.product,
        params.proxy_user,
        params.ip_batch,
    )?;
    let page = service::list(&state.providers, principal, &query, cursor, limit).await?;
    let headers = accounts_link("/v1/whitelist-entries", &page, limit, &query.accounts);
    let body = WhitelistEntryList {
        next_cursor: page.next.as_ref().map(Cursor::encode),
        data: page.items.into_iter().map(Into::into).collect(),
    };
    Ok((headers, Json(body)).into_response())
}

/// Whitelists a source IP. The provider's rules (address and range widths, one scope, the
/// label) and duplicates are checked before any upstream call (400 naming the field), and so
/// is the scope's cap (409 `conflict` naming it).
#[utoipa::path(post, path = "/whitelist-entries",
    extensions(("x-audit" = json!({"operation": "whitelist_entries.create", "resource": "whitelist_entry", "account": "body", "ids": "response_id"}))),
    tag = "whitelist-entries", request_body = CreateWhitelistEntry,
    security(("api_key" = [])),
    responses((status = 201, description = "Whitelisted.", body = WhitelistEntryView,
               headers(("Location" = String, description = "/v1/whitelist-entries/{id}"))), WriteErrors))]
pub async fn create_whitelist_entry(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    ApiJson(body): ApiJson<CreateWhitelistEntry>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Write)?;
    let ip: SourceIp = body
        .ip
        .trim()
        .parse()
        .map_err(|m: String| ApiError::invalid_argument("ip", m))?;
    if let Some(label) = &body.label
        && label.chars().count() > 64
    {
        return Err(ApiError::invalid_argument(
            "label",
            "label holds at most 64 characters",
        ));
    }
    let new = NewEntry {
        account: body.account,
        ip,
        product: body.product.map(Into::into),
        proxy_user: scoped("proxy_user", body.proxy_user)?,
        ip_batch: scoped("ip_batch", body.ip_batch)?,
        package: scoped("package", body.package)?,
        label: body.label,
    };
    let entry = service::create(&state.providers, principal, new, &ctx).await?;
    let view = WhitelistEntryView::from(entry);
    let mut headers = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/whitelist-entries/{}", view.id)) {
        headers.insert(header::LOCATION, location);
    }
    Ok((StatusCode::CREATED, headers, Json(view)).into_response())
}

/// Removes a whitelist entry.
#[utoipa::path(delete, path = "/whitelist-entries/{id}",
    extensions(("x-audit" = json!({"operation": "whitelist_entries.delete", "resource": "whitelist_entry", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "whitelist-entries",
    params(("id" = WhitelistEntryIdText, Path, description = "`<account>:<upstream id>` as listed", example = "911proxy:9:203.0.113.5")),
    security(("api_key" = [])),
    responses((status = 204, description = "Removed."), WriteErrors))]
pub async fn delete_whitelist_entry(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let principal = caller.require(Scope::Write)?;
    let id: WhitelistEntryId = id
        .parse()
        .map_err(|e: String| ApiError::invalid_argument("id", e))?;
    service::delete(&state.providers, principal, &id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// How many entries each whitelist scope holds and allows.
#[utoipa::path(get, path = "/whitelist-entries/quota",
    extensions(("x-audit" = json!({"operation": "whitelist_entries.quota", "resource": "whitelist_entry", "account": "query"}))),
    tag = "whitelist-entries", params(QuotaParams),
    security(("api_key" = [])),
    responses((status = 200, description = "One row per scope.", body = WhitelistQuotaList), ReadErrors))]
pub async fn whitelist_quota(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<QuotaParams>,
) -> Result<Json<WhitelistQuotaList>, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let query = query(
        params.account,
        params.product,
        params.proxy_user,
        params.ip_batch,
    )?;
    let accounts = service::quotas(&state.providers, principal, &query).await?;
    let data = accounts
        .into_iter()
        .flat_map(|a| {
            let (account, provider) = (a.account, a.provider);
            a.scopes.into_iter().map(move |q| WhitelistQuotaView {
                account: account.clone(),
                provider: provider.into(),
                product: q.product.into(),
                proxy_user: q.proxy_user.map(|u| u.to_string()),
                ip_batch: q.ip_batch,
                used: q.used,
                allowed: q.allowed,
            })
        })
        .collect();
    Ok(Json(WhitelistQuotaList { data }))
}
