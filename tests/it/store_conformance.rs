//! One conformance suite for every store backend: each behaviour is a function over `Store`,
//! run against Postgres and SQLite by the `conformance!` macro, so both must agree exactly.

use proxy_gateway::domain::api_keys::{
    self, AccountRestriction, ApiKeyId, NewApiKey, Scope, Scopes, Token,
};
use proxy_gateway::services::api_keys as keys;
use proxy_gateway::store::{Store, StoreError};
use std::time::Duration;

use proxy_gateway::domain::idempotency::{Begin, BeginRequest, IdempotencyKey, StoredResponse};
use time::OffsetDateTime;

use crate::support::{Db, fresh_store};

fn new_key(name: &str) -> NewApiKey {
    NewApiKey {
        name: name.to_string(),
        scopes: Scopes::of(&[Scope::Read, Scope::Write]),
        accounts: AccountRestriction::all(),
    }
}

async fn created_keys_read_back_identically(store: Store) {
    let restricted = NewApiKey {
        accounts: AccountRestriction::only(["helodata", "911proxy"]).unwrap(),
        ..new_key("restricted")
    };
    let (key, token) = keys::create(store.api_keys.as_ref(), restricted)
        .await
        .unwrap();
    let by_id = store
        .api_keys
        .get(&key.id)
        .await
        .unwrap()
        .expect("found by id");
    let by_prefix = store
        .api_keys
        .find_by_lookup_prefix(token.lookup_prefix())
        .await
        .unwrap()
        .expect("found by prefix");
    for read in [by_id, by_prefix] {
        assert_eq!(read.id, key.id);
        assert_eq!(read.name, "restricted");
        assert_eq!(read.scopes, key.scopes);
        assert_eq!(
            read.accounts.names(),
            Some(vec!["911proxy".to_string(), "helodata".to_string()])
        );
        assert_eq!(read.token_hash, token.hash());
        assert_eq!(read.created_at, key.created_at);
        assert_eq!(read.last_used_at, None);
        assert_eq!(read.revoked_at, None);
    }
}

async fn missing_keys_are_none(store: Store) {
    let id: ApiKeyId = "key_01JDQ6Z8M9W3V7Y2K1T0R5N4PX".parse().unwrap();
    assert!(store.api_keys.get(&id).await.unwrap().is_none());
    assert!(
        store
            .api_keys
            .find_by_lookup_prefix("pgw_nothinghere")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .api_keys
            .revoke(&id, api_keys::now())
            .await
            .unwrap()
            .is_none()
    );
}

async fn a_duplicate_lookup_prefix_is_a_conflict(store: Store) {
    let token = Token::generate();
    keys::import(store.api_keys.as_ref(), new_key("first"), &token)
        .await
        .unwrap();
    let err = keys::import(store.api_keys.as_ref(), new_key("second"), &token)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
}

async fn list_pages_in_id_order(store: Store) {
    let mut ids = Vec::new();
    for i in 0..5 {
        let (key, _) = keys::create(store.api_keys.as_ref(), new_key(&format!("k{i}")))
            .await
            .unwrap();
        ids.push(key.id.to_string());
    }
    let first = store.api_keys.list(None, 3).await.unwrap();
    assert_eq!(
        first.iter().map(|k| k.id.to_string()).collect::<Vec<_>>(),
        ids[..3]
    );
    let rest = store.api_keys.list(Some(&ids[2]), 10).await.unwrap();
    assert_eq!(
        rest.iter().map(|k| k.id.to_string()).collect::<Vec<_>>(),
        ids[3..]
    );
    assert_eq!(store.api_keys.count().await.unwrap(), 5);
}

async fn revoke_keeps_the_first_revocation_time(store: Store) {
    let (key, _) = keys::create(store.api_keys.as_ref(), new_key("r"))
        .await
        .unwrap();
    let first_at = OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap();
    let later = first_at + time::Duration::hours(1);
    let revoked = store
        .api_keys
        .revoke(&key.id, first_at)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(first_at));
    let again = store
        .api_keys
        .revoke(&key.id, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.revoked_at, Some(first_at));
}

async fn authenticate_accepts_the_token_and_records_last_use(store: Store) {
    let (key, token) = keys::create(store.api_keys.as_ref(), new_key("auth"))
        .await
        .unwrap();
    let principal = keys::authenticate(store.api_keys.as_ref(), token.expose())
        .await
        .unwrap();
    assert_eq!(principal.key_id, key.id);
    let read = store.api_keys.get(&key.id).await.unwrap().unwrap();
    assert!(read.last_used_at.is_some());
    store
        .api_keys
        .revoke(&key.id, api_keys::now())
        .await
        .unwrap();
    let err = keys::authenticate(store.api_keys.as_ref(), token.expose())
        .await
        .unwrap_err();
    assert!(matches!(err, keys::AuthError::Revoked), "{err:?}");
}

async fn timestamps_round_trip_to_the_microsecond(store: Store) {
    let (key, _) = keys::create(store.api_keys.as_ref(), new_key("t"))
        .await
        .unwrap();
    let at = OffsetDateTime::from_unix_timestamp_nanos(1_800_000_000_123_456_000).unwrap();
    store.api_keys.touch_last_used(&key.id, at).await.unwrap();
    let read = store.api_keys.get(&key.id).await.unwrap().unwrap();
    assert_eq!(read.last_used_at, Some(at));
}

async fn readiness_holds_after_migration_and_migrating_again_is_harmless(store: Store) {
    store.admin.readiness().await.unwrap();
    store.admin.migrate().await.unwrap();
    store.admin.readiness().await.unwrap();
}

fn begin_request<'a>(
    api_key_id: &'a str,
    key: &'a IdempotencyKey,
    fingerprint: &'a str,
    owner: &'a str,
    now: OffsetDateTime,
) -> BeginRequest<'a> {
    BeginRequest {
        api_key_id,
        key,
        fingerprint,
        method: "POST",
        route: "/v1/proxy-users",
        owner,
        now,
        lease: Duration::from_secs(60),
        ttl: Duration::from_secs(24 * 3600),
    }
}

fn t0() -> OffsetDateTime {
    OffsetDateTime::from_unix_timestamp(1_800_000_000).unwrap()
}

async fn the_first_claim_starts_and_a_second_waits_or_mismatches(store: Store) {
    let key = IdempotencyKey::parse("order-1").unwrap();
    let idem = store.idempotency.as_ref();
    assert_eq!(
        idem.begin(&begin_request("key_a", &key, "fp1", "o1", t0()))
            .await
            .unwrap(),
        Begin::Started
    );
    match idem
        .begin(&begin_request(
            "key_a",
            &key,
            "fp1",
            "o2",
            t0() + time::Duration::seconds(10),
        ))
        .await
        .unwrap()
    {
        Begin::InProgress { retry_after } => assert_eq!(retry_after, Duration::from_secs(50)),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        idem.begin(&begin_request("key_a", &key, "fp2", "o3", t0()))
            .await
            .unwrap(),
        Begin::Mismatch
    );
    // Keys are scoped to the calling API key.
    assert_eq!(
        idem.begin(&begin_request("key_b", &key, "fp2", "o4", t0()))
            .await
            .unwrap(),
        Begin::Started
    );
}

async fn a_completed_key_replays_the_stored_response_byte_for_byte(store: Store) {
    let key = IdempotencyKey::parse("k").unwrap();
    let idem = store.idempotency.as_ref();
    idem.begin(&begin_request("key_a", &key, "fp", "o1", t0()))
        .await
        .unwrap();
    let response = StoredResponse {
        status: 201,
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("location".into(), "/v1/x".into()),
        ],
        body: b"{\"id\": \"x\",  \"password\":\"s3cret\"}".to_vec(),
    };
    assert!(
        idem.complete("key_a", "k", "o1", &response, t0())
            .await
            .unwrap()
    );
    assert_eq!(
        idem.begin(&begin_request(
            "key_a",
            &key,
            "fp",
            "o2",
            t0() + time::Duration::hours(1)
        ))
        .await
        .unwrap(),
        Begin::Completed(response)
    );
    assert_eq!(
        idem.begin(&begin_request("key_a", &key, "other", "o3", t0()))
            .await
            .unwrap(),
        Begin::Mismatch
    );
}

async fn an_expired_lease_is_taken_over_with_its_progress_and_the_old_holder_is_fenced(
    store: Store,
) {
    let key = IdempotencyKey::parse("k").unwrap();
    let idem = store.idempotency.as_ref();
    idem.begin(&begin_request("key_a", &key, "fp", "dead", t0()))
        .await
        .unwrap();
    let progress = serde_json::json!({"applied": ["password", "label"]});
    assert!(
        idem.save_progress(
            "key_a",
            "k",
            "dead",
            &progress,
            t0() + time::Duration::seconds(60)
        )
        .await
        .unwrap()
    );
    let later = t0() + time::Duration::seconds(61);
    assert_eq!(
        idem.begin(&begin_request("key_a", &key, "fp", "heir", later))
            .await
            .unwrap(),
        Begin::Resumed {
            progress: Some(progress),
            claimed_at: t0(),
        }
    );
    let response = StoredResponse {
        status: 200,
        headers: vec![],
        body: b"{}".to_vec(),
    };
    assert!(
        !idem
            .complete("key_a", "k", "dead", &response, later)
            .await
            .unwrap(),
        "the old holder lost the lease"
    );
    assert!(
        !idem
            .save_progress("key_a", "k", "dead", &serde_json::json!({}), later)
            .await
            .unwrap()
    );
    assert!(
        idem.complete("key_a", "k", "heir", &response, later)
            .await
            .unwrap()
    );
}

async fn a_released_claim_frees_the_key_and_an_abandoned_one_is_resumed_at_once(store: Store) {
    let key = IdempotencyKey::parse("k").unwrap();
    let idem = store.idempotency.as_ref();
    idem.begin(&begin_request("key_a", &key, "fp", "o1", t0()))
        .await
        .unwrap();
    idem.release("key_a", "k", "o1").await.unwrap();
    assert_eq!(
        idem.begin(&begin_request("key_a", &key, "fp-fixed", "o2", t0()))
            .await
            .unwrap(),
        Begin::Started
    );
    idem.abandon("key_a", "k", "o2", t0()).await.unwrap();
    assert_eq!(
        idem.begin(&begin_request(
            "key_a",
            &key,
            "fp-fixed",
            "o3",
            t0() + time::Duration::seconds(1)
        ))
        .await
        .unwrap(),
        Begin::Resumed {
            progress: None,
            claimed_at: t0(),
        }
    );
}

async fn expired_records_are_reusable_and_swept(store: Store) {
    let key = IdempotencyKey::parse("k").unwrap();
    let idem = store.idempotency.as_ref();
    idem.begin(&begin_request("key_a", &key, "fp", "o1", t0()))
        .await
        .unwrap();
    let response = StoredResponse {
        status: 201,
        headers: vec![],
        body: b"1".to_vec(),
    };
    idem.complete("key_a", "k", "o1", &response, t0())
        .await
        .unwrap();
    let day_later = t0() + time::Duration::hours(24);
    assert_eq!(
        idem.begin(&begin_request("key_a", &key, "new", "o2", day_later))
            .await
            .unwrap(),
        Begin::Started
    );
    let other = IdempotencyKey::parse("other").unwrap();
    idem.begin(&begin_request("key_a", &other, "fp", "o3", t0()))
        .await
        .unwrap();
    assert_eq!(
        idem.sweep(day_later).await.unwrap(),
        1,
        "only the expired record"
    );
    assert_eq!(idem.sweep(day_later).await.unwrap(), 0);
}

/// A resumed attempt learns when its record was claimed, to the microsecond (what seeds the
/// write's drawn credentials); a record claimed again after expiry has its own time.
async fn a_resumed_claim_reads_back_when_its_record_was_claimed(store: Store) {
    let key = IdempotencyKey::parse("k").unwrap();
    let idem = store.idempotency.as_ref();
    let first = t0() + time::Duration::microseconds(123_457);
    idem.begin(&begin_request("key_a", &key, "fp", "o1", first))
        .await
        .unwrap();
    idem.abandon("key_a", "k", "o1", first).await.unwrap();
    let resumed = |owner: &'static str, at| {
        let key = key.clone();
        async move {
            idem.begin(&begin_request("key_a", &key, "fp", owner, at))
                .await
                .unwrap()
        }
    };
    assert_eq!(
        resumed("o2", first + time::Duration::seconds(5)).await,
        Begin::Resumed {
            progress: None,
            claimed_at: first,
        }
    );
    idem.abandon("key_a", "k", "o2", first).await.unwrap();
    let day_later = first + time::Duration::hours(24) + time::Duration::microseconds(1);
    assert_eq!(resumed("o3", day_later).await, Begin::Started);
    idem.abandon("key_a", "k", "o3", day_later).await.unwrap();
    assert_eq!(
        resumed("o4", day_later + time::Duration::seconds(1)).await,
        Begin::Resumed {
            progress: None,
            claimed_at: day_later,
        }
    );
}

async fn concurrent_claims_have_exactly_one_winner(store: Store) {
    let key = IdempotencyKey::parse("race").unwrap();
    let tasks: Vec<_> = (0..20)
        .map(|i| {
            let store = store.clone();
            let key = key.clone();
            tokio::spawn(async move {
                let owner = format!("o{i}");
                store
                    .idempotency
                    .begin(&begin_request("key_a", &key, "fp", &owner, t0()))
                    .await
                    .unwrap()
            })
        })
        .collect();
    let mut started = 0;
    for task in tasks {
        match task.await.unwrap() {
            Begin::Started => started += 1,
            Begin::InProgress { .. } => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(started, 1);
}

/// Concurrent first claims of different keys all start (Postgres sends them as one statement)
/// and their concurrent completions each store their own response.
async fn concurrent_claims_and_completions_of_different_keys_each_keep_their_own(store: Store) {
    let keys: Vec<IdempotencyKey> = (0..30)
        .map(|i| IdempotencyKey::parse(&format!("batch-{i}")).unwrap())
        .collect();
    let begun = futures::future::join_all(keys.iter().enumerate().map(|(i, key)| {
        let (store, key) = (store.clone(), key.clone());
        tokio::spawn(async move {
            let (owner, fp) = (format!("o{i}"), format!("fp{i}"));
            store
                .idempotency
                .begin(&begin_request("key_b", &key, &fp, &owner, t0()))
                .await
                .unwrap()
        })
    }))
    .await;
    assert!(begun.into_iter().all(|b| b.unwrap() == Begin::Started));
    let response = |i: usize| StoredResponse {
        status: 200 + u16::try_from(i).unwrap(),
        headers: vec![("content-type".into(), format!("application/x-{i}"))],
        body: format!("body {i}").into_bytes(),
    };
    // Key 7 is completed by an owner that never held it: fenced, alone.
    let completed = futures::future::join_all(keys.iter().enumerate().map(|(i, key)| {
        let (store, key, response) = (store.clone(), key.clone(), response(i));
        tokio::spawn(async move {
            let owner = if i == 7 {
                "intruder".to_string()
            } else {
                format!("o{i}")
            };
            store
                .idempotency
                .complete("key_b", key.as_str(), &owner, &response, t0())
                .await
                .unwrap()
        })
    }))
    .await;
    for (i, done) in completed.into_iter().enumerate() {
        assert_eq!(done.unwrap(), i != 7, "key {i}");
    }
    for (i, key) in keys.iter().enumerate() {
        let again = store
            .idempotency
            .begin(&begin_request(
                "key_b",
                key,
                &format!("fp{i}"),
                "later",
                t0(),
            ))
            .await
            .unwrap();
        if i == 7 {
            assert!(matches!(again, Begin::InProgress { .. }), "{again:?}");
        } else {
            assert_eq!(again, Begin::Completed(response(i)), "key {i}");
        }
    }
}

async fn the_first_key_is_stored_once_among_concurrent_bootstraps(store: Store) {
    let tasks: Vec<_> = (0..10)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move {
                keys::create_first(
                    store.api_keys.as_ref(),
                    new_key(&format!("first-{i}")),
                    None,
                )
                .await
                .unwrap()
            })
        })
        .collect();
    let mut firsts = Vec::new();
    for task in tasks {
        if let Some((key, token)) = task.await.unwrap() {
            assert!(
                token.is_some(),
                "a generated token is returned to its creator"
            );
            firsts.push(key);
        }
    }
    assert_eq!(firsts.len(), 1, "exactly one bootstrap stores its key");
    assert_eq!(store.api_keys.count().await.unwrap(), 1);
    let configured = Token::generate();
    let later = keys::create_first(store.api_keys.as_ref(), new_key("later"), Some(&configured))
        .await
        .unwrap();
    assert!(later.is_none(), "a store with a key is left alone");
    assert_eq!(store.api_keys.count().await.unwrap(), 1);
}

async fn the_key_revision_moves_on_revocation_only(store: Store) {
    let keys_store = store.api_keys.as_ref();
    let start = keys_store.revision().await.unwrap();
    let (key, _) = keys::create(keys_store, new_key("watched")).await.unwrap();
    assert_eq!(
        keys_store.revision().await.unwrap(),
        start,
        "a new key changes no cached one"
    );
    keys_store
        .touch_last_used(&key.id, api_keys::now())
        .await
        .unwrap();
    assert_eq!(
        keys_store.revision().await.unwrap(),
        start,
        "last use is not a change the cache cares about"
    );
    keys_store.revoke(&key.id, api_keys::now()).await.unwrap();
    let revoked = keys_store.revision().await.unwrap();
    assert!(revoked > start, "{revoked} > {start}");
    keys_store.revoke(&key.id, api_keys::now()).await.unwrap();
    assert_eq!(
        keys_store.revision().await.unwrap(),
        revoked,
        "revoking again changes nothing"
    );
}

macro_rules! conformance {
    ($($case:ident),* $(,)?) => {
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(crate::support::fresh_store(crate::support::Db::Postgres).await).await;
                }
            )*
        }
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    super::$case(crate::support::fresh_store(crate::support::Db::Sqlite).await).await;
                }
            )*
        }
    };
}

conformance!(
    created_keys_read_back_identically,
    missing_keys_are_none,
    a_duplicate_lookup_prefix_is_a_conflict,
    list_pages_in_id_order,
    revoke_keeps_the_first_revocation_time,
    authenticate_accepts_the_token_and_records_last_use,
    timestamps_round_trip_to_the_microsecond,
    readiness_holds_after_migration_and_migrating_again_is_harmless,
    the_first_claim_starts_and_a_second_waits_or_mismatches,
    a_completed_key_replays_the_stored_response_byte_for_byte,
    an_expired_lease_is_taken_over_with_its_progress_and_the_old_holder_is_fenced,
    a_released_claim_frees_the_key_and_an_abandoned_one_is_resumed_at_once,
    expired_records_are_reusable_and_swept,
    a_resumed_claim_reads_back_when_its_record_was_claimed,
    concurrent_claims_have_exactly_one_winner,
    concurrent_claims_and_completions_of_different_keys_each_keep_their_own,
    the_first_key_is_stored_once_among_concurrent_bootstraps,
    the_key_revision_moves_on_revocation_only,
);

/// The bootstrap's check and insert run under a Postgres advisory lock: while another
/// process holds it, the first key waits, and once that process stored a key it stores
/// nothing. (SQLite needs no lock: its one INSERT … WHERE NOT EXISTS runs under the write lock.)
#[tokio::test]
async fn on_postgres_the_first_key_waits_for_the_bootstrap_lock_and_then_finds_the_key() {
    use sqlx::Connection;
    let url = crate::support::fresh_database_url(Db::Postgres).await;
    let store =
        proxy_gateway::store::connect(&proxy_gateway::config::DatabaseUrl::new(url.clone()), 2)
            .await
            .unwrap();
    store.admin.migrate().await.unwrap();
    let mut other = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(proxy_gateway::store::postgres::FIRST_KEY_LOCK)
        .execute(&mut other)
        .await
        .unwrap();
    let waiting = tokio::spawn({
        let store = store.clone();
        async move {
            keys::create_first(store.api_keys.as_ref(), new_key("second"), None)
                .await
                .unwrap()
        }
    });
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert!(!waiting.is_finished(), "the first key waits for the lock");
    // The other process stores its key, then releases the lock.
    keys::create(store.api_keys.as_ref(), new_key("first"))
        .await
        .unwrap();
    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(proxy_gateway::store::postgres::FIRST_KEY_LOCK)
        .execute(&mut other)
        .await
        .unwrap();
    assert!(
        waiting.await.unwrap().is_none(),
        "it then finds the key and stores nothing"
    );
    assert_eq!(store.api_keys.count().await.unwrap(), 1);
}

/// On Postgres, progress saves and completions that arrive while the previous one of their kind
/// is running go as one call of their `*_many` function (migration 0005), and each caller
/// still gets its own answer: the row's holder `true`, an owner that never held it `false`.
#[tokio::test]
async fn on_postgres_progress_saves_and_completions_that_arrive_together_are_one_call() {
    use sqlx::Connection;
    let url = crate::support::fresh_database_url(Db::Postgres).await;
    let mut other = sqlx::PgConnection::connect(&url).await.unwrap();
    let name: String = sqlx::query_scalar("SELECT current_database()")
        .fetch_one(&mut other)
        .await
        .unwrap();
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "ALTER DATABASE \"{name}\" SET track_functions = 'pl'"
    )))
    .execute(&mut other)
    .await
    .unwrap();
    // A pool of 2: one batch of each kind at a time.
    let store = proxy_gateway::store::connect(&proxy_gateway::config::DatabaseUrl::new(url), 2)
        .await
        .unwrap();
    store.admin.migrate().await.unwrap();
    let keys: Vec<IdempotencyKey> = (0..10)
        .map(|i| IdempotencyKey::parse(&format!("together-{i}")).unwrap())
        .collect();
    for (i, key) in keys.iter().enumerate() {
        let begun = store
            .idempotency
            .begin(&begin_request("key_c", key, "fp", &format!("o{i}"), t0()))
            .await
            .unwrap();
        assert_eq!(begun, Begin::Started);
    }
    let owner = |i: usize| {
        if i == 4 {
            "intruder".to_string()
        } else {
            format!("o{i}")
        }
    };
    let response = |i: usize| StoredResponse {
        status: 201,
        headers: vec![("x-n".into(), i.to_string())],
        body: format!("created {i}").into_bytes(),
    };

    // Key 0's row is locked elsewhere: its lone statement waits, and the nine that arrive
    // meanwhile queue behind it, to go together once it is released.
    for kind in ["progress", "completion"] {
        let mut tx = other.begin().await.unwrap();
        sqlx::query(
            "SELECT 1 FROM idempotency_keys WHERE idempotency_key = 'together-0' FOR UPDATE",
        )
        .execute(&mut *tx)
        .await
        .unwrap();
        let run = |i: usize| {
            let (store, key) = (store.clone(), keys[i].clone());
            let (owner, response) = (owner(i), response(i));
            tokio::spawn(async move {
                let idem = store.idempotency.as_ref();
                if kind == "progress" {
                    let progress = serde_json::json!({ "plan": i });
                    let until = t0() + time::Duration::seconds(60);
                    idem.save_progress("key_c", key.as_str(), &owner, &progress, until)
                        .await
                } else {
                    idem.complete("key_c", key.as_str(), &owner, &response, t0())
                        .await
                }
            })
        };
        let first = run(0);
        tokio::time::sleep(Duration::from_millis(300)).await;
        let rest: Vec<_> = (1..10).map(run).collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert!(!first.is_finished(), "{kind}: the first waits for the lock");
        tx.commit().await.unwrap();
        assert!(first.await.unwrap().unwrap(), "{kind} of key 0");
        for (i, done) in rest.into_iter().enumerate() {
            assert_eq!(
                done.await.unwrap().unwrap(),
                i + 1 != 4,
                "{kind} of key {}",
                i + 1
            );
        }
    }

    // Each kind's nine went as one call of its function (statistics are flushed within a
    // few seconds of the calls).
    let mut calls = Vec::new();
    for _ in 0..150 {
        calls = sqlx::query_as::<_, (String, i64)>(
            "SELECT funcname::text, calls FROM pg_stat_user_functions
             WHERE funcname LIKE 'idempotency%' ORDER BY funcname",
        )
        .fetch_all(&mut other)
        .await
        .unwrap();
        if calls.len() == 2 && calls.iter().all(|(_, n)| *n > 0) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        calls,
        [
            ("idempotency_complete_many".to_string(), 1),
            ("idempotency_save_progress_many".to_string(), 1)
        ]
    );
    // Each row holds its own: completed ones replay their response; the intruder's key 4 was
    // neither saved nor completed, so after its lease it resumes with no progress.
    let later = t0() + time::Duration::seconds(120);
    for (i, key) in keys.iter().enumerate() {
        let again = store
            .idempotency
            .begin(&begin_request("key_c", key, "fp", "later", later))
            .await
            .unwrap();
        if i == 4 {
            assert_eq!(
                again,
                Begin::Resumed {
                    progress: None,
                    claimed_at: t0()
                }
            );
        } else {
            assert_eq!(again, Begin::Completed(response(i)), "key {i}");
        }
    }
}

#[tokio::test]
async fn an_unmigrated_database_is_not_ready() {
    for db in [Db::Sqlite, Db::Postgres] {
        let url =
            proxy_gateway::config::DatabaseUrl::new(crate::support::fresh_database_url(db).await);
        let store = proxy_gateway::store::connect(&url, 2).await.unwrap();
        assert!(store.admin.readiness().await.is_err(), "{db:?}");
        store.admin.migrate().await.unwrap();
        store.admin.readiness().await.unwrap();
    }
    let _ = fresh_store(Db::Sqlite).await;
}

mod audit;
mod tombstones;
