//! `/v1/static-ips` and `/v1/ip-batches`: static IPs the accounts own (911Proxy static
//! residential and datacenter IPs; helodata ISP IPs in batches), what is on sale per country,
//! and helodata's batch renewal and refresh and single-IP replacement (501 on 911Proxy).
//! Reads need `read`; passwords need `secrets:read` and `?include=password`; changes need
//! `write` and are keyed and audited.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::common::{AccountName, CursorText, ProductName, RequestedProduct, ScopedIdText};
use super::packages::PackageView;
use super::pagination::{accounts_link, accounts_position};
use super::problems::{ReadErrors, WriteErrors};
use super::proxy_users::{Include, wants_password};
use crate::domain::api_keys::Scope;
use crate::domain::idempotency::WriteContext;
use crate::domain::pagination::Cursor;
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::static_ips::StaticIp;
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery, OptionalJson};
use crate::http::state::AppState;
use crate::services::static_ips::{self as service, BatchAction, StaticIpQuery};

/// Filters and paging of the listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only these accounts (repeat the parameter); default: every account the key may use.
    #[serde(default)]
    #[param(value_type = Option<Vec<AccountName>>, explode = true, style = Form)]
    pub account: Vec<String>,
    /// Only this product (`isp`, `datacenter`).
    pub product: Option<RequestedProduct>,
    /// Only this country (ISO 3166-1 alpha-2).
    #[param(pattern = "^[A-Za-z]{2}$", example = "US")]
    pub country: Option<String>,
    /// Only this IP batch's (helodata); it also selects the batch's account.
    #[param(value_type = Option<ScopedIdText>)]
    pub ip_batch: Option<String>,
    /// `password` to include passwords where the provider lists them (needs `secrets:read`).
    pub include: Option<Include>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<CursorText>)]
    pub cursor: Option<String>,
    /// Items per page, 1–100 (default 50).
    #[serde(default, deserialize_with = "super::common::query_u32")]
    #[param(minimum = 1, maximum = 100, example = 50)]
    pub limit: Option<u32>,
}

/// Filters of the stock.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityParams {
    /// Only these accounts (repeat the parameter); default: every account the key may use.
    #[serde(default)]
    #[param(value_type = Option<Vec<AccountName>>, explode = true, style = Form)]
    pub account: Vec<String>,
    /// Only this product (`isp`, `datacenter`).
    pub product: Option<RequestedProduct>,
    /// Only this country (ISO 3166-1 alpha-2).
    #[param(pattern = "^[A-Za-z]{2}$", example = "US")]
    pub country: Option<String>,
}

/// One static IP.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaticIpView {
    /// `<account>:<upstream id>`.
    #[schema(value_type = ScopedIdText, example = "helodata:ip_01HX2K3PQ4M5")]
    pub id: String,
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// Its product.
    pub product: ProductName,
    /// The address.
    #[schema(example = "198.51.100.42")]
    pub ip: String,
    /// The port to dial.
    pub port: Option<u16>,
    /// The proxy username.
    pub username: Option<String>,
    /// The password: only with `?include=password` and `secrets:read`, where the provider lists it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// Country (ISO, upper case).
    pub country: Option<String>,
    /// State, provider's spelling.
    pub state: Option<String>,
    /// City, provider's spelling.
    pub city: Option<String>,
    /// ASN.
    pub asn: Option<u64>,
    /// The IP batch (helodata).
    #[schema(value_type = Option<ScopedIdText>)]
    pub ip_batch: Option<String>,
    /// The order that bought it, an id `GET /v1/orders/{id}` reads.
    pub order: Option<String>,
    /// `provisioning`, `active`, `expiring`, `maintenance`, `expired`, `released` or `other`.
    #[schema(example = "active")]
    pub status: String,
    /// Bought, UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// Term end, UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// The provider's object, secrets removed.
    #[schema(value_type = Object)]
    pub provider_data: std::sync::Arc<serde_json::Value>,
}

impl StaticIpView {
    fn from_domain(ip: StaticIp, with_password: bool) -> Self {
        StaticIpView {
            id: ip.id.to_string(),
            account: ip.id.account.clone(),
            product: ip.product.into(),
            ip: ip.ip,
            port: ip.port,
            username: ip.username,
            password: if with_password {
                ip.password.map(|p| p.expose_secret().to_string())
            } else {
                None
            },
            country: ip.country,
            state: ip.state,
            city: ip.city,
            asn: ip.asn,
            ip_batch: ip.ip_batch,
            order: ip.order,
            status: ip.status.as_str().to_string(),
            created_at: ip.created_at,
            expires_at: ip.expires_at,
            provider_data: ip.provider_data,
        }
    }
}

/// A page of static IPs.
#[derive(Debug, Serialize, ToSchema)]
pub struct StaticIpList {
    /// The IPs, by account, then in the provider's order.
    pub data: Vec<StaticIpView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    #[schema(value_type = Option<CursorText>)]
    pub next_cursor: Option<String>,
}

/// Stock in one country.
#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityView {
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// The product.
    pub product: ProductName,
    /// Country (ISO, upper case).
    pub country: String,
    /// How many can be bought now.
    pub available: u64,
    /// Monthly price per IP, a decimal string, where the provider says (helodata).
    #[schema(example = "3.5")]
    pub monthly_price: Option<String>,
    /// Its currency (ISO 4217).
    pub currency: Option<String>,
    /// Cities on offer with their own counts (helodata).
    pub cities: Vec<CityStock>,
    /// The provider's object.
    #[schema(value_type = Object)]
    pub provider_data: std::sync::Arc<serde_json::Value>,
}

/// A city's stock.
#[derive(Debug, Serialize, ToSchema)]
pub struct CityStock {
    /// The city, provider's spelling.
    pub city: String,
    /// How many can be bought there.
    pub available: u64,
}

/// Stock per country.
#[derive(Debug, Serialize, ToSchema)]
pub struct AvailabilityList {
    /// By account, then in the provider's order.
    pub data: Vec<AvailabilityView>,
}

/// A renewal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RenewBody {
    /// Months to add, 1-12.
    #[serde(deserialize_with = "super::common::whole")]
    #[schema(minimum = 1, maximum = 12, example = 1)]
    pub months: u32,
}

/// A replacement.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplaceBody {
    /// Why (helodata keeps it as given, 1-64 characters), e.g. `target-blocked`.
    #[schema(min_length = 1, max_length = 64, example = "target-blocked")]
    pub reason: String,
}

fn scoped(field: &'static str, text: &str) -> Result<ProxyUserId, ApiError> {
    text.parse().map_err(|_| {
        ApiError::invalid_argument(field, format!("{field} looks like <account>:<upstream id>"))
    })
}

/// Lists the accounts' static IPs.
#[utoipa::path(get, path = "/static-ips",
    extensions(("x-audit" = json!({"operation": "static_ips.list", "resource": "static_ip", "account": "query"}))),
    tag = "static-ips", params(ListParams),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "A page of static IPs.", body = StaticIpList,
         headers(("Link" = String, description = "`<…?cursor=…&limit=…>; rel=\"next\"` when there is a next page"))),
        ReadErrors,
    ))]
pub async fn list_static_ips(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let with_password = wants_password(&caller, params.include)?;
    let (limit, cursor) = accounts_position(params.limit, 100, params.cursor.as_deref())?;
    if let Some(c) = &params.country {
        super::common::country_code("country", c)?;
    }
    let query = StaticIpQuery {
        accounts: params.account,
        product: params.product.map(Into::into),
        country: params.country,
        ip_batch: params
            .ip_batch
            .as_deref()
            .map(|b| scoped("ip_batch", b))
            .transpose()?,
    };
    let page = service::list(&state.providers, principal, &query, cursor, limit).await?;
    let headers = accounts_link("/v1/static-ips", &page, limit, &query.accounts);
    let body = StaticIpList {
        next_cursor: page.next.as_ref().map(Cursor::encode),
        data: page
            .items
            .into_iter()
            .map(|ip| StaticIpView::from_domain(ip, with_password))
            .collect(),
    };
    Ok((headers, Json(body)).into_response())
}

/// Static IPs on sale per country (911Proxy `static-ip-region`; helodata `/isp/inventory`).
#[utoipa::path(get, path = "/static-ips/availability",
    extensions(("x-audit" = json!({"operation": "static_ips.availability", "resource": "static_ip", "account": "query"}))),
    tag = "static-ips", params(AvailabilityParams),
    security(("api_key" = [])),
    responses((status = 200, description = "Stock per country.", body = AvailabilityList), ReadErrors))]
pub async fn static_ip_availability(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<AvailabilityParams>,
) -> Result<Json<AvailabilityList>, ApiError> {
    let principal = caller.require(Scope::Read)?;
    if let Some(c) = &params.country {
        super::common::country_code("country", c)?;
    }
    let rows = service::availability(
        &state.providers,
        principal,
        &params.account,
        params.product.map(Into::into),
        params.country.as_deref(),
    )
    .await?;
    Ok(Json(AvailabilityList {
        data: rows
            .into_iter()
            .map(|(account, _, a)| AvailabilityView {
                account,
                product: a.product.into(),
                country: a.country,
                available: a.available,
                monthly_price: a.monthly_price,
                currency: a.currency,
                cities: a
                    .cities
                    .into_iter()
                    .map(|(city, available)| CityStock { city, available })
                    .collect(),
                provider_data: a.provider_data,
            })
            .collect(),
    }))
}

/// Renews an IP batch by whole months (helodata; 501 on 911Proxy).
#[utoipa::path(post, path = "/ip-batches/{id}/renew",
    extensions(("x-audit" = json!({"operation": "ip_batches.renew", "resource": "ip_batch", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "static-ips", request_body = RenewBody,
    params(("id" = ScopedIdText, Path, description = "`<account>:bat_…` as listed in packages", example = "helodata:bat_01HX2K3PQ4M5")),
    security(("api_key" = [])),
    responses((status = 200, description = "The batch after the renewal.", body = PackageView), WriteErrors))]
pub async fn renew_ip_batch(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<RenewBody>,
) -> Result<Json<PackageView>, ApiError> {
    let principal = caller.require(Scope::Write)?;
    if !(1..=12).contains(&body.months) {
        return Err(ApiError::invalid_argument("months", "months is 1-12"));
    }
    let batch = scoped("id", &id)?;
    let package = service::batch_action(
        &state.providers,
        principal,
        &batch,
        BatchAction::Renew(body.months),
        &ctx,
    )
    .await?;
    Ok(Json(package.into()))
}

/// Replaces every IP of a batch (helodata: once per billing period; 501 on 911Proxy).
#[utoipa::path(post, path = "/ip-batches/{id}/refresh",
    extensions(("x-audit" = json!({"operation": "ip_batches.refresh", "resource": "ip_batch", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "static-ips", request_body(content = Option<Object>, description = "Empty."),
    params(("id" = ScopedIdText, Path, description = "`<account>:bat_…` as listed in packages", example = "helodata:bat_01HX2K3PQ4M5")),
    security(("api_key" = [])),
    responses((status = 200, description = "The batch after the refresh.", body = PackageView), WriteErrors))]
pub async fn refresh_ip_batch(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    Path(id): Path<String>,
    OptionalJson(_body): OptionalJson<Option<serde_json::Map<String, serde_json::Value>>>,
) -> Result<Json<PackageView>, ApiError> {
    let principal = caller.require(Scope::Write)?;
    let batch = scoped("id", &id)?;
    let package = service::batch_action(
        &state.providers,
        principal,
        &batch,
        BatchAction::Refresh,
        &ctx,
    )
    .await?;
    Ok(Json(package.into()))
}

/// Replaces one static IP (helodata: the new IP arrives in 1-5 minutes, the old one is released
/// at once; free in the first 14 days and for 10 % of a batch per period; 501 on 911Proxy).
#[utoipa::path(post, path = "/static-ips/{id}/replace",
    extensions(("x-audit" = json!({"operation": "static_ips.replace", "resource": "static_ip", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "static-ips", request_body = ReplaceBody,
    params(("id" = ScopedIdText, Path, description = "`<account>:<upstream id>` as listed", example = "helodata:ip_01HX2K3PQ4M5")),
    security(("api_key" = [])),
    responses((status = 201, description = "The replacement IP (provisioning).", body = StaticIpView), WriteErrors))]
pub async fn replace_static_ip(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<ReplaceBody>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Write)?;
    // Sent as given: the schema's 1-64 characters are the whole rule (helodata's own).
    let reason = body.reason.as_str();
    if reason.is_empty() || reason.chars().count() > 64 {
        return Err(ApiError::invalid_argument(
            "reason",
            "reason is 1-64 characters",
        ));
    }
    let ip = scoped("id", &id)?;
    let new = service::replace(&state.providers, principal, &ip, reason, &ctx).await?;
    Ok((
        StatusCode::CREATED,
        Json(StaticIpView::from_domain(new, false)),
    )
        .into_response())
}
