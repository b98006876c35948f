//! The audit log's use cases over the store: one page of events, and the walk that verifies the
//! whole hash chain. The pure parts (the chain's hashing and the walk's rules) are in
//! `domain::audit`.

use std::sync::Arc;

use futures::Stream;

use crate::domain::audit::chain::{BreakReason, Broken, Walk};
use crate::domain::audit::{AuditEvent, AuditFilter, EventKey, VerifyReport};
use crate::services::ServiceError;
use crate::store::{AuditStore, StoreError};

/// Events an export reads per store call.
const EXPORT_PAGE: u32 = 500;

/// One event by id.
pub async fn get(store: &dyn AuditStore, id: &str) -> Result<AuditEvent, ServiceError> {
    store
        .get(id)
        .await?
        .ok_or_else(|| ServiceError::NotFound(format!("no audit event {id}")))
}

/// Every event matching `filter` after `after`, newest first, a page per item: the store is
/// read one page at a time as the stream is consumed, so memory stays bounded whatever the
/// result's size. A store failure ends the stream with that error.
pub fn export(
    store: Arc<dyn AuditStore>,
    filter: AuditFilter,
    after: Option<EventKey>,
) -> impl Stream<Item = Result<Vec<AuditEvent>, StoreError>> + Send + 'static {
    futures::stream::unfold(Some(after), move |cursor| {
        let store = store.clone();
        let filter = filter.clone();
        async move {
            let after = cursor?;
            match store.list(&filter, after.as_ref(), EXPORT_PAGE).await {
                Ok(events) => {
                    let next = (events.len() == EXPORT_PAGE as usize)
                        .then(|| events.last().map(AuditEvent::key))
                        .flatten();
                    Some((Ok(events), next.map(Some)))
                }
                Err(err) => Some((Err(err), None)),
            }
        }
    })
}

/// How many links a verification reads per store call.
const VERIFY_PAGE: u32 = 1000;

/// The events of one page, newest first, and whether there are more.
pub async fn list_page(
    store: &dyn AuditStore,
    filter: &AuditFilter,
    after: Option<&EventKey>,
    limit: u32,
) -> Result<(Vec<AuditEvent>, Option<EventKey>), StoreError> {
    let mut events = store.list(filter, after, limit + 1).await?;
    let next = if events.len() > limit as usize {
        events.truncate(limit as usize);
        events.last().map(AuditEvent::key)
    } else {
        None
    };
    Ok((events, next))
}

/// Walks the whole chain in sequence order, a page at a time, and reports the first event
/// where it breaks. Memory stays constant whatever the log's size.
pub async fn verify(store: &dyn AuditStore) -> Result<VerifyReport, StoreError> {
    // Counted before the walk: a sealer running meanwhile only adds seals the walk then sees,
    // so `unsealed == 0` always comes with every event that existed being checked.
    let unsealed = store.unsealed_count().await?;
    let checkpoint = store.checkpoint().await?;
    let mut walk = Walk::new(checkpoint.clone());
    let mut after: Option<i64> = None;
    loop {
        let page = store.chain_page(after, VERIFY_PAGE).await?;
        let full = page.len() == VERIFY_PAGE as usize;
        for link in &page {
            if walk.check(link).is_some() {
                return Ok(walk.report(unsealed, checkpoint));
            }
        }
        match page.last() {
            Some(last) if full => after = Some(last.seq),
            _ => break,
        }
    }
    if let Some(last) = walk.last
        && let Some((seq, id)) = store.first_unsealed_before(last.0).await?
    {
        walk.broken = Some(Broken {
            sequence: seq,
            event_id: id,
            reason: BreakReason::UnsealedInsideChain,
            detail: format!(
                "event {seq} is older than the sealed head {} but was never sealed",
                last.0
            ),
        });
    }
    Ok(walk.report(unsealed, checkpoint))
}
