//! Provider accounts as configured: `[[providers]]` tables in the file and the one account per
//! provider that its own `PGW_<PROVIDER>_*` variables configure. Nothing here names a
//! provider: each adapter describes itself with a [`ProviderSpec`] (its kind, credential key,
//! default base URL and settings), and the registry hands the list in.

use secrecy::SecretString;

use super::sources::Sources;
use super::upstream::policy_from_table;
use super::values::{parse_base_url, parse_credential, parse_timezone};
use super::{ConfigError, Setting};
use crate::domain::providers::ProviderKind;
use crate::upstream::UpstreamPolicy;

/// What the configuration must know of one provider; declared in the provider's adapter folder.
#[derive(Debug)]
pub struct ProviderSpec {
    /// The provider's published name (`kind` in a `[[providers]]` table).
    pub kind: ProviderKind,
    /// The `[[providers]]` key that holds the credential (`api_key`, `app_key`).
    pub credential_key: &'static str,
    /// Where the provider's API is unless an account says otherwise.
    pub default_base_url: &'static str,
    /// The variable whose value configures the account named after the provider.
    pub credential_setting: &'static str,
    /// The base URL of that account.
    pub base_url_setting: &'static str,
    /// The zone of the provider's naive local times, the default of every account of this
    /// kind; `None` for a provider whose times carry their offset (then UTC).
    pub timezone_setting: Option<&'static str>,
    /// The provider's own settings, in the order `--help` lists them.
    pub settings: &'static [Setting],
}

/// One provider account as configured.
#[derive(Clone, Debug)]
pub struct ProviderAccountConfig {
    /// Its name (first part of every id; the provider's kind for the env-configured ones).
    pub name: String,
    /// Which provider.
    pub kind: ProviderKind,
    /// app_key or API token.
    pub credential: SecretString,
    /// Where the provider's API is.
    pub base_url: String,
    /// Zone of the provider's naive local times.
    pub timezone: jiff::tz::TimeZone,
    /// Client policy.
    pub policy: UpstreamPolicy,
}

/// The keys of a `[[providers]]` table besides the credential keys, in the order errors list
/// them: `name` and `kind` come first, then every provider's credential key, then these.
const COMMON_KEYS: [&str; 2] = ["name", "kind"];
const POLICY_KEYS: [&str; 10] = [
    "base_url",
    "timezone",
    "timeout_secs",
    "connect_timeout_secs",
    "max_retries",
    "retry_after_cap_secs",
    "max_concurrency",
    "breaker_threshold",
    "breaker_cooldown_secs",
    "list_snapshot_ttl_ms",
];

/// Every configured account: the file's tables first, then the env-configured ones.
pub(super) fn accounts(
    sources: &Sources<'_>,
    tables: &[toml::Table],
    file_label: &str,
    specs: &[&'static ProviderSpec],
    defaults: &UpstreamPolicy,
) -> Result<Vec<ProviderAccountConfig>, ConfigError> {
    let mut zones = Vec::with_capacity(specs.len());
    for spec in specs {
        let zone = match spec.timezone_setting {
            Some(setting) => sources.parse(setting, parse_timezone)?,
            None => jiff::tz::TimeZone::UTC,
        };
        zones.push((spec.kind, zone));
    }
    let mut accounts = Vec::new();
    for (index, table) in tables.iter().enumerate() {
        accounts.push(
            from_table(table, specs, &zones, defaults).map_err(|(key, problem)| {
                ConfigError::Invalid {
                    setting: format!("providers[{index}].{key} in {file_label}"),
                    problem,
                }
            })?,
        );
    }
    for (spec, (_, zone)) in specs.iter().zip(&zones) {
        let Some(credential) = sources.parse_optional(spec.credential_setting, parse_credential)?
        else {
            continue;
        };
        let name = spec.kind.as_str().to_string();
        if accounts.iter().any(|p| p.name == name) {
            return Err(ConfigError::Invalid {
                setting: spec.credential_setting.to_string(),
                problem: format!("the provider account '{name}' is also configured in the file"),
            });
        }
        accounts.push(ProviderAccountConfig {
            name,
            kind: spec.kind,
            credential,
            base_url: sources.parse(spec.base_url_setting, parse_base_url)?,
            timezone: zone.clone(),
            policy: defaults.clone(),
        });
    }
    Ok(accounts)
}

/// One `[[providers]]` table; errors name the key.
fn from_table(
    table: &toml::Table,
    specs: &[&'static ProviderSpec],
    zones: &[(ProviderKind, jiff::tz::TimeZone)],
    defaults: &UpstreamPolicy,
) -> Result<ProviderAccountConfig, (String, String)> {
    let known: Vec<&str> = COMMON_KEYS
        .iter()
        .copied()
        .chain(specs.iter().map(|s| s.credential_key))
        .chain(POLICY_KEYS)
        .collect();
    if let Some(unknown) = table.keys().find(|k| !known.contains(&k.as_str())) {
        return Err((
            unknown.clone(),
            format!("unknown key (known: {})", known.join(", ")),
        ));
    }
    let text = |key: &str| -> Result<Option<String>, (String, String)> {
        match table.get(key) {
            None => Ok(None),
            Some(toml::Value::String(s)) => Ok(Some(s.clone())),
            Some(toml::Value::Integer(i)) => Ok(Some(i.to_string())),
            Some(_) => Err((key.to_string(), "must be a string or a number".to_string())),
        }
    };
    let required =
        |key: &str| text(key)?.ok_or_else(|| (key.to_string(), "is required".to_string()));
    let name = required("name")?;
    crate::domain::api_keys::validate_account_name(&name).map_err(|e| ("name".to_string(), e))?;
    let kind_name = required("kind")?;
    let spec = specs
        .iter()
        .find(|s| s.kind.as_str() == kind_name)
        .ok_or_else(|| {
            let names: Vec<&str> = specs.iter().map(|s| s.kind.as_str()).collect();
            (
                "kind".to_string(),
                format!(
                    "unknown provider kind '{kind_name}' (known: {})",
                    names.join(", ")
                ),
            )
        })?;
    let kind = spec.kind;
    let credential_key = spec.credential_key;
    if let Some(wrong_key) = specs
        .iter()
        .map(|s| s.credential_key)
        .find(|key| *key != credential_key && table.contains_key(*key))
    {
        return Err((
            wrong_key.to_string(),
            format!("a {kind} account takes {credential_key}, not {wrong_key}"),
        ));
    }
    let credential = parse_credential(&required(credential_key)?)
        .map_err(|e| (credential_key.to_string(), e))?;
    let base_url =
        parse_base_url(&text("base_url")?.unwrap_or_else(|| spec.default_base_url.to_string()))
            .map_err(|e| ("base_url".to_string(), e))?;
    let timezone = match text("timezone")? {
        Some(tz) => parse_timezone(&tz).map_err(|e| ("timezone".to_string(), e))?,
        None => zones
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, zone)| zone.clone())
            .unwrap_or(jiff::tz::TimeZone::UTC),
    };
    let policy = policy_from_table(&text, defaults)?;
    Ok(ProviderAccountConfig {
        name,
        kind,
        credential,
        base_url,
        timezone,
        policy,
    })
}
