//! 911's proxy-user list is unpaged: every read of it costs the whole account. The adapter
//! therefore reads it into a per-account snapshot, shared by every request for a short TTL
//! (`PGW_LIST_SNAPSHOT_TTL_MS`), so a page costs the same at 10 users and at 10,000.
//!
//! The rules:
//! - **One read however many wait**: a stale snapshot is refreshed by one request at a time;
//!   the others wait for it and take what it read.
//! - **The gateway's own writes are visible in the next read**: every write moves the epoch
//!   (after its upstream calls, whatever their outcome); a request may use only a snapshot
//!   whose read *started* at or after the epoch it saw when it began, so a read that begins
//!   after a write's answer never sees the list from before the write.
//! - **A cursor pins its snapshot**: the last few snapshots stay reachable by id for
//!   [`PIN_TTL`], so paging through an account sees one consistent list; a cursor whose
//!   snapshot is gone continues after its username in the current one.
//! - Users unchanged between two reads share their memory (the newer snapshot reuses the
//!   older one's `Arc`, see `listing.rs`), so pinned snapshots cost little and a refresh
//!   decodes only what changed.
//!
//! Writes by other replicas or outside the gateway are seen within the TTL.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crate::domain::proxy_users::ProxyUser;
use crate::providers::ProviderError;

/// How long a snapshot stays reachable by a cursor that names it.
pub const PIN_TTL: Duration = Duration::from_secs(600);
/// How long a drawn username waits for its create (which follows at once, in the same request).
pub const DRAWN_TTL: Duration = Duration::from_secs(60);
/// Drawn names are swept only once this many wait, so the common case costs no sweep.
const DRAWN_SWEEP_AT: usize = 1024;
/// How many snapshots (the current one included) cursors may pin at once.
pub const MAX_PINNED: usize = 4;

/// The proxy users of one read of the list, by username.
pub struct Snapshot {
    /// Names the snapshot in cursors.
    pub id: u64,
    /// The write epoch when the read started: every write before it is in the list.
    epoch: u64,
    /// When the read started.
    started: Instant,
    /// Every user, by username.
    pub users: BTreeMap<String, Arc<ProxyUser>>,
    /// The users made of one row, by the row's text as 911 sent it: what the next read reuses.
    pub by_raw: HashMap<Arc<str>, Arc<ProxyUser>>,
}

/// What one read of the list yields.
pub struct Listing {
    /// Every user, by username.
    pub users: BTreeMap<String, Arc<ProxyUser>>,
    /// Single-row users by row text.
    pub by_raw: HashMap<Arc<str>, Arc<ProxyUser>>,
}

impl Snapshot {
    /// When the read of this list started.
    pub fn started(&self) -> Instant {
        self.started
    }
}

/// The snapshots of one account.
pub struct Snapshots {
    ttl: Duration,
    epoch: AtomicU64,
    next_id: AtomicU64,
    state: Mutex<Recent>,
    /// Held by the one request refreshing; the others wait on it.
    refresh: tokio::sync::Mutex<()>,
    reads: AtomicU64,
    /// Usernames this process added, and when (oldest first): a snapshot read before that
    /// lacks them.
    added: Mutex<VecDeque<(Instant, String)>>,
    /// Usernames this process drew for creates not sent yet, and when.
    drawn: Mutex<HashMap<String, Instant>>,
}

/// The newest snapshot first.
#[derive(Default)]
struct Recent(VecDeque<Arc<Snapshot>>);

impl Snapshots {
    /// Snapshots that serve reads for `ttl` (zero: every request reads the list itself).
    pub fn new(ttl: Duration) -> Snapshots {
        Snapshots {
            ttl,
            epoch: AtomicU64::new(0),
            // Random start: a cursor carried to another replica is unlikely to name one of
            // its snapshots (and if it does, paging still continues after the username).
            next_id: AtomicU64::new(rand::random::<u64>() >> 12),
            state: Mutex::new(Recent::default()),
            refresh: tokio::sync::Mutex::new(()),
            reads: AtomicU64::new(0),
            added: Mutex::new(VecDeque::new()),
            drawn: Mutex::new(HashMap::new()),
        }
    }

    /// The epoch a request starts in: pass it to [`Snapshots::get`].
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::Acquire)
    }

    /// A snapshot read at or after `epoch` and younger than the TTL: the current one, or one
    /// read now by `load` (given the previous snapshot, to share unchanged users).
    pub async fn get<F, Fut>(&self, epoch: u64, load: F) -> Result<Arc<Snapshot>, ProviderError>
    where
        F: FnOnce(Option<Arc<Snapshot>>) -> Fut,
        Fut: Future<Output = Result<Listing, ProviderError>>,
    {
        if let Some(current) = self.usable(epoch) {
            return Ok(current);
        }
        if self.ttl.is_zero() {
            return self.read(load, None).await;
        }
        let _turn = self.refresh.lock().await;
        if let Some(current) = self.usable(epoch) {
            return Ok(current);
        }
        let previous = self.latest();
        let snapshot = self.read(load, previous).await?;
        if let Ok(mut recent) = self.state.lock() {
            recent.0.push_front(snapshot.clone());
            recent.0.truncate(MAX_PINNED);
            recent.0.retain(|s| s.started.elapsed() < PIN_TTL);
        }
        Ok(snapshot)
    }

    /// The snapshot a cursor names, if it is still kept.
    pub fn pinned(&self, id: u64) -> Option<Arc<Snapshot>> {
        let recent = self.state.lock().ok()?;
        recent
            .0
            .iter()
            .find(|s| s.id == id && s.started.elapsed() < PIN_TTL)
            .cloned()
    }

    /// Any snapshot younger than the TTL, whatever writes happened since: for checks that
    /// add what the snapshot lacks themselves ([`Snapshots::added_since`]).
    pub async fn any_recent<F, Fut>(&self, load: F) -> Result<Arc<Snapshot>, ProviderError>
    where
        F: FnOnce(Option<Arc<Snapshot>>) -> Fut,
        Fut: Future<Output = Result<Listing, ProviderError>>,
    {
        self.get(0, load).await
    }

    /// The latest snapshot, however old, without reading: for checks that a stale list
    /// serves as well as a fresh one. `None` before the first read.
    pub fn at_hand(&self) -> Option<Arc<Snapshot>> {
        self.latest()
    }

    /// Records usernames this process drew (61 random bits each) for a create about to be
    /// sent: such a name needs no check against the list (one meeting any of 100,000 users
    /// has odds below 1e-13), so its create waits for no re-read. The create takes them
    /// back ([`Snapshots::take_drawn`]); one that never came is forgotten after [`DRAWN_TTL`].
    pub fn note_drawn(&self, names: impl IntoIterator<Item = String>) {
        let now = Instant::now();
        if let Ok(mut drawn) = self.drawn.lock() {
            if drawn.len() >= DRAWN_SWEEP_AT {
                drawn.retain(|_, at| at.elapsed() < DRAWN_TTL);
            }
            drawn.extend(names.into_iter().map(|n| (n, now)));
        }
    }

    /// Whether this process drew `name` (and forgets it: a resent plan, after a restart or an
    /// unknown outcome, is checked as any name is).
    pub fn take_drawn(&self, name: &str) -> bool {
        self.drawn
            .lock()
            .map(|mut drawn| drawn.remove(name).is_some())
            .unwrap_or(false)
    }

    /// Records usernames this process just added upstream.
    pub fn note_added(&self, names: impl IntoIterator<Item = String>) {
        let now = Instant::now();
        let latest = self.latest().map(|s| s.started);
        if let Ok(mut added) = self.added.lock() {
            // A note is needed only while a snapshot that lacks it may be checked against:
            // checks take snapshots younger than the TTL, and the latest snapshot holds what
            // was added before its read began. Older notes go from the front, so a busy
            // account with no reads keeps one TTL of notes, not every create since the start.
            while added.front().is_some_and(|(at, _)| {
                at.elapsed() >= self.ttl || latest.is_some_and(|started| *at < started)
            }) {
                added.pop_front();
            }
            added.extend(names.into_iter().map(|n| (now, n)));
        }
    }

    /// Whether this process added `name` after `since` (so a snapshot read then lacks it).
    pub fn added_since(&self, name: &str, since: Instant) -> bool {
        self.added
            .lock()
            .map(|added| added.iter().any(|(at, n)| *at >= since && n == name))
            .unwrap_or(false)
    }

    /// Called after every write's upstream calls: reads that begin from now on use a fresh
    /// list.
    pub fn invalidate(&self) {
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    /// A guard that invalidates when dropped (unless [`Invalidation::now`] did it already), so
    /// every exit of a write, errors included, counts.
    pub fn invalidation(&self) -> Invalidation<'_> {
        Invalidation {
            snapshots: self,
            done: false,
        }
    }

    /// How many times the list was read (for tests of the single-flight rule).
    #[cfg(test)]
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }

    fn usable(&self, epoch: u64) -> Option<Arc<Snapshot>> {
        let latest = self.latest()?;
        (latest.epoch >= epoch && latest.started.elapsed() < self.ttl).then_some(latest)
    }

    fn latest(&self) -> Option<Arc<Snapshot>> {
        self.state.lock().ok()?.0.front().cloned()
    }

    async fn read<F, Fut>(
        &self,
        load: F,
        previous: Option<Arc<Snapshot>>,
    ) -> Result<Arc<Snapshot>, ProviderError>
    where
        F: FnOnce(Option<Arc<Snapshot>>) -> Fut,
        Fut: Future<Output = Result<Listing, ProviderError>>,
    {
        let epoch = self.epoch();
        let started = Instant::now();
        self.reads.fetch_add(1, Ordering::Relaxed);
        let listing = load(previous).await?;
        Ok(Arc::new(Snapshot {
            id: self.next_id.fetch_add(1, Ordering::Relaxed),
            epoch,
            started,
            users: listing.users,
            by_raw: listing.by_raw,
        }))
    }
}

/// Invalidates the snapshots of an account when a write ends (see [`Snapshots::invalidation`]).
pub struct Invalidation<'a> {
    snapshots: &'a Snapshots,
    done: bool,
}

impl Invalidation<'_> {
    /// Invalidates at once (before a write re-reads what it wrote).
    pub fn now(&mut self) {
        self.snapshots.invalidate();
        self.done = true;
    }
}

impl Drop for Invalidation<'_> {
    fn drop(&mut self) {
        if !self.done {
            self.snapshots.invalidate();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::proxy_users::{ProxyUserId, ProxyUserStatus};
    use std::sync::atomic::AtomicUsize;

    fn user(name: &str, label: &str) -> ProxyUser {
        ProxyUser {
            id: ProxyUserId::new("911proxy", name.to_string()),
            provider: crate::providers::nine11::registration::KIND,
            username: name.to_string(),
            label: Some(label.to_string()),
            products: Vec::new(),
            status: ProxyUserStatus::Enabled,
            traffic_limit_bytes: None,
            traffic_used_bytes: None,
            concurrency_max: None,
            rps_max: None,
            created_at: None,
            password: None,
            provider_data: serde_json::json!({"username": name, "remark": label}).into(),
        }
    }

    fn list(labels: &[(&str, &str)]) -> Listing {
        Listing {
            users: labels
                .iter()
                .map(|(n, l)| (n.to_string(), Arc::new(user(n, l))))
                .collect(),
            by_raw: HashMap::new(),
        }
    }

    #[tokio::test]
    async fn concurrent_readers_share_one_read() {
        let snapshots = Arc::new(Snapshots::new(Duration::from_secs(60)));
        let loads = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..20 {
            let snapshots = snapshots.clone();
            let loads = loads.clone();
            tasks.push(tokio::spawn(async move {
                let epoch = snapshots.epoch();
                snapshots
                    .get(epoch, |_| async move {
                        loads.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        Ok(list(&[("a", "x")]))
                    })
                    .await
                    .map(|s| s.id)
            }));
        }
        let mut ids = Vec::new();
        for task in tasks {
            ids.push(task.await.unwrap().unwrap());
        }
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        ids.dedup();
        assert_eq!(ids.len(), 1, "everyone got the same snapshot");
    }

    #[tokio::test]
    async fn a_read_after_an_invalidation_reads_again_and_the_old_one_stays_pinned() {
        let snapshots = Snapshots::new(Duration::from_secs(60));
        let first = snapshots
            .get(snapshots.epoch(), |_| async {
                Ok(list(&[("a", "x"), ("b", "y")]))
            })
            .await
            .unwrap();
        let again = snapshots
            .get(snapshots.epoch(), |_| async { panic!("still fresh") })
            .await
            .unwrap();
        assert_eq!(again.id, first.id);
        snapshots.invalidate();
        let second = snapshots
            .get(snapshots.epoch(), |previous| async move {
                assert!(previous.is_some(), "the previous snapshot is offered");
                Ok(list(&[("a", "x"), ("b", "changed")]))
            })
            .await
            .unwrap();
        assert_ne!(second.id, first.id);
        assert_eq!(second.users["b"].label.as_deref(), Some("changed"));
        assert_eq!(
            snapshots.pinned(first.id).unwrap().users["b"]
                .label
                .as_deref(),
            Some("y")
        );
        assert_eq!(snapshots.reads(), 2);
    }

    #[tokio::test]
    async fn a_request_that_began_before_a_write_may_use_the_older_list() {
        let snapshots = Snapshots::new(Duration::from_secs(60));
        let before = snapshots.epoch();
        snapshots
            .get(before, |_| async { Ok(list(&[("a", "x")])) })
            .await
            .unwrap();
        snapshots.invalidate();
        let old = snapshots
            .get(before, |_| async { panic!("the older list will do") })
            .await
            .unwrap();
        assert!(old.users.contains_key("a"));
    }

    #[tokio::test]
    async fn a_zero_ttl_reads_every_time_and_pins_nothing() {
        let snapshots = Snapshots::new(Duration::ZERO);
        for _ in 0..3 {
            let s = snapshots
                .get(snapshots.epoch(), |_| async { Ok(list(&[("a", "x")])) })
                .await
                .unwrap();
            assert!(snapshots.pinned(s.id).is_none());
        }
        assert_eq!(snapshots.reads(), 3);
    }

    #[tokio::test]
    async fn with_no_reads_the_notes_of_adds_keep_one_ttl_not_every_create() {
        let snapshots = Snapshots::new(Duration::from_millis(50));
        let start = Instant::now();
        snapshots.note_added((0..1000).map(|i| format!("u{i}")));
        assert!(snapshots.added_since("u7", start));
        tokio::time::sleep(Duration::from_millis(60)).await;
        snapshots.note_added(["late".to_string()]);
        assert_eq!(snapshots.added.lock().unwrap().len(), 1);
        assert!(snapshots.added_since("late", start));
        // A snapshot read now holds every earlier add: the next note drops the rest.
        snapshots
            .get(snapshots.epoch(), |_| async { Ok(list(&[("late", "x")])) })
            .await
            .unwrap();
        snapshots.note_added(["later".to_string()]);
        let left: Vec<String> = snapshots
            .added
            .lock()
            .unwrap()
            .iter()
            .map(|(_, n)| n.clone())
            .collect();
        assert_eq!(left, ["later"]);
    }

    #[test]
    fn a_drawn_name_is_taken_back_once() {
        let snapshots = Snapshots::new(Duration::from_secs(2));
        snapshots.note_drawn(["drawn1".to_string(), "drawn2".to_string()]);
        assert!(snapshots.take_drawn("drawn1"));
        assert!(!snapshots.take_drawn("drawn1"), "once");
        assert!(!snapshots.take_drawn("asked"), "a name it did not draw");
        assert!(snapshots.take_drawn("drawn2"));
    }
}
