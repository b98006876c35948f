//! Purchased packages (911 user products; helodata subscriptions and ISP batches) and their
//! summary, in bytes.

use time::OffsetDateTime;

use super::products::Product;

/// Whether a package can still be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PackageStatus {
    /// In force.
    Active,
    /// Being set up (helodata ISP batch provisioning).
    Pending,
    /// Paused or cancelled, still in force until its end.
    Ending,
    /// Past its end.
    Expired,
    /// A state the gateway does not know; see `provider_data`.
    Other,
}

impl PackageStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PackageStatus::Active => "active",
            PackageStatus::Pending => "pending",
            PackageStatus::Ending => "ending",
            PackageStatus::Expired => "expired",
            PackageStatus::Other => "other",
        }
    }
}

/// What kind of purchase a package is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PackageKind {
    /// A traffic or time package (911 user product).
    Package,
    /// A recurring subscription (helodata).
    Subscription,
    /// A batch of static IPs (helodata ISP).
    IpBatch,
}

impl PackageKind {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            PackageKind::Package => "package",
            PackageKind::Subscription => "subscription",
            PackageKind::IpBatch => "ip_batch",
        }
    }
}

/// One package.
#[derive(Clone, Debug)]
pub struct Package {
    /// `<account>:<upstream id>`.
    pub id: String,
    /// The account.
    pub account: String,
    /// Package, subscription or IP batch.
    pub kind: PackageKind,
    /// The product it is for.
    pub product: Product,
    /// The provider's name or plan for it.
    pub name: Option<String>,
    /// Active, expired…
    pub status: PackageStatus,
    /// Traffic included, in bytes, where stated.
    pub traffic_included_bytes: Option<u64>,
    /// Number of IPs, for IP packages.
    pub ip_count: Option<u64>,
    /// Start.
    pub created_at: Option<OffsetDateTime>,
    /// End (expiry or next renewal).
    pub expires_at: Option<OffsetDateTime>,
    /// The provider's object.
    pub provider_data: serde_json::Value,
}

/// Totals over an account's packages, in bytes. Unknown figures are `None`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PackageSummary {
    /// Every package's traffic.
    pub total_bytes: Option<u64>,
    /// Number of packages.
    pub total_count: Option<u64>,
    /// Traffic still usable in packages in force.
    pub remaining_bytes: Option<u64>,
    /// Packages in force.
    pub active_count: Option<u64>,
    /// Traffic used.
    pub used_bytes: Option<u64>,
    /// Traffic in packages that expire within 7 days.
    pub expiring_soon_bytes: Option<u64>,
    /// Packages that expire within 7 days.
    pub expiring_soon_count: Option<u64>,
    /// Unused traffic in expired packages.
    pub expired_bytes: Option<u64>,
    /// Expired packages.
    pub expired_count: Option<u64>,
    /// The provider's object.
    pub provider_data: serde_json::Value,
}
