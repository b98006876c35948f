//! `GET /residential/locations` (§5.10, R-LOC): the residential targeting tree, codes as the
//! username grammar takes them (§7.1). `/mobile/locations` was never seen (§5.10), so mobile
//! has no list here.

use serde_json::Value;

use super::client::parse;
use super::{HelodataAdapter, wire};
use crate::domain::locations::{City, Country, Region};
use crate::providers::UpstreamFailure;

/// One listed country, normalized (the country code upper case, as ISO writes it).
pub fn country(raw: &Value) -> Result<Country, UpstreamFailure> {
    let c: wire::LocationCountry = parse(raw, "location")?;
    Ok(Country {
        code: c.country.to_ascii_uppercase(),
        name: c.name,
        regions: c
            .states
            .into_iter()
            .map(|s| Region {
                code: s.state,
                name: s.name,
                cities: s
                    .cities
                    .into_iter()
                    .map(|c| City {
                        code: c.city,
                        name: c.name,
                    })
                    .collect(),
            })
            .collect(),
    })
}

impl HelodataAdapter {
    /// Every residential location, all pages.
    pub(super) async fn residential_locations(&self) -> Result<Vec<Country>, UpstreamFailure> {
        let items = self.all("/residential/locations", &[]).await?;
        items.iter().map(country).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_listed_country_keeps_the_grammar_codes_and_the_names() {
        let raw = serde_json::json!({"country": "us", "name": "United States", "states": [
            {"state": "ca", "name": "California", "cities": [{"city": "la", "name": "Los Angeles"}]}]});
        let c = country(&raw).unwrap();
        assert_eq!(c.code, "US");
        assert_eq!(c.regions[0].code, "ca");
        assert_eq!(c.regions[0].name.as_deref(), Some("California"));
        assert_eq!(c.regions[0].cities[0].code, "la");
        assert_eq!(c.regions[0].cities[0].name.as_deref(), Some("Los Angeles"));
    }
}
