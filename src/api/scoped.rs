//! Which account an object belongs to, on the wire: the `<account>:<upstream id>` ids every
//! resource uses, and the provider an account is at.

use super::common::ProviderName;
use crate::domain::proxy_users::ProxyUserId;
use crate::http::error::ApiError;

/// The provider of an account the service just used (so it is configured).
pub fn provider_of(
    state: &crate::http::state::AppState,
    account: &str,
) -> Result<ProviderName, ApiError> {
    state
        .providers
        .get(account)
        .map(|a| a.kind.into())
        .ok_or_else(ApiError::internal)
}

/// A gateway id of an object at a provider (`<account>:<upstream id>`), or 400 naming `field`.
pub fn scoped_id(field: &str, text: &str) -> Result<ProxyUserId, ApiError> {
    text.parse().map_err(|_| {
        ApiError::invalid_argument(
            field,
            format!("{field} looks like <account>:<upstream id>, as the gateway lists it"),
        )
    })
}
