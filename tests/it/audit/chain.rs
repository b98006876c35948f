//! The hash chain: verification (API and `proxy-gateway audit verify`) on an intact log and
//! after an event is altered with the triggers bypassed, several replicas sealing one chain,
//! and retention cutting the chain without breaking it.

use proxy_gateway::config::DatabaseUrl;
use proxy_gateway::domain::api_keys;
use proxy_gateway::domain::audit::{self, Completion, NewAuditEvent, Outcome};
use proxy_gateway::store::{self, Store};
use reqwest::Method;
use serde_json::Value;
use time::{Duration, OffsetDateTime};

use super::{FAST_SEALING, events, sealed_report, store_of};
use crate::support::{Db, TestApp, binary, fresh_database_url, spawn_app_with, temp_dir};

async fn create_keys(app: &TestApp, n: usize) {
    for i in 0..n {
        let response = app
            .admin(Method::POST, "/v1/api-keys")
            .json(&serde_json::json!({"name": format!("chain-{i}"), "scopes": ["read"]}))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
    }
}

async fn verify_over_http(app: &TestApp) -> Value {
    let response = app
        .admin(Method::GET, "/v1/audit-events/verify")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// `proxy-gateway audit verify` against the app's database: exit code, stdout, stderr.
async fn verify_with_the_binary(app: &TestApp) -> (Option<i32>, String, String) {
    let output = binary::command(&temp_dir())
        .env("PGW_DATABASE_URL", &app.database_url)
        .args(["audit", "verify"])
        .output()
        .await
        .unwrap();
    (
        output.status.code(),
        String::from_utf8(output.stdout).unwrap(),
        String::from_utf8(output.stderr).unwrap(),
    )
}

/// Changes a completed event's status behind the triggers' back, as only someone with direct
/// database access could.
async fn alter_bypassing_the_triggers(db: Db, app: &TestApp, seq: i64) {
    match db {
        Db::Postgres => {
            let mut conn = sqlx::pool::PoolOptions::<sqlx::Postgres>::new()
                .max_connections(1)
                .connect(&app.database_url)
                .await
                .unwrap()
                .acquire()
                .await
                .unwrap()
                .detach();
            sqlx::raw_sql("SET session_replication_role = replica")
                .execute(&mut conn)
                .await
                .unwrap();
            // On Postgres the outcome is a row of audit_outcomes (migration 0006).
            let done = sqlx::query("UPDATE audit_outcomes SET status = 200 WHERE seq = $1")
                .bind(seq)
                .execute(&mut conn)
                .await
                .unwrap();
            assert_eq!(done.rows_affected(), 1);
        }
        Db::Sqlite => {
            let pool = sqlx::SqlitePool::connect(&app.database_url).await.unwrap();
            sqlx::raw_sql("DROP TRIGGER audit_events_complete_once")
                .execute(&pool)
                .await
                .unwrap();
            let done = sqlx::query("UPDATE audit_events SET status = 200 WHERE seq = ?")
                .bind(seq)
                .execute(&pool)
                .await
                .unwrap();
            assert_eq!(done.rows_affected(), 1);
        }
    }
}

async fn verify_passes_on_an_intact_log_and_names_the_first_altered_event(db: Db) {
    let app = spawn_app_with(db, &[FAST_SEALING]).await;
    create_keys(&app, 6).await;
    let report = sealed_report(&app).await;
    let all = events(&app, "").await;
    assert_eq!(all.len(), 6);
    let first = all.last().unwrap()["sequence"].as_i64().unwrap();
    let last = all[0]["sequence"].as_i64().unwrap();
    assert_eq!(report["intact"], true, "{report}");
    assert_eq!(report["checked"], 6);
    assert_eq!(report["first_sequence"], first);
    assert_eq!(report["last_sequence"], last);
    assert_eq!(report["head_hash"], all[0]["seal"]["hash"]);
    assert_eq!(report["broken"], Value::Null);
    let (code, stdout, stderr) = verify_with_the_binary(&app).await;
    assert_eq!(code, Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains(&format!(
            "checked 6 sealed events (sequence {first} to {last}); 0 not sealed yet"
        )),
        "{stdout}"
    );
    assert!(stdout.ends_with("audit chain intact\n"), "{stdout}");

    // The third event is altered.
    let target = &all[3];
    let seq = target["sequence"].as_i64().unwrap();
    alter_bypassing_the_triggers(db, &app, seq).await;
    let report = verify_over_http(&app).await;
    assert_eq!(report["intact"], false, "{report}");
    assert_eq!(report["checked"], 2, "the two before it check out");
    assert_eq!(report["broken"]["sequence"], seq);
    assert_eq!(report["broken"]["event_id"], target["id"]);
    assert_eq!(report["broken"]["reason"], "content_mismatch");
    let (code, stdout, stderr) = verify_with_the_binary(&app).await;
    assert_eq!(code, Some(1), "{stdout}");
    assert!(
        stderr.starts_with(&format!(
            "proxy-gateway: audit chain BROKEN at event {} (sequence {seq}): ",
            target["id"].as_str().unwrap()
        )),
        "{stderr}"
    );
}

#[tokio::test]
async fn verify_passes_on_an_intact_log_and_names_the_first_altered_event_on_postgres() {
    verify_passes_on_an_intact_log_and_names_the_first_altered_event(Db::Postgres).await;
}

#[tokio::test]
async fn verify_passes_on_an_intact_log_and_names_the_first_altered_event_on_sqlite() {
    verify_passes_on_an_intact_log_and_names_the_first_altered_event(Db::Sqlite).await;
}

#[tokio::test]
async fn a_deleted_event_breaks_the_link_to_the_next_one() {
    let app = spawn_app_with(Db::Postgres, &[FAST_SEALING]).await;
    create_keys(&app, 4).await;
    sealed_report(&app).await;
    let all = events(&app, "").await;
    let (gone, next) = (&all[2], &all[1]);
    let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
    let mut tx = pool.begin().await.unwrap();
    sqlx::raw_sql("SET LOCAL session_replication_role = replica")
        .execute(&mut *tx)
        .await
        .unwrap();
    for table in ["audit_seals", "audit_outcomes", "audit_events"] {
        let sql = format!("DELETE FROM {table} WHERE seq = $1");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(gone["sequence"].as_i64().unwrap())
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let report = verify_over_http(&app).await;
    assert_eq!(report["intact"], false);
    assert_eq!(report["broken"]["sequence"], next["sequence"]);
    assert_eq!(report["broken"]["reason"], "link_mismatch");
}

#[tokio::test]
async fn two_replicas_sealing_concurrently_build_one_unbroken_chain() {
    let first = spawn_app_with(Db::Postgres, &[("PGW_AUDIT_SEAL_INTERVAL_MS", "50")]).await;
    let second = spawn_app_with(
        Db::Postgres,
        &[
            ("PGW_DATABASE_URL", first.database_url.as_str()),
            ("PGW_BOOTSTRAP_ADMIN_KEY", first.admin_token.as_str()),
            ("PGW_AUDIT_SEAL_INTERVAL_MS", "50"),
        ],
    )
    .await;
    // Writes through both replicas at once, while the test seals from two more handles.
    let store_a = store_of(&first).await;
    let store_b = store_of(&first).await;
    let sealing = |store: Store| {
        tokio::spawn(async move {
            let mut sealed = 0;
            for _ in 0..60 {
                let run = store.audit.seal(api_keys::now(), 7).await.unwrap();
                sealed += run.sealed;
                tokio::time::sleep(std::time::Duration::from_millis(5)).await;
            }
            sealed
        })
    };
    let sealers = [sealing(store_a.clone()), sealing(store_b)];
    let mut writes = Vec::new();
    for app in [&first, &second] {
        for i in 0..40 {
            // Both replicas share the first one's store, and so its admin key.
            let request = app
                .client
                .post(app.url("/v1/api-keys"))
                .bearer_auth(&first.admin_token)
                .json(&serde_json::json!({"name": format!("replica-{i}"), "scopes": ["read"]}));
            writes.push(tokio::spawn(async move {
                request.send().await.unwrap().status()
            }));
        }
    }
    for write in writes {
        assert_eq!(write.await.unwrap(), 201);
    }
    for sealer in sealers {
        sealer.await.unwrap();
    }
    let report = sealed_report(&first).await;
    assert_eq!(report["intact"], true, "{report}");
    assert_eq!(report["checked"], 80);
    let seals: i64 = sqlx::query_scalar("SELECT count(DISTINCT seq) FROM audit_seals")
        .fetch_one(&sqlx::PgPool::connect(&first.database_url).await.unwrap())
        .await
        .unwrap();
    assert_eq!(seals, 80, "every event sealed exactly once");
    let by_second: Value = second
        .client
        .get(second.url("/v1/audit-events/verify"))
        .bearer_auth(&first.admin_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(by_second["head_hash"], report["head_hash"]);
}

fn old_intent(at: OffsetDateTime, n: usize) -> NewAuditEvent {
    NewAuditEvent {
        id: audit::new_event_id(at),
        occurred_at: at,
        request_id: format!("retention-{n}"),
        actor_key_id: Some("key_old".to_string()),
        actor_key_name: Some("old".to_string()),
        client_addr: None,
        method: "POST".to_string(),
        route: "/v1/api-keys".to_string(),
        operation: "api_keys.create".to_string(),
        provider: None,
        account: None,
        resource_type: Some("api_key".to_string()),
        resource_ids: Vec::new(),
        idempotency_key: None,
        request_summary: None,
    }
}

/// Records, completes and seals events at the given times; returns their sequence numbers.
async fn sealed_events(store: &Store, times: &[OffsetDateTime]) -> Vec<i64> {
    let mut seqs = Vec::new();
    for (n, at) in times.iter().enumerate() {
        let key = store
            .audit
            .record_intent(&old_intent(*at, n))
            .await
            .unwrap();
        let completion = Completion {
            outcome: Outcome::Succeeded,
            status: Some(201),
            completed_at: *at,
            ..Completion::abandoned(*at)
        };
        assert!(store.audit.complete(&key, &completion).await.unwrap());
        seqs.push(key.seq);
    }
    store.audit.seal(api_keys::now(), 1000).await.unwrap();
    seqs
}

/// Events 460 days old (their whole month is past a 400-day retention) and recent ones,
/// all sealed; then maintenance. Returns the store, its URL and what maintenance removed.
async fn retention_cuts_the_chain_without_breaking_it(db: Db) -> (String, Vec<String>) {
    let url = fresh_database_url(db).await;
    let store = store::connect(&DatabaseUrl::new(url.clone()), 5)
        .await
        .unwrap();
    store.admin.migrate().await.unwrap();
    let month_start = (OffsetDateTime::now_utc() - Duration::days(460))
        .replace_day(1)
        .unwrap()
        .replace_time(time::Time::MIDNIGHT);
    let old_times: Vec<OffsetDateTime> = (0..3)
        .map(|i| month_start + Duration::days(2) + Duration::hours(i))
        .collect();
    if db == Db::Postgres {
        // Events this old need their month's partition, which maintenance never creates.
        let pool = sqlx::PgPool::connect(&url).await.unwrap();
        sqlx::query("SELECT audit_create_partitions($1)")
            .bind(month_start.date())
            .execute(&pool)
            .await
            .unwrap();
    }
    let old = sealed_events(&store, &old_times).await;
    let recent_times: Vec<OffsetDateTime> = (0..2)
        .map(|i| api_keys::now() - Duration::minutes(10 - i))
        .collect();
    let recent = sealed_events(&store, &recent_times).await;
    let before = proxy_gateway::services::audit::verify(store.audit.as_ref())
        .await
        .unwrap();
    assert!(before.intact, "{before:?}");
    assert_eq!(before.checked, 5);

    store.audit.set_retention_days(400).await.unwrap();
    let done = store.audit.maintain().await.unwrap();
    let after = proxy_gateway::services::audit::verify(store.audit.as_ref())
        .await
        .unwrap();
    assert!(after.intact, "{after:?}");
    assert_eq!(after.checked, 2);
    assert_eq!(after.first_sequence, Some(recent[0]));
    let checkpoint = after.checkpoint.clone().expect("a checkpoint");
    assert_eq!(checkpoint.through_seq, old[2]);
    let left: Vec<i64> = store
        .audit
        .list(&audit::AuditFilter::default(), None, 10)
        .await
        .unwrap()
        .iter()
        .map(|e| e.seq)
        .collect();
    assert_eq!(left, vec![recent[1], recent[0]]);
    // New events keep chaining after the cut.
    let newer = sealed_events(&store, &[api_keys::now()]).await;
    let last = proxy_gateway::services::audit::verify(store.audit.as_ref())
        .await
        .unwrap();
    assert!(last.intact, "{last:?}");
    assert_eq!(last.checked, 3);
    assert_eq!(last.last_sequence, Some(newer[0]));
    // A second run has nothing left to remove.
    let again = store.audit.maintain().await.unwrap();
    assert!(again.dropped.is_empty(), "{again:?}");
    store.admin.close().await;
    (url, done.dropped)
}

#[tokio::test]
async fn retention_drops_whole_monthly_partitions_on_postgres_and_the_chain_still_verifies() {
    let (url, dropped) = retention_cuts_the_chain_without_breaking_it(Db::Postgres).await;
    let month = (OffsetDateTime::now_utc() - Duration::days(460))
        .format(time::macros::format_description!("[year][month]"))
        .unwrap();
    assert_eq!(dropped, vec![format!("audit_events_p{month}")]);
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    for table in ["audit_events", "audit_seals", "audit_outcomes"] {
        let exists: Option<String> = sqlx::query_scalar("SELECT to_regclass($1)::text")
            .bind(format!("{table}_p{month}"))
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(exists, None, "{table}_p{month} is dropped");
    }
}

#[tokio::test]
async fn retention_deletes_the_oldest_events_on_sqlite_and_the_chain_still_verifies() {
    let (_, dropped) = retention_cuts_the_chain_without_breaking_it(Db::Sqlite).await;
    assert_eq!(dropped, vec!["3 events".to_string()]);
}
