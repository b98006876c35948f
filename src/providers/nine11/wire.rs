//! 911Proxy's api-gate-way JSON exactly as `911proxy-openapi.txt` documents it, quirks
//! included: `msg` or `message`, success code 200 or 0 per endpoint, traffic in KB, limits in
//! GB, naive `Y-m-d H:i:s` local times (ISO `…Z` on the newer endpoints).
//!
//! Every field the adapter reads is optional or defaulted: the document marks every field
//! "Required: false", and a missing field must not sink a whole listing.

use serde::{Deserialize, Serialize};

/// Which code an endpoint answers on success (the document's per-endpoint examples; notes
/// "Envelope and success codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuccessCode {
    /// `code: 200`: whitelist-account/*, user-usage-flow/*, user-product/*, ip/*.
    Legacy,
    /// `code: 0`: order/*, payment/groups, activity/*, user/info.
    Modern,
}

impl SuccessCode {
    /// The integer that means success.
    pub fn value(self) -> i64 {
        match self {
            SuccessCode::Legacy => 200,
            SuccessCode::Modern => 0,
        }
    }
}

/// One documented endpoint: its path under the base URL and how it says success.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Endpoint {
    /// Path appended to the base URL.
    pub path: &'static str,
    /// Its success code.
    pub success: SuccessCode,
}

const fn legacy(path: &'static str) -> Endpoint {
    Endpoint {
        path,
        success: SuccessCode::Legacy,
    }
}

const fn modern(path: &'static str) -> Endpoint {
    Endpoint {
        path,
        success: SuccessCode::Modern,
    }
}

/// `GET whitelist-account/list`.
pub const ACCOUNT_LIST: Endpoint = legacy("/api-gate-way/whitelist-account/list");
/// `POST whitelist-account/add`.
pub const ACCOUNT_ADD: Endpoint = legacy("/api-gate-way/whitelist-account/add");
/// `POST whitelist-account/delete`.
pub const ACCOUNT_DELETE: Endpoint = legacy("/api-gate-way/whitelist-account/delete");
/// `POST whitelist-account/enable`.
pub const ACCOUNT_ENABLE: Endpoint = legacy("/api-gate-way/whitelist-account/enable");
/// `POST whitelist-account/disable`.
pub const ACCOUNT_DISABLE: Endpoint = legacy("/api-gate-way/whitelist-account/disable");
/// `POST whitelist-account/change-password`.
pub const ACCOUNT_CHANGE_PASSWORD: Endpoint =
    legacy("/api-gate-way/whitelist-account/change-password");
/// `POST whitelist-account/change-remark`.
pub const ACCOUNT_CHANGE_REMARK: Endpoint = legacy("/api-gate-way/whitelist-account/change-remark");
/// `POST whitelist-account/change-limit`.
pub const ACCOUNT_CHANGE_LIMIT: Endpoint = legacy("/api-gate-way/whitelist-account/change-limit");
/// `GET user-usage-flow/total`.
pub const USAGE_TOTAL: Endpoint = legacy("/api-gate-way/user-usage-flow/total");
/// `GET user-product/list`.
pub const PRODUCT_LIST: Endpoint = legacy("/api-gate-way/user-product/list");
/// `GET user-product/summary`.
pub const PRODUCT_SUMMARY: Endpoint = legacy("/api-gate-way/user-product/summary");
/// `GET user/info` (code 0 and `message`).
pub const USER_INFO: Endpoint = modern("/api-gate-way/user/info");
/// `GET payment/groups` (code 0 and `message`).
pub const PAYMENT_GROUPS: Endpoint = modern("/api-gate-way/payment/groups");
/// `GET order/list` (code 0; `page_no`/`page_size`, `data.pagination`).
pub const ORDER_LIST: Endpoint = modern("/api-gate-way/order/list");
/// `POST order/create` (code 0; no idempotency).
pub const ORDER_CREATE: Endpoint = modern("/api-gate-way/order/create");
/// `POST order/close` (code 0).
pub const ORDER_CLOSE: Endpoint = modern("/api-gate-way/order/close");
/// `GET activity/balance-recharge-gift-ratio` (code 0 and `msg`).
pub const RECHARGE_GIFT_RATIO: Endpoint =
    modern("/api-gate-way/activity/balance-recharge-gift-ratio");

/// The envelope every answer comes in: `{code, msg|message, data}`, or the ErrorResponse
/// schema's `{code, message, errors}`. `code` is kept raw: it is checked, not trusted.
#[derive(Clone, Debug, Deserialize)]
pub struct Envelope {
    /// The status code (an integer in every example).
    pub code: Option<serde_json::Value>,
    /// The message as the per-endpoint examples spell it.
    #[serde(default)]
    pub msg: Option<String>,
    /// The message as the Response format section and the newer endpoints spell it.
    #[serde(default)]
    pub message: Option<String>,
    /// The payload.
    #[serde(default)]
    pub data: Option<serde_json::Value>,
    /// `{field: [messages]}` of a code-400 parameter error (ErrorResponse schema).
    #[serde(default)]
    pub errors: Option<serde_json::Value>,
}

/// `data` of a list endpoint without paging: `{list: [...]}`.
#[derive(Clone, Debug, Deserialize)]
pub struct ListData<T> {
    /// The items.
    #[serde(default = "Vec::new")]
    pub list: Vec<T>,
}

/// A proxy account of `whitelist-account/list`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct AccountRow {
    /// "Account Number".
    #[serde(default)]
    pub id: Option<i64>,
    /// Proxy account name.
    pub username: String,
    /// Proxy account password (in clear, as listed).
    #[serde(default)]
    pub password: Option<String>,
    /// "Add Time", naive `Y-m-d H:i:s` in the provider's zone.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Remarks.
    #[serde(default)]
    pub remark: Option<String>,
    /// 9, 11, 14 or 25.
    #[serde(default)]
    pub product_type: Option<i64>,
    /// Used traffic, KB.
    #[serde(default)]
    pub usage_flow: Option<u64>,
    /// Traffic limit, GB; 0 unlimited.
    #[serde(default)]
    pub limit_flow: Option<u64>,
    /// 1 enabled, 0 disabled.
    #[serde(default)]
    pub status: Option<i64>,
}

/// A day of `user-usage-flow/total`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct UsageDay {
    /// `Y-m-d`.
    pub day: String,
    /// KB.
    #[serde(default)]
    pub flow: u64,
}

/// The order inside a `user-product/list` item.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct PackageOrder {
    /// Order creation time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Payment time.
    #[serde(default)]
    pub pay_at: Option<String>,
    /// "Order Description", e.g. `入门级`.
    #[serde(default)]
    pub title: Option<String>,
}

/// A package of `user-product/list`.
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct PackageRow {
    /// Package ID.
    pub id: i64,
    /// Activation time.
    #[serde(default)]
    pub created_at: Option<String>,
    /// Expiration time.
    #[serde(default)]
    pub expired_at: Option<String>,
    /// Package type.
    #[serde(default)]
    pub product_type: Option<i64>,
    /// Order transaction number.
    #[serde(default)]
    pub trade_no: Option<String>,
    /// The order that bought it.
    #[serde(default)]
    pub order: Option<PackageOrder>,
}

/// `data` of `user-product/list`: one page.
#[derive(Clone, Debug, Deserialize)]
pub struct PackagePage {
    /// The packages of this page (kept raw for `provider_data`).
    #[serde(default = "Vec::new")]
    pub list: Vec<serde_json::Value>,
    /// Pages (`page`, `page_size` and `total_count` are also sent; the walk needs only this).
    #[serde(default)]
    pub total_page: Option<u64>,
}

/// `data` of `user-product/summary`, every amount in KB.
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct Summary {
    /// Total traffic.
    #[serde(default)]
    pub total: Option<u64>,
    /// Number of packages.
    #[serde(default)]
    pub total_count: Option<u64>,
    /// Effective remaining amount.
    #[serde(default)]
    pub effective: Option<u64>,
    /// Number of effective packages.
    #[serde(default)]
    pub effective_count: Option<u64>,
    /// Total effective amount.
    #[serde(default)]
    pub effective_total: Option<u64>,
    /// Used within effective packages.
    #[serde(default)]
    pub effective_used: Option<u64>,
    /// Expiring within 7 days.
    #[serde(default)]
    pub temporary: Option<u64>,
    /// Packages expiring within 7 days.
    #[serde(default)]
    pub temporary_count: Option<u64>,
    /// Remaining in expired packages.
    #[serde(default)]
    pub expired: Option<u64>,
    /// Expired packages.
    #[serde(default)]
    pub expired_count: Option<u64>,
    /// Total used.
    #[serde(default)]
    pub used: Option<u64>,
}

/// `data` of `user/info` (the `User` schema).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct UserInfo {
    /// Account id.
    #[serde(default)]
    pub id: Option<i64>,
    /// Login email.
    #[serde(default)]
    pub email: Option<String>,
    /// Phone.
    #[serde(default)]
    pub phone: Option<String>,
    /// Balance; the currency is undocumented.
    #[serde(default)]
    pub balance: Option<f64>,
    /// Account status (meaning undocumented).
    #[serde(default)]
    pub status: Option<i64>,
    /// Real-name verification.
    #[serde(default)]
    pub is_real_name: Option<bool>,
    /// `2019-08-24T14:15:22Z` in the example.
    #[serde(default)]
    pub created_at: Option<String>,
}

/// Body of `whitelist-account/add`. The app_key goes in the query, never here.
#[derive(Clone, Debug, Serialize)]
pub struct AddAccounts<'a> {
    /// `user01:pass,user02:pass`.
    pub accounts: &'a str,
    /// Shared remark.
    pub remark: &'a str,
    /// Shared product type.
    pub product_type: i64,
}

/// Body of `whitelist-account/delete|enable|disable`: `user01,user02`.
#[derive(Clone, Debug, Serialize)]
pub struct AccountNames<'a> {
    /// Comma-separated names.
    pub accounts: &'a str,
}

/// Body of `whitelist-account/change-password`.
#[derive(Clone, Debug, Serialize)]
pub struct ChangePassword<'a> {
    /// The account.
    pub account: &'a str,
    /// The new password.
    pub password: &'a str,
}

/// Body of `whitelist-account/change-remark`.
#[derive(Clone, Debug, Serialize)]
pub struct ChangeRemark<'a> {
    /// The account.
    pub account: &'a str,
    /// The new remark (`""` clears it, as the document's example sends).
    pub remark: &'a str,
}

/// Body of `whitelist-account/change-limit`.
#[derive(Clone, Debug, Serialize)]
pub struct ChangeLimit<'a> {
    /// The account.
    pub account: &'a str,
    /// GB; 0 unlimited.
    pub limit: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_account_example_parses() {
        let data: ListData<AccountRow> = serde_json::from_str(
            r#"{"list":[{"id":0,"username":"string","password":"string","created_at":"string",
            "remark":"string","product_type":9,"usage_flow":0,"limit_flow":102400,"status":0}]}"#,
        )
        .unwrap();
        assert_eq!(data.list[0].limit_flow, Some(102_400));
        assert_eq!(data.list[0].product_type, Some(9));
    }

    #[test]
    fn an_envelope_may_say_msg_or_message_and_carry_errors() {
        let e: Envelope = serde_json::from_str(
            r#"{"code":400,"message":"参数错误","errors":{"accounts":["x"]}}"#,
        )
        .unwrap();
        assert_eq!(e.message.as_deref(), Some("参数错误"));
        assert!(e.msg.is_none() && e.data.is_none() && e.errors.is_some());
    }
}

/// `GET proxy-ip/list?product_type=`: the whitelisted source IPs (notes "IP whitelist",
/// [SIB]; not in the document's endpoint list). Envelope as the older endpoints, code 200
/// [INF: same era as whitelist-account/*].
pub const WHITE_IP_LIST: Endpoint = legacy("/api-gate-way/proxy-ip/list");
/// `POST proxy-ip/add` [SIB].
pub const WHITE_IP_ADD: Endpoint = legacy("/api-gate-way/proxy-ip/add");
/// `POST proxy-ip/delete` [SIB].
pub const WHITE_IP_DELETE: Endpoint = legacy("/api-gate-way/proxy-ip/delete");
/// `GET white-ip/quota?product_type=` [SIB].
pub const WHITE_IP_QUOTA: Endpoint = legacy("/api-gate-way/white-ip/quota");

/// The document's `WhiteIp` schema: `id, ip, remark, created_at` (ISO `…Z` in its example).
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct WhiteIpRow {
    /// 911's number for the entry (no endpoint takes it: deletion is by IP).
    #[serde(default)]
    pub id: Option<i64>,
    /// The whitelisted address.
    pub ip: String,
    /// Remarks.
    #[serde(default)]
    pub remark: Option<String>,
    /// When it was added.
    #[serde(default)]
    pub created_at: Option<String>,
}

/// `data` of `white-ip/quota`: `{quota, used}` [INF: the notes give no shape; the simulator
/// answers this one].
#[derive(Clone, Debug, Deserialize, PartialEq)]
pub struct WhiteIpQuota {
    /// Entries allowed for the product type.
    pub quota: u32,
    /// Entries in use.
    #[serde(default)]
    pub used: Option<u32>,
}

/// Body of `proxy-ip/add`: `ips` comma-separated, `product_type`, `remark`, and
/// `user_product_id` (the package) when the type is 11 [SIB].
#[derive(Clone, Debug, Serialize)]
pub struct AddWhiteIps<'a> {
    /// The addresses, comma-separated.
    pub ips: &'a str,
    /// 9, 11, 14 or 25.
    pub product_type: i64,
    /// Free text (`""` for none).
    pub remark: &'a str,
    /// The type-11 package the entry opens.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_product_id: Option<i64>,
}

/// Body of `proxy-ip/delete`: `ips`, narrowed to `product_type` [SIB].
#[derive(Clone, Debug, Serialize)]
pub struct DeleteWhiteIps<'a> {
    /// The addresses, comma-separated.
    pub ips: &'a str,
    /// The product type whose entry goes.
    pub product_type: i64,
}

/// `GET ip/v3`: extraction of `ip:port` endpoints (document "IP extraction"; notes "/ip/v3").
pub const IP_EXTRACT: Endpoint = legacy("/api-gate-way/ip/v3");

/// `GET ip/dynamic-states`: every country with its states (document "State List").
pub const DYNAMIC_STATES: Endpoint = legacy("/api-gate-way/ip/dynamic-states");
/// `GET ip/dynamic-citys`: every country with its cities (document "City list").
pub const DYNAMIC_CITIES: Endpoint = legacy("/api-gate-way/ip/dynamic-citys");

/// A country of the geo lists, with `items` (one per state, or one per city).
#[derive(Clone, Debug, Deserialize)]
pub struct GeoCountry {
    /// English name.
    #[serde(default)]
    pub name_en: Option<String>,
    /// Country or region code.
    pub country_code: String,
    /// States (dynamic-states) or cities (dynamic-citys); `null` fields in the examples.
    #[serde(default)]
    pub items: Vec<GeoItem>,
}

/// One `items` entry: `state` ("State or Province Name Code") and, in the city list, `city`.
#[derive(Clone, Debug, Deserialize)]
pub struct GeoItem {
    #[serde(default)]
    pub state: Option<String>,
    #[serde(default)]
    pub city: Option<String>,
}

/// `GET ip/get-static-ip`: purchased static IPs, `page`/`size` paged (its example is `{}`; the
/// rows are read field by field, see `static_ips.rs`).
pub const STATIC_IPS: Endpoint = legacy("/api-gate-way/ip/get-static-ip");
/// `GET static-ip-region`: static IPs on sale per country.
pub const STATIC_REGIONS: Endpoint = legacy("/api-gate-way/static-ip-region");
