//! The in-memory cache of verified API keys (`services::key_cache`): requests are answered from
//! memory, and revocation still holds — at once on the replica that revoked, within a second
//! on every other replica sharing the database.

use std::sync::Arc;
use std::time::{Duration, Instant};

use proxy_gateway::domain::api_keys::{AccountRestriction, NewApiKey, Scope, Scopes};
use proxy_gateway::services::api_keys as keys;
use proxy_gateway::services::api_keys::AuthError;
use proxy_gateway::services::key_cache::{KeyCache, TRUST_WINDOW};

use crate::support::{Db, TestApp, fresh_store, spawn_app};

async fn status_with(app: &TestApp, token: &str) -> u16 {
    app.client
        .get(app.url("/v1/providers"))
        .bearer_auth(token)
        .send()
        .await
        .expect("request")
        .status()
        .as_u16()
}

async fn revoke(app: &TestApp, id: &str) {
    let response = app
        .admin(reqwest::Method::DELETE, &format!("/v1/api-keys/{id}"))
        .send()
        .await
        .expect("revoke");
    assert_eq!(response.status(), 204);
}

/// Waits until the app's cache has confirmed the key revision at least once, so the next
/// requests are answered from memory.
async fn settle() {
    tokio::time::sleep(Duration::from_millis(600)).await;
}

async fn a_revoked_key_is_refused_at_once_on_its_replica(db: Db) {
    let app = spawn_app(db).await;
    let (id, token) = app.create_key("cached", &["read"]).await;
    settle().await;
    for _ in 0..3 {
        assert_eq!(
            status_with(&app, &token).await,
            200,
            "remembered and served"
        );
    }
    revoke(&app, &id).await;
    assert_eq!(
        status_with(&app, &token).await,
        401,
        "the very next request after the revocation's answer"
    );
}

#[tokio::test]
async fn a_revoked_key_is_refused_at_once_on_its_replica_on_postgres() {
    a_revoked_key_is_refused_at_once_on_its_replica(Db::Postgres).await;
}

#[tokio::test]
async fn a_revoked_key_is_refused_at_once_on_its_replica_on_sqlite() {
    a_revoked_key_is_refused_at_once_on_its_replica(Db::Sqlite).await;
}

/// Two gateways on one Postgres: the key is remembered by the second; revoked through the
/// first, the second refuses it within a second of the revocation's answer, and every request
/// it receives after that second is refused.
#[tokio::test]
async fn a_key_revoked_on_another_replica_is_refused_there_within_a_second() {
    let first = spawn_app(Db::Postgres).await;
    let second = first.replica().await;
    let (id, token) = first.create_key("shared", &["read"]).await;
    settle().await;
    for _ in 0..3 {
        assert_eq!(status_with(&second, &token).await, 200);
    }
    revoke(&first, &id).await;
    let revoked = Instant::now();
    let refused_after = loop {
        let sent = revoked.elapsed();
        let status = status_with(&second, &token).await;
        if status == 401 {
            break sent;
        }
        assert_eq!(status, 200);
        assert!(
            sent < TRUST_WINDOW,
            "still accepted by a request sent {sent:?} after the revocation"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    assert!(refused_after < TRUST_WINDOW, "{refused_after:?}");
    tokio::time::sleep(TRUST_WINDOW.saturating_sub(revoked.elapsed())).await;
    for _ in 0..3 {
        assert_eq!(status_with(&second, &token).await, 401);
    }
    // The revoking replica refused it at once.
    assert_eq!(status_with(&first, &token).await, 401);
}

/// The cache answers from memory — a verified key is accepted while the database is gone —
/// but only within the trust window of its last confirmed revision: after that, every
/// request goes to the store again (and here fails, since the store is closed).
#[tokio::test]
async fn verified_keys_are_answered_from_memory_only_within_the_trust_window() {
    let store = fresh_store(Db::Sqlite).await;
    let new = NewApiKey {
        name: "memory".into(),
        scopes: Scopes::of(&[Scope::Read]),
        accounts: AccountRestriction::all(),
    };
    let (key, token) = keys::create(store.api_keys.as_ref(), new).await.unwrap();
    let cache = Arc::new(KeyCache::new(store.api_keys.clone()));
    cache.poll().await.unwrap();
    let principal = cache.authenticate(token.expose()).await.unwrap();
    assert_eq!(principal.key_id, key.id);
    assert_eq!(cache.len(), 1);
    assert!(
        cache
            .authenticate("pgw_not_a_real_token_but_well_formed_000")
            .await
            .is_err()
    );
    assert_eq!(cache.len(), 1, "unknown tokens are never remembered");

    // A fresh confirmation, so that the window surely spans the next call on a busy machine.
    cache.poll().await.unwrap();
    store.admin.close().await;
    let again = cache.authenticate(token.expose()).await.unwrap();
    assert_eq!(again.key_id, key.id, "answered without the store");

    tokio::time::sleep(TRUST_WINDOW + Duration::from_millis(100)).await;
    assert!(
        matches!(
            cache.authenticate(token.expose()).await,
            Err(AuthError::Store(_))
        ),
        "past the window the store is asked again"
    );
}

/// Until the first revision is read, nothing is answered from memory.
#[tokio::test]
async fn a_cache_that_never_confirmed_a_revision_asks_the_store() {
    let store = fresh_store(Db::Sqlite).await;
    let new = NewApiKey {
        name: "unconfirmed".into(),
        scopes: Scopes::of(&[Scope::Read]),
        accounts: AccountRestriction::all(),
    };
    let (_, token) = keys::create(store.api_keys.as_ref(), new).await.unwrap();
    let cache = KeyCache::new(store.api_keys.clone());
    cache.authenticate(token.expose()).await.unwrap();
    store.admin.close().await;
    assert!(cache.authenticate(token.expose()).await.is_err());
}
