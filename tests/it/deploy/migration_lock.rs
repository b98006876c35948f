//! Several replicas starting at once on one fresh Postgres database (`docker compose up --scale
//! gateway=3`): migrations run under a Postgres advisory lock, so each is applied exactly once
//! and every replica becomes ready.
//!
//! The lock is sqlx's: `Migrator::run` takes `pg_advisory_lock(id)` on its connection before it
//! even creates `_sqlx_migrations`, with `id` derived from the database name (sqlx-postgres
//! `migrate.rs`, `generate_lock_id`). The second test holds that very lock to show the gateway
//! waits for it, so a change in sqlx that dropped or moved the lock fails here.

use std::time::Duration;

use nix::sys::signal::Signal;
use sqlx::{Connection, PgConnection};

use crate::support::{binary, fresh_postgres_url, http_client, temp_dir};

fn replica(database_url: &str, token: &str) -> tokio::process::Command {
    let mut cmd = binary::command(&temp_dir());
    cmd.env("PGW_LISTEN", "127.0.0.1:0")
        .env("PGW_DATABASE_URL", database_url)
        .env("PGW_BOOTSTRAP_ADMIN_KEY", token)
        .env("PGW_SANDBOX", "false");
    cmd
}

async fn assert_ready_and_serving(addr: &str, token: &str) {
    let client = http_client();
    let ready = client
        .get(format!("http://{addr}/readyz"))
        .send()
        .await
        .unwrap();
    assert_eq!(ready.status(), 200, "{addr} is ready");
    let keys: serde_json::Value = client
        .get(format!("http://{addr}/v1/api-keys"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        keys["data"].as_array().map(Vec::len),
        Some(1),
        "one admin key, whichever replica created it: {keys}"
    );
}

/// `(version, success)` of every applied migration, in order.
async fn applied(database_url: &str) -> Vec<(i64, bool)> {
    let mut conn = PgConnection::connect(database_url).await.unwrap();
    let rows = sqlx::query_as("SELECT version, success FROM _sqlx_migrations ORDER BY version")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let _ = conn.close().await;
    rows
}

fn known_migrations() -> Vec<(i64, bool)> {
    proxy_gateway::store::postgres::MIGRATOR
        .iter()
        .map(|m| (m.version, true))
        .collect()
}

#[tokio::test]
async fn replicas_started_together_on_a_fresh_database_all_become_ready() {
    let database_url = fresh_postgres_url().await;
    let token = proxy_gateway::domain::api_keys::Token::generate()
        .expose()
        .to_string();
    let (mut a, mut b, mut c) = tokio::join!(
        binary::serve(replica(&database_url, &token)),
        binary::serve(replica(&database_url, &token)),
        binary::serve(replica(&database_url, &token)),
    );
    for served in [&a, &b, &c] {
        assert_ready_and_serving(&served.addr, &token).await;
    }
    assert_eq!(
        applied(&database_url).await,
        known_migrations(),
        "each migration applied exactly once, all successfully"
    );
    for served in [&mut a, &mut b, &mut c] {
        binary::signal(&served.child, Signal::SIGTERM);
        assert!(served.child.wait().await.unwrap().success());
    }
}

#[tokio::test]
async fn replicas_started_together_without_a_configured_key_create_and_print_one_admin_key() {
    let database_url = fresh_postgres_url().await;
    let start = || {
        let mut cmd = replica(&database_url, "");
        cmd.env_remove("PGW_BOOTSTRAP_ADMIN_KEY");
        binary::serve(cmd)
    };
    let (mut a, mut b, mut c) = tokio::join!(start(), start(), start());
    // The key each replica printed, if it printed one (the banner shows it twice: alone and in
    // a curl example).
    let printed: Vec<String> = [&a, &b, &c]
        .iter()
        .filter_map(|served| {
            served.stderr_lines.iter().find_map(|line| {
                line.split_whitespace()
                    .find(|word| word.starts_with("pgw_") && word.len() >= 36)
                    .map(str::to_string)
            })
        })
        .collect();
    assert_eq!(
        printed.len(),
        1,
        "exactly one replica prints a key: {printed:?}"
    );
    for served in [&a, &b, &c] {
        assert_ready_and_serving(&served.addr, &printed[0]).await;
    }
    for served in [&mut a, &mut b, &mut c] {
        binary::signal(&served.child, Signal::SIGTERM);
        assert!(served.child.wait().await.unwrap().success());
    }
}

/// CRC-32 (ISO-HDLC, the zlib one), as sqlx uses for the lock id.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &byte in bytes {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// sqlx-postgres's migration lock id for a database.
fn sqlx_migration_lock_id(database: &str) -> i64 {
    0x3d32_ad9e * i64::from(crc32(database.as_bytes()))
}

#[test]
fn the_crc_is_the_standard_one() {
    assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
}

#[tokio::test]
async fn migrations_wait_for_the_advisory_lock() {
    let database_url = fresh_postgres_url().await;
    let database = database_url.rsplit('/').next().unwrap().to_string();
    let lock_id = sqlx_migration_lock_id(&database);
    let mut holder = PgConnection::connect(&database_url).await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(lock_id)
        .execute(&mut holder)
        .await
        .unwrap();

    let token = proxy_gateway::domain::api_keys::Token::generate()
        .expose()
        .to_string();
    let starting = tokio::spawn(binary::serve(replica(&database_url, &token)));

    // While another session holds the lock, the gateway waits for it: nothing is migrated and
    // it does not listen; Postgres shows its lock request waiting.
    let mut waiting = 0i64;
    for _ in 0..50 {
        waiting = sqlx::query_scalar(
            "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database \
             WHERE l.locktype = 'advisory' AND NOT l.granted AND d.datname = $1",
        )
        .bind(&database)
        .fetch_one(&mut holder)
        .await
        .unwrap();
        if waiting > 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(waiting, 1, "the gateway waits on the migration lock");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !starting.is_finished(),
        "not listening while the lock is held"
    );
    let table: Option<String> = sqlx::query_scalar("SELECT to_regclass('_sqlx_migrations')::text")
        .fetch_one(&mut holder)
        .await
        .unwrap();
    assert_eq!(table, None, "nothing migrated while the lock is held");

    sqlx::query("SELECT pg_advisory_unlock($1)")
        .bind(lock_id)
        .execute(&mut holder)
        .await
        .unwrap();
    let mut served = tokio::time::timeout(Duration::from_secs(60), starting)
        .await
        .expect("starts once the lock is released")
        .unwrap();
    assert_ready_and_serving(&served.addr, &token).await;
    assert_eq!(applied(&database_url).await, known_migrations());
    let _ = holder.close().await;
    binary::signal(&served.child, Signal::SIGTERM);
    assert!(served.child.wait().await.unwrap().success());
}

/// The start-up race the replicas test can only hit by chance, made likely: several replicas
/// find the store empty at once and import the same PGW_BOOTSTRAP_ADMIN_KEY.
#[tokio::test]
async fn replicas_importing_the_same_bootstrap_key_at_once_all_succeed() {
    let store = crate::support::fresh_store(crate::support::Db::Postgres).await;
    let token = proxy_gateway::domain::api_keys::Token::generate()
        .expose()
        .to_string();
    let env: std::collections::BTreeMap<String, String> =
        [("PGW_BOOTSTRAP_ADMIN_KEY".to_string(), token.clone())].into();
    let config = proxy_gateway::config::Config::from_sources(
        None,
        &env,
        &proxy_gateway::providers::registry::specs(),
    )
    .unwrap();
    let starts = futures::future::join_all(
        (0..4).map(|_| proxy_gateway::app::bootstrap_admin_key(&store, &config)),
    )
    .await;
    for started in starts {
        assert!(matches!(started, Ok(None)), "{started:?}");
    }
    assert_eq!(store.api_keys.count().await.unwrap(), 1);
    let principal =
        proxy_gateway::services::api_keys::authenticate(store.api_keys.as_ref(), &token).await;
    assert!(principal.is_ok(), "the configured key works");
}
