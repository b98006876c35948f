//! The normalized product catalogue. Each provider maps its own product names or codes onto
//! these; a value the gateway does not know becomes [`Product::Other`] (the raw value stays in
//! `provider_data`), never an error.

use std::fmt;
use std::str::FromStr;

/// A kind of proxy product, the same word for every provider.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Product {
    /// Rotating residential traffic (911 type 9, helodata `residential`).
    Residential,
    /// Time-based residential IPs (911 type 11).
    ResidentialIp,
    /// Mobile carrier IPs (helodata `mobile`).
    Mobile,
    /// Static residential / ISP IPs (911 type 25, helodata `isp`).
    Isp,
    /// Static datacenter IPs (911 type 14).
    Datacenter,
    /// A product the gateway does not know; see `provider_data`.
    Other,
}

impl Product {
    /// Every product a caller may ask for (not `Other`).
    pub const KNOWN: [Product; 5] = [
        Product::Residential,
        Product::ResidentialIp,
        Product::Mobile,
        Product::Isp,
        Product::Datacenter,
    ];

    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Product::Residential => "residential",
            Product::ResidentialIp => "residential_ip",
            Product::Mobile => "mobile",
            Product::Isp => "isp",
            Product::Datacenter => "datacenter",
            Product::Other => "other",
        }
    }
}

impl fmt::Display for Product {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Product {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Product::KNOWN
            .into_iter()
            .find(|p| p.as_str() == s)
            .ok_or_else(|| {
                format!(
                    "unknown product '{s}' (known: {})",
                    Product::KNOWN.map(Product::as_str).join(", ")
                )
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_products_round_trip_and_other_is_not_accepted_as_input() {
        for p in Product::KNOWN {
            assert_eq!(p.as_str().parse::<Product>().unwrap(), p);
        }
        assert!("other".parse::<Product>().is_err());
        assert!("Residential".parse::<Product>().is_err());
    }
}
