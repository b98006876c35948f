//! Configuration: `PGW_*` environment variables over an optional TOML file over defaults,
//! validated once at start. A bad value stops the process with one line naming the setting.
//! Secrets are held in [`SecretString`] so that `Debug` never prints them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use crate::providers::ProviderKind;
use crate::upstream::UpstreamPolicy;

/// One documented setting: its environment variable, its key in the TOML file, its default
/// and what it does. [`SETTINGS`] is the single list that `--help`, the README table and the
/// loader all read, so they cannot disagree.
#[derive(Debug)]
pub struct Setting {
    /// The environment variable (`PGW_…`).
    pub env: &'static str,
    /// Other environment variables read when `env` is unset (e.g. `DATABASE_URL`).
    pub env_aliases: &'static [&'static str],
    /// The key in the `--config` TOML file.
    pub file_key: &'static str,
    /// The default, as text; empty when unset by default.
    pub default: &'static str,
    /// What the setting does.
    pub help: &'static str,
    /// Whether the value is a secret (never echoed in errors or logs).
    pub secret: bool,
}

macro_rules! setting {
    ($env:literal, $key:literal, $default:literal, $help:literal) => {
        Setting {
            env: $env,
            env_aliases: &[],
            file_key: $key,
            default: $default,
            help: $help,
            secret: false,
        }
    };
    ($env:literal, $key:literal, $default:literal, $help:literal, secret) => {
        Setting {
            env: $env,
            env_aliases: &[],
            file_key: $key,
            default: $default,
            help: $help,
            secret: true,
        }
    };
}

/// Every setting the gateway reads.
pub const SETTINGS: &[Setting] = &[
    setting!(
        "PGW_LISTEN",
        "listen",
        "127.0.0.1:8080",
        "Address and port the HTTP API listens on (HOST:PORT; port 0 picks a free one)."
    ),
    Setting {
        env: "PGW_DATABASE_URL",
        env_aliases: &["DATABASE_URL"],
        file_key: "database_url",
        default: "sqlite://./data/proxy-gateway.db",
        help: "Store location. postgres://… selects Postgres; sqlite://PATH (or nothing) selects embedded SQLite in that file, folder created. DATABASE_URL is read when this is unset.",
        secret: true,
    },
    setting!(
        "PGW_DATABASE_MAX_CONNECTIONS",
        "database_max_connections",
        "10",
        "Size of the store's connection pool (1-1000)."
    ),
    setting!(
        "PGW_MIGRATE_DATABASE_URL",
        "migrate_database_url",
        "",
        "Postgres only: a connection for migrations, as the role that owns the schema. When set, migrations (and the audit log's privileges and retention policy) run over it, and PGW_DATABASE_URL only serves: its role then holds INSERT and SELECT on the audit log plus the completion of pending events, nothing more.",
        secret
    ),
    setting!(
        "PGW_LOG_FORMAT",
        "log_format",
        "text",
        "Log line format on stderr: text or json."
    ),
    setting!(
        "PGW_LOG_LEVEL",
        "log_level",
        "info",
        "Log filter in tracing's EnvFilter syntax, e.g. info or proxy_gateway=debug,info."
    ),
    setting!(
        "PGW_BOOTSTRAP_ADMIN_KEY",
        "bootstrap_admin_key",
        "",
        "Admin API key to create when the store has no key yet (pgw_ followed by at least 32 characters of A-Z a-z 0-9 - _). When unset, a key is generated and printed once to stderr.",
        secret
    ),
    setting!(
        "PGW_BODY_LIMIT_BYTES",
        "body_limit_bytes",
        "1048576",
        "Largest accepted request body, in bytes; larger bodies get 413."
    ),
    setting!(
        "PGW_REQUEST_TIMEOUT_SECS",
        "request_timeout_secs",
        "30",
        "Longest time one request may take before the gateway answers 504 deadline_exceeded."
    ),
    setting!(
        "PGW_SHUTDOWN_GRACE_SECS",
        "shutdown_grace_secs",
        "30",
        "On SIGTERM/SIGINT, how long in-flight requests may take to finish before the process exits."
    ),
    setting!(
        "PGW_REQUIRE_IDEMPOTENCY_KEY",
        "require_idempotency_key",
        "false",
        "Refuse POST, PATCH and DELETE under /v1 without an Idempotency-Key header (400)."
    ),
    setting!(
        "PGW_IDEMPOTENCY_LEASE_SECS",
        "idempotency_lease_secs",
        "60",
        "How long a keyed write holds its key without renewal; a holder that died loses it after this."
    ),
    setting!(
        "PGW_IDEMPOTENCY_TTL_SECS",
        "idempotency_ttl_secs",
        "86400",
        "How long an idempotency record is kept; after that the same key starts a new operation."
    ),
    setting!(
        "PGW_IDEMPOTENCY_SWEEP_SECS",
        "idempotency_sweep_secs",
        "300",
        "How often expired idempotency records are deleted."
    ),
    setting!(
        "PGW_AUDIT_READS",
        "audit_reads",
        "false",
        "Also record reads (GET under /v1) in the audit log; writes and admin actions are always recorded (true or false)."
    ),
    setting!(
        "PGW_AUDIT_RETENTION_DAYS",
        "audit_retention_days",
        "400",
        "Days audit events are kept (1-36500). Postgres drops whole monthly partitions once all their events are older; SQLite deletes the oldest events."
    ),
    setting!(
        "PGW_AUDIT_SEAL_INTERVAL_MS",
        "audit_seal_interval_ms",
        "1000",
        "How often completed audit events are sealed into the hash chain and abandoned pending ones are closed as unknown, in milliseconds (50-3600000)."
    ),
    setting!(
        "PGW_AUDIT_MAINTENANCE_INTERVAL_SECS",
        "audit_maintenance_interval_secs",
        "3600",
        "How often the audit log's partitions are created ahead and expired ones dropped, in seconds (60-86400); also done at every start."
    ),
    setting!(
        "PGW_SANDBOX",
        "sandbox",
        "true",
        "When no provider account is configured, start both provider simulators in-process and use them (true or false)."
    ),
    setting!(
        "PGW_HELODATA_API_KEY",
        "helodata_api_key",
        "",
        "API token of a helodata account; configures the account named helodata.",
        secret
    ),
    setting!(
        "PGW_HELODATA_BASE_URL",
        "helodata_base_url",
        "https://api.helodata.com/v1",
        "Base URL of the helodata account configured by PGW_HELODATA_API_KEY."
    ),
    setting!(
        "PGW_911PROXY_APP_KEY",
        "911proxy_app_key",
        "",
        "app_key of a 911Proxy account; configures the account named 911proxy.",
        secret
    ),
    setting!(
        "PGW_911PROXY_BASE_URL",
        "911proxy_base_url",
        "https://api.911proxy.com",
        "Base URL of the 911Proxy account configured by PGW_911PROXY_APP_KEY."
    ),
    setting!(
        "PGW_911PROXY_TIMEZONE",
        "911proxy_timezone",
        "Asia/Shanghai",
        "Time zone of 911Proxy's naive local times (IANA name or an offset like +08:00)."
    ),
    setting!(
        "PGW_UPSTREAM_TIMEOUT_SECS",
        "upstream_timeout_secs",
        "10",
        "Default for every provider account: longest time one upstream attempt may take."
    ),
    setting!(
        "PGW_UPSTREAM_CONNECT_TIMEOUT_SECS",
        "upstream_connect_timeout_secs",
        "3",
        "Default for every provider account: longest time to connect."
    ),
    setting!(
        "PGW_UPSTREAM_MAX_RETRIES",
        "upstream_max_retries",
        "2",
        "Default for every provider account: retries of reads and of idempotent writes (0-10)."
    ),
    setting!(
        "PGW_UPSTREAM_RETRY_AFTER_CAP_SECS",
        "upstream_retry_after_cap_secs",
        "30",
        "A provider Retry-After longer than this is not waited for; the caller gets it instead."
    ),
    setting!(
        "PGW_UPSTREAM_MAX_CONCURRENCY",
        "upstream_max_concurrency",
        "32",
        "Default for every provider account: upstream calls in flight at once."
    ),
    setting!(
        "PGW_UPSTREAM_BREAKER_THRESHOLD",
        "upstream_breaker_threshold",
        "5",
        "Default for every provider account: consecutive failures that open the circuit breaker."
    ),
    setting!(
        "PGW_UPSTREAM_BREAKER_COOLDOWN_SECS",
        "upstream_breaker_cooldown_secs",
        "10",
        "Default for every provider account: seconds the breaker stays open before a probe."
    ),
    setting!(
        "PGW_METRICS_LISTEN",
        "metrics_listen",
        "",
        "Serve GET /metrics (Prometheus text format) on its own HOST:PORT instead of the API listener; unset: /metrics is on the API listener."
    ),
    setting!(
        "PGW_METRICS_TOKEN",
        "metrics_token",
        "",
        "When set, GET /metrics requires Authorization: Bearer <this token> (8-512 printable characters); unset: no authentication.",
        secret
    ),
];

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

/// Log line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The store's connection string. Its `Debug` shows only the scheme, since a Postgres URL may
/// carry a password.
#[derive(Clone)]
pub struct DatabaseUrl(SecretString);

impl DatabaseUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> Self {
        DatabaseUrl(SecretString::from(url.into()))
    }

    /// The URL itself, for the store driver only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Which backend the URL selects.
    pub fn backend(&self) -> Backend {
        if self.expose().starts_with("postgres://") || self.expose().starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// A printable description with no credentials: the scheme, and the file for SQLite.
    pub fn redacted(&self) -> String {
        match self.backend() {
            Backend::Postgres => "postgres://[redacted]".to_string(),
            Backend::Sqlite => self.expose().to_string(),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

/// The store backend a URL selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL (production, several replicas).
    Postgres,
    /// Embedded SQLite in one file (single machine, no database server).
    Sqlite,
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
    /// Configured provider accounts (TOML `[[providers]]` and the `PGW_HELODATA_*` /
    /// `PGW_911PROXY_*` variables).
    pub providers: Vec<ProviderAccountConfig>,
    /// Where `/metrics` is served on its own listener (`None`: on the API listener).
    pub metrics_listen: Option<SocketAddr>,
    /// The bearer token `/metrics` requires (`None`: no authentication).
    pub metrics_token: Option<SecretString>,
    /// The connection migrations run over, when it differs from the serving one (Postgres).
    pub migrate_database_url: Option<DatabaseUrl>,
    /// The audit log.
    pub audit: AuditConfig,
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

/// One provider account as configured.
#[derive(Clone, Debug)]
pub struct ProviderAccountConfig {
    /// Its name (first part of every id; `helodata` / `911proxy` for the env-configured ones).
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

impl Config {
    /// Loads from the process environment and an optional TOML file.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        let env: BTreeMap<String, String> = std::env::vars().collect();
        Config::from_sources(file, &env)
    }

    /// Loads from the given environment map and an optional TOML file (testable core of `load`).
    pub fn from_sources(
        file: Option<&Path>,
        env: &BTreeMap<String, String>,
    ) -> Result<Config, ConfigError> {
        let (file_values, file_providers) = match file {
            Some(path) => read_file(path)?,
            None => (BTreeMap::new(), Vec::new()),
        };
        let sources = Sources {
            env,
            file: file_values,
            file_path: file.map(Path::to_path_buf),
        };
        let upstream_defaults = UpstreamPolicy {
            timeout: Duration::from_secs(
                sources.parse("PGW_UPSTREAM_TIMEOUT_SECS", |v| parse_in_range(v, 1, 600))?,
            ),
            connect_timeout: Duration::from_secs(
                sources.parse("PGW_UPSTREAM_CONNECT_TIMEOUT_SECS", |v| {
                    parse_in_range(v, 1, 120)
                })?,
            ),
            max_retries: sources.parse("PGW_UPSTREAM_MAX_RETRIES", |v| parse_in_range(v, 0, 10))?,
            retry_after_cap: Duration::from_secs(
                sources.parse("PGW_UPSTREAM_RETRY_AFTER_CAP_SECS", |v| {
                    parse_in_range(v, 0, 3600)
                })?,
            ),
            max_concurrency: sources.parse("PGW_UPSTREAM_MAX_CONCURRENCY", |v| {
                parse_in_range(v, 1, 10_000)
            })?,
            breaker_failure_threshold: sources.parse("PGW_UPSTREAM_BREAKER_THRESHOLD", |v| {
                parse_in_range(v, 1, 1000)
            })?,
            breaker_cooldown: Duration::from_secs(
                sources.parse("PGW_UPSTREAM_BREAKER_COOLDOWN_SECS", |v| {
                    parse_in_range(v, 0, 3600)
                })?,
            ),
            ..UpstreamPolicy::default()
        };
        let nine11_timezone = sources.parse("PGW_911PROXY_TIMEZONE", parse_timezone)?;
        let mut providers = Vec::new();
        for (index, table) in file_providers.iter().enumerate() {
            let path = file.map(|p| p.display().to_string()).unwrap_or_default();
            providers.push(
                provider_from_table(table, &upstream_defaults, &nine11_timezone).map_err(
                    |(key, problem)| ConfigError::Invalid {
                        setting: format!("providers[{index}].{key} in {path}"),
                        problem,
                    },
                )?,
            );
        }
        let env_accounts = [
            (
                "PGW_HELODATA_API_KEY",
                "PGW_HELODATA_BASE_URL",
                ProviderKind::Helodata,
            ),
            (
                "PGW_911PROXY_APP_KEY",
                "PGW_911PROXY_BASE_URL",
                ProviderKind::Nine11,
            ),
        ];
        for (key_setting, url_setting, kind) in env_accounts {
            let Some(credential) = sources.parse_optional(key_setting, parse_credential)? else {
                continue;
            };
            let name = kind.as_str().to_string();
            if providers.iter().any(|p| p.name == name) {
                return Err(ConfigError::Invalid {
                    setting: key_setting.to_string(),
                    problem: format!(
                        "the provider account '{name}' is also configured in the file"
                    ),
                });
            }
            providers.push(ProviderAccountConfig {
                name,
                kind,
                credential,
                base_url: sources.parse(url_setting, parse_base_url)?,
                timezone: nine11_timezone.clone(),
                policy: upstream_defaults.clone(),
            });
        }
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
        })
    }
}

/// Parses an unsigned integer and checks it lies in `min..=max`.
fn parse_in_range<T>(value: &str, min: T, max: T) -> Result<T, String>
where
    T: std::str::FromStr + PartialOrd + std::fmt::Display + Copy,
{
    let n: T = value
        .trim()
        .parse()
        .map_err(|_| format!("expected a whole number between {min} and {max}"))?;
    if n < min || n > max {
        return Err(format!("expected a whole number between {min} and {max}"));
    }
    Ok(n)
}

fn parse_database_url(value: &str) -> Result<DatabaseUrl, String> {
    let ok = ["postgres://", "postgresql://", "sqlite://", "sqlite:"]
        .iter()
        .any(|scheme| value.starts_with(scheme));
    if !ok {
        return Err("expected a postgres://… or sqlite://… URL".to_string());
    }
    Ok(DatabaseUrl::new(value))
}

/// Where values come from, in precedence order: environment, file, default.
struct Sources<'a> {
    env: &'a BTreeMap<String, String>,
    file: BTreeMap<String, String>,
    file_path: Option<PathBuf>,
}

impl Sources<'_> {
    fn setting(env: &str) -> &'static Setting {
        SETTINGS
            .iter()
            .find(|s| s.env == env)
            .unwrap_or_else(|| panic!("setting {env} is missing from SETTINGS"))
    }

    /// The raw value and the name of its source, or `None` when unset everywhere.
    fn raw(&self, setting: &Setting) -> Option<(String, String)> {
        std::iter::once(setting.env)
            .chain(setting.env_aliases.iter().copied())
            .find_map(|name| {
                self.env
                    .get(name)
                    .filter(|v| !v.is_empty())
                    .map(|v| (v.clone(), name.to_string()))
            })
            .or_else(|| {
                self.file.get(setting.file_key).map(|v| {
                    let path = self
                        .file_path
                        .as_ref()
                        .map(|p| p.display().to_string())
                        .unwrap_or_default();
                    (v.clone(), format!("{} in {path}", setting.file_key))
                })
            })
    }

    fn parse<T>(
        &self,
        env: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        let setting = Self::setting(env);
        match self.raw(setting) {
            Some((value, source)) => {
                parse(&value).map_err(|problem| invalid(setting, source, &value, problem))
            }
            None => parse(setting.default).map_err(|problem| ConfigError::Invalid {
                setting: setting.env.to_string(),
                problem: format!("built-in default is invalid: {problem}"),
            }),
        }
    }

    fn parse_optional<T>(
        &self,
        env: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<Option<T>, ConfigError> {
        let setting = Self::setting(env);
        match self.raw(setting) {
            Some((value, source)) => parse(&value)
                .map(Some)
                .map_err(|problem| invalid(setting, source, &value, problem)),
            None => Ok(None),
        }
    }
}

fn invalid(setting: &Setting, source: String, value: &str, problem: String) -> ConfigError {
    let shown = if setting.secret {
        String::new()
    } else {
        format!("'{value}': ")
    };
    ConfigError::Invalid {
        setting: source,
        problem: format!("{shown}{problem}"),
    }
}

/// Reads the TOML file into `file_key → text` and the `[[providers]]` tables, refusing keys no
/// setting knows (typos).
fn read_file(path: &Path) -> Result<(BTreeMap<String, String>, Vec<toml::Table>), ConfigError> {
    let file_error = |problem: String| ConfigError::File {
        path: path.display().to_string(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| file_error(e.message().to_string()))?;
    let mut values = BTreeMap::new();
    let mut providers = Vec::new();
    for (key, value) in table {
        if key == "providers" {
            let toml::Value::Array(items) = value else {
                return Err(file_error(
                    "providers must be an array of tables ([[providers]])".to_string(),
                ));
            };
            for item in items {
                let toml::Value::Table(table) = item else {
                    return Err(file_error(
                        "providers must be an array of tables ([[providers]])".to_string(),
                    ));
                };
                providers.push(table);
            }
            continue;
        }
        if !SETTINGS.iter().any(|s| s.file_key == key) {
            return Err(file_error(format!("unknown setting '{key}'")));
        }
        let text = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            toml::Value::Float(f) => f.to_string(),
            _ => {
                return Err(file_error(format!(
                    "setting '{key}' must be a string, number or boolean"
                )));
            }
        };
        values.insert(key, text);
    }
    Ok((values, providers))
}

/// The keys a `[[providers]]` table may have.
const PROVIDER_KEYS: [&str; 14] = [
    "name",
    "kind",
    "api_key",
    "app_key",
    "base_url",
    "timezone",
    "timeout_secs",
    "connect_timeout_secs",
    "max_retries",
    "retry_after_cap_secs",
    "max_concurrency",
    "breaker_threshold",
    "breaker_cooldown_secs",
    "sandbox",
];

/// One `[[providers]]` table; errors name the key.
fn provider_from_table(
    table: &toml::Table,
    defaults: &UpstreamPolicy,
    default_timezone: &jiff::tz::TimeZone,
) -> Result<ProviderAccountConfig, (String, String)> {
    if let Some(unknown) = table
        .keys()
        .find(|k| !PROVIDER_KEYS.contains(&k.as_str()) || k.as_str() == "sandbox")
    {
        return Err((
            unknown.clone(),
            format!("unknown key (known: {})", PROVIDER_KEYS[..13].join(", ")),
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
    let kind: ProviderKind = required("kind")?
        .parse()
        .map_err(|e| ("kind".to_string(), e))?;
    let (credential_key, wrong_key, default_url) = match kind {
        ProviderKind::Helodata => ("api_key", "app_key", "https://api.helodata.com/v1"),
        ProviderKind::Nine11 => ("app_key", "api_key", "https://api.911proxy.com"),
    };
    if table.contains_key(wrong_key) {
        return Err((
            wrong_key.to_string(),
            format!("a {kind} account takes {credential_key}, not {wrong_key}"),
        ));
    }
    let credential = parse_credential(&required(credential_key)?)
        .map_err(|e| (credential_key.to_string(), e))?;
    let base_url = parse_base_url(&text("base_url")?.unwrap_or_else(|| default_url.to_string()))
        .map_err(|e| ("base_url".to_string(), e))?;
    let timezone = match text("timezone")? {
        Some(tz) => parse_timezone(&tz).map_err(|e| ("timezone".to_string(), e))?,
        None => default_timezone.clone(),
    };
    let number = |key: &str, min: u64, max: u64, default: u64| -> Result<u64, (String, String)> {
        match text(key)? {
            Some(v) => parse_in_range(&v, min, max).map_err(|e| (key.to_string(), e)),
            None => Ok(default),
        }
    };
    let policy = UpstreamPolicy {
        timeout: Duration::from_secs(number("timeout_secs", 1, 600, defaults.timeout.as_secs())?),
        connect_timeout: Duration::from_secs(number(
            "connect_timeout_secs",
            1,
            120,
            defaults.connect_timeout.as_secs(),
        )?),
        max_retries: number("max_retries", 0, 10, u64::from(defaults.max_retries))? as u32,
        retry_after_cap: Duration::from_secs(number(
            "retry_after_cap_secs",
            0,
            3600,
            defaults.retry_after_cap.as_secs(),
        )?),
        max_concurrency: number(
            "max_concurrency",
            1,
            10_000,
            defaults.max_concurrency as u64,
        )? as usize,
        breaker_failure_threshold: number(
            "breaker_threshold",
            1,
            1000,
            u64::from(defaults.breaker_failure_threshold),
        )? as u32,
        breaker_cooldown: Duration::from_secs(number(
            "breaker_cooldown_secs",
            0,
            3600,
            defaults.breaker_cooldown.as_secs(),
        )?),
        ..defaults.clone()
    };
    Ok(ProviderAccountConfig {
        name,
        kind,
        credential,
        base_url,
        timezone,
        policy,
    })
}

fn parse_bool(value: &str) -> Result<bool, String> {
    match value {
        "true" | "1" | "yes" => Ok(true),
        "false" | "0" | "no" => Ok(false),
        _ => Err("expected true or false".to_string()),
    }
}

/// A bearer token Prometheus sends: long enough not to be guessed, and a valid header value.
fn parse_metrics_token(value: &str) -> Result<SecretString, String> {
    let ok = (8..=512).contains(&value.len()) && value.chars().all(|c| c.is_ascii_graphic());
    if ok {
        Ok(SecretString::from(value.to_string()))
    } else {
        Err("must be 8-512 printable ASCII characters without spaces".to_string())
    }
}

fn parse_credential(value: &str) -> Result<SecretString, String> {
    let ok = !value.trim().is_empty() && value.len() <= 512 && !value.chars().any(char::is_control);
    if ok {
        Ok(SecretString::from(value.trim().to_string()))
    } else {
        Err("must be 1-512 printable characters".to_string())
    }
}

fn parse_base_url(value: &str) -> Result<String, String> {
    let ok = (value.starts_with("http://") || value.starts_with("https://"))
        && value.len() > "https://".len()
        && !value.contains(char::is_whitespace)
        && !value.contains('?');
    if ok {
        Ok(value.trim_end_matches('/').to_string())
    } else {
        Err("expected an http:// or https:// URL without a query".to_string())
    }
}

/// An IANA zone name (`Asia/Shanghai`, from the bundled database) or a fixed offset (`+08:00`).
pub fn parse_timezone(value: &str) -> Result<jiff::tz::TimeZone, String> {
    if let Some(offset) = parse_fixed_offset(value) {
        return Ok(jiff::tz::TimeZone::fixed(offset));
    }
    jiff::tz::TimeZone::get(value).map_err(|_| {
        "expected an IANA time zone like Asia/Shanghai or an offset like +08:00".to_string()
    })
}

fn parse_fixed_offset(value: &str) -> Option<jiff::tz::Offset> {
    let rest = value
        .strip_prefix("UTC")
        .or_else(|| value.strip_prefix("GMT"))
        .unwrap_or(value);
    if rest.is_empty() {
        return (value == "UTC" || value == "GMT").then_some(jiff::tz::Offset::UTC);
    }
    let (sign, digits) = match rest.as_bytes().first()? {
        b'+' => (1, &rest[1..]),
        b'-' => (-1, &rest[1..]),
        _ => return None,
    };
    let (hours, minutes) = match digits.split_once(':') {
        Some((h, m)) => (h.parse::<i32>().ok()?, m.parse::<i32>().ok()?),
        None => (digits.parse::<i32>().ok()?, 0),
    };
    if hours > 14 || minutes > 59 {
        return None;
    }
    jiff::tz::Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).ok()
}

/// The settings as a plain-text table, for `--help`.
pub fn settings_help() -> String {
    let mut out = String::from(
        "Settings (environment variable, or key in the --config TOML file; the environment wins):\n",
    );
    for s in SETTINGS {
        let default = if s.default.is_empty() {
            "unset".to_string()
        } else {
            s.default.to_string()
        };
        out.push_str(&format!(
            "\n  {} / {} (default: {})\n      {}\n",
            s.env, s.file_key, default, s.help
        ));
        if !s.env_aliases.is_empty() {
            out.push_str(&format!(
                "      Also read from: {}\n",
                s.env_aliases.join(", ")
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn defaults_need_no_setting_at_all() {
        let config = Config::from_sources(None, &env(&[])).unwrap();
        assert_eq!(config.listen, "127.0.0.1:8080".parse().unwrap());
        assert_eq!(config.database_url.backend(), Backend::Sqlite);
        assert_eq!(
            config.database_url.expose(),
            "sqlite://./data/proxy-gateway.db"
        );
        assert_eq!(config.body_limit_bytes, 1_048_576);
        assert_eq!(config.log_format, LogFormat::Text);
    }

    #[test]
    fn a_bad_value_names_the_setting_and_the_value() {
        let err = Config::from_sources(None, &env(&[("PGW_LISTEN", "nowhere")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting PGW_LISTEN: 'nowhere': expected HOST:PORT, e.g. 127.0.0.1:8080"
        );
    }

    #[test]
    fn a_bad_secret_is_named_but_never_echoed() {
        let err = Config::from_sources(None, &env(&[("PGW_BOOTSTRAP_ADMIN_KEY", "hunter2")]))
            .unwrap_err();
        let text = err.to_string();
        assert!(
            text.starts_with("invalid setting PGW_BOOTSTRAP_ADMIN_KEY: "),
            "{text}"
        );
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    fn database_url_falls_back_to_database_url_and_debug_hides_it() {
        let config = Config::from_sources(
            None,
            &env(&[("DATABASE_URL", "postgres://u:secretpw@db/pgw")]),
        )
        .unwrap();
        assert_eq!(config.database_url.backend(), Backend::Postgres);
        assert!(!format!("{config:?}").contains("secretpw"));
    }

    #[test]
    fn the_environment_wins_over_the_file_and_the_file_over_defaults() {
        let dir = std::env::temp_dir().join(format!("pgw-config-{}", ulid::Ulid::generate()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("gateway.toml");
        std::fs::write(
            &file,
            "listen = \"0.0.0.0:9000\"\nbody_limit_bytes = 2048\n",
        )
        .unwrap();
        let config =
            Config::from_sources(Some(&file), &env(&[("PGW_BODY_LIMIT_BYTES", "4096")])).unwrap();
        assert_eq!(config.listen, "0.0.0.0:9000".parse().unwrap());
        assert_eq!(config.body_limit_bytes, 4096);
    }

    #[test]
    fn an_unknown_file_key_is_refused() {
        let dir = std::env::temp_dir().join(format!("pgw-config-{}", ulid::Ulid::generate()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("gateway.toml");
        std::fs::write(&file, "lisen = \"0.0.0.0:9000\"\n").unwrap();
        let err = Config::from_sources(Some(&file), &env(&[])).unwrap_err();
        assert!(
            err.to_string().ends_with("unknown setting 'lisen'"),
            "{err}"
        );
    }

    #[test]
    fn env_keys_configure_accounts_with_default_names_and_urls() {
        let config = Config::from_sources(
            None,
            &env(&[
                ("PGW_911PROXY_APP_KEY", "k911"),
                ("PGW_HELODATA_API_KEY", "hel_live_x"),
            ]),
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
        let config = Config::from_sources(Some(&file), &env(&[])).unwrap();
        assert_eq!(config.providers.len(), 2);
        assert_eq!(config.providers[0].policy.timeout, Duration::from_secs(4));
        assert_eq!(config.providers[1].base_url, "http://127.0.0.1:1/v1");

        std::fs::write(
            &file,
            "[[providers]]\nname = \"x\"\nkind = \"helodata\"\napp_key = \"a\"\n",
        )
        .unwrap();
        let err = Config::from_sources(Some(&file), &env(&[]))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("invalid setting providers[0].app_key in "),
            "{err}"
        );
    }

    #[test]
    fn timezones_accept_iana_names_and_offsets() {
        assert!(parse_timezone("Asia/Shanghai").is_ok());
        assert_eq!(
            parse_timezone("+08:00").unwrap(),
            jiff::tz::TimeZone::fixed(jiff::tz::offset(8))
        );
        assert_eq!(
            parse_timezone("UTC-5").unwrap(),
            jiff::tz::TimeZone::fixed(jiff::tz::offset(-5))
        );
        assert!(parse_timezone("Mars/Olympus").is_err());
    }

    #[test]
    fn metrics_listen_and_token_are_optional_and_validated() {
        let config = Config::from_sources(None, &env(&[])).unwrap();
        assert!(config.metrics_listen.is_none() && config.metrics_token.is_none());
        let config = Config::from_sources(
            None,
            &env(&[
                ("PGW_METRICS_LISTEN", "0.0.0.0:9090"),
                ("PGW_METRICS_TOKEN", "scrape-me-please"),
            ]),
        )
        .unwrap();
        assert_eq!(config.metrics_listen, Some("0.0.0.0:9090".parse().unwrap()));
        assert_eq!(
            config.metrics_token.as_ref().map(|t| t.expose_secret()),
            Some("scrape-me-please")
        );
        let err = Config::from_sources(None, &env(&[("PGW_METRICS_TOKEN", "short")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting PGW_METRICS_TOKEN: must be 8-512 printable ASCII characters without spaces"
        );
    }

    #[test]
    fn out_of_range_numbers_are_refused() {
        let err =
            Config::from_sources(None, &env(&[("PGW_DATABASE_MAX_CONNECTIONS", "0")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting PGW_DATABASE_MAX_CONNECTIONS: '0': expected a whole number between 1 and 1000"
        );
    }

    #[test]
    fn audit_settings_default_to_writes_only_and_400_days() {
        let config = Config::from_sources(None, &env(&[])).unwrap();
        assert!(!config.audit.reads);
        assert_eq!(config.audit.retention_days, 400);
        assert_eq!(config.audit.seal_interval, Duration::from_secs(1));
        assert_eq!(config.audit.maintenance_interval, Duration::from_secs(3600));
        assert!(config.migrate_database_url.is_none());
        let err =
            Config::from_sources(None, &env(&[("PGW_AUDIT_RETENTION_DAYS", "0")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting PGW_AUDIT_RETENTION_DAYS: '0': expected a whole number between 1 and 36500"
        );
    }

    #[test]
    fn a_migration_connection_needs_postgres_on_both_sides_and_is_never_printed() {
        let config = Config::from_sources(
            None,
            &env(&[
                ("PGW_DATABASE_URL", "postgres://app@db/pgw"),
                (
                    "PGW_MIGRATE_DATABASE_URL",
                    "postgres://owner:ownerpw@db/pgw",
                ),
            ]),
        )
        .unwrap();
        assert_eq!(
            config
                .migrate_database_url
                .as_ref()
                .map(DatabaseUrl::expose),
            Some("postgres://owner:ownerpw@db/pgw")
        );
        assert!(!format!("{config:?}").contains("ownerpw"));
        let err = Config::from_sources(
            None,
            &env(&[("PGW_MIGRATE_DATABASE_URL", "postgres://owner@db/pgw")]),
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting PGW_MIGRATE_DATABASE_URL: a separate migration connection needs Postgres for both it and PGW_DATABASE_URL"
        );
    }
}
