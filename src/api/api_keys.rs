//! `/v1/api-keys`: create, list, read and revoke the API keys internal services call with.
//! Every route needs the `admin` scope. A token is returned once, at creation.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::common::{AccountName, ApiKeyIdText};
use super::pagination::{PageParams, link_header};
use crate::domain::api_keys::{
    self, AccountRestriction, ApiKey, ApiKeyId, NewApiKey, Scope, Scopes,
};
use crate::domain::idempotency::WriteContext;
use crate::domain::pagination::{Cursor, Page};
use crate::http::auth::Caller;
use crate::http::error::{ApiError, Problem};
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::state::AppState;
use crate::services::api_keys as key_service;

/// A scope an API key can hold; `admin` includes all others.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema)]
pub enum ScopeName {
    /// Read provider data.
    #[serde(rename = "read")]
    Read,
    /// Change provider data.
    #[serde(rename = "write")]
    Write,
    /// Manage API keys and everything else.
    #[serde(rename = "admin")]
    Admin,
    /// See proxy-user passwords with `?include=password`.
    #[serde(rename = "secrets:read")]
    SecretsRead,
    /// Read the audit log.
    #[serde(rename = "audit:read")]
    AuditRead,
}

impl From<Scope> for ScopeName {
    fn from(scope: Scope) -> ScopeName {
        match scope {
            Scope::Read => ScopeName::Read,
            Scope::Write => ScopeName::Write,
            Scope::Admin => ScopeName::Admin,
            Scope::SecretsRead => ScopeName::SecretsRead,
            Scope::AuditRead => ScopeName::AuditRead,
        }
    }
}

/// Whether a key still authenticates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyStatus {
    /// It authenticates requests.
    Active,
    /// It was revoked and authenticates nothing.
    Revoked,
}

impl From<ScopeName> for Scope {
    fn from(name: ScopeName) -> Scope {
        match name {
            ScopeName::Read => Scope::Read,
            ScopeName::Write => Scope::Write,
            ScopeName::Admin => Scope::Admin,
            ScopeName::SecretsRead => Scope::SecretsRead,
            ScopeName::AuditRead => Scope::AuditRead,
        }
    }
}

/// An API key as callers see it: never the token, only its first characters.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "key_01JDQ6Z8M9W3V7Y2K1T0R5N4PX", "name": "billing-service", "scopes": ["read", "write"],
    "accounts": ["helodata"], "token_prefix": "pgw_Zx81aQ0Lr2Vb", "status": "active",
    "created_at": "2026-05-01T08:00:00Z", "last_used_at": "2026-05-01T08:05:00Z", "revoked_at": null
}))]
pub struct ApiKeyView {
    /// `key_<ULID>`.
    #[schema(value_type = ApiKeyIdText)]
    pub id: String,
    /// Who the key is for.
    #[schema(example = "billing-service")]
    pub name: String,
    /// What it may do.
    pub scopes: Vec<ScopeName>,
    /// The provider accounts it may use; `null` means all.
    #[schema(value_type = Option<Vec<AccountName>>)]
    pub accounts: Option<Vec<String>>,
    /// The token's first characters, to recognise it.
    #[schema(example = "pgw_Zx81aQ0Lr2Vb")]
    pub token_prefix: String,
    /// Whether it still authenticates.
    pub status: ApiKeyStatus,
    /// When it was created.
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// When it last authenticated a request (at most a minute stale).
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_used_at: Option<OffsetDateTime>,
    /// When it was revoked.
    #[serde(with = "time::serde::rfc3339::option")]
    pub revoked_at: Option<OffsetDateTime>,
}

impl From<ApiKey> for ApiKeyView {
    fn from(key: ApiKey) -> Self {
        ApiKeyView {
            id: key.id.to_string(),
            name: key.name,
            scopes: key
                .scopes
                .names()
                .iter()
                .filter_map(|name| name.parse::<Scope>().ok())
                .map(ScopeName::from)
                .collect(),
            accounts: key.accounts.names(),
            token_prefix: key.lookup_prefix,
            status: if key.revoked_at.is_some() {
                ApiKeyStatus::Revoked
            } else {
                ApiKeyStatus::Active
            },
            created_at: key.created_at,
            last_used_at: key.last_used_at,
            revoked_at: key.revoked_at,
        }
    }
}

/// A new key's name, scopes and optional account restriction.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"name": "billing-service", "scopes": ["read", "write"], "accounts": ["helodata"]}))]
pub struct CreateApiKey {
    /// Who the key is for: 1–100 characters, not only spaces, no control characters (leading
    /// and trailing spaces are removed).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\u0000-\\u001f\\u007f-\\u009f]*[^\\s\\u0000-\\u001f\\u007f-\\u009f][^\\u0000-\\u001f\\u007f-\\u009f]*$"
    )]
    pub name: String,
    /// At least one scope.
    #[schema(min_items = 1)]
    pub scopes: Vec<ScopeName>,
    /// Restrict the key to these provider accounts (at least one; they need not exist yet);
    /// omit or `null` for all.
    #[serde(default)]
    #[schema(value_type = Option<Vec<AccountName>>, min_items = 1)]
    pub accounts: Option<Vec<String>>,
}

/// A created key with its token, which is shown only in this response.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedApiKey {
    /// The key.
    #[serde(flatten)]
    pub key: ApiKeyView,
    /// The bearer token. Store it now: the gateway keeps only its hash.
    #[schema(example = "pgw_Zx81aQ0Lr2VbS7nE1kqYwX3dC9uT6hJm0pLfA4gRz5e")]
    pub token: String,
}

/// One page of keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiKeyList {
    /// Keys in creation order.
    pub data: Vec<ApiKeyView>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Lists API keys, oldest first, revoked ones included.
#[utoipa::path(get, path = "/api-keys",
    extensions(("x-audit" = json!({"operation": "api_keys.list", "resource": "api_key"}))),
    tag = "api-keys", params(PageParams),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "A page of keys.", body = ApiKeyList,
         headers(("Link" = String, description = "`<…?cursor=…&limit=…>; rel=\"next\"` when there is a next page"))),
        (status = 400, description = "Bad cursor or limit.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked API key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the admin scope.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The store is unavailable.", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn list_api_keys(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<PageParams>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Admin)?;
    let (cursor, limit) = params.parse()?;
    let after = cursor.as_ref().map(|c| c.0.as_str());
    let keys = key_service::list(state.store.api_keys.as_ref(), after, limit + 1).await?;
    let page = Page::from_overfetch(keys, limit, |key| key.id.to_string());
    let headers = link_header("/v1/api-keys", &page, limit, &[]);
    let body = ApiKeyList {
        next_cursor: page.next.as_ref().map(Cursor::encode),
        data: page.items.into_iter().map(ApiKeyView::from).collect(),
    };
    Ok((headers, Json(body)).into_response())
}

/// Creates an API key and returns its token once.
#[utoipa::path(post, path = "/api-keys",
    extensions(("x-audit" = json!({"operation": "api_keys.create", "resource": "api_key", "ids": "response_id"}))),
    tag = "api-keys", request_body = CreateApiKey,
    security(("api_key" = [])),
    responses(
        (status = 201, description = "Created; the token is in this response only.", body = CreatedApiKey,
         headers(("Location" = String, description = "/v1/api-keys/{id}"))),
        (status = 400, description = "Invalid name, scopes or accounts; `field` names which.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked API key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the admin scope.", body = Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body too large.", body = Problem, content_type = "application/problem+json"),
        (status = 415, description = "Body is not JSON.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The store is unavailable.", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn create_api_key(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    ApiJson(body): ApiJson<CreateApiKey>,
) -> Result<Response, ApiError> {
    caller.require(Scope::Admin)?;
    let new = validate_new_key(body)?;
    let (key, token) = key_service::create_keyed(state.store.api_keys.as_ref(), &ctx, new).await?;
    tracing::info!(created_key_id = %key.id, "API key created");
    let mut headers = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/api-keys/{}", key.id)) {
        headers.insert(header::LOCATION, location);
    }
    let body = CreatedApiKey {
        key: key.into(),
        token: token.expose().to_string(),
    };
    Ok((StatusCode::CREATED, headers, Json(body)).into_response())
}

/// Turns the wire request into a domain request, naming the first wrong field.
pub fn validate_new_key(body: CreateApiKey) -> Result<NewApiKey, ApiError> {
    let name = api_keys::validate_key_name(&body.name)
        .map_err(|e| ApiError::invalid_argument("name", format!("name {e}")))?;
    let scopes: Vec<&str> = body
        .scopes
        .iter()
        .map(|s| Scope::from(*s).as_str())
        .collect();
    let scopes = Scopes::parse(scopes).map_err(|e| ApiError::invalid_argument("scopes", e))?;
    let accounts = match body.accounts {
        None => AccountRestriction::all(),
        Some(list) => AccountRestriction::only(list.iter().map(String::as_str))
            .map_err(|e| ApiError::invalid_argument("accounts", e))?,
    };
    Ok(NewApiKey {
        name,
        scopes,
        accounts,
    })
}

fn parse_id(id: &str) -> Result<ApiKeyId, ApiError> {
    id.parse()
        .map_err(|e: String| ApiError::invalid_argument("id", e))
}

/// Reads one API key.
#[utoipa::path(get, path = "/api-keys/{id}",
    extensions(("x-audit" = json!({"operation": "api_keys.get", "resource": "api_key", "ids": "path_id"}))),
    tag = "api-keys",
    params(("id" = ApiKeyIdText, Path, description = "`key_<ULID>`", example = "key_01JDQ6Z8M9W3V7Y2K1T0R5N4PX")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The key.", body = ApiKeyView),
        (status = 400, description = "Malformed id.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked API key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the admin scope.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key.", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn get_api_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<ApiKeyView>, ApiError> {
    caller.require(Scope::Admin)?;
    let id = parse_id(&id)?;
    let key = key_service::get(state.store.api_keys.as_ref(), &id).await?;
    Ok(Json(key.into()))
}

/// Revokes an API key: it stops authenticating at once. Revoking twice is not an error.
#[utoipa::path(delete, path = "/api-keys/{id}",
    extensions(("x-audit" = json!({"operation": "api_keys.revoke", "resource": "api_key", "ids": "path_id"}))),
    tag = "api-keys",
    params(("id" = ApiKeyIdText, Path, description = "`key_<ULID>`", example = "key_01JDQ6Z8M9W3V7Y2K1T0R5N4PX")),
    security(("api_key" = [])),
    responses(
        (status = 204, description = "Revoked."),
        (status = 400, description = "Malformed id.", body = Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing, unknown or revoked API key.", body = Problem, content_type = "application/problem+json"),
        (status = 403, description = "The key lacks the admin scope.", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such key.", body = Problem, content_type = "application/problem+json"),
        (status = 503, description = "The store is unavailable, or the audit log cannot record the revocation (then nothing was revoked).", body = Problem, content_type = "application/problem+json"),
    ))]
pub async fn revoke_api_key(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    caller.require(Scope::Admin)?;
    let id = parse_id(&id)?;
    key_service::revoke(state.store.api_keys.as_ref(), &state.keys, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
