//! Invoices: `GET /invoices?from=&to=&status=` and `GET /invoices/{id}/pdf` (§5.10, B-INV).
//!
//! The invoice object is not documented; chosen: `{id, number, status, currency, total_usd,
//! period_start, period_end, issued_at, due_at, paid_at, lines[]}`. `from`/`to` filter on
//! `issued_at`; a plain-date `to` includes that whole day (B-INV's example
//! `from=2026-01-01&to=2026-05-31` reads as five whole months), an RFC 3339 `to` is exclusive
//! like the traffic window.

use serde::Serialize;

use super::clock::{self, DAY};
use super::errors::{ApiError, ApiResult};
use super::pagination::{Page, list_reply};
use super::reply::{Reply, Req, to_json};
use super::state::State;

#[derive(Clone, Debug, Serialize)]
pub struct Invoice {
    pub id: String,
    pub number: String,
    /// `paid`, `due` or `failed` (B-INV).
    pub status: String,
    pub currency: String,
    pub total_usd: f64,
    #[serde(serialize_with = "clock::ser")]
    pub period_start: i64,
    #[serde(serialize_with = "clock::ser")]
    pub period_end: i64,
    #[serde(serialize_with = "clock::ser")]
    pub issued_at: i64,
    #[serde(serialize_with = "clock::ser")]
    pub due_at: i64,
    #[serde(serialize_with = "clock::ser_opt")]
    pub paid_at: Option<i64>,
    pub lines: Vec<InvoiceLine>,
}

#[derive(Clone, Debug, Serialize)]
pub struct InvoiceLine {
    pub description: String,
    pub product: String,
    pub quantity: u64,
    /// `gb`, `ip_month` or `plan`.
    pub unit: String,
    pub unit_price_usd: f64,
    pub amount_usd: f64,
}

/// `GET /invoices?from=&to=&status=`.
pub fn list(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let status = req.query.one_of("status", &["paid", "due", "failed"])?;
    let from = req.query.time("from")?.map(|(t, _)| t);
    let to = req
        .query
        .time("to")?
        .map(|(t, plain_date)| if plain_date { t + DAY } else { t });
    if let (Some(f), Some(t)) = (from, to)
        && t <= f
    {
        return Err(ApiError::invalid("to", "to must not be before from"));
    }
    let page = Page::from_req(req)?;
    let items = st.invoices.values().filter(|i| {
        status.as_ref().is_none_or(|s| &i.status == s)
            && from.is_none_or(|f| i.issued_at >= f)
            && to.is_none_or(|t| i.issued_at < t)
    });
    let (items, next) = page.slice(items, |i| i.id.clone(), false);
    list_reply(req, items.into_iter().map(to_json).collect(), next)
}

/// `GET /invoices/{id}/pdf`: a one-page PDF (`application/pdf`).
pub fn pdf(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let id = req.param(0);
    let inv = st
        .invoices
        .get(id)
        .ok_or_else(|| ApiError::not_found("invoice", id))?;
    let mut text = vec![
        "helodata Inc.".to_string(),
        format!("Invoice {} ({})", inv.number, inv.id),
        format!(
            "Period {} to {}",
            clock::fmt_date(inv.period_start),
            clock::fmt_date(inv.period_end)
        ),
    ];
    for l in &inv.lines {
        text.push(format!("{}: {:.2} USD", l.description, l.amount_usd));
    }
    text.push(format!("Total: {:.2} USD, {}", inv.total_usd, inv.status));
    let mut reply = Reply {
        status: axum::http::StatusCode::OK,
        content_type: "application/pdf",
        body: render_pdf(&text, st.cfg.invoice_pdf_bytes),
        headers: Vec::new(),
    };
    reply = reply.with_header(
        "content-disposition",
        format!("attachment; filename=\"{}.pdf\"", inv.id),
    );
    Ok(reply)
}

/// A minimal valid PDF 1.4 with one page of Helvetica text lines, padded with an
/// unreferenced stream object to at least `min_bytes`.
fn render_pdf(lines: &[String], min_bytes: usize) -> Vec<u8> {
    let escape = |s: &str| {
        s.chars()
            .filter(char::is_ascii)
            .collect::<String>()
            .replace('\\', "\\\\")
            .replace('(', "\\(")
            .replace(')', "\\)")
    };
    let mut content = String::from("BT /F1 12 Tf 72 760 Td 16 TL\n");
    for l in lines {
        content.push_str(&format!("({}) Tj T*\n", escape(l)));
    }
    content.push_str("ET");
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{content}\nendstream",
            content.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    if min_bytes > 0 {
        // Filler lines of a fixed pattern; the object is referenced by nothing.
        let line = "% padding: helodata simulator large invoice test data ................\n";
        let filler = line.repeat(min_bytes / line.len() + 1);
        objects.push(format!(
            "<< /Length {} >>\nstream\n{filler}\nendstream",
            filler.len()
        ));
    }
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, obj) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{obj}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for off in offsets {
        out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}
