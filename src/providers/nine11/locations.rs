//! 911's dynamic geo lists (`ip/dynamic-states`, `ip/dynamic-citys`): both are read whole (each
//! answers every country at once) and joined into one tree. The `/search` variants answer the
//! same names for one country; the gateway serves search from its cache of the whole lists.
//! The lists are those of the dynamic products (residential, residential_ip).

use super::client::{Nine11Client, decode};
use super::wire::{self, GeoCountry, ListData};
use crate::domain::locations::{City, Country, Region};
use crate::providers::ProviderError;

/// The tree of both lists: countries in 911's order, states in the state list's order, each
/// state's cities from the city list (a state the city list names but the state list lacks is
/// added).
pub fn tree(states: &[GeoCountry], cities: &[GeoCountry]) -> Vec<Country> {
    let mut countries: Vec<Country> = Vec::new();
    let country_of = |countries: &mut Vec<Country>, c: &GeoCountry| -> usize {
        let code = c.country_code.to_ascii_uppercase();
        match countries.iter().position(|x| x.code == code) {
            Some(i) => i,
            None => {
                countries.push(Country {
                    code,
                    name: c.name_en.clone().filter(|n| !n.is_empty()),
                    regions: Vec::new(),
                });
                countries.len() - 1
            }
        }
    };
    for c in states {
        let i = country_of(&mut countries, c);
        for state in c.items.iter().filter_map(|item| item.state.as_deref()) {
            if !countries[i].regions.iter().any(|r| r.code == state) {
                countries[i].regions.push(Region {
                    code: state.to_string(),
                    name: None,
                    cities: Vec::new(),
                });
            }
        }
    }
    for c in cities {
        let i = country_of(&mut countries, c);
        for item in &c.items {
            let (Some(state), Some(city)) = (item.state.as_deref(), item.city.as_deref()) else {
                continue;
            };
            let regions = &mut countries[i].regions;
            let r = match regions.iter().position(|r| r.code == state) {
                Some(r) => r,
                None => {
                    regions.push(Region {
                        code: state.to_string(),
                        name: None,
                        cities: Vec::new(),
                    });
                    regions.len() - 1
                }
            };
            if !regions[r].cities.iter().any(|x| x.code == city) {
                regions[r].cities.push(City {
                    code: city.to_string(),
                    name: None,
                });
            }
        }
    }
    countries
}

/// Both lists, read at once, as one tree.
pub async fn read(client: &Nine11Client) -> Result<Vec<Country>, ProviderError> {
    let (states, cities) = futures::future::try_join(
        client.get(wire::DYNAMIC_STATES, &[]),
        client.get(wire::DYNAMIC_CITIES, &[]),
    )
    .await?;
    let states: ListData<GeoCountry> = decode(wire::DYNAMIC_STATES, &states)?;
    let cities: ListData<GeoCountry> = decode(wire::DYNAMIC_CITIES, &cities)?;
    Ok(tree(&states.list, &cities.list))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_two_lists_join_into_one_tree_and_null_items_are_skipped() {
        let states: Vec<GeoCountry> = serde_json::from_value(json!([
            {"name_en": "United States", "country_code": "US", "items": [
                {"state": "california"}, {"state": "texas"}, {"state": null}]},
            {"name_en": "Japan", "country_code": "JP", "items": []}
        ]))
        .unwrap();
        let cities: Vec<GeoCountry> = serde_json::from_value(json!([
            {"name_en": "United States", "country_code": "US", "items": [
                {"state": "california", "city": "losangeles"},
                {"state": "nevada", "city": "lasvegas"},
                {"city": null, "state": null}]}
        ]))
        .unwrap();
        let t = tree(&states, &cities);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].code, "US");
        assert_eq!(t[0].name.as_deref(), Some("United States"));
        let regions: Vec<&str> = t[0].regions.iter().map(|r| r.code.as_str()).collect();
        assert_eq!(regions, ["california", "texas", "nevada"]);
        assert_eq!(t[0].regions[0].cities[0].code, "losangeles");
        assert!(t[0].regions[1].cities.is_empty());
        assert!(t[1].regions.is_empty());
    }
}
