//! Passthrough as a trait of its own: a provider that lets administrators reach its API
//! directly hands one out from `ProviderAdapter::passthrough` with its allow-list; the call
//! goes through the account's upstream client (timeouts, retries where safe, breaker,
//! concurrency limit) with the credential the adapter injects.

use async_trait::async_trait;
use reqwest::Method;
use reqwest::header::CONTENT_TYPE;

use super::ProviderError;
use crate::domain::idempotency::WriteContext;
use crate::domain::passthrough::{
    AllowList, PassthroughAnswer, PassthroughBody, PassthroughMethod, PassthroughRequest,
    redact_answer, redact_text,
};
use crate::upstream::UpstreamResponse;

/// Direct calls to one account's API.
#[async_trait]
pub trait PassthroughAdapter: Send + Sync {
    /// The paths this provider lets through, and the ones it never does.
    fn allow_list(&self) -> AllowList;

    /// Sends `request` (already checked against [`PassthroughAdapter::allow_list`]) with the
    /// account's credential. Any HTTP answer is `Ok`, cleaned of secrets; only a call that got
    /// no answer (timeout, connection, open breaker) is an error.
    async fn pass_through(
        &self,
        request: &PassthroughRequest,
        ctx: &WriteContext,
    ) -> Result<PassthroughAnswer, ProviderError>;
}

/// The answer as the caller gets it: status, media type, body cleaned of `secrets`.
pub fn answer(response: UpstreamResponse, secrets: &[&str]) -> PassthroughAnswer {
    let body = if response.body.is_empty() {
        None
    } else {
        Some(match serde_json::from_slice(&response.body) {
            Ok(json) => PassthroughBody::Json(redact_answer(json, secrets)),
            Err(_) => PassthroughBody::Text(redact_text(
                String::from_utf8_lossy(&response.body).into_owned(),
                secrets,
            )),
        })
    };
    PassthroughAnswer {
        status: response.status.as_u16(),
        content_type: response
            .headers
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string),
        body,
    }
}

/// The HTTP method of a passthrough call.
pub fn http_method(method: PassthroughMethod) -> Method {
    match method {
        PassthroughMethod::Get => Method::GET,
        PassthroughMethod::Post => Method::POST,
        PassthroughMethod::Put => Method::PUT,
        PassthroughMethod::Patch => Method::PATCH,
        PassthroughMethod::Delete => Method::DELETE,
    }
}
