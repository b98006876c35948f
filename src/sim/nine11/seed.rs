//! The initial world, generated from `SimOptions::seed`: the same seed gives the same accounts,
//! usage, packages, orders, static IPs and whitelist.
//!
//! Every time is anchored on the provider's (UTC+8) calendar day of the clock, so two simulators
//! started the same day with the same seed hold equal data, and the 90 days of usage end today.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use rand::rngs::StdRng;
use rand::seq::{IndexedRandom, SliceRandom};
use rand::{RngExt, SeedableRng};
use time::{Duration, OffsetDateTime};

use super::clock::{self, Clock};
use super::geo::COUNTRIES;
use super::state::{
    Account, CATALOGUE, ENTRY_NETWORKS, Order, Package, RegionStock, StaticIp, User, WhiteIp, World,
};
use crate::sim::SimOptions;

/// Days of usage history generated per account, ending today.
pub(crate) const USAGE_DAYS: i64 = 90;

const WORDS: &[&str] = &[
    "alpha", "bravo", "cedar", "delta", "ember", "falcon", "garnet", "harbor", "indigo", "juniper",
    "kestrel", "lumen", "maple", "nova", "onyx", "pine", "quartz", "raven", "sierra", "tango",
];

const REMARKS: &[&str] = &[
    "",
    "",
    "",
    "price monitoring",
    "scraper fleet",
    "ad verification",
    "测试账号",
    "SEO rank tracking",
];

/// Builds the world of a fresh simulator.
pub(crate) fn world(opts: &SimOptions) -> World {
    let clock = Clock::new(opts.nine11.now);
    let today = clock::local_date(clock.now());
    let midnight = clock::local_midnight(today);
    let mut rng = StdRng::seed_from_u64(opts.seed);
    // A moment `days` days before today's midnight, plus up to a day of seconds.
    let mut at = |rng: &mut StdRng, days: i64| {
        midnight - Duration::days(days) + Duration::seconds(rng.random_range(0..86_400))
    };

    let accounts = accounts(&mut rng, &mut at, today);
    let next_account_id = accounts.iter().map(|a| a.id).max().unwrap_or(0) + 1;
    let (packages, orders) = packages_and_orders(&mut rng, &mut at);
    let next_order_id = orders.iter().map(|o| o.id).max().unwrap_or(0) + 1;
    let static_ips = static_ips(&mut rng, &packages);
    let packages = packages.into_iter().map(|(p, _)| p).collect();
    let white_ips = white_ips(&mut rng, &mut at);
    let next_white_ip_id = white_ips.iter().map(|w| w.id).max().unwrap_or(0) + 1;
    let region_stock = COUNTRIES
        .iter()
        .map(|c| RegionStock {
            country_code: c.code,
            residential: rng.random_range(0..400),
            datacenter: rng.random_range(0..150),
        })
        .collect();
    let user_id = rng.random_range(100_000..1_000_000);
    let user = User {
        id: user_id,
        email: format!("sim{user_id}@example.com"),
        phone: String::new(),
        balance_cents: rng.random_range(0..200_000),
        status: 1,
        is_real_name: !opts.nine11.not_real_name_verified,
        created_at: at(&mut rng, 500),
    };
    let entry_nodes = ENTRY_NETWORKS
        .iter()
        .map(|ep| (*ep, public_ipv4(&mut rng)))
        .collect();

    let mut account_names = std::collections::HashMap::new();
    for account in &accounts {
        *account_names.entry(account.username.clone()).or_insert(0) += 1;
    }
    World {
        clock,
        rng,
        accounts,
        account_names,
        next_account_id,
        packages,
        orders,
        next_order_id,
        static_ips,
        white_ips,
        next_white_ip_id,
        region_stock,
        user,
        entry_nodes,
    }
}

fn accounts(
    rng: &mut StdRng,
    at: &mut impl FnMut(&mut StdRng, i64) -> OffsetDateTime,
    today: time::Date,
) -> Vec<Account> {
    let mut words = WORDS.to_vec();
    words.shuffle(rng);
    let types = [9, 9, 9, 9, 9, 9, 9, 9, 11, 11, 14, 25];
    let mut id = rng.random_range(1_000..9_000);
    let mut out = Vec::with_capacity(types.len());
    for (i, (product_type, word)) in types.iter().zip(words).enumerate() {
        id += rng.random_range(1..6);
        // Two accounts are younger than the usage window, so their history starts later.
        let age_days = if i % 5 == 4 {
            rng.random_range(20..60)
        } else {
            rng.random_range(95..400)
        };
        let created_at = at(rng, age_days);
        let daily_scale_kb: u64 = *[200_000, 2_000_000, 8_000_000]
            .choose(rng)
            .unwrap_or(&200_000);
        let mut usage = BTreeMap::new();
        for back in 0..USAGE_DAYS {
            let day = today - Duration::days(back);
            let active = rng.random_bool(0.85);
            let kb = rng.random_range(1..=daily_scale_kb);
            if active && back < age_days {
                usage.insert(day, kb);
            }
        }
        out.push(Account {
            id,
            username: format!("{word}{:02}", rng.random_range(0..100)),
            password: alnum(rng, 10),
            created_at,
            remark: REMARKS.choose(rng).copied().unwrap_or("").to_string(),
            product_type: *product_type,
            limit_gb: *[0, 0, 0, 10, 50, 100, 500].choose(rng).unwrap_or(&0),
            enabled: rng.random_bool(0.85),
            usage,
        });
    }
    out
}

/// One seeded purchase: catalogue pid, age in days, units bought.
struct Purchase {
    pid: u64,
    age_days: i64,
    units: u64,
}

const PURCHASES: &[Purchase] = &[
    Purchase {
        pid: 1,
        age_days: 200,
        units: 1,
    },
    Purchase {
        pid: 2,
        age_days: 120,
        units: 1,
    },
    Purchase {
        pid: 3,
        age_days: 60,
        units: 1,
    },
    Purchase {
        pid: 4,
        age_days: 25,
        units: 1,
    },
    Purchase {
        pid: 3,
        age_days: 10,
        units: 2,
    },
    Purchase {
        pid: 5,
        age_days: 20,
        units: 1,
    },
    Purchase {
        pid: 6,
        age_days: 27,
        units: 5,
    },
    Purchase {
        pid: 7,
        age_days: 15,
        units: 4,
    },
    Purchase {
        pid: 7,
        age_days: 45,
        units: 2,
    },
];

/// Orders that bought no package: (pid, age in days, status, units or top-up amount).
const OTHER_ORDERS: &[(u64, i64, i64, i64)] =
    &[(8, 300, 1, 100), (2, 90, 3, 1), (1, 30, 2, 1), (3, 1, 0, 1)];

fn packages_and_orders(
    rng: &mut StdRng,
    at: &mut impl FnMut(&mut StdRng, i64) -> OffsetDateTime,
) -> (Vec<(Package, u64)>, Vec<Order>) {
    struct Draft {
        created_at: OffsetDateTime,
        order: Order,
        package: Option<(Package, u64)>,
    }
    let mut drafts = Vec::new();
    for p in PURCHASES {
        let Some(product) = CATALOGUE.iter().find(|c| c.pid == p.pid) else {
            continue;
        };
        let created_at = at(rng, p.age_days);
        let pay_at = created_at + Duration::seconds(rng.random_range(20..600));
        let trade_no = trade_no(rng, created_at);
        let fee = product.price_cents * p.units as i64;
        let total_kb = product.traffic_kb * p.units;
        let used_kb = if total_kb == 0 {
            0
        } else {
            total_kb * rng.random_range(10..=100) / 100
        };
        let activated_at = pay_at + Duration::seconds(rng.random_range(1..30));
        drafts.push(Draft {
            created_at,
            order: Order {
                id: 0,
                trade_no: trade_no.clone(),
                product_id: product.pid,
                product_name: product.name,
                product_type: product.product_type,
                total_fee_cents: fee,
                pay_fee_cents: fee,
                status: 1,
                created_at,
                pay_at: Some(pay_at),
            },
            package: Some((
                Package {
                    id: 0,
                    created_at: activated_at,
                    expired_at: activated_at + Duration::days(product.validity_days),
                    product_type: product.product_type,
                    trade_no,
                    total_kb,
                    used_kb,
                },
                p.units,
            )),
        });
    }
    for &(pid, age_days, status, units) in OTHER_ORDERS {
        let Some(product) = CATALOGUE.iter().find(|c| c.pid == pid) else {
            continue;
        };
        let created_at = at(rng, age_days);
        let fee = if product.product_type == 3 {
            units * 100
        } else {
            product.price_cents * units
        };
        drafts.push(Draft {
            created_at,
            order: Order {
                id: 0,
                trade_no: trade_no(rng, created_at),
                product_id: product.pid,
                product_name: product.name,
                product_type: product.product_type,
                total_fee_cents: fee,
                pay_fee_cents: fee,
                status,
                created_at,
                pay_at: (status == 1 || status == 3)
                    .then(|| created_at + Duration::seconds(rng.random_range(20..600))),
            },
            package: None,
        });
    }
    drafts.sort_by_key(|d| d.created_at);
    let mut order_id = rng.random_range(20_000..30_000);
    let mut package_id = rng.random_range(500..900);
    let mut orders = Vec::new();
    let mut packages = Vec::new();
    for mut d in drafts {
        order_id += rng.random_range(1..40);
        d.order.id = order_id;
        orders.push(d.order);
        if let Some((mut package, units)) = d.package {
            package_id += rng.random_range(1..10);
            package.id = package_id;
            packages.push((package, units));
        }
    }
    (packages, orders)
}

fn static_ips(rng: &mut StdRng, packages: &[(Package, u64)]) -> Vec<StaticIp> {
    let mut out = Vec::new();
    let mut id = rng.random_range(3_000..4_000);
    for (package, count) in packages
        .iter()
        .filter(|(p, _)| matches!(p.product_type, 14 | 25))
    {
        for _ in 0..*count {
            id += 1;
            let country = COUNTRIES.choose(rng).unwrap_or(&COUNTRIES[0]);
            let state = country.states.choose(rng).unwrap_or(&country.states[0]);
            let city = state.cities.choose(rng).copied().unwrap_or(state.name);
            out.push(StaticIp {
                id,
                ip: public_ipv4(rng),
                port: rng.random_range(10_000..60_000),
                username: format!("s{}", alnum(rng, 7).to_ascii_lowercase()),
                password: alnum(rng, 10),
                country_code: country.code,
                state: state.name,
                city,
                product_type: package.product_type,
                trade_no: package.trade_no.clone(),
                created_at: package.created_at,
                expired_at: package.expired_at,
                under_maintenance: rng.random_bool(0.1),
            });
        }
    }
    out
}

fn white_ips(
    rng: &mut StdRng,
    at: &mut impl FnMut(&mut StdRng, i64) -> OffsetDateTime,
) -> Vec<WhiteIp> {
    let mut id = rng.random_range(100..200);
    let mut out = Vec::new();
    // Documentation ranges (RFC 5737), so nobody mistakes them for real clients.
    let entries: [(i64, [u8; 3], &str); 4] = [
        (9, [203, 0, 113], "office"),
        (9, [198, 51, 100], "crawler-1"),
        (9, [198, 51, 100], ""),
        (25, [192, 0, 2], "static pool"),
    ];
    for (product_type, [a, b, c], remark) in entries {
        id += rng.random_range(1..5);
        out.push(WhiteIp {
            id,
            ip: Ipv4Addr::new(a, b, c, rng.random_range(1..255)).into(),
            remark: remark.to_string(),
            product_type,
            created_at: {
                let age_days = rng.random_range(5..200);
                at(rng, age_days)
            },
        });
    }
    out
}

/// A trade number: the creation time (UTC+8) as `YmdHis` and 14 random digits, 28 digits like the
/// document's `2022051312134339861461465434`.
pub(crate) fn trade_no(rng: &mut StdRng, created_at: OffsetDateTime) -> String {
    let mut s = clock::trade_no_prefix(created_at);
    for _ in 0..14 {
        s.push(char::from(b'0' + rng.random_range(0..10u8)));
    }
    s
}

fn alnum(rng: &mut StdRng, len: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..len)
        .map(|_| char::from(CHARS[rng.random_range(0..CHARS.len())]))
        .collect()
}

/// A plausible public IPv4 address (first octets of public hosting ranges).
pub(crate) fn public_ipv4(rng: &mut StdRng) -> Ipv4Addr {
    let first = *[23u8, 38, 45, 64, 91, 103, 146, 154, 185, 193]
        .choose(rng)
        .unwrap_or(&45);
    Ipv4Addr::new(
        first,
        rng.random_range(0..=255),
        rng.random_range(0..=255),
        rng.random_range(1..=254),
    )
}

#[cfg(test)]
mod tests {
    use time::macros::datetime;

    use super::*;
    use crate::sim::SimProvider;
    use crate::sim::nine11::validate;

    fn opts(seed: u64) -> SimOptions {
        let mut o = SimOptions::new(SimProvider::Nine11);
        o.seed = seed;
        o.nine11.now = Some(datetime!(2024-06-15 04:00:00 UTC));
        o
    }

    #[test]
    fn seeded_accounts_pass_the_simulators_own_rules() {
        for seed in 0..50 {
            let w = world(&opts(seed));
            let today = clock::local_date(w.clock.now());
            let first_day = today - Duration::days(USAGE_DAYS - 1);
            let mut ids: Vec<u64> = w.accounts.iter().map(|a| a.id).collect();
            ids.dedup();
            assert_eq!(ids.len(), w.accounts.len(), "unique ids, seed {seed}");
            for a in &w.accounts {
                assert_eq!(validate::username("u", &a.username), Ok(()));
                assert_eq!(validate::password("p", &a.password), Ok(()));
                assert_eq!(validate::remark("r", &a.remark), Ok(()));
                assert!(validate::limit_gb("l", a.limit_gb).is_ok());
                assert!(validate::ACCOUNT_PRODUCT_TYPES.contains(&a.product_type));
                assert!(a.created_at < w.clock.now());
                assert!(a.usage.keys().all(|d| (first_day..=today).contains(d)));
                assert!(a.usage.keys().all(|d| *d > clock::local_date(a.created_at)));
            }
        }
    }

    #[test]
    fn every_package_has_its_paid_order() {
        let w = world(&opts(7));
        for p in &w.packages {
            let order = w.orders.iter().find(|o| o.trade_no == p.trade_no);
            assert!(order.is_some_and(|o| o.status == 1 && o.pay_at.is_some()));
            assert_eq!(p.trade_no.len(), 28);
            assert!(p.used_kb <= p.total_kb);
        }
    }
}
