//! Static IPs a caller owns (911Proxy static residential and datacenter IPs; helodata ISP IPs
//! in batches) and what is on sale per country. Each is dialled directly, with the listed
//! credentials, rather than through a rotating gateway.

use std::sync::Arc;

use secrecy::SecretString;
use time::OffsetDateTime;

use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUserId;

/// Where a static IP stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum StaticIpStatus {
    /// Being set up (helodata replacements take 1–5 minutes).
    Provisioning,
    /// Usable.
    Active,
    /// Usable, expiring soon (911 status 3).
    Expiring,
    /// Under maintenance (911 status 4).
    Maintenance,
    /// Past its term (911 status 2; helodata `expired`, or `grace-period` during grace).
    Expired,
    /// Given back (helodata, after a replacement).
    Released,
    /// A state the gateway does not know; see `provider_data`.
    Other,
}

impl StaticIpStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            StaticIpStatus::Provisioning => "provisioning",
            StaticIpStatus::Active => "active",
            StaticIpStatus::Expiring => "expiring",
            StaticIpStatus::Maintenance => "maintenance",
            StaticIpStatus::Expired => "expired",
            StaticIpStatus::Released => "released",
            StaticIpStatus::Other => "other",
        }
    }
}

/// One static IP.
#[derive(Clone, Debug)]
pub struct StaticIp {
    /// `<account>:<upstream id>`.
    pub id: ProxyUserId,
    /// Its product (isp or datacenter).
    pub product: Product,
    /// The address.
    pub ip: String,
    /// The port to dial.
    pub port: Option<u16>,
    /// The proxy username, when listed.
    pub username: Option<String>,
    /// The password, when the provider lists it (shown only to keys allowed to see it).
    pub password: Option<SecretString>,
    /// Country (ISO, upper case).
    pub country: Option<String>,
    /// State, provider's spelling.
    pub state: Option<String>,
    /// City, provider's spelling.
    pub city: Option<String>,
    /// ASN, when listed.
    pub asn: Option<u64>,
    /// The IP batch it belongs to (helodata), `<account>:bat_…`.
    pub ip_batch: Option<String>,
    /// The order that bought it, as `GET /v1/orders/{id}` takes it (911: its `trade_no`;
    /// helodata: via its batch).
    pub order: Option<String>,
    /// Where it stands.
    pub status: StaticIpStatus,
    /// Bought, UTC.
    pub created_at: Option<OffsetDateTime>,
    /// Term end, UTC.
    pub expires_at: Option<OffsetDateTime>,
    /// The provider's object, secrets removed.
    pub provider_data: Arc<serde_json::Value>,
}

/// What a listing wants.
#[derive(Clone, Debug, Default)]
pub struct StaticIpFilter {
    /// Only this product.
    pub product: Option<Product>,
    /// Only this country (ISO, any case).
    pub country: Option<String>,
    /// Only this batch's (upstream id).
    pub ip_batch: Option<String>,
}

/// Static IPs on sale in one country.
#[derive(Clone, Debug)]
pub struct Availability {
    /// Country (ISO, upper case).
    pub country: String,
    /// The product.
    pub product: Product,
    /// How many can be bought now.
    pub available: u64,
    /// Monthly price per IP as a decimal string, when the provider says.
    pub monthly_price: Option<String>,
    /// Its currency (ISO 4217).
    pub currency: Option<String>,
    /// Cities on offer with their own counts, where the provider breaks it down.
    pub cities: Vec<(String, u64)>,
    /// The provider's object.
    pub provider_data: Arc<serde_json::Value>,
}
