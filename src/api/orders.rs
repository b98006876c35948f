//! `/v1/orders`: what the accounts bought and buying more. 911Proxy `order/list|create|close`
//! (packages, static IPs and their renewal, top-ups) and helodata `/orders` (bandwidth, ISP
//! batches). Placing an order needs an Idempotency-Key and is never done twice: on 911, which
//! has no idempotency, a retry after an unknown outcome finds the order the first attempt
//! placed, or answers 409 `outcome_unknown` when it cannot tell. Money is decimal text.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::common::{
    AccountName, CursorText, DateOrDateTime, ProductName, ProviderName, RequestedProduct,
    ScopedIdText, parse_time_param,
};
use super::money::MoneyAmount;
use super::pagination::{accounts_link, accounts_position};
use super::problems::{ReadErrors, WriteErrors};
use super::scoped::{provider_of, scoped_id};
use crate::domain::api_keys::Scope;
use crate::domain::idempotency::WriteContext;
use crate::domain::money::Decimal;
use crate::domain::orders::{Order, OrderFilter, OrderRequest, OrderStatus};
use crate::domain::pagination::Cursor;
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery, OptionalJson};
use crate::http::state::AppState;
use crate::services::orders::{self as service, OrderRefs};

/// Where an order stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum OrderStatusName {
    /// Waiting for payment (911 status 0).
    Pending,
    /// Paid, being delivered (helodata ISP batches).
    Provisioning,
    /// Paid and delivered (911 status 1; helodata `completed`).
    Completed,
    /// Closed before payment (911 status 2, and `POST /v1/orders/{id}/cancel`).
    Canceled,
    /// Paid, then refunded (911 status 3).
    Refunded,
    /// Failed at the provider.
    Failed,
    /// A state the gateway does not know; see `provider_data`.
    Other,
}

impl From<OrderStatus> for OrderStatusName {
    fn from(status: OrderStatus) -> Self {
        match status {
            OrderStatus::Pending => OrderStatusName::Pending,
            OrderStatus::Provisioning => OrderStatusName::Provisioning,
            OrderStatus::Completed => OrderStatusName::Completed,
            OrderStatus::Canceled => OrderStatusName::Canceled,
            OrderStatus::Refunded => OrderStatusName::Refunded,
            OrderStatus::Failed => OrderStatusName::Failed,
            OrderStatus::Other => OrderStatusName::Other,
        }
    }
}

impl From<OrderStatusName> for OrderStatus {
    fn from(status: OrderStatusName) -> Self {
        match status {
            OrderStatusName::Pending => OrderStatus::Pending,
            OrderStatusName::Provisioning => OrderStatus::Provisioning,
            OrderStatusName::Completed => OrderStatus::Completed,
            OrderStatusName::Canceled => OrderStatus::Canceled,
            OrderStatusName::Refunded => OrderStatus::Refunded,
            OrderStatusName::Failed => OrderStatus::Failed,
            OrderStatusName::Other => OrderStatus::Other,
        }
    }
}

/// One order.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderView {
    /// `<account>:<upstream id>` (911: the trade number; helodata: `ord_…`).
    #[schema(value_type = ScopedIdText, example = "helodata:ord_01HX2K3PQ4M5")]
    pub id: String,
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// Its provider.
    pub provider: ProviderName,
    /// Where it stands.
    pub status: OrderStatusName,
    /// What it buys, when the provider says (911's orders name a package, not a product: null
    /// unless the listing was filtered by product).
    pub product: Option<ProductName>,
    /// The provider's description (911 `product_name`).
    pub description: Option<String>,
    /// The price before discounts.
    pub amount: Option<MoneyAmount>,
    /// What was or is to be paid after discounts (911 `pay_fee`).
    pub paid_amount: Option<MoneyAmount>,
    /// When it was placed, UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// The provider's object.
    #[schema(value_type = Object)]
    pub provider_data: serde_json::Value,
}

impl OrderView {
    fn from_domain(order: Order, provider: ProviderName) -> Self {
        OrderView {
            id: order.id.to_string(),
            account: order.id.account.clone(),
            provider,
            status: order.status.into(),
            product: order.product.map(Into::into),
            description: order.description,
            amount: order.amount.map(Into::into),
            paid_amount: order.paid_amount.map(Into::into),
            created_at: order.created_at,
            provider_data: order.provider_data,
        }
    }
}

/// A page of orders.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderList {
    /// By account, then in each provider's order (911: newest first).
    pub data: Vec<OrderView>,
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
    /// Only this status.
    pub status: Option<OrderStatusName>,
    /// Only this product.
    pub product: Option<RequestedProduct>,
    /// Only orders placed at or after this time: a date (`2026-12-01`, midnight UTC) or an
    /// RFC 3339 time; before `to`.
    #[param(value_type = Option<DateOrDateTime>)]
    pub from: Option<String>,
    /// Only orders placed before this time: a date or an RFC 3339 time.
    #[param(value_type = Option<DateOrDateTime>)]
    pub to: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<CursorText>)]
    pub cursor: Option<String>,
    /// Items per page, 1–100 (default 50).
    #[serde(default, deserialize_with = "super::common::query_u32")]
    #[param(minimum = 1, maximum = 100, example = 50)]
    pub limit: Option<u32>,
}

/// An order to place. helodata takes `product` with `gb` (residential, mobile), or
/// `product: isp` with `country`, `quantity` (5–5,000), `months` and optionally `city`, `asn`,
/// `proxy_user`; 911Proxy takes `package_id` and `payment_method` and the optional fields of
/// its `order/create`. A field the account's provider does not take is refused by name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateOrder {
    /// The account to buy for.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// helodata: `residential`, `mobile` (bandwidth) or `isp` (an IP batch).
    pub product: Option<RequestedProduct>,
    /// helodata bandwidth: gigabytes.
    #[schema(minimum = 1, example = 50)]
    pub gb: Option<u64>,
    /// helodata ISP: country (ISO 3166-1 alpha-2).
    #[schema(pattern = "^[A-Za-z]{2}$", example = "US")]
    pub country: Option<String>,
    /// helodata ISP: city, in tier-1 countries (helodata's spelling, e.g. `newyork`).
    pub city: Option<String>,
    /// helodata ISP: autonomous system number.
    pub asn: Option<u32>,
    /// helodata ISP: IPs (5–5,000); 911Proxy: packages (`amount`).
    #[schema(minimum = 1)]
    pub quantity: Option<u64>,
    /// helodata ISP: billing months; 911Proxy: renewal months of static IPs (`renew_duration`).
    #[schema(minimum = 1)]
    pub months: Option<u32>,
    /// helodata ISP: the proxy user the batch belongs to.
    #[schema(value_type = Option<ScopedIdText>)]
    pub proxy_user: Option<String>,
    /// 911Proxy: the package (`pid`; 911 support gives the values).
    pub package_id: Option<u64>,
    /// 911Proxy: how to pay, an id from `GET /v1/payment-methods`.
    #[schema(value_type = Option<ScopedIdText>, example = "911proxy:1")]
    pub payment_method: Option<String>,
    /// 911Proxy: static IPs to renew, ids from `GET /v1/static-ips`.
    #[serde(default)]
    #[schema(value_type = Option<Vec<ScopedIdText>>)]
    pub static_ips: Vec<String>,
    /// 911Proxy: regions and quantities of a static IP purchase, as 911 takes them
    /// (`region_list`).
    pub regions: Option<String>,
    /// 911Proxy: a coupon code.
    pub coupon: Option<String>,
    /// 911Proxy: use the invitation registration discount.
    pub use_invitation_discount: Option<bool>,
    /// 911Proxy package 11: bandwidth SKU.
    pub bandwidth_sku_id: Option<u64>,
    /// 911Proxy package 11: concurrency SKU.
    pub concurrency_sku_id: Option<u64>,
    /// 911Proxy package 3: the top-up amount, decimal text (911 takes whole dollars).
    #[schema(pattern = r"^[0-9]+(\.[0-9]+)?$", example = "100")]
    pub top_up_amount: Option<String>,
}

/// Lists the accounts' orders.
#[utoipa::path(get, path = "/orders",
    extensions(("x-audit" = json!({"operation": "orders.list", "resource": "order", "account": "query"}))),
    tag = "billing", params(ListParams),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "A page of orders.", body = OrderList,
         headers(("Link" = String, description = "`<…?cursor=…&limit=…>; rel=\"next\"` when there is a next page"))),
        ReadErrors,
    ))]
pub async fn list_orders(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let (limit, cursor) = accounts_position(params.limit, 100, params.cursor.as_deref())?;
    let filter = OrderFilter {
        status: params.status.map(Into::into),
        product: params.product.map(Into::into),
        from: params
            .from
            .as_deref()
            .map(|t| parse_time_param("from", t))
            .transpose()?,
        to: params
            .to
            .as_deref()
            .map(|t| parse_time_param("to", t))
            .transpose()?,
    };
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(ApiError::invalid_argument("to", "to must be after from"));
    }
    let page = service::list(
        &state.providers,
        principal,
        &params.account,
        &filter,
        cursor,
        limit,
    )
    .await?;
    let headers = accounts_link("/v1/orders", &page, limit, &params.account);
    let body = OrderList {
        next_cursor: page.next.as_ref().map(Cursor::encode),
        data: page
            .items
            .into_iter()
            .map(|o| {
                let provider = provider_of(&state, &o.id.account)?;
                Ok(OrderView::from_domain(o, provider))
            })
            .collect::<Result<_, ApiError>>()?,
    };
    Ok((headers, Json(body)).into_response())
}

/// One order.
#[utoipa::path(get, path = "/orders/{id}",
    extensions(("x-audit" = json!({"operation": "orders.get", "resource": "order", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "billing",
    params(("id" = ScopedIdText, Path, description = "`<account>:<upstream id>` as listed", example = "911proxy:T202612070001")),
    security(("api_key" = [])),
    responses((status = 200, description = "The order.", body = OrderView), ReadErrors))]
pub async fn get_order(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<OrderView>, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let id = scoped_id("id", &id)?;
    let order = service::get(&state.providers, principal, &id).await?;
    let provider = provider_of(&state, &id.account)?;
    Ok(Json(OrderView::from_domain(order, provider)))
}

/// Places an order, once per Idempotency-Key (required).
#[utoipa::path(post, path = "/orders",
    extensions(("x-audit" = json!({"operation": "orders.create", "resource": "order", "account": "body", "ids": "response_id"}))),
    tag = "billing", request_body = CreateOrder,
    security(("api_key" = [])),
    responses((status = 201, description = "The order placed (or, on a reconciled retry, the order the first attempt placed).", body = OrderView), WriteErrors))]
pub async fn create_order(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    ApiJson(body): ApiJson<CreateOrder>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Write)?;
    if let Some(c) = &body.country {
        super::common::country_code("country", c)?;
    }
    let top_up_amount = body
        .top_up_amount
        .as_deref()
        .map(|t| {
            Decimal::parse(t)
                .ok()
                .filter(|d| !d.as_str().starts_with('-'))
                .ok_or_else(|| {
                    ApiError::invalid_argument(
                        "top_up_amount",
                        "top_up_amount is decimal text like \"100\"",
                    )
                })
        })
        .transpose()?;
    let refs = OrderRefs {
        payment_method: body
            .payment_method
            .as_deref()
            .map(|t| scoped_id("payment_method", t))
            .transpose()?,
        static_ips: body
            .static_ips
            .iter()
            .map(|t| scoped_id("static_ips", t))
            .collect::<Result<_, _>>()?,
        proxy_user: body
            .proxy_user
            .as_deref()
            .map(|t| scoped_id("proxy_user", t))
            .transpose()?,
    };
    let request = OrderRequest {
        product: body.product.map(Into::into),
        gb: body.gb,
        country: body.country,
        city: body.city,
        asn: body.asn,
        quantity: body.quantity,
        months: body.months,
        proxy_user: None,
        package_id: body.package_id,
        payment_method: None,
        static_ips: Vec::new(),
        regions: body.regions,
        coupon: body.coupon,
        use_invitation_discount: body.use_invitation_discount,
        bandwidth_sku_id: body.bandwidth_sku_id,
        concurrency_sku_id: body.concurrency_sku_id,
        top_up_amount,
    };
    let order = service::create(
        &state.providers,
        principal,
        &body.account,
        request,
        refs,
        &ctx,
    )
    .await?;
    let provider = provider_of(&state, &body.account)?;
    Ok((
        StatusCode::CREATED,
        Json(OrderView::from_domain(order, provider)),
    )
        .into_response())
}

/// Cancels an order not yet paid (911Proxy `order/close`; 501 on helodata, which documents no
/// cancellation).
#[utoipa::path(post, path = "/orders/{id}/cancel",
    extensions(("x-audit" = json!({"operation": "orders.cancel", "resource": "order", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "billing", request_body(content = Option<Object>, description = "Empty."),
    params(("id" = ScopedIdText, Path, description = "`<account>:<upstream id>` as listed", example = "911proxy:T202612070001")),
    security(("api_key" = [])),
    responses((status = 200, description = "The order after (`canceled`).", body = OrderView), WriteErrors))]
pub async fn cancel_order(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    Path(id): Path<String>,
    OptionalJson(_body): OptionalJson<Option<serde_json::Map<String, serde_json::Value>>>,
) -> Result<Json<OrderView>, ApiError> {
    let principal = caller.require(Scope::Write)?;
    let id = scoped_id("id", &id)?;
    let order = service::cancel(&state.providers, principal, &id, &ctx).await?;
    let provider = provider_of(&state, &id.account)?;
    Ok(Json(OrderView::from_domain(order, provider)))
}
