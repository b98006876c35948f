//! Where a provider can place an exit IP: countries, their states and cities, as each provider
//! spells them for targeting (helodata `ca`, 911Proxy `california`). Lists from several
//! accounts are merged by spelling, each item naming the accounts that serve it.

/// A city.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct City {
    /// The provider's spelling (what its username grammar or `ip/v3` takes).
    pub code: String,
    /// A display name, when the provider gives one.
    pub name: Option<String>,
}

/// A state or province with its cities.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    /// The provider's spelling.
    pub code: String,
    /// A display name, when the provider gives one.
    pub name: Option<String>,
    /// Its cities.
    pub cities: Vec<City>,
}

/// A country with its states.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Country {
    /// ISO 3166-1 alpha-2, upper case.
    pub code: String,
    /// A display name, when the provider gives one.
    pub name: Option<String>,
    /// Its states (empty where the provider targets only the country).
    pub regions: Vec<Region>,
}

/// Whether `code` or `name` contains `q`, ignoring case (an empty `q` matches everything).
pub fn matches(q: Option<&str>, code: &str, name: Option<&str>) -> bool {
    let Some(q) = q.filter(|q| !q.is_empty()) else {
        return true;
    };
    let q = q.to_lowercase();
    code.to_lowercase().contains(&q) || name.is_some_and(|n| n.to_lowercase().contains(&q))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_looks_at_code_and_name_ignoring_case() {
        assert!(matches(None, "US", None));
        assert!(matches(Some(""), "US", None));
        assert!(matches(Some("us"), "US", Some("United States")));
        assert!(matches(Some("states"), "US", Some("United States")));
        assert!(!matches(Some("germany"), "US", Some("United States")));
        assert!(!matches(Some("x"), "US", None));
    }
}
