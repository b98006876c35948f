//! Invoices: what a provider billed the account (helodata §5.10), with their lines and the
//! PDF, which is streamed through (see `download`).

use time::OffsetDateTime;

use crate::domain::money::Money;
use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUserId;

/// Where an invoice stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvoiceStatus {
    /// Paid.
    Paid,
    /// Issued, not paid yet.
    Due,
    /// The charge failed.
    Failed,
    /// A state the gateway does not know; see `provider_data`.
    Other,
}

impl InvoiceStatus {
    /// The wire name (helodata's as well).
    pub fn as_str(self) -> &'static str {
        match self {
            InvoiceStatus::Paid => "paid",
            InvoiceStatus::Due => "due",
            InvoiceStatus::Failed => "failed",
            InvoiceStatus::Other => "other",
        }
    }
}

/// One billed line.
#[derive(Clone, Debug)]
pub struct InvoiceLine {
    /// The provider's description.
    pub description: Option<String>,
    /// What was billed.
    pub product: Option<Product>,
    /// How many units.
    pub quantity: Option<u64>,
    /// The unit, in the provider's words (`gb`, `ip_month`, `plan`).
    pub unit: Option<String>,
    /// Price per unit.
    pub unit_price: Option<Money>,
    /// The line's amount.
    pub amount: Option<Money>,
}

/// One invoice, normalized.
#[derive(Clone, Debug)]
pub struct Invoice {
    /// `<account>:<upstream id>`.
    pub id: ProxyUserId,
    /// The provider's invoice number.
    pub number: Option<String>,
    /// Where it stands.
    pub status: InvoiceStatus,
    /// The total.
    pub total: Option<Money>,
    /// The billed period's start (UTC).
    pub period_start: Option<OffsetDateTime>,
    /// The billed period's end.
    pub period_end: Option<OffsetDateTime>,
    /// Issued.
    pub issued_at: Option<OffsetDateTime>,
    /// Due.
    pub due_at: Option<OffsetDateTime>,
    /// Paid.
    pub paid_at: Option<OffsetDateTime>,
    /// Its lines.
    pub lines: Vec<InvoiceLine>,
    /// The provider's object.
    pub provider_data: serde_json::Value,
}

/// Which invoices a listing wants.
#[derive(Clone, Debug, Default)]
pub struct InvoiceFilter {
    /// Only this status.
    pub status: Option<InvoiceStatus>,
    /// Issued at or after this instant.
    pub from: Option<OffsetDateTime>,
    /// Issued before this instant.
    pub to: Option<OffsetDateTime>,
}
