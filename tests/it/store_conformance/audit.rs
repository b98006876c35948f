//! The audit store's conformance cases: the same behaviour from Postgres and SQLite.

use proxy_gateway::domain::api_keys;
use proxy_gateway::domain::audit::{
    self, AuditEvent, AuditFilter, Completion, NewAuditEvent, Outcome,
};
use proxy_gateway::store::{Store, StoreError};
use time::{Duration, OffsetDateTime};

/// `minutes` before now, to the microsecond (inside the partitions a fresh database has).
fn ago(minutes: i64) -> OffsetDateTime {
    api_keys::now() - Duration::minutes(minutes)
}

fn intent(actor: &str, operation: &str, at: OffsetDateTime) -> NewAuditEvent {
    NewAuditEvent {
        id: audit::new_event_id(at),
        occurred_at: at,
        request_id: format!("req_{}", ulid::Ulid::generate()),
        actor_key_id: Some(actor.to_string()),
        actor_key_name: Some(format!("{actor}-name")),
        client_addr: Some("10.0.0.7".to_string()),
        method: "POST".to_string(),
        route: "/v1/proxy-users".to_string(),
        operation: operation.to_string(),
        provider: Some("911proxy".to_string()),
        account: Some("911proxy".to_string()),
        resource_type: Some("proxy_user".to_string()),
        resource_ids: Vec::new(),
        idempotency_key: None,
        request_summary: Some(r#"{"body":{"account":"911proxy","password":"[redacted]"}}"#.into()),
    }
}

fn succeeded(at: OffsetDateTime) -> Completion {
    Completion {
        outcome: Outcome::Succeeded,
        status: Some(201),
        error_code: None,
        upstream_status: Some(200),
        upstream_code: None,
        upstream_request_id: Some("req_up_1".to_string()),
        duration_us: Some(12_345),
        completed_at: at,
        resource_ids: Some(vec!["911proxy:user01".to_string()]),
        idempotency_replayed: Some(false),
    }
}

fn failed(at: OffsetDateTime) -> Completion {
    Completion {
        outcome: Outcome::Failed,
        status: Some(422),
        error_code: Some("invalid_argument".to_string()),
        upstream_status: Some(200),
        upstream_code: Some("156".to_string()),
        upstream_request_id: None,
        duration_us: Some(5),
        completed_at: at,
        resource_ids: None,
        idempotency_replayed: None,
    }
}

async fn get(store: &Store, id: &str) -> AuditEvent {
    store.audit.get(id).await.unwrap().expect("event stored")
}

async fn an_intent_reads_back_pending_and_is_completed_exactly_once(store: Store) {
    let at = ago(5);
    let mut new = intent("key_a", "proxy_users.create", at);
    new.idempotency_key = Some("create-1".to_string());
    let key = store.audit.record_intent(&new).await.unwrap();
    assert_eq!(key.occurred_at, at);

    let pending = get(&store, &new.id).await;
    assert_eq!(pending.intent, new);
    assert_eq!(pending.seq, key.seq);
    assert_eq!(pending.outcome, Outcome::Pending);
    assert_eq!(
        (pending.status, pending.completed_at, pending.seal),
        (None, None, None)
    );

    let done_at = ago(4);
    assert!(
        store
            .audit
            .complete(&key, &succeeded(done_at))
            .await
            .unwrap()
    );
    let done = get(&store, &new.id).await;
    assert_eq!(done.outcome, Outcome::Succeeded);
    assert_eq!(done.status, Some(201));
    assert_eq!(done.upstream_status, Some(200));
    assert_eq!(done.upstream_request_id.as_deref(), Some("req_up_1"));
    assert_eq!(done.duration_us, Some(12_345));
    assert_eq!(done.completed_at, Some(done_at));
    assert_eq!(
        done.intent.resource_ids,
        vec!["911proxy:user01".to_string()]
    );
    assert_eq!(done.idempotency_replayed, Some(false));

    // The second completion finds nothing pending and changes nothing.
    assert!(!store.audit.complete(&key, &failed(ago(3))).await.unwrap());
    assert_eq!(get(&store, &new.id).await, done);
    assert!(
        store
            .audit
            .get("aud_01JDQ6Z8M9W3V7Y2K1T0R5N4PX")
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.audit.get("not-an-id").await.unwrap().is_none());
}

async fn a_completion_cannot_replace_the_resource_ids_the_intent_named(store: Store) {
    let mut new = intent("key_a", "proxy_users.update", ago(5));
    new.resource_ids = vec!["911proxy:user01".to_string()];
    let key = store.audit.record_intent(&new).await.unwrap();
    let mut completion = succeeded(ago(4));
    completion.resource_ids = Some(vec!["911proxy:someone-else".to_string()]);
    let err = store.audit.complete(&key, &completion).await.unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    assert_eq!(get(&store, &new.id).await.outcome, Outcome::Pending);
    completion.resource_ids = None;
    assert!(store.audit.complete(&key, &completion).await.unwrap());
    assert_eq!(
        get(&store, &new.id).await.intent.resource_ids,
        vec!["911proxy:user01".to_string()]
    );
}

/// Concurrent requests' intents and outcomes (Postgres sends them as one statement per kind):
/// each caller gets its own sequence number and its own event completed, resource ids intact.
async fn concurrent_intents_and_outcomes_each_reach_their_own_event(store: Store) {
    let events: Vec<NewAuditEvent> = (0..40)
        .map(|i| {
            let mut e = intent(&format!("key_{i}"), "proxy_users.create", ago(10));
            e.resource_ids = (0..i % 3).map(|n| format!("911proxy:u{i}-{n}")).collect();
            e.idempotency_key = (i % 2 == 0).then(|| format!("k-{i}"));
            e
        })
        .collect();
    let keys = futures::future::join_all(events.iter().map(|e| {
        let store = store.clone();
        let e = e.clone();
        tokio::spawn(async move { store.audit.record_intent(&e).await.unwrap() })
    }))
    .await;
    let keys: Vec<_> = keys.into_iter().map(|k| k.unwrap()).collect();
    let mut seqs: Vec<i64> = keys.iter().map(|k| k.seq).collect();
    seqs.sort_unstable();
    seqs.dedup();
    assert_eq!(seqs.len(), 40, "every intent drew its own sequence number");
    for (e, key) in events.iter().zip(&keys) {
        let stored = get(&store, &e.id).await;
        assert_eq!((&stored.intent, stored.seq), (e, key.seq));
    }

    // Even events succeed and learn an id (unless the intent named some); odd ones fail.
    let completions: Vec<Completion> = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let mut c = if i % 2 == 0 {
                succeeded(ago(9))
            } else {
                failed(ago(9))
            };
            c.duration_us = Some(i as i64);
            c.resource_ids = (i % 2 == 0 && e.resource_ids.is_empty())
                .then(|| vec![format!("911proxy:created-{i}")]);
            c
        })
        .collect();
    let done = futures::future::join_all(keys.iter().zip(&completions).map(|(k, c)| {
        let (store, k, c) = (store.clone(), *k, c.clone());
        tokio::spawn(async move { store.audit.complete(&k, &c).await.unwrap() })
    }))
    .await;
    assert!(
        done.into_iter().all(|d| d.unwrap()),
        "every outcome found its pending event"
    );
    for (i, (e, c)) in events.iter().zip(&completions).enumerate() {
        let stored = get(&store, &e.id).await;
        assert_eq!(stored.outcome, c.outcome, "event {i}");
        assert_eq!(
            (stored.status, stored.duration_us),
            (c.status, Some(i as i64))
        );
        let ids = c
            .resource_ids
            .clone()
            .unwrap_or_else(|| e.resource_ids.clone());
        assert_eq!(stored.intent.resource_ids, ids, "event {i}");
    }

    // Completing them all again, together, changes nothing.
    let again = futures::future::join_all(keys.iter().map(|k| {
        let (store, k) = (store.clone(), *k);
        tokio::spawn(async move { store.audit.complete(&k, &failed(ago(1))).await.unwrap() })
    }))
    .await;
    assert!(again.into_iter().all(|d| !d.unwrap()));
}

/// One refused outcome among concurrent ones fails alone: its neighbours are recorded.
async fn a_refused_outcome_does_not_fail_the_outcomes_sent_with_it(store: Store) {
    let mut events = Vec::new();
    for i in 0..10 {
        let mut e = intent("key_r", "proxy_users.update", ago(8));
        e.resource_ids = vec![format!("911proxy:user{i}")];
        let key = store.audit.record_intent(&e).await.unwrap();
        events.push((e, key));
    }
    let results = futures::future::join_all(events.iter().enumerate().map(|(i, (_, key))| {
        let (store, key) = (store.clone(), *key);
        let mut c = succeeded(ago(7));
        // Event 3 tries to replace the ids its intent named: the log refuses that.
        c.resource_ids = (i == 3).then(|| vec!["911proxy:someone-else".to_string()]);
        tokio::spawn(async move { store.audit.complete(&key, &c).await })
    }))
    .await;
    for (i, (result, (e, _))) in results.into_iter().zip(&events).enumerate() {
        let result = result.unwrap();
        let stored = get(&store, &e.id).await;
        if i == 3 {
            let err = result.unwrap_err();
            assert!(err.to_string().contains("append-only"), "{err}");
            assert_eq!(stored.outcome, Outcome::Pending);
        } else {
            assert!(result.unwrap(), "event {i}");
            assert_eq!(stored.outcome, Outcome::Succeeded, "event {i}");
        }
    }
}

async fn abandoned_pending_events_close_as_unknown_and_live_ones_stay(store: Store) {
    let old = intent("key_a", "proxy_users.delete", ago(30));
    let live = intent("key_a", "proxy_users.delete", ago(1));
    let done = intent("key_a", "proxy_users.delete", ago(40));
    store.audit.record_intent(&old).await.unwrap();
    store.audit.record_intent(&live).await.unwrap();
    let done_key = store.audit.record_intent(&done).await.unwrap();
    store
        .audit
        .complete(&done_key, &succeeded(ago(39)))
        .await
        .unwrap();
    let now = api_keys::now();
    assert_eq!(
        store.audit.complete_abandoned(ago(10), now).await.unwrap(),
        1
    );
    let closed = get(&store, &old.id).await;
    assert_eq!(closed.outcome, Outcome::Unknown);
    assert_eq!(closed.completed_at, Some(now));
    assert_eq!((closed.status, closed.error_code), (None, None));
    assert_eq!(get(&store, &live.id).await.outcome, Outcome::Pending);
    assert_eq!(get(&store, &done.id).await.outcome, Outcome::Succeeded);
    assert_eq!(
        store.audit.complete_abandoned(ago(10), now).await.unwrap(),
        0
    );
}

async fn listing_is_newest_first_and_every_filter_narrows_it(store: Store) {
    let mut ids = Vec::new();
    for (minutes, actor, operation, outcome) in [
        (50, "key_a", "proxy_users.create", Some(Outcome::Succeeded)),
        (40, "key_b", "proxy_users.create", Some(Outcome::Failed)),
        (30, "key_a", "proxy_users.delete", Some(Outcome::Succeeded)),
        (20, "key_a", "api_keys.create", None),
        (10, "key_b", "proxy_users.update", Some(Outcome::Succeeded)),
    ] {
        let mut new = intent(actor, operation, ago(minutes));
        if operation == "api_keys.create" {
            new.account = None;
            new.provider = None;
        }
        if operation == "proxy_users.update" {
            new.resource_ids = vec!["helodata:sub_1".to_string(), "helodata:sub_2".to_string()];
            new.account = Some("helodata".to_string());
            new.provider = Some("helodata".to_string());
            new.idempotency_key = Some("patch-1".to_string());
        }
        let key = store.audit.record_intent(&new).await.unwrap();
        match outcome {
            Some(Outcome::Succeeded) => {
                let mut c = succeeded(ago(minutes - 1));
                if !new.resource_ids.is_empty() {
                    c.resource_ids = None;
                }
                store.audit.complete(&key, &c).await.unwrap();
            }
            Some(_) => {
                store
                    .audit
                    .complete(&key, &failed(ago(minutes - 1)))
                    .await
                    .unwrap();
            }
            None => {}
        }
        ids.push((new.id.clone(), new.request_id.clone()));
    }
    let list = |filter: AuditFilter| {
        let store = store.clone();
        async move {
            store
                .audit
                .list(&filter, None, 50)
                .await
                .unwrap()
                .into_iter()
                .map(|e| e.intent.id)
                .collect::<Vec<_>>()
        }
    };
    let id = |i: usize| ids[i].0.clone();
    assert_eq!(
        list(AuditFilter::default()).await,
        vec![id(4), id(3), id(2), id(1), id(0)]
    );
    let by_actor = AuditFilter {
        actor_key_id: Some("key_a".into()),
        ..AuditFilter::default()
    };
    assert_eq!(list(by_actor.clone()).await, vec![id(3), id(2), id(0)]);
    let in_range = AuditFilter {
        from: Some(ago(45)),
        to: Some(ago(25)),
        ..by_actor
    };
    assert_eq!(list(in_range).await, vec![id(2)]);
    // `from` is inclusive, `to` exclusive.
    let at_30 = get(&store, &id(2)).await.intent.occurred_at;
    let exact = AuditFilter {
        from: Some(at_30),
        to: Some(at_30 + Duration::microseconds(1)),
        ..AuditFilter::default()
    };
    assert_eq!(list(exact).await, vec![id(2)]);
    let f = |f: fn(&mut AuditFilter)| {
        let mut filter = AuditFilter::default();
        f(&mut filter);
        filter
    };
    assert_eq!(
        list(f(|f| f.operation = Some("proxy_users.create".into()))).await,
        vec![id(1), id(0)]
    );
    assert_eq!(
        list(f(|f| f.outcome = Some(Outcome::Pending))).await,
        vec![id(3)]
    );
    assert_eq!(
        list(f(|f| f.outcome = Some(Outcome::Failed))).await,
        vec![id(1)]
    );
    assert_eq!(
        list(f(|f| f.account = Some("helodata".into()))).await,
        vec![id(4)]
    );
    assert_eq!(
        list(f(|f| f.provider = Some("911proxy".into()))).await,
        vec![id(2), id(1), id(0)]
    );
    assert_eq!(
        list(f(|f| f.resource_id = Some("helodata:sub_2".into()))).await,
        vec![id(4)]
    );
    assert_eq!(
        list(f(|f| f.resource_id = Some("911proxy:user01".into()))).await,
        vec![id(2), id(0)]
    );
    assert_eq!(
        list(f(|f| f.idempotency_key = Some("patch-1".into()))).await,
        vec![id(4)]
    );
    let by_request = AuditFilter {
        request_id: Some(ids[1].1.clone()),
        ..AuditFilter::default()
    };
    assert_eq!(list(by_request).await, vec![id(1)]);
    assert!(
        list(f(|f| f.actor_key_id = Some("key_nobody".into())))
            .await
            .is_empty()
    );
}

async fn pages_follow_the_cursor_without_gaps_or_repeats(store: Store) {
    // Three events share one microsecond: the sequence breaks the tie.
    let same = ago(30);
    let mut expected = Vec::new();
    for i in 0..7 {
        let at = if i < 3 { same } else { ago(29 - i) };
        let new = intent("key_p", "proxy_users.create", at);
        store.audit.record_intent(&new).await.unwrap();
        expected.push(new.id);
    }
    expected.reverse();
    let filter = AuditFilter {
        actor_key_id: Some("key_p".into()),
        ..AuditFilter::default()
    };
    let mut seen = Vec::new();
    let mut after = None;
    loop {
        let (page, next) = proxy_gateway::services::audit::list_page(
            store.audit.as_ref(),
            &filter,
            after.as_ref(),
            2,
        )
        .await
        .unwrap();
        assert!(page.len() <= 2);
        seen.extend(page.into_iter().map(|e| e.intent.id));
        match next {
            Some(next) => after = Some(next),
            None => break,
        }
    }
    assert_eq!(seen, expected);
}

async fn sealing_follows_sequence_order_and_waits_for_a_pending_event(store: Store) {
    let mut keys = Vec::new();
    for minutes in [9, 8, 7, 6] {
        let new = intent("key_s", "proxy_users.create", ago(minutes));
        keys.push((store.audit.record_intent(&new).await.unwrap(), new.id));
    }
    for i in [0, 1, 3] {
        store
            .audit
            .complete(&keys[i].0, &succeeded(ago(5)))
            .await
            .unwrap();
    }
    let now = api_keys::now();
    let run = store.audit.seal(now, 100).await.unwrap();
    assert_eq!((run.sealed, run.busy), (2, false));
    let first = get(&store, &keys[0].1).await;
    let second = get(&store, &keys[1].1).await;
    let first_seal = first.seal.clone().expect("sealed");
    assert_eq!(first_seal.prev_hash, audit::chain::GENESIS);
    assert_eq!(
        first_seal.hash,
        audit::chain::seal_hash(&audit::chain::GENESIS, &first)
    );
    assert_eq!(first_seal.sealed_at, now);
    assert_eq!(second.seal.unwrap().prev_hash, first_seal.hash);
    // The fourth is complete but waits behind the pending third.
    assert!(get(&store, &keys[3].1).await.seal.is_none());
    assert_eq!(store.audit.unsealed_count().await.unwrap(), 2);

    store
        .audit
        .complete(&keys[2].0, &failed(ago(1)))
        .await
        .unwrap();
    assert_eq!(store.audit.seal(now, 100).await.unwrap().sealed, 2);
    assert_eq!(store.audit.seal(now, 100).await.unwrap().sealed, 0);
    assert_eq!(store.audit.unsealed_count().await.unwrap(), 0);

    let report = proxy_gateway::services::audit::verify(store.audit.as_ref())
        .await
        .unwrap();
    assert!(report.intact, "{report:?}");
    assert_eq!(report.checked, 4);
    assert_eq!(report.first_sequence, Some(keys[0].0.seq));
    assert_eq!(report.last_sequence, Some(keys[3].0.seq));
    let last = get(&store, &keys[3].1).await;
    assert_eq!(report.head_hash, Some(hex::encode(last.seal.unwrap().hash)));
    assert_eq!(report.broken, None);
}

async fn an_empty_log_verifies_intact(store: Store) {
    let report = proxy_gateway::services::audit::verify(store.audit.as_ref())
        .await
        .unwrap();
    assert!(report.intact);
    assert_eq!(
        (
            report.checked,
            report.first_sequence,
            report.head_hash,
            report.unsealed
        ),
        (0, None, None, 0)
    );
    assert_eq!(
        store.audit.seal(api_keys::now(), 10).await.unwrap().sealed,
        0
    );
}

async fn maintenance_keeps_everything_within_retention(store: Store) {
    let new = intent("key_m", "proxy_users.create", ago(60));
    let key = store.audit.record_intent(&new).await.unwrap();
    store
        .audit
        .complete(&key, &succeeded(ago(59)))
        .await
        .unwrap();
    store.audit.seal(api_keys::now(), 10).await.unwrap();
    let done = store.audit.maintain().await.unwrap();
    assert!(
        done.dropped.is_empty() || done.dropped == vec!["0 events".to_string()],
        "{done:?}"
    );
    assert!(store.audit.checkpoint().await.unwrap().is_none());
    assert_eq!(get(&store, &new.id).await.outcome, Outcome::Succeeded);
    let err: Option<StoreError> = store.audit.set_retention_days(30).await.err();
    assert!(err.is_none(), "{err:?}");
}

conformance!(
    an_intent_reads_back_pending_and_is_completed_exactly_once,
    concurrent_intents_and_outcomes_each_reach_their_own_event,
    a_refused_outcome_does_not_fail_the_outcomes_sent_with_it,
    a_completion_cannot_replace_the_resource_ids_the_intent_named,
    abandoned_pending_events_close_as_unknown_and_live_ones_stay,
    listing_is_newest_first_and_every_filter_narrows_it,
    pages_follow_the_cursor_without_gaps_or_repeats,
    sealing_follows_sequence_order_and_waits_for_a_pending_event,
    an_empty_log_verifies_intact,
    maintenance_keeps_everything_within_retention,
);

/// Sealing reads a window of sequence numbers per round (Postgres), starting at the next event
/// that exists: numbers drawn by intents that rolled back, however many, never stall it, and a
/// backlog is sealed a batch at a time in order.
#[tokio::test]
async fn on_postgres_a_wide_gap_of_rolled_back_numbers_does_not_stall_sealing() {
    let url = crate::support::fresh_database_url(crate::support::Db::Postgres).await;
    let store =
        proxy_gateway::store::connect(&proxy_gateway::config::DatabaseUrl::new(url.clone()), 2)
            .await
            .unwrap();
    store.admin.migrate().await.unwrap();
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let mut ids = Vec::new();
    for round in 0..3 {
        for _ in 0..4 {
            let new = intent("key_g", "proxy_users.create", ago(9));
            let key = store.audit.record_intent(&new).await.unwrap();
            store
                .audit
                .complete(&key, &succeeded(ago(8)))
                .await
                .unwrap();
            ids.push(new.id);
        }
        if round < 2 {
            // Fifty numbers no event will ever carry: ten times the window below.
            sqlx::query("SELECT nextval('audit_events_seq') FROM generate_series(1, 50)")
                .execute(&pool)
                .await
                .unwrap();
        }
    }
    let now = api_keys::now();
    let mut sealed = Vec::new();
    for _ in 0..10 {
        let run = store.audit.seal(now, 5).await.unwrap();
        if run.sealed == 0 {
            break;
        }
        sealed.push(run.sealed);
    }
    assert_eq!(
        sealed,
        vec![4, 4, 4],
        "one round per run of events between gaps"
    );
    assert_eq!(store.audit.unsealed_count().await.unwrap(), 0);
    let report = proxy_gateway::services::audit::verify(store.audit.as_ref())
        .await
        .unwrap();
    assert!(report.intact, "{report:?}");
    assert_eq!(report.checked, 12);
    for id in &ids {
        assert!(get(&store, id).await.seal.is_some(), "{id} sealed");
    }
}
