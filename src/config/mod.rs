//! Configuration: `PGW_*` environment variables over an optional TOML file over defaults,
//! validated once at start. A bad value stops the process with one line naming the setting.
//! Secrets are held in [`SecretString`] so that `Debug` never prints them.
//!
//! By job: [`settings`] is the table of settings, [`sources`] where values come from,
//! [`values`] the parsers, [`providers`] the provider accounts (each provider describes itself
//! with a [`ProviderSpec`] in its adapter folder), [`upstream`] the upstream policy.

mod database;
mod providers;
mod settings;
mod sources;
mod upstream;
pub mod values;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use secrecy::SecretString;

pub use crate::telemetry::LogFormat;
pub use database::{Backend, DatabaseUrl};
pub use providers::{ProviderAccountConfig, ProviderSpec};
pub use settings::{SETTINGS, Setting, settings_help};
pub use values::parse_timezone;

use crate::upstream::UpstreamPolicy;
use sources::{Sources, read_file};
use values::{parse_bool, parse_database_url, parse_in_range, parse_metrics_token};

/// Every setting: the gateway's own, then each provider's, in `--help` order.
pub fn all_settings(provider_specs: &[&'static ProviderSpec]) -> Vec<&'static Setting> {
    SETTINGS
        .iter()
        .chain(provider_specs.iter().flat_map(|spec| spec.settings.iter()))
        .collect()
}

/// Why the configuration was refused: always names the setting.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value could not be parsed or is out of range.
    #[error("invalid setting {setting}: {problem}")]
    Invalid {
        /// Where the value came from (`PGW_LISTEN`, or `listen in FILE`).
        setting: String,
        /// What is wrong, without echoing secrets.
        problem: String,
    },
    /// The `--config` file could not be read or parsed.
    #[error("config file {path}: {problem}")]
    File {
        /// The file's path.
        path: String,
        /// What is wrong.
        problem: String,
    },
}

/// The validated configuration of one gateway process.
#[derive(Clone, Debug)]
pub struct Config {
    /// Where the API listens.
    pub listen: SocketAddr,
    /// The store.
    pub database_url: DatabaseUrl,
    /// Pool size.
    pub database_max_connections: u32,
    /// Log format.
    pub log_format: LogFormat,
    /// Log filter.
    pub log_level: String,
    /// The admin key to create on an empty store.
    pub bootstrap_admin_key: Option<SecretString>,
    /// Request body limit in bytes.
    pub body_limit_bytes: usize,
    /// Per-request deadline.
    pub request_timeout: Duration,
    /// Bound on graceful shutdown.
    pub shutdown_grace: Duration,
    /// Start the simulators when no account is configured.
    pub sandbox: bool,
    /// Writes must carry an Idempotency-Key.
    pub require_idempotency_key: bool,
    /// Lease of a keyed write.
    pub idempotency_lease: Duration,
    /// Lifetime of an idempotency record.
    pub idempotency_ttl: Duration,
    /// Sweeper period.
    pub idempotency_sweep: Duration,
    /// The policy every account starts from.
    pub upstream_defaults: UpstreamPolicy,
    /// Configured provider accounts (TOML `[[providers]]` and each provider's
    /// `PGW_<PROVIDER>_*` variables).
    pub providers: Vec<ProviderAccountConfig>,
    /// Where `/metrics` is served on its own listener (`None`: on the API listener).
    pub metrics_listen: Option<SocketAddr>,
    /// The bearer token `/metrics` requires (`None`: no authentication).
    pub metrics_token: Option<SecretString>,
    /// The connection migrations run over, when it differs from the serving one (Postgres).
    pub migrate_database_url: Option<DatabaseUrl>,
    /// The audit log.
    pub audit: AuditConfig,
    /// How long a provider account's geo lists are served from memory.
    pub locations_ttl: Duration,
}

/// The audit log's settings (`PGW_AUDIT_*`).
#[derive(Clone, Debug)]
pub struct AuditConfig {
    /// Record reads too.
    pub reads: bool,
    /// Days events are kept.
    pub retention_days: u32,
    /// Cadence of sealing and of closing abandoned pending events.
    pub seal_interval: Duration,
    /// Cadence of partition creation and retention.
    pub maintenance_interval: Duration,
}

impl Config {
    /// Loads from the process environment and an optional TOML file.
    pub fn load(
        file: Option<&Path>,
        provider_specs: &[&'static ProviderSpec],
    ) -> Result<Config, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        Config::from_sources(file, &env, provider_specs)
    }

    /// Loads from the given environment map and an optional TOML file (testable core of `load`).
    pub fn from_sources(
        file: Option<&Path>,
        env: &BTreeMap<String, String>,
        provider_specs: &[&'static ProviderSpec],
    ) -> Result<Config, ConfigError> {
        let settings = all_settings(provider_specs);
        let (file_values, file_providers) = match file {
            Some(path) => read_file(path, &settings)?,
            None => (BTreeMap::new(), Vec::new()),
        };
        let sources = Sources {
            env,
            file: file_values,
            file_path: file.map(Path::to_path_buf),
            settings,
        };
        let upstream_defaults = upstream::defaults(&sources)?;
        let file_label = file.map(|p| p.display().to_string()).unwrap_or_default();
        let providers = providers::accounts(
            &sources,
            &file_providers,
            &file_label,
            provider_specs,
            &upstream_defaults,
        )?;
        let database_url = sources.parse("PGW_DATABASE_URL", parse_database_url)?;
        let migrate_database_url =
            sources.parse_optional("PGW_MIGRATE_DATABASE_URL", parse_database_url)?;
        if let Some(migrate) = &migrate_database_url
            && (migrate.backend() != Backend::Postgres
                || database_url.backend() != Backend::Postgres)
        {
            return Err(ConfigError::Invalid {
                setting: "PGW_MIGRATE_DATABASE_URL".to_string(),
                problem: "a separate migration connection needs Postgres for both it and PGW_DATABASE_URL".to_string(),
            });
        }
        let audit = AuditConfig {
            reads: sources.parse("PGW_AUDIT_READS", parse_bool)?,
            retention_days: sources
                .parse("PGW_AUDIT_RETENTION_DAYS", |v| parse_in_range(v, 1, 36_500))?,
            seal_interval: sources
                .parse("PGW_AUDIT_SEAL_INTERVAL_MS", |v| {
                    parse_in_range(v, 50, 3_600_000)
                })
                .map(Duration::from_millis)?,
            maintenance_interval: sources
                .parse("PGW_AUDIT_MAINTENANCE_INTERVAL_SECS", |v| {
                    parse_in_range(v, 60, 86_400)
                })
                .map(Duration::from_secs)?,
        };
        Ok(Config {
            migrate_database_url,
            audit,
            sandbox: sources.parse("PGW_SANDBOX", parse_bool)?,
            require_idempotency_key: sources.parse("PGW_REQUIRE_IDEMPOTENCY_KEY", parse_bool)?,
            idempotency_lease: Duration::from_secs(
                sources.parse("PGW_IDEMPOTENCY_LEASE_SECS", |v| parse_in_range(v, 1, 3600))?,
            ),
            idempotency_ttl: Duration::from_secs(
                sources.parse("PGW_IDEMPOTENCY_TTL_SECS", |v| {
                    parse_in_range(v, 1, 30 * 86400)
                })?,
            ),
            idempotency_sweep: Duration::from_secs(
                sources.parse("PGW_IDEMPOTENCY_SWEEP_SECS", |v| {
                    parse_in_range(v, 1, 86400)
                })?,
            ),
            upstream_defaults,
            providers,
            listen: sources.parse("PGW_LISTEN", |v| {
                v.parse::<SocketAddr>()
                    .map_err(|_| "expected HOST:PORT, e.g. 127.0.0.1:8080".to_string())
            })?,
            database_url,
            database_max_connections: sources.parse("PGW_DATABASE_MAX_CONNECTIONS", |v| {
                parse_in_range(v, 1, 1000)
            })?,
            log_format: sources.parse("PGW_LOG_FORMAT", |v| match v {
                "text" => Ok(LogFormat::Text),
                "json" => Ok(LogFormat::Json),
                _ => Err("expected text or json".to_string()),
            })?,
            log_level: sources.parse("PGW_LOG_LEVEL", |v| {
                tracing_subscriber::EnvFilter::try_new(v)
                    .map(|_| v.to_string())
                    .map_err(|e| format!("not a valid log filter ({e})"))
            })?,
            bootstrap_admin_key: sources.parse_optional("PGW_BOOTSTRAP_ADMIN_KEY", |v| {
                crate::domain::api_keys::Token::parse(v)
                    .map(|_| SecretString::from(v.to_string()))
                    .map_err(|e| e.to_string())
            })?,
            body_limit_bytes: sources
                .parse("PGW_BODY_LIMIT_BYTES", |v| parse_in_range(v, 1024, 1 << 30))?,
            request_timeout: sources
                .parse("PGW_REQUEST_TIMEOUT_SECS", |v| parse_in_range(v, 1, 3600))
                .map(Duration::from_secs)?,
            shutdown_grace: sources
                .parse("PGW_SHUTDOWN_GRACE_SECS", |v| parse_in_range(v, 0, 3600))
                .map(Duration::from_secs)?,
            metrics_listen: sources.parse_optional("PGW_METRICS_LISTEN", |v| {
                v.parse::<SocketAddr>()
                    .map_err(|_| "expected HOST:PORT, e.g. 0.0.0.0:9090".to_string())
            })?,
            metrics_token: sources.parse_optional("PGW_METRICS_TOKEN", parse_metrics_token)?,
            locations_ttl: sources
                .parse("PGW_LOCATIONS_TTL_SECS", |v| {
                    parse_in_range(v, 0, 7 * 86400)
                })
                .map(Duration::from_secs)?,
        })
    }
}

#[cfg(test)]
mod tests;
