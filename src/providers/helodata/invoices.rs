//! Invoices (§5.10, B-INV): `GET /invoices?from=&to=&status=` (cursor-paged) and
//! `GET /invoices/{id}/pdf`, streamed. helodata documents no `GET /invoices/{id}`: one invoice
//! is found by walking the list (at most `MAX_LIST_PAGES` pages). The invoice object is not
//! documented; its fields are read one by one as the simulator answers them (`number`,
//! `status` paid | due | failed, `total_usd`, `period_start`/`period_end`, `issued_at`,
//! `due_at`, `paid_at`, `lines[]`), each optional.

use reqwest::header::{CONTENT_DISPOSITION, CONTENT_LENGTH, CONTENT_TYPE};
use serde_json::Value;

use super::{HelodataAdapter, map};
use crate::domain::download::Download;
use crate::domain::invoices::{Invoice, InvoiceFilter, InvoiceLine, InvoiceStatus};
use crate::domain::money::{Decimal, Money};
use crate::domain::proxy_users::ProxyUserId;
use crate::providers::{FailureKind, ItemPage, ProviderAdapter, ProviderError};

fn usd(raw: &Value, key: &str) -> Option<Money> {
    Decimal::from_json(raw.get(key)?).map(|amount| Money {
        amount,
        currency: raw
            .get("currency")
            .and_then(Value::as_str)
            .map_or_else(|| "USD".to_string(), str::to_ascii_uppercase),
    })
}

fn status_of(status: Option<&str>) -> InvoiceStatus {
    match status {
        Some("paid") => InvoiceStatus::Paid,
        Some("due") => InvoiceStatus::Due,
        Some("failed") => InvoiceStatus::Failed,
        _ => InvoiceStatus::Other,
    }
}

/// One invoice as helodata lists it.
pub fn invoice(account: &str, raw: &Value) -> Invoice {
    let text = |k: &str| raw.get(k).and_then(Value::as_str);
    let time = |k: &str| map::parse_time_opt(text(k));
    Invoice {
        id: ProxyUserId::new(account, text("id").unwrap_or_default()),
        number: text("number").map(str::to_string),
        status: status_of(text("status")),
        total: usd(raw, "total_usd"),
        period_start: time("period_start"),
        period_end: time("period_end"),
        issued_at: time("issued_at"),
        due_at: time("due_at"),
        paid_at: time("paid_at"),
        lines: raw
            .get("lines")
            .and_then(Value::as_array)
            .map(|lines| {
                lines
                    .iter()
                    .map(|l| InvoiceLine {
                        description: l
                            .get("description")
                            .and_then(Value::as_str)
                            .map(str::to_string),
                        product: l
                            .get("product")
                            .and_then(Value::as_str)
                            .map(map::product_from_wire),
                        quantity: l.get("quantity").and_then(Value::as_u64),
                        unit: l.get("unit").and_then(Value::as_str).map(str::to_string),
                        unit_price: usd(l, "unit_price_usd").map(|m| with_currency(m, raw)),
                        amount: usd(l, "amount_usd").map(|m| with_currency(m, raw)),
                    })
                    .collect()
            })
            .unwrap_or_default(),
        provider_data: raw.clone(),
    }
}

/// A line's money in its invoice's currency.
fn with_currency(mut money: Money, invoice: &Value) -> Money {
    if let Some(c) = invoice.get("currency").and_then(Value::as_str) {
        money.currency = c.to_ascii_uppercase();
    }
    money
}

impl HelodataAdapter {
    /// A page of `GET /invoices`, filtered at helodata.
    pub(super) async fn invoices_page(
        &self,
        filter: &InvoiceFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ItemPage<Invoice>, ProviderError> {
        let mut query = Vec::new();
        if let Some(status) = filter.status {
            if status == InvoiceStatus::Other {
                return Ok(ItemPage {
                    items: Vec::new(),
                    next_cursor: None,
                });
            }
            query.push(("status", status.as_str().to_string()));
        }
        if let Some(from) = filter.from {
            query.push(("from", map::format_time(from)));
        }
        if let Some(to) = filter.to {
            query.push(("to", map::format_time(to)));
        }
        let (items, next_cursor) = self.page("/invoices", query, cursor, limit).await?;
        Ok(ItemPage {
            items: items
                .iter()
                .map(|raw| invoice(self.account(), raw))
                .collect(),
            next_cursor,
        })
    }

    /// One invoice, found in the list (helodata documents no read by id).
    pub(super) async fn invoice(&self, id: &str) -> Result<Invoice, ProviderError> {
        if !map::is_prefixed_id(id, "inv_") {
            return Err(self.invoice_not_found(id));
        }
        let all = self.all("/invoices", &[]).await?;
        all.iter()
            .find(|raw| raw.get("id").and_then(Value::as_str) == Some(id))
            .map(|raw| invoice(self.account(), raw))
            .ok_or_else(|| self.invoice_not_found(id))
    }

    /// `GET /invoices/{id}/pdf`, streamed.
    pub(super) async fn invoice_file(&self, id: &str) -> Result<Download, ProviderError> {
        if !map::is_prefixed_id(id, "inv_") {
            return Err(self.invoice_not_found(id));
        }
        let (headers, body) = self
            .client
            .download(&format!("/invoices/{id}/pdf"))
            .await
            .map_err(|f| {
                if f.kind == FailureKind::NotFound {
                    self.invoice_not_found(id)
                } else {
                    f.into()
                }
            })?;
        let header = |name| headers.get(name).and_then(|v| v.to_str().ok());
        Ok(Download {
            content_type: header(CONTENT_TYPE)
                .unwrap_or("application/pdf")
                .to_string(),
            content_length: header(CONTENT_LENGTH).and_then(|l| l.parse().ok()),
            filename: header(CONTENT_DISPOSITION)
                .and_then(filename_of)
                .unwrap_or_else(|| format!("{id}.pdf")),
            body,
        })
    }

    fn invoice_not_found(&self, id: &str) -> ProviderError {
        ProviderError::NotFound(format!("invoice {}", ProxyUserId::new(self.account(), id)))
    }
}

/// The `filename="…"` of a `Content-Disposition`, kept to characters safe in a header.
fn filename_of(disposition: &str) -> Option<String> {
    let name = disposition
        .split("filename=")
        .nth(1)?
        .trim()
        .trim_matches('"');
    let safe: String = name
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
        .collect();
    (!safe.is_empty()).then_some(safe)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn an_invoice_maps_money_exactly_with_its_lines() {
        let raw = json!({"id": "inv_1", "number": "HD-2026-0001", "status": "due", "currency": "usd",
            "total_usd": 225.5, "issued_at": "2026-12-01T00:00:00Z", "paid_at": null,
            "lines": [{"description": "Residential 50 GB", "product": "residential", "quantity": 50,
                       "unit": "gb", "unit_price_usd": 4.51, "amount_usd": 225.5}]});
        let i = invoice("helodata", &raw);
        assert_eq!(i.id.to_string(), "helodata:inv_1");
        assert_eq!(i.status, InvoiceStatus::Due);
        let total = i.total.unwrap();
        assert_eq!(
            (total.amount.as_str(), total.currency.as_str()),
            ("225.5", "USD")
        );
        assert_eq!(
            i.lines[0].unit_price.as_ref().unwrap().amount.as_str(),
            "4.51"
        );
        assert!(i.paid_at.is_none() && i.issued_at.is_some());
    }

    #[test]
    fn a_download_name_keeps_only_safe_characters() {
        assert_eq!(
            filename_of("attachment; filename=\"inv_1.pdf\"").as_deref(),
            Some("inv_1.pdf")
        );
        assert_eq!(
            filename_of("attachment; filename=\"a\\r\\nb;c.pdf\"").as_deref(),
            Some("arnbc.pdf")
        );
        assert_eq!(filename_of("inline"), None);
    }
}
