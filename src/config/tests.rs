//! The configuration's own rules, without a provider's help where none is needed.

use super::*;
use secrecy::ExposeSecret;

/// Loads with no provider registered: the gateway's own settings only.
fn load(file: Option<&Path>, env: &BTreeMap<String, String>) -> Result<Config, ConfigError> {
    Config::from_sources(file, env, &[])
}

fn env(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_need_no_setting_at_all() {
    let config = load(None, &env(&[])).unwrap();
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
    let err = load(None, &env(&[("PGW_LISTEN", "nowhere")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid setting PGW_LISTEN: 'nowhere': expected HOST:PORT, e.g. 127.0.0.1:8080"
    );
}

#[test]
fn a_bad_secret_is_named_but_never_echoed() {
    let err = load(None, &env(&[("PGW_BOOTSTRAP_ADMIN_KEY", "hunter2")])).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("invalid setting PGW_BOOTSTRAP_ADMIN_KEY: "),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "{text}");
}

#[test]
fn database_url_falls_back_to_database_url_and_debug_hides_it() {
    let config = load(
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
    let config = load(Some(&file), &env(&[("PGW_BODY_LIMIT_BYTES", "4096")])).unwrap();
    assert_eq!(config.listen, "0.0.0.0:9000".parse().unwrap());
    assert_eq!(config.body_limit_bytes, 4096);
}

#[test]
fn an_unknown_file_key_is_refused() {
    let dir = std::env::temp_dir().join(format!("pgw-config-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("gateway.toml");
    std::fs::write(&file, "lisen = \"0.0.0.0:9000\"\n").unwrap();
    let err = load(Some(&file), &env(&[])).unwrap_err();
    assert!(
        err.to_string().ends_with("unknown setting 'lisen'"),
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
    let config = load(None, &env(&[])).unwrap();
    assert!(config.metrics_listen.is_none() && config.metrics_token.is_none());
    let config = load(
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
    let err = load(None, &env(&[("PGW_METRICS_TOKEN", "short")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid setting PGW_METRICS_TOKEN: must be 8-512 printable ASCII characters without spaces"
    );
}

#[test]
fn out_of_range_numbers_are_refused() {
    let err = load(None, &env(&[("PGW_DATABASE_MAX_CONNECTIONS", "0")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid setting PGW_DATABASE_MAX_CONNECTIONS: '0': expected a whole number between 1 and 1000"
    );
}

#[test]
fn audit_settings_default_to_writes_only_and_400_days() {
    let config = load(None, &env(&[])).unwrap();
    assert!(!config.audit.reads);
    assert_eq!(config.audit.retention_days, 400);
    assert_eq!(config.audit.seal_interval, Duration::from_secs(1));
    assert_eq!(config.audit.maintenance_interval, Duration::from_secs(3600));
    assert!(config.migrate_database_url.is_none());
    let err = load(None, &env(&[("PGW_AUDIT_RETENTION_DAYS", "0")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid setting PGW_AUDIT_RETENTION_DAYS: '0': expected a whole number between 1 and 36500"
    );
}

#[test]
fn a_migration_connection_needs_postgres_on_both_sides_and_is_never_printed() {
    let config = load(
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
    let err = load(
        None,
        &env(&[("PGW_MIGRATE_DATABASE_URL", "postgres://owner@db/pgw")]),
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid setting PGW_MIGRATE_DATABASE_URL: a separate migration connection needs Postgres for both it and PGW_DATABASE_URL"
    );
}
