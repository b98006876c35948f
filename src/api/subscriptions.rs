//! `/v1/subscriptions`: helodata's recurring bandwidth plans and ISP batch renewals, created,
//! read, changed (from the next renewal), paused and canceled; 501 on 911Proxy, which has
//! none. They are also listed with the packages (`GET /v1/packages`, `kind: subscription`).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::common::{AccountName, ProductName, ProviderName, RequestedProduct, ScopedIdText};
use super::money::MoneyAmount;
use super::problems::{ReadErrors, WriteErrors};
use super::scoped::{provider_of, scoped_id};
use crate::domain::api_keys::Scope;
use crate::domain::idempotency::WriteContext;
use crate::domain::subscriptions::{
    Cycle, NewSubscription, Subscription, SubscriptionPatch, SubscriptionStatus, SubscriptionStop,
};
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, OptionalJson};
use crate::http::state::AppState;
use crate::services::subscriptions as service;

/// Billing cycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CycleName {
    /// Every month.
    Monthly,
    /// Every 12 months (10 % off for Pro and up, and for ISP).
    Annual,
}

impl From<CycleName> for Cycle {
    fn from(c: CycleName) -> Self {
        match c {
            CycleName::Monthly => Cycle::Monthly,
            CycleName::Annual => Cycle::Annual,
        }
    }
}

impl From<Cycle> for CycleName {
    fn from(c: Cycle) -> Self {
        match c {
            Cycle::Monthly => CycleName::Monthly,
            Cycle::Annual => CycleName::Annual,
        }
    }
}

/// A bandwidth plan. helodata's `enterprise` plans are priced by its sales team and cannot be
/// bought through the API.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlanName {
    /// 50 GB residential / 25 GB mobile a month.
    Starter,
    /// 500 / 250 GB.
    Pro,
    /// 2,000 / 1,000 GB.
    Business,
}

impl PlanName {
    fn as_str(self) -> &'static str {
        match self {
            PlanName::Starter => "starter",
            PlanName::Pro => "pro",
            PlanName::Business => "business",
        }
    }
}

/// Where a subscription stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatusName {
    /// Renews at `renews_at`.
    Active,
    /// Renewal stopped; the period runs on to `ends_at`.
    Paused,
    /// Ends at `ends_at`, for good.
    Canceled,
    /// A state the gateway does not know; see `provider_data`.
    Other,
}

impl From<SubscriptionStatus> for SubscriptionStatusName {
    fn from(s: SubscriptionStatus) -> Self {
        match s {
            SubscriptionStatus::Active => SubscriptionStatusName::Active,
            SubscriptionStatus::Paused => SubscriptionStatusName::Paused,
            SubscriptionStatus::Canceled => SubscriptionStatusName::Canceled,
            SubscriptionStatus::Other => SubscriptionStatusName::Other,
        }
    }
}

/// One subscription.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionView {
    /// `<account>:sbn_…`, the same id as its package.
    #[schema(value_type = ScopedIdText, example = "helodata:sbn_01HX2K3PQ4M5")]
    pub id: String,
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// Its provider.
    pub provider: ProviderName,
    /// What it renews.
    pub product: ProductName,
    /// The bandwidth plan (`starter`, `pro`, `business`, `enterprise`).
    pub plan: Option<String>,
    /// The ISP batch it renews.
    #[schema(value_type = Option<ScopedIdText>)]
    pub ip_batch: Option<String>,
    /// Billing cycle.
    pub cycle: Option<CycleName>,
    /// Traffic included per month, bytes (bandwidth plans).
    pub traffic_included_bytes: Option<u64>,
    /// IPs renewed (ISP).
    pub quantity: Option<u64>,
    /// Price per cycle.
    pub price: Option<MoneyAmount>,
    /// Where it stands.
    pub status: SubscriptionStatusName,
    /// Next renewal, UTC (active only).
    #[serde(with = "time::serde::rfc3339::option")]
    pub renews_at: Option<OffsetDateTime>,
    /// When it ends, UTC (paused or canceled).
    #[serde(with = "time::serde::rfc3339::option")]
    pub ends_at: Option<OffsetDateTime>,
    /// Created, UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// The provider's object.
    #[schema(value_type = Object)]
    pub provider_data: serde_json::Value,
}

impl SubscriptionView {
    fn from_domain(s: Subscription, state: &AppState) -> Result<Self, ApiError> {
        let provider = provider_of(state, &s.id.account)?;
        Ok(SubscriptionView {
            id: s.id.to_string(),
            account: s.id.account.clone(),
            provider,
            product: s.product.into(),
            plan: s.plan,
            ip_batch: s.ip_batch,
            cycle: s.cycle.map(Into::into),
            traffic_included_bytes: s.traffic_included_bytes,
            quantity: s.quantity,
            price: s.price.map(Into::into),
            status: s.status.into(),
            renews_at: s.renews_at,
            ends_at: s.ends_at,
            created_at: s.created_at,
            provider_data: s.provider_data,
        })
    }
}

/// A subscription to create: a bandwidth plan (`product` residential or mobile, `plan`,
/// `cycle`) or the renewal of an ISP batch (`product: isp`, `ip_batch`, `cycle`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateSubscription {
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// `residential`, `mobile` or `isp`.
    pub product: RequestedProduct,
    /// Bandwidth: the plan.
    pub plan: Option<PlanName>,
    /// Billing cycle.
    pub cycle: CycleName,
    /// ISP: the batch to renew, as listed in packages.
    #[schema(value_type = Option<ScopedIdText>, example = "helodata:bat_01HX2K3PQ4M5")]
    pub ip_batch: Option<String>,
}

/// A change, applied from the next renewal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateSubscription {
    /// Another plan (bandwidth).
    pub plan: Option<PlanName>,
    /// Another cycle.
    pub cycle: Option<CycleName>,
    /// Another IP count (ISP, 5–5,000).
    #[schema(minimum = 5, maximum = 5000)]
    pub quantity: Option<u64>,
}

/// Creates a subscription (helodata; 501 on 911Proxy).
#[utoipa::path(post, path = "/subscriptions",
    extensions(("x-audit" = json!({"operation": "subscriptions.create", "resource": "subscription", "account": "body", "ids": "response_id"}))),
    tag = "billing", request_body = CreateSubscription,
    security(("api_key" = [])),
    responses((status = 201, description = "The subscription.", body = SubscriptionView), WriteErrors))]
pub async fn create_subscription(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    ApiJson(body): ApiJson<CreateSubscription>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Write)?;
    let ip_batch = body
        .ip_batch
        .as_deref()
        .map(|b| scoped_id("ip_batch", b))
        .transpose()?;
    let new = NewSubscription {
        product: body.product.into(),
        plan: body.plan.map(|p| p.as_str().to_string()),
        cycle: body.cycle.into(),
        ip_batch: None,
    };
    let created = service::create(
        &state.providers,
        principal,
        &body.account,
        new,
        ip_batch.as_ref(),
        &ctx,
    )
    .await?;
    let view = SubscriptionView::from_domain(created, &state)?;
    Ok((StatusCode::CREATED, Json(view)).into_response())
}

/// One subscription (helodata; 501 on 911Proxy).
#[utoipa::path(get, path = "/subscriptions/{id}",
    extensions(("x-audit" = json!({"operation": "subscriptions.get", "resource": "subscription", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "billing",
    params(("id" = ScopedIdText, Path, description = "`<account>:sbn_…`", example = "helodata:sbn_01HX2K3PQ4M5")),
    security(("api_key" = [])),
    responses((status = 200, description = "The subscription.", body = SubscriptionView), ReadErrors))]
pub async fn get_subscription(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SubscriptionView>, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let id = scoped_id("id", &id)?;
    let found = service::get(&state.providers, principal, &id).await?;
    Ok(Json(SubscriptionView::from_domain(found, &state)?))
}

/// Changes a subscription's plan, cycle or quantity, from its next renewal.
#[utoipa::path(patch, path = "/subscriptions/{id}",
    extensions(("x-audit" = json!({"operation": "subscriptions.update", "resource": "subscription", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "billing", request_body = UpdateSubscription,
    params(("id" = ScopedIdText, Path, description = "`<account>:sbn_…`", example = "helodata:sbn_01HX2K3PQ4M5")),
    security(("api_key" = [])),
    responses((status = 200, description = "The subscription after.", body = SubscriptionView), WriteErrors))]
pub async fn update_subscription(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateSubscription>,
) -> Result<Json<SubscriptionView>, ApiError> {
    let principal = caller.require(Scope::Write)?;
    let id = scoped_id("id", &id)?;
    let patch = SubscriptionPatch {
        plan: body.plan.map(|p| p.as_str().to_string()),
        cycle: body.cycle.map(Into::into),
        quantity: body.quantity,
    };
    let changed = service::update(&state.providers, principal, &id, &patch, &ctx).await?;
    Ok(Json(SubscriptionView::from_domain(changed, &state)?))
}

async fn stop(
    state: AppState,
    caller: Caller,
    ctx: WriteContext,
    id: String,
    how: SubscriptionStop,
) -> Result<Json<SubscriptionView>, ApiError> {
    let principal = caller.require(Scope::Write)?;
    let id = scoped_id("id", &id)?;
    let stopped = service::stop(&state.providers, principal, &id, how, &ctx).await?;
    Ok(Json(SubscriptionView::from_domain(stopped, &state)?))
}

/// Pauses renewal; the current period runs on (`ends_at`). A paused subscription can still be
/// canceled.
#[utoipa::path(post, path = "/subscriptions/{id}/pause",
    extensions(("x-audit" = json!({"operation": "subscriptions.pause", "resource": "subscription", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "billing", request_body(content = Option<Object>, description = "Empty."),
    params(("id" = ScopedIdText, Path, description = "`<account>:sbn_…`", example = "helodata:sbn_01HX2K3PQ4M5")),
    security(("api_key" = [])),
    responses((status = 200, description = "The subscription after (`paused`).", body = SubscriptionView), WriteErrors))]
pub async fn pause_subscription(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    Path(id): Path<String>,
    OptionalJson(_body): OptionalJson<Option<serde_json::Map<String, serde_json::Value>>>,
) -> Result<Json<SubscriptionView>, ApiError> {
    stop(state, caller, ctx, id, SubscriptionStop::Pause).await
}

/// Cancels at the end of the current period (`ends_at`), for good.
#[utoipa::path(post, path = "/subscriptions/{id}/cancel",
    extensions(("x-audit" = json!({"operation": "subscriptions.cancel", "resource": "subscription", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "billing", request_body(content = Option<Object>, description = "Empty."),
    params(("id" = ScopedIdText, Path, description = "`<account>:sbn_…`", example = "helodata:sbn_01HX2K3PQ4M5")),
    security(("api_key" = [])),
    responses((status = 200, description = "The subscription after (`canceled`).", body = SubscriptionView), WriteErrors))]
pub async fn cancel_subscription(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    Path(id): Path<String>,
    OptionalJson(_body): OptionalJson<Option<serde_json::Map<String, serde_json::Value>>>,
) -> Result<Json<SubscriptionView>, ApiError> {
    stop(state, caller, ctx, id, SubscriptionStop::Cancel).await
}
