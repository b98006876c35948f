//! The geo lists behind `ip/dynamic-states`, `ip/dynamic-citys`, their searches and the `cc`,
//! `state`, `city` filters of `/ip/v3`: 25 countries, each with states and cities.
//!
//! State and city values are lower-case ASCII without spaces (`newyork`, `losangeles`) so that
//! they fit the gateway username grammar `_state-<state>` / `_city-<city>`; the document only
//! says "State or Province Name Code" [INF].

/// One country or region.
pub(crate) struct Country {
    pub code: &'static str,
    pub name_en: &'static str,
    pub name_zh_cn: &'static str,
    pub continent: &'static str,
    pub states: &'static [State],
}

/// One state or province with its cities.
pub(crate) struct State {
    pub name: &'static str,
    pub cities: &'static [&'static str],
}

const fn st(name: &'static str, cities: &'static [&'static str]) -> State {
    State { name, cities }
}

/// Every country the simulator serves, in the order the lists show them.
pub(crate) static COUNTRIES: &[Country] = &[
    Country {
        code: "US",
        name_en: "United States",
        name_zh_cn: "美国",
        continent: "NA",
        states: &[
            st("california", &["losangeles", "sanfrancisco", "sandiego"]),
            st("newyork", &["newyorkcity", "buffalo", "rochester"]),
            st("texas", &["houston", "dallas", "austin"]),
            st("florida", &["miami", "orlando", "tampa"]),
        ],
    },
    Country {
        code: "CA",
        name_en: "Canada",
        name_zh_cn: "加拿大",
        continent: "NA",
        states: &[
            st("ontario", &["toronto", "ottawa"]),
            st("quebec", &["montreal", "quebeccity"]),
            st("britishcolumbia", &["vancouver", "victoria"]),
        ],
    },
    Country {
        code: "MX",
        name_en: "Mexico",
        name_zh_cn: "墨西哥",
        continent: "NA",
        states: &[
            st("jalisco", &["guadalajara", "zapopan"]),
            st("nuevoleon", &["monterrey"]),
            st("mexicocity", &["mexicocity"]),
        ],
    },
    Country {
        code: "BR",
        name_en: "Brazil",
        name_zh_cn: "巴西",
        continent: "SA",
        states: &[
            st("saopaulo", &["saopaulo", "campinas"]),
            st("riodejaneiro", &["riodejaneiro", "niteroi"]),
            st("minasgerais", &["belohorizonte"]),
        ],
    },
    Country {
        code: "AR",
        name_en: "Argentina",
        name_zh_cn: "阿根廷",
        continent: "SA",
        states: &[
            st("buenosaires", &["buenosaires", "laplata"]),
            st("cordoba", &["cordoba"]),
            st("santafe", &["rosario"]),
        ],
    },
    Country {
        code: "GB",
        name_en: "United Kingdom",
        name_zh_cn: "英国",
        continent: "EU",
        states: &[
            st("england", &["london", "manchester", "birmingham"]),
            st("scotland", &["edinburgh", "glasgow"]),
            st("wales", &["cardiff"]),
        ],
    },
    Country {
        code: "DE",
        name_en: "Germany",
        name_zh_cn: "德国",
        continent: "EU",
        states: &[
            st("bavaria", &["munich", "nuremberg"]),
            st("berlin", &["berlin"]),
            st("hesse", &["frankfurt", "wiesbaden"]),
        ],
    },
    Country {
        code: "FR",
        name_en: "France",
        name_zh_cn: "法国",
        continent: "EU",
        states: &[
            st("iledefrance", &["paris", "versailles"]),
            st("provencealpescotedazur", &["marseille", "nice"]),
            st("auvergnerhonealpes", &["lyon", "grenoble"]),
        ],
    },
    Country {
        code: "IT",
        name_en: "Italy",
        name_zh_cn: "意大利",
        continent: "EU",
        states: &[
            st("lombardy", &["milan", "bergamo"]),
            st("lazio", &["rome"]),
            st("campania", &["naples"]),
        ],
    },
    Country {
        code: "ES",
        name_en: "Spain",
        name_zh_cn: "西班牙",
        continent: "EU",
        states: &[
            st("madrid", &["madrid"]),
            st("catalonia", &["barcelona"]),
            st("andalusia", &["seville", "malaga"]),
        ],
    },
    Country {
        code: "NL",
        name_en: "Netherlands",
        name_zh_cn: "荷兰",
        continent: "EU",
        states: &[
            st("northholland", &["amsterdam", "haarlem"]),
            st("southholland", &["rotterdam", "thehague"]),
        ],
    },
    Country {
        code: "PL",
        name_en: "Poland",
        name_zh_cn: "波兰",
        continent: "EU",
        states: &[st("masovia", &["warsaw"]), st("lesserpoland", &["krakow"])],
    },
    Country {
        code: "SE",
        name_en: "Sweden",
        name_zh_cn: "瑞典",
        continent: "EU",
        states: &[
            st("stockholm", &["stockholm"]),
            st("vastragotaland", &["gothenburg"]),
        ],
    },
    Country {
        code: "TR",
        name_en: "Turkey",
        name_zh_cn: "土耳其",
        continent: "AS",
        states: &[
            st("istanbul", &["istanbul"]),
            st("ankara", &["ankara"]),
            st("izmir", &["izmir"]),
        ],
    },
    Country {
        code: "JP",
        name_en: "Japan",
        name_zh_cn: "日本",
        continent: "AS",
        states: &[
            st("tokyo", &["tokyo", "hachioji"]),
            st("osaka", &["osaka", "sakai"]),
            st("kanagawa", &["yokohama", "kawasaki"]),
        ],
    },
    Country {
        code: "KR",
        name_en: "South Korea",
        name_zh_cn: "韩国",
        continent: "AS",
        states: &[
            st("seoul", &["seoul"]),
            st("busan", &["busan"]),
            st("gyeonggi", &["suwon", "seongnam"]),
        ],
    },
    Country {
        code: "IN",
        name_en: "India",
        name_zh_cn: "印度",
        continent: "AS",
        states: &[
            st("maharashtra", &["mumbai", "pune"]),
            st("karnataka", &["bangalore", "mysore"]),
            st("delhi", &["newdelhi"]),
        ],
    },
    Country {
        code: "ID",
        name_en: "Indonesia",
        name_zh_cn: "印度尼西亚",
        continent: "AS",
        states: &[
            st("jakarta", &["jakarta"]),
            st("westjava", &["bandung", "bekasi"]),
            st("eastjava", &["surabaya", "malang"]),
        ],
    },
    Country {
        code: "PH",
        name_en: "Philippines",
        name_zh_cn: "菲律宾",
        continent: "AS",
        states: &[
            st("metromanila", &["manila", "quezoncity"]),
            st("cebu", &["cebucity"]),
        ],
    },
    Country {
        code: "VN",
        name_en: "Vietnam",
        name_zh_cn: "越南",
        continent: "AS",
        states: &[
            st("hochiminh", &["hochiminhcity"]),
            st("hanoi", &["hanoi"]),
            st("danang", &["danang"]),
        ],
    },
    Country {
        code: "TH",
        name_en: "Thailand",
        name_zh_cn: "泰国",
        continent: "AS",
        states: &[st("bangkok", &["bangkok"]), st("chiangmai", &["chiangmai"])],
    },
    Country {
        code: "SG",
        name_en: "Singapore",
        name_zh_cn: "新加坡",
        continent: "AS",
        states: &[st("singapore", &["singapore"])],
    },
    Country {
        code: "HK",
        name_en: "Hong Kong",
        name_zh_cn: "中国香港",
        continent: "AS",
        states: &[st("hongkong", &["hongkong"])],
    },
    Country {
        code: "AU",
        name_en: "Australia",
        name_zh_cn: "澳大利亚",
        continent: "OC",
        states: &[
            st("newsouthwales", &["sydney", "newcastle"]),
            st("victoria", &["melbourne", "geelong"]),
            st("queensland", &["brisbane", "goldcoast"]),
        ],
    },
    Country {
        code: "ZA",
        name_en: "South Africa",
        name_zh_cn: "南非",
        continent: "AF",
        states: &[
            st("gauteng", &["johannesburg", "pretoria"]),
            st("westerncape", &["capetown"]),
        ],
    },
];

/// The country with this code, matched case-insensitively (the notes: codes are upper case in
/// gateway usernames; the search endpoints do not say) [INF].
pub(crate) fn country(code: &str) -> Option<&'static Country> {
    COUNTRIES.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}

impl Country {
    /// The state with this name, matched case-insensitively.
    pub(crate) fn state(&self, name: &str) -> Option<&'static State> {
        self.states
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(name))
    }

    /// Whether any of the country's states has this city.
    pub(crate) fn has_city(&self, city: &str) -> bool {
        self.states
            .iter()
            .any(|s| s.cities.iter().any(|c| c.eq_ignore_ascii_case(city)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn at_least_twenty_countries_each_with_states_and_cities() {
        assert!(COUNTRIES.len() >= 20);
        for c in COUNTRIES {
            assert!(!c.states.is_empty(), "{}", c.code);
            for s in c.states {
                assert!(!s.cities.is_empty(), "{} {}", c.code, s.name);
                let plain = |v: &str| v.bytes().all(|b| b.is_ascii_lowercase());
                assert!(plain(s.name) && s.cities.iter().all(|c| plain(c)));
            }
        }
    }

    #[test]
    fn country_codes_are_unique_and_upper_case() {
        let mut codes: Vec<_> = COUNTRIES.iter().map(|c| c.code).collect();
        assert!(
            codes
                .iter()
                .all(|c| c.len() == 2 && c.bytes().all(|b| b.is_ascii_uppercase()))
        );
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), COUNTRIES.len());
    }
}
