//! How 911Proxy joins the gateway: its published kind, its settings and defaults, and its
//! constructor. The registry lists [`PROVIDER`]; nothing outside this folder names 911Proxy.

use std::sync::Arc;

use super::Nine11Adapter;
use crate::config::{ProviderSpec, Setting};
use crate::domain::providers::ProviderKind;
use crate::providers::ProviderAdapter;
use crate::providers::registry::{AdapterSettings, Provider};
use crate::upstream::UpstreamClient;

/// 911Proxy api-gate-way.
pub const KIND: ProviderKind = ProviderKind::new("911proxy");

/// The account named `911proxy` that these variables configure, and the defaults of every
/// 911Proxy account. Its times are naive local times; the seed's examples are China time.
pub static SPEC: ProviderSpec = ProviderSpec {
    kind: KIND,
    credential_key: "app_key",
    default_base_url: "https://api.911proxy.com",
    credential_setting: "PGW_911PROXY_APP_KEY",
    base_url_setting: "PGW_911PROXY_BASE_URL",
    timezone_setting: Some("PGW_911PROXY_TIMEZONE"),
    settings: &[
        Setting::secret(
            "PGW_911PROXY_APP_KEY",
            "911proxy_app_key",
            "",
            "app_key of a 911Proxy account; configures the account named 911proxy.",
        ),
        Setting::plain(
            "PGW_911PROXY_BASE_URL",
            "911proxy_base_url",
            "https://api.911proxy.com",
            "Base URL of the 911Proxy account configured by PGW_911PROXY_APP_KEY.",
        ),
        Setting::plain(
            "PGW_911PROXY_TIMEZONE",
            "911proxy_timezone",
            "Asia/Shanghai",
            "Time zone of 911Proxy's naive local times (IANA name or an offset like +08:00).",
        ),
    ],
};

/// The registry's entry.
pub static PROVIDER: Provider = Provider {
    spec: &SPEC,
    request_id_header: None,
    build,
};

fn build(settings: AdapterSettings, client: Arc<UpstreamClient>) -> Arc<dyn ProviderAdapter> {
    Arc::new(Nine11Adapter::new(settings, client))
}
