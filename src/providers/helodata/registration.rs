//! How helodata joins the gateway: its published kind, its settings and defaults, and its
//! constructor. The registry lists [`PROVIDER`]; nothing outside this folder names helodata.

use std::sync::Arc;

use super::HelodataAdapter;
use crate::config::{ProviderSpec, Setting};
use crate::domain::providers::ProviderKind;
use crate::providers::ProviderAdapter;
use crate::providers::registry::{AdapterSettings, Provider};
use crate::upstream::UpstreamClient;

/// helodata REST v1.
pub const KIND: ProviderKind = ProviderKind::new("helodata");

/// The account named `helodata` that these variables configure, and the defaults of every
/// helodata account. helodata's times carry their offset (RFC 3339), so it has no time zone.
pub static SPEC: ProviderSpec = ProviderSpec {
    kind: KIND,
    credential_key: "api_key",
    default_base_url: "https://api.helodata.com/v1",
    credential_setting: "PGW_HELODATA_API_KEY",
    base_url_setting: "PGW_HELODATA_BASE_URL",
    timezone_setting: None,
    settings: &[
        Setting::secret(
            "PGW_HELODATA_API_KEY",
            "helodata_api_key",
            "",
            "API token of a helodata account; configures the account named helodata.",
        ),
        Setting::plain(
            "PGW_HELODATA_BASE_URL",
            "helodata_base_url",
            "https://api.helodata.com/v1",
            "Base URL of the helodata account configured by PGW_HELODATA_API_KEY.",
        ),
    ],
};

/// The registry's entry. The reference names a `request_id` only inside error bodies (§4); the
/// request id of every answer is read from `X-Helodata-Request-Id`, as the simulator sends it.
pub static PROVIDER: Provider = Provider {
    spec: &SPEC,
    request_id_header: Some("x-helodata-request-id"),
    build,
};

fn build(settings: AdapterSettings, client: Arc<UpstreamClient>) -> Arc<dyn ProviderAdapter> {
    Arc::new(HelodataAdapter::new(settings, client))
}
