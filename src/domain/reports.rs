//! Reports (helodata §5.9): scheduled or on-demand exports of traffic, request samples,
//! invoice lines, proxy users or IP batches, delivered to a destination, and their runs.

use time::OffsetDateTime;

use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUserId;

/// What a report contains.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportKind {
    /// Traffic per proxy user, product and day (helodata `traffic`).
    Traffic,
    /// The sampled request log (`requests`).
    Requests,
    /// Invoice line items (`invoices`).
    Invoices,
    /// The proxy-user inventory (`subusers`).
    ProxyUsers,
    /// IP batches with per-IP health (`isp_batches`).
    IpBatches,
    /// A kind the gateway does not know; see `provider_data`.
    Other,
}

impl ReportKind {
    /// The gateway's wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportKind::Traffic => "traffic",
            ReportKind::Requests => "requests",
            ReportKind::Invoices => "invoices",
            ReportKind::ProxyUsers => "proxy_users",
            ReportKind::IpBatches => "ip_batches",
            ReportKind::Other => "other",
        }
    }
}

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunStatus {
    /// Being produced.
    Running,
    /// Done; its file can be downloaded until `download_expires_at`.
    Succeeded,
    /// It failed.
    Failed,
    /// A state the gateway does not know; see `provider_data`.
    Other,
}

impl RunStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Other => "other",
        }
    }
}

/// One run of a report.
#[derive(Clone, Debug)]
pub struct ReportRun {
    /// `<account>:run_…`.
    pub id: ProxyUserId,
    /// The report it ran (`<account>:rep_…`).
    pub report: Option<String>,
    /// Where it stands.
    pub status: RunStatus,
    /// Started.
    pub created_at: Option<OffsetDateTime>,
    /// Finished.
    pub completed_at: Option<OffsetDateTime>,
    /// Whether the provider offers its file now.
    pub download_available: bool,
    /// Until when the file can be downloaded.
    pub download_expires_at: Option<OffsetDateTime>,
    /// The provider's object, without the download URL (a pre-signed URL is a credential).
    pub provider_data: serde_json::Value,
}

/// A report definition.
#[derive(Clone, Debug)]
pub struct Report {
    /// `<account>:rep_…`.
    pub id: ProxyUserId,
    /// Its name.
    pub name: String,
    /// What it contains.
    pub kind: ReportKind,
    /// Only these products (empty: all).
    pub products: Vec<Product>,
    /// A 5-field cron expression (UTC); `None`: on demand only.
    pub schedule: Option<String>,
    /// File format (`csv`).
    pub format: Option<String>,
    /// Where it is delivered, without its secret (`signing_secret` is write-only).
    pub destination: serde_json::Value,
    /// Created.
    pub created_at: Option<OffsetDateTime>,
    /// Last changed.
    pub updated_at: Option<OffsetDateTime>,
    /// Its most recent runs, newest first.
    pub recent_runs: Vec<ReportRun>,
    /// The provider's object.
    pub provider_data: serde_json::Value,
}

/// A report to create.
#[derive(Clone, Debug)]
pub struct NewReport {
    /// Its name.
    pub name: String,
    /// What it contains.
    pub kind: ReportKind,
    /// Only these products (empty: all).
    pub products: Vec<Product>,
    /// A 5-field cron expression; `None`: on demand only.
    pub schedule: Option<String>,
    /// File format.
    pub format: Option<String>,
    /// Where it is delivered: `{type: email|webhook|s3|gcs, …}` (a webhook's
    /// `signing_secret` included: passed on, never stored or shown by the gateway).
    pub destination: serde_json::Map<String, serde_json::Value>,
}

/// A change to a report; `schedule: Some(None)` clears the schedule.
#[derive(Clone, Debug, Default)]
pub struct ReportPatch {
    /// Another name.
    pub name: Option<String>,
    /// Other products.
    pub products: Option<Vec<Product>>,
    /// Another schedule, or none.
    pub schedule: Option<Option<String>>,
    /// Another format.
    pub format: Option<String>,
    /// Another destination.
    pub destination: Option<serde_json::Map<String, serde_json::Value>>,
}

impl ReportPatch {
    /// Whether it changes anything.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.products.is_none()
            && self.schedule.is_none()
            && self.format.is_none()
            && self.destination.is_none()
    }
}

/// A five-field cron expression's shape (minute hour day month weekday; numbers, `*`, `,`,
/// `-`, `/`, month and weekday names): checked before a call, naming `schedule`.
pub fn check_schedule(text: &str) -> Result<(), String> {
    const MONTHS: [&str; 12] = [
        "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
    ];
    const DAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
    let fields: Vec<&str> = text.split_whitespace().collect();
    if fields.len() != 5 {
        return Err("schedule is a 5-field cron expression, e.g. \"0 9 * * MON\"".into());
    }
    for (i, field) in fields.iter().enumerate() {
        for atom in field.split([',', '-', '/']) {
            let named = match i {
                3 => MONTHS.contains(&atom.to_ascii_uppercase().as_str()),
                4 => DAYS.contains(&atom.to_ascii_uppercase().as_str()),
                _ => false,
            };
            let number =
                !atom.is_empty() && atom.len() <= 2 && atom.bytes().all(|b| b.is_ascii_digit());
            if !(atom == "*" || number || named) {
                return Err(format!(
                    "schedule field {} ({field:?}) is not cron syntax",
                    i + 1
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cron_shapes_are_checked_field_by_field() {
        assert!(check_schedule("0 9 * * MON").is_ok());
        assert!(check_schedule("*/15 0-6 1,15 jan mon-fri").is_ok());
        assert!(check_schedule("0 9 * *").is_err());
        assert!(check_schedule("0 9 * * FUNDAY").is_err());
        assert!(check_schedule("100 9 * * *").is_err());
        assert!(ReportPatch::default().is_empty());
    }
}
