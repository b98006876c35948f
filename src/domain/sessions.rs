//! Live traffic as a provider reports it: sticky sessions (the exit IP a session pins) and
//! sampled requests (for debugging). helodata reports both (§5.6, §5.7); 911Proxy neither.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUserId;

/// One sticky session.
#[derive(Clone, Debug)]
pub struct StickySession {
    /// `<account>:<upstream id>` (helodata: `<product>:ses_…`, since its paths need both).
    pub id: ProxyUserId,
    /// The product whose gateway holds it.
    pub product: Product,
    /// The proxy user it belongs to.
    pub proxy_user: Option<ProxyUserId>,
    /// The caller-chosen session id of the username (e.g. `job1`).
    pub session_id: Option<String>,
    /// Exit country (ISO, upper case), state and city as the provider spells them.
    pub country: Option<String>,
    /// State.
    pub state: Option<String>,
    /// City.
    pub city: Option<String>,
    /// Exit ASN.
    pub asn: Option<u64>,
    /// The current exit IP.
    pub exit_ip: Option<String>,
    /// When it started (UTC).
    pub started_at: Option<OffsetDateTime>,
    /// When it ends (UTC).
    pub expires_at: Option<OffsetDateTime>,
    /// Traffic so far, bytes.
    pub bytes_used: Option<u64>,
    /// Requests so far.
    pub requests: Option<u64>,
    /// Whether the exit IP changed mid-session.
    pub repinned: bool,
    /// Its last request samples (a single read only).
    pub samples: Vec<RequestSample>,
    /// The provider's object, untouched.
    pub provider_data: Arc<serde_json::Value>,
}

/// One sampled request.
#[derive(Clone, Debug)]
pub struct RequestSample {
    /// The provider's id of the sample.
    pub id: String,
    /// The account.
    pub account: String,
    /// The product.
    pub product: Product,
    /// The proxy user that sent it.
    pub proxy_user: Option<ProxyUserId>,
    /// When (UTC).
    pub at: Option<OffsetDateTime>,
    /// The target's HTTP status.
    pub status: Option<u16>,
    /// The exit IP.
    pub exit_ip: Option<String>,
    /// Exit geo as `country/state/city` (provider's spelling).
    pub geo: Option<String>,
    /// Exit ASN.
    pub asn: Option<u64>,
    /// Bytes received from the target.
    pub bytes_in: Option<u64>,
    /// Bytes sent to the target.
    pub bytes_out: Option<u64>,
    /// The request tag.
    pub tag: Option<String>,
    /// The target host.
    pub target_domain: Option<String>,
    /// The provider's object, untouched.
    pub provider_data: Arc<serde_json::Value>,
}

/// Which sessions or samples a listing wants.
#[derive(Clone, Debug, Default)]
pub struct TrafficFilter {
    /// Only this product.
    pub product: Option<Product>,
    /// Only this proxy user (upstream id).
    pub proxy_user: Option<String>,
}
