//! API keys: creating one (the token is shown once), the first key of an empty store, and
//! authenticating a bearer token against the store.

use secrecy::{ExposeSecret, SecretString};
use subtle::ConstantTimeEq;

use crate::domain::api_keys::{
    AccountRestriction, ApiKey, ApiKeyId, LAST_USED_RESOLUTION, NewApiKey, Principal, Scope,
    Scopes, Token, now,
};
use crate::domain::idempotency::WriteContext;
use crate::services::ServiceError;
use crate::services::key_cache::KeyCache;
use crate::store::{ApiKeyStore, StoreError};

/// Why a bearer token was not accepted; the caller sees the same 401 for all of them.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Not a gateway token at all.
    #[error("the API key is malformed")]
    Malformed,
    /// No key with this token exists.
    #[error("the API key is not valid")]
    Unknown,
    /// The key was revoked.
    #[error("the API key has been revoked")]
    Revoked,
    /// The store could not be asked.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Creates a key and returns it with its token, which is never obtainable again.
pub async fn create(
    store: &dyn ApiKeyStore,
    new: NewApiKey,
) -> Result<(ApiKey, Token), StoreError> {
    create_with_id(store, ApiKeyId::generate(), new).await
}

/// One page of keys after `after` (an id), with one extra to tell whether more follow.
pub async fn list(
    store: &dyn ApiKeyStore,
    after: Option<&str>,
    limit_plus_one: u32,
) -> Result<Vec<ApiKey>, ServiceError> {
    Ok(store.list(after, limit_plus_one).await?)
}

/// One key by id.
pub async fn get(store: &dyn ApiKeyStore, id: &ApiKeyId) -> Result<ApiKey, ServiceError> {
    store
        .get(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no API key {id}")))
}

/// Revokes a key: it stops authenticating at once — on this replica before the answer (it is
/// dropped from `cache`), on the others within a second (see `key_cache`). Revoking twice is
/// not an error.
pub async fn revoke(
    store: &dyn ApiKeyStore,
    cache: &KeyCache,
    id: &ApiKeyId,
) -> Result<(), ServiceError> {
    let revoked = store.revoke(id, now()).await;
    cache.forget(id);
    revoked?.ok_or_else(|| ServiceError::NotFound(format!("no API key {id}")))?;
    tracing::info!(revoked_key_id = %id, "API key revoked");
    Ok(())
}

/// On a store with no key at all, creates the admin key: `configured`
/// (`PGW_BOOTSTRAP_ADMIN_KEY`), or a new one that is returned so that it can be shown once.
/// Atomic across replicas starting together: one of them stores the key, the others find it
/// there (and print nothing).
pub async fn bootstrap_admin(
    store: &dyn ApiKeyStore,
    configured: Option<&SecretString>,
) -> Result<Option<Token>, StoreError> {
    if store.count().await? > 0 {
        return Ok(None);
    }
    let new = NewApiKey {
        name: "bootstrap-admin".to_string(),
        scopes: Scopes::of(&[Scope::Admin]),
        accounts: AccountRestriction::all(),
    };
    let configured = match configured {
        Some(configured) => Some(
            Token::parse(configured.expose_secret())
                .map_err(|e| StoreError::Other(e.to_string()))?,
        ),
        None => None,
    };
    match create_first(store, new, configured.as_ref()).await? {
        Some((key, None)) => {
            tracing::info!(key_id = %key.id, "created the admin key from PGW_BOOTSTRAP_ADMIN_KEY");
            Ok(None)
        }
        Some((key, Some(token))) => {
            tracing::info!(key_id = %key.id, "generated the first admin key");
            Ok(Some(token))
        }
        None => {
            tracing::info!("another gateway process created the first admin key");
            Ok(None)
        }
    }
}

/// Creates a key for a write that may be keyed. A keyed create journals the new key's id
/// before storing it; a retry that takes over (the first attempt crashed before answering)
/// revokes that key — its token was never shown to anyone — and creates a fresh one, so the
/// caller ends up with exactly one usable key.
pub async fn create_keyed(
    store: &dyn ApiKeyStore,
    ctx: &WriteContext,
    new: NewApiKey,
) -> Result<(ApiKey, Token), ServiceError> {
    let Some(journal) = ctx.journal() else {
        return Ok(create(store, new).await?);
    };
    if journal.resumed()
        && let Some(orphan) = journal
            .get("key_id")
            .and_then(|v| v.as_str().and_then(|id| id.parse::<ApiKeyId>().ok()))
    {
        store.revoke(&orphan, now()).await?;
        tracing::info!(revoked_key_id = %orphan, "revoked the key of an interrupted keyed create");
    }
    let id = ApiKeyId::generate();
    journal
        .record("key_id", serde_json::Value::String(id.to_string()))
        .await?;
    Ok(create_with_id(store, id, new).await?)
}

/// Creates a key under an id chosen beforehand (so it can be journaled first).
pub async fn create_with_id(
    store: &dyn ApiKeyStore,
    id: ApiKeyId,
    new: NewApiKey,
) -> Result<(ApiKey, Token), StoreError> {
    let token = Token::generate();
    let key = ApiKey {
        id,
        ..ApiKey::for_token(new, &token)
    };
    store.insert(&key).await?;
    Ok((key, token))
}

/// Stores an existing token (the configured bootstrap key) as a key.
pub async fn import(
    store: &dyn ApiKeyStore,
    new: NewApiKey,
    token: &Token,
) -> Result<ApiKey, StoreError> {
    let key = ApiKey::for_token(new, token);
    store.insert(&key).await?;
    Ok(key)
}

/// Stores the first key of an empty store: `token` when given (the configured bootstrap key),
/// else a new one. `None` when the store already held a key — another replica starting at the
/// same moment bootstrapped first — so exactly one first key exists and only its creator
/// prints a generated token.
pub async fn create_first(
    store: &dyn ApiKeyStore,
    new: NewApiKey,
    token: Option<&Token>,
) -> Result<Option<(ApiKey, Option<Token>)>, StoreError> {
    let generated = token.is_none().then(Token::generate);
    let Some(used) = token.or(generated.as_ref()) else {
        return Ok(None);
    };
    let key = ApiKey::for_token(new, used);
    Ok(store.insert_first(&key).await?.then_some((key, generated)))
}

/// Verifies a bearer token: finds the row by prefix, compares hashes in constant time,
/// refuses revoked keys, and refreshes `last_used_at` when it is older than a minute.
pub async fn authenticate(store: &dyn ApiKeyStore, bearer: &str) -> Result<Principal, AuthError> {
    let token = Token::parse(bearer).map_err(|_| AuthError::Malformed)?;
    let key = store
        .find_by_lookup_prefix(token.lookup_prefix())
        .await?
        .ok_or(AuthError::Unknown)?;
    if !bool::from(key.token_hash.ct_eq(&token.hash())) {
        return Err(AuthError::Unknown);
    }
    if key.revoked_at.is_some() {
        return Err(AuthError::Revoked);
    }
    let now = now();
    if key
        .last_used_at
        .is_none_or(|at| now - at >= LAST_USED_RESOLUTION)
    {
        store.touch_last_used(&key.id, now).await?;
    }
    Ok(Principal {
        key_id: key.id,
        key_name: key.name,
        scopes: key.scopes,
        accounts: key.accounts,
        record_key: crate::domain::idempotency::RecordKey::derive(token.expose()),
    })
}
