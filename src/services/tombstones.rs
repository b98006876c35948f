//! Deleting a proxy user while keeping its tombstone, and reading tombstones back: the one
//! record of a user after 911 or helodata has forgotten it.
//!
//! A delete reads the user first (the snapshot to keep), journals that snapshot when the write
//! is keyed, deletes upstream, then records the tombstone under a cause naming this delete. A
//! retry of a delete that crashed after the upstream call finds the journaled snapshot and
//! records the same tombstone once; a delete that fails upstream records nothing.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::{UnknownAccount, resolve_account, select_accounts};
use crate::domain::api_keys::Principal;
use crate::domain::idempotency::WriteContext;
use crate::domain::pagination::{Cursor, Page};
use crate::domain::proxy_users::{ProxyUser, ProxyUserId};
use crate::domain::tombstones::{Tombstone, TombstoneFilter};
use crate::providers::ProviderError;
use crate::providers::registry::Registry;
use crate::services::ServiceError;
use crate::store::TombstoneStore;

/// Where the journal keeps a keyed delete's snapshot.
const JOURNALED: &str = "tombstone";

/// A proxy user as a read that includes deleted ones finds it.
#[derive(Clone, Debug)]
pub enum Found {
    /// It exists at the provider.
    Live(ProxyUser),
    /// The gateway deleted it; its last snapshot.
    Deleted(Tombstone),
}

/// Deletes `id` upstream and keeps its tombstone.
pub async fn delete(
    registry: &Registry,
    tombstones: &dyn TombstoneStore,
    principal: &Principal,
    id: &ProxyUserId,
    ctx: &WriteContext,
) -> Result<(), ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    let provider = |e| ServiceError::provider(&account.name, e);
    let journaled = match ctx.journal().and_then(|j| j.get(JOURNALED)) {
        Some(value) => Some(Tombstone::from_json(value).map_err(|e| {
            ServiceError::Store(crate::store::StoreError::Other(format!(
                "the journaled tombstone of {id}: {e}"
            )))
        })?),
        None => None,
    };
    let tombstone = match journaled {
        Some(tombstone) => Some(tombstone),
        None => match account.adapter.get_proxy_user(&id.upstream).await {
            Ok(user) => {
                let tombstone =
                    Tombstone::of(&user, OffsetDateTime::now_utc(), principal.key_id.as_str());
                if let Some(journal) = ctx.journal() {
                    journal.record(JOURNALED, tombstone.to_json()).await?;
                }
                Some(tombstone)
            }
            // A resumed delete that journaled nothing and finds no user: an earlier attempt
            // (of a version before tombstones) deleted it; nothing is left to snapshot.
            Err(ProviderError::NotFound(_)) if ctx.resumed() => None,
            Err(err) => return Err(provider(err)),
        },
    };
    match account.adapter.delete_proxy_user(&id.upstream, ctx).await {
        // A resumed delete whose user is gone: the earlier attempt deleted it.
        Err(ProviderError::NotFound(_)) if ctx.resumed() => {}
        other => other.map_err(provider)?,
    }
    if let Some(tombstone) = tombstone {
        tombstones
            .record(&cause(ctx, &tombstone), &tombstone)
            .await?;
    }
    Ok(())
}

/// Names the delete that wrote a tombstone: a keyed delete by its write key and the moment
/// it snapshotted (so every retry of it names the same, and a later use of the same key after
/// its record expired names another); an unkeyed delete by a fresh ULID.
fn cause(ctx: &WriteContext, tombstone: &Tombstone) -> String {
    match ctx.write_key() {
        Some(key) if ctx.journal().is_some() => format!(
            "{key}@{}",
            tombstone.deleted_at.unix_timestamp_nanos() / 1000
        ),
        _ => format!("unkeyed:{}", ulid::Ulid::generate()),
    }
}

/// `id` whether it exists or the gateway deleted it (a live user wins: the id may have been
/// reused after the deletion).
pub async fn get_including_deleted(
    registry: &Registry,
    tombstones: &dyn TombstoneStore,
    principal: &Principal,
    id: &ProxyUserId,
) -> Result<Found, ServiceError> {
    let account = resolve_account(registry, principal, &id.account, UnknownAccount::NotFound)?;
    match account.adapter.get_proxy_user(&id.upstream).await {
        Ok(user) => Ok(Found::Live(user)),
        Err(ProviderError::NotFound(message)) => match tombstones.latest(id).await? {
            Some(tombstone) => Ok(Found::Deleted(tombstone)),
            None => Err(ServiceError::provider(
                &account.name,
                ProviderError::NotFound(message),
            )),
        },
        Err(err) => Err(ServiceError::provider(&account.name, err)),
    }
}

/// Where a listing of tombstones resumes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TombstoneCursor {
    /// The last seq shown; the next page holds older ones.
    #[serde(rename = "t")]
    pub before: i64,
}

impl TombstoneCursor {
    /// Decodes the public text of a cursor made by a tombstone listing.
    pub fn decode_public(text: &str) -> Result<TombstoneCursor, ServiceError> {
        Cursor::decode(text)
            .ok()
            .and_then(|cursor| serde_json::from_str(&cursor.0).ok())
            .ok_or_else(|| {
                ServiceError::invalid_argument(
                    "cursor",
                    "cursor is not a cursor returned by a listing of deleted proxy users",
                )
            })
    }

    fn to_cursor(self) -> Cursor {
        Cursor(serde_json::to_string(&self).unwrap_or_default())
    }
}

/// One page of tombstones (newest first) over the named accounts, or every permitted one.
pub async fn list(
    registry: &Registry,
    tombstones: &dyn TombstoneStore,
    principal: &Principal,
    accounts: &[String],
    mut filter: TombstoneFilter,
    cursor: Option<TombstoneCursor>,
    limit: u32,
) -> Result<Page<Tombstone>, ServiceError> {
    filter.accounts = select_accounts(registry, principal, accounts)?
        .into_iter()
        .map(|a| a.name.clone())
        .collect();
    let mut listed = tombstones
        .list(&filter, cursor.map(|c| c.before), limit.saturating_add(1))
        .await?;
    let more = listed.len() > limit as usize;
    listed.truncate(limit as usize);
    let next = more
        .then(|| {
            listed
                .last()
                .map(|l| TombstoneCursor { before: l.seq }.to_cursor())
        })
        .flatten();
    Ok(Page {
        items: listed.into_iter().map(|l| l.tombstone).collect(),
        next,
    })
}
