//! Prometheus metrics: every metric name the gateway exports, and the small functions the rest of
//! the code calls to record them. Nothing else names a metric, so this file is the catalogue an
//! operator reads (and the README's list is checked against [`NAMES`]).
//!
//! The recorder is process-wide (the `metrics` facade has one global recorder): [`install`] sets
//! it up once and later calls return the same handle, so tests that build many apps in one
//! process share it. Label values are bounded: route templates (never raw paths), provider
//! account names from the configuration, upstream paths with their ids collapsed, and closed
//! lists of outcomes and kinds.

use std::sync::OnceLock;
use std::time::Duration;

use ::metrics::{
    Unit, counter, describe_counter, describe_gauge, describe_histogram, gauge, histogram,
};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Requests served, by method, route template and status.
pub const HTTP_REQUESTS: &str = "pgw_http_requests_total";
/// Latency of served requests, by method, route template and status.
pub const HTTP_REQUEST_DURATION: &str = "pgw_http_request_duration_seconds";
/// Upstream attempts, by account, provider, operation and outcome (each retry is an attempt).
pub const UPSTREAM_REQUESTS: &str = "pgw_upstream_requests_total";
/// Latency of upstream attempts, by account, provider, operation and outcome.
pub const UPSTREAM_REQUEST_DURATION: &str = "pgw_upstream_request_duration_seconds";
/// Upstream retries, by account, provider, operation and the reason for the retry.
pub const UPSTREAM_RETRIES: &str = "pgw_upstream_retries_total";
/// Circuit breaker state per account: 1 on the current state's series, 0 on the others.
pub const UPSTREAM_BREAKER_STATE: &str = "pgw_upstream_circuit_breaker_state";
/// Writes answered from the idempotency store without running the operation again.
pub const IDEMPOTENCY_REPLAYS: &str = "pgw_idempotency_replays_total";
/// Idempotency keys refused, by kind (`in_use`, `reused`).
pub const IDEMPOTENCY_CONFLICTS: &str = "pgw_idempotency_conflicts_total";
/// Audit events that could not be written.
pub const AUDIT_WRITE_FAILURES: &str = "pgw_audit_write_failures_total";
/// Open connections of the store's pool.
pub const STORE_POOL_CONNECTIONS: &str = "pgw_store_pool_connections";
/// Idle connections of the store's pool.
pub const STORE_POOL_IDLE: &str = "pgw_store_pool_idle_connections";
/// The most connections the store's pool may open (`PGW_DATABASE_MAX_CONNECTIONS`).
pub const STORE_POOL_MAX: &str = "pgw_store_pool_max_connections";
/// Always 1, labelled with the version of the running binary.
pub const BUILD_INFO: &str = "pgw_build_info";

/// Every metric name above, for documentation checks.
pub const NAMES: &[&str] = &[
    HTTP_REQUESTS,
    HTTP_REQUEST_DURATION,
    UPSTREAM_REQUESTS,
    UPSTREAM_REQUEST_DURATION,
    UPSTREAM_RETRIES,
    UPSTREAM_BREAKER_STATE,
    IDEMPOTENCY_REPLAYS,
    IDEMPOTENCY_CONFLICTS,
    AUDIT_WRITE_FAILURES,
    STORE_POOL_CONNECTIONS,
    STORE_POOL_IDLE,
    STORE_POOL_MAX,
    BUILD_INFO,
];

/// Histogram buckets in seconds: from a fast local answer to the longest upstream timeout.
const LATENCY_BUCKETS: &[f64] = &[
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0,
];

/// The kinds [`record_idempotency_conflict`] is called with, pre-registered at zero so that
/// alerts on them work before the first conflict.
pub const IDEMPOTENCY_CONFLICT_KINDS: &[&str] = &["in_use", "reused"];

static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();

/// Installs the process-wide Prometheus recorder (once) and returns the handle that renders it.
///
/// When another recorder was installed first (an embedding program's), the gateway keeps a
/// private one: `/metrics` then serves only what that private recorder sees (nothing recorded
/// through the facade), and a warning says so.
pub fn install() -> &'static PrometheusHandle {
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".to_string()), LATENCY_BUCKETS)
            .expect("the latency buckets are not empty");
        let recorder = builder.build_recorder();
        let handle = recorder.handle();
        if ::metrics::set_global_recorder(recorder).is_err() {
            tracing::warn!("a metrics recorder was already installed: /metrics will be empty");
            return handle;
        }
        describe();
        handle
    })
}

/// The rendered Prometheus text of everything recorded so far (empty before [`install`]).
pub fn render() -> String {
    HANDLE
        .get()
        .map(PrometheusHandle::render)
        .unwrap_or_default()
}

/// Drains histogram samples into their buckets, so memory stays bounded between scrapes; the
/// app runs it every few seconds.
pub fn run_upkeep() {
    if let Some(handle) = HANDLE.get() {
        handle.run_upkeep();
    }
}

fn describe() {
    describe_counter!(
        HTTP_REQUESTS,
        "HTTP requests served, by method, route template and status."
    );
    describe_histogram!(
        HTTP_REQUEST_DURATION,
        Unit::Seconds,
        "Time to answer an HTTP request, by method, route template and status."
    );
    describe_counter!(
        UPSTREAM_REQUESTS,
        "Upstream attempts (each retry counts), by account, provider, operation and outcome."
    );
    describe_histogram!(
        UPSTREAM_REQUEST_DURATION,
        Unit::Seconds,
        "Time of one upstream attempt, by account, provider, operation and outcome."
    );
    describe_counter!(
        UPSTREAM_RETRIES,
        "Upstream attempts repeated after a transient failure, by account, provider, operation and reason."
    );
    describe_gauge!(
        UPSTREAM_BREAKER_STATE,
        "Circuit breaker of each provider account: 1 on the series of its current state (closed, half_open, open)."
    );
    describe_counter!(
        IDEMPOTENCY_REPLAYS,
        "Writes answered with the stored response of an earlier request with the same Idempotency-Key."
    );
    describe_counter!(
        IDEMPOTENCY_CONFLICTS,
        "Idempotency keys refused: in_use (the first request still runs), reused (with a different request)."
    );
    describe_counter!(
        AUDIT_WRITE_FAILURES,
        "Audit events that could not be written."
    );
    describe_gauge!(
        STORE_POOL_CONNECTIONS,
        "Open connections of the store's pool."
    );
    describe_gauge!(STORE_POOL_IDLE, "Idle connections of the store's pool.");
    describe_gauge!(
        STORE_POOL_MAX,
        "Most connections the store's pool may open."
    );
    describe_gauge!(
        BUILD_INFO,
        "Always 1; the version label names the running build."
    );
    gauge!(BUILD_INFO, "version" => env!("CARGO_PKG_VERSION")).set(1.0);
    counter!(IDEMPOTENCY_REPLAYS).absolute(0);
    for kind in IDEMPOTENCY_CONFLICT_KINDS {
        counter!(IDEMPOTENCY_CONFLICTS, "kind" => *kind).absolute(0);
    }
    counter!(AUDIT_WRITE_FAILURES).absolute(0);
}

/// Records one answered HTTP request. `route` is the matched route template (`/v1/proxy-users/{id}`)
/// or `unmatched`, never the raw path.
pub fn record_http_request(method: &http::Method, route: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("method", method_label(method)),
        ("route", route.to_string()),
        ("status", status.to_string()),
    ];
    counter!(HTTP_REQUESTS, &labels).increment(1);
    histogram!(HTTP_REQUEST_DURATION, &labels).record(elapsed.as_secs_f64());
}

/// How one upstream attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UpstreamOutcome {
    /// A 1xx-3xx answer (911Proxy reports its errors in 200 bodies: the adapter judges those).
    Success,
    /// A 4xx answer other than 429.
    ClientError,
    /// A 429 answer.
    RateLimited,
    /// A 5xx answer.
    ServerError,
    /// No answer in time.
    Timeout,
    /// The connection failed or broke.
    ConnectionError,
    /// The circuit breaker refused the call: nothing was sent.
    CircuitOpen,
}

impl UpstreamOutcome {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            UpstreamOutcome::Success => "success",
            UpstreamOutcome::ClientError => "client_error",
            UpstreamOutcome::RateLimited => "rate_limited",
            UpstreamOutcome::ServerError => "server_error",
            UpstreamOutcome::Timeout => "timeout",
            UpstreamOutcome::ConnectionError => "connection_error",
            UpstreamOutcome::CircuitOpen => "circuit_open",
        }
    }

    /// The outcome of an HTTP answer with `status`.
    pub fn of_status(status: u16) -> Self {
        match status {
            429 => UpstreamOutcome::RateLimited,
            400..=499 => UpstreamOutcome::ClientError,
            500..=599 => UpstreamOutcome::ServerError,
            _ => UpstreamOutcome::Success,
        }
    }
}

/// Who an upstream call was for and what it was: the labels every upstream metric carries.
#[derive(Clone, Copy, Debug)]
pub struct UpstreamLabels<'a> {
    /// The configured account name.
    pub account: &'a str,
    /// The provider kind (`helodata`, `911proxy`).
    pub provider: &'a str,
    /// Method and path template, e.g. `GET /subusers/{id}` (see [`operation`]).
    pub operation: &'a str,
}

impl UpstreamLabels<'_> {
    fn with(&self, name: &'static str, value: &str) -> [(&'static str, String); 4] {
        [
            ("account", self.account.to_string()),
            ("provider", self.provider.to_string()),
            ("operation", self.operation.to_string()),
            (name, value.to_string()),
        ]
    }
}

/// Records one upstream attempt. Refusals by the breaker are counted but not timed (nothing was
/// sent).
pub fn record_upstream_attempt(
    labels: UpstreamLabels<'_>,
    outcome: UpstreamOutcome,
    elapsed: Duration,
) {
    let labels = labels.with("outcome", outcome.as_str());
    counter!(UPSTREAM_REQUESTS, &labels).increment(1);
    if outcome != UpstreamOutcome::CircuitOpen {
        histogram!(UPSTREAM_REQUEST_DURATION, &labels).record(elapsed.as_secs_f64());
    }
}

/// Records that an upstream attempt is about to be repeated; `reason` is the failed attempt's
/// outcome.
pub fn record_upstream_retry(labels: UpstreamLabels<'_>, reason: UpstreamOutcome) {
    counter!(UPSTREAM_RETRIES, &labels.with("reason", reason.as_str())).increment(1);
}

/// The states of a circuit breaker, as the `state` label names them.
pub const BREAKER_STATES: [&str; 3] = ["closed", "half_open", "open"];

/// Publishes an account's breaker state (set at every scrape from the live breakers).
pub fn set_breaker_state(account: &str, provider: &str, state: &str) {
    for candidate in BREAKER_STATES {
        gauge!(
            UPSTREAM_BREAKER_STATE,
            "account" => account.to_string(),
            "provider" => provider.to_string(),
            "state" => candidate,
        )
        .set(if candidate == state { 1.0 } else { 0.0 });
    }
}

/// A write was answered with the stored response of an earlier request (idempotent replay).
/// Called by the idempotency guard.
pub fn record_idempotency_replay() {
    counter!(IDEMPOTENCY_REPLAYS).increment(1);
}

/// An `Idempotency-Key` was refused; `kind` is `in_use` (the first request still runs) or
/// `reused` (the key came with a different request). Called by the idempotency guard.
pub fn record_idempotency_conflict(kind: &'static str) {
    counter!(IDEMPOTENCY_CONFLICTS, "kind" => kind).increment(1);
}

/// An audit event could not be written. Called by the audit layer.
pub fn record_audit_write_failure() {
    counter!(AUDIT_WRITE_FAILURES).increment(1);
}

/// The store pool's occupancy, published at every scrape.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PoolStats {
    /// Open connections (idle and in use).
    pub size: u32,
    /// Idle connections.
    pub idle: u32,
    /// The pool's maximum.
    pub max: u32,
}

/// Publishes the store pool's occupancy; `backend` is `postgres` or `sqlite`.
pub fn set_store_pool(backend: &'static str, stats: PoolStats) {
    gauge!(STORE_POOL_CONNECTIONS, "backend" => backend).set(f64::from(stats.size));
    gauge!(STORE_POOL_IDLE, "backend" => backend).set(f64::from(stats.idle));
    gauge!(STORE_POOL_MAX, "backend" => backend).set(f64::from(stats.max));
}

/// The `operation` label of an upstream call: the method and the path with every segment that
/// is not a plain lower-case word (letters and `-`) replaced by `{id}`, so ids (`sub_01H…`,
/// numbers, user names) never become label values: `GET /subusers/{id}/rotate-password`.
pub fn operation(method: &http::Method, path: &str) -> String {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let mut out = String::with_capacity(path.len() + 8);
    out.push_str(method_label(method).as_str());
    out.push(' ');
    if path.is_empty() {
        out.push('/');
    }
    for (i, segment) in path.split('/').enumerate() {
        if i > 0 {
            out.push('/');
        }
        let word = !segment.is_empty()
            && segment.len() <= 40
            && segment.bytes().all(|b| b.is_ascii_lowercase() || b == b'-');
        if word || segment.is_empty() {
            out.push_str(segment);
        } else {
            out.push_str("{id}");
        }
    }
    out
}

/// The method as a label: the standard ones by name, anything else as `other`.
fn method_label(method: &http::Method) -> String {
    match *method {
        http::Method::GET
        | http::Method::POST
        | http::Method::PUT
        | http::Method::PATCH
        | http::Method::DELETE
        | http::Method::HEAD
        | http::Method::OPTIONS => method.as_str().to_string(),
        _ => "other".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_collapse_ids_and_keep_words() {
        assert_eq!(
            operation(&http::Method::GET, "/subusers/sub_01HX2K3PQ4M5"),
            "GET /subusers/{id}"
        );
        assert_eq!(
            operation(
                &http::Method::POST,
                "/subusers/sub_01HX2K3PQ4M5/rotate-password"
            ),
            "POST /subusers/{id}/rotate-password"
        );
        assert_eq!(
            operation(&http::Method::POST, "/api-gate-way/whitelist-account/add"),
            "POST /api-gate-way/whitelist-account/add"
        );
        assert_eq!(operation(&http::Method::GET, "/users/me"), "GET /users/me");
        assert_eq!(
            operation(&http::Method::GET, "/orders/12345"),
            "GET /orders/{id}"
        );
        assert_eq!(operation(&http::Method::GET, "/Users/x?y=1"), "GET /{id}/x");
        assert_eq!(operation(&http::Method::GET, ""), "GET /");
        assert_eq!(
            operation(&http::Method::from_bytes(b"PURGE").unwrap(), "/a"),
            "other /a"
        );
    }

    #[test]
    fn outcomes_follow_the_status_class() {
        assert_eq!(UpstreamOutcome::of_status(200), UpstreamOutcome::Success);
        assert_eq!(UpstreamOutcome::of_status(304), UpstreamOutcome::Success);
        assert_eq!(
            UpstreamOutcome::of_status(404),
            UpstreamOutcome::ClientError
        );
        assert_eq!(
            UpstreamOutcome::of_status(429),
            UpstreamOutcome::RateLimited
        );
        assert_eq!(
            UpstreamOutcome::of_status(503),
            UpstreamOutcome::ServerError
        );
    }

    #[test]
    fn every_recording_function_shows_in_the_rendered_text() {
        install();
        record_http_request(
            &http::Method::GET,
            "/unit-test",
            200,
            Duration::from_millis(3),
        );
        let labels = UpstreamLabels {
            account: "unit-acct",
            provider: "helodata",
            operation: "GET /users/me",
        };
        record_upstream_attempt(
            labels,
            UpstreamOutcome::ServerError,
            Duration::from_millis(20),
        );
        record_upstream_retry(labels, UpstreamOutcome::ServerError);
        set_breaker_state("unit-acct", "helodata", "open");
        record_idempotency_replay();
        record_idempotency_conflict("reused");
        record_audit_write_failure();
        set_store_pool(
            "sqlite",
            PoolStats {
                size: 3,
                idle: 2,
                max: 10,
            },
        );
        let text = render();
        for expected in [
            r#"pgw_http_requests_total{method="GET",route="/unit-test",status="200"} 1"#,
            r#"pgw_http_request_duration_seconds_bucket{method="GET",route="/unit-test",status="200",le="0.005"} 1"#,
            r#"pgw_upstream_requests_total{account="unit-acct",provider="helodata",operation="GET /users/me",outcome="server_error"} 1"#,
            r#"pgw_upstream_request_duration_seconds_count{account="unit-acct",provider="helodata",operation="GET /users/me",outcome="server_error"} 1"#,
            r#"pgw_upstream_retries_total{account="unit-acct",provider="helodata",operation="GET /users/me",reason="server_error"} 1"#,
            r#"pgw_upstream_circuit_breaker_state{account="unit-acct",provider="helodata",state="open"} 1"#,
            r#"pgw_upstream_circuit_breaker_state{account="unit-acct",provider="helodata",state="closed"} 0"#,
            r#"pgw_idempotency_conflicts_total{kind="reused"} 1"#,
            r#"pgw_idempotency_conflicts_total{kind="in_use"} 0"#,
            r#"pgw_store_pool_connections{backend="sqlite"} 3"#,
            r#"pgw_store_pool_idle_connections{backend="sqlite"} 2"#,
            r#"pgw_store_pool_max_connections{backend="sqlite"} 10"#,
            "# TYPE pgw_http_request_duration_seconds histogram",
            "# HELP pgw_audit_write_failures_total Audit events that could not be written.",
        ] {
            assert!(text.contains(expected), "missing {expected} in:\n{text}");
        }
        // Replays and audit failures are process-wide counters other unit tests may bump too.
        assert!(text.contains("\npgw_idempotency_replays_total "), "{text}");
        assert!(text.contains("\npgw_audit_write_failures_total "), "{text}");
        assert!(text.contains(&format!(
            "pgw_build_info{{version=\"{}\"}} 1",
            env!("CARGO_PKG_VERSION")
        )));
    }
}
