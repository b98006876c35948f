//! Tombstones: the gateway's own record of a proxy user it deleted. 911 erases a deleted
//! user's history upstream and helodata forgets it too, so the last normalized snapshot kept
//! here (never a password) is the only trace of who existed, with what, and who removed it.

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;

use super::products::Product;
use super::proxy_users::{ProxyUser, ProxyUserId, ProxyUserStatus};

/// A deleted proxy user as the store keeps it. The provider is its published name as text
/// (not a `ProviderKind`): a tombstone outlives the configuration that knew the account.
#[derive(Clone, Debug, PartialEq)]
pub struct Tombstone {
    /// The id the user had.
    pub id: ProxyUserId,
    /// The provider's published name.
    pub provider: String,
    /// The proxy-authentication name it had.
    pub username: String,
    /// Its label.
    pub label: Option<String>,
    /// Its products.
    pub products: Vec<Product>,
    /// Its status just before the deletion.
    pub status: ProxyUserStatus,
    /// Its traffic cap in bytes.
    pub traffic_limit_bytes: Option<u64>,
    /// The traffic it had used, in bytes, when it was deleted.
    pub traffic_used_bytes: Option<u64>,
    /// Its concurrency cap.
    pub concurrency_max: Option<u32>,
    /// Its requests-per-second cap.
    pub rps_max: Option<u32>,
    /// When it was created, when the provider said.
    pub created_at: Option<OffsetDateTime>,
    /// The provider's own object as last read, secrets already removed.
    pub provider_data: serde_json::Value,
    /// When the gateway deleted it (to the microsecond, as both stores keep times).
    pub deleted_at: OffsetDateTime,
    /// The API key that deleted it.
    pub deleted_by: String,
}

impl Tombstone {
    /// The tombstone of `user`, deleted at `at` by the key `by`. The password is left behind.
    pub fn of(user: &ProxyUser, at: OffsetDateTime, by: &str) -> Tombstone {
        Tombstone {
            id: user.id.clone(),
            provider: user.provider.as_str().to_string(),
            username: user.username.clone(),
            label: user.label.clone(),
            products: user.products.clone(),
            status: user.status,
            traffic_limit_bytes: user.traffic_limit_bytes,
            traffic_used_bytes: user.traffic_used_bytes,
            concurrency_max: user.concurrency_max,
            rps_max: user.rps_max,
            created_at: user.created_at,
            provider_data: (*user.provider_data).clone(),
            deleted_at: truncate_to_micros(at),
            deleted_by: by.to_string(),
        }
    }

    /// The label folded for the case-insensitive `label_contains` filter, as stored beside it.
    pub fn label_folded(&self) -> Option<String> {
        self.label.as_deref().map(str::to_lowercase)
    }
}

/// A tombstone as JSON: how both stores keep the snapshot and how a keyed delete journals it
/// before the call (so a resumed delete whose user is already gone still records it). One
/// codec, so Postgres and SQLite read back the same thing.
#[derive(Serialize, Deserialize)]
struct Encoded {
    id: String,
    provider: String,
    username: String,
    label: Option<String>,
    products: Vec<String>,
    status: String,
    traffic_limit_bytes: Option<u64>,
    traffic_used_bytes: Option<u64>,
    concurrency_max: Option<u32>,
    rps_max: Option<u32>,
    #[serde(with = "time::serde::rfc3339::option")]
    created_at: Option<OffsetDateTime>,
    provider_data: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    deleted_at: OffsetDateTime,
    deleted_by: String,
}

impl Tombstone {
    /// The JSON form.
    pub fn to_json(&self) -> serde_json::Value {
        let encoded = Encoded {
            id: self.id.to_string(),
            provider: self.provider.clone(),
            username: self.username.clone(),
            label: self.label.clone(),
            products: self
                .products
                .iter()
                .map(|p| p.as_str().to_string())
                .collect(),
            status: self.status.as_str().to_string(),
            traffic_limit_bytes: self.traffic_limit_bytes,
            traffic_used_bytes: self.traffic_used_bytes,
            concurrency_max: self.concurrency_max,
            rps_max: self.rps_max,
            created_at: self.created_at,
            provider_data: self.provider_data.clone(),
            deleted_at: self.deleted_at,
            deleted_by: self.deleted_by.clone(),
        };
        serde_json::to_value(encoded).unwrap_or_default()
    }

    /// Reads the JSON form back; a damaged one says what is wrong.
    pub fn from_json(value: serde_json::Value) -> Result<Tombstone, String> {
        let e: Encoded =
            serde_json::from_value(value).map_err(|e| format!("bad tombstone: {e}"))?;
        let products = e
            .products
            .iter()
            .map(|p| match p.as_str() {
                "other" => Ok(Product::Other),
                known => known.parse(),
            })
            .collect::<Result<Vec<_>, _>>()?;
        let status = match e.status.as_str() {
            "enabled" => ProxyUserStatus::Enabled,
            "disabled" => ProxyUserStatus::Disabled,
            other => return Err(format!("bad tombstone status {other:?}")),
        };
        Ok(Tombstone {
            id: e.id.parse()?,
            provider: e.provider,
            username: e.username,
            label: e.label,
            products,
            status,
            traffic_limit_bytes: e.traffic_limit_bytes,
            traffic_used_bytes: e.traffic_used_bytes,
            concurrency_max: e.concurrency_max,
            rps_max: e.rps_max,
            created_at: e.created_at,
            provider_data: e.provider_data,
            deleted_at: e.deleted_at,
            deleted_by: e.deleted_by,
        })
    }
}

/// Which tombstones a listing wants; the same filters as live users' (status aside: every
/// tombstone is `deleted`).
#[derive(Clone, Debug, Default)]
pub struct TombstoneFilter {
    /// Only these accounts; empty means none (the service always names the permitted ones).
    pub accounts: Vec<String>,
    /// Only users that had this product.
    pub product: Option<Product>,
    /// Only users whose label contained this text (case-insensitive).
    pub label_contains: Option<String>,
    /// Only users whose username started with this.
    pub username_prefix: Option<String>,
}

impl TombstoneFilter {
    /// The `label_contains` needle as the store compares it (with the folded label).
    pub fn label_folded(&self) -> Option<String> {
        self.label_contains.as_deref().map(str::to_lowercase)
    }

    /// Whether `tombstone` passes every filter: the stores' SQL must agree with this.
    pub fn matches(&self, tombstone: &Tombstone) -> bool {
        self.accounts.contains(&tombstone.id.account)
            && self.product.is_none_or(|p| tombstone.products.contains(&p))
            && self.label_folded().is_none_or(|needle| {
                tombstone
                    .label_folded()
                    .is_some_and(|label| label.contains(&needle))
            })
            && self
                .username_prefix
                .as_deref()
                .is_none_or(|prefix| tombstone.username.starts_with(prefix))
    }
}

/// A listed tombstone with its position: newest first, `seq` is what the cursor carries.
#[derive(Clone, Debug, PartialEq)]
pub struct ListedTombstone {
    /// The store's insertion order (larger is newer).
    pub seq: i64,
    /// The tombstone.
    pub tombstone: Tombstone,
}

/// Both stores keep microseconds; a tombstone carries exactly what will read back.
fn truncate_to_micros(at: OffsetDateTime) -> OffsetDateTime {
    let nanos = at.nanosecond();
    at.replace_nanosecond(nanos - nanos % 1000).unwrap_or(at)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::providers::ProviderKind;
    use secrecy::SecretString;
    use std::sync::Arc;

    fn user(label: Option<&str>) -> ProxyUser {
        ProxyUser {
            id: ProxyUserId::new("911proxy", "user01"),
            provider: ProviderKind::new("911proxy"),
            username: "user01".into(),
            label: label.map(str::to_string),
            products: vec![Product::Residential],
            status: ProxyUserStatus::Enabled,
            traffic_limit_bytes: Some(5 << 30),
            traffic_used_bytes: Some(3072),
            concurrency_max: None,
            rps_max: None,
            created_at: None,
            password: Some(SecretString::from("s3cret-pass")),
            provider_data: Arc::new(serde_json::json!({"username": "user01"})),
        }
    }

    #[test]
    fn a_tombstone_keeps_the_snapshot_but_not_the_password() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_765_000_000_123_456_789).unwrap();
        let tomb = Tombstone::of(&user(Some("Crawler-EU")), at, "key_1");
        assert_eq!(tomb.deleted_at.nanosecond() % 1000, 0);
        assert_eq!(tomb.deleted_at.nanosecond(), 123_456_000);
        assert!(!format!("{tomb:?}").contains("s3cret-pass"));
        assert_eq!(tomb.label_folded().as_deref(), Some("crawler-eu"));
        assert_eq!(Tombstone::from_json(tomb.to_json()).unwrap(), tomb);
        assert!(!tomb.to_json().to_string().contains("s3cret-pass"));
    }

    #[test]
    fn filters_match_like_the_live_listing() {
        let tomb = Tombstone::of(&user(Some("Crawler-EU")), OffsetDateTime::UNIX_EPOCH, "k");
        let all = TombstoneFilter {
            accounts: vec!["911proxy".into()],
            ..TombstoneFilter::default()
        };
        assert!(all.matches(&tomb));
        assert!(
            !TombstoneFilter::default().matches(&tomb),
            "no account, no match"
        );
        let by_label = TombstoneFilter {
            label_contains: Some("crAWler".into()),
            ..all.clone()
        };
        assert!(by_label.matches(&tomb));
        let by_prefix = TombstoneFilter {
            username_prefix: Some("user0".into()),
            product: Some(Product::Isp),
            ..all.clone()
        };
        assert!(!by_prefix.matches(&tomb));
    }
}
