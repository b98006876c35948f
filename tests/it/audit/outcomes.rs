//! Migration 0006 on a log written before it: the outcome used to be written into the event's
//! own row; now it is a row of `audit_outcomes` and every read goes through the `audit_log`
//! view. Events completed the old way read as they did, an event left pending completes the
//! new way (once), and the chain seals and verifies over both.

use proxy_gateway::config::DatabaseUrl;
use proxy_gateway::domain::api_keys;
use proxy_gateway::domain::audit::{self, AuditFilter, Completion, NewAuditEvent, Outcome};
use proxy_gateway::store;
use time::{Duration, OffsetDateTime};

use crate::support::{fresh_postgres_url, temp_dir};

fn intent(at: OffsetDateTime, n: usize, resource_ids: Vec<String>) -> NewAuditEvent {
    NewAuditEvent {
        id: audit::new_event_id(at),
        occurred_at: at,
        request_id: format!("before-0006-{n}"),
        actor_key_id: Some("key_old".to_string()),
        actor_key_name: Some("old".to_string()),
        client_addr: None,
        method: "POST".to_string(),
        route: "/v1/proxy-users".to_string(),
        operation: "proxy_users.create".to_string(),
        provider: Some("911proxy".to_string()),
        account: Some("911proxy".to_string()),
        resource_type: Some("proxy_user".to_string()),
        resource_ids,
        idempotency_key: None,
        request_summary: None,
    }
}

#[tokio::test]
async fn events_completed_before_the_outcomes_table_read_seal_and_verify_with_new_ones() {
    let url = fresh_postgres_url().await;
    // The schema as a gateway before migration 0006 left it.
    let dir = temp_dir();
    let source = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres");
    for entry in std::fs::read_dir(source).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        if name.as_str() < "0006" {
            std::fs::copy(entry.path(), dir.join(&name)).unwrap();
        }
    }
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::migrate::Migrator::new(dir.as_path())
        .await
        .unwrap()
        .run(&pool)
        .await
        .unwrap();
    let store = store::connect(&DatabaseUrl::new(url.clone()), 5)
        .await
        .unwrap();
    // Intents are written as before 0006; completions the old way, into the event's row.
    let at = api_keys::now() - Duration::minutes(5);
    let mut keys = Vec::new();
    for n in 0..3 {
        let at = at + Duration::seconds(n as i64);
        let key = store
            .audit
            .record_intent(&intent(at, n, Vec::new()))
            .await
            .unwrap();
        keys.push(key);
    }
    for (n, key) in keys.iter().take(2).enumerate() {
        let done = sqlx::query(
            "UPDATE audit_events SET outcome = 'succeeded', status = 201, completed_at = $3,
                 resource_ids = ARRAY[$4], idempotency_replayed = false, duration_us = 900
             WHERE occurred_at = $1 AND seq = $2 AND outcome = 'pending'",
        )
        .bind(key.occurred_at)
        .bind(key.seq)
        .bind(key.occurred_at + Duration::milliseconds(5))
        .bind(format!("911proxy:old{n}"))
        .execute(&pool)
        .await
        .unwrap();
        assert_eq!(done.rows_affected(), 1);
    }

    store.admin.migrate().await.unwrap();

    let events = store
        .audit
        .list(&AuditFilter::default(), None, 10)
        .await
        .unwrap();
    assert_eq!(events.len(), 3);
    let old = events.iter().find(|e| e.seq == keys[0].seq).unwrap();
    assert_eq!(
        (
            old.outcome,
            old.status,
            old.duration_us,
            old.idempotency_replayed
        ),
        (Outcome::Succeeded, Some(201), Some(900), Some(false))
    );
    assert_eq!(old.intent.resource_ids, vec!["911proxy:old0".to_string()]);
    let pending = events.iter().find(|e| e.seq == keys[2].seq).unwrap();
    assert_eq!(pending.outcome, Outcome::Pending);

    // An event completed before cannot take an outcome row; the pending one takes one, once.
    let completion = Completion {
        outcome: Outcome::Succeeded,
        status: Some(201),
        resource_ids: Some(vec!["911proxy:new2".to_string()]),
        completed_at: api_keys::now(),
        ..Completion::abandoned(api_keys::now())
    };
    assert!(!store.audit.complete(&keys[0], &completion).await.unwrap());
    assert!(store.audit.complete(&keys[2], &completion).await.unwrap());
    assert!(!store.audit.complete(&keys[2], &completion).await.unwrap());
    let outcome_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_outcomes")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(outcome_rows, 1);

    // Filters see both kinds: the old completion's id and the new one's.
    for (resource, seq) in [
        ("911proxy:old1", keys[1].seq),
        ("911proxy:new2", keys[2].seq),
    ] {
        let filter = AuditFilter {
            resource_id: Some(resource.to_string()),
            ..AuditFilter::default()
        };
        let found = store.audit.list(&filter, None, 10).await.unwrap();
        assert_eq!(
            found.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![seq],
            "{resource}"
        );
    }
    let failed = AuditFilter {
        outcome: Some(Outcome::Pending),
        ..AuditFilter::default()
    };
    assert!(
        store
            .audit
            .list(&failed, None, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Even an outcome row written around the gateway cannot replace the ids an intent named:
    // the view shows the intent's.
    let named = intent(api_keys::now(), 9, vec!["911proxy:mine".to_string()]);
    let key = store.audit.record_intent(&named).await.unwrap();
    sqlx::query(
        "INSERT INTO audit_outcomes (seq, occurred_at, outcome, completed_at, resource_ids)
         VALUES ($1, $2, 'succeeded', now(), ARRAY['911proxy:other'])",
    )
    .bind(key.seq)
    .bind(key.occurred_at)
    .execute(&pool)
    .await
    .unwrap();
    let shown = store.audit.get(&named.id).await.unwrap().unwrap();
    assert_eq!(shown.outcome, Outcome::Succeeded);
    assert_eq!(shown.intent.resource_ids, vec!["911proxy:mine".to_string()]);

    // The sweep finds nothing left pending, and the chain covers all four.
    assert_eq!(
        store
            .audit
            .complete_abandoned(api_keys::now(), api_keys::now())
            .await
            .unwrap(),
        0
    );
    store.audit.seal(api_keys::now(), 100).await.unwrap();
    let report = proxy_gateway::services::audit::verify(store.audit.as_ref())
        .await
        .unwrap();
    assert!(report.intact, "{report:?}");
    assert_eq!(report.checked, 4);
    pool.close().await;
    store.admin.close().await;
}
