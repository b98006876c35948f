//! The audit log's background work, off the request path: sealing completed events into the
//! chain, closing events abandoned by a process that died as `unknown`, and (less often)
//! creating partitions ahead and applying retention. Every gateway replica runs it; the store
//! makes each step safe to run concurrently (one sealer at a time, idempotent maintenance).

use std::sync::Arc;
use std::time::Duration;

use time::OffsetDateTime;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::store::AuditStore;

/// Events sealed per store transaction.
const SEAL_BATCH: u32 = 1000;

/// When the worker acts.
#[derive(Clone, Debug)]
pub struct WorkerSettings {
    /// How often to seal and close abandoned events.
    pub seal_interval: Duration,
    /// How often to run partition maintenance and retention.
    pub maintenance_interval: Duration,
    /// A pending event older than this belongs to a request no process is serving any more:
    /// the request deadline plus the shutdown grace.
    pub abandoned_after: Duration,
}

/// A running worker; [`WorkerHandle::stop`] ends it.
pub struct WorkerHandle {
    stop: Option<oneshot::Sender<()>>,
    task: JoinHandle<()>,
}

impl WorkerHandle {
    /// Stops the worker after its current step.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        let _ = self.task.await;
    }
}

/// Starts the worker; its first round runs at once (so a restart closes what a crash left).
pub fn spawn(store: Arc<dyn AuditStore>, settings: WorkerSettings) -> WorkerHandle {
    let (stop, mut stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let mut seal_tick = tokio::time::interval(settings.seal_interval);
        seal_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut maintenance_tick = tokio::time::interval(settings.maintenance_interval);
        maintenance_tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        // The start already ran maintenance (App::build); the first tick fires at once.
        maintenance_tick.tick().await;
        loop {
            tokio::select! {
                _ = &mut stopped => break,
                _ = seal_tick.tick() => round(store.as_ref(), &settings).await,
                _ = maintenance_tick.tick() => maintain(store.as_ref()).await,
            }
        }
    });
    WorkerHandle {
        stop: Some(stop),
        task,
    }
}

/// One round: close abandoned events, then seal everything that can be sealed.
pub async fn round(store: &dyn AuditStore, settings: &WorkerSettings) {
    let now = crate::domain::api_keys::now();
    let cutoff = now - settings.abandoned_after;
    match store.complete_abandoned(cutoff, now).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!(
            events = n,
            "audit: closed events abandoned by a process that stopped mid-request as unknown"
        ),
        Err(err) => tracing::error!(error = %err, "audit: cannot close abandoned events"),
    }
    seal_all(store, now).await;
}

/// Seals until nothing more can be sealed or another replica holds the sealer lock.
pub async fn seal_all(store: &dyn AuditStore, now: OffsetDateTime) {
    loop {
        match store.seal(now, SEAL_BATCH).await {
            Ok(run) if run.busy || run.sealed < u64::from(SEAL_BATCH) => break,
            Ok(_) => continue,
            Err(err) => {
                tracing::error!(error = %err, "audit: sealing failed");
                break;
            }
        }
    }
}

/// Partitions ahead and retention.
pub async fn maintain(store: &dyn AuditStore) {
    match store.maintain().await {
        Ok(done) => {
            if !done.created.is_empty() || !done.dropped.is_empty() {
                tracing::info!(created = ?done.created, dropped = ?done.dropped, "audit: maintenance");
            }
        }
        Err(err) => tracing::error!(error = %err, "audit: maintenance failed"),
    }
}
