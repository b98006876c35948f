//! Proxy users across accounts: listing merged in a stable order (account name, then each
//! adapter's own order) with one cursor, and the single-user operations routed by id.

pub use super::listing::ListCursor;
use super::listing::merged_page;
use secrecy::SecretString;

use super::{UnknownAccount, resolve_account, select_accounts};
use crate::domain::api_keys::Principal;
use crate::domain::idempotency::WriteContext;
use crate::domain::pagination::Page;
use crate::domain::proxy_users::{
    CreatedProxyUser, NewProxyUser, ProxyUser, ProxyUserFilter, ProxyUserId, ProxyUserPatch,
    RotatedPassword,
};
use crate::providers::registry::Registry;
use crate::services::ServiceError;

/// Most users one batch may create.
pub const MAX_BATCH: usize = 100;

/// One page of proxy users over `accounts` (all permitted ones when empty).
pub async fn list(
    registry: &Registry,
    principal: &Principal,
    accounts: &[String],
    filter: &ProxyUserFilter,
    cursor: Option<ListCursor>,
    limit: u32,
) -> Result<Page<ProxyUser>, ServiceError> {
    let selected = select_accounts(registry, principal, accounts)?;
    merged_page(&selected, cursor, limit, |account, inner, wanted| {
        Box::pin(async move {
            let page = account
                .adapter
                .list_proxy_users(filter, inner.as_deref(), wanted)
                .await
                .map_err(|e| ServiceError::provider(&account.name, e))?;
            Ok((page.users, page.next_cursor))
        })
    })
    .await
}

/// One proxy user.
pub async fn get(
    registry: &Registry,
    principal: &Principal,
    id: &ProxyUserId,
) -> Result<ProxyUser, ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    account
        .adapter
        .get_proxy_user(&id.upstream)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}

/// Creates users in one account (all validated by the adapter before any upstream call).
pub async fn create(
    registry: &Registry,
    principal: &Principal,
    account: &str,
    users: &[NewProxyUser],
    ctx: &WriteContext,
) -> Result<Vec<CreatedProxyUser>, ServiceError> {
    if users.is_empty() {
        return Err(ServiceError::invalid_argument(
            "users",
            "at least one user is required",
        ));
    }
    if users.len() > MAX_BATCH {
        return Err(ServiceError::invalid_argument(
            "users",
            format!("at most {MAX_BATCH} users per batch"),
        ));
    }
    let account = resolve_account(
        registry,
        principal,
        account,
        UnknownAccount::InvalidArgument("account"),
    )?;
    let fail = |e| ServiceError::provider(&account.name, e);
    let Some(journal) = ctx.journal() else {
        return account
            .adapter
            .create_proxy_users(users, ctx)
            .await
            .map_err(fail);
    };
    // Generated credentials are drawn from the write's own stream, so every attempt at this
    // key plans the same users and a retry after a crash or an unknown outcome sends exactly
    // what the first attempt sent, without a store write before the call. A plan journaled by
    // an earlier version of the gateway still wins when it resumes.
    let planned = match journal.get("plan").and_then(|plan| plan_from_json(&plan)) {
        Some(planned) if journal.resumed() => planned,
        _ => account
            .adapter
            .prepare_new_users(users, &mut journal.draws("proxy_users.create")),
    };
    if journal.resumed()
        && let Some(found) = reconcile_created(account.adapter.as_ref(), &planned)
            .await
            .map_err(fail)?
    {
        return Ok(found);
    }
    account
        .adapter
        .create_proxy_users(&planned, ctx)
        .await
        .map_err(fail)
}

/// After a crash or an unknown outcome: asks the provider whether the planned users (those
/// with a username the gateway chose) exist. All found: the earlier attempt succeeded, and
/// they are returned with their planned passwords. Otherwise `None`: send again (providers
/// that issue usernames themselves dedupe the resend with the forwarded Idempotency-Key).
async fn reconcile_created(
    adapter: &dyn crate::providers::ProviderAdapter,
    planned: &[NewProxyUser],
) -> Result<Option<Vec<CreatedProxyUser>>, crate::providers::ProviderError> {
    let mut found = Vec::new();
    for user in planned {
        let (Some(username), Some(password)) = (&user.username, &user.password) else {
            return Ok(None);
        };
        match adapter.get_proxy_user(username).await {
            Ok(existing) => found.push(CreatedProxyUser {
                user: existing,
                password: password.clone(),
            }),
            Err(crate::providers::ProviderError::NotFound(_)) => return Ok(None),
            Err(err) => return Err(err),
        }
    }
    tracing::info!(
        users = found.len(),
        "reconciled a keyed create: the provider already has the users"
    );
    Ok(Some(found))
}

/// Reads a plan journaled by an earlier version (before credentials were drawn from the
/// write's stream), so a write it left uncertain resumes with what it sent.
fn plan_from_json(plan: &serde_json::Value) -> Option<Vec<NewProxyUser>> {
    plan.as_array()?
        .iter()
        .map(|u| {
            Some(NewProxyUser {
                products: u["products"]
                    .as_array()?
                    .iter()
                    .map(|p| p.as_str().and_then(|p| p.parse().ok()))
                    .collect::<Option<Vec<_>>>()?,
                label: u["label"].as_str().map(str::to_string),
                username: u["username"].as_str().map(str::to_string),
                password: u["password"]
                    .as_str()
                    .map(|p| SecretString::from(p.to_string())),
                traffic_limit_bytes: u["traffic_limit_bytes"].as_u64(),
                concurrency_max: u["concurrency_max"]
                    .as_u64()
                    .and_then(|n| u32::try_from(n).ok()),
                rps_max: u["rps_max"].as_u64().and_then(|n| u32::try_from(n).ok()),
            })
        })
        .collect()
}

/// Applies a patch.
pub async fn update(
    registry: &Registry,
    principal: &Principal,
    id: &ProxyUserId,
    patch: &ProxyUserPatch,
    ctx: &WriteContext,
) -> Result<ProxyUser, ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    if patch.requested_fields().is_empty() {
        return Err(ServiceError::invalid_argument(
            "body",
            "the patch changes nothing: name at least one field",
        ));
    }
    account
        .adapter
        .update_proxy_user(&id.upstream, patch, ctx)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}

/// Sets or rotates a password.
pub async fn rotate_password(
    registry: &Registry,
    principal: &Principal,
    id: &ProxyUserId,
    new_password: Option<&SecretString>,
    ctx: &WriteContext,
) -> Result<RotatedPassword, ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    // A password the gateway chooses is drawn from the write's own stream, so a retry sets the
    // same one; one journaled by an earlier version still wins when it resumes.
    let planned = match (ctx.journal(), new_password) {
        (Some(journal), None) => match journal
            .get("password")
            .and_then(|p| p.as_str().map(str::to_string))
        {
            Some(password) if journal.resumed() => Some(SecretString::from(password)),
            _ => account
                .adapter
                .generate_password(&mut journal.draws("proxy_users.rotate_password")),
        },
        _ => None,
    };
    account
        .adapter
        .rotate_password(&id.upstream, planned.as_ref().or(new_password), ctx)
        .await
        .map_err(|e| ServiceError::provider(&account.name, e))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn list_cursors_round_trip(account in "[a-z0-9_-]{1,64}", inner in proptest::option::of(".{0,200}")) {
            let cursor = ListCursor { account, inner };
            prop_assert_eq!(ListCursor::decode_public(&cursor.to_cursor().encode()).unwrap(), cursor);
        }
    }

    #[test]
    fn garbage_cursors_are_400_naming_the_cursor() {
        let err = ListCursor::decode_public("bm90IGpzb24").unwrap_err();
        assert!(
            matches!(&err, ServiceError::InvalidArgument { field, .. } if field == "cursor"),
            "{err:?}"
        );
    }
}
