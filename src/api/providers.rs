//! `/v1/providers`: the configured provider accounts, what each can do, and a health probe.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use serde::Serialize;
use utoipa::ToSchema;

use super::common::ProductName;
use super::problems::ReadErrors;
use crate::app::AppState;
use crate::domain::api_keys::Scope;
use crate::domain::services::providers as service;
use crate::error::{ApiError, Problem};
use crate::http::auth::Caller;

/// One configured provider account.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderView {
    /// The account's name (the first part of every id).
    #[schema(example = "911proxy")]
    pub name: String,
    /// `helodata` or `911proxy`.
    #[schema(example = "911proxy")]
    pub kind: String,
    /// Whether it is a simulated provider (sandbox mode).
    pub sandbox: bool,
    /// Products the provider sells.
    pub products: Vec<ProductName>,
    /// The normalized operations it supports; others answer 501 `unsupported_by_provider`.
    #[schema(example = json!(["proxy_users.list", "proxy_users.create"]))]
    pub capabilities: Vec<String>,
    /// The circuit breaker: `closed`, `open` or `half_open`.
    #[schema(example = "closed")]
    pub circuit_breaker: String,
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
#[utoipa::path(get, path = "/providers", tag = "providers",
    security(("api_key" = [])),
    responses((status = 200, description = "The accounts.", body = ProviderList), ReadErrors))]
pub async fn list_providers(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<ProviderList>, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let data: Vec<ProviderView> = service::visible(&state.providers, principal)
        .into_iter()
        .map(|account| ProviderView {
            name: account.name.clone(),
            kind: account.kind.as_str().to_string(),
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
                .map(|c| c.as_str().to_string())
                .collect(),
            circuit_breaker: account.client.breaker_state().as_str().to_string(),
        })
        .collect();
    Ok(Json(ProviderList {
        sandbox: state.providers.iter().any(|a| a.sandbox),
        data,
    }))
}

/// The outcome of one health call.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderHealth {
    /// The account.
    pub account: String,
    /// `ok` or `failed`.
    #[schema(example = "ok")]
    pub outcome: String,
    /// Time the upstream call took, in milliseconds.
    pub latency_ms: f64,
    /// What went wrong, when it failed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<Problem>,
}

/// Makes one cheap upstream call for the account and reports latency and outcome (200 either way).
#[utoipa::path(get, path = "/providers/{name}/health", tag = "providers",
    params(("name" = String, Path, description = "The account's name", example = "911proxy")),
    security(("api_key" = [])),
    responses((status = 200, description = "The outcome.", body = ProviderHealth), ReadErrors))]
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
            "ok"
        } else {
            "failed"
        }
        .to_string(),
        latency_ms: (report.latency.as_secs_f64() * 1000.0 * 1000.0).round() / 1000.0,
        error: report.outcome.err().map(|e| e.to_problem()),
    }))
}
