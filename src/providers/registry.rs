//! The configured provider accounts by name: each with its kind, its upstream client (shared
//! policy, breaker) and its adapter. Built once at start from the configuration.

use std::collections::BTreeMap;
use std::sync::Arc;

use secrecy::SecretString;

use super::{ProviderAdapter, ProviderKind, helodata, nine11};
use crate::config::{ProviderAccountConfig, ProviderSpec};
use crate::upstream::UpstreamClient;

/// Every provider the gateway speaks to, one line each: a new provider is a new adapter folder
/// (with its `registration.rs`) and one line here.
pub static PROVIDERS: &[&Provider] = &[
    &helodata::registration::PROVIDER,
    &nine11::registration::PROVIDER,
];

/// A provider as the registry knows it: what its configuration looks like and how to build
/// its adapter for one account.
pub struct Provider {
    /// Kind, credential key, defaults and settings.
    pub spec: &'static ProviderSpec,
    /// The response header that carries the provider's request id, if it has its own.
    pub request_id_header: Option<&'static str>,
    /// The adapter of one account.
    pub build: fn(AdapterSettings, Arc<UpstreamClient>) -> Arc<dyn ProviderAdapter>,
}

/// Every provider's configuration spec, in registration order (the configuration reads them).
pub fn specs() -> Vec<&'static ProviderSpec> {
    PROVIDERS.iter().map(|p| p.spec).collect()
}

/// The registered provider of `kind`.
pub fn provider(kind: ProviderKind) -> Option<&'static Provider> {
    PROVIDERS.iter().copied().find(|p| p.spec.kind == kind)
}

/// What an adapter needs beyond its upstream client.
#[derive(Clone, Debug)]
pub struct AdapterSettings {
    /// The account's configured name.
    pub account: String,
    /// The provider credential (911 app_key, helodata bearer token).
    pub credential: SecretString,
    /// The zone of the provider's naive local times (911).
    pub timezone: jiff::tz::TimeZone,
    /// How long an unpaged upstream list may be served from memory.
    pub list_snapshot_ttl: std::time::Duration,
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
            let provider = provider(config.kind)
                .ok_or_else(|| format!("no provider of kind '{}' is registered", config.kind))?;
            let client = Arc::new(
                UpstreamClient::new(&config.name, &config.base_url, config.policy.clone())?
                    .with_provider(config.kind.as_str())
                    .with_request_id_header(provider.request_id_header),
            );
            let settings = AdapterSettings {
                account: config.name.clone(),
                credential: config.credential.clone(),
                timezone: config.timezone.clone(),
                list_snapshot_ttl: config.policy.list_snapshot_ttl,
            };
            let adapter = (provider.build)(settings, client.clone());
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

/// Provider accounts as the configuration reads them, with the registered providers' specs.
#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::Duration;

    use super::*;
    use crate::config::Config;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn env_keys_configure_accounts_with_default_names_and_urls() {
        let config = Config::from_sources(
            None,
            &env(&[
                ("PGW_911PROXY_APP_KEY", "k911"),
                ("PGW_HELODATA_API_KEY", "hel_live_x"),
            ]),
            &specs(),
        )
        .unwrap();
        let names: Vec<_> = config
            .providers
            .iter()
            .map(|p| (p.name.as_str(), p.base_url.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("helodata", "https://api.helodata.com/v1"),
                ("911proxy", "https://api.911proxy.com")
            ]
        );
        assert!(
            !format!("{config:?}").contains("k911"),
            "credentials never print"
        );
    }

    #[test]
    fn file_accounts_are_read_and_bad_keys_named() {
        let dir = std::env::temp_dir().join(format!("pgw-config-{}", ulid::Ulid::generate()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("gateway.toml");
        std::fs::write(
            &file,
            "[[providers]]\nname = \"nine-a\"\nkind = \"911proxy\"\napp_key = \"abc\"\ntimezone = \"+08:00\"\ntimeout_secs = 4\n\n[[providers]]\nname = \"hd\"\nkind = \"helodata\"\napi_key = \"hel_live_1\"\nbase_url = \"http://127.0.0.1:1/v1/\"\n",
        )
        .unwrap();
        let config = Config::from_sources(Some(&file), &env(&[]), &specs()).unwrap();
        assert_eq!(config.providers.len(), 2);
        assert_eq!(config.providers[0].policy.timeout, Duration::from_secs(4));
        assert_eq!(config.providers[1].base_url, "http://127.0.0.1:1/v1");

        std::fs::write(
            &file,
            "[[providers]]\nname = \"x\"\nkind = \"helodata\"\napp_key = \"a\"\n",
        )
        .unwrap();
        let err = Config::from_sources(Some(&file), &env(&[]), &specs())
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("invalid setting providers[0].app_key in "),
            "{err}"
        );
    }

    #[test]
    fn an_unknown_kind_names_the_registered_ones() {
        let dir = std::env::temp_dir().join(format!("pgw-kinds-{}", ulid::Ulid::generate()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("gateway.toml");
        std::fs::write(&file, "[[providers]]\nname = \"x\"\nkind = \"acme\"\n").unwrap();
        let err = Config::from_sources(Some(&file), &env(&[]), &specs())
            .unwrap_err()
            .to_string();
        assert!(
            err.ends_with("unknown provider kind 'acme' (known: helodata, 911proxy)"),
            "{err}"
        );
    }
}
