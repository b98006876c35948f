//! IP whitelist entries: source IPs (or ranges) a provider lets use its proxies without a
//! password. Where an entry applies differs by provider (helodata: a sub-user and product, or an
//! ISP batch; 911Proxy: the whole account, per product), so an entry names its scope and each
//! adapter checks its provider's own rules on [`SourceIp`] before any upstream call.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;

use time::OffsetDateTime;

use crate::domain::products::Product;
use crate::domain::providers::ProviderKind;
use crate::domain::proxy_users::ProxyUserId;

/// `<account>:<upstream id>`: the account, and what that account's adapter needs to find the
/// entry again (helodata: `wl_…` or `bat_…:wl_…`; 911Proxy: `<product type>:<ip>`, because 911
/// deletes by IP).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct WhitelistEntryId {
    /// The provider account's configured name.
    pub account: String,
    /// The adapter's own reference.
    pub upstream: String,
}

impl fmt::Display for WhitelistEntryId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.account, self.upstream)
    }
}

impl FromStr for WhitelistEntryId {
    type Err = String;

    /// Same grammar as a proxy user id: split at the first `:`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let id: ProxyUserId = s.parse().map_err(|_| {
            "a whitelist entry id looks like <account>:<upstream id>, as listed".to_string()
        })?;
        Ok(WhitelistEntryId {
            account: id.account,
            upstream: id.upstream,
        })
    }
}

/// A source address or range in canonical text: an IPv4 or IPv6 address, optionally with a CIDR
/// prefix. Whether a provider accepts ranges, and how wide, is that adapter's rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SourceIp {
    /// The address as given (not masked: `203.0.113.7/24` stays as written).
    pub addr: IpAddr,
    /// The CIDR prefix, when a range was given.
    pub prefix: Option<u8>,
}

impl SourceIp {
    /// Whether this is a range rather than one address.
    pub fn is_range(&self) -> bool {
        self.prefix.is_some()
    }
}

impl fmt::Display for SourceIp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.prefix {
            Some(p) => write!(f, "{}/{p}", self.addr),
            None => write!(f, "{}", self.addr),
        }
    }
}

impl FromStr for SourceIp {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("'{s}' is not an IPv4 or IPv6 address or CIDR range"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => None,
            Some(p) => Some(
                p.parse::<u8>()
                    .ok()
                    .filter(|p| *p <= max)
                    .ok_or_else(|| format!("the CIDR prefix of '{s}' must be 0-{max}"))?,
            ),
        };
        Ok(SourceIp { addr, prefix })
    }
}

/// One whitelist entry, normalized.
#[derive(Clone, Debug)]
pub struct WhitelistEntry {
    /// Gateway id.
    pub id: WhitelistEntryId,
    /// Which provider holds it.
    pub provider: ProviderKind,
    /// The whitelisted address or range, canonical.
    pub ip: String,
    /// The product it opens.
    pub product: Product,
    /// The proxy user it belongs to (helodata), `None` where it covers the whole account.
    pub proxy_user: Option<ProxyUserId>,
    /// The ISP batch it belongs to (helodata), as `<account>:bat_…`.
    pub ip_batch: Option<String>,
    /// Free text (911 remark; helodata label).
    pub label: Option<String>,
    /// Whether the provider applies it (helodata's `active`; 911 entries always apply).
    pub active: bool,
    /// Creation time in UTC.
    pub created_at: Option<OffsetDateTime>,
    /// The provider's own object, untouched.
    pub provider_data: Arc<serde_json::Value>,
}

/// Which entries a listing wants; `None` fields do not filter.
#[derive(Clone, Debug, Default)]
pub struct WhitelistFilter {
    /// Only entries opening this product.
    pub product: Option<Product>,
    /// Only entries of this proxy user (its upstream id).
    pub proxy_user: Option<String>,
    /// Only entries of this ISP batch (its upstream id).
    pub ip_batch: Option<String>,
}

/// What a caller asks to whitelist (parsed, not yet checked against a provider's rules).
#[derive(Clone, Debug)]
pub struct NewWhitelistEntry {
    /// The address or range.
    pub ip: SourceIp,
    /// The product; `None` lets the adapter choose its documented default.
    pub product: Option<Product>,
    /// The proxy user's upstream id (helodata scopes).
    pub proxy_user: Option<String>,
    /// The ISP batch's upstream id (helodata batch scopes).
    pub ip_batch: Option<String>,
    /// The package's upstream id (911 product `residential_ip` needs the package it opens).
    pub package: Option<String>,
    /// Free text.
    pub label: Option<String>,
}

/// How many entries a scope holds and allows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WhitelistQuota {
    /// The product the scope opens.
    pub product: Product,
    /// The proxy user of a per-user scope (helodata).
    pub proxy_user: Option<ProxyUserId>,
    /// The ISP batch of a per-batch scope (helodata), `<account>:bat_…`.
    pub ip_batch: Option<String>,
    /// Entries in the scope now.
    pub used: u32,
    /// Entries the scope may hold.
    pub allowed: u32,
}

impl WhitelistQuota {
    /// Whether one more entry fits.
    pub fn has_room(&self) -> bool {
        self.used < self.allowed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_ips_parse_to_canonical_text() {
        let cases = [
            ("203.0.113.5", "203.0.113.5", false),
            ("203.0.113.0/24", "203.0.113.0/24", true),
            ("2001:DB8::1", "2001:db8::1", false),
            ("2001:db8:0:0::/64", "2001:db8::/64", true),
        ];
        for (raw, canonical, range) in cases {
            let ip: SourceIp = raw.parse().unwrap();
            assert_eq!(ip.to_string(), canonical);
            assert_eq!(ip.is_range(), range);
        }
    }

    #[test]
    fn malformed_source_ips_are_refused_with_the_reason() {
        for raw in [
            "example.com",
            "203.0.113.5/33",
            "2001:db8::/129",
            "1.2.3.4/",
            "",
            "1.2.3",
        ] {
            assert!(raw.parse::<SourceIp>().is_err(), "{raw}");
        }
        assert_eq!(
            "1.2.3.4/40".parse::<SourceIp>().unwrap_err(),
            "the CIDR prefix of '1.2.3.4/40' must be 0-32"
        );
    }

    #[test]
    fn entry_ids_split_at_the_first_colon_so_ipv6_survives() {
        let id: WhitelistEntryId = "911proxy:9:2001:db8::1".parse().unwrap();
        assert_eq!(id.account, "911proxy");
        assert_eq!(id.upstream, "9:2001:db8::1");
        assert_eq!(id.to_string(), "911proxy:9:2001:db8::1");
        assert!("nocolon".parse::<WhitelistEntryId>().is_err());
    }

    #[test]
    fn a_full_scope_has_no_room() {
        let quota = WhitelistQuota {
            product: Product::Residential,
            proxy_user: None,
            ip_batch: None,
            used: 20,
            allowed: 20,
        };
        assert!(!quota.has_room());
        assert!(WhitelistQuota { used: 19, ..quota }.has_room());
    }
}
