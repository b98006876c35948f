//! `proxy-gateway healthcheck`, the container's HEALTHCHECK: exit 0 only while `/readyz`
//! answers 200, found from `PGW_LISTEN` as the container sets it (0.0.0.0).

use std::process::Output;
use std::time::Duration;

use nix::sys::signal::Signal;
use sqlx::Connection;

use super::free_port;
use crate::support::{binary, fresh_postgres_url, temp_dir};

async fn healthcheck(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = binary::command(&temp_dir());
    cmd.arg("healthcheck").args(args);
    for (k, v) in env {
        cmd.env(k, v);
    }
    tokio::time::timeout(Duration::from_secs(20), cmd.output())
        .await
        .expect("the health check gives up on its own")
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn it_passes_while_ready_and_fails_when_not_ready_or_gone() {
    let database_url = fresh_postgres_url().await;
    let listen = format!("0.0.0.0:{}", free_port());
    let env = [
        ("PGW_LISTEN", listen.as_str()),
        ("PGW_DATABASE_URL", database_url.as_str()),
        ("PGW_SANDBOX", "false"),
    ];
    let mut cmd = binary::command(&temp_dir());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut served = binary::serve(cmd).await;
    let port = listen.rsplit(':').next().unwrap();

    let ok = healthcheck(&env, &[]).await;
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));
    assert_eq!(
        text(&ok.stdout),
        format!("ready (http://127.0.0.1:{port}/readyz)\n")
    );

    // A route that is not 200 is not ready.
    let url = format!("http://127.0.0.1:{port}/no-such-probe");
    let wrong = healthcheck(&[], &["--url", &url]).await;
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        text(&wrong.stderr).contains("answered 404"),
        "{}",
        text(&wrong.stderr)
    );

    // /readyz answers 503 when the store lacks a migration this binary knows.
    let mut conn = sqlx::PgConnection::connect(&database_url).await.unwrap();
    sqlx::query(
        "DELETE FROM _sqlx_migrations WHERE version = (SELECT max(version) FROM _sqlx_migrations)",
    )
    .execute(&mut conn)
    .await
    .unwrap();
    let unready = healthcheck(&env, &[]).await;
    assert_eq!(unready.status.code(), Some(1));
    assert!(
        text(&unready.stderr).contains("answered 503 Service Unavailable"),
        "{}",
        text(&unready.stderr)
    );
    let _ = conn.close().await;

    binary::signal(&served.child, Signal::SIGTERM);
    assert!(served.child.wait().await.unwrap().success());
    let gone = healthcheck(&env, &["--timeout-secs", "2"]).await;
    assert_eq!(gone.status.code(), Some(1));
    assert!(
        text(&gone.stderr).starts_with("proxy-gateway: not ready: http://127.0.0.1:"),
        "{}",
        text(&gone.stderr)
    );
}

#[tokio::test]
async fn it_refuses_a_listen_port_it_cannot_know() {
    let output = healthcheck(&[("PGW_LISTEN", "0.0.0.0:0")], &[]).await;
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        text(&output.stderr),
        "proxy-gateway: PGW_LISTEN has port 0, so the port is not known: pass --url\n"
    );
}
