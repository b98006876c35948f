//! `/v1/sessions` (live sticky sessions) and `/v1/requests` (sampled requests, for debugging):
//! what a provider's gateway reports of live traffic. helodata reports both (§5.6, §5.7);
//! 911Proxy neither (501). Reads need `read`; ending a session needs `write`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::common::{AccountName, CursorText, ProductName, RequestedProduct, ScopedIdText};
use super::pagination::{accounts_link, accounts_position};
use super::problems::{ReadErrors, WriteErrors};
use crate::domain::api_keys::Scope;
use crate::domain::idempotency::WriteContext;
use crate::domain::pagination::Cursor;
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::sessions::{RequestSample, StickySession};
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::state::AppState;
use crate::services::listing::ListCursor;
use crate::services::sessions::{self as service, TrafficQuery};

/// Filters and paging.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TrafficParams {
    /// Only these accounts (repeat the parameter); default: every account the key may use.
    #[serde(default)]
    #[param(value_type = Option<Vec<AccountName>>, explode = true, style = Form)]
    pub account: Vec<String>,
    /// Only this product.
    pub product: Option<RequestedProduct>,
    /// Only this proxy user's; it also selects the user's account.
    #[param(value_type = Option<ScopedIdText>)]
    pub proxy_user: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<CursorText>)]
    pub cursor: Option<String>,
    /// Items per page, 1–100 (default 50).
    #[serde(default, deserialize_with = "super::common::query_u32")]
    #[param(minimum = 1, maximum = 100, example = 50)]
    pub limit: Option<u32>,
}

/// One sampled request.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestSampleView {
    /// The provider's id of the sample.
    pub id: String,
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// The product.
    pub product: ProductName,
    /// The proxy user that sent it.
    #[schema(value_type = Option<ScopedIdText>)]
    pub proxy_user: Option<String>,
    /// When, UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    pub at: Option<OffsetDateTime>,
    /// The target's HTTP status.
    pub status: Option<u16>,
    /// The exit IP.
    pub exit_ip: Option<String>,
    /// Exit geo, `country/state/city` in the provider's spelling.
    #[schema(example = "us/ca/la")]
    pub geo: Option<String>,
    /// Exit ASN.
    pub asn: Option<u64>,
    /// Bytes from the target.
    pub bytes_in: Option<u64>,
    /// Bytes to the target.
    pub bytes_out: Option<u64>,
    /// The request tag.
    pub tag: Option<String>,
    /// The target host.
    pub target_domain: Option<String>,
    /// The provider's object, untouched.
    #[schema(value_type = Object)]
    pub provider_data: std::sync::Arc<serde_json::Value>,
}

impl From<RequestSample> for RequestSampleView {
    fn from(r: RequestSample) -> Self {
        RequestSampleView {
            id: r.id,
            account: r.account,
            product: r.product.into(),
            proxy_user: r.proxy_user.map(|u| u.to_string()),
            at: r.at,
            status: r.status,
            exit_ip: r.exit_ip,
            geo: r.geo,
            asn: r.asn,
            bytes_in: r.bytes_in,
            bytes_out: r.bytes_out,
            tag: r.tag,
            target_domain: r.target_domain,
            provider_data: r.provider_data,
        }
    }
}

/// One sticky session.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// `<account>:<upstream id>` (helodata: `<product>:ses_…`).
    #[schema(value_type = ScopedIdText, example = "helodata:residential:ses_01HX2K3PQ4M5")]
    pub id: String,
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// The product whose gateway holds it.
    pub product: ProductName,
    /// The proxy user.
    #[schema(value_type = Option<ScopedIdText>)]
    pub proxy_user: Option<String>,
    /// The session id chosen in the username (e.g. `job1`).
    pub session_id: Option<String>,
    /// Exit country (ISO, upper case).
    pub country: Option<String>,
    /// Exit state, provider's spelling.
    pub state: Option<String>,
    /// Exit city, provider's spelling.
    pub city: Option<String>,
    /// Exit ASN.
    pub asn: Option<u64>,
    /// The current exit IP.
    pub exit_ip: Option<String>,
    /// Start, UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    pub started_at: Option<OffsetDateTime>,
    /// End, UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    pub expires_at: Option<OffsetDateTime>,
    /// Traffic so far, bytes.
    pub bytes_used: Option<u64>,
    /// Requests so far.
    pub requests: Option<u64>,
    /// Whether the exit IP changed mid-session.
    pub repinned: bool,
    /// Its latest request samples (in `GET /v1/sessions/{id}` only; empty in lists).
    pub samples: Vec<RequestSampleView>,
    /// The provider's object, untouched (samples apart).
    #[schema(value_type = Object)]
    pub provider_data: std::sync::Arc<serde_json::Value>,
}

impl From<StickySession> for SessionView {
    fn from(s: StickySession) -> Self {
        SessionView {
            id: s.id.to_string(),
            account: s.id.account,
            product: s.product.into(),
            proxy_user: s.proxy_user.map(|u| u.to_string()),
            session_id: s.session_id,
            country: s.country,
            state: s.state,
            city: s.city,
            asn: s.asn,
            exit_ip: s.exit_ip,
            started_at: s.started_at,
            expires_at: s.expires_at,
            bytes_used: s.bytes_used,
            requests: s.requests,
            repinned: s.repinned,
            samples: s.samples.into_iter().map(Into::into).collect(),
            provider_data: s.provider_data,
        }
    }
}

/// A page of sessions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionList {
    /// The sessions, by account, then in the provider's order.
    pub data: Vec<SessionView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    #[schema(value_type = Option<CursorText>)]
    pub next_cursor: Option<String>,
}

/// A page of request samples.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestSampleList {
    /// The samples, by account, then newest first.
    pub data: Vec<RequestSampleView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    #[schema(value_type = Option<CursorText>)]
    pub next_cursor: Option<String>,
}

/// The most items one page holds.
const MAX_LIMIT: u32 = 100;

fn parse(params: TrafficParams) -> Result<(TrafficQuery, Option<ListCursor>, u32), ApiError> {
    let (limit, cursor) = accounts_position(params.limit, MAX_LIMIT, params.cursor.as_deref())?;
    let proxy_user = params
        .proxy_user
        .map(|t| {
            t.parse::<ProxyUserId>().map_err(|_| {
                ApiError::invalid_argument(
                    "proxy_user",
                    "proxy_user looks like <account>:<upstream id>",
                )
            })
        })
        .transpose()?;
    Ok((
        TrafficQuery {
            accounts: params.account,
            product: params.product.map(Into::into),
            proxy_user,
        },
        cursor,
        limit,
    ))
}

fn session_id(id: &str) -> Result<ProxyUserId, ApiError> {
    id.parse()
        .map_err(|e: String| ApiError::invalid_argument("id", e))
}

/// Lists live sticky sessions.
#[utoipa::path(get, path = "/sessions",
    extensions(("x-audit" = json!({"operation": "sessions.list", "resource": "session", "account": "query"}))),
    tag = "sessions", params(TrafficParams),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "A page of sessions.", body = SessionList,
         headers(("Link" = String, description = "`<…?cursor=…&limit=…>; rel=\"next\"` when there is a next page"))),
        ReadErrors,
    ))]
pub async fn list_sessions(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<TrafficParams>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let (query, cursor, limit) = parse(params)?;
    let page = service::list_sessions(&state.providers, principal, &query, cursor, limit).await?;
    let headers = accounts_link("/v1/sessions", &page, limit, &query.accounts);
    let body = SessionList {
        next_cursor: page.next.as_ref().map(Cursor::encode),
        data: page.items.into_iter().map(Into::into).collect(),
    };
    Ok((headers, Json(body)).into_response())
}

/// One sticky session with its latest request samples.
#[utoipa::path(get, path = "/sessions/{id}",
    extensions(("x-audit" = json!({"operation": "sessions.get", "resource": "session", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "sessions",
    params(("id" = ScopedIdText, Path, description = "`<account>:<upstream id>` as listed", example = "helodata:residential:ses_01HX2K3PQ4M5")),
    security(("api_key" = [])),
    responses((status = 200, description = "The session.", body = SessionView), ReadErrors))]
pub async fn get_session(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<SessionView>, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let session = service::get_session(&state.providers, principal, &session_id(&id)?).await?;
    Ok(Json(session.into()))
}

/// Ends a sticky session early: the next request on its username gets a new exit IP.
#[utoipa::path(delete, path = "/sessions/{id}",
    extensions(("x-audit" = json!({"operation": "sessions.delete", "resource": "session", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "sessions",
    params(("id" = ScopedIdText, Path, description = "`<account>:<upstream id>` as listed", example = "helodata:residential:ses_01HX2K3PQ4M5")),
    security(("api_key" = [])),
    responses((status = 204, description = "Ended."), WriteErrors))]
pub async fn delete_session(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let principal = caller.require(Scope::Write)?;
    service::delete_session(&state.providers, principal, &session_id(&id)?, &ctx).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lists sampled requests (for debugging; they come from the provider's last 1,000).
#[utoipa::path(get, path = "/requests",
    extensions(("x-audit" = json!({"operation": "requests.list", "resource": "request_sample", "account": "query"}))),
    tag = "sessions", params(TrafficParams),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "A page of request samples.", body = RequestSampleList,
         headers(("Link" = String, description = "`<…?cursor=…&limit=…>; rel=\"next\"` when there is a next page"))),
        ReadErrors,
    ))]
pub async fn list_requests(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<TrafficParams>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let (query, cursor, limit) = parse(params)?;
    let page = service::list_requests(&state.providers, principal, &query, cursor, limit).await?;
    let headers = accounts_link("/v1/requests", &page, limit, &query.accounts);
    let body = RequestSampleList {
        next_cursor: page.next.as_ref().map(Cursor::encode),
        data: page.items.into_iter().map(Into::into).collect(),
    };
    Ok((headers, Json(body)).into_response())
}
