//! Wire types shared by several resources: product names, statuses, time parameters.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, Time};
use utoipa::ToSchema;

use crate::domain::products::Product;
use crate::domain::providers::{BreakerState, ProviderKind};

pub use super::capability_name::CapabilityName;
use crate::domain::proxy_users::ProxyUserStatus;
use crate::http::error::ApiError;

/// The characters of a provider account name, as a JSON Schema pattern (see
/// `validate_account_name`).
pub const ACCOUNT_NAME_PATTERN: &str = "^[a-z0-9][a-z0-9_-]{0,63}$";

/// A product, the same name for every provider. `other` marks an upstream value the gateway
/// does not know (see `provider_data`); it is never accepted as input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProductName {
    /// Rotating residential traffic (911 type 9, helodata residential).
    Residential,
    /// Time-based residential IPs (911 type 11).
    ResidentialIp,
    /// Mobile carrier IPs (helodata mobile).
    Mobile,
    /// Static residential / ISP IPs (911 type 25, helodata isp).
    Isp,
    /// Static datacenter IPs (911 type 14).
    Datacenter,
    /// Unknown upstream value (output only).
    Other,
}

impl From<Product> for ProductName {
    fn from(p: Product) -> Self {
        match p {
            Product::Residential => ProductName::Residential,
            Product::ResidentialIp => ProductName::ResidentialIp,
            Product::Mobile => ProductName::Mobile,
            Product::Isp => ProductName::Isp,
            Product::Datacenter => ProductName::Datacenter,
            Product::Other => ProductName::Other,
        }
    }
}

/// A product a caller can ask for: the products of [`ProductName`] without `other`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RequestedProduct {
    /// Rotating residential traffic (911 type 9, helodata residential).
    Residential,
    /// Time-based residential IPs (911 type 11).
    ResidentialIp,
    /// Mobile carrier IPs (helodata mobile).
    Mobile,
    /// Static residential / ISP IPs (911 type 25, helodata isp).
    Isp,
    /// Static datacenter IPs (911 type 14).
    Datacenter,
}

impl From<RequestedProduct> for Product {
    fn from(p: RequestedProduct) -> Self {
        match p {
            RequestedProduct::Residential => Product::Residential,
            RequestedProduct::ResidentialIp => Product::ResidentialIp,
            RequestedProduct::Mobile => Product::Mobile,
            RequestedProduct::Isp => Product::Isp,
            RequestedProduct::Datacenter => Product::Datacenter,
        }
    }
}

/// Which provider an account is at: a registered provider's published name. The document's
/// enum lists the registered providers, so a new adapter needs no line here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct ProviderName(&'static str);

impl From<ProviderKind> for ProviderName {
    fn from(kind: ProviderKind) -> Self {
        ProviderName(kind.as_str())
    }
}

impl ProviderName {
    /// The registered provider published as `name`, if any (a stored record names its
    /// provider as text).
    pub fn named(name: &str) -> Option<ProviderName> {
        crate::services::providers::kinds()
            .find(|kind| kind.as_str() == name)
            .map(ProviderName::from)
    }
}

impl utoipa::PartialSchema for ProviderName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .description(Some("Which provider an account is at."))
            .enum_values(Some(
                crate::services::providers::kinds().map(ProviderKind::as_str),
            ))
            .into()
    }
}

impl ToSchema for ProviderName {}

/// The state of an account's circuit breaker.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BreakerStateName {
    /// Calls flow.
    Closed,
    /// Calls fail fast (503 `upstream_unavailable`) until the cooldown ends.
    Open,
    /// One probe call is in flight; others fail fast.
    HalfOpen,
}

impl From<BreakerState> for BreakerStateName {
    fn from(state: BreakerState) -> Self {
        match state {
            BreakerState::Closed => BreakerStateName::Closed,
            BreakerState::Open => BreakerStateName::Open,
            BreakerState::HalfOpen => BreakerStateName::HalfOpen,
        }
    }
}

/// Whether a proxy user may use the proxies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StatusName {
    /// May use the proxies.
    Enabled,
    /// Refused by the provider's gateway.
    Disabled,
}

impl From<StatusName> for ProxyUserStatus {
    fn from(s: StatusName) -> Self {
        match s {
            StatusName::Enabled => ProxyUserStatus::Enabled,
            StatusName::Disabled => ProxyUserStatus::Disabled,
        }
    }
}

impl From<ProxyUserStatus> for StatusName {
    fn from(s: ProxyUserStatus) -> Self {
        match s {
            ProxyUserStatus::Enabled => StatusName::Enabled,
            ProxyUserStatus::Disabled => StatusName::Disabled,
        }
    }
}

/// Declares a string schema component with a pattern, for text the gateway checks exactly as
/// the pattern says (ids, names, opaque cursors), so clients and test generators know the rule.
macro_rules! text_schema {
    ($name:ident, $description:literal, $pattern:expr, $min:expr, $max:expr, $example:expr) => {
        #[doc = $description]
        pub struct $name;

        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::Type::String)
                    .description(Some($description))
                    .pattern(Some($pattern))
                    .min_length(Some($min))
                    .max_length(Some($max))
                    .examples([$example])
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}
    };
}

text_schema!(
    AccountName,
    "A provider account's configured name: 1-64 characters of a-z 0-9 _ -, starting with a letter or digit.",
    ACCOUNT_NAME_PATTERN,
    1,
    64,
    "911proxy"
);
text_schema!(
    ProxyUserIdText,
    "A proxy user id: `<account>:<upstream id>` (911: the username; helodata: the `sub_…` id); the upstream part is 1-128 characters without control characters.",
    PROXY_USER_ID_PATTERN,
    3,
    193,
    "911proxy:user01"
);
text_schema!(
    WhitelistEntryIdText,
    "A whitelist entry id: `<account>:<upstream id>` as listed (helodata: `wl_…` or `bat_…:wl_…`; 911Proxy: `<product type>:<ip>`).",
    PROXY_USER_ID_PATTERN,
    3,
    193,
    "911proxy:9:203.0.113.5"
);
text_schema!(
    ScopedIdText,
    "The id of an object at a provider account, `<account>:<upstream id>`, as the gateway lists it (a proxy user, an IP batch, a package).",
    PROXY_USER_ID_PATTERN,
    3,
    193,
    "helodata:sub_01HX2K3PQ4M5"
);
text_schema!(
    ApiKeyIdText,
    "An API key id: `key_` and a ULID.",
    API_KEY_ID_PATTERN,
    30,
    30,
    "key_01JDQ6Z8M9W3V7Y2K1T0R5N4PX"
);
text_schema!(
    AuditEventIdText,
    "An audit event id: `aud_` and a ULID.",
    AUDIT_EVENT_ID_PATTERN,
    30,
    30,
    "aud_01JDQ7A2V5K8M3N6P9R2T4W7XZ"
);
text_schema!(
    CursorText,
    "An opaque page cursor: the `next_cursor` of the previous page, passed back unchanged.",
    CURSOR_PATTERN,
    1,
    4096,
    "eyJhY2NvdW50IjoiOTExcHJveHkifQ"
);

/// `<account>:<upstream id>` as a JSON Schema pattern (see `ProxyUserId::from_str`).
pub const PROXY_USER_ID_PATTERN: &str =
    "^[a-z0-9][a-z0-9_-]{0,63}:[^\\u0000-\\u001f\\u007f-\\u009f]{1,128}$";
/// `key_<ULID>` (Crockford base32, either case) as a JSON Schema pattern.
pub const API_KEY_ID_PATTERN: &str = "^key_[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}$";
/// An audit event id as a JSON Schema pattern.
pub const AUDIT_EVENT_ID_PATTERN: &str = "^aud_[0-9A-HJKMNP-TV-Z]{26}$";
/// The alphabet of cursors (unpadded base64url).
pub const CURSOR_PATTERN: &str = "^[A-Za-z0-9_-]+$";

/// An ISO 3166-1 alpha-2 country code in any case, upper-cased; anything else is 400 naming
/// `field`.
pub fn country_code(field: &str, value: &str) -> Result<String, ApiError> {
    if value.len() != 2 || !value.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(ApiError::invalid_argument(
            field,
            format!("{field} is an ISO 3166-1 alpha-2 code (e.g. US)"),
        ));
    }
    Ok(value.to_ascii_uppercase())
}

/// A point in time given as a date (`2026-05-01`, midnight UTC) or an RFC 3339 time.
pub struct DateOrDateTime;

impl utoipa::PartialSchema for DateOrDateTime {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::Type;
        use utoipa::openapi::schema::{AnyOfBuilder, KnownFormat, ObjectBuilder, SchemaFormat};
        let string = |format| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(format)))
        };
        AnyOfBuilder::new()
            .item(string(KnownFormat::Date))
            .item(string(KnownFormat::DateTime))
            .description(Some(
                "A date (`2026-05-01`, meaning midnight UTC) or an RFC 3339 time (`2026-05-01T08:00:00+08:00`).",
            ))
            .examples(["2026-05-01"])
            .into()
    }
}

impl utoipa::ToSchema for DateOrDateTime {}

/// An address or a CIDR range to whitelist: what the gateway parses before any provider rule
/// (ranges, families and prefix lengths are each provider's, named in the field's text).
pub struct IpOrRange;

impl utoipa::PartialSchema for IpOrRange {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::Type;
        use utoipa::openapi::schema::{AnyOfBuilder, KnownFormat, ObjectBuilder, SchemaFormat};
        let address = |format| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .format(Some(SchemaFormat::KnownFormat(format)))
        };
        let range = |pattern: &str| {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .pattern(Some(pattern))
        };
        AnyOfBuilder::new()
            .item(address(KnownFormat::Ipv4))
            .item(address(KnownFormat::Ipv6))
            .item(range(
                r"^(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])){3}/(3[0-2]|[12]?[0-9])$",
            ))
            .item(range(r"^[0-9A-Fa-f:.]{2,39}/(12[0-8]|1[01][0-9]|[1-9]?[0-9])$"))
            .description(Some(
                "An IPv4 or IPv6 address, or a CIDR range (`203.0.113.0/24`, `2001:db8::/64`).",
            ))
            .examples(["203.0.113.5"])
            .into()
    }
}

impl utoipa::ToSchema for IpOrRange {}

/// Parses a time parameter: an RFC 3339 timestamp, or a date (`YYYY-MM-DD`, meaning midnight UTC).
pub fn parse_time_param(field: &str, value: &str) -> Result<OffsetDateTime, ApiError> {
    if let Ok(at) = OffsetDateTime::parse(value, &Rfc3339) {
        // A time at the ends of the calendar may fall outside years 0000-9999 in UTC
        // (0000-01-01T05:00+08:00, 9999-12-31T23:00-05:00): no provider can be asked about it.
        return at
            .checked_to_offset(time::UtcOffset::UTC)
            .filter(|utc| (0..=9999).contains(&utc.year()))
            .ok_or_else(|| {
                ApiError::invalid_argument(
                    field,
                    format!("{field} is outside years 0000-9999 in UTC"),
                )
            });
    }
    let format = time::macros::format_description!("[year]-[month]-[day]");
    Date::parse(value, format)
        .map(|date| date.with_time(Time::MIDNIGHT).assume_utc())
        .map_err(|_| {
            ApiError::invalid_argument(
                field,
                format!(
                    "{field} must be a date (2026-05-01) or an RFC 3339 time (2026-05-01T08:00:00Z)"
                ),
            )
        })
}

/// Deserializes an optional field that, when present, must hold a value: `null` is refused
/// (the field's schema is not nullable), absence is `None` (with `#[serde(default)]`).
pub fn present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    T::deserialize(deserializer).map(Some)
}

/// A JSON Schema `integer`: any JSON number whose fractional part is zero, so `5`, `5.0` and
/// `5e0` are the same value (OpenAPI 3.1 follows JSON Schema 2020-12 here, and JSON encoders of
/// many languages write whole floats as `5.0`). Used through the `whole_*` functions.
struct Whole<T>(T);

impl<'de, T: TryFrom<u64>> Deserialize<'de> for Whole<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<T>(std::marker::PhantomData<T>);

        impl<T: TryFrom<u64>> serde::de::Visitor<'_> for Visitor<T> {
            type Value = Whole<T>;

            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a whole number within the field's range")
            }

            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Self::Value, E> {
                T::try_from(v)
                    .map(Whole)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Unsigned(v), &self))
            }

            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Self::Value, E> {
                u64::try_from(v)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
                    .and_then(|v| self.visit_u64(v))
            }

            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Self::Value, E> {
                // 2^64 is the first float past u64::MAX.
                if v.fract() == 0.0 && (0.0..18_446_744_073_709_551_616.0).contains(&v) {
                    self.visit_u64(v as u64)
                } else {
                    Err(E::invalid_value(serde::de::Unexpected::Float(v), &self))
                }
            }
        }

        deserializer.deserialize_any(Visitor(std::marker::PhantomData))
    }
}

/// An optional whole number (`null` or absent is `None`); see [`Whole`].
pub fn whole_option<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    Option::<Whole<T>>::deserialize(deserializer).map(|v| v.map(|w| w.0))
}

/// A required whole number, written as an integer or as a float without a fraction (`5.0`).
pub fn whole<'de, D, T>(deserializer: D) -> Result<T, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    Whole::<T>::deserialize(deserializer).map(|w| w.0)
}

/// An optional whole number that, when present, is not `null`; see [`present`].
pub fn whole_present<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    Whole::<T>::deserialize(deserializer).map(|w| Some(w.0))
}

/// A whole number that may be absent, `null` or a value; see [`double_option`].
pub fn whole_double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: TryFrom<u64>,
{
    Option::<Whole<T>>::deserialize(deserializer).map(|v| Some(v.map(|w| w.0)))
}

/// A whole-number query parameter: absent is `None` (with `#[serde(default)]`), and a present
/// value must be digits. serde_html_form reads `?limit=` as absent, which the document (an
/// integer) does not allow.
pub fn query_u32<'de, D>(deserializer: D) -> Result<Option<u32>, D::Error>
where
    D: serde::Deserializer<'de>,
{
    let text = String::deserialize(deserializer)?;
    text.parse::<u32>().map(Some).map_err(|_| {
        serde::de::Error::invalid_value(serde::de::Unexpected::Str(&text), &"a whole number")
    })
}

/// Deserializes a field that may be absent (outer `None`), `null` (`Some(None)`) or a value.
pub fn double_option<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::providers::Capability;

    #[derive(Debug, Deserialize)]
    struct Numbers {
        #[serde(default, deserialize_with = "whole_option")]
        small: Option<u32>,
        #[serde(default, deserialize_with = "whole_double_option")]
        big: Option<Option<u64>>,
    }

    #[test]
    fn whole_numbers_may_be_written_as_floats_but_not_with_a_fraction() {
        let n: Numbers = serde_json::from_str(r#"{"small": 302.0, "big": 5368709120.0}"#).unwrap();
        assert_eq!((n.small, n.big), (Some(302), Some(Some(5_368_709_120))));
        let n: Numbers = serde_json::from_str(r#"{"small": 7, "big": null}"#).unwrap();
        assert_eq!((n.small, n.big), (Some(7), Some(None)));
        let n: Numbers = serde_json::from_str(r#"{}"#).unwrap();
        assert_eq!((n.small, n.big), (None, None));
        for bad in [
            r#"{"small": 1.5}"#,
            r#"{"small": -1}"#,
            r#"{"small": 4294967296}"#,
            r#"{"big": 1e20}"#,
            r#"{"small": "3"}"#,
        ] {
            assert!(serde_json::from_str::<Numbers>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn wire_enums_name_values_as_the_domain_does() {
        let capabilities = [
            Capability::ListProxyUsers,
            Capability::GetProxyUser,
            Capability::CreateProxyUser,
            Capability::CreateProxyUsersBatch,
            Capability::UpdateLabel,
            Capability::UpdateStatus,
            Capability::UpdateTrafficLimit,
            Capability::UpdateRateLimits,
            Capability::SetPassword,
            Capability::RotatePassword,
            Capability::DeleteProxyUser,
            Capability::Usage,
            Capability::UsageDetail,
            Capability::Account,
            Capability::Packages,
            Capability::PackageSummary,
            Capability::ListWhitelist,
            Capability::AddWhitelistEntry,
            Capability::DeleteWhitelistEntry,
            Capability::WhitelistQuota,
            Capability::ProxyConnection,
            Capability::ConnectionPassword,
            Capability::ExtractProxies,
            Capability::Locations,
            Capability::ListSessions,
            Capability::GetSession,
            Capability::DeleteSession,
            Capability::ListRequests,
            Capability::ListStaticIps,
            Capability::StaticIpAvailability,
            Capability::RenewIpBatch,
            Capability::RefreshIpBatch,
            Capability::ReplaceStaticIp,
            Capability::PaymentMethods,
            Capability::Promotions,
            Capability::Passthrough,
        ];
        for c in capabilities {
            assert_eq!(
                serde_json::to_value(CapabilityName::from(c)).unwrap(),
                c.as_str()
            );
        }
        for kind in crate::services::providers::kinds() {
            assert_eq!(
                serde_json::to_value(ProviderName::from(kind)).unwrap(),
                kind.as_str()
            );
        }
        for state in [
            BreakerState::Closed,
            BreakerState::Open,
            BreakerState::HalfOpen,
        ] {
            assert_eq!(
                serde_json::to_value(BreakerStateName::from(state)).unwrap(),
                state.as_str()
            );
        }
    }

    #[test]
    fn time_parameters_accept_dates_and_rfc3339() {
        assert_eq!(
            parse_time_param("from", "2026-05-01").unwrap(),
            time::macros::datetime!(2026-05-01 00:00 UTC)
        );
        assert_eq!(
            parse_time_param("from", "2026-05-01T08:00:00+08:00").unwrap(),
            time::macros::datetime!(2026-05-01 00:00 UTC)
        );
        for edge in ["0000-01-01T05:00:00+08:00", "9999-12-31T23:00:00-05:00"] {
            assert_eq!(
                parse_time_param("to", edge).unwrap_err().field.as_deref(),
                Some("to"),
                "{edge}"
            );
        }
        assert_eq!(
            parse_time_param("to", "yesterday")
                .unwrap_err()
                .field
                .as_deref(),
            Some("to")
        );
    }
}
