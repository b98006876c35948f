//! Passthrough: one upstream call an administrator makes through an account, for what the
//! normalized API does not cover. The path is checked here (shape, then the provider's
//! allow-list) before the adapter injects the credential; a write needs an Idempotency-Key,
//! so a retry replays the stored answer instead of calling again.

use super::{UnknownAccount, resolve_account};
use crate::domain::api_keys::Principal;
use crate::domain::idempotency::WriteContext;
use crate::domain::passthrough::{PassthroughAnswer, PassthroughRequest, check_path_shape};
use crate::domain::providers::Capability;
use crate::providers::ProviderError;
use crate::providers::registry::Registry;
use crate::services::ServiceError;

/// Sends `request` through the account `account`.
pub async fn call(
    registry: &Registry,
    principal: &Principal,
    account: &str,
    request: &PassthroughRequest,
    ctx: &WriteContext,
) -> Result<PassthroughAnswer, ServiceError> {
    let account = resolve_account(registry, principal, account, UnknownAccount::NotFound)?;
    let Some(passthrough) = account.adapter.passthrough() else {
        return Err(ServiceError::provider(
            &account.name,
            ProviderError::unsupported(Capability::Passthrough),
        ));
    };
    check_path_shape(&request.path).map_err(|m| ServiceError::invalid_argument("path", m))?;
    passthrough
        .allow_list()
        .check(&request.path)
        .map_err(|message| ServiceError::Forbidden {
            field: "path".into(),
            message,
        })?;
    if request.method.is_write() && ctx.journal().is_none() {
        return Err(ServiceError::invalid_argument(
            "Idempotency-Key",
            format!(
                "a passthrough {} requires an Idempotency-Key header: it is what keeps a retried write from being sent twice",
                request.method.as_str()
            ),
        ));
    }
    if !request.method.is_write() && request.body.is_some() {
        return Err(ServiceError::invalid_argument(
            "body",
            "a GET carries no body: put its parameters in `query`",
        ));
    }
    passthrough
        .pass_through(request, ctx)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}
