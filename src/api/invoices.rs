//! `/v1/invoices`: what helodata billed each account, with its lines, and the PDF streamed
//! through as it arrives (the gateway never holds a whole file; its length is passed on when
//! helodata sends it). 501 on 911Proxy, which documents no invoices.

use axum::Json;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::common::{
    AccountName, CursorText, DateOrDateTime, ProductName, ProviderName, ScopedIdText,
    parse_time_param,
};
use super::files::streamed;
use super::money::MoneyAmount;
use super::pagination::{accounts_link, accounts_position};
use super::problems::ReadErrors;
use super::scoped::{provider_of, scoped_id};
use crate::domain::api_keys::Scope;
use crate::domain::invoices::{Invoice, InvoiceFilter, InvoiceStatus};
use crate::domain::pagination::Cursor;
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::state::AppState;
use crate::services::invoices as service;

/// Where an invoice stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatusName {
    /// Paid.
    Paid,
    /// Issued, not paid yet.
    Due,
    /// The charge failed.
    Failed,
    /// A state the gateway does not know; see `provider_data`.
    Other,
}

impl From<InvoiceStatus> for InvoiceStatusName {
    fn from(s: InvoiceStatus) -> Self {
        match s {
            InvoiceStatus::Paid => InvoiceStatusName::Paid,
            InvoiceStatus::Due => InvoiceStatusName::Due,
            InvoiceStatus::Failed => InvoiceStatusName::Failed,
            InvoiceStatus::Other => InvoiceStatusName::Other,
        }
    }
}

impl From<InvoiceStatusName> for InvoiceStatus {
    fn from(s: InvoiceStatusName) -> Self {
        match s {
            InvoiceStatusName::Paid => InvoiceStatus::Paid,
            InvoiceStatusName::Due => InvoiceStatus::Due,
            InvoiceStatusName::Failed => InvoiceStatus::Failed,
            InvoiceStatusName::Other => InvoiceStatus::Other,
        }
    }
}

/// One billed line.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceLineView {
    /// The provider's description.
    pub description: Option<String>,
    /// What was billed.
    pub product: Option<ProductName>,
    /// How many units.
    pub quantity: Option<u64>,
    /// The unit, in the provider's words (`gb`, `ip_month`, `plan`).
    pub unit: Option<String>,
    /// Price per unit.
    pub unit_price: Option<MoneyAmount>,
    /// The line's amount.
    pub amount: Option<MoneyAmount>,
}

/// One invoice.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceView {
    /// `<account>:inv_…`.
    #[schema(value_type = ScopedIdText, example = "helodata:inv_01HX2K3PQ4M5")]
    pub id: String,
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// Its provider.
    pub provider: ProviderName,
    /// The provider's invoice number.
    pub number: Option<String>,
    /// Where it stands.
    pub status: InvoiceStatusName,
    /// The total.
    pub total: Option<MoneyAmount>,
    /// The billed period's start, UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    pub period_start: Option<OffsetDateTime>,
    /// The billed period's end, UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    pub period_end: Option<OffsetDateTime>,
    /// Issued, UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    pub issued_at: Option<OffsetDateTime>,
    /// Due, UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    pub due_at: Option<OffsetDateTime>,
    /// Paid, UTC.
    #[serde(with = "time::serde::rfc3339::option")]
    pub paid_at: Option<OffsetDateTime>,
    /// Its lines.
    pub lines: Vec<InvoiceLineView>,
    /// The provider's object.
    #[schema(value_type = Object)]
    pub provider_data: serde_json::Value,
}

impl InvoiceView {
    fn from_domain(i: Invoice, state: &AppState) -> Result<Self, ApiError> {
        let provider = provider_of(state, &i.id.account)?;
        Ok(InvoiceView {
            id: i.id.to_string(),
            account: i.id.account.clone(),
            provider,
            number: i.number,
            status: i.status.into(),
            total: i.total.map(Into::into),
            period_start: i.period_start,
            period_end: i.period_end,
            issued_at: i.issued_at,
            due_at: i.due_at,
            paid_at: i.paid_at,
            lines: i
                .lines
                .into_iter()
                .map(|l| InvoiceLineView {
                    description: l.description,
                    product: l.product.map(Into::into),
                    quantity: l.quantity,
                    unit: l.unit,
                    unit_price: l.unit_price.map(Into::into),
                    amount: l.amount.map(Into::into),
                })
                .collect(),
            provider_data: i.provider_data,
        })
    }
}

/// A page of invoices.
#[derive(Debug, Serialize, ToSchema)]
pub struct InvoiceList {
    /// By account, then in the provider's order.
    pub data: Vec<InvoiceView>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    #[schema(value_type = Option<CursorText>)]
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
    /// Only this status.
    pub status: Option<InvoiceStatusName>,
    /// Issued at or after this time: a date (midnight UTC) or an RFC 3339 time; before `to`.
    #[param(value_type = Option<DateOrDateTime>)]
    pub from: Option<String>,
    /// Issued before this time.
    #[param(value_type = Option<DateOrDateTime>)]
    pub to: Option<String>,
    /// The `next_cursor` of the previous page.
    #[param(value_type = Option<CursorText>)]
    pub cursor: Option<String>,
    /// Items per page, 1–100 (default 50).
    #[serde(default, deserialize_with = "super::common::query_u32")]
    #[param(minimum = 1, maximum = 100, example = 50)]
    pub limit: Option<u32>,
}

/// Lists the accounts' invoices (helodata; 501 on 911Proxy).
#[utoipa::path(get, path = "/invoices",
    extensions(("x-audit" = json!({"operation": "invoices.list", "resource": "invoice", "account": "query"}))),
    tag = "billing", params(ListParams),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "A page of invoices.", body = InvoiceList,
         headers(("Link" = String, description = "`<…?cursor=…&limit=…>; rel=\"next\"` when there is a next page"))),
        ReadErrors,
    ))]
pub async fn list_invoices(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let (limit, cursor) = accounts_position(params.limit, 100, params.cursor.as_deref())?;
    let time = |field: &str, value: &Option<String>| {
        value
            .as_deref()
            .map(|t| parse_time_param(field, t))
            .transpose()
    };
    let filter = InvoiceFilter {
        status: params.status.map(Into::into),
        from: time("from", &params.from)?,
        to: time("to", &params.to)?,
    };
    if let (Some(from), Some(to)) = (filter.from, filter.to)
        && from >= to
    {
        return Err(ApiError::invalid_argument("to", "to must be after from"));
    }
    let page = service::list(
        &state.providers,
        principal,
        &params.account,
        &filter,
        cursor,
        limit,
    )
    .await?;
    let headers = accounts_link("/v1/invoices", &page, limit, &params.account);
    let body = InvoiceList {
        next_cursor: page.next.as_ref().map(Cursor::encode),
        data: page
            .items
            .into_iter()
            .map(|i| InvoiceView::from_domain(i, &state))
            .collect::<Result<_, _>>()?,
    };
    Ok((headers, Json(body)).into_response())
}

/// One invoice (helodata; 501 on 911Proxy).
#[utoipa::path(get, path = "/invoices/{id}",
    extensions(("x-audit" = json!({"operation": "invoices.get", "resource": "invoice", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "billing",
    params(("id" = ScopedIdText, Path, description = "`<account>:inv_…` as listed", example = "helodata:inv_01HX2K3PQ4M5")),
    security(("api_key" = [])),
    responses((status = 200, description = "The invoice.", body = InvoiceView), ReadErrors))]
pub async fn get_invoice(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Json<InvoiceView>, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let id = scoped_id("id", &id)?;
    let found = service::get(&state.providers, principal, &id).await?;
    Ok(Json(InvoiceView::from_domain(found, &state)?))
}

/// The invoice as a PDF, streamed from helodata as it arrives (501 on 911Proxy).
#[utoipa::path(get, path = "/invoices/{id}/pdf",
    extensions(("x-audit" = json!({"operation": "invoices.pdf", "resource": "invoice", "account": "path_id_prefix", "ids": "path_id"}))),
    tag = "billing",
    params(("id" = ScopedIdText, Path, description = "`<account>:inv_…` as listed", example = "helodata:inv_01HX2K3PQ4M5")),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The PDF; `Content-Length` when helodata sent one.",
         content_type = "application/pdf", body = Vec<u8>,
         headers(("Content-Disposition" = String, description = "`attachment; filename=\"inv_….pdf\"`"))),
        ReadErrors,
    ))]
pub async fn invoice_pdf(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let id = scoped_id("id", &id)?;
    let file = service::pdf(&state.providers, principal, &id).await?;
    Ok(streamed(file))
}
