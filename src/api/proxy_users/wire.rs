//! The wire types of proxy users: what callers send (checked here, naming the wrong field)
//! and what they get back.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::ToSchema;

use crate::api::common::{
    AccountName, ProductName, ProviderName, ProxyUserIdText, RequestedProduct, StatusName, present,
    whole_double_option, whole_option, whole_present,
};
use crate::domain::proxy_users::{
    Change, CreatedProxyUser, NewProxyUser, ProxyUser, ProxyUserStatus,
};
use crate::domain::tombstones::Tombstone;
use crate::http::error::ApiError;

/// A proxy user, normalized: bytes, UTC, closed enums.
#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "911proxy:user01", "account": "911proxy", "provider": "911proxy", "username": "user01",
    "label": "crawler-eu", "products": ["residential"], "status": "enabled",
    "traffic_limit_bytes": 5368709120u64, "traffic_used_bytes": 3072, "concurrency_max": null,
    "rps_max": null, "created_at": "2026-05-01T08:00:00Z",
    "provider_data": {"username": "user01", "remark": "crawler-eu", "product_type": 9,
                      "limit_flow": 5, "usage_flow": 3, "status": 1,
                      "created_at": "2026-05-01 16:00:00"}
}))]
pub struct ProxyUserView {
    /// `<account>:<upstream id>` (911: the username; helodata: the `sub_…` id).
    #[schema(value_type = ProxyUserIdText)]
    pub id: String,
    /// The provider account's configured name.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// The account's provider.
    pub provider: ProviderName,
    /// The name used for proxy authentication (911 username; helodata `name`).
    pub username: String,
    /// Free text (911 remark; helodata label).
    pub label: Option<String>,
    /// Products it can use.
    pub products: Vec<ProductName>,
    /// `enabled` or `disabled`; `deleted` for a user the gateway deleted (read with
    /// `?include=deleted` or listed with `?status=deleted`).
    pub status: ProxyUserState,
    /// Traffic cap in bytes (911 GB × 1024³); `null` is unlimited or not offered by the provider.
    #[schema(example = 5368709120u64)]
    pub traffic_limit_bytes: Option<u64>,
    /// Traffic used in bytes (911 KB × 1024); `null` where the provider does not say.
    #[schema(example = 3072u64)]
    pub traffic_used_bytes: Option<u64>,
    /// Concurrent connection cap (helodata); `null` elsewhere.
    pub concurrency_max: Option<u32>,
    /// Requests-per-second cap (helodata); `null` elsewhere.
    pub rps_max: Option<u32>,
    /// Creation time in UTC (911's local times converted with the account's time zone).
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// The password: only with `?include=password` and the `secrets:read` scope, or in create
    /// and rotate responses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    /// The provider's own object, untouched except that secrets are removed. Empty (`{}`) in
    /// the answer to a 911Proxy create: 911's add answers no object, and its record (with
    /// `created_at`) is in every read from then on.
    #[schema(value_type = Object)]
    pub provider_data: std::sync::Arc<serde_json::Value>,
    /// When the gateway deleted it (only on a deleted user).
    #[serde(
        with = "time::serde::rfc3339::option",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub deleted_at: Option<OffsetDateTime>,
    /// The id of the API key that deleted it (only on a deleted user).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "key_01JDQ6Z8M9W3V7Y2K1T0R5N4PX")]
    pub deleted_by: Option<String>,
}

/// A proxy user's state as reads show it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProxyUserState {
    /// May use the proxies.
    Enabled,
    /// Refused by the provider's gateway.
    Disabled,
    /// Deleted through the gateway; what is shown is its last snapshot (its tombstone).
    Deleted,
}

impl From<ProxyUserStatus> for ProxyUserState {
    fn from(s: ProxyUserStatus) -> Self {
        match s {
            ProxyUserStatus::Enabled => ProxyUserState::Enabled,
            ProxyUserStatus::Disabled => ProxyUserState::Disabled,
        }
    }
}

impl ProxyUserView {
    pub(super) fn from_domain(user: ProxyUser, with_password: bool) -> Self {
        ProxyUserView {
            id: user.id.to_string(),
            account: user.id.account.clone(),
            provider: user.provider.into(),
            username: user.username,
            label: user.label,
            products: user.products.into_iter().map(ProductName::from).collect(),
            status: user.status.into(),
            traffic_limit_bytes: user.traffic_limit_bytes,
            traffic_used_bytes: user.traffic_used_bytes,
            concurrency_max: user.concurrency_max,
            rps_max: user.rps_max,
            created_at: user.created_at,
            password: if with_password {
                user.password.map(|p| p.expose_secret().to_string())
            } else {
                None
            },
            provider_data: user.provider_data,
            deleted_at: None,
            deleted_by: None,
        }
    }

    /// A deleted user's last snapshot; it never holds a password.
    pub(crate) fn from_tombstone(tombstone: Tombstone) -> Result<Self, ApiError> {
        let provider = ProviderName::named(&tombstone.provider).ok_or_else(|| {
            tracing::error!(id = %tombstone.id, provider = %tombstone.provider,
                "a tombstone names a provider this build does not know");
            ApiError::internal()
        })?;
        Ok(ProxyUserView {
            id: tombstone.id.to_string(),
            account: tombstone.id.account,
            provider,
            username: tombstone.username,
            label: tombstone.label,
            products: tombstone
                .products
                .into_iter()
                .map(ProductName::from)
                .collect(),
            status: ProxyUserState::Deleted,
            traffic_limit_bytes: tombstone.traffic_limit_bytes,
            traffic_used_bytes: tombstone.traffic_used_bytes,
            concurrency_max: tombstone.concurrency_max,
            rps_max: tombstone.rps_max,
            created_at: tombstone.created_at,
            password: None,
            provider_data: std::sync::Arc::new(tombstone.provider_data),
            deleted_at: Some(tombstone.deleted_at),
            deleted_by: Some(tombstone.deleted_by),
        })
    }

    pub(super) fn created(created: CreatedProxyUser) -> Self {
        let mut view = ProxyUserView::from_domain(created.user, false);
        view.password = Some(created.password.expose_secret().to_string());
        view
    }
}

/// One page of proxy users.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProxyUserList {
    /// Users, by account name, then in each provider's stable order.
    pub data: Vec<ProxyUserView>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// A proxy user to create.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"account": "911proxy", "products": ["residential"], "label": "crawler-eu", "traffic_limit_bytes": 5368709120u64}))]
pub struct CreateProxyUser {
    /// The provider account to create it in.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// Products to grant (911: exactly one of residential, residential_ip, isp, datacenter;
    /// helodata: residential, mobile, isp).
    #[schema(min_items = 1)]
    pub products: Vec<RequestedProduct>,
    /// Free text, up to 64 characters (911: a non-ASCII character counts as 2; helodata:
    /// required, A-Z a-z 0-9 space . _ - only).
    #[schema(max_length = 64)]
    pub label: Option<String>,
    /// 911 only: 1-32 letters and digits; generated when absent. helodata issues it: must be absent.
    #[schema(pattern = "^[A-Za-z0-9]{1,32}$", example = "crawler01")]
    pub username: Option<String>,
    /// 911 only: 6-16 letters and digits; generated when absent. helodata issues it: must be absent.
    #[schema(pattern = "^[A-Za-z0-9]{6,16}$", example = "s3cretPass")]
    pub password: Option<String>,
    /// 911 only: a whole number of GB in bytes (1 GB = 1073741824), 1 to 102400 GB; absent or `null` is unlimited.
    #[serde(default, deserialize_with = "whole_option")]
    #[schema(
        minimum = 1073741824,
        maximum = 109951162777600u64,
        multiple_of = 1073741824
    )]
    pub traffic_limit_bytes: Option<u64>,
    /// helodata only: concurrent connection cap, 1 to 2147483647 (a 32-bit integer).
    #[serde(default, deserialize_with = "whole_option")]
    #[schema(minimum = 1, maximum = 2147483647)]
    pub concurrency_max: Option<u32>,
    /// helodata only: requests-per-second cap, 1 to 2147483647 (a 32-bit integer).
    #[serde(default, deserialize_with = "whole_option")]
    #[schema(minimum = 1, maximum = 2147483647)]
    pub rps_max: Option<u32>,
}

impl CreateProxyUser {
    pub(super) fn into_parts(self) -> (String, NewProxyUserFields) {
        let fields = NewProxyUserFields {
            products: self.products,
            label: self.label,
            username: self.username,
            password: self.password,
            traffic_limit_bytes: self.traffic_limit_bytes,
            concurrency_max: self.concurrency_max,
            rps_max: self.rps_max,
        };
        (self.account, fields)
    }
}

/// The fields of a new proxy user (one item of a batch).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProxyUserFields {
    /// Products to grant (911: exactly one of residential, residential_ip, isp, datacenter;
    /// helodata: residential, mobile, isp).
    #[schema(min_items = 1)]
    pub products: Vec<RequestedProduct>,
    /// Free text, up to 64 characters (911: a non-ASCII character counts as 2; helodata:
    /// required, A-Z a-z 0-9 space . _ - only).
    #[schema(max_length = 64)]
    pub label: Option<String>,
    /// 911 only: 1-32 letters and digits; generated when absent. helodata issues it: must be absent.
    #[schema(pattern = "^[A-Za-z0-9]{1,32}$", example = "crawler01")]
    pub username: Option<String>,
    /// 911 only: 6-16 letters and digits; generated when absent. helodata issues it: must be absent.
    #[schema(pattern = "^[A-Za-z0-9]{6,16}$", example = "s3cretPass")]
    pub password: Option<String>,
    /// 911 only: a whole number of GB in bytes (1 GB = 1073741824), 1 to 102400 GB; absent or `null` is unlimited.
    #[serde(default, deserialize_with = "whole_option")]
    #[schema(
        minimum = 1073741824,
        maximum = 109951162777600u64,
        multiple_of = 1073741824
    )]
    pub traffic_limit_bytes: Option<u64>,
    /// helodata only: concurrent connection cap, 1 to 2147483647 (a 32-bit integer).
    #[serde(default, deserialize_with = "whole_option")]
    #[schema(minimum = 1, maximum = 2147483647)]
    pub concurrency_max: Option<u32>,
    /// helodata only: requests-per-second cap, 1 to 2147483647 (a 32-bit integer).
    #[serde(default, deserialize_with = "whole_option")]
    #[schema(minimum = 1, maximum = 2147483647)]
    pub rps_max: Option<u32>,
}

/// The largest traffic limit any provider takes (911: 102400 GB).
pub(super) const MAX_TRAFFIC_LIMIT_BYTES: u64 = 102_400 * GB;
pub(super) const GB: u64 = 1 << 30;

/// The rules every provider shares, checked before the account's own: what the document's
/// schema states, so a request valid by the schema is never refused for them.
pub(super) fn check_common(
    prefix: &str,
    label: Option<&str>,
    username: Option<&str>,
    password: Option<&str>,
    traffic_limit_bytes: Option<u64>,
) -> Result<(), ApiError> {
    let alnum = |s: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric())
    };
    if label.is_some_and(|l| l.chars().count() > 64) {
        return Err(ApiError::invalid_argument(
            format!("{prefix}label"),
            "label holds at most 64 characters",
        ));
    }
    if username.is_some_and(|u| !alnum(u, 1..=32)) {
        return Err(ApiError::invalid_argument(
            format!("{prefix}username"),
            "username must be 1-32 ASCII letters or digits",
        ));
    }
    if password.is_some_and(|p| !alnum(p, 6..=16)) {
        return Err(ApiError::invalid_argument(
            format!("{prefix}password"),
            "password must be 6-16 ASCII letters or digits",
        ));
    }
    if let Some(bytes) = traffic_limit_bytes
        && (bytes == 0 || bytes % GB != 0 || bytes > MAX_TRAFFIC_LIMIT_BYTES)
    {
        return Err(ApiError::invalid_argument(
            format!("{prefix}traffic_limit_bytes"),
            "traffic_limit_bytes must be a whole number of GB (multiples of 1073741824 bytes) from 1 to 102400 GB, or null for unlimited",
        ));
    }
    Ok(())
}

/// Caps are 32-bit signed integers on the wire (`format: int32`), so clients in languages
/// whose `int` is 32 bits can hold every value the gateway accepts.
pub(super) fn check_cap(field: String, value: Option<u32>) -> Result<(), ApiError> {
    match value {
        Some(0) => Err(ApiError::invalid_argument(field, "must be at least 1")),
        Some(n) if n > i32::MAX as u32 => Err(ApiError::invalid_argument(
            field,
            format!("must be at most {}", i32::MAX),
        )),
        _ => Ok(()),
    }
}

impl NewProxyUserFields {
    pub(super) fn into_domain(self, prefix: &str) -> Result<NewProxyUser, ApiError> {
        if self.products.is_empty() {
            return Err(ApiError::invalid_argument(
                format!("{prefix}products"),
                "name at least one product",
            ));
        }
        check_common(
            prefix,
            self.label.as_deref(),
            self.username.as_deref(),
            self.password.as_deref(),
            self.traffic_limit_bytes,
        )?;
        check_cap(format!("{prefix}concurrency_max"), self.concurrency_max)?;
        check_cap(format!("{prefix}rps_max"), self.rps_max)?;
        Ok(NewProxyUser {
            products: self.products.into_iter().map(Into::into).collect(),
            label: self.label,
            username: self.username,
            password: self.password.map(SecretString::from),
            traffic_limit_bytes: self.traffic_limit_bytes,
            concurrency_max: self.concurrency_max,
            rps_max: self.rps_max,
        })
    }
}

/// Up to 100 proxy users for one account.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"account": "911proxy", "users": [{"products": ["residential"], "label": "crawler-1"}, {"products": ["residential"], "label": "crawler-2"}]}))]
pub struct CreateProxyUsersBatch {
    /// The provider account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// The users (1–100); all are validated before any is created.
    #[schema(min_items = 1, max_items = 100)]
    pub users: Vec<NewProxyUserFields>,
}

/// The users a batch created, each with its password (shown once).
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedProxyUsers {
    /// In request order.
    pub data: Vec<ProxyUserView>,
}

/// The fields to change (at least one); absent fields stay as they are, `null` clears
/// (`label`) or removes the cap (`traffic_limit_bytes`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(min_properties = 1, example = json!({"label": "crawler-us", "status": "disabled", "traffic_limit_bytes": null}))]
pub struct UpdateProxyUser {
    /// New label (up to 64 characters; see create), or `null` to clear it (911 only).
    #[serde(default, deserialize_with = "crate::api::common::double_option")]
    #[schema(value_type = Option<String>, max_length = 64)]
    pub label: Option<Option<String>>,
    /// `enabled` or `disabled`.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false)]
    pub status: Option<StatusName>,
    /// 911 only: new cap in whole GB as bytes (1 to 102400 GB), or `null` for unlimited.
    #[serde(default, deserialize_with = "whole_double_option")]
    #[schema(value_type = Option<u64>, minimum = 1073741824, maximum = 109951162777600u64, multiple_of = 1073741824)]
    pub traffic_limit_bytes: Option<Option<u64>>,
    /// helodata only: new concurrency cap, 1 to 2147483647.
    #[serde(default, deserialize_with = "whole_present")]
    #[schema(nullable = false, minimum = 1, maximum = 2147483647)]
    pub concurrency_max: Option<u32>,
    /// helodata only: new requests-per-second cap, 1 to 2147483647.
    #[serde(default, deserialize_with = "whole_present")]
    #[schema(nullable = false, minimum = 1, maximum = 2147483647)]
    pub rps_max: Option<u32>,
    /// 911 only: a new password of your choice (6-16 letters and digits). helodata: use rotate-password.
    #[serde(default, deserialize_with = "present")]
    #[schema(nullable = false, pattern = "^[A-Za-z0-9]{6,16}$")]
    pub password: Option<String>,
}

pub(super) fn change<T>(value: Option<Option<T>>) -> Change<T> {
    match value {
        None => Change::Keep,
        Some(None) => Change::Clear,
        Some(Some(v)) => Change::Set(v),
    }
}

/// Optionally, the new password (911 only; generated when absent).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RotatePassword {
    /// 911: the new password (6-16 letters and digits). helodata always issues its own.
    #[schema(pattern = "^[A-Za-z0-9]{6,16}$")]
    pub password: Option<String>,
}

/// The new password, shown once.
#[derive(Debug, Serialize, ToSchema)]
pub struct RotatedPasswordView {
    /// The proxy user.
    pub proxy_user: ProxyUserView,
    /// The new password.
    pub password: String,
    /// Until when the old password keeps working, where the provider documents it (911: 5 minutes; helodata: 60 seconds).
    #[serde(with = "time::serde::rfc3339::option")]
    pub old_password_valid_until: Option<OffsetDateTime>,
}
