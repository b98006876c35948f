//! The one helper every integration test uses: a fresh database (SQLite file or a new Postgres
//! database) and the real application built from a real `Config`, serving on a loopback port.

pub mod alloc;
pub mod binary;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::PathBuf;

use proxy_gateway::app::App;
use proxy_gateway::config::Config;
use proxy_gateway::domain::api_keys::Token;
use proxy_gateway::sim::control::Control;
use proxy_gateway::sim::control::calls::CallRecord;
use proxy_gateway::sim::{self, SimHandle, SimOptions, SimProvider};
use proxy_gateway::store::{self, Store};
use sqlx::Connection;
use tokio::sync::oneshot;

/// Which store a test runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Db {
    Sqlite,
    Postgres,
}

/// The Postgres server tests create their databases on.
pub fn test_database_url() -> String {
    std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_string())
}

/// A new, empty Postgres database; fails the test loudly when Postgres is unreachable.
pub async fn fresh_postgres_url() -> String {
    let admin_url = test_database_url();
    let mut conn = sqlx::PgConnection::connect(&admin_url)
        .await
        .unwrap_or_else(|err| {
            panic!(
                "Postgres is not reachable at TEST_DATABASE_URL={admin_url}: {err}. \
             Start it (pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start) \
             or point TEST_DATABASE_URL at a server; these tests never skip."
            )
        });
    let name = format!(
        "pgw_t_{}",
        ulid::Ulid::generate().to_string().to_lowercase()
    );
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut conn)
        .await
        .expect("create test database");
    let _ = conn.close().await;
    match admin_url.rfind('/') {
        Some(i) if admin_url[..i].contains("://") && i > admin_url.find("://").unwrap_or(0) + 2 => {
            format!("{}/{name}", &admin_url[..i])
        }
        _ => format!("{admin_url}/{name}"),
    }
}

/// An HTTP client for tests (installs the process's TLS crypto provider first, as the app does).
pub fn http_client() -> reqwest::Client {
    proxy_gateway::upstream::tls::install_crypto_provider();
    reqwest::Client::new()
}

/// A fresh folder under the system temp dir.
pub fn temp_dir() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pgw-it-{}", ulid::Ulid::generate()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

/// A new SQLite database file URL (the file does not exist yet).
pub fn fresh_sqlite_url() -> String {
    format!("sqlite://{}/gateway.db", temp_dir().display())
}

/// A database URL of the given kind, fresh.
pub async fn fresh_database_url(db: Db) -> String {
    match db {
        Db::Sqlite => fresh_sqlite_url(),
        Db::Postgres => fresh_postgres_url().await,
    }
}

/// A connected, migrated store on a fresh database.
pub async fn fresh_store(db: Db) -> Store {
    let url = proxy_gateway::config::DatabaseUrl::new(fresh_database_url(db).await);
    let store = store::connect(&url, 5).await.expect("connect store");
    store.admin.migrate().await.expect("migrate");
    store
}

/// The two simulators a gateway under test is configured with (as real accounts named
/// `helodata` and `911proxy`, not sandbox mode), with their control handles.
pub struct TestSims {
    pub helodata: SimHandle,
    pub nine11: SimHandle,
}

impl TestSims {
    /// The simulator behind an account name.
    pub fn for_account(&self, account: &str) -> &SimHandle {
        match account {
            "helodata" => &self.helodata,
            "911proxy" => &self.nine11,
            other => panic!("no simulator for account {other}"),
        }
    }

    /// The control handle of an account's simulator.
    pub fn control(&self, account: &str) -> &Control {
        self.for_account(account)
            .control()
            .expect("simulators in tests run with control on")
    }

    /// Calls the account's simulator received, oldest first.
    pub fn calls(&self, account: &str) -> Vec<CallRecord> {
        self.control(account).calls()
    }

    /// Forgets the calls received so far (by both simulators).
    pub fn clear_calls(&self) {
        self.helodata.control().expect("control").clear_calls();
        self.nine11.control().expect("control").clear_calls();
    }

    /// Adds a fault rule (JSON as `POST /__sim/faults` takes it) to an account's simulator.
    pub fn fault(&self, account: &str, rule: serde_json::Value) {
        self.control(account)
            .add_fault(&rule)
            .expect("valid fault rule");
    }
}

/// A running gateway and what a test needs to talk to it.
pub struct TestApp {
    pub addr: SocketAddr,
    pub admin_token: String,
    pub database_url: String,
    pub client: reqwest::Client,
    pub sims: Option<TestSims>,
    settings: BTreeMap<String, String>,
    stop: Option<oneshot::Sender<()>>,
    stopped: Option<oneshot::Receiver<()>>,
}

impl TestApp {
    /// `http://ADDR` + `path`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// A request with the admin key.
    pub fn admin(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client
            .request(method, self.url(path))
            .bearer_auth(&self.admin_token)
    }

    /// Creates a key through the API and returns its token.
    pub async fn create_key(&self, name: &str, scopes: &[&str]) -> (String, String) {
        let response = self
            .admin(reqwest::Method::POST, "/v1/api-keys")
            .json(&serde_json::json!({"name": name, "scopes": scopes}))
            .send()
            .await
            .expect("create key");
        assert_eq!(response.status(), 201);
        let body: serde_json::Value = response.json().await.expect("json");
        (
            body["id"].as_str().expect("id").to_string(),
            body["token"].as_str().expect("token").to_string(),
        )
    }
}

impl TestApp {
    /// Stops this gateway (waiting for it to finish) and starts a new one with the same
    /// settings on the same database and simulators: a restart.
    pub async fn restart(mut self) -> TestApp {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(stopped) = self.stopped.take() {
            let _ = stopped.await;
        }
        let mut next = start(
            self.settings.clone(),
            self.admin_token.clone(),
            self.database_url.clone(),
        )
        .await;
        next.sims = self.sims.take();
        next
    }

    /// A second gateway with the same settings on the same database (and simulators): another
    /// replica, running beside this one.
    pub async fn replica(&self) -> TestApp {
        start(
            self.settings.clone(),
            self.admin_token.clone(),
            self.database_url.clone(),
        )
        .await
    }

    /// The id of the bootstrap admin key.
    pub async fn admin_key_id(&self) -> String {
        let keys: serde_json::Value = self
            .admin(reqwest::Method::GET, "/v1/api-keys")
            .send()
            .await
            .expect("list keys")
            .json()
            .await
            .expect("json");
        keys["data"][0]["id"].as_str().expect("id").to_string()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

/// Starts the app on a fresh database with `extra` settings (as environment variables).
pub async fn spawn_app_with(db: Db, extra: &[(&str, &str)]) -> TestApp {
    let database_url = fresh_database_url(db).await;
    let admin_token = Token::generate().expose().to_string();
    let mut env: BTreeMap<String, String> = BTreeMap::new();
    env.insert("PGW_LISTEN".into(), "127.0.0.1:0".into());
    env.insert("PGW_DATABASE_URL".into(), database_url.clone());
    env.insert("PGW_BOOTSTRAP_ADMIN_KEY".into(), admin_token.clone());
    env.insert("PGW_SHUTDOWN_GRACE_SECS".into(), "1".into());
    env.insert("PGW_SANDBOX".into(), "false".into());
    for (k, v) in extra {
        env.insert((*k).into(), (*v).into());
    }
    start(env, admin_token, database_url).await
}

async fn start(
    env: BTreeMap<String, String>,
    admin_token: String,
    database_url: String,
) -> TestApp {
    let config = Config::from_sources(None, &env, &proxy_gateway::providers::registry::specs())
        .expect("test config");
    let app = App::build(config).await.expect("build app");
    let addr = app.local_addr();
    let (stop, stop_rx) = oneshot::channel::<()>();
    let (done_tx, done_rx) = oneshot::channel::<()>();
    tokio::spawn(async move {
        let _ = app
            .run_until(async move {
                let _ = stop_rx.await;
            })
            .await;
        let _ = done_tx.send(());
    });
    TestApp {
        addr,
        admin_token,
        database_url,
        client: http_client(),
        sims: None,
        settings: env,
        stop: Some(stop),
        stopped: Some(done_rx),
    }
}

/// The two simulators, started in-process with their control API.
pub async fn spawn_sims() -> TestSims {
    TestSims {
        helodata: sim::spawn(
            SimProvider::Helodata,
            SimOptions::new(SimProvider::Helodata),
        )
        .await
        .expect("start helodata simulator"),
        nine11: sim::spawn(SimProvider::Nine11, SimOptions::new(SimProvider::Nine11))
            .await
            .expect("start 911 simulator"),
    }
}

/// Starts the app with both simulators configured as the accounts `helodata` and `911proxy`
/// (911 times read as UTC+8), plus `extra` settings.
pub async fn spawn_app_with_sims(db: Db, extra: &[(&str, &str)]) -> TestApp {
    let sims = spawn_sims().await;
    let helodata_url = sims.helodata.base_url();
    let nine11_url = sims.nine11.base_url();
    let mut settings: Vec<(&str, &str)> = vec![
        ("PGW_HELODATA_API_KEY", sim::DEFAULT_HELODATA_TOKEN),
        ("PGW_HELODATA_BASE_URL", &helodata_url),
        ("PGW_911PROXY_APP_KEY", sim::DEFAULT_NINE11_APP_KEY),
        ("PGW_911PROXY_BASE_URL", &nine11_url),
        ("PGW_911PROXY_TIMEZONE", "+08:00"),
    ];
    settings.extend_from_slice(extra);
    let mut app = spawn_app_with(db, &settings).await;
    app.sims = Some(sims);
    app
}

/// Starts the app on a fresh database with default settings.
pub async fn spawn_app(db: Db) -> TestApp {
    spawn_app_with(db, &[]).await
}

/// Reads a problem+json body, checking the content type and the request id agreement.
pub async fn problem(response: reqwest::Response) -> (u16, serde_json::Value) {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let header_id = response
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    assert_eq!(content_type, "application/problem+json", "status {status}");
    let body: serde_json::Value = response.json().await.expect("problem body is JSON");
    assert_eq!(body["status"], status, "status member equals HTTP status");
    assert_eq!(
        body["request_id"].as_str(),
        header_id.as_deref(),
        "request_id in the body equals X-Request-Id"
    );
    (status, body)
}
