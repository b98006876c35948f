//! Connection strings: the proxy user is looked up at its provider (the one upstream call),
//! then its adapter builds the username from its grammar. The password is handed out only
//! when the caller asked for it and may see it.

use super::{UnknownAccount, resolve_account};
use crate::domain::api_keys::Principal;
use crate::domain::connection::{ConnectionRequest, ExtractRequest, Extraction, ProxyConnection};
use crate::domain::idempotency::WriteContext;
use crate::domain::proxy_users::ProxyUserId;
use crate::providers::registry::Registry;
use crate::providers::{Capability, ProviderError, ProviderKind};
use crate::services::ServiceError;

/// A built connection with the account that serves it.
#[derive(Clone, Debug)]
pub struct AccountConnection {
    /// The account's provider.
    pub provider: ProviderKind,
    /// The connection.
    pub connection: ProxyConnection,
}

/// The connection for `proxy_user`; `with_password` asks for the password too.
pub async fn connection(
    registry: &Registry,
    principal: &Principal,
    proxy_user: &ProxyUserId,
    request: &ConnectionRequest,
    with_password: bool,
) -> Result<AccountConnection, ServiceError> {
    let account = resolve_account(
        registry,
        principal,
        &proxy_user.account,
        UnknownAccount::InvalidArgument("proxy_user"),
    )?;
    let fail = |e| ServiceError::provider(&account.name, e);
    let unsupported = || {
        fail(ProviderError::unsupported_because(
            Capability::ConnectionPassword,
            "this provider shows a proxy user's password only when it is created or rotated; \
             keep it from that answer",
        ))
    };
    // A provider that never lists passwords is answered before the user is looked up.
    if with_password
        && !account
            .adapter
            .capabilities()
            .contains(&Capability::ConnectionPassword)
    {
        return Err(unsupported());
    }
    let user = account
        .adapter
        .get_proxy_user(&proxy_user.upstream)
        .await
        .map_err(fail)?;
    let mut connection = account.adapter.connection(&user, request).map_err(fail)?;
    if !with_password {
        connection.password = None;
    } else if connection.password.is_none() {
        return Err(unsupported());
    }
    Ok(AccountConnection {
        provider: account.kind,
        connection,
    })
}

/// Endpoints extracted from one account.
pub async fn extract(
    registry: &Registry,
    principal: &Principal,
    account: &str,
    request: &ExtractRequest,
    ctx: &WriteContext,
) -> Result<(ProviderKind, Extraction), ServiceError> {
    let account = resolve_account(
        registry,
        principal,
        account,
        UnknownAccount::InvalidArgument("account"),
    )?;
    let extraction = account
        .adapter
        .extract_proxies(request, ctx)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))?;
    Ok((account.kind, extraction))
}
