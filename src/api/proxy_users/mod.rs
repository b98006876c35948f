//! `/v1/proxy-users`: proxy users of every provider account in one shape. Reads need `read`,
//! writes `write`; passwords appear in reads only for keys with `secrets:read` that ask with
//! `?include=password`, and always once in create and rotate responses.

mod wire;

pub use wire::*;

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};

use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use super::common::{AccountName, CursorText, ProxyUserIdText, RequestedProduct};
use super::pagination::link_header;
use super::problems::{ReadErrors, WriteErrors};
use crate::domain::api_keys::Scope;
use crate::domain::idempotency::WriteContext;
use crate::domain::pagination::{Cursor, Page, page_limit};
use crate::domain::products::Product;
use crate::domain::proxy_users::{ProxyUserFilter, ProxyUserId, ProxyUserPatch, ProxyUserStatus};
use crate::domain::tombstones::TombstoneFilter;
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery, OptionalJson};
use crate::http::state::AppState;
use crate::services::proxy_users::{self as service, ListCursor};
use crate::services::tombstones::{self, Found, TombstoneCursor};

/// Filters and paging of the listing.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// Only these accounts (repeat the parameter); default: every account the key may use.
    #[serde(default)]
    #[param(value_type = Option<Vec<AccountName>>, explode = true, style = Form)]
    pub account: Vec<String>,
    /// Only users with this product.
    pub product: Option<RequestedProduct>,
    /// Only users in this state; `deleted` lists the tombstones of users the gateway deleted
    /// (newest first; their own cursor).
    pub status: Option<ProxyUserState>,
    /// Only users whose label contains this text (case-insensitive); empty matches all.
    #[param(max_length = 256)]
    pub label_contains: Option<String>,
    /// Only users whose username starts with this; empty matches all.
    #[param(max_length = 256)]
    pub username_prefix: Option<String>,
    /// `password` to include passwords (needs the `secrets:read` scope).
    pub include: Option<Include>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<CursorText>)]
    pub cursor: Option<String>,
    /// Items per page, 1–200 (default 50).
    #[serde(default, deserialize_with = "super::common::query_u32")]
    #[param(minimum = 1, maximum = 200, example = 50)]
    pub limit: Option<u32>,
}

/// The longest text filter.
const MAX_FILTER_CHARS: usize = 256;

/// What a read may include beyond the default fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Include {
    /// The password (needs the `secrets:read` scope).
    Password,
}

/// What a single read may include: `password`, `deleted`, or both (repeat the parameter).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GetInclude {
    /// The password (needs the `secrets:read` scope).
    Password,
    /// A user the gateway deleted: its tombstone, with `status: deleted`.
    Deleted,
}

/// `?include=password` and `?include=deleted` on a single read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GetParams {
    /// `password` to include the password (needs the `secrets:read` scope); `deleted` to
    /// answer with the tombstone of a user the gateway deleted instead of 404.
    #[serde(default)]
    #[param(explode = true, style = Form)]
    pub include: Vec<GetInclude>,
}

/// Whether a read asked for passwords and may see them (`include=password` needs
/// `secrets:read`; asking without it is 403 naming `include`). Shared by every route that can
/// show a password.
pub(crate) fn wants_password(caller: &Caller, include: Option<Include>) -> Result<bool, ApiError> {
    match include {
        None => Ok(false),
        Some(Include::Password) => {
            if caller.0.scopes.allows(Scope::SecretsRead) {
                Ok(true)
            } else {
                Err(
                    ApiError::permission_denied("include=password needs the 'secrets:read' scope")
                        .with_field("include"),
                )
            }
        }
    }
}

/// Lists proxy users across accounts.
#[utoipa::path(get, path = "/proxy-users",
    extensions(("x-audit" = json!({"operation": "proxy_users.list", "resource": "proxy_user", "account": "query"}))),
    tag = "proxy-users", params(ListParams),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "A page of proxy users.", body = ProxyUserList,
         headers(("Link" = String, description = "`<…?cursor=…&limit=…>; rel=\"next\"` when there is a next page"))),
        ReadErrors,
    ))]
pub async fn list_proxy_users(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let with_password = wants_password(&caller, params.include)?;
    let limit = page_limit(params.limit)
        .map_err(|e| ApiError::invalid_argument("limit", format!("limit {e}")))?;
    for (field, value) in [
        ("label_contains", &params.label_contains),
        ("username_prefix", &params.username_prefix),
    ] {
        if value
            .as_ref()
            .is_some_and(|v| v.chars().count() > MAX_FILTER_CHARS)
        {
            return Err(ApiError::invalid_argument(
                field,
                format!("{field} holds at most {MAX_FILTER_CHARS} characters"),
            ));
        }
    }
    let label_contains = params.label_contains.clone().filter(|s| !s.is_empty());
    let username_prefix = params.username_prefix.clone().filter(|s| !s.is_empty());
    let link = |page_next: Option<&Cursor>| list_link(&params, page_next, limit);
    if params.status == Some(ProxyUserState::Deleted) {
        let cursor = params
            .cursor
            .as_deref()
            .map(TombstoneCursor::decode_public)
            .transpose()?;
        let filter = TombstoneFilter {
            accounts: Vec::new(),
            product: params.product.map(Into::into),
            label_contains,
            username_prefix,
        };
        let page = tombstones::list(
            &state.providers,
            state.store.tombstones.as_ref(),
            principal,
            &params.account,
            filter,
            cursor,
            limit,
        )
        .await?;
        let body = ProxyUserList {
            next_cursor: page.next.as_ref().map(Cursor::encode),
            data: page
                .items
                .into_iter()
                .map(ProxyUserView::from_tombstone)
                .collect::<Result<_, _>>()?,
        };
        return Ok((link(page.next.as_ref()), Json(body)).into_response());
    }
    let cursor = params
        .cursor
        .as_deref()
        .map(ListCursor::decode_public)
        .transpose()?;
    let filter = ProxyUserFilter {
        product: params.product.map(Into::into),
        status: match params.status {
            Some(ProxyUserState::Enabled) => Some(ProxyUserStatus::Enabled),
            Some(ProxyUserState::Disabled) => Some(ProxyUserStatus::Disabled),
            Some(ProxyUserState::Deleted) | None => None,
        },
        label_contains,
        username_prefix,
    };
    let page = service::list(
        &state.providers,
        principal,
        &params.account,
        &filter,
        cursor,
        limit,
    )
    .await?;
    let headers = link(page.next.as_ref());
    let body = ProxyUserList {
        next_cursor: page.next.as_ref().map(Cursor::encode),
        data: page
            .items
            .into_iter()
            .map(|u| ProxyUserView::from_domain(u, with_password))
            .collect(),
    };
    Ok((headers, Json(body)).into_response())
}

/// The `Link` to the next page, repeating every filter: the cursor is only valid with them.
fn list_link(params: &ListParams, next: Option<&Cursor>, limit: u32) -> HeaderMap {
    let mut keep: Vec<(&str, &str)> = params
        .account
        .iter()
        .map(|a| ("account", a.as_str()))
        .collect();
    if let Some(product) = params.product {
        keep.push(("product", Product::from(product).as_str()));
    }
    if let Some(status) = params.status {
        keep.push((
            "status",
            match status {
                ProxyUserState::Enabled => "enabled",
                ProxyUserState::Disabled => "disabled",
                ProxyUserState::Deleted => "deleted",
            },
        ));
    }
    for (name, value) in [
        ("label_contains", &params.label_contains),
        ("username_prefix", &params.username_prefix),
    ] {
        if let Some(value) = value.as_deref().filter(|v| !v.is_empty()) {
            keep.push((name, value));
        }
    }
    if params.include == Some(Include::Password) {
        keep.push(("include", "password"));
    }
    let page = Page::<()> {
        items: Vec::new(),
        next: next.cloned(),
    };
    link_header("/v1/proxy-users", &page, limit, &keep)
}

fn parse_id(id: &str) -> Result<ProxyUserId, ApiError> {
    id.parse()
        .map_err(|e: String| ApiError::invalid_argument("id", e))
}

/// Reads one proxy user.
#[utoipa::path(get, path = "/proxy-users/{id}",
    extensions(("x-audit" = json!({"operation": "proxy_users.get", "resource": "proxy_user", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "proxy-users",
    params(("id" = ProxyUserIdText, Path, description = "`<account>:<upstream id>`", example = "911proxy:user01"), GetParams),
    security(("api_key" = [])),
    responses((status = 200, description = "The proxy user.", body = ProxyUserView), ReadErrors))]
pub async fn get_proxy_user(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<GetParams>,
) -> Result<Json<ProxyUserView>, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let with_password = wants_password(
        &caller,
        params
            .include
            .contains(&GetInclude::Password)
            .then_some(Include::Password),
    )?;
    let id = parse_id(&id)?;
    if !params.include.contains(&GetInclude::Deleted) {
        let user = service::get(&state.providers, principal, &id).await?;
        return Ok(Json(ProxyUserView::from_domain(user, with_password)));
    }
    let found = tombstones::get_including_deleted(
        &state.providers,
        state.store.tombstones.as_ref(),
        principal,
        &id,
    )
    .await?;
    Ok(Json(match found {
        Found::Live(user) => ProxyUserView::from_domain(user, with_password),
        Found::Deleted(tombstone) => ProxyUserView::from_tombstone(tombstone)?,
    }))
}

/// Creates a proxy user; the response carries its password, once.
#[utoipa::path(post, path = "/proxy-users",
    extensions(("x-audit" = json!({"operation": "proxy_users.create", "resource": "proxy_user", "account": "body", "ids": "response_id"}))),
    tag = "proxy-users", request_body = CreateProxyUser,
    security(("api_key" = [])),
    responses((status = 201, description = "Created; `password` is shown only now.", body = ProxyUserView,
               headers(("Location" = String, description = "/v1/proxy-users/{id}"))), WriteErrors))]
pub async fn create_proxy_user(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    ApiJson(body): ApiJson<CreateProxyUser>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Write)?;
    let (account, fields) = body.into_parts();
    let user = fields.into_domain("")?;
    let mut created = service::create(&state.providers, principal, &account, &[user], &ctx).await?;
    let created = created.pop().ok_or_else(ApiError::internal)?;
    let view = ProxyUserView::created(created);
    let mut headers = HeaderMap::new();
    if let Ok(location) = HeaderValue::from_str(&format!("/v1/proxy-users/{}", view.id)) {
        headers.insert(header::LOCATION, location);
    }
    Ok((StatusCode::CREATED, headers, Json(view)).into_response())
}

/// Creates up to 100 users in one account: all-or-nothing validation first, then as few upstream
/// calls as the provider allows (one on 911). If the provider stops part-way, the error's
/// `created_ids` names the users that exist; with an `Idempotency-Key`, a retry returns them
/// with their passwords.
#[utoipa::path(post, path = "/proxy-users/batch",
    extensions(("x-audit" = json!({"operation": "proxy_users.create_batch", "resource": "proxy_user", "account": "body", "ids": "response_data_ids"}))),
    tag = "proxy-users", request_body = CreateProxyUsersBatch,
    security(("api_key" = [])),
    responses((status = 201, description = "Created; passwords are shown only now.", body = CreatedProxyUsers), WriteErrors))]
pub async fn create_proxy_users_batch(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    ApiJson(body): ApiJson<CreateProxyUsersBatch>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Write)?;
    if body.users.len() > service::MAX_BATCH {
        return Err(ApiError::invalid_argument(
            "users",
            format!("at most {} users per batch", service::MAX_BATCH),
        ));
    }
    let users = body
        .users
        .into_iter()
        .enumerate()
        .map(|(i, u)| u.into_domain(&format!("users[{i}].")))
        .collect::<Result<Vec<_>, _>>()?;
    let created = service::create(&state.providers, principal, &body.account, &users, &ctx).await?;
    let body = CreatedProxyUsers {
        data: created.into_iter().map(ProxyUserView::created).collect(),
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Changes a proxy user. Where the provider needs one call per field (911), they run in a fixed
/// order (password, label, traffic_limit_bytes, status); if one fails, the error's
/// `applied_fields` says which took effect.
#[utoipa::path(patch, path = "/proxy-users/{id}",
    extensions(("x-audit" = json!({"operation": "proxy_users.update", "resource": "proxy_user", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "proxy-users", request_body = UpdateProxyUser,
    params(("id" = ProxyUserIdText, Path, description = "`<account>:<upstream id>`", example = "911proxy:user01")),
    security(("api_key" = [])),
    responses((status = 200, description = "The proxy user after the change.", body = ProxyUserView), WriteErrors))]
pub async fn update_proxy_user(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<UpdateProxyUser>,
) -> Result<Json<ProxyUserView>, ApiError> {
    let principal = caller.require(Scope::Write)?;
    let id = parse_id(&id)?;
    check_common(
        "",
        body.label.as_ref().and_then(|l| l.as_deref()),
        None,
        body.password.as_deref(),
        body.traffic_limit_bytes.flatten(),
    )?;
    check_cap("concurrency_max".to_string(), body.concurrency_max)?;
    check_cap("rps_max".to_string(), body.rps_max)?;
    let patch = ProxyUserPatch {
        password: body.password.map(SecretString::from),
        label: change(body.label),
        traffic_limit_bytes: change(body.traffic_limit_bytes),
        status: body.status.map(Into::into),
        concurrency_max: body.concurrency_max,
        rps_max: body.rps_max,
    };
    let user = service::update(&state.providers, principal, &id, &patch, &ctx).await?;
    Ok(Json(ProxyUserView::from_domain(user, false)))
}

/// Rotates (or, on 911, sets) a proxy user's password.
#[utoipa::path(post, path = "/proxy-users/{id}/rotate-password",
    extensions(("x-audit" = json!({"operation": "proxy_users.rotate_password", "resource": "proxy_user", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "proxy-users", request_body(content = Option<RotatePassword>, description = "Optional; an empty body generates a password."),
    params(("id" = ProxyUserIdText, Path, description = "`<account>:<upstream id>`", example = "911proxy:user01")),
    security(("api_key" = [])),
    responses((status = 200, description = "The new password, shown only now.", body = RotatedPasswordView), WriteErrors))]
pub async fn rotate_password(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    Path(id): Path<String>,
    OptionalJson(body): OptionalJson<Option<RotatePassword>>,
) -> Result<Json<RotatedPasswordView>, ApiError> {
    let principal = caller.require(Scope::Write)?;
    let id = parse_id(&id)?;
    let new_password = body.flatten().unwrap_or_default().password;
    check_common("", None, None, new_password.as_deref(), None)?;
    let new_password = new_password.map(SecretString::from);
    let rotated = service::rotate_password(
        &state.providers,
        principal,
        &id,
        new_password.as_ref(),
        &ctx,
    )
    .await?;
    Ok(Json(RotatedPasswordView {
        proxy_user: ProxyUserView::from_domain(rotated.user, false),
        password: rotated.password.expose_secret().to_string(),
        old_password_valid_until: rotated.old_password_valid_until,
    }))
}

/// Deletes a proxy user (irreversible at both providers); the gateway keeps its last snapshot,
/// its tombstone (`?include=deleted`, `?status=deleted`).
#[utoipa::path(delete, path = "/proxy-users/{id}",
    extensions(("x-audit" = json!({"operation": "proxy_users.delete", "resource": "proxy_user", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "proxy-users",
    params(("id" = ProxyUserIdText, Path, description = "`<account>:<upstream id>`", example = "911proxy:user01")),
    security(("api_key" = [])),
    responses((status = 204, description = "Deleted."), WriteErrors))]
pub async fn delete_proxy_user(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let principal = caller.require(Scope::Write)?;
    let id = parse_id(&id)?;
    tombstones::delete(
        &state.providers,
        state.store.tombstones.as_ref(),
        principal,
        &id,
        &ctx,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}
