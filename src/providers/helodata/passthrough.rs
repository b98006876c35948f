//! Passthrough to helodata's REST v1: the documented resources, never the token or security
//! endpoints (reference §3, §5.10: `/tokens/*`, `/users/me/security*`). A write carries the
//! key derived from the caller's Idempotency-Key, so helodata dedupes it and it may be retried
//! like a read.

use async_trait::async_trait;
use reqwest::header::HeaderName;

use super::HelodataAdapter;
use super::map::fit_write_key;
use crate::domain::idempotency::WriteContext;
use crate::domain::passthrough::{AllowList, PassthroughAnswer, PassthroughRequest};
use crate::providers::passthrough::{answer, http_method};
use crate::providers::{PassthroughAdapter, ProviderError};
use crate::upstream::{RetryMode, UpstreamRequest};

/// The resources of the reference (§5) and the account (`/users/me`); the token and security
/// endpoints are refused even though `/users/me` is allowed.
pub const ALLOW_LIST: AllowList = AllowList {
    allowed: &[
        "/subusers",
        "/orders",
        "/subscriptions",
        "/invoices",
        "/reports",
        "/isp",
        "/residential",
        "/mobile",
        "/datacenter",
        "/whitelists",
        "/users/me",
    ],
    denied: &["/tokens", "/users/me/security"],
};

#[async_trait]
impl PassthroughAdapter for HelodataAdapter {
    fn allow_list(&self) -> AllowList {
        ALLOW_LIST
    }

    async fn pass_through(
        &self,
        request: &PassthroughRequest,
        ctx: &WriteContext,
    ) -> Result<PassthroughAnswer, ProviderError> {
        let mut upstream = if request.method.is_write() {
            UpstreamRequest::write(
                http_method(request.method),
                &request.path,
                request.body.clone(),
            )
        } else {
            UpstreamRequest::get(&request.path)
        }
        .labelled("/passthrough");
        for (name, value) in &request.query {
            upstream = upstream.query(name, value.clone());
        }
        if request.method.is_write()
            && let Some(key) = ctx.write_key()
        {
            upstream = upstream
                .header(
                    HeaderName::from_static("idempotency-key"),
                    &fit_write_key(key),
                )
                .retry(RetryMode::Safe);
        }
        let response = self.client.raw(upstream).await?;
        Ok(answer(response, &[self.client.credential()]))
    }
}
