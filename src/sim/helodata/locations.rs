//! `GET /residential/locations`: countries, states and cities for residential targeting
//! (R-LOC). Codes are what the gateway username takes (UF): lowercase ISO-3166 alpha-2 regions,
//! lowercase ISO-3166-2 subdivision suffixes, and city slugs without spaces or diacritics.
//!
//! The response shape is not documented; chosen: the list envelope, one item per country with
//! nested `states` and their `cities`, each with a display `name`; filter `country=`.
//! `/mobile/locations` was never seen (§5.10) and is not served.

use serde::Serialize;

use super::errors::ApiResult;
use super::pagination::{Page, list_reply};
use super::reply::{Reply, Req, to_json};
use super::state::State;

#[derive(Clone, Debug, Serialize)]
pub struct Country {
    pub country: &'static str,
    pub name: &'static str,
    pub states: Vec<Subdivision>,
}

#[derive(Clone, Debug, Serialize)]
pub struct Subdivision {
    pub state: &'static str,
    pub name: &'static str,
    pub cities: Vec<City>,
}

#[derive(Clone, Debug, Serialize)]
pub struct City {
    pub city: &'static str,
    pub name: &'static str,
}

type Table = &'static [(
    &'static str,
    &'static str,
    &'static [(
        &'static str,
        &'static str,
        &'static [(&'static str, &'static str)],
    )],
)];

const TABLE: Table = &[
    (
        "ae",
        "United Arab Emirates",
        &[("du", "Dubai", &[("dubai", "Dubai")])],
    ),
    (
        "ar",
        "Argentina",
        &[(
            "c",
            "Ciudad Autónoma de Buenos Aires",
            &[("buenosaires", "Buenos Aires")],
        )],
    ),
    (
        "au",
        "Australia",
        &[
            ("nsw", "New South Wales", &[("sydney", "Sydney")]),
            ("vic", "Victoria", &[("melbourne", "Melbourne")]),
            ("qld", "Queensland", &[("brisbane", "Brisbane")]),
        ],
    ),
    (
        "br",
        "Brazil",
        &[
            (
                "sp",
                "São Paulo",
                &[("saopaulo", "São Paulo"), ("campinas", "Campinas")],
            ),
            (
                "rj",
                "Rio de Janeiro",
                &[("riodejaneiro", "Rio de Janeiro")],
            ),
        ],
    ),
    (
        "ca",
        "Canada",
        &[
            (
                "on",
                "Ontario",
                &[("toronto", "Toronto"), ("ottawa", "Ottawa")],
            ),
            ("bc", "British Columbia", &[("vancouver", "Vancouver")]),
            ("qc", "Quebec", &[("montreal", "Montréal")]),
        ],
    ),
    (
        "de",
        "Germany",
        &[
            ("be", "Berlin", &[("berlin", "Berlin")]),
            ("by", "Bavaria", &[("munich", "Munich")]),
            ("he", "Hesse", &[("frankfurt", "Frankfurt am Main")]),
        ],
    ),
    (
        "es",
        "Spain",
        &[
            ("md", "Madrid", &[("madrid", "Madrid")]),
            ("ct", "Catalonia", &[("barcelona", "Barcelona")]),
        ],
    ),
    (
        "fr",
        "France",
        &[
            ("idf", "Île-de-France", &[("paris", "Paris")]),
            ("ara", "Auvergne-Rhône-Alpes", &[("lyon", "Lyon")]),
            (
                "pac",
                "Provence-Alpes-Côte d'Azur",
                &[("marseille", "Marseille")],
            ),
        ],
    ),
    (
        "gb",
        "United Kingdom",
        &[
            (
                "eng",
                "England",
                &[
                    ("london", "London"),
                    ("manchester", "Manchester"),
                    ("birmingham", "Birmingham"),
                ],
            ),
            (
                "sct",
                "Scotland",
                &[("edinburgh", "Edinburgh"), ("glasgow", "Glasgow")],
            ),
        ],
    ),
    (
        "id",
        "Indonesia",
        &[("jk", "Jakarta", &[("jakarta", "Jakarta")])],
    ),
    (
        "in",
        "India",
        &[
            (
                "mh",
                "Maharashtra",
                &[("mumbai", "Mumbai"), ("pune", "Pune")],
            ),
            ("dl", "Delhi", &[("newdelhi", "New Delhi")]),
            ("ka", "Karnataka", &[("bengaluru", "Bengaluru")]),
        ],
    ),
    (
        "it",
        "Italy",
        &[
            ("25", "Lombardy", &[("milan", "Milan")]),
            ("62", "Lazio", &[("rome", "Rome")]),
        ],
    ),
    (
        "jp",
        "Japan",
        &[
            ("13", "Tokyo", &[("tokyo", "Tokyo")]),
            ("27", "Osaka", &[("osaka", "Osaka")]),
        ],
    ),
    (
        "kr",
        "South Korea",
        &[
            ("11", "Seoul", &[("seoul", "Seoul")]),
            ("26", "Busan", &[("busan", "Busan")]),
        ],
    ),
    (
        "mx",
        "Mexico",
        &[
            ("cmx", "Ciudad de México", &[("mexicocity", "Mexico City")]),
            ("jal", "Jalisco", &[("guadalajara", "Guadalajara")]),
        ],
    ),
    ("ng", "Nigeria", &[("la", "Lagos", &[("lagos", "Lagos")])]),
    (
        "nl",
        "Netherlands",
        &[
            ("nh", "North Holland", &[("amsterdam", "Amsterdam")]),
            ("zh", "South Holland", &[("rotterdam", "Rotterdam")]),
        ],
    ),
    (
        "ph",
        "Philippines",
        &[("00", "Metro Manila", &[("manila", "Manila")])],
    ),
    (
        "pl",
        "Poland",
        &[
            ("14", "Masovia", &[("warsaw", "Warsaw")]),
            ("12", "Lesser Poland", &[("krakow", "Kraków")]),
        ],
    ),
    (
        "se",
        "Sweden",
        &[("ab", "Stockholm County", &[("stockholm", "Stockholm")])],
    ),
    (
        "sg",
        "Singapore",
        &[("01", "Central Singapore", &[("singapore", "Singapore")])],
    ),
    (
        "th",
        "Thailand",
        &[("10", "Bangkok", &[("bangkok", "Bangkok")])],
    ),
    (
        "tr",
        "Türkiye",
        &[
            ("34", "Istanbul", &[("istanbul", "Istanbul")]),
            ("06", "Ankara", &[("ankara", "Ankara")]),
        ],
    ),
    (
        "us",
        "United States",
        &[
            (
                "ca",
                "California",
                &[
                    ("la", "Los Angeles"),
                    ("sf", "San Francisco"),
                    ("sandiego", "San Diego"),
                ],
            ),
            (
                "ny",
                "New York",
                &[("newyork", "New York"), ("buffalo", "Buffalo")],
            ),
            (
                "tx",
                "Texas",
                &[
                    ("houston", "Houston"),
                    ("dallas", "Dallas"),
                    ("austin", "Austin"),
                ],
            ),
            (
                "fl",
                "Florida",
                &[("miami", "Miami"), ("orlando", "Orlando")],
            ),
            ("il", "Illinois", &[("chicago", "Chicago")]),
        ],
    ),
    (
        "vn",
        "Vietnam",
        &[
            (
                "sg",
                "Ho Chi Minh City",
                &[("hochiminh", "Ho Chi Minh City")],
            ),
            ("hn", "Hanoi", &[("hanoi", "Hanoi")]),
        ],
    ),
    (
        "za",
        "South Africa",
        &[
            ("gp", "Gauteng", &[("johannesburg", "Johannesburg")]),
            ("wc", "Western Cape", &[("capetown", "Cape Town")]),
        ],
    ),
];

/// The location table, sorted by country code.
pub fn all() -> Vec<Country> {
    TABLE
        .iter()
        .map(|(country, name, states)| Country {
            country,
            name,
            states: states
                .iter()
                .map(|(state, name, cities)| Subdivision {
                    state,
                    name,
                    cities: cities
                        .iter()
                        .map(|(city, name)| City { city, name })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

/// `GET /residential/locations?country=`.
pub fn list(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let country = req.query.get("country").map(str::to_ascii_lowercase);
    let page = Page::from_req(req)?;
    let items = st
        .locations
        .iter()
        .filter(|c| country.as_ref().is_none_or(|x| c.country == x));
    let (items, next) = page.slice(items, |c| c.country.to_string(), false);
    list_reply(req, items.into_iter().map(to_json).collect(), next)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_username_grammar() {
        let all = all();
        assert!(all.len() >= 20);
        assert!(all.windows(2).all(|w| w[0].country < w[1].country));
        for c in &all {
            assert!(c.country.len() == 2 && c.country.bytes().all(|b| b.is_ascii_lowercase()));
            assert!(!c.states.is_empty());
            for s in &c.states {
                assert!(
                    s.state
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                );
                assert!(!s.cities.is_empty());
                for city in &s.cities {
                    assert!(
                        city.city.bytes().all(|b| b.is_ascii_lowercase()),
                        "{}",
                        city.city
                    );
                }
            }
        }
    }
}
