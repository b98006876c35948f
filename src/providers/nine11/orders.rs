//! 911's orders: `order/list` (`page_no`/`page_size`, newest first, `data.pagination`),
//! `order/create` and `order/close`, code-0 endpoints with ISO `…Z` times. An order's id is
//! its `trade_no` (what `order/list` filters by and `order/close` takes).
//!
//! 911 has no idempotency, so a keyed create is made exactly-once here: before the call the
//! gateway journals a watermark (the newest order id, the time, the package and top-up amount);
//! a resumed create reads the orders placed after the watermark and matches them (see
//! [`reconcile`]). The list shows no quantity and no field that could carry a marker of the
//! gateway's (`coupon_sn` is checked by 911), so package, amount and time are what match.

use jiff::tz::TimeZone;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;

use super::client::Nine11Client;
use super::map::{self, text, usd};
use super::wire::{ORDER_CLOSE, ORDER_CREATE, ORDER_LIST};
use crate::domain::orders::{Order, OrderFilter, OrderRequest, OrderStatus};
use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUserId;
use crate::providers::{ItemPage, ProviderError};

/// The fields of a normalized order request that 911's `order/create` takes.
const TAKEN: [&str; 11] = [
    "package_id",
    "payment_method",
    "quantity",
    "static_ips",
    "regions",
    "coupon",
    "use_invitation_discount",
    "months",
    "bandwidth_sku_id",
    "concurrency_sku_id",
    "top_up_amount",
];
/// How far around the first attempt a resumed create looks: 911's clock and the gateway's
/// may differ, and the first attempt's call may have been applied up to its deadline after
/// it was sent. The watermark (orders after the newest id seen before) does the real work.
const WINDOW_BEFORE: time::Duration = time::Duration::minutes(2);
const WINDOW_AFTER: time::Duration = time::Duration::minutes(10);
/// Pages a reconciliation reads at most (100 orders each) before it gives up as ambiguous.
const MAX_RECONCILE_PAGES: u64 = 10;

/// 911's order status: 0 pending payment, 1 paid, 2 unpaid and canceled, 3 refunded.
pub fn status_of(code: Option<i64>) -> OrderStatus {
    match code {
        Some(0) => OrderStatus::Pending,
        Some(1) => OrderStatus::Completed,
        Some(2) => OrderStatus::Canceled,
        Some(3) => OrderStatus::Refunded,
        _ => OrderStatus::Other,
    }
}

fn status_code(status: OrderStatus) -> Option<i64> {
    match status {
        OrderStatus::Pending => Some(0),
        OrderStatus::Completed => Some(1),
        OrderStatus::Canceled => Some(2),
        OrderStatus::Refunded => Some(3),
        OrderStatus::Provisioning | OrderStatus::Failed | OrderStatus::Other => None,
    }
}

/// One order of `order/list` or `order/create`; `product` is known only when the listing was
/// filtered by product type (911's order shows a package id and name, not a type).
pub fn order(account: &str, tz: &TimeZone, raw: &Value, product: Option<Product>) -> Order {
    Order {
        id: ProxyUserId::new(account, text(raw, "trade_no").unwrap_or_default()),
        status: status_of(raw.get("status").and_then(Value::as_i64)),
        product,
        description: text(raw, "product_name"),
        amount: usd(raw, "total_fee"),
        paid_amount: usd(raw, "pay_fee"),
        created_at: text(raw, "created_at").and_then(|t| map::parse_any_time(&t, tz)),
        provider_data: raw.clone(),
    }
}

/// Where a page resumes: 911's page number, and the id of the last order shown (orders placed
/// meanwhile push older ones to later pages; those already shown are skipped).
#[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
struct PageCursor {
    #[serde(rename = "p")]
    page: u64,
    #[serde(rename = "a")]
    after_id: u64,
}

/// The orders account reader.
pub struct Orders<'a> {
    /// The client.
    pub client: &'a Nine11Client,
    /// The account name.
    pub account: &'a str,
    /// The account's zone (911's older times; orders are `…Z`).
    pub tz: &'a TimeZone,
}

impl Orders<'_> {
    /// One page of `order/list`, filtered by status and product type at 911 and by time here.
    pub async fn list(
        &self,
        filter: &OrderFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ItemPage<Order>, ProviderError> {
        let none = || {
            Ok(ItemPage {
                items: Vec::new(),
                next_cursor: None,
            })
        };
        let status = match filter.status {
            None => None,
            Some(s) => match status_code(s) {
                Some(code) => Some(code),
                None => return none(),
            },
        };
        let product_type = match filter.product {
            None => None,
            Some(p) => match map::type_of_product(p) {
                Some(t) => Some(t),
                None => return none(),
            },
        };
        let at = match cursor {
            None => PageCursor {
                page: 1,
                after_id: u64::MAX,
            },
            Some(text) => serde_json::from_str(text).map_err(|_| {
                ProviderError::invalid("cursor", "cursor is not a cursor returned by this API")
            })?,
        };
        let size = u64::from(limit.clamp(1, 100));
        let mut query = vec![
            ("page_no", at.page.to_string()),
            ("page_size", size.to_string()),
        ];
        if let Some(code) = status {
            query.push(("status", code.to_string()));
        }
        if let Some(t) = product_type {
            query.push(("product_type", t.to_string()));
        }
        let data = self.client.get(ORDER_LIST, &query).await?;
        let rows = rows_of(&data);
        let last_id = rows.iter().filter_map(|r| id_of(r)).min();
        let items = rows
            .iter()
            .filter(|r| id_of(r).is_none_or(|id| id < at.after_id))
            .map(|r| order(self.account, self.tz, r, filter.product))
            .filter(|o| filter.admits_time(o))
            .collect();
        let total_pages = data
            .pointer("/pagination/total_pages")
            .and_then(Value::as_u64)
            .unwrap_or(at.page);
        let next_cursor = match last_id {
            Some(last) if at.page < total_pages && rows.len() as u64 >= size => {
                serde_json::to_string(&PageCursor {
                    page: at.page + 1,
                    after_id: last,
                })
                .ok()
            }
            _ => None,
        };
        Ok(ItemPage { items, next_cursor })
    }

    /// The order with `trade_no`, or `NotFound`.
    pub async fn get(&self, trade_no: &str) -> Result<Order, ProviderError> {
        let query = [
            ("trade_no", trade_no.to_string()),
            ("page_no", "1".to_string()),
            ("page_size", "1".to_string()),
        ];
        let data = self.client.get(ORDER_LIST, &query).await?;
        rows_of(&data)
            .into_iter()
            .find(|r| text(r, "trade_no").as_deref() == Some(trade_no))
            .map(|r| order(self.account, self.tz, r, None))
            .ok_or_else(|| ProviderError::NotFound(format!("order {}:{trade_no}", self.account)))
    }

    /// What a keyed create journals before its call: the newest order id now, the time, and
    /// what the order will be matched by. Checks the request first (no read for bad input).
    pub async fn watermark(&self, request: &OrderRequest) -> Result<Value, ProviderError> {
        let body = create_body(request)?;
        let query = [("page_no", "1".to_string()), ("page_size", "1".to_string())];
        let data = self.client.get(ORDER_LIST, &query).await?;
        let newest = rows_of(&data).iter().filter_map(|r| id_of(r)).max();
        Ok(json!({
            "after_id": newest.unwrap_or(0),
            "at": OffsetDateTime::now_utc().unix_timestamp(),
            "pid": body["pid"],
            "recharge_amount": body.get("recharge_amount").cloned().unwrap_or(Value::Null),
        }))
    }

    /// A resumed create: the order the first attempt placed, `None` when it placed none (send
    /// again), or `OutcomeUnresolved` when more than one order matches.
    pub async fn reconcile(&self, mark: &Value) -> Result<Option<Order>, ProviderError> {
        let after_id = mark["after_id"].as_u64().unwrap_or(0);
        let at = mark["at"]
            .as_i64()
            .and_then(|t| OffsetDateTime::from_unix_timestamp(t).ok())
            .unwrap_or_else(OffsetDateTime::now_utc);
        let (from, to) = (at - WINDOW_BEFORE, at + WINDOW_AFTER);
        let pid = mark["pid"].as_u64();
        let recharge = mark.get("recharge_amount").filter(|v| !v.is_null());
        let mut matches = Vec::new();
        let mut page = 1;
        let complete = loop {
            let query = [
                ("page_no", page.to_string()),
                ("page_size", "100".to_string()),
            ];
            let data = self.client.get(ORDER_LIST, &query).await?;
            let rows = rows_of(&data);
            for row in &rows {
                let newer = id_of(row).is_some_and(|id| id > after_id);
                let same_package =
                    pid.is_some() && row.get("product_id").and_then(Value::as_u64) == pid;
                let same_amount = recharge.is_none_or(|r| {
                    row.get("total_fee")
                        .and_then(crate::domain::money::Decimal::from_json)
                        == crate::domain::money::Decimal::from_json(r)
                });
                let placed = order(self.account, self.tz, row, None);
                let in_window = placed.created_at.is_some_and(|t| t >= from && t <= to);
                if newer && same_package && same_amount && in_window {
                    matches.push(placed);
                }
            }
            let older_reached = rows
                .iter()
                .any(|r| id_of(r).is_some_and(|id| id <= after_id));
            let last_page = rows.len() < 100;
            if older_reached || last_page {
                break true;
            }
            if page >= MAX_RECONCILE_PAGES {
                break false;
            }
            page += 1;
        };
        let checked = format!(
            "orders placed after order id {after_id} for package {} between {} and {}{}",
            pid.map_or("?".to_string(), |p| p.to_string()),
            from.unix_timestamp(),
            to.unix_timestamp(),
            recharge.map_or(String::new(), |r| format!(" with total_fee {r}")),
        );
        match (matches.len(), complete) {
            (0, true) => Ok(None),
            (1, true) => Ok(matches.pop()),
            (0 | 1, false) => Err(ProviderError::OutcomeUnresolved {
                checked: format!(
                    "{checked}: more than {} orders were placed since; not all were read",
                    MAX_RECONCILE_PAGES * 100
                ),
            }),
            (_, _) => Err(ProviderError::OutcomeUnresolved {
                checked: format!(
                    "{checked}: {} orders match ({})",
                    matches.len(),
                    matches
                        .iter()
                        .map(|o| o.id.upstream.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            }),
        }
    }

    /// `order/create`, sent once.
    pub async fn create(&self, request: &OrderRequest) -> Result<Order, ProviderError> {
        let body = create_body(request)?;
        let data = self.client.post(ORDER_CREATE, &body, &[]).await?;
        Ok(order(self.account, self.tz, &data, None))
    }

    /// `order/close` for a pending order; a resumed cancel whose order is already canceled
    /// is done. The order after.
    pub async fn cancel(&self, trade_no: &str, resumed: bool) -> Result<Order, ProviderError> {
        let current = self.get(trade_no).await?;
        match current.status {
            OrderStatus::Pending => {}
            OrderStatus::Canceled if resumed => return Ok(current),
            other => {
                return Err(ProviderError::Conflict {
                    field: None,
                    message: format!(
                        "only a pending order can be canceled; this one is {}",
                        other.as_str()
                    ),
                });
            }
        }
        self.client
            .post(ORDER_CLOSE, &json!({ "trade_no": trade_no }), &[])
            .await?;
        self.get(trade_no).await
    }
}

fn rows_of(data: &Value) -> Vec<&Value> {
    data.get("list")
        .and_then(Value::as_array)
        .map(|rows| rows.iter().collect())
        .unwrap_or_default()
}

fn id_of(row: &Value) -> Option<u64> {
    row.get("id").and_then(Value::as_u64)
}

/// The `order/create` body of a normalized request, each field checked and named.
fn create_body(request: &OrderRequest) -> Result<Map<String, Value>, ProviderError> {
    if let Some(field) = request
        .fields_set()
        .into_iter()
        .find(|f| !TAKEN.contains(f))
    {
        return Err(ProviderError::invalid(
            field,
            "911Proxy orders name a package_id and a payment_method (see GET /v1/payment-methods); this field is for helodata orders",
        ));
    }
    let pid = request
        .package_id
        .ok_or_else(|| ProviderError::invalid("package_id", "required for 911Proxy orders"))?;
    let method = request
        .payment_method
        .as_deref()
        .ok_or_else(|| ProviderError::invalid("payment_method", "required for 911Proxy orders"))?;
    let pm_id: u64 = method.parse().map_err(|_| {
        ProviderError::invalid(
            "payment_method",
            "not a 911Proxy payment method id (see GET /v1/payment-methods)",
        )
    })?;
    let mut body = Map::new();
    body.insert("pid".into(), json!(pid));
    body.insert("pm_id".into(), json!(pm_id));
    if let Some(n) = request.quantity {
        body.insert("amount".into(), json!(n));
    }
    if !request.static_ips.is_empty() {
        if let Some(bad) = request
            .static_ips
            .iter()
            .find(|id| id.parse::<u64>().is_err())
        {
            return Err(ProviderError::invalid(
                "static_ips",
                format!("{bad:?} is not a 911Proxy static IP id (see GET /v1/static-ips)"),
            ));
        }
        body.insert("upids".into(), json!(request.static_ips.join(",")));
    }
    if let Some(regions) = &request.regions {
        body.insert("region_list".into(), json!(regions));
    }
    if let Some(coupon) = &request.coupon {
        body.insert("coupon_sn".into(), json!(coupon));
    }
    if let Some(flag) = request.use_invitation_discount {
        body.insert("use_invitation_registration_discount".into(), json!(flag));
    }
    if let Some(months) = request.months {
        body.insert("renew_duration".into(), json!(months));
    }
    if let Some(id) = request.bandwidth_sku_id {
        body.insert("product_sku_bandwidth_id".into(), json!(id));
    }
    if let Some(id) = request.concurrency_sku_id {
        body.insert("product_sku_concurrency_id".into(), json!(id));
    }
    if let Some(amount) = &request.top_up_amount {
        // 911 documents recharge_amount as an integer: whole units only.
        let whole: u64 = amount.as_str().parse().map_err(|_| {
            ProviderError::invalid("top_up_amount", "911Proxy tops up whole dollars only")
        })?;
        body.insert("recharge_amount".into(), json!(whole));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::money::Decimal;

    #[test]
    fn statuses_follow_the_documented_table() {
        let got: Vec<_> = (0..5).map(|c| status_of(Some(c)).as_str()).collect();
        assert_eq!(
            got,
            ["pending", "completed", "canceled", "refunded", "other"]
        );
        for status in OrderStatus::ALL {
            if let Some(code) = status_code(status) {
                assert_eq!(status_of(Some(code)), status);
            }
        }
    }

    #[test]
    fn an_order_row_maps_money_exactly_and_its_time_as_utc() {
        let raw = json!({"id": 7, "trade_no": "T2026", "product_id": 3, "product_name": "Top-up",
            "total_fee": 100.1, "pay_fee": 90.09, "status": 0, "created_at": "2026-12-07T10:00:00Z"});
        let o = order("911proxy", &TimeZone::UTC, &raw, None);
        assert_eq!(o.id.to_string(), "911proxy:T2026");
        assert_eq!(o.amount.unwrap().amount.as_str(), "100.1");
        assert_eq!(o.paid_amount.unwrap().amount.as_str(), "90.09");
        assert_eq!(o.created_at.unwrap().unix_timestamp(), 1_796_637_600);
        assert_eq!(o.status, OrderStatus::Pending);
    }

    #[test]
    fn a_request_becomes_the_documented_body_and_helodata_fields_are_refused_by_name() {
        let request = OrderRequest {
            package_id: Some(19),
            payment_method: Some("1".into()),
            static_ips: vec!["4".into(), "5".into()],
            months: Some(3),
            top_up_amount: Some(Decimal::parse("50").unwrap()),
            ..OrderRequest::default()
        };
        let body = create_body(&request).unwrap();
        assert_eq!(
            Value::Object(body),
            json!({"pid": 19, "pm_id": 1, "upids": "4,5", "renew_duration": 3, "recharge_amount": 50})
        );
        let helodata = OrderRequest {
            gb: Some(5),
            ..request.clone()
        };
        assert!(
            matches!(create_body(&helodata), Err(ProviderError::InvalidInput { field, .. }) if field == "gb")
        );
        let cents = OrderRequest {
            top_up_amount: Some(Decimal::parse("50.5").unwrap()),
            ..request.clone()
        };
        assert!(
            matches!(create_body(&cents), Err(ProviderError::InvalidInput { field, .. }) if field == "top_up_amount")
        );
        let no_method = OrderRequest {
            payment_method: None,
            ..request
        };
        assert!(
            matches!(create_body(&no_method), Err(ProviderError::InvalidInput { field, .. }) if field == "payment_method")
        );
    }
}
