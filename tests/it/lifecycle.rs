//! The real binary: first start with no settings, graceful shutdown, configuration errors and
//! the `keys` commands.

use std::time::Duration;

use nix::sys::signal::Signal;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::support::{binary, temp_dir};

#[tokio::test]
async fn a_fresh_start_with_no_settings_uses_embedded_sqlite_and_prints_a_working_admin_key() {
    let dir = temp_dir();
    let mut cmd = binary::command(&dir);
    cmd.env("PGW_LISTEN", "127.0.0.1:0");
    let mut served = binary::serve(cmd).await;
    let printed = served.stderr_lines.join("");
    let token = printed
        .split_whitespace()
        .find(|w| w.starts_with("pgw_"))
        .expect("the admin key is printed")
        .to_string();
    assert!(
        dir.join("data/proxy-gateway.db").exists(),
        "default SQLite file created"
    );
    let client = crate::support::http_client();
    let response = client
        .get(format!("http://{}/v1/api-keys", served.addr))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    // No provider account is configured: sandbox mode serves both simulated providers.
    assert!(printed.contains("SANDBOX MODE"), "{printed}");
    let users: serde_json::Value = client
        .get(format!("http://{}/v1/proxy-users?limit=200", served.addr))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let accounts: Vec<&str> = users["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["account"].as_str().unwrap())
        .collect();
    assert!(
        accounts.contains(&"911proxy") && accounts.contains(&"helodata"),
        "{accounts:?}"
    );

    binary::signal(&served.child, Signal::SIGTERM);
    let status = served.child.wait().await.unwrap();
    assert!(status.success(), "{status:?}");

    // A second start finds the key and prints none.
    let mut cmd = binary::command(&dir);
    cmd.env("PGW_LISTEN", "127.0.0.1:0");
    let mut again = binary::serve(cmd).await;
    assert!(
        !again.stderr_lines.join("").contains("pgw_"),
        "the key is printed only once"
    );
    let response = client
        .get(format!("http://{}/v1/api-keys", again.addr))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    binary::signal(&again.child, Signal::SIGINT);
    assert!(again.child.wait().await.unwrap().success());
}

#[tokio::test]
async fn sigterm_lets_the_in_flight_request_finish_and_exits_zero() {
    let dir = temp_dir();
    let token = proxy_gateway::domain::api_keys::Token::generate()
        .expose()
        .to_string();
    let mut cmd = binary::command(&dir);
    cmd.env("PGW_LISTEN", "127.0.0.1:0")
        .env("PGW_BOOTSTRAP_ADMIN_KEY", &token)
        .env("PGW_SHUTDOWN_GRACE_SECS", "20");
    let mut served = binary::serve(cmd).await;

    // A slow request: headers and half the body now, the rest after SIGTERM.
    let body = br#"{"name":"created-during-shutdown","scopes":["read"]}"#;
    let (first, rest) = body.split_at(body.len() / 2);
    let mut stream = tokio::net::TcpStream::connect(&served.addr).await.unwrap();
    let head = format!(
        "POST /v1/api-keys HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        served.addr,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first).await.unwrap();
    stream.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;

    binary::signal(&served.child, Signal::SIGTERM);
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        served.child.try_wait().unwrap().is_none(),
        "still running while a request is in flight"
    );
    assert!(
        tokio::net::TcpStream::connect(&served.addr).await.is_err(),
        "no new connections after SIGTERM"
    );

    stream.write_all(rest).await.unwrap();
    let mut response = String::new();
    tokio::time::timeout(
        Duration::from_secs(10),
        stream.read_to_string(&mut response),
    )
    .await
    .expect("response within 10 s")
    .unwrap();
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");
    assert!(response.contains("created-during-shutdown"));

    let status = tokio::time::timeout(Duration::from_secs(10), served.child.wait())
        .await
        .expect("exits after the request")
        .unwrap();
    assert_eq!(status.code(), Some(0));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let log = served.later_stderr.lock().unwrap().clone();
    assert!(log.contains("shutting down"), "{log}");
    assert!(!log.contains(&token), "the token is never logged");
}

#[tokio::test]
async fn a_bad_setting_stops_the_process_with_one_line_naming_it() {
    let dir = temp_dir();
    let output = binary::command(&dir)
        .env("PGW_LISTEN", "localhost")
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert_eq!(
        stderr,
        "proxy-gateway: invalid setting PGW_LISTEN: 'localhost': expected HOST:PORT, e.g. 127.0.0.1:8080\n"
    );

    let output = binary::command(&dir)
        .env("PGW_LOG_FORMAT", "xml")
        .output()
        .await
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    assert!(
        String::from_utf8(output.stderr)
            .unwrap()
            .contains("PGW_LOG_FORMAT: 'xml': expected text or json")
    );
}

#[tokio::test]
async fn help_explains_every_setting() {
    let output = binary::command(&temp_dir())
        .arg("--help")
        .output()
        .await
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    for setting in proxy_gateway::config::all_settings(&proxy_gateway::providers::registry::specs())
    {
        assert!(help.contains(setting.env), "--help lacks {}", setting.env);
    }
    for word in ["serve", "migrate", "keys", "simulate", "openapi"] {
        assert!(help.contains(word), "--help lacks {word}");
    }
}

#[tokio::test]
async fn keys_commands_create_list_and_revoke_against_the_store() {
    let dir = temp_dir();
    let db = format!("sqlite://{}/keys.db", dir.display());
    let run = |args: &[&str]| {
        let mut cmd = binary::command(&dir);
        cmd.env("PGW_DATABASE_URL", &db).args(args);
        cmd
    };
    let created = run(&[
        "keys",
        "create",
        "--name",
        "ci-bot",
        "--scopes",
        "read,write",
    ])
    .output()
    .await
    .unwrap();
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    let token = String::from_utf8(created.stdout)
        .unwrap()
        .trim()
        .to_string();
    assert!(token.starts_with("pgw_"), "{token}");
    let id = String::from_utf8(created.stderr)
        .unwrap()
        .split_whitespace()
        .find(|w| w.starts_with("key_"))
        .unwrap()
        .to_string();

    let listed = String::from_utf8(run(&["keys", "list"]).output().await.unwrap().stdout).unwrap();
    let line = listed.lines().find(|l| l.starts_with(&id)).expect("listed");
    assert!(
        line.contains("active") && line.contains("read,write") && line.ends_with("ci-bot"),
        "{line}"
    );
    assert!(!listed.contains(&token), "tokens are never listed");

    let bad = run(&["keys", "create", "--name", "x", "--scopes", "root"])
        .output()
        .await
        .unwrap();
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        String::from_utf8(bad.stderr)
            .unwrap()
            .contains("unknown scope 'root'")
    );

    let revoked = run(&["keys", "revoke", &id]).output().await.unwrap();
    assert!(revoked.status.success());
    let listed = String::from_utf8(run(&["keys", "list"]).output().await.unwrap().stdout).unwrap();
    assert!(
        listed
            .lines()
            .any(|l| l.starts_with(&id) && l.contains("revoked"))
    );

    // The gateway on the same store refuses the revoked key.
    let mut cmd = run(&["serve"]);
    cmd.env("PGW_LISTEN", "127.0.0.1:0");
    let mut served = binary::serve(cmd).await;
    let status = crate::support::http_client()
        .get(format!("http://{}/v1/api-keys", served.addr))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, 401);
    binary::signal(&served.child, Signal::SIGTERM);
    assert!(served.child.wait().await.unwrap().success());
}

#[tokio::test]
async fn migrate_applies_migrations_and_exits() {
    let dir = temp_dir();
    let output = binary::command(&dir).arg("migrate").output().await.unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(dir.join("data/proxy-gateway.db").exists());
}
