//! Traffic usage in one shape: a time window (`to` exclusive), optional filters, and rows in
//! bytes grouped by day, proxy user or product.

use time::{Date, OffsetDateTime};

use super::products::Product;
use super::proxy_users::ProxyUserId;

/// How usage rows are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum UsageGroupBy {
    /// One row per calendar day (the provider's day; see each adapter's note).
    Day,
    /// One row per proxy user.
    ProxyUser,
    /// One row per product.
    Product,
    /// One row per hour (helodata residential and mobile).
    Hour,
    /// One row per exit country (helodata residential and mobile).
    Region,
    /// One row per exit ASN (helodata residential and mobile).
    Asn,
    /// One row per request tag (helodata residential and mobile).
    Tag,
    /// One row per static IP (helodata ISP).
    Ip,
    /// One row per IP batch (helodata ISP).
    IpBatch,
}

impl UsageGroupBy {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            UsageGroupBy::Day => "day",
            UsageGroupBy::ProxyUser => "proxy_user",
            UsageGroupBy::Product => "product",
            UsageGroupBy::Hour => "hour",
            UsageGroupBy::Region => "region",
            UsageGroupBy::Asn => "asn",
            UsageGroupBy::Tag => "tag",
            UsageGroupBy::Ip => "ip",
            UsageGroupBy::IpBatch => "ip_batch",
        }
    }

    /// Whether the grouping is one of the detailed ones only some providers report.
    pub fn is_detail(self) -> bool {
        !matches!(
            self,
            UsageGroupBy::Day | UsageGroupBy::ProxyUser | UsageGroupBy::Product
        )
    }
}

/// One account's usage question.
#[derive(Clone, Debug)]
pub struct UsageQuery {
    /// Start of the window, inclusive.
    pub from: OffsetDateTime,
    /// End of the window, exclusive.
    pub to: OffsetDateTime,
    /// Only this product.
    pub product: Option<Product>,
    /// Only this proxy user (its account is the queried one).
    pub proxy_user: Option<ProxyUserId>,
    /// Grouping; `None` gives one total row.
    pub group_by: Option<UsageGroupBy>,
    /// Only traffic exiting in this country (ISO code), where the provider filters by it.
    pub region: Option<String>,
    /// Only traffic carrying this request tag, where the provider filters by it.
    pub tag: Option<String>,
}

/// One row of usage. Counters the provider does not report are `None`.
#[derive(Clone, Debug, PartialEq)]
pub struct UsageRow {
    /// The account the row belongs to.
    pub account: String,
    /// The day, when grouped by day.
    pub day: Option<Date>,
    /// The proxy user, when grouped by proxy user.
    pub proxy_user: Option<ProxyUserId>,
    /// The product, when grouped by product.
    pub product: Option<Product>,
    /// The hour, when grouped by hour (UTC).
    pub hour: Option<OffsetDateTime>,
    /// The value of a detailed grouping (region, ASN, tag, IP, IP batch), as the provider
    /// writes it.
    pub group: Option<String>,
    /// Total bytes (in + out).
    pub bytes: u64,
    /// Bytes received by the proxy user, where reported.
    pub bytes_in: Option<u64>,
    /// Bytes sent, where reported.
    pub bytes_out: Option<u64>,
    /// Request count, where reported.
    pub requests: Option<u64>,
    /// Failed request count, where reported.
    pub errors: Option<u64>,
    /// The start of what this row counted (UTC): its day as the provider draws it, within the
    /// counted window; set by the service.
    pub period_start: Option<OffsetDateTime>,
    /// The end of what this row counted (UTC, exclusive).
    pub period_end: Option<OffsetDateTime>,
}

/// The window a provider actually counts for a requested one, which its granularity may widen
/// (911Proxy counts whole local days).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CountedWindow {
    /// Start, inclusive (UTC).
    pub from: OffsetDateTime,
    /// End, exclusive (UTC).
    pub to: OffsetDateTime,
}

impl UsageRow {
    /// A row with only a byte total.
    pub fn bytes_only(account: &str, bytes: u64) -> UsageRow {
        UsageRow {
            account: account.to_string(),
            day: None,
            proxy_user: None,
            product: None,
            hour: None,
            group: None,
            bytes,
            bytes_in: None,
            bytes_out: None,
            requests: None,
            errors: None,
            period_start: None,
            period_end: None,
        }
    }

    /// Adds another row's counters into this one (a counter stays `None` only if both are).
    pub fn absorb(&mut self, other: &UsageRow) {
        fn add(a: Option<u64>, b: Option<u64>) -> Option<u64> {
            match (a, b) {
                (None, None) => None,
                (a, b) => Some(a.unwrap_or(0).saturating_add(b.unwrap_or(0))),
            }
        }
        self.bytes = self.bytes.saturating_add(other.bytes);
        self.bytes_in = add(self.bytes_in, other.bytes_in);
        self.bytes_out = add(self.bytes_out, other.bytes_out);
        self.requests = add(self.requests, other.requests);
        self.errors = add(self.errors, other.errors);
    }
}
