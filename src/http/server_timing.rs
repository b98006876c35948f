//! `Server-Timing: upstream;dur=…, gateway;dur=…` on every response, so callers and benchmarks
//! can tell the providers' time from the gateway's own overhead. This layer opens the request's
//! record of upstream calls ([`accounting::scope`]); the audit and idempotency layers inside it
//! read the same record.

use std::time::{Duration, Instant};

use axum::extract::Request;
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;

use crate::upstream::accounting;

/// The header value for a request that took `total`, `upstream` of it waiting on providers.
pub fn header_value(total: Duration, upstream: Duration) -> String {
    let gateway = total.saturating_sub(upstream);
    format!(
        "upstream;dur={:.3}, gateway;dur={:.3}",
        upstream.as_secs_f64() * 1000.0,
        gateway.as_secs_f64() * 1000.0
    )
}

/// Middleware: open the record of upstream calls, measure the request and its upstream share,
/// write the header.
pub async fn layer(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let (mut response, upstream) = accounting::scope(next.run(request)).await;
    let value = header_value(started.elapsed(), upstream.waited());
    if let Ok(value) = HeaderValue::from_str(&value) {
        response.headers_mut().insert("server-timing", value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gateway_time_is_the_total_minus_upstream() {
        assert_eq!(
            header_value(Duration::from_millis(12), Duration::from_millis(10)),
            "upstream;dur=10.000, gateway;dur=2.000"
        );
        assert_eq!(
            header_value(Duration::from_millis(1), Duration::ZERO),
            "upstream;dur=0.000, gateway;dur=1.000"
        );
    }
}
