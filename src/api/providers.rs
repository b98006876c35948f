//! `/v1/providers`: the configured provider accounts, what each can do, and a health probe.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::common::{AccountName, BreakerStateName, CapabilityName, ProductName, ProviderName};
use super::problems::ScopeErrors;
use crate::domain::api_keys::Scope;
use crate::http::auth::Caller;
use crate::http::error::{ApiError, Problem};
use crate::http::state::AppState;
use crate::services::providers as service;

/// One configured provider account.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderView {
    /// The account's name (the first part of every id).
    #[schema(value_type = AccountName)]
    pub name: String,
    /// The account's provider.
    pub kind: ProviderName,
    /// Whether it is a simulated provider (sandbox mode).
    pub sandbox: bool,
    /// Products the provider sells.
    pub products: Vec<ProductName>,
    /// The normalized operations it supports; others answer 501 `unsupported_by_provider`.
    #[schema(example = json!(["proxy_users.list", "proxy_users.create"]))]
    pub capabilities: Vec<CapabilityName>,
    /// The state of the account's circuit breaker.
    pub circuit_breaker: BreakerStateName,
}

/// The accounts.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderList {
    /// True when the gateway serves simulated providers (no real account configured).
    pub sandbox: bool,
    /// By name.
    pub data: Vec<ProviderView>,
}

/// The provider accounts the key may use, with their capabilities.
#[utoipa::path(get, path = "/providers",
    extensions(("x-audit" = json!({"operation": "providers.list"}))),
    tag = "providers",
    security(("api_key" = [])),
    responses((status = 200, description = "The accounts.", body = ProviderList), ScopeErrors))]
pub async fn list_providers(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ProviderList>, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let data: Vec<ProviderView> = service::visible(&state.providers, principal)
        .into_iter()
        .map(|account| ProviderView {
            name: account.name.clone(),
            kind: account.kind.into(),
            sandbox: account.sandbox,
            products: account
                .adapter
                .products()
                .iter()
                .copied()
                .map(ProductName::from)
                .collect(),
            capabilities: account
                .adapter
                .capabilities()
                .iter()
                .map(|c| CapabilityName::from(*c))
                .collect(),
            circuit_breaker: account.client.breaker_state().into(),
        })
        .collect();
    Ok(Json(ProviderList {
        sandbox: state.providers.iter().any(|a| a.sandbox),
        data,
    }))
}

/// How a health call ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HealthOutcome {
    /// The provider answered as expected.
    Ok,
    /// The call failed; `error` says how.
    Failed,
}

/// The outcome of one health call.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderHealth {
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// Whether the call succeeded.
    pub outcome: HealthOutcome,
    /// Time the upstream call took, in milliseconds.
    #[schema(minimum = 0.0, example = 42.125)]
    pub latency_ms: f64,
    /// What went wrong, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
}

/// Makes one cheap upstream call for the account and reports latency and outcome (200 either way).
#[utoipa::path(get, path = "/providers/{name}/health",
    extensions(("x-audit" = json!({"operation": "providers.health", "account": "path_name"}))),
    tag = "providers",
    params(("name" = AccountName, Path, description = "The account's name", example = "911proxy")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The outcome, also when the call failed.", body = ProviderHealth),
        (status = 403, description = "permission_denied: the key lacks the read scope or this account.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "not_found: no account of this name.", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn provider_health(
    State(state): State<AppState>,
    caller: Caller,
    Path(name): Path<String>,
) -> Result<impl IntoResponse, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let report = service::health(&state.providers, principal, &name).await?;
    Ok(Json(ProviderHealth {
        account: report.account,
        outcome: if report.outcome.is_ok() {
            HealthOutcome::Ok
        } else {
            HealthOutcome::Failed
        },
        latency_ms: (report.latency.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
        error: report.outcome.err().map(|e| ApiError::from(e).to_problem()),
    }))
}
