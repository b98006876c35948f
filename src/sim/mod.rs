//! Provider simulators: stateful fakes of helodata v1 and 911Proxy's api-gate-way that follow the
//! provider documents in `../shared/providers/` (quirks included), not the gateway's wishes.
//!
//! They are part of the product: `proxy-gateway simulate` serves one as a process, `serve` starts
//! both in-process in sandbox mode, and the test suite and benchmarks run against them. Each
//! simulator is an axum [`Router`] over in-memory state; [`control`] wraps it with the call log and
//! fault injection under the reserved `/__sim` prefix.

pub mod control;
pub mod helodata;
pub mod nine11;

use std::net::SocketAddr;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// The bearer token the helodata simulator accepts when none is given (`--api-key`).
pub const DEFAULT_HELODATA_TOKEN: &str =
    "hel_live_simulatorfullaccess000000000000000000000000000000000000000000000";
/// The `app_key` the 911Proxy simulator accepts when none is given (`--api-key`).
pub const DEFAULT_NINE11_APP_KEY: &str = "sim911appkey0000000000000000000";

/// Which provider a simulator imitates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, clap::ValueEnum)]
pub enum SimProvider {
    /// helodata REST v1, served under `/v1`.
    #[value(name = "helodata")]
    Helodata,
    /// 911Proxy api-gate-way, served under `/api-gate-way`.
    #[value(name = "911proxy")]
    Nine11,
}

impl SimProvider {
    /// The name used on the command line and in logs.
    pub fn as_str(self) -> &'static str {
        match self {
            SimProvider::Helodata => "helodata",
            SimProvider::Nine11 => "911proxy",
        }
    }
}

/// Everything a simulator needs to build its state; deterministic for a given `seed`.
#[derive(Clone, Debug)]
pub struct SimOptions {
    /// Seed of the generated data: the same seed gives the same users, usage, orders, geo lists.
    pub seed: u64,
    /// The credential the simulator accepts (911 `app_key`, helodata bearer token).
    pub api_key: String,
    /// Whether the `/__sim` control API (call log, fault injection) is served.
    pub control: bool,
    /// helodata-only settings (rate-limit plan, extra tokens, …).
    pub helodata: helodata::HelodataSimOptions,
    /// 911Proxy-only settings.
    pub nine11: nine11::Nine11SimOptions,
}

impl SimOptions {
    /// Defaults for `provider`: seed 1, the provider's default credential, control API on.
    pub fn new(provider: SimProvider) -> Self {
        let api_key = match provider {
            SimProvider::Helodata => DEFAULT_HELODATA_TOKEN,
            SimProvider::Nine11 => DEFAULT_NINE11_APP_KEY,
        };
        SimOptions {
            seed: 1,
            api_key: api_key.to_string(),
            control: true,
            helodata: helodata::HelodataSimOptions::default(),
            nine11: nine11::Nine11SimOptions::default(),
        }
    }
}

/// The whole simulator app for `provider`: the provider's routes wrapped by the control layer.
pub fn app(provider: SimProvider, opts: &SimOptions) -> Router {
    control::wrap(provider, provider_routes(provider, opts), opts)
}

fn provider_routes(provider: SimProvider, opts: &SimOptions) -> Router {
    match provider {
        SimProvider::Helodata => helodata::router(opts),
        SimProvider::Nine11 => nine11::router(opts),
    }
}

/// A simulator running in-process on a loopback port; stops when dropped or on [`SimHandle::stop`].
pub struct SimHandle {
    /// Which provider it imitates.
    pub provider: SimProvider,
    /// Where it listens.
    pub addr: SocketAddr,
    control: Option<control::Control>,
    shutdown: watch::Sender<bool>,
    task: Option<JoinHandle<()>>,
}

impl SimHandle {
    /// The base URL an adapter is pointed at: `http://ADDR/v1` (helodata), `http://ADDR` (911).
    pub fn base_url(&self) -> String {
        match self.provider {
            SimProvider::Helodata => format!("http://{}/v1", self.addr),
            SimProvider::Nine11 => format!("http://{}", self.addr),
        }
    }

    /// The root of the control API (`/__sim`), served when `SimOptions::control` is set.
    pub fn control_url(&self) -> String {
        format!("http://{}/__sim", self.addr)
    }

    /// The call log and fault rules in-process (the same state as the `/__sim` API); `None`
    /// when `SimOptions::control` is off.
    pub fn control(&self) -> Option<&control::Control> {
        self.control.as_ref()
    }

    /// Stops accepting connections, lets in-flight requests finish (at most
    /// [`control::SHUTDOWN_GRACE`]) and waits for the server task to end.
    pub async fn stop(mut self) {
        let _ = self.shutdown.send(true);
        if let Some(task) = self.task.take() {
            let _ = task.await;
        }
    }
}

impl Drop for SimHandle {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
    }
}

/// Starts a simulator on `127.0.0.1:0` (an ephemeral port) inside the current tokio runtime.
pub async fn spawn(provider: SimProvider, opts: SimOptions) -> std::io::Result<SimHandle> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    spawn_on(provider, opts, listener)
}

/// Starts a simulator on an already bound listener.
pub fn spawn_on(
    provider: SimProvider,
    opts: SimOptions,
    listener: TcpListener,
) -> std::io::Result<SimHandle> {
    let addr = listener.local_addr()?;
    let (shutdown, mut rx) = watch::channel(false);
    let (app, control) =
        control::wrap_with_control(provider, provider_routes(provider, &opts), &opts);
    let task = tokio::spawn(async move {
        let stop = async move {
            let _ = rx.wait_for(|stop| *stop).await;
        };
        if let Err(err) = control::serve(listener, app, stop).await {
            tracing::error!(provider = provider.as_str(), %err, "simulator server failed");
        }
    });
    Ok(SimHandle {
        provider,
        addr,
        control,
        shutdown,
        task: Some(task),
    })
}
