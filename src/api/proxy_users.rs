//! `/v1/proxy-users`: proxy users of every provider account in one shape. Reads need `read`,
//! writes `write`; passwords appear in reads only for keys with `secrets:read` that ask with
//! `?include=password`, and always once in create and rotate responses.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};

use axum::response::{IntoResponse, Response};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::common::{
    AccountName, CursorText, ProductName, ProviderName, ProxyUserIdText, RequestedProduct,
    StatusName, present, whole_double_option, whole_option, whole_present,
};
use super::pagination::link_header;
use super::problems::{ReadErrors, WriteErrors};
use crate::domain::api_keys::Scope;
use crate::domain::idempotency::WriteContext;
use crate::domain::pagination::{Cursor, page_limit};
use crate::domain::proxy_users::{
    Change, CreatedProxyUser, NewProxyUser, ProxyUser, ProxyUserFilter, ProxyUserId, ProxyUserPatch,
};
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery, OptionalJson};
use crate::http::state::AppState;
use crate::services::proxy_users::{self as service, ListCursor};

/// A proxy user, normalized: bytes, UTC, closed enums.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "911proxy:user01", "account": "911proxy", "provider": "911proxy", "username": "user01",
    "label": "crawler-eu", "products": ["residential"], "status": "enabled",
    "traffic_limit_bytes": 5368709120u64, "traffic_used_bytes": 3072, "concurrency_max": null,
    "rps_max": null, "created_at": "2026-05-01T08:00:00Z",
    "provider_data": {"username": "user01", "remark": "crawler-eu", "product_type": 9,
                      "limit_flow": 5, "usage_flow": 3, "status": 1,
                      "created_at": "2026-05-01 16:00:00"}
}))]
pub struct ProxyUserView {
    /// `<account>:<upstream id>` (911: the username; helodata: the `sub_…` id).
    #[schema(value_type = ProxyUserIdText)]
    pub id: String,
    /// The provider account's configured name.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// The account's provider.
    pub provider: ProviderName,
    /// The name used for proxy authentication (911 username; helodata `name`).
    pub username: String,
    /// Free text (911 remark; helodata label).
    pub label: Option<String>,
    /// Products it can use.
    pub products: Vec<ProductName>,
    /// `enabled` or `disabled`.
    pub status: StatusName,
    /// Traffic cap in bytes (911 GB × 1024³); `null` is unlimited or not offered by the provider.
    #[schema(example = 5368709120u64)]
    pub traffic_limit_bytes: Option<u64>,
    /// Traffic used in bytes (911 KB × 1024); `null` where the provider does not say.
    #[schema(example = 3072u64)]
    pub traffic_used_bytes: Option<u64>,
    /// Concurrent connection cap (helodata); `null` elsewhere.
    pub concurrency_max: Option<u32>,
    /// Requests-per-second cap (helodata); `null` elsewhere.
    pub rps_max: Option<u32>,
    /// Creation time in UTC (911's local times converted with the account's time zone).
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// The password: only with `?include=password` and the `secrets:read` scope, or in create
    /// and rotate responses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The provider's own object, untouched except that secrets are removed.
    #[schema(value_type = Object)]
    pub provider_data: serde_json::Value,
}

impl ProxyUserView {
    fn from_domain(user: ProxyUser, with_password: bool) -> Self {
        ProxyUserView {
            id: user.id.to_string(),
            account: user.id.account.clone(),
            provider: user.provider.into(),
            username: user.username,
            label: user.label,
            products: user.products.into_iter().map(ProductName::from).collect(),
            status: user.status.into(),
            traffic_limit_bytes: user.traffic_limit_bytes,
            traffic_used_bytes: user.traffic_used_bytes,
            concurrency_max: user.concurrency_max,
            rps_max: user.rps_max,
            created_at: user.created_at,
            password: if with_password {
                user.password.map(|p| p.expose_secret().to_string())
            } else {
                None
            },
            provider_data: user.provider_data,
        }
    }

    fn created(created: CreatedProxyUser) -> Self {
        let mut view = ProxyUserView::from_domain(created.user, false);
        view.password = Some(created.password.expose_secret().to_string());
        view
    }
}

/// One page of proxy users.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProxyUserList {
    /// Users, by account name, then in each provider's stable order.
    pub data: Vec<ProxyUserView>,
    /// Pass as `cursor` for the next page; `null` on the last.
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
    /// Only users with this product.
    pub product: Option<RequestedProduct>,
    /// Only users in this status.
    pub status: Option<StatusName>,
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

/// `?include=password` on a single read.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GetParams {
    /// `password` to include the password (needs the `secrets:read` scope).
    pub include: Option<Include>,
}

fn wants_password(caller: &Caller, include: Option<Include>) -> Result<bool, ApiError> {
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
    let cursor = params
        .cursor
        .as_deref()
        .map(ListCursor::decode_public)
        .transpose()?;
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
    let filter = ProxyUserFilter {
        product: params.product.map(Into::into),
        status: params.status.map(Into::into),
        label_contains: params.label_contains.filter(|s| !s.is_empty()),
        username_prefix: params.username_prefix.filter(|s| !s.is_empty()),
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
    let keep: Vec<(&str, &str)> = params
        .account
        .iter()
        .map(|a| ("account", a.as_str()))
        .collect();
    let headers = link_header("/v1/proxy-users", &page, limit, &keep);
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
    let with_password = wants_password(&caller, params.include)?;
    let id = parse_id(&id)?;
    let user = service::get(&state.providers, principal, &id).await?;
    Ok(Json(ProxyUserView::from_domain(user, with_password)))
}

/// A proxy user to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"account": "911proxy", "products": ["residential"], "label": "crawler-eu", "traffic_limit_bytes": 5368709120u64}))]
pub struct CreateProxyUser {
    /// The provider account to create it in.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// Products to grant (911: exactly one of residential, residential_ip, isp, datacenter;
    /// helodata: residential, mobile, isp).
    #[schema(min_items = 1)]
    pub products: Vec<RequestedProduct>,
    /// Free text, up to 64 characters (911: a non-ASCII character counts as 2; helodata:
    /// required, A-Z a-z 0-9 space . _ - only).
    #[schema(max_length = 64)]
    pub label: Option<String>,
    /// 911 only: 1-32 letters and digits; generated when absent. helodata issues it: must be absent.
    #[schema(pattern = "^[A-Za-z0-9]{1,32}$", example = "crawler01")]
    pub username: Option<String>,
    /// 911 only: 6-16 letters and digits; generated when absent. helodata issues it: must be absent.
    #[schema(pattern = "^[A-Za-z0-9]{6,16}$", example = "s3cretPass")]
    pub password: Option<String>,
    /// 911 only: a whole number of GB in bytes (1 GB = 1073741824), 1 to 102400 GB; absent or `null` is unlimited.
    #[serde(default, deserialize_with = "whole_option")]
    #[schema(
        minimum = 1073741824,
        maximum = 109951162777600u64,
        multiple_of = 1073741824
    )]
    pub traffic_limit_bytes: Option<u64>,
    /// helodata only: concurrent connection cap, 1 to 2147483647 (a 32-bit integer).
    #[serde(default, deserialize_with = "whole_option")]
    #[schema(minimum = 1, maximum = 2147483647)]
    pub concurrency_max: Option<u32>,
    /// helodata only: requests-per-second cap, 1 to 2147483647 (a 32-bit integer).
    #[serde(default, deserialize_with = "whole_option")]
    #[schema(minimum = 1, maximum = 2147483647)]
    pub rps_max: Option<u32>,
}

impl CreateProxyUser {
    fn into_parts(self) -> (String, NewProxyUserFields) {
        let fields = NewProxyUserFields {
            products: self.products,
            label: self.label,
            username: self.username,
            password: self.password,
            traffic_limit_bytes: self.traffic_limit_bytes,
            concurrency_max: self.concurrency_max,
            rps_max: self.rps_max,
        };
        (self.account, fields)
    }
}

/// The fields of a new proxy user (one item of a batch).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProxyUserFields {
    /// Products to grant (911: exactly one of residential, residential_ip, isp, datacenter;
    /// helodata: residential, mobile, isp).
    #[schema(min_items = 1)]
    pub products: Vec<RequestedProduct>,
    /// Free text, up to 64 characters (911: a non-ASCII character counts as 2; helodata:
    /// required, A-Z a-z 0-9 space . _ - only).
    #[schema(max_length = 64)]
    pub label: Option<String>,
    /// 911 only: 1-32 letters and digits; generated when absent. helodata issues it: must be absent.
    #[schema(pattern = "^[A-Za-z0-9]{1,32}$", example = "crawler01")]
    pub username: Option<String>,
    /// 911 only: 6-16 letters and digits; generated when absent. helodata issues it: must be absent.
    #[schema(pattern = "^[A-Za-z0-9]{6,16}$", example = "s3cretPass")]
    pub password: Option<String>,
    /// 911 only: a whole number of GB in bytes (1 GB = 1073741824), 1 to 102400 GB; absent or `null` is unlimited.
    #[serde(default, deserialize_with = "whole_option")]
    #[schema(
        minimum = 1073741824,
        maximum = 109951162777600u64,
        multiple_of = 1073741824
    )]
    pub traffic_limit_bytes: Option<u64>,
    /// helodata only: concurrent connection cap, 1 to 2147483647 (a 32-bit integer).
    #[serde(default, deserialize_with = "whole_option")]
    #[schema(minimum = 1, maximum = 2147483647)]
    pub concurrency_max: Option<u32>,
    /// helodata only: requests-per-second cap, 1 to 2147483647 (a 32-bit integer).
    #[serde(default, deserialize_with = "whole_option")]
    #[schema(minimum = 1, maximum = 2147483647)]
    pub rps_max: Option<u32>,
}

/// The largest traffic limit any provider takes (911: 102400 GB).
const MAX_TRAFFIC_LIMIT_BYTES: u64 = 102_400 * GB;
const GB: u64 = 1 << 30;

/// The rules every provider shares, checked before the account's own: what the document's
/// schema states, so a request valid by the schema is never refused for them.
fn check_common(
    prefix: &str,
    label: Option<&str>,
    username: Option<&str>,
    password: Option<&str>,
    traffic_limit_bytes: Option<u64>,
) -> Result<(), ApiError> {
    let alnum = |s: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    if label.is_some_and(|l| l.chars().count() > 64) {
        return Err(ApiError::invalid_argument(
            format!("{prefix}label"),
            "label holds at most 64 characters",
        ));
    }
    if username.is_some_and(|u| !alnum(u, 1..=32)) {
        return Err(ApiError::invalid_argument(
            format!("{prefix}username"),
            "username must be 1-32 ASCII letters or digits",
        ));
    }
    if password.is_some_and(|p| !alnum(p, 6..=16)) {
        return Err(ApiError::invalid_argument(
            format!("{prefix}password"),
            "password must be 6-16 ASCII letters or digits",
        ));
    }
    if let Some(bytes) = traffic_limit_bytes
        && (bytes == 0 || bytes % GB != 0 || bytes > MAX_TRAFFIC_LIMIT_BYTES)
    {
        return Err(ApiError::invalid_argument(
            format!("{prefix}traffic_limit_bytes"),
            "traffic_limit_bytes must be a whole number of GB (multiples of 1073741824 bytes) from 1 to 102400 GB, or null for unlimited",
        ));
    }
    Ok(())
}

/// Caps are 32-bit signed integers on the wire (`format: int32`), so clients in languages
/// whose `int` is 32 bits can hold every value the gateway accepts.
fn check_cap(field: String, value: Option<u32>) -> Result<(), ApiError> {
    match value {
        Some(0) => Err(ApiError::invalid_argument(field, "must be at least 1")),
        Some(n) if n > i32::MAX as u32 => Err(ApiError::invalid_argument(
            field,
            format!("must be at most {}", i32::MAX),
        )),
        _ => Ok(()),
    }
}

impl NewProxyUserFields {
    fn into_domain(self, prefix: &str) -> Result<NewProxyUser, ApiError> {
        if self.products.is_empty() {
            return Err(ApiError::invalid_argument(
                format!("{prefix}products"),
                "name at least one product",
            ));
        }
        check_common(
            prefix,
            self.label.as_deref(),
            self.username.as_deref(),
            self.password.as_deref(),
            self.traffic_limit_bytes,
        )?;
        check_cap(format!("{prefix}concurrency_max"), self.concurrency_max)?;
        check_cap(format!("{prefix}rps_max"), self.rps_max)?;
        Ok(NewProxyUser {
            products: self.products.into_iter().map(Into::into).collect(),
            label: self.label,
            username: self.username,
            password: self.password.map(SecretString::from),
            traffic_limit_bytes: self.traffic_limit_bytes,
            concurrency_max: self.concurrency_max,
            rps_max: self.rps_max,
        })
    }
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

/// Up to 100 proxy users for one account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"account": "911proxy", "users": [{"products": ["residential"], "label": "crawler-1"}, {"products": ["residential"], "label": "crawler-2"}]}))]
pub struct CreateProxyUsersBatch {
    /// The provider account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// The users (1–100); all are validated before any is created.
    #[schema(min_items = 1, max_items = 100)]
    pub users: Vec<NewProxyUserFields>,
}

/// The users a batch created, each with its password (shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedProxyUsers {
    /// In request order.
    pub data: Vec<ProxyUserView>,
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

/// The fields to change (at least one); absent fields stay as they are, `null` clears
/// (`label`) or removes the cap (`traffic_limit_bytes`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1, example = json!({"label": "crawler-us", "status": "disabled", "traffic_limit_bytes": null}))]
pub struct UpdateProxyUser {
    /// New label (up to 64 characters; see create), or `null` to clear it (911 only).
    #[serde(default, deserialize_with = "super::common::double_option")]
    #[schema(value_type = Option<String>, max_length = 64)]
    pub label: Option<Option<String>>,
    /// `enabled` or `disabled`.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub status: Option<StatusName>,
    /// 911 only: new cap in whole GB as bytes (1 to 102400 GB), or `null` for unlimited.
    #[serde(default, deserialize_with = "whole_double_option")]
    #[schema(value_type = Option<u64>, minimum = 1073741824, maximum = 109951162777600u64, multiple_of = 1073741824)]
    pub traffic_limit_bytes: Option<Option<u64>>,
    /// helodata only: new concurrency cap, 1 to 2147483647.
    #[serde(default, deserialize_with = "whole_present")]
    #[schema(nullable = false, minimum = 1, maximum = 2147483647)]
    pub concurrency_max: Option<u32>,
    /// helodata only: new requests-per-second cap, 1 to 2147483647.
    #[serde(default, deserialize_with = "whole_present")]
    #[schema(nullable = false, minimum = 1, maximum = 2147483647)]
    pub rps_max: Option<u32>,
    /// 911 only: a new password of your choice (6-16 letters and digits). helodata: use rotate-password.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false, pattern = "^[A-Za-z0-9]{6,16}$")]
    pub password: Option<String>,
}

fn change<T>(value: Option<Option<T>>) -> Change<T> {
    match value {
        None => Change::Keep,
        Some(None) => Change::Clear,
        Some(Some(v)) => Change::Set(v),
    }
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

/// Optionally, the new password (911 only; generated when absent).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotatePassword {
    /// 911: the new password (6-16 letters and digits). helodata always issues its own.
    #[schema(pattern = "^[A-Za-z0-9]{6,16}$")]
    pub password: Option<String>,
}

/// The new password, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedPasswordView {
    /// The proxy user.
    pub proxy_user: ProxyUserView,
    /// The new password.
    pub password: String,
    /// Until when the old password keeps working, where the provider documents it (911: 5 minutes; helodata: 60 seconds).
    #[serde(with = "time::serde::rfc3339::option")]
    pub old_password_valid_until: Option<OffsetDateTime>,
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

/// Deletes a proxy user (irreversible at both providers).
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
    service::delete(&state.providers, principal, &id, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}
