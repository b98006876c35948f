//! Proxy users (911 sub-accounts, helodata sub-users) in one shape: ids, the normalized record,
//! and what callers may ask to create or change.

use std::fmt;
use std::str::FromStr;

use secrecy::SecretString;
use time::OffsetDateTime;

use super::products::Product;
use crate::domain::providers::ProviderKind;

/// `<account>:<upstream id>`: which configured account, and the provider's own id there
/// (911: the username; helodata: the `sub_…` id).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProxyUserId {
    /// The provider account's configured name.
    pub account: String,
    /// The provider's id of the user.
    pub upstream: String,
}

impl ProxyUserId {
    /// Builds an id from its parts.
    pub fn new(account: impl Into<String>, upstream: impl Into<String>) -> Self {
        ProxyUserId {
            account: account.into(),
            upstream: upstream.into(),
        }
    }
}

impl fmt::Display for ProxyUserId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.account, self.upstream)
    }
}

impl FromStr for ProxyUserId {
    type Err = String;

    /// Splits at the first `:`; account names cannot contain one, upstream ids might.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (account, upstream) = s
            .split_once(':')
            .ok_or_else(|| "a proxy user id looks like <account>:<upstream id>".to_string())?;
        crate::domain::api_keys::validate_account_name(account)?;
        // Counted in characters, as the published pattern counts them.
        if upstream.is_empty()
            || upstream.chars().count() > 128
            || upstream.chars().any(char::is_control)
        {
            return Err(
                "the upstream part of a proxy user id must be 1-128 printable characters"
                    .to_string(),
            );
        }
        Ok(ProxyUserId::new(account, upstream))
    }
}

/// Whether the proxy user may use the proxies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ProxyUserStatus {
    /// May use the proxies.
    Enabled,
    /// Refused by the provider's gateway.
    Disabled,
}

impl ProxyUserStatus {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProxyUserStatus::Enabled => "enabled",
            ProxyUserStatus::Disabled => "disabled",
        }
    }
}

/// One proxy user, normalized. Units: bytes; times: UTC.
#[derive(Clone, Debug)]
pub struct ProxyUser {
    /// Gateway id.
    pub id: ProxyUserId,
    /// Which provider serves it.
    pub provider: ProviderKind,
    /// The name used for proxy authentication (911 username; helodata `name`).
    pub username: String,
    /// Free text (911 remark; helodata label).
    pub label: Option<String>,
    /// Products it can use.
    pub products: Vec<Product>,
    /// Enabled or disabled.
    pub status: ProxyUserStatus,
    /// Traffic cap in bytes; `None` means unlimited (or no cap exists at this provider).
    pub traffic_limit_bytes: Option<u64>,
    /// Traffic used in bytes; `None` where the provider does not say.
    pub traffic_used_bytes: Option<u64>,
    /// Concurrent connection cap (helodata).
    pub concurrency_max: Option<u32>,
    /// Requests-per-second cap (helodata).
    pub rps_max: Option<u32>,
    /// Creation time in UTC.
    pub created_at: Option<OffsetDateTime>,
    /// The password, when the provider returns it (911 lists do); shown only to keys with
    /// `secrets:read` that ask for it.
    pub password: Option<SecretString>,
    /// The provider's own object, untouched except that secrets are removed. Shared: a
    /// listed user is handed out of the 911 snapshot and into every page without copying it.
    pub provider_data: std::sync::Arc<serde_json::Value>,
}

/// What a caller asks for when creating a proxy user (already parsed, not yet checked against
/// a provider's rules — the adapter does that before any upstream call).
#[derive(Clone, Debug, Default)]
pub struct NewProxyUser {
    /// Products to grant.
    pub products: Vec<Product>,
    /// Free text.
    pub label: Option<String>,
    /// Chosen username (911 only).
    pub username: Option<String>,
    /// Chosen password (911 only).
    pub password: Option<SecretString>,
    /// Traffic cap in bytes; `None` for unlimited.
    pub traffic_limit_bytes: Option<u64>,
    /// Concurrency cap (helodata only).
    pub concurrency_max: Option<u32>,
    /// RPS cap (helodata only).
    pub rps_max: Option<u32>,
}

/// A created proxy user with its password, which is returned once.
#[derive(Clone, Debug)]
pub struct CreatedProxyUser {
    /// The user as it now exists.
    pub user: ProxyUser,
    /// Its password.
    pub password: SecretString,
}

/// A field of a PATCH that may be set to a value or cleared (`null`), or left alone (absent).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Change<T> {
    /// Absent: leave as is.
    #[default]
    Keep,
    /// `null`: clear (label) or remove the cap (limit).
    Clear,
    /// A new value.
    Set(T),
}

impl<T> Change<T> {
    /// Whether the field was present in the request.
    pub fn is_requested(&self) -> bool {
        !matches!(self, Change::Keep)
    }
}

/// The fields of a PATCH, in the order adapters apply them when several upstream calls are needed.
#[derive(Clone, Debug, Default)]
pub struct ProxyUserPatch {
    /// New password (911 change-password).
    pub password: Option<SecretString>,
    /// New label, or clear it.
    pub label: Change<String>,
    /// New traffic cap in bytes, or `Clear` for unlimited.
    pub traffic_limit_bytes: Change<u64>,
    /// Enable or disable.
    pub status: Option<ProxyUserStatus>,
    /// New concurrency cap.
    pub concurrency_max: Option<u32>,
    /// New RPS cap.
    pub rps_max: Option<u32>,
}

/// The patch fields, by wire name, in application order.
pub const PATCH_FIELD_ORDER: [&str; 6] = [
    "password",
    "label",
    "traffic_limit_bytes",
    "status",
    "concurrency_max",
    "rps_max",
];

impl ProxyUserPatch {
    /// The wire names of the fields present, in application order.
    pub fn requested_fields(&self) -> Vec<&'static str> {
        let present = [
            self.password.is_some(),
            self.label.is_requested(),
            self.traffic_limit_bytes.is_requested(),
            self.status.is_some(),
            self.concurrency_max.is_some(),
            self.rps_max.is_some(),
        ];
        PATCH_FIELD_ORDER
            .into_iter()
            .zip(present)
            .filter_map(|(name, present)| present.then_some(name))
            .collect()
    }
}

/// The result of a password rotation: the new password (shown once) and, where the provider
/// documents a grace window, until when the old one keeps working.
#[derive(Clone, Debug)]
pub struct RotatedPassword {
    /// The user after rotation.
    pub user: ProxyUser,
    /// The new password.
    pub password: SecretString,
    /// Until when the old password is still accepted.
    pub old_password_valid_until: Option<OffsetDateTime>,
}

/// Filters of a proxy-user listing (applied upstream where the provider can, else by the adapter).
#[derive(Clone, Debug, Default)]
pub struct ProxyUserFilter {
    /// Only users with this product.
    pub product: Option<Product>,
    /// Only users in this status.
    pub status: Option<ProxyUserStatus>,
    /// Only users whose label contains this text (case-insensitive).
    pub label_contains: Option<String>,
    /// Only users whose username starts with this.
    pub username_prefix: Option<String>,
}

impl ProxyUserFilter {
    /// Whether `user` passes every filter (the final check, whatever the provider applied).
    pub fn matches(&self, user: &ProxyUser) -> bool {
        self.product.is_none_or(|p| user.products.contains(&p))
            && self.status.is_none_or(|s| user.status == s)
            && self.label_contains.as_ref().is_none_or(|needle| {
                user.label
                    .as_ref()
                    .is_some_and(|label| label.to_lowercase().contains(&needle.to_lowercase()))
            })
            && self
                .username_prefix
                .as_ref()
                .is_none_or(|prefix| user.username.starts_with(prefix.as_str()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_split_at_the_first_colon() {
        let id: ProxyUserId = "911proxy:user01".parse().unwrap();
        assert_eq!(id, ProxyUserId::new("911proxy", "user01"));
        assert_eq!(id.to_string(), "911proxy:user01");
        let odd: ProxyUserId = "helodata:sub_1:x".parse().unwrap();
        assert_eq!(odd.upstream, "sub_1:x");
        assert!("nocolon".parse::<ProxyUserId>().is_err());
        assert!("Bad Account:x".parse::<ProxyUserId>().is_err());
        // The upstream part is up to 128 characters, as the published pattern counts them.
        let wide = format!("911proxy:{}", "é".repeat(128));
        assert!(wide.parse::<ProxyUserId>().is_ok());
        assert!(
            format!("911proxy:{}", "é".repeat(129))
                .parse::<ProxyUserId>()
                .is_err()
        );
        assert!("helodata:".parse::<ProxyUserId>().is_err());
    }

    #[test]
    fn requested_fields_come_in_application_order() {
        let patch = ProxyUserPatch {
            status: Some(ProxyUserStatus::Disabled),
            label: Change::Clear,
            password: Some(SecretString::from("abc123")),
            ..Default::default()
        };
        assert_eq!(
            patch.requested_fields(),
            vec!["password", "label", "status"]
        );
    }
}
