//! Large downloads (invoice and report files): the head of the answer goes through the same
//! policy as every call (breaker, concurrency permit, retries of the head on 5xx and transport
//! failures for reads, the per-request record), and a successful body is handed on as a stream
//! of chunks, so the gateway never holds a whole file. The concurrency permit is held until
//! the body is read or dropped. An answer that is not a success is read whole (error bodies
//! are small) for the adapter's usual classification.

use std::time::Instant;

use futures::StreamExt;
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::{
    RetryMode, TransportError, UpstreamClient, UpstreamRequest, UpstreamResponse, accounting,
};
use crate::domain::download::ByteStream;
use crate::telemetry::metrics::{self, UpstreamLabels, UpstreamOutcome};

/// What a streamed call answered.
pub enum Streamed {
    /// A success: its head, and the body as it arrives.
    Body {
        /// The status.
        status: StatusCode,
        /// The headers.
        headers: HeaderMap,
        /// The body's chunks.
        body: ByteStream,
    },
    /// Anything else, read whole.
    Answer(UpstreamResponse),
}

impl UpstreamClient {
    /// Sends `request` and, on a success, streams the body instead of reading it.
    pub async fn send_streaming(
        &self,
        request: &UpstreamRequest,
    ) -> Result<Streamed, TransportError> {
        let mut delays = self.policy.backoff();
        let operation = metrics::operation(&request.method, &request.path);
        let labels = UpstreamLabels {
            account: &self.account,
            provider: self.provider,
            operation: &operation,
        };
        let mut attempts = 0u32;
        loop {
            attempts += 1;
            if let Err(rejected) = self.breaker.acquire() {
                metrics::record_upstream_attempt(
                    labels,
                    UpstreamOutcome::CircuitOpen,
                    std::time::Duration::ZERO,
                );
                return Err(TransportError::CircuitOpen {
                    retry_after: rejected.retry_after,
                });
            }
            let outcome = self.open(request, labels).await;
            let retry = request.retry == RetryMode::Safe;
            let again = match &outcome {
                Ok(Streamed::Answer(a)) if a.status.is_server_error() => retry,
                Ok(_) => false,
                Err(_) => retry,
            };
            match (again, again.then(|| delays.next()).flatten()) {
                (true, Some(delay)) => {
                    tokio::time::sleep(delay).await;
                }
                _ => {
                    return outcome.map(|streamed| match streamed {
                        Streamed::Answer(mut a) => {
                            a.attempts = attempts;
                            Streamed::Answer(a)
                        }
                        body => body,
                    });
                }
            }
        }
    }

    /// One attempt: the head, then either the live body or the whole error answer.
    async fn open(
        &self,
        request: &UpstreamRequest,
        labels: UpstreamLabels<'_>,
    ) -> Result<Streamed, TransportError> {
        let Ok(permit) = self.permits.clone().acquire_owned().await else {
            return Err(TransportError::Connection {
                sent: false,
                detail: "client closed".into(),
            });
        };
        // An absolute URL is a file the provider handed out (a pre-signed link), fetched as
        // given; anything else is a path under the account's base URL.
        let url = if request.path.starts_with("https://") || request.path.starts_with("http://") {
            request.path.clone()
        } else {
            format!("{}{}", self.base_url, request.path)
        };
        let mut builder = self
            .http
            .request(request.method.clone(), &url)
            .headers(request.headers.clone());
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        accounting::record_attempt();
        let started = Instant::now();
        let response = builder.send().await;
        let elapsed = started.elapsed();
        accounting::record_wait(elapsed);
        let response = match response {
            Ok(response) => response,
            Err(err) => {
                self.breaker.record_failure();
                let err = err.without_url();
                let outcome = if err.is_timeout() {
                    UpstreamOutcome::Timeout
                } else {
                    UpstreamOutcome::ConnectionError
                };
                metrics::record_upstream_attempt(labels, outcome, elapsed);
                tracing::warn!(account = %self.account, path = %request.path, error = %err, "upstream download failed");
                let sent = !err.is_connect();
                return Err(if err.is_timeout() {
                    TransportError::Timeout { sent }
                } else {
                    TransportError::Connection {
                        sent,
                        detail: err.to_string(),
                    }
                });
            }
        };
        let status = response.status();
        let headers = response.headers().clone();
        accounting::record_answer(status.as_u16(), &headers, self.request_id_header);
        metrics::record_upstream_attempt(
            labels,
            UpstreamOutcome::of_status(status.as_u16()),
            elapsed,
        );
        if status.is_server_error() {
            self.breaker.record_failure();
        } else {
            self.breaker.record_success();
        }
        if !status.is_success() {
            let body = response.bytes().await.unwrap_or_default();
            return Ok(Streamed::Answer(UpstreamResponse {
                status,
                headers,
                body,
                attempts: 1,
            }));
        }
        tracing::debug!(account = %self.account, path = %request.path, status = status.as_u16(), "upstream download started");
        let body = response.bytes_stream().map(move |chunk| {
            // The permit goes with the stream: the download counts against the limit until
            // its last chunk is read or the caller goes away.
            let _held = &permit;
            chunk.map_err(|e| std::io::Error::other(e.without_url()))
        });
        Ok(Streamed::Body {
            status,
            headers,
            body: Box::pin(body),
        })
    }
}
