//! The upstream client's policy as configured: the `PGW_UPSTREAM_*` defaults every account
//! starts from, and a `[[providers]]` table's own overrides.

use std::time::Duration;

use super::ConfigError;
use super::sources::Sources;
use super::values::parse_in_range;
use crate::upstream::UpstreamPolicy;

/// The policy every account starts from.
pub(super) fn defaults(sources: &Sources<'_>) -> Result<UpstreamPolicy, ConfigError> {
    Ok(UpstreamPolicy {
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
        list_snapshot_ttl: Duration::from_millis(
            sources.parse("PGW_LIST_SNAPSHOT_TTL_MS", |v| {
                parse_in_range(v, 0, 3_600_000)
            })?,
        ),
        ..UpstreamPolicy::default()
    })
}

/// A `[[providers]]` table's value of a key, as text; errors name the key.
pub(super) type TableText<'a> = dyn Fn(&str) -> Result<Option<String>, (String, String)> + 'a;

/// A table's policy: its own keys over `defaults`; errors name the key.
pub(super) fn policy_from_table(
    text: &TableText<'_>,
    defaults: &UpstreamPolicy,
) -> Result<UpstreamPolicy, (String, String)> {
    let number = |key: &str, min: u64, max: u64, default: u64| -> Result<u64, (String, String)> {
        match text(key)? {
            Some(v) => parse_in_range(&v, min, max).map_err(|e| (key.to_string(), e)),
            None => Ok(default),
        }
    };
    Ok(UpstreamPolicy {
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
        list_snapshot_ttl: Duration::from_millis(number(
            "list_snapshot_ttl_ms",
            0,
            3_600_000,
            defaults.list_snapshot_ttl.as_millis() as u64,
        )?),
        ..defaults.clone()
    })
}
