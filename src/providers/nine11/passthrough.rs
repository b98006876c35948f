//! Passthrough to 911Proxy's `api-gate-way`: every documented group, with the app_key the
//! gateway adds; a caller's own `app_key` (query or body) is refused, so no call can run
//! under another credential or learn this one. 911 has no idempotency: a write is sent once,
//! and a retry of one whose outcome is unknown is refused instead of sent again.

use async_trait::async_trait;

use super::Nine11Adapter;
use crate::domain::idempotency::WriteContext;
use crate::domain::passthrough::{
    AllowList, PassthroughAnswer, PassthroughMethod, PassthroughRequest,
};
use crate::providers::passthrough::{answer, http_method};
use crate::providers::{PassthroughAdapter, ProviderError};
use crate::upstream::{RetryMode, UpstreamRequest};

/// The groups of the 911 document (the seed's endpoint list).
pub const ALLOW_LIST: AllowList = AllowList {
    allowed: &[
        "/api-gate-way/whitelist-account",
        "/api-gate-way/user-usage-flow",
        "/api-gate-way/user-product",
        "/api-gate-way/ip",
        "/api-gate-way/static-ip-region",
        "/api-gate-way/order",
        "/api-gate-way/user",
        "/api-gate-way/payment",
        "/api-gate-way/activity",
    ],
    denied: &[],
};

/// The credential's name at 911, which a caller may not set.
const APP_KEY: &str = "app_key";

#[async_trait]
impl PassthroughAdapter for Nine11Adapter {
    fn allow_list(&self) -> AllowList {
        ALLOW_LIST
    }

    async fn pass_through(
        &self,
        request: &PassthroughRequest,
        ctx: &WriteContext,
    ) -> Result<PassthroughAnswer, ProviderError> {
        let refused = |field: &str| ProviderError::InvalidInput {
            field: field.to_string(),
            message: "the gateway adds 911Proxy's app_key itself; a call may not carry one".into(),
        };
        if request
            .query
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case(APP_KEY))
        {
            return Err(refused("query.app_key"));
        }
        if request
            .body
            .as_ref()
            .and_then(|b| b.as_object())
            .is_some_and(|b| b.keys().any(|k| k.eq_ignore_ascii_case(APP_KEY)))
        {
            return Err(refused("body.app_key"));
        }
        if request.method.is_write() && ctx.resumed() {
            return Err(ProviderError::OutcomeUnresolved {
                checked: "an earlier attempt of this passthrough write may have reached \
                          911Proxy, which keeps no idempotency key and offers no way to check \
                          a generic call; it is not sent again"
                    .into(),
            });
        }
        let mut upstream = match request.method {
            PassthroughMethod::Get => UpstreamRequest::get(&request.path).retry(RetryMode::Safe),
            write => {
                UpstreamRequest::write(http_method(write), &request.path, request.body.clone())
            }
        }
        .labelled("/passthrough");
        for (name, value) in &request.query {
            upstream = upstream.query(name, value.clone());
        }
        let response = self.client.raw(upstream).await?;
        Ok(answer(response, &[self.client.credential()]))
    }
}
