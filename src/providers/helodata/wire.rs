//! helodata v1's JSON exactly as `shared/providers/helodata-v1-reference.md` documents it
//! (sections cited as §n): request bodies the adapter sends and the objects it reads. Fields
//! the reference does not promise are `Option`; unknown members are ignored (the raw object is
//! kept separately as `provider_data`).

use serde::{Deserialize, Serialize};

/// The error body `{code, message, request_id, field}` (§1 "Error body", overview "约定").
#[derive(Clone, Debug, Default, Deserialize)]
pub struct ErrorBody {
    /// snake_case code, e.g. `rate_limited`, `invalid_argument`.
    pub code: Option<String>,
    pub message: Option<String>,
    /// `req_…`.
    pub request_id: Option<String>,
    /// The offending input, on validation errors only [I, §1].
    pub field: Option<String>,
}

/// The list envelope `{data, next_cursor}` (§1 "Response envelope shapes"); items stay raw so
/// each keeps its untouched object for `provider_data`.
#[derive(Clone, Debug, Deserialize)]
pub struct ListEnvelope {
    pub data: Vec<serde_json::Value>,
    /// Absent in SBN's example, so optional (§1).
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// A sub-user as `GET /subusers` lists it (§5.2 "Sub-user object").
#[derive(Clone, Debug, Deserialize)]
pub struct SubUser {
    /// `sub_…`, the API id.
    pub id: String,
    /// Server-issued, e.g. `s1a2b3c4d5e`; the proxy username's `{username}` part (UF).
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    /// `residential` | `mobile` | `isp`.
    #[serde(default)]
    pub products: Vec<String>,
    /// `active` | `disabled` (D-SUB).
    pub status: String,
    #[serde(default)]
    pub concurrent_max: Option<u64>,
    #[serde(default)]
    pub rps_max: Option<u64>,
    /// RFC 3339 UTC.
    #[serde(default)]
    pub created_at: Option<String>,
}

/// `POST /subusers` body (§5.2 "Create body").
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct CreateSubUser {
    pub label: String,
    pub products: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrent_max: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rps_max: Option<u32>,
}

/// `POST /subusers` response: `{id, name, password, label, products}`, the only time the
/// password is shown (§5.2 "Create response"). The rest is read as a [`SubUser`].
#[derive(Clone, Debug, Deserialize)]
pub struct CreatedSubUser {
    pub id: String,
    pub password: String,
}

/// `PATCH /subusers/{id}` body: label, status, limits (§5.2 table, D-SUB).
#[derive(Clone, Debug, Default, Serialize, PartialEq, Eq)]
pub struct PatchSubUser {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub concurrent_max: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rps_max: Option<u32>,
}

impl PatchSubUser {
    /// Whether no field is set.
    pub fn is_empty(&self) -> bool {
        self == &PatchSubUser::default()
    }
}

/// `POST /subusers/{id}/rotate-password` response. Its shape is not documented (§5.2, §11):
/// `{password}` or the full object [I]; only `password` is relied on.
#[derive(Clone, Debug, Deserialize)]
pub struct RotatedPassword {
    pub password: String,
}

/// `GET /users/me` (§5.1).
#[derive(Clone, Debug, Deserialize)]
pub struct Me {
    /// `usr_…`.
    pub id: String,
    #[serde(default)]
    pub email: Option<String>,
    /// Open enum (§10.1): `trial`, `pay-as-you-go`, `starter`, `pro`, `enterprise`, …
    #[serde(default)]
    pub plan: Option<String>,
    /// `not-submitted`, `pending`, `approved`, `rejected`.
    #[serde(default)]
    pub kyc_status: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub balance: Option<Balance>,
}

/// `balance` of `GET /users/me`: USD float, two decimals (§8).
#[derive(Clone, Debug, Deserialize)]
pub struct Balance {
    pub currency: String,
    pub amount: f64,
}

/// A subscription (§5.5): bandwidth (`plan`, `gb_included`) or ISP (`batch_id`, `quantity`).
#[derive(Clone, Debug, Deserialize)]
pub struct Subscription {
    /// `sbn_…`.
    pub id: String,
    pub product: String,
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub gb_included: Option<u64>,
    #[serde(default)]
    pub quantity: Option<u64>,
    /// Only `active` is documented (§5.5); the simulator adds `paused`, `canceled`.
    pub status: String,
    #[serde(default)]
    pub renews_at: Option<String>,
    /// Not documented (§5.5): the simulator sets it on paused and canceled subscriptions.
    #[serde(default)]
    pub ends_at: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
}

/// An ISP batch as `GET /isp/batches` lists it. Only the endpoint's name is documented (§5.4);
/// every field here is [I], from the order response's `details` and the simulator.
#[derive(Clone, Debug, Deserialize)]
pub struct IspBatch {
    /// `bat_…`.
    pub id: String,
    /// The bound sub-user's `sub_…` id [I].
    #[serde(default)]
    pub subuser: Option<String>,
    #[serde(default)]
    pub quantity: Option<u64>,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    #[serde(default)]
    pub expires_at: Option<String>,
}

/// `GET /{product}/traffic` response: `{from, to, rows}` (§5.6).
#[derive(Clone, Debug, Deserialize)]
pub struct Traffic {
    pub rows: Vec<TrafficRow>,
}

/// One traffic row: the `group_by` keys plus counters in bytes (§5.6).
#[derive(Clone, Debug, Default, Deserialize, PartialEq)]
pub struct TrafficRow {
    /// `sub_…` (TRF) or the name (R-STAT), §10.3; `null` for ISP traffic of an unbound batch.
    #[serde(default)]
    pub subuser: Option<String>,
    /// `2026-05-01` [I].
    #[serde(default)]
    pub day: Option<String>,
    /// ISP `group_by=batch` key, `bat_…` [I].
    #[serde(default)]
    pub batch: Option<String>,
    /// `group_by=hour` key, RFC 3339.
    #[serde(default)]
    pub hour: Option<String>,
    /// `group_by=region` key, an ISO country code.
    #[serde(default)]
    pub region: Option<String>,
    /// `group_by=asn` key.
    #[serde(default)]
    pub asn: Option<u64>,
    /// `group_by=tag` key (`null` for untagged traffic).
    #[serde(default)]
    pub tag: Option<String>,
    /// ISP `group_by=ip` key.
    #[serde(default)]
    pub ip: Option<String>,
    pub bytes_in: u64,
    pub bytes_out: u64,
    #[serde(default)]
    pub requests: Option<u64>,
    #[serde(default)]
    pub errors: Option<u64>,
}

/// A whitelist entry (§5.8): `{id, subuser, product, ip, label, active, created_at}` for a
/// sub-user's entry; a batch entry carries `batch_id` instead of `subuser` and `product` [I:
/// WL shows only the sub-user form].
#[derive(Clone, Debug, Deserialize)]
pub struct WhitelistRow {
    /// `wl_…`.
    pub id: String,
    #[serde(default)]
    pub subuser: Option<String>,
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub batch_id: Option<String>,
    /// An address or CIDR range.
    pub ip: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub active: Option<bool>,
    /// RFC 3339 UTC.
    #[serde(default)]
    pub created_at: Option<String>,
}

/// `POST /whitelists` (`subuser`, `product`) and `POST /isp/batches/{id}/whitelist` (neither)
/// bodies (§5.8; T-407 shows `label` is optional).
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct AddWhitelistEntry {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subuser: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub product: Option<String>,
    pub ip: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// One country of `GET /residential/locations` (§5.10, R-LOC; its shape is not documented:
/// the list envelope with nested `states` and their `cities`, each with a display `name`, is
/// the simulator's reading).
#[derive(Clone, Debug, Deserialize)]
pub struct LocationCountry {
    /// Lowercase ISO 3166-1 alpha-2, as the username grammar takes it.
    pub country: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub states: Vec<LocationState>,
}

/// A state of a location country.
#[derive(Clone, Debug, Deserialize)]
pub struct LocationState {
    pub state: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub cities: Vec<LocationCity>,
}

/// A city of a location state.
#[derive(Clone, Debug, Deserialize)]
pub struct LocationCity {
    pub city: String,
    #[serde(default)]
    pub name: Option<String>,
}
