//! Wire types shared by several resources: product names, statuses, time parameters.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime, Time};
use utoipa::ToSchema;

use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUserStatus;
use crate::error::ApiError;

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

impl ProductName {
    /// The domain product; `other` is refused as input, naming `field`.
    pub fn to_domain(self, field: &str) -> Result<Product, ApiError> {
        match self {
            ProductName::Residential => Ok(Product::Residential),
            ProductName::ResidentialIp => Ok(Product::ResidentialIp),
            ProductName::Mobile => Ok(Product::Mobile),
            ProductName::Isp => Ok(Product::Isp),
            ProductName::Datacenter => Ok(Product::Datacenter),
            ProductName::Other => Err(ApiError::invalid_argument(
                field,
                "'other' is not a product that can be asked for",
            )),
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

/// Parses a time parameter: an RFC 3339 timestamp, or a date (`YYYY-MM-DD`, meaning midnight UTC).
pub fn parse_time_param(field: &str, value: &str) -> Result<OffsetDateTime, ApiError> {
    if let Ok(at) = OffsetDateTime::parse(value, &Rfc3339) {
        return Ok(at.to_offset(time::UtcOffset::UTC));
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
        assert_eq!(
            parse_time_param("to", "yesterday")
                .unwrap_err()
                .field
                .as_deref(),
            Some("to")
        );
    }
}
