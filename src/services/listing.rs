//! One page over several accounts: accounts in name order, each read through its adapter's own
//! cursor, and one public cursor (`ListCursor`: the account to resume in and the adapter's
//! cursor there). Every cross-account listing (proxy users, whitelist entries) pages this way.

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};

use crate::domain::pagination::{Cursor, Page};
use crate::providers::registry::ProviderAccount;
use crate::services::ServiceError;

/// Where a listing resumes: an account and that adapter's cursor inside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListCursor {
    /// The account to resume in.
    #[serde(rename = "a")]
    pub account: String,
    /// The adapter's cursor there; `None` starts the account from its beginning.
    #[serde(rename = "c", skip_serializing_if = "Option::is_none", default)]
    pub inner: Option<String>,
}

impl ListCursor {
    /// As a page cursor (its public text is `Cursor::encode`).
    pub fn to_cursor(&self) -> Cursor {
        Cursor(serde_json::to_string(self).unwrap_or_default())
    }

    /// Decodes the public text of a cursor made by [`ListCursor::to_cursor`].
    pub fn decode_public(text: &str) -> Result<ListCursor, ServiceError> {
        Cursor::decode(text)
            .ok()
            .and_then(|cursor| serde_json::from_str(&cursor.0).ok())
            .ok_or_else(|| {
                ServiceError::invalid_argument(
                    "cursor",
                    "cursor is not a cursor returned by this API",
                )
            })
    }
}

/// One adapter page: its items and the adapter's cursor for the next.
pub type AdapterPage<T> = Result<(Vec<T>, Option<String>), ServiceError>;

/// Up to `limit` items from `selected` accounts, starting at `cursor`. `fetch(account, inner,
/// wanted)` reads one adapter page: its items and the adapter's next cursor.
pub async fn merged_page<'a, T>(
    selected: &[&'a ProviderAccount],
    cursor: Option<ListCursor>,
    limit: u32,
    fetch: impl Fn(&'a ProviderAccount, Option<String>, u32) -> BoxFuture<'a, AdapterPage<T>>,
) -> Result<Page<T>, ServiceError> {
    let start = match &cursor {
        None => 0,
        Some(c) => selected
            .iter()
            .position(|a| a.name == c.account)
            .ok_or_else(|| {
                ServiceError::invalid_argument(
                    "cursor",
                    "the cursor belongs to another account selection",
                )
            })?,
    };
    let mut inner = cursor.and_then(|c| c.inner);
    let mut items = Vec::new();
    for (index, account) in selected.iter().enumerate().skip(start) {
        loop {
            let wanted = limit - items.len() as u32;
            let (page, next) = fetch(account, inner.take(), wanted).await?;
            items.extend(page);
            inner = next;
            if inner.is_none() || items.len() as u32 >= limit {
                break;
            }
        }
        if items.len() as u32 >= limit {
            items.truncate(limit as usize);
            let next = match inner {
                Some(c) => Some(ListCursor {
                    account: account.name.clone(),
                    inner: Some(c),
                }),
                None => selected.get(index + 1).map(|a| ListCursor {
                    account: a.name.clone(),
                    inner: None,
                }),
            };
            return Ok(Page {
                items,
                next: next.map(|c| c.to_cursor()),
            });
        }
        inner = None;
    }
    Ok(Page { items, next: None })
}
