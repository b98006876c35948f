//! Liveness and readiness probes, without authentication.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::config::Backend;
use crate::error::{ApiError, ErrorCode, Problem};

/// A probe's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    /// `ok` (alive) or `ready` (store reachable and migrated).
    pub status: String,
    /// The store backend, on `/readyz`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<String>,
}

/// The process is alive (no dependency is checked).
#[utoipa::path(get, path = "/healthz", tag = "health", responses(
    (status = 200, description = "The process is alive.", body = HealthStatus,
     example = json!({"status": "ok"})),
))]
pub async fn healthz() -> Json<HealthStatus> {
    Json(HealthStatus {
        status: "ok".to_string(),
        store: None,
    })
}

/// The gateway can serve: its store answers and every migration is applied.
#[utoipa::path(get, path = "/readyz", tag = "health", responses(
    (status = 200, description = "Ready to serve.", body = HealthStatus,
     example = json!({"status": "ready", "store": "postgres"})),
    (status = 503, description = "The store is unreachable or not migrated.", body = Problem, content_type = "application/problem+json"),
))]
pub async fn readyz(State(state): State<AppState>) -> Result<Json<HealthStatus>, ApiError> {
    state.store.admin.readiness().await.map_err(|err| {
        tracing::warn!(error = %err, "not ready");
        ApiError::new(
            ErrorCode::ServiceUnavailable,
            "the gateway's store is unreachable or not migrated",
        )
        .with_retry_after(1)
    })?;
    let store = match state.store.admin.backend() {
        Backend::Postgres => "postgres",
        Backend::Sqlite => "sqlite",
    };
    Ok(Json(HealthStatus {
        status: "ready".to_string(),
        store: Some(store.to_string()),
    }))
}
