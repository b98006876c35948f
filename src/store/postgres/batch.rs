//! Group commit for the hot path. Every keyed write costs at least four small statements
//! (audit intent, idempotency claim, idempotency completion, audit outcome), and a write that
//! journals its plan one more (the progress save), each its own commit; under load Postgres
//! spent more time committing them than the gateway spent on the request. A [`Batcher`] per
//! statement kind gathers what concurrent requests submit while the previous batch of that kind
//! is running and sends it as one multi-row statement: one round trip and one commit for the
//! lot. Alone, a submission runs at once as the usual single-row statement, so an idle gateway
//! answers as fast as before. All five kinds are batched; the two idempotency updates call a
//! function that loops over the rows (migration 0005), because their join form was planned as
//! a hash join over the whole table.
//!
//! Each caller still gets its own answer: a batch statement reports which rows it touched, and
//! when a batch statement fails as a whole, every row is retried on its own so one bad row
//! cannot fail its neighbours and each caller sees its own error.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, oneshot};

use crate::store::StoreError;

/// Rows per statement at most: large enough to absorb any burst the pool can serve, small
/// enough that one statement's parameters stay far below Postgres's limits.
pub(super) const MAX_BATCH: usize = 256;

type Reply<O> = oneshot::Sender<Result<O, StoreError>>;

/// One kind of statement, batched. Cloning shares the queue.
pub(super) struct Batcher<I, O> {
    queue: mpsc::UnboundedSender<(I, Reply<O>)>,
}

impl<I, O> Clone for Batcher<I, O> {
    fn clone(&self) -> Self {
        Batcher {
            queue: self.queue.clone(),
        }
    }
}

impl<I: Send + 'static, O: Send + 'static> Batcher<I, O> {
    /// Starts the batching task. `run` executes one batch and returns one result per item, in
    /// order; at most `in_flight` batches of this kind run at once (each holds one pooled
    /// connection), and what arrives meanwhile forms the next batch. The task ends when the
    /// last clone is dropped.
    pub(super) fn spawn<F, Fut>(in_flight: usize, run: F) -> Batcher<I, O>
    where
        F: Fn(Vec<I>) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Vec<Result<O, StoreError>>> + Send + 'static,
    {
        let (queue, mut incoming) = mpsc::unbounded_channel::<(I, Reply<O>)>();
        let run = Arc::new(run);
        let slots = Arc::new(Semaphore::new(in_flight.max(1)));
        tokio::spawn(async move {
            while let Some(first) = incoming.recv().await {
                // Wait for a free slot before draining: what arrives while every slot is busy
                // joins this batch.
                let Ok(slot) = slots.clone().acquire_owned().await else {
                    break;
                };
                let mut batch = vec![first];
                while batch.len() < MAX_BATCH {
                    match incoming.try_recv() {
                        Ok(item) => batch.push(item),
                        Err(_) => break,
                    }
                }
                let run = run.clone();
                tokio::spawn(async move {
                    let (items, replies): (Vec<I>, Vec<Reply<O>>) = batch.into_iter().unzip();
                    let count = items.len();
                    let mut results = run(items).await.into_iter();
                    for reply in replies {
                        let result = results.next().unwrap_or_else(|| {
                            Err(StoreError::Unavailable(format!(
                                "a batch of {count} returned fewer results than items"
                            )))
                        });
                        // A caller that went away no longer needs its answer.
                        let _ = reply.send(result);
                    }
                    drop(slot);
                });
            }
        });
        Batcher { queue }
    }

    /// Submits one item and waits for its own result.
    pub(super) async fn submit(&self, item: I) -> Result<O, StoreError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((item, reply))
            .map_err(|_| StoreError::Unavailable("the store is shutting down".into()))?;
        answer
            .await
            .map_err(|_| StoreError::Unavailable("a store batch was dropped".into()))?
    }
}

/// Whether a batch is worth one statement: a lone item runs the single-row statement.
pub(super) fn worth_one_statement<I>(items: &[I]) -> bool {
    items.len() > 1
}

/// Finishes a batch: the multi-row statement's results (`together`: one per item, in order)
/// when it ran and succeeded. When Postgres refused the statement (it rolled back), every item
/// runs on its own (`each`, concurrently), so one bad row fails alone and each caller sees its
/// own error. When the store could not be reached, or the connection broke, every item gets
/// that error: the statement may have committed before its answer was lost, and running the
/// rows again could record them twice.
pub(super) async fn or_each<I, O, F, Fut>(
    what: &'static str,
    items: Vec<I>,
    together: Option<Result<Vec<Result<O, StoreError>>, StoreError>>,
    each: F,
) -> Vec<Result<O, StoreError>>
where
    F: Fn(I) -> Fut,
    Fut: Future<Output = Result<O, StoreError>>,
{
    match together {
        Some(Ok(results)) => return results,
        Some(Err(StoreError::Unavailable(reason))) => {
            return items
                .iter()
                .map(|_| Err(StoreError::Unavailable(reason.clone())))
                .collect();
        }
        Some(Err(err)) => {
            tracing::warn!(error = %err, rows = items.len(), "store: a batch of {what} failed; running them one by one")
        }
        None => {}
    }
    futures::future::join_all(items.into_iter().map(each)).await
}

/// The (1-based) positions an `UPDATE … FROM unnest(…) WITH ORDINALITY … RETURNING ord`
/// touched, as one flag per item.
pub(super) fn touched(count: usize, ords: Vec<i64>) -> Vec<Result<bool, StoreError>> {
    let mut taken = vec![false; count];
    for ord in ords {
        if let Some(slot) = usize::try_from(ord - 1).ok().and_then(|i| taken.get_mut(i)) {
            *slot = true;
        }
    }
    taken.into_iter().map(Ok).collect()
}

/// How many batches of one kind may run at once: a quarter of the pool, at least one and at
/// most four. A request waits on one kind at a time, so the five kinds seldom all hold their
/// share together, and what they hold is released within a statement's time.
pub(super) fn in_flight_for(pool_size: u32) -> usize {
    usize::try_from(pool_size / 4).unwrap_or(1).clamp(1, 4)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test]
    async fn concurrent_submissions_share_a_batch_and_each_gets_its_own_result() {
        let batches = Arc::new(AtomicUsize::new(0));
        let seen = batches.clone();
        let batcher = Batcher::spawn(1, move |items: Vec<u32>| {
            seen.fetch_add(1, Ordering::SeqCst);
            async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                items.into_iter().map(|i| Ok(i * 10)).collect()
            }
        });
        let first = tokio::spawn({
            let batcher = batcher.clone();
            async move { batcher.submit(0).await }
        });
        // The first batch is running (and holds the one slot) when the others arrive.
        tokio::time::sleep(Duration::from_millis(5)).await;
        let rest = futures::future::join_all((1..50u32).map(|i| batcher.submit(i))).await;
        let mut answers = vec![first.await.unwrap().unwrap()];
        answers.extend(rest.into_iter().map(|a| a.unwrap()));
        assert_eq!(answers, (0..50u32).map(|i| i * 10).collect::<Vec<_>>());
        // The first submission ran alone; the 49 that arrived meanwhile formed one batch.
        assert_eq!(batches.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_batch_that_answers_short_fails_the_rest_instead_of_hanging() {
        let batcher: Batcher<u32, u32> = Batcher::spawn(1, |_items: Vec<u32>| async { Vec::new() });
        let err = batcher.submit(1).await.unwrap_err();
        assert!(matches!(err, StoreError::Unavailable(_)), "{err:?}");
    }

    #[tokio::test]
    async fn a_refused_batch_runs_each_row_but_a_lost_connection_runs_none_again() {
        let ran = std::sync::Mutex::new(Vec::new());
        let each = |i: u32| {
            ran.lock().unwrap().push(i);
            async move { Ok(i) }
        };
        let refused = Some(Err(StoreError::Other("check constraint".into())));
        let results = or_each("rows", vec![1, 2], refused, each).await;
        assert_eq!(
            results.into_iter().map(Result::unwrap).collect::<Vec<_>>(),
            [1, 2]
        );
        assert_eq!(*ran.lock().unwrap(), [1, 2]);

        let lost = Some(Err(StoreError::Unavailable("connection reset".into())));
        let results = or_each("rows", vec![3, 4], lost, each).await;
        assert!(
            results
                .iter()
                .all(|r| matches!(r, Err(StoreError::Unavailable(_))))
        );
        assert_eq!(*ran.lock().unwrap(), [1, 2], "nothing ran again");
    }

    #[test]
    fn a_quarter_of_the_pool_runs_batches_at_most_four() {
        assert_eq!(in_flight_for(1), 1);
        assert_eq!(in_flight_for(10), 2);
        assert_eq!(in_flight_for(100), 4);
    }
}
