//! The HTTP client policy every adapter shares: a pooled client per provider account with
//! timeouts, retries with jittered backoff (only for calls that may be repeated), `Retry-After`
//! (capped), a circuit breaker and a concurrency limit. Secrets never reach the log: only the
//! method and the path (never the query or body) are logged, and transport errors are stripped
//! of their URL.

pub mod accounting;
pub mod breaker;
pub mod policy;
pub mod streaming;
pub mod tls;

use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use reqwest::{Method, StatusCode};
use tokio::sync::Semaphore;

pub use breaker::{Breaker, BreakerState};
pub use policy::{RetryMode, UpstreamPolicy, parse_retry_after};

use crate::telemetry::metrics::{self, UpstreamLabels, UpstreamOutcome};

/// One call to make, relative to the account's base URL.
#[derive(Clone, Debug)]
pub struct UpstreamRequest {
    /// HTTP method.
    pub method: Method,
    /// Path appended to the base URL, starting with `/`.
    pub path: String,
    /// Query parameters (may carry secrets: never logged).
    pub query: Vec<(String, String)>,
    /// JSON body (may carry secrets: never logged).
    pub json: Option<serde_json::Value>,
    /// Extra headers (may carry secrets: never logged).
    pub headers: HeaderMap,
    /// Whether the call may be repeated.
    pub retry: RetryMode,
    /// The operation's metric label in place of one derived from the path: for paths the
    /// gateway does not choose (passthrough), whose words would make labels unbounded.
    pub label: Option<&'static str>,
}

impl UpstreamRequest {
    /// A GET (retried on transient failures).
    pub fn get(path: impl Into<String>) -> Self {
        UpstreamRequest {
            method: Method::GET,
            path: path.into(),
            query: Vec::new(),
            json: None,
            headers: HeaderMap::new(),
            retry: RetryMode::Safe,
            label: None,
        }
    }

    /// A write with a JSON body (not retried unless marked [`RetryMode::Safe`]).
    pub fn write(method: Method, path: impl Into<String>, json: Option<serde_json::Value>) -> Self {
        UpstreamRequest {
            method,
            path: path.into(),
            query: Vec::new(),
            json,
            headers: HeaderMap::new(),
            retry: RetryMode::Never,
            label: None,
        }
    }

    /// Adds a query parameter.
    pub fn query(mut self, name: &str, value: impl Into<String>) -> Self {
        self.query.push((name.to_string(), value.into()));
        self
    }

    /// Adds a header; a value that is not a valid header is dropped.
    pub fn header(mut self, name: HeaderName, value: &str) -> Self {
        if let Ok(value) = HeaderValue::from_str(value) {
            self.headers.insert(name, value);
        }
        self
    }

    /// Labels the call's metrics `label` instead of its path's words.
    pub fn labelled(mut self, label: &'static str) -> Self {
        self.label = Some(label);
        self
    }

    /// Sets the retry mode.
    pub fn retry(mut self, mode: RetryMode) -> Self {
        self.retry = mode;
        self
    }
}

/// An HTTP answer from the provider (any status).
#[derive(Clone, Debug)]
pub struct UpstreamResponse {
    /// The status.
    pub status: StatusCode,
    /// The headers.
    pub headers: HeaderMap,
    /// The body.
    pub body: Bytes,
    /// How many attempts it took.
    pub attempts: u32,
}

impl UpstreamResponse {
    /// `Retry-After` in seconds, when present.
    pub fn retry_after(&self) -> Option<Duration> {
        self.headers
            .get(reqwest::header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after)
    }
}

/// A call that produced no HTTP answer the adapter can read.
#[derive(Clone, Debug, thiserror::Error)]
pub enum TransportError {
    /// No answer in time. `sent` tells whether the request may have reached the provider.
    #[error("no answer within the timeout")]
    Timeout {
        /// Whether the request may have been received (the outcome of a write is then unknown).
        sent: bool,
    },
    /// The connection could not be made (`sent: false`) or broke before an answer (`sent: true`).
    #[error("connection failed: {detail}")]
    Connection {
        /// Whether the request may have been received.
        sent: bool,
        /// What happened (URL removed).
        detail: String,
    },
    /// The circuit breaker is open: no call was made.
    #[error("circuit open; retry in {retry_after:?}")]
    CircuitOpen {
        /// Time until the breaker lets a probe through.
        retry_after: Duration,
    },
    /// The provider asked to wait longer than the gateway's cap: handed to the caller.
    #[error("rate limited upstream for {retry_after:?}")]
    RetryAfterTooLong {
        /// What the provider asked for.
        retry_after: Duration,
        /// The provider's response.
        response: Box<UpstreamResponse>,
    },
}

/// The shared client of one provider account.
pub struct UpstreamClient {
    account: String,
    provider: &'static str,
    request_id_header: Option<&'static str>,
    base_url: String,
    http: reqwest::Client,
    policy: UpstreamPolicy,
    breaker: Breaker,
    permits: Arc<Semaphore>,
}

impl UpstreamClient {
    /// A client for `base_url` (no trailing slash needed) with `policy`.
    pub fn new(account: &str, base_url: &str, policy: UpstreamPolicy) -> Result<Self, String> {
        tls::install_crypto_provider();
        let http = reqwest::Client::builder()
            .connect_timeout(policy.connect_timeout)
            .timeout(policy.timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .user_agent(concat!("proxy-gateway/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {}", e.without_url()))?;
        Ok(UpstreamClient {
            account: account.to_string(),
            provider: "unknown",
            request_id_header: None,
            base_url: base_url.trim_end_matches('/').to_string(),
            breaker: Breaker::new(policy.breaker_failure_threshold, policy.breaker_cooldown),
            permits: Arc::new(Semaphore::new(policy.max_concurrency.max(1))),
            http,
            policy,
        })
    }

    /// Names the provider kind (`helodata`, `911proxy`) in this client's metrics.
    pub fn with_provider(mut self, provider: &'static str) -> Self {
        self.provider = provider;
        self
    }

    /// Names the response header in which the provider sends its request id (recorded for the
    /// audit log); common names are tried after it.
    pub fn with_request_id_header(mut self, header: Option<&'static str>) -> Self {
        self.request_id_header = header;
        self
    }

    /// The provider kind named in this client's metrics.
    pub fn provider(&self) -> &'static str {
        self.provider
    }

    /// The account this client calls for.
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The base URL calls are made under (no trailing slash).
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// The breaker's current state.
    pub fn breaker_state(&self) -> BreakerState {
        self.breaker.state()
    }

    /// The policy in force.
    pub fn policy(&self) -> &UpstreamPolicy {
        &self.policy
    }

    /// Sends the call, retrying per policy, and returns the last HTTP answer (whatever its
    /// status) or the transport failure.
    pub async fn send(
        &self,
        request: &UpstreamRequest,
    ) -> Result<UpstreamResponse, TransportError> {
        let mut delays = self.policy.backoff();
        let mut attempts = 0u32;
        let operation = match request.label {
            Some(label) => metrics::operation(&request.method, label),
            None => metrics::operation(&request.method, &request.path),
        };
        let labels = UpstreamLabels {
            account: &self.account,
            provider: self.provider,
            operation: &operation,
        };
        loop {
            attempts += 1;
            let (outcome, measured) = self.attempt(request, labels).await;
            let retryable = request.retry == RetryMode::Safe;
            let delay = match &outcome {
                Ok(response) if response.status == StatusCode::TOO_MANY_REQUESTS => {
                    let wait = UpstreamResponse::retry_after(response);
                    if let Some(wait) = wait.filter(|w| *w > self.policy.retry_after_cap) {
                        return Err(TransportError::RetryAfterTooLong {
                            retry_after: wait,
                            response: Box::new(UpstreamResponse {
                                attempts,
                                ..response.clone()
                            }),
                        });
                    }
                    retryable
                        .then(|| delays.next().map(|backoff| wait.unwrap_or(backoff)))
                        .flatten()
                }
                Ok(response) if response.status.is_server_error() => {
                    retryable.then(|| delays.next()).flatten()
                }
                Ok(_) => None,
                Err(TransportError::CircuitOpen { .. })
                | Err(TransportError::RetryAfterTooLong { .. }) => None,
                Err(_) => retryable.then(|| delays.next()).flatten(),
            };
            match delay {
                Some(delay) => {
                    metrics::record_upstream_retry(labels, measured);
                    tracing::debug!(account = %self.account, path = %request.path, attempt = attempts, delay_ms = delay.as_millis() as u64, "retrying upstream call");
                    tokio::time::sleep(delay).await;
                }
                None => {
                    return outcome.map(|mut response| {
                        response.attempts = attempts;
                        response
                    });
                }
            }
        }
    }

    /// One attempt, recorded in the metrics with its outcome (which is also returned, as the
    /// reason of a retry).
    async fn attempt(
        &self,
        request: &UpstreamRequest,
        labels: UpstreamLabels<'_>,
    ) -> (Result<UpstreamResponse, TransportError>, UpstreamOutcome) {
        if let Err(rejected) = self.breaker.acquire() {
            metrics::record_upstream_attempt(labels, UpstreamOutcome::CircuitOpen, Duration::ZERO);
            let open = TransportError::CircuitOpen {
                retry_after: rejected.retry_after,
            };
            return (Err(open), UpstreamOutcome::CircuitOpen);
        }
        let (result, elapsed) = self.exchange(request).await;
        let outcome = match &result {
            Ok(response) => UpstreamOutcome::of_status(response.status.as_u16()),
            Err(TransportError::Timeout { .. }) => UpstreamOutcome::Timeout,
            _ => UpstreamOutcome::ConnectionError,
        };
        metrics::record_upstream_attempt(labels, outcome, elapsed);
        (result, outcome)
    }

    /// Sends the request once (the breaker already agreed) and returns the result with the time
    /// the exchange took, not counting the wait for a concurrency permit.
    async fn exchange(
        &self,
        request: &UpstreamRequest,
    ) -> (Result<UpstreamResponse, TransportError>, Duration) {
        let Ok(_permit) = self.permits.acquire().await else {
            let closed = TransportError::Connection {
                sent: false,
                detail: "client closed".into(),
            };
            return (Err(closed), Duration::ZERO);
        };
        let url = format!("{}{}", self.base_url, request.path);
        let mut builder = self
            .http
            .request(request.method.clone(), &url)
            .headers(request.headers.clone());
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        if let Some(json) = &request.json {
            builder = builder.json(json);
        }
        accounting::record_attempt();
        let started = Instant::now();
        let result = async {
            let response = builder.send().await?;
            let status = response.status();
            let headers = response.headers().clone();
            let body = response.bytes().await?;
            Ok::<_, reqwest::Error>((status, headers, body))
        }
        .await;
        let elapsed = started.elapsed();
        accounting::record_wait(elapsed);
        let result = match result {
            Ok((status, headers, body)) => {
                accounting::record_answer(status.as_u16(), &headers, self.request_id_header);
                if status.is_server_error() {
                    self.breaker.record_failure();
                } else {
                    self.breaker.record_success();
                }
                tracing::debug!(account = %self.account, method = %request.method, path = %request.path, status = status.as_u16(), elapsed_ms = elapsed.as_millis() as u64, "upstream call");
                Ok(UpstreamResponse {
                    status,
                    headers,
                    body,
                    attempts: 1,
                })
            }
            Err(err) => {
                self.breaker.record_failure();
                let err = err.without_url();
                let sent = !err.is_connect();
                if sent && request.method != Method::GET {
                    accounting::record_write_outcome_unknown();
                }
                tracing::warn!(account = %self.account, method = %request.method, path = %request.path, elapsed_ms = elapsed.as_millis() as u64, error = %err, "upstream call failed");
                if err.is_timeout() {
                    Err(TransportError::Timeout { sent })
                } else {
                    Err(TransportError::Connection {
                        sent,
                        detail: err.to_string(),
                    })
                }
            }
        };
        (result, elapsed)
    }
}
