//! Reading `whitelist-account/list` into proxy users, at a cost that follows what changed: the
//! list is kept as 911 sent it, and a row whose text is identical to one of the previous
//! snapshot's single-row users reuses that user as it is (same `Arc`, nothing decoded). Only
//! new or changed rows, and usernames with several rows, are decoded and mapped.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use super::map::{self, Row};
use super::snapshot::{Listing, Snapshot};
use super::wire::AccountRow;
use crate::domain::proxy_users::ProxyUser;
use crate::providers::{FailureKind, ProviderError, UpstreamFailure};

/// `data` of the list, its rows left as text.
#[derive(Deserialize)]
struct RawList<'a> {
    #[serde(borrow, default)]
    list: Vec<&'a RawValue>,
}

/// One row of the new list: an unchanged user of the previous snapshot, or decoded.
enum Seen {
    Kept(Arc<str>, Arc<ProxyUser>),
    Decoded(Arc<str>, Row),
}

/// The users of `data` (the list endpoint's raw `data`), sharing unchanged ones with
/// `previous`.
pub fn users(
    account: &str,
    tz: &jiff::tz::TimeZone,
    data: &RawValue,
    previous: Option<&Snapshot>,
) -> Result<Listing, ProviderError> {
    let list: RawList<'_> = serde_json::from_str(data.get()).map_err(malformed)?;
    let mut by_name: BTreeMap<String, Vec<Seen>> = BTreeMap::new();
    for raw in list.list {
        let text = raw.get();
        match previous.and_then(|p| p.by_raw.get_key_value(text)) {
            Some((kept_text, user)) => by_name
                .entry(user.username.clone())
                .or_default()
                .push(Seen::Kept(kept_text.clone(), user.clone())),
            None => {
                let row = decode(text)?;
                by_name
                    .entry(row.parsed.username.clone())
                    .or_default()
                    .push(Seen::Decoded(Arc::from(text), row));
            }
        }
    }
    let mut users = BTreeMap::new();
    let mut by_raw = HashMap::with_capacity(by_name.len());
    for (name, mut seen) in by_name {
        if let [Seen::Kept(text, user)] = seen.as_slice() {
            by_raw.insert(text.clone(), user.clone());
            users.insert(name, user.clone());
            continue;
        }
        let single = seen.len() == 1;
        let mut rows = Vec::with_capacity(seen.len());
        let mut text_of_single = None;
        for item in seen.drain(..) {
            let (text, row) = match item {
                Seen::Kept(text, _) => {
                    let row = decode(&text)?;
                    (text, row)
                }
                Seen::Decoded(text, row) => (text, row),
            };
            text_of_single = Some(text);
            rows.push(row);
        }
        let Some(user) = map::proxy_user(account, tz, &rows) else {
            continue;
        };
        let user = Arc::new(user);
        if single && let Some(text) = text_of_single {
            by_raw.insert(text, user.clone());
        }
        users.insert(name, user);
    }
    Ok(Listing { users, by_raw })
}

fn decode(text: &str) -> Result<Row, ProviderError> {
    let raw: Value = serde_json::from_str(text).map_err(malformed)?;
    let parsed = AccountRow::deserialize(&raw).map_err(malformed)?;
    Ok(Row { parsed, raw })
}

fn malformed(err: serde_json::Error) -> ProviderError {
    UpstreamFailure::new(FailureKind::MalformedResponse)
        .status(200)
        .message(format!(
            "a whitelist-account/list item is not as documented: {err}"
        ))
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::nine11::snapshot::Snapshots;
    use std::time::Duration;

    fn raw(text: &str) -> Box<RawValue> {
        RawValue::from_string(text.to_string()).unwrap()
    }

    const A: &str = r#"{"id":1,"username":"alpha","password":"pw1","status":1,"remark":"x","product_type":9,"limit_flow":0,"usage_flow":0,"created_at":"2026-05-01 08:00:00"}"#;
    const B: &str = r#"{"id":2,"username":"bravo","password":"pw2","status":1,"remark":"y","product_type":9,"limit_flow":0,"usage_flow":0,"created_at":"2026-05-01 08:00:00"}"#;
    const B2: &str = r#"{"id":3,"username":"bravo","password":"pw3","status":0,"remark":"z","product_type":25,"limit_flow":0,"usage_flow":5,"created_at":"2026-05-02 08:00:00"}"#;

    async fn snapshot(list: &str, previous: Option<Arc<Snapshot>>) -> Arc<Snapshot> {
        let snapshots = Snapshots::new(Duration::ZERO);
        let data = raw(list);
        let listing = users(
            "911proxy",
            &jiff::tz::TimeZone::UTC,
            &data,
            previous.as_deref(),
        );
        snapshots.get(0, |_| async move { listing }).await.unwrap()
    }

    #[tokio::test]
    async fn unchanged_rows_are_reused_and_changed_ones_decoded() {
        let first = snapshot(&format!(r#"{{"list":[{A},{B}]}}"#), None).await;
        assert_eq!(first.users.len(), 2);
        assert_eq!(first.users["alpha"].label.as_deref(), Some("x"));
        let changed_b = B.replace(r#""remark":"y""#, r#""remark":"w""#);
        let second = snapshot(
            &format!(r#"{{"list":[{A},{changed_b}]}}"#),
            Some(first.clone()),
        )
        .await;
        assert!(Arc::ptr_eq(&first.users["alpha"], &second.users["alpha"]));
        assert!(!Arc::ptr_eq(&first.users["bravo"], &second.users["bravo"]));
        assert_eq!(second.users["bravo"].label.as_deref(), Some("w"));
    }

    #[tokio::test]
    async fn a_username_that_gains_a_row_is_mapped_from_all_of_them() {
        let first = snapshot(&format!(r#"{{"list":[{A},{B}]}}"#), None).await;
        let second = snapshot(
            &format!(r#"{{"list":[{B2},{A},{B}]}}"#),
            Some(first.clone()),
        )
        .await;
        let bravo = &second.users["bravo"];
        assert!(!Arc::ptr_eq(&first.users["bravo"], bravo));
        assert_eq!(bravo.products.len(), 2, "{bravo:?}");
        assert_eq!(bravo.traffic_used_bytes, Some(5 * 1024));
        assert!(bravo.provider_data.is_array());
        assert!(
            !second.by_raw.contains_key(B),
            "a multi-row user is not kept by row"
        );
        let third = snapshot(&format!(r#"{{"list":[{A},{B}]}}"#), Some(second.clone())).await;
        assert_eq!(third.users["bravo"].products.len(), 1, "and loses it again");
    }

    #[tokio::test]
    async fn a_row_not_as_documented_is_a_malformed_answer() {
        let data = raw(r#"{"list":[{"id":"one"}]}"#);
        let err = users("911proxy", &jiff::tz::TimeZone::UTC, &data, None)
            .err()
            .expect("refused");
        assert!(err.to_string().contains("not as documented"), "{err}");
    }
}
