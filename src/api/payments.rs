//! `/v1/payment-methods` and `/v1/promotions`: what an account can pay an order with (the
//! `payment_method` of an order) and the offers it gets when it buys or tops up. 911Proxy has
//! both; helodata bills a card on file and answers 501. Amounts are decimal text with an ISO
//! 4217 currency, never floats.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use super::account::AccountParams;
use super::common::{AccountName, ProviderName, ScopedIdText};
use super::money::MoneyAmount;
use super::problems::ReadErrors;
use super::scoped::scoped_id;
use crate::domain::api_keys::Scope;
use crate::domain::payments::PromotionKind;
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::state::AppState;
use crate::services::payments as service;

/// Which payment methods.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PaymentMethodParams {
    /// Only these accounts (repeat the parameter); default: every account the key may use.
    #[serde(default)]
    #[param(value_type = Option<Vec<AccountName>>, explode = true, style = Form)]
    pub account: Vec<String>,
    /// Only the methods this order can be paid with (911Proxy `trade_no`: a top-up, say, cannot
    /// be paid from the balance); it also selects the order's account.
    #[param(value_type = Option<ScopedIdText>, example = "911proxy:2026120807150313972901462690")]
    pub order: Option<String>,
}

/// One way to pay.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentMethodView {
    /// `<account>:<upstream id>`: what an order's `payment_method` takes.
    #[schema(value_type = ScopedIdText, example = "911proxy:1")]
    pub id: String,
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// Its provider.
    pub provider: ProviderName,
    /// The method's name, in the provider's words.
    #[schema(example = "USDT (TRC20)")]
    pub name: String,
    /// The provider's group id (911: `online`, `crypto`, `balance`).
    #[schema(example = "crypto")]
    pub group: Option<String>,
    /// The group's name, in the provider's words.
    pub group_name: Option<String>,
    /// Whether the provider takes payments with it now.
    pub available: bool,
    /// The smallest payment it takes.
    pub min_amount: Option<MoneyAmount>,
    /// The largest payment it takes.
    pub max_amount: Option<MoneyAmount>,
    /// The provider's logo of the method.
    pub logo_url: Option<String>,
    /// The provider's object.
    #[schema(value_type = Object)]
    pub provider_data: serde_json::Value,
}

/// Payment methods.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentMethodList {
    /// By account, then in the provider's order (disabled methods included, marked).
    pub data: Vec<PaymentMethodView>,
}

/// What a promotion gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PromotionKindName {
    /// A balance top-up of at least `min_amount` is credited `ratio` times over.
    TopUpBonus,
}

impl From<PromotionKind> for PromotionKindName {
    fn from(kind: PromotionKind) -> Self {
        match kind {
            PromotionKind::TopUpBonus => PromotionKindName::TopUpBonus,
        }
    }
}

/// One offer.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromotionView {
    /// `<account>:<id>` (911 names none: the tier's threshold does).
    #[schema(value_type = ScopedIdText, example = "911proxy:top_up_bonus_100")]
    pub id: String,
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// Its provider.
    pub provider: ProviderName,
    /// What it gives.
    pub kind: PromotionKindName,
    /// The smallest purchase or top-up it applies to.
    pub min_amount: MoneyAmount,
    /// The multiplier of what is credited, as decimal text (`"1.2"`: 120 for 100 paid).
    #[schema(example = "1.2", pattern = r"^[0-9]+(\.[0-9]+)?$")]
    pub ratio: String,
    /// The provider's object.
    #[schema(value_type = Object)]
    pub provider_data: serde_json::Value,
}

/// Promotions.
#[derive(Debug, Serialize, ToSchema)]
pub struct PromotionList {
    /// By account, then smallest threshold first.
    pub data: Vec<PromotionView>,
}

/// The ways each account can pay for an order, or one order (911Proxy `payment/groups`;
/// 501 on helodata).
#[utoipa::path(get, path = "/payment-methods",
    extensions(("x-audit" = json!({"operation": "payment_methods.list", "resource": "payment_method", "account": "query"}))),
    tag = "billing", params(PaymentMethodParams),
    security(("api_key" = [])),
    responses((status = 200, description = "Payment methods by account.", body = PaymentMethodList), ReadErrors))]
pub async fn list_payment_methods(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<PaymentMethodParams>,
) -> Result<Json<PaymentMethodList>, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let order = params
        .order
        .as_deref()
        .map(|o| scoped_id("order", o))
        .transpose()?;
    let rows =
        service::payment_methods(&state.providers, principal, &params.account, order.as_ref())
            .await?;
    Ok(Json(PaymentMethodList {
        data: rows
            .into_iter()
            .map(|(account, kind, m)| PaymentMethodView {
                id: format!("{account}:{}", m.upstream_id),
                account,
                provider: kind.into(),
                name: m.name,
                group: m.group,
                group_name: m.group_name,
                available: m.available,
                min_amount: m.min_amount.map(Into::into),
                max_amount: m.max_amount.map(Into::into),
                logo_url: m.logo_url,
                provider_data: m.provider_data,
            })
            .collect(),
    }))
}

/// The offers each account gets when it buys or tops up (911Proxy
/// `activity/balance-recharge-gift-ratio`; 501 on helodata).
#[utoipa::path(get, path = "/promotions",
    extensions(("x-audit" = json!({"operation": "promotions.list", "resource": "promotion", "account": "query"}))),
    tag = "billing", params(AccountParams),
    security(("api_key" = [])),
    responses((status = 200, description = "Promotions by account.", body = PromotionList), ReadErrors))]
pub async fn list_promotions(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<AccountParams>,
) -> Result<Json<PromotionList>, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let rows = service::promotions(&state.providers, principal, &params.account).await?;
    Ok(Json(PromotionList {
        data: rows
            .into_iter()
            .map(|(account, kind, p)| PromotionView {
                id: format!("{account}:{}", p.upstream_id),
                account,
                provider: kind.into(),
                kind: p.kind.into(),
                min_amount: p.min_amount.into(),
                ratio: p.ratio.to_string(),
                provider_data: p.provider_data,
            })
            .collect(),
    }))
}
