//! Builds the application from a [`Config`] and runs it: used by `main` and, unchanged, by the
//! tests, so a test exercises exactly what production runs.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use tokio::net::TcpListener;

use secrecy::SecretString;

use crate::config::{Backend, Config, ProviderAccountConfig};
use crate::domain::api_keys::Token;
use crate::http::state::{AppState, AppStateParts};
use crate::providers::registry::Registry;
use crate::providers::{helodata, nine11};
use crate::services::key_cache::KeyCache;
use crate::services::locations::LocationCache;
use crate::sim::{SimHandle, SimOptions, SimProvider};
use crate::store::{self, Store, StoreError};

/// What the binary runs once the router is built, before the first request: `main` owns the
/// global allocator, so it alone knows how to hand start-up's freed heap back to the system.
static AFTER_START_UP: OnceLock<fn()> = OnceLock::new();

/// Registers the hook run after start-up (once per process; a second registration is ignored).
pub fn after_start_up(hook: fn()) {
    let _ = AFTER_START_UP.set(hook);
}

/// Why the gateway could not start; printed as one line by `main`.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// The store could not be reached, migrated or bootstrapped.
    #[error("store ({url}): {source}")]
    Store {
        /// The store URL without credentials.
        url: String,
        /// The cause.
        source: StoreError,
    },
    /// The provider accounts could not be set up.
    #[error("provider accounts: {0}")]
    Providers(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {addr} (PGW_LISTEN): {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
    /// The metrics listen address could not be bound.
    #[error("cannot listen on {addr} (PGW_METRICS_LISTEN): {source}")]
    MetricsBind {
        /// The address.
        addr: SocketAddr,
        /// The cause.
        source: std::io::Error,
    },
}

/// A built gateway: store connected and migrated, listener bound, not yet serving.
pub struct App {
    listener: TcpListener,
    metrics_listener: Option<TcpListener>,
    state: AppState,
    bootstrap_token: Option<Token>,
    sandbox: Vec<SimHandle>,
}

impl App {
    /// Connects and migrates the store, creates the first admin key on an empty store, and
    /// binds the listener (port 0 picks a free port; see [`App::local_addr`]).
    pub async fn build(config: Config) -> Result<App, StartupError> {
        crate::upstream::tls::install_crypto_provider();
        crate::telemetry::metrics::install();
        let store = open_store(&config).await?;
        let bootstrap_token = bootstrap_admin_key(&store, &config)
            .await
            .map_err(|source| StartupError::Store {
                url: config.database_url.redacted(),
                source,
            })?;
        let listener =
            TcpListener::bind(config.listen)
                .await
                .map_err(|source| StartupError::Bind {
                    addr: config.listen,
                    source,
                })?;
        let metrics_listener = match config.metrics_listen {
            Some(addr) => Some(
                TcpListener::bind(addr)
                    .await
                    .map_err(|source| StartupError::MetricsBind { addr, source })?,
            ),
            None => None,
        };
        let (accounts, sandbox) = if config.providers.is_empty() && config.sandbox {
            start_sandbox(&config).await?
        } else {
            (config.providers.clone(), Vec::new())
        };
        let providers =
            Registry::build(&accounts, !sandbox.is_empty()).map_err(StartupError::Providers)?;
        Ok(App {
            listener,
            metrics_listener,
            state: AppState::new(AppStateParts {
                keys: Arc::new(KeyCache::new(store.api_keys.clone())),
                locations: Arc::new(LocationCache::new(config.locations_ttl)),
                store,
                config: Arc::new(config),
                providers: Arc::new(providers),
            }),
            bootstrap_token,
            sandbox,
        })
    }

    /// The simulators serving sandbox mode (empty when real accounts are configured).
    pub fn sandbox(&self) -> &[SimHandle] {
        &self.sandbox
    }

    /// Where the API listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or(self.state.config.listen)
    }

    /// Where `/metrics` has a listener of its own (`PGW_METRICS_LISTEN`), if it has one.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    /// The admin token generated on this start, when the store had no key: shown once.
    pub fn take_bootstrap_token(&mut self) -> Option<Token> {
        self.bootstrap_token.take()
    }

    /// The shared state (tests reach the store through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish for at most the
    /// configured grace period.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let grace = self.state.config.shutdown_grace;
        let store = self.state.store.clone();
        let sandbox = self.sandbox;
        let key_poller = tokio::spawn(self.state.keys.clone().run_poller());
        let sweeper = tokio::spawn(crate::services::idempotency::sweep_expired(
            store.idempotency.clone(),
            self.state.config.idempotency_sweep,
        ));
        let (stop_metrics, metrics_stopped) = tokio::sync::watch::channel(false);
        let metrics_server = self.metrics_listener.map(|listener| {
            let router = crate::http::metrics::router(self.state.clone());
            let mut stopped = metrics_stopped;
            tokio::spawn(async move {
                let served = axum::serve(listener, router)
                    .with_graceful_shutdown(async move {
                        let _ = stopped.wait_for(|stop| *stop).await;
                    })
                    .await;
                if let Err(err) = served {
                    tracing::error!(error = %err, "the metrics listener failed");
                }
            })
        });
        let upkeep = tokio::spawn(async {
            let mut every = tokio::time::interval(Duration::from_secs(5));
            loop {
                every.tick().await;
                crate::telemetry::metrics::run_upkeep();
            }
        });
        let audit_worker = crate::services::audit_worker::spawn(
            self.state.store.audit.clone(),
            audit_worker_settings(&self.state.config),
        );
        let router = crate::api::router(self.state);
        if let Some(hook) = AFTER_START_UP.get() {
            hook();
        }
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(
            self.listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            tracing::info!(
                grace_secs = grace.as_secs(),
                "shutting down: no new connections, finishing in-flight requests"
            );
            let _ = stopping_tx.send(());
            let _ = stop_metrics.send(true);
        });
        let server = std::future::IntoFuture::into_future(server);
        tokio::pin!(server);
        let result = tokio::select! {
            result = &mut server => result,
            _ = grace_expired(stopping_rx, grace) => {
                tracing::warn!("grace period over: closing the remaining connections");
                Ok(())
            }
        };
        sweeper.abort();
        key_poller.abort();
        upkeep.abort();
        if let Some(metrics_server) = metrics_server {
            metrics_server.abort();
        }
        audit_worker.stop().await;
        store.admin.close().await;
        for simulator in sandbox {
            simulator.stop().await;
        }
        result
    }

    /// Serves until SIGTERM or SIGINT.
    pub async fn run(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }
}

/// The audit worker's cadence; a pending event older than the request deadline plus the
/// shutdown grace has no process serving it any more.
fn audit_worker_settings(config: &Config) -> crate::services::audit_worker::WorkerSettings {
    crate::services::audit_worker::WorkerSettings {
        seal_interval: config.audit.seal_interval,
        maintenance_interval: config.audit.maintenance_interval,
        abandoned_after: config.request_timeout + config.shutdown_grace,
    }
}

async fn grace_expired(stopping: tokio::sync::oneshot::Receiver<()>, grace: Duration) {
    if stopping.await.is_err() {
        // The server ended without a shutdown request; let its own result win the select.
        std::future::pending::<()>().await;
    }
    tokio::time::sleep(grace).await;
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
}

/// Sandbox mode: both simulators in-process on loopback ports, registered under the default
/// account names with the simulators' own credentials.
async fn start_sandbox(
    config: &Config,
) -> Result<(Vec<ProviderAccountConfig>, Vec<SimHandle>), StartupError> {
    let mut accounts = Vec::new();
    let mut handles = Vec::new();
    for (provider, kind) in [
        (SimProvider::Helodata, helodata::registration::KIND),
        (SimProvider::Nine11, nine11::registration::KIND),
    ] {
        let options = SimOptions::new(provider);
        let credential = SecretString::from(options.api_key.clone());
        let handle = crate::sim::spawn(provider, options).await.map_err(|e| {
            StartupError::Providers(format!(
                "cannot start the {} simulator: {e}",
                provider.as_str()
            ))
        })?;
        accounts.push(ProviderAccountConfig {
            name: kind.as_str().to_string(),
            kind,
            credential,
            base_url: handle.base_url(),
            timezone: crate::config::parse_timezone("Asia/Shanghai")
                .map_err(StartupError::Providers)?,
            policy: config.upstream_defaults.clone(),
        });
        handles.push(handle);
    }
    Ok((accounts, handles))
}

/// Connects (retrying Postgres for a while, since it may still be starting) and migrates.
pub async fn open_store(config: &Config) -> Result<Store, StartupError> {
    let url = config.database_url.redacted();
    let attempts = match config.database_url.backend() {
        Backend::Postgres => 15,
        Backend::Sqlite => 1,
    };
    let mut attempt = 1;
    let store = loop {
        match store::connect(&config.database_url, config.database_max_connections).await {
            Ok(store) => break store,
            Err(err) if attempt < attempts => {
                tracing::warn!(attempt, error = %err, "store not reachable yet; retrying");
                tokio::time::sleep(Duration::from_secs(2)).await;
                attempt += 1;
            }
            Err(source) => return Err(StartupError::Store { url, source }),
        }
    };
    store::migrate::prepare(config, &store)
        .await
        .map_err(|source| StartupError::Store { url, source })?;
    Ok(store)
}

/// On a store with no key at all, creates the admin key (see
/// `services::api_keys::bootstrap_admin`); returns a generated token to show once.
pub async fn bootstrap_admin_key(
    store: &Store,
    config: &Config,
) -> Result<Option<Token>, StoreError> {
    crate::services::api_keys::bootstrap_admin(
        store.api_keys.as_ref(),
        config.bootstrap_admin_key.as_ref(),
    )
    .await
}
