//! The table of settings: each `PGW_` variable with its file key, default and help. One list
//! (the gateway's own [`SETTINGS`] followed by each provider's) drives loading, validation,
//! `--help` and the README table, so they cannot disagree.

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

impl Setting {
    /// A setting shown and echoed as it is.
    pub const fn plain(
        env: &'static str,
        file_key: &'static str,
        default: &'static str,
        help: &'static str,
    ) -> Setting {
        Setting {
            env,
            env_aliases: &[],
            file_key,
            default,
            help,
            secret: false,
        }
    }

    /// A setting whose value is never echoed.
    pub const fn secret(
        env: &'static str,
        file_key: &'static str,
        default: &'static str,
        help: &'static str,
    ) -> Setting {
        Setting {
            secret: true,
            ..Setting::plain(env, file_key, default, help)
        }
    }
}

macro_rules! setting {
    ($env:literal, $key:literal, $default:literal, $help:literal) => {
        Setting::plain($env, $key, $default, $help)
    };
    ($env:literal, $key:literal, $default:literal, $help:literal, secret) => {
        Setting::secret($env, $key, $default, $help)
    };
}

/// Every setting of the gateway itself; each provider adds its own ([`super::ProviderSpec`]).
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
        "PGW_LIST_SNAPSHOT_TTL_MS",
        "list_snapshot_ttl_ms",
        "2000",
        "Default for every provider account: milliseconds an unpaged upstream list (911Proxy's proxy users) is served from memory; 0 reads it for every request."
    ),
    setting!(
        "PGW_LOCATIONS_TTL_SECS",
        "locations_ttl_secs",
        "3600",
        "Seconds each provider account's geo lists (countries, states, cities) are served from memory; 0 reads them for every request."
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

/// The settings as a plain-text table, for `--help`.
pub fn settings_help(settings: &[&Setting]) -> String {
    let mut out = String::from(
        "Settings (environment variable, or key in the --config TOML file; the environment wins):\n",
    );
    for s in settings {
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
