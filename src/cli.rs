//! The command line: `serve` (default), `migrate`, `keys …`, `simulate`, `openapi`,
//! `healthcheck`, `audit verify`.
//! Settings come from `PGW_*` variables and `--config FILE`; `--help` lists them all.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::app::{self, App};
use crate::config::{self, Config};
use crate::domain::api_keys::{self, AccountRestriction, ApiKeyId, NewApiKey, Scopes};
use crate::sim::{SimOptions, SimProvider};
use crate::store::Store;

/// proxy-gateway: one normalized REST API over residential-proxy providers.
#[derive(Debug, Parser)]
#[command(name = "proxy-gateway", version, about, after_help = config::settings_help(&config::all_settings(&crate::providers::registry::specs())))]
pub struct Cli {
    /// A TOML file with settings (keys as listed below); environment variables override it.
    #[arg(long, global = true, env = "PGW_CONFIG", value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What to do; `serve` when omitted.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gateway: migrate the store, create the first admin key if there is none, serve HTTP.
    Serve,
    /// Apply pending store migrations and exit.
    Migrate,
    /// Manage API keys directly in the store (works with the gateway stopped).
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Serve a provider simulator (stateful fake of helodata or 911Proxy).
    Simulate {
        /// Which provider to imitate.
        #[arg(long, value_enum)]
        provider: SimProvider,
        /// Where to listen.
        #[arg(long, default_value = "127.0.0.1:9911")]
        listen: SocketAddr,
        /// Seed of the generated data (same seed, same data).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The credential accepted: 911Proxy app_key or helodata bearer token.
        #[arg(long)]
        api_key: Option<String>,
        /// Serve the /__sim control API (call log, fault injection).
        #[arg(long)]
        control: bool,
        /// Benchmark mode: helodata's per-token rate limit is lifted (an unmetered plan), so a
        /// benchmark measures the gateway, not the simulator's limit; nothing else changes.
        #[arg(long)]
        benchmark: bool,
    },
    /// Print the OpenAPI document of this build.
    Openapi,
    /// Ask a running gateway whether it is ready (GET /readyz on PGW_LISTEN, 0.0.0.0 read as
    /// 127.0.0.1): exit 0 on 200, 1 otherwise. The container health check (no curl needed).
    Healthcheck {
        /// Ask this URL instead of http://<PGW_LISTEN>/readyz.
        #[arg(long, value_name = "URL")]
        url: Option<String>,
        /// Give up after this many seconds.
        #[arg(long, default_value_t = 3, value_name = "SECS")]
        timeout_secs: u64,
    },
    /// Inspect the audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
}

/// `audit` subcommands.
#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Walk the audit log's hash chain: exit 0 when it is intact, 1 naming the first broken
    /// event otherwise. Reads only; works with the gateway running or stopped.
    Verify {
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// `keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print its token (shown only now).
    Create {
        /// Who the key is for.
        #[arg(long)]
        name: String,
        /// Comma-separated scopes: read, write, admin, secrets:read, audit:read.
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
        /// Comma-separated provider accounts the key is restricted to (default: all).
        #[arg(long, value_delimiter = ',')]
        accounts: Option<Vec<String>>,
    },
    /// List every key (never tokens).
    List,
    /// Revoke a key by id: it stops working at once.
    Revoke {
        /// `key_<ULID>`.
        id: String,
    },
}

/// A failure to report as one line and exit 1.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Configuration refused.
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    /// Startup failed.
    #[error(transparent)]
    Startup(#[from] app::StartupError),
    /// A store call failed.
    #[error(transparent)]
    Store(#[from] crate::store::StoreError),
    /// Bad command-line input.
    #[error("{0}")]
    Usage(String),
    /// I/O (listener, signals).
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// `healthcheck`: the gateway did not answer ready.
    #[error("not ready: {0}")]
    NotReady(String),
    /// The audit log's hash chain is broken.
    #[error("{0}")]
    AuditBroken(String),
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> Result<(), CliError> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => serve(load(&cli.config)?).await,
        Command::Migrate => {
            let config = load(&cli.config)?;
            crate::upstream::tls::install_crypto_provider();
            let store = app::open_store(&config).await?;
            eprintln!("migrations applied ({})", config.database_url.redacted());
            store.admin.close().await;
            Ok(())
        }
        Command::Keys { command } => keys(load(&cli.config)?, command).await,
        Command::Simulate {
            provider,
            listen,
            seed,
            api_key,
            control,
            benchmark,
        } => simulate(provider, listen, seed, api_key, control, benchmark).await,
        Command::Healthcheck { url, timeout_secs } => {
            let url = match url {
                Some(url) => url,
                None => readyz_url(load(&cli.config)?.listen)?,
            };
            healthcheck(&url, std::time::Duration::from_secs(timeout_secs.max(1))).await
        }
        Command::Audit { command } => audit(load(&cli.config)?, command).await,
        Command::Openapi => {
            print!(
                "{}",
                crate::api::openapi::render(&crate::api::openapi::spec())
            );
            Ok(())
        }
    }
}

/// `http://<listen>/readyz`, with an unspecified address (0.0.0.0, ::) read as loopback: the
/// probe runs beside the server, in the same container.
pub fn readyz_url(listen: SocketAddr) -> Result<String, CliError> {
    if listen.port() == 0 {
        return Err(CliError::Usage(
            "PGW_LISTEN has port 0, so the port is not known: pass --url".to_string(),
        ));
    }
    let ip = match listen.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => std::net::Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => std::net::Ipv6Addr::LOCALHOST.into(),
        ip => ip,
    };
    Ok(format!(
        "http://{}/readyz",
        SocketAddr::new(ip, listen.port())
    ))
}

async fn healthcheck(url: &str, timeout: std::time::Duration) -> Result<(), CliError> {
    crate::upstream::tls::install_crypto_provider();
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .no_proxy()
        .build()
        .map_err(|e| CliError::NotReady(e.without_url().to_string()))?;
    let response = client
        .get(url)
        .send()
        .await
        .map_err(|e| CliError::NotReady(format!("{url}: {}", e.without_url())))?;
    let status = response.status();
    if status == reqwest::StatusCode::OK {
        println!("ready ({url})");
        Ok(())
    } else {
        Err(CliError::NotReady(format!("{url} answered {status}")))
    }
}

fn load(file: &Option<PathBuf>) -> Result<Config, CliError> {
    Ok(Config::load(
        file.as_deref(),
        &crate::providers::registry::specs(),
    )?)
}

async fn serve(config: Config) -> Result<(), CliError> {
    crate::telemetry::init(config.log_format, &config.log_level);
    let mut app = App::build(config.clone()).await?;
    let addr = app.local_addr();
    if let Some(token) = app.take_bootstrap_token() {
        print_bootstrap_token(token.expose(), addr);
    }
    for simulator in app.sandbox() {
        tracing::warn!(provider = simulator.provider.as_str(), base_url = %simulator.base_url(), "sandbox mode: simulated provider");
    }
    if !app.sandbox().is_empty() {
        eprintln!();
        eprintln!(
            "SANDBOX MODE: no provider account is configured, so the gateway serves SIMULATED providers:"
        );
        for simulator in app.sandbox() {
            eprintln!(
                "    {:<9} {} (control API: {})",
                simulator.provider.as_str(),
                simulator.base_url(),
                simulator.control_url()
            );
        }
        eprintln!(
            "  Configure real accounts (PGW_HELODATA_API_KEY, PGW_911PROXY_APP_KEY or [[providers]]) or set PGW_SANDBOX=false."
        );
        eprintln!();
    }
    tracing::info!(%addr, store = %config.database_url.redacted(), "proxy-gateway listening");
    if let Some(metrics_addr) = app.metrics_addr() {
        tracing::info!(%metrics_addr, "metrics listening");
        eprintln!("metrics on http://{metrics_addr}/metrics");
    }
    eprintln!(
        "proxy-gateway listening on http://{addr} (store: {})",
        config.database_url.redacted()
    );
    app.run().await?;
    Ok(())
}

/// The one time a generated admin token is ever shown.
fn print_bootstrap_token(token: &str, addr: SocketAddr) {
    eprintln!();
    eprintln!("================================================================================");
    eprintln!(" No API key existed, so an admin key was created. It is shown ONLY NOW:");
    eprintln!();
    eprintln!("     {token}");
    eprintln!();
    eprintln!(" Try it:  curl -H \"Authorization: Bearer {token}\" http://{addr}/v1/api-keys");
    eprintln!("================================================================================");
    eprintln!();
}

async fn open(config: &Config) -> Result<Store, CliError> {
    crate::upstream::tls::install_crypto_provider();
    Ok(app::open_store(config).await?)
}

async fn keys(config: Config, command: KeysCommand) -> Result<(), CliError> {
    let store = open(&config).await?;
    let result = keys_with(&store, command).await;
    store.admin.close().await;
    result
}

async fn keys_with(store: &Store, command: KeysCommand) -> Result<(), CliError> {
    match command {
        KeysCommand::Create {
            name,
            scopes,
            accounts,
        } => {
            let name = api_keys::validate_key_name(&name)
                .map_err(|e| CliError::Usage(format!("--name {e}")))?;
            let scopes = Scopes::parse(scopes.iter().map(String::as_str))
                .map_err(|e| CliError::Usage(format!("--scopes: {e}")))?;
            let accounts = match accounts {
                None => AccountRestriction::all(),
                Some(list) => AccountRestriction::only(list.iter().map(String::as_str))
                    .map_err(|e| CliError::Usage(format!("--accounts: {e}")))?,
            };
            let (key, token) = crate::services::api_keys::create(
                store.api_keys.as_ref(),
                NewApiKey {
                    name,
                    scopes,
                    accounts,
                },
            )
            .await?;
            eprintln!(
                "created {} ({}); the token is shown only now:",
                key.id, key.name
            );
            println!("{}", token.expose());
        }
        KeysCommand::List => {
            let mut after: Option<String> = None;
            println!(
                "{:<30}  {:<8}  {:<24}  {:<20}  {:<25}  NAME",
                "ID", "STATUS", "SCOPES", "ACCOUNTS", "LAST USED"
            );
            loop {
                let page = store.api_keys.list(after.as_deref(), 200).await?;
                for key in &page {
                    println!(
                        "{:<30}  {:<8}  {:<24}  {:<20}  {:<25}  {}",
                        key.id,
                        if key.revoked_at.is_some() {
                            "revoked"
                        } else {
                            "active"
                        },
                        key.scopes.names().join(","),
                        key.accounts
                            .names()
                            .map(|a| a.join(","))
                            .unwrap_or_else(|| "*".into()),
                        key.last_used_at
                            .map(format_time)
                            .unwrap_or_else(|| "never".into()),
                        key.name
                    );
                }
                match page.last() {
                    Some(last) if page.len() == 200 => after = Some(last.id.to_string()),
                    _ => break,
                }
            }
        }
        KeysCommand::Revoke { id } => {
            let id: ApiKeyId = id.parse().map_err(CliError::Usage)?;
            match store.api_keys.revoke(&id, api_keys::now()).await? {
                Some(_) => eprintln!("revoked {id}"),
                None => return Err(CliError::Usage(format!("no API key {id}"))),
            }
        }
    }
    Ok(())
}

async fn audit(config: Config, command: AuditCommand) -> Result<(), CliError> {
    let AuditCommand::Verify { json } = command;
    crate::upstream::tls::install_crypto_provider();
    // Reads only: no migration, no maintenance.
    let store = crate::store::connect(&config.database_url, 2).await?;
    let report = crate::services::audit::verify(store.audit.as_ref()).await;
    store.admin.close().await;
    let report = report?;
    if json {
        let view = crate::api::audit_events::VerifyReportView::from(report.clone());
        println!(
            "{}",
            serde_json::to_string_pretty(&view).unwrap_or_default()
        );
    } else {
        println!(
            "checked {} sealed events (sequence {} to {}); {} not sealed yet",
            report.checked,
            report.first_sequence.map_or("-".into(), |s| s.to_string()),
            report.last_sequence.map_or("-".into(), |s| s.to_string()),
            report.unsealed
        );
        if let Some(cp) = &report.checkpoint {
            println!(
                "retention checkpoint: through sequence {} ({})",
                cp.through_seq,
                hex::encode(cp.hash)
            );
        }
        if let Some(head) = &report.head_hash {
            println!("head hash: {head}");
        }
    }
    match report.broken {
        None => {
            if !json {
                println!("audit chain intact");
            }
            Ok(())
        }
        Some(broken) => Err(CliError::AuditBroken(format!(
            "audit chain BROKEN at event {} (sequence {}): {}",
            broken.event_id, broken.sequence, broken.detail
        ))),
    }
}

fn format_time(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

async fn simulate(
    provider: SimProvider,
    listen: SocketAddr,
    seed: u64,
    api_key: Option<String>,
    control: bool,
    benchmark: bool,
) -> Result<(), CliError> {
    crate::telemetry::init(crate::config::LogFormat::Text, "info");
    let mut opts = SimOptions::new(provider);
    opts.seed = seed;
    opts.control = control;
    if benchmark {
        opts.helodata.rate_limit = crate::sim::helodata::RateLimitPlan::unmetered();
    }
    if let Some(key) = api_key {
        opts.api_key = key;
    }
    let listener = tokio::net::TcpListener::bind(listen).await?;
    let handle = crate::sim::spawn_on(provider, opts, listener)?;
    eprintln!(
        "simulating {} at {} (control API: {})",
        provider.as_str(),
        handle.base_url(),
        if control {
            handle.control_url()
        } else {
            "off".to_string()
        }
    );
    app::shutdown_signal().await;
    handle.stop().await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_probe_asks_loopback_when_the_server_listens_everywhere() {
        let url = |listen: &str| readyz_url(listen.parse().unwrap()).map_err(|e| e.to_string());
        assert_eq!(url("0.0.0.0:8080").unwrap(), "http://127.0.0.1:8080/readyz");
        assert_eq!(url("[::]:8080").unwrap(), "http://[::1]:8080/readyz");
        assert_eq!(url("10.1.2.3:9000").unwrap(), "http://10.1.2.3:9000/readyz");
        assert!(url("127.0.0.1:0").unwrap_err().contains("pass --url"));
    }
}
