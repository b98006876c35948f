//! `GET /v1/usage`: traffic in bytes over a window, across accounts, grouped as asked.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};
use utoipa::{IntoParams, ToSchema};

use super::common::{
    AccountName, DateOrDateTime, ProductName, ProxyUserIdText, RequestedProduct, parse_time_param,
};
use super::problems::ReadErrors;
use crate::domain::api_keys::Scope;
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::usage::{UsageGroupBy, UsageRow};
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::state::AppState;
use crate::services::usage::{self as service, UsageRequest};

/// How rows are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GroupByName {
    /// One row per day (911: the account's local calendar day; helodata: the UTC day).
    Day,
    /// One row per proxy user.
    ProxyUser,
    /// One row per product.
    Product,
    /// One row per hour (helodata residential and mobile; 501 on 911Proxy).
    Hour,
    /// One row per exit country (helodata residential and mobile; 501 on 911Proxy).
    Region,
    /// One row per exit ASN (helodata residential and mobile; 501 on 911Proxy).
    Asn,
    /// One row per request tag (helodata residential and mobile; 501 on 911Proxy).
    Tag,
    /// One row per static IP (helodata ISP; 501 on 911Proxy).
    Ip,
    /// One row per IP batch (helodata ISP; 501 on 911Proxy).
    IpBatch,
}

impl From<GroupByName> for UsageGroupBy {
    fn from(g: GroupByName) -> Self {
        match g {
            GroupByName::Day => UsageGroupBy::Day,
            GroupByName::ProxyUser => UsageGroupBy::ProxyUser,
            GroupByName::Product => UsageGroupBy::Product,
            GroupByName::Hour => UsageGroupBy::Hour,
            GroupByName::Region => UsageGroupBy::Region,
            GroupByName::Asn => UsageGroupBy::Asn,
            GroupByName::Tag => UsageGroupBy::Tag,
            GroupByName::Ip => UsageGroupBy::Ip,
            GroupByName::IpBatch => UsageGroupBy::IpBatch,
        }
    }
}

/// The usage question.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UsageParams {
    /// Start, inclusive: a date (`2026-05-01`, midnight UTC) or an RFC 3339 time; before `to`,
    /// at most 366 days before it. Default: 7 days before `to`.
    #[param(value_type = Option<DateOrDateTime>)]
    pub from: Option<String>,
    /// End, exclusive: a date or an RFC 3339 time. Default: now.
    #[param(value_type = Option<DateOrDateTime>)]
    pub to: Option<String>,
    /// Only these accounts (repeat the parameter); default: every account the key may use.
    #[serde(default)]
    #[param(value_type = Option<Vec<AccountName>>, explode = true, style = Form)]
    pub account: Vec<String>,
    /// Only this product.
    pub product: Option<RequestedProduct>,
    /// Only this proxy user (`<account>:<upstream id>`); its account must be among `account`
    /// when that is given.
    #[param(value_type = Option<ProxyUserIdText>)]
    pub proxy_user: Option<String>,
    /// Grouping; absent gives one total row per account.
    pub group_by: Option<GroupByName>,
    /// Only traffic exiting in this country (helodata residential and mobile; 501 on 911Proxy).
    #[param(pattern = "^[A-Za-z]{2}$", example = "US")]
    pub region: Option<String>,
    /// Only traffic with this `X-Helodata-Tag` (helodata; 501 on 911Proxy).
    #[param(pattern = "^[a-z0-9_-]{1,64}$", example = "crawler")]
    pub tag: Option<String>,
}

/// One row of usage.
#[derive(Debug, Serialize, ToSchema)]
pub struct UsageRowView {
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// The day (group_by=day).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>, format = Date, example = "2026-05-01")]
    pub day: Option<String>,
    /// The proxy user id (group_by=proxy_user).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<ProxyUserIdText>)]
    pub proxy_user: Option<String>,
    /// The product (group_by=product).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<ProductName>,
    /// The hour (group_by=hour), UTC.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "time::serde::rfc3339::option",
        default
    )]
    pub hour: Option<OffsetDateTime>,
    /// The exit country (group_by=region).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The exit ASN (group_by=asn).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub asn: Option<String>,
    /// The request tag (group_by=tag).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// The static IP (group_by=ip).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    /// The IP batch (group_by=ip_batch), `<account>:bat_…`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_batch: Option<String>,
    /// Total bytes (in + out; 911 KB × 1024).
    pub bytes: u64,
    /// Bytes in, where the provider reports it (helodata).
    pub bytes_in: Option<u64>,
    /// Bytes out, where the provider reports it (helodata).
    pub bytes_out: Option<u64>,
    /// Requests, where the provider reports them (helodata).
    pub requests: Option<u64>,
    /// Failed requests, where the provider reports them (helodata).
    pub errors: Option<u64>,
    /// Start of what this row counted (UTC): its day as the provider draws it (911Proxy: a
    /// local day), within the account's counted window.
    #[serde(with = "time::serde::rfc3339::option")]
    pub period_start: Option<OffsetDateTime>,
    /// End of what this row counted (UTC, exclusive).
    #[serde(with = "time::serde::rfc3339::option")]
    pub period_end: Option<OffsetDateTime>,
}

/// A window in UTC, `to` exclusive.
#[derive(Debug, Serialize, ToSchema)]
pub struct WindowView {
    /// Start, inclusive.
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    /// End, exclusive.
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
}

/// What one account counted for the requested window.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountWindowView {
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// The window asked for.
    pub requested: WindowView,
    /// The window the provider counted (911Proxy: every local day the request touches, whole).
    pub counted: WindowView,
    /// Whether `counted` is wider than `requested`: the rows include traffic outside it.
    pub widened: bool,
}

fn format_day(day: Date) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    day.format(format).unwrap_or_default()
}

impl UsageRowView {
    fn from_domain(row: UsageRow, group_by: Option<GroupByName>) -> Self {
        let group = |g: GroupByName| {
            if group_by == Some(g) {
                row.group.clone()
            } else {
                None
            }
        };
        UsageRowView {
            hour: row.hour,
            region: group(GroupByName::Region),
            asn: group(GroupByName::Asn),
            tag: group(GroupByName::Tag),
            ip: group(GroupByName::Ip),
            ip_batch: group(GroupByName::IpBatch),
            account: row.account,
            day: row.day.map(format_day),
            proxy_user: row.proxy_user.map(|id| id.to_string()),
            product: row.product.map(ProductName::from),
            bytes: row.bytes,
            bytes_in: row.bytes_in,
            bytes_out: row.bytes_out,
            requests: row.requests,
            errors: row.errors,
            period_start: row.period_start,
            period_end: row.period_end,
        }
    }
}

/// Usage over a window.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "from": "2026-05-01T00:00:00Z", "to": "2026-05-03T00:00:00Z", "group_by": "day",
    "rows": [
        {"account": "911proxy", "day": "2026-05-01", "bytes": 1048576, "bytes_in": null,
         "bytes_out": null, "requests": null, "errors": null,
         "period_start": "2026-04-30T16:00:00Z", "period_end": "2026-05-01T16:00:00Z"},
        {"account": "helodata", "day": "2026-05-01", "bytes": 2097152, "bytes_in": 1048576,
         "bytes_out": 1048576, "requests": 420, "errors": 3,
         "period_start": "2026-05-01T00:00:00Z", "period_end": "2026-05-02T00:00:00Z"}
    ],
    "total_bytes": 3145728,
    "windows": [
        {"account": "911proxy", "requested": {"from": "2026-05-01T00:00:00Z", "to": "2026-05-03T00:00:00Z"},
         "counted": {"from": "2026-04-30T16:00:00Z", "to": "2026-05-03T16:00:00Z"}, "widened": true},
        {"account": "helodata", "requested": {"from": "2026-05-01T00:00:00Z", "to": "2026-05-03T00:00:00Z"},
         "counted": {"from": "2026-05-01T00:00:00Z", "to": "2026-05-03T00:00:00Z"}, "widened": false}
    ]
}))]
pub struct UsageReportView {
    /// Start, inclusive (UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub from: OffsetDateTime,
    /// End, exclusive (UTC).
    #[serde(with = "time::serde::rfc3339")]
    pub to: OffsetDateTime,
    /// The grouping used.
    pub group_by: Option<GroupByName>,
    /// Rows by account.
    pub rows: Vec<UsageRowView>,
    /// Sum of `bytes` over the rows.
    pub total_bytes: u64,
    /// Per account, the window its rows counted, so rows of different providers can be
    /// compared and summed honestly.
    pub windows: Vec<AccountWindowView>,
}

/// Traffic usage across accounts, in bytes.
#[utoipa::path(get, path = "/usage",
    extensions(("x-audit" = json!({"operation": "usage.get", "account": "query"}))),
    tag = "usage", params(UsageParams),
    security(("api_key" = [])),
    responses((status = 200, description = "Usage rows and their total.", body = UsageReportView), ReadErrors))]
pub async fn get_usage(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<UsageParams>,
) -> Result<Json<UsageReportView>, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let to = match params.to.as_deref() {
        Some(to) => parse_time_param("to", to)?,
        None => {
            let now = OffsetDateTime::now_utc();
            now.replace_nanosecond(0).unwrap_or(now)
        }
    };
    let from = match params.from.as_deref() {
        Some(from) => parse_time_param("from", from)?,
        None => to
            .checked_sub(time::Duration::days(7))
            .filter(|from| from.year() >= 0)
            .ok_or_else(|| {
                ApiError::invalid_argument(
                    "from",
                    "from defaults to 7 days before to, which is before year 0000; give from",
                )
            })?,
    };
    if let Some(region) = &params.region {
        super::common::country_code("region", region)?;
    }
    if let Some(tag) = &params.tag
        && (tag.is_empty()
            || tag.len() > 64
            || !tag
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-'))
    {
        return Err(ApiError::invalid_argument(
            "tag",
            "tag is 1-64 characters of a-z 0-9 _ - (X-Helodata-Tag)",
        ));
    }
    let proxy_user = params
        .proxy_user
        .as_deref()
        .map(|id| {
            id.parse::<ProxyUserId>()
                .map_err(|e| ApiError::invalid_argument("proxy_user", e))
        })
        .transpose()?;
    let request = UsageRequest {
        from,
        to,
        accounts: params.account,
        product: params.product.map(Into::into),
        proxy_user,
        group_by: params.group_by.map(Into::into),
        region: params.region.clone(),
        tag: params.tag.clone(),
    };
    let report = service::usage(&state.providers, principal, request).await?;
    Ok(Json(UsageReportView {
        from,
        to,
        group_by: params.group_by,
        rows: report
            .rows
            .into_iter()
            .map(|r| UsageRowView::from_domain(r, params.group_by))
            .collect(),
        total_bytes: report.total_bytes,
        windows: report
            .windows
            .into_iter()
            .map(|(account, counted)| AccountWindowView {
                account,
                requested: WindowView { from, to },
                widened: counted.from < from || counted.to > to,
                counted: WindowView {
                    from: counted.from,
                    to: counted.to,
                },
            })
            .collect(),
    }))
}
