//! The configured provider accounts by name: each with its kind, its upstream client (shared
//! policy, breaker) and its adapter. Built once at start from the configuration.

use std::collections::BTreeMap;
use std::sync::Arc;

use secrecy::SecretString;

use super::{ProviderAdapter, ProviderKind, helodata, nine11};
use crate::config::ProviderAccountConfig;
use crate::upstream::UpstreamClient;

/// What an adapter needs beyond its upstream client.
#[derive(Clone, Debug)]
pub struct AdapterSettings {
    /// The account's configured name.
    pub account: String,
    /// The provider credential (911 app_key, helodata bearer token).
    pub credential: SecretString,
    /// The zone of the provider's naive local times (911).
    pub timezone: jiff::tz::TimeZone,
}

/// One configured account.
pub struct ProviderAccount {
    /// Its name.
    pub name: String,
    /// Its provider.
    pub kind: ProviderKind,
    /// Whether it points at an in-process simulator (sandbox mode).
    pub sandbox: bool,
    /// The base URL (shown in `GET /v1/providers`; carries no secret).
    pub base_url: String,
    /// The upstream client (policy, breaker state).
    pub client: Arc<UpstreamClient>,
    /// The adapter.
    pub adapter: Arc<dyn ProviderAdapter>,
}

/// Every configured account, in name order.
#[derive(Default)]
pub struct Registry {
    accounts: BTreeMap<String, ProviderAccount>,
}

impl Registry {
    /// Builds clients and adapters for the configured accounts.
    pub fn build(configs: &[ProviderAccountConfig], sandbox: bool) -> Result<Registry, String> {
        let mut accounts = BTreeMap::new();
        for config in configs {
            let client = Arc::new(
                UpstreamClient::new(&config.name, &config.base_url, config.policy.clone())?
                    .with_provider(config.kind.as_str()),
            );
            let settings = AdapterSettings {
                account: config.name.clone(),
                credential: config.credential.clone(),
                timezone: config.timezone.clone(),
            };
            let adapter: Arc<dyn ProviderAdapter> = match config.kind {
                ProviderKind::Helodata => {
                    Arc::new(helodata::HelodataAdapter::new(settings, client.clone()))
                }
                ProviderKind::Nine11 => {
                    Arc::new(nine11::Nine11Adapter::new(settings, client.clone()))
                }
            };
            let account = ProviderAccount {
                name: config.name.clone(),
                kind: config.kind,
                sandbox,
                base_url: config.base_url.clone(),
                client,
                adapter,
            };
            if accounts.insert(config.name.clone(), account).is_some() {
                return Err(format!(
                    "provider account '{}' is configured twice",
                    config.name
                ));
            }
        }
        Ok(Registry { accounts })
    }

    /// The account called `name`.
    pub fn get(&self, name: &str) -> Option<&ProviderAccount> {
        self.accounts.get(name)
    }

    /// Every account, in name order.
    pub fn iter(&self) -> impl Iterator<Item = &ProviderAccount> {
        self.accounts.values()
    }

    /// Whether no account is configured.
    pub fn is_empty(&self) -> bool {
        self.accounts.is_empty()
    }
}
