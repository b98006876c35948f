//! The simulators' own serving loop. `axum::serve` always answers something; the `close` and
//! `hang` faults need a connection dropped without an answer, which hyper does when the service
//! returns an error. So the loop is hyper-util's, with axum's graceful shutdown behaviour plus a
//! bound on how long in-flight requests may take once the simulator is asked to stop.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::response::Response;
use futures::stream;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

/// How long in-flight requests may run once the simulator stops before their connections are
/// dropped.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// Marks a response that must not be sent: [`serve`] drops the connection instead.
#[derive(Clone, Copy, Debug)]
pub struct AbortConnection;

impl std::fmt::Display for AbortConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection closed without an answer by a simulator fault")
    }
}

impl std::error::Error for AbortConnection {}

impl AbortConnection {
    /// A response carrying the mark. Its body fails on first read, so even under a server other
    /// than [`serve`] the client does not get a complete answer.
    pub fn response() -> Response {
        let failing = stream::once(async {
            Err::<bytes::Bytes, std::io::Error>(std::io::Error::other(AbortConnection))
        });
        let mut response = Response::new(Body::from_stream(failing));
        response.extensions_mut().insert(AbortConnection);
        response
    }
}

/// Put in every request's extensions by [`serve`]: resolves when the simulator is stopping, so
/// a `hang` fault lets go.
#[derive(Clone, Debug)]
pub struct ServerStopping(watch::Receiver<bool>);

impl ServerStopping {
    /// Resolves once the server is stopping (or gone).
    pub async fn wait(&self) {
        let mut rx = self.0.clone();
        let _ = rx.wait_for(|stopping| *stopping).await;
    }
}

/// Serves `app` on `listener` until `shutdown` resolves, then stops accepting, lets in-flight
/// requests finish for at most [`SHUTDOWN_GRACE`] and drops what is left. A response marked
/// [`AbortConnection`] closes its connection without an answer. Requests carry
/// `ConnectInfo<SocketAddr>` of the client.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let (stopping_tx, stopping_rx) = watch::channel(false);
    let graceful = GracefulShutdown::new();
    let builder = Builder::new(TokioExecutor::new());
    let mut connections = JoinSet::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            accepted = listener.accept() => {
                let (stream, remote) = match accepted {
                    Ok(accepted) => accepted,
                    Err(err) => {
                        accept_error(err).await;
                        continue;
                    }
                };
                let _ = stream.set_nodelay(true);
                let service = connection_service(app.clone(), remote, stopping_rx.clone());
                let conn = builder
                    .serve_connection_with_upgrades(TokioIo::new(stream), service)
                    .into_owned();
                let conn = graceful.watch(conn);
                connections.spawn(async move {
                    if let Err(err) = conn.await {
                        tracing::trace!(%remote, %err, "simulator connection ended");
                    }
                });
            }
        }
    }
    drop(listener);
    let _ = stopping_tx.send(true);
    if tokio::time::timeout(SHUTDOWN_GRACE, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!(
            left = connections.len(),
            "simulator connections still busy after the shutdown grace; dropping them"
        );
    }
    connections.shutdown().await;
    Ok(())
}

fn connection_service(
    app: Router,
    remote: SocketAddr,
    stopping: watch::Receiver<bool>,
) -> impl hyper::service::Service<
    hyper::Request<Incoming>,
    Response = Response,
    Error = AbortConnection,
    Future = impl Future<Output = Result<Response, AbortConnection>> + Send,
> + Clone {
    let stopping = ServerStopping(stopping);
    hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        req.extensions_mut().insert(stopping.clone());
        req.extensions_mut().insert(ConnectInfo(remote));
        let app = app.clone();
        async move {
            let response = app
                .oneshot(req.map(Body::new))
                .await
                .unwrap_or_else(|never: Infallible| match never {});
            if response.extensions().get::<AbortConnection>().is_some() {
                Err(AbortConnection)
            } else {
                Ok(response)
            }
        }
    })
}

/// As `axum::serve`: errors about one connection are skipped; others (too many open files)
/// are logged and accepting pauses for a second.
async fn accept_error(err: std::io::Error) {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    if matches!(
        err.kind(),
        ConnectionRefused | ConnectionAborted | ConnectionReset
    ) {
        return;
    }
    tracing::error!(%err, "simulator accept error");
    tokio::time::sleep(Duration::from_secs(1)).await;
}
