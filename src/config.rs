//! Configuration: `PGW_*` environment variables over an optional TOML file over defaults,
//! validated once at start. A bad value stops the process with one line naming the setting.
//! Secrets are held in [`SecretString`] so that `Debug` never prints them.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

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
        let file_values = match file {
            Some(path) => read_file(path)?,
            None => BTreeMap::new(),
        };
        let sources = Sources {
            env,
            file: file_values,
            file_path: file.map(Path::to_path_buf),
        };
        Ok(Config {
            listen: sources.parse("PGW_LISTEN", |v| {
                v.parse::<SocketAddr>()
                    .map_err(|_| "expected HOST:PORT, e.g. 127.0.0.1:8080".to_string())
            })?,
            database_url: sources.parse("PGW_DATABASE_URL", parse_database_url)?,
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

/// Reads the TOML file into `file_key → text`, refusing keys no setting knows (typos).
fn read_file(path: &Path) -> Result<BTreeMap<String, String>, ConfigError> {
    let file_error = |problem: String| ConfigError::File {
        path: path.display().to_string(),
        problem,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| file_error(e.message().to_string()))?;
    let mut values = BTreeMap::new();
    for (key, value) in table {
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
    Ok(values)
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
    fn out_of_range_numbers_are_refused() {
        let err =
            Config::from_sources(None, &env(&[("PGW_DATABASE_MAX_CONNECTIONS", "0")])).unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting PGW_DATABASE_MAX_CONNECTIONS: '0': expected a whole number between 1 and 1000"
        );
    }
}
