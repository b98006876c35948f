//! Append-only is the database's rule, not the application's convention: UPDATE and DELETE
//! through the application's own connection are refused, and with a separate migration role
//! the serving role holds nothing beyond INSERT, SELECT and the completion of pending events.

use reqwest::Method;
use serde_json::Value;
use sqlx::Connection;

use super::{FAST_SEALING, event_of_request, request_id, sealed_report};
use crate::support::{Db, TestApp, spawn_app_with, test_database_url};

/// Makes one audited write and waits until it is sealed; returns its event.
async fn one_sealed_event(app: &TestApp) -> Value {
    let rid = request_id();
    let response = app
        .admin(Method::POST, "/v1/api-keys")
        .header("X-Request-Id", &rid)
        .json(&serde_json::json!({"name": "audited", "scopes": ["read"]}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 201);
    let report = sealed_report(app).await;
    assert_eq!(report["intact"], true);
    event_of_request(app, &rid).await
}

fn refused(result: Result<impl std::fmt::Debug, sqlx::Error>, expected: &str, sql: &str) {
    match result {
        Ok(done) => panic!("`{sql}` was accepted: {done:?}"),
        Err(err) => assert!(
            err.to_string().contains(expected),
            "`{sql}` failed with {err}, not `{expected}`"
        ),
    }
}

#[tokio::test]
async fn update_and_delete_of_a_completed_event_are_refused_on_postgres() {
    let app = spawn_app_with(Db::Postgres, &[FAST_SEALING]).await;
    let event = one_sealed_event(&app).await;
    let id = event["id"].as_str().unwrap();
    let pool = sqlx::PgPool::connect(&app.database_url).await.unwrap();
    for sql in [
        "UPDATE audit_events SET status = 200 WHERE id = $1",
        "UPDATE audit_events SET outcome = 'failed' WHERE id = $1",
        "UPDATE audit_events SET outcome = 'pending', status = NULL WHERE id = $1",
        "DELETE FROM audit_events WHERE id = $1",
        "UPDATE audit_seals SET hash = prev_hash WHERE event_id = $1",
        "DELETE FROM audit_seals WHERE event_id = $1",
        "UPDATE audit_outcomes SET status = 200 WHERE seq = (SELECT seq FROM audit_events WHERE id = $1)",
        "DELETE FROM audit_outcomes WHERE seq = (SELECT seq FROM audit_events WHERE id = $1)",
    ] {
        let result = sqlx::query(sql).bind(id).execute(&pool).await;
        refused(result, "is append-only", sql);
    }
    // A second outcome of the same event: its primary key refuses it.
    refused(
        sqlx::query(
            "INSERT INTO audit_outcomes (seq, occurred_at, outcome, completed_at)
             SELECT seq, occurred_at, 'failed', now() FROM audit_events WHERE id = $1",
        )
        .bind(id)
        .execute(&pool)
        .await,
        "duplicate key",
        "a second outcome",
    );
    for sql in [
        "TRUNCATE audit_events",
        "TRUNCATE audit_seals",
        "TRUNCATE audit_outcomes",
    ] {
        refused(
            sqlx::query(sql).execute(&pool).await,
            "is append-only: TRUNCATE is refused",
            sql,
        );
    }
    let partition: String = sqlx::query_scalar(
        "SELECT c.relname::text FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
         WHERE i.inhparent = 'audit_events'::regclass ORDER BY 1 LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    let truncate = format!("TRUNCATE {partition}");
    refused(
        sqlx::query(sqlx::AssertSqlSafe(truncate.clone()))
            .execute(&pool)
            .await,
        "is append-only: TRUNCATE is refused",
        &truncate,
    );
    let after = event_of_request(&app, event["request_id"].as_str().unwrap()).await;
    assert_eq!(after, event, "the event is unchanged");
}

#[tokio::test]
async fn update_and_delete_of_a_completed_event_are_refused_on_sqlite() {
    let app = spawn_app_with(Db::Sqlite, &[FAST_SEALING]).await;
    let event = one_sealed_event(&app).await;
    let id = event["id"].as_str().unwrap();
    let pool = sqlx::SqlitePool::connect(&app.database_url).await.unwrap();
    for sql in [
        "UPDATE audit_events SET status = 200 WHERE id = ?",
        "UPDATE audit_events SET outcome = 'failed' WHERE id = ?",
        "UPDATE audit_events SET outcome = 'pending', status = NULL WHERE id = ?",
        "DELETE FROM audit_events WHERE id = ?",
        "UPDATE audit_seals SET hash = prev_hash WHERE event_id = ?",
        "DELETE FROM audit_seals WHERE event_id = ?",
    ] {
        let result = sqlx::query(sql).bind(id).execute(&pool).await;
        refused(result, "is append-only", sql);
    }
    refused(
        sqlx::query("DELETE FROM audit_policy").execute(&pool).await,
        "audit_policy cannot be deleted",
        "DELETE FROM audit_policy",
    );
    let after = event_of_request(&app, event["request_id"].as_str().unwrap()).await;
    assert_eq!(after, event, "the event is unchanged");
}

/// `postgres://ROLE@HOST/DB` on the test server.
fn url_as(role: &str, db: &str) -> String {
    let base = test_database_url();
    let (scheme, rest) = base.split_once("://").unwrap();
    let host_and_path = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host = host_and_path.split('/').next().unwrap();
    format!("{scheme}://{role}@{host}/{db}")
}

#[tokio::test]
async fn a_serving_role_that_owns_nothing_may_only_append_read_and_complete() {
    let suffix = ulid::Ulid::generate().to_string().to_lowercase();
    let (owner, serving, db) = (
        format!("pgw_owner_{suffix}"),
        format!("pgw_serving_{suffix}"),
        format!("pgw_t_roles_{suffix}"),
    );
    let mut admin = sqlx::PgConnection::connect(&test_database_url())
        .await
        .unwrap();
    for sql in [
        format!("CREATE ROLE \"{owner}\" LOGIN"),
        format!("CREATE ROLE \"{serving}\" LOGIN"),
        format!("CREATE DATABASE \"{db}\" OWNER \"{owner}\""),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    let serving_url = url_as(&serving, &db);
    let owner_url = url_as(&owner, &db);
    let settings = [
        ("PGW_DATABASE_URL", serving_url.as_str()),
        ("PGW_MIGRATE_DATABASE_URL", owner_url.as_str()),
        FAST_SEALING,
    ];
    // Replicas starting together: migrations, grants and maintenance must not collide.
    let config = proxy_gateway::config::Config::from_sources(
        None,
        &settings
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        &proxy_gateway::providers::registry::specs(),
    )
    .unwrap();
    let (a, b) = tokio::join!(
        proxy_gateway::app::open_store(&config),
        proxy_gateway::app::open_store(&config)
    );
    a.unwrap().admin.close().await;
    b.unwrap().admin.close().await;
    let app = spawn_app_with(Db::Postgres, &settings).await;
    // The gateway works: the intent is appended, completed, sealed by the serving role.
    let event = one_sealed_event(&app).await;
    assert_eq!(event["outcome"], "succeeded");
    assert_eq!(event["seal"]["hash"].as_str().unwrap().len(), 64);

    let pool = sqlx::PgPool::connect(&serving_url).await.unwrap();
    let id = event["id"].as_str().unwrap();
    for (sql, expected) in [
        (
            "DELETE FROM audit_events WHERE id = $1",
            "permission denied",
        ),
        (
            "UPDATE audit_events SET operation = 'x' WHERE id = $1",
            "permission denied",
        ),
        (
            "UPDATE audit_events SET status = 200 WHERE id = $1",
            "permission denied",
        ),
        (
            "UPDATE audit_outcomes SET status = 200 WHERE seq = (SELECT seq FROM audit_events WHERE id = $1)",
            "permission denied",
        ),
        (
            "DELETE FROM audit_outcomes WHERE seq = (SELECT seq FROM audit_events WHERE id = $1)",
            "permission denied",
        ),
        (
            "DELETE FROM audit_seals WHERE event_id = $1",
            "permission denied",
        ),
        (
            "UPDATE audit_seals SET hash = prev_hash WHERE event_id = $1",
            "permission denied",
        ),
    ] {
        refused(
            sqlx::query(sql).bind(id).execute(&pool).await,
            expected,
            sql,
        );
    }
    for (sql, expected) in [
        ("TRUNCATE audit_events", "permission denied"),
        (
            "ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only",
            "must be owner",
        ),
        ("DROP TABLE audit_events", "must be owner"),
        (
            "UPDATE audit_policy SET retention_days = 1",
            "permission denied",
        ),
        (
            "INSERT INTO audit_checkpoints (through_seq, hash, reason) VALUES (999, '\\x00', 'x')",
            "permission denied",
        ),
        (
            "SELECT audit_grant_serving(current_user)",
            "permission denied",
        ),
    ] {
        refused(sqlx::query(sql).execute(&pool).await, expected, sql);
    }
    // What it needs it has: maintenance runs as the owner on its behalf.
    let maintained: Vec<(String, String)> =
        sqlx::query_as("SELECT done, partition_name FROM audit_maintain()")
            .fetch_all(&pool)
            .await
            .unwrap();
    assert!(
        maintained.is_empty(),
        "partitions already exist: {maintained:?}"
    );
    let owner_of: String = sqlx::query_scalar(
        "SELECT tableowner::text FROM pg_tables WHERE tablename = 'audit_events'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(owner_of, owner);

    pool.close().await;
    drop(app);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    for sql in [
        format!("DROP DATABASE \"{db}\" WITH (FORCE)"),
        format!("DROP ROLE \"{serving}\""),
        format!("DROP ROLE \"{owner}\""),
    ] {
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}
