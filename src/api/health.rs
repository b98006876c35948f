//! Liveness and readiness probes, without authentication.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::Backend;
use crate::http::error::{ApiError, ErrorCode, Problem};
use crate::http::state::AppState;

/// A probe's answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct HealthStatus {
    /// `ok` (alive) or `ready` (store reachable and migrated).
    pub status: ProbeStatus,
    /// The store backend, on `/readyz`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store: Option<StoreBackend>,
}

/// What a probe found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProbeStatus {
    /// The process is alive (`/healthz`).
    Ok,
    /// The gateway can serve (`/readyz`).
    Ready,
}

/// The store the gateway keeps its keys and records in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StoreBackend {
    /// PostgreSQL.
    Postgres,
    /// Embedded SQLite.
    Sqlite,
}

/// The process is alive (no dependency is checked).
#[utoipa::path(get, path = "/healthz", tag = "health", responses(
    (status = 200, description = "The process is alive.", body = HealthStatus,
     example = json!({"status": "ok"})),
))]
pub async fn healthz() -> Json<HealthStatus> {
    Json(HealthStatus {
        status: ProbeStatus::Ok,
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
        Backend::Postgres => StoreBackend::Postgres,
        Backend::Sqlite => StoreBackend::Sqlite,
    };
    Ok(Json(HealthStatus {
        status: ProbeStatus::Ready,
        store: Some(store),
    }))
}
