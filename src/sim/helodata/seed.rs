//! The seeded account: the same `SimOptions::seed` gives the same sub-users, orders, batches,
//! IPs, subscriptions, whitelists, reports and ids. Objects that exist "since forever" are
//! anchored at [`SEED_BASE`] so their ids never change; objects whose meaning is relative to now
//! (expiry dates, renewals, last month's invoices, recent request samples, live sessions) are
//! placed relative to the start time.

use std::collections::BTreeMap;

use serde_json::json;

use super::auth::{MAIN_TOKEN_ID, Token, default_extra_tokens, digest};
use super::clock::{self, DAY, HOUR, SEED_BASE};
use super::invoices::{Invoice, InvoiceLine};
use super::isp::{self, Batch, InventoryAsn, InventoryCity, InventoryCountry};
use super::locations;
use super::orders::{MONTH, Order, isp_total, price_per_gb};
use super::reports::{Report, ReportRun};
use super::rng::Rng;
use super::state::{Config, State};
use super::subscriptions::{Subscription, cycle_len, cycle_price, plan_terms};
use super::subusers::{SubUser, plan_caps};
use super::traffic::{EXIT_GEO, RequestSample};
use super::users::{Account, cents};
use super::whitelists::WhitelistEntry;
use crate::sim::SimOptions;

const ACCOUNT_PLAN: &str = "pro";

fn ms(secs: i64) -> u64 {
    u64::try_from(secs).unwrap_or(0) * 1000
}

/// Builds the state for `opts`, with `now` as the end of the seeded history.
pub fn build(opts: &SimOptions, now: i64) -> State {
    let h = &opts.helodata;
    let cfg = Config {
        seed: opts.seed,
        rate_limit: h.rate_limit.clone(),
        kyc_status: h.kyc_status,
        isp_provisioning_ms: h
            .isp_provisioning
            .map_or(3_000, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        report_run_ms: h
            .report_run
            .map_or(1_000, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        invoice_pdf_bytes: h.invoice_pdf_bytes.unwrap_or(0),
    };
    let mut rng = Rng::new(opts.seed ^ 0x6865_6C6F_6461_7461); // "helodata"
    let account = Account {
        id: rng.id("usr", ms(SEED_BASE - 200 * DAY)),
        email: "ops@acme.com".into(),
        company: Some("Acme Corp".into()),
        plan: ACCOUNT_PLAN.into(),
        created_at: SEED_BASE - 200 * DAY,
        balance: cents(5_000.0 + rng.range(0, 99_999) as f64 / 100.0),
        mfa_secret: None,
        last_login_at: now - rng.range(1, 48) as i64 * HOUR,
        last_login_ip: "203.0.113.7".into(),
        pool_gb: BTreeMap::new(),
    };
    let mut tokens = vec![Token::new(
        MAIN_TOKEN_ID,
        "simulator",
        &opts.api_key,
        vec!["*".into()],
    )];
    for t in h.extra_tokens.clone().unwrap_or_else(default_extra_tokens) {
        let mut token = Token::new(&t.id, &t.name, &t.token, t.scopes);
        token.secrets = vec![(digest(&t.token), None)];
        tokens.push(token);
    }
    let mut st = State {
        cfg,
        rng,
        started_at: now,
        account,
        tokens,
        idempotency: Default::default(),
        subusers: BTreeMap::new(),
        subuser_names: Default::default(),
        orders: BTreeMap::new(),
        batches: BTreeMap::new(),
        ips: BTreeMap::new(),
        inventory: BTreeMap::new(),
        subscriptions: BTreeMap::new(),
        whitelists: BTreeMap::new(),
        sessions: BTreeMap::new(),
        samples: BTreeMap::new(),
        reports: BTreeMap::new(),
        runs: BTreeMap::new(),
        invoices: BTreeMap::new(),
        locations: locations::all(),
    };
    seed_subusers(&mut st, now);
    seed_inventory(&mut st);
    seed_orders_and_batches(&mut st, now);
    seed_subscriptions(&mut st, now);
    seed_whitelists(&mut st);
    seed_reports(&mut st, now);
    seed_invoices(&mut st, now);
    seed_samples(&mut st, now);
    st.advance(ms(now));
    st
}

/// label, products, disabled
const SUBUSERS: &[(&str, &[&str], bool)] = &[
    ("acme-prod", &["residential", "mobile"], false),
    ("acme-staging", &["residential"], false),
    ("scraper-eu", &["residential"], false),
    ("scraper-us", &["residential"], false),
    ("price-monitor", &["residential", "isp"], false),
    ("ads-verify", &["mobile"], false),
    ("seo-tracker", &["residential"], false),
    ("mobile-qa", &["mobile"], false),
    ("isp-static", &["isp"], false),
    ("social-mgmt", &["residential", "mobile"], false),
    ("research", &["residential"], true),
    ("legacy-backup", &["residential"], true),
];

fn seed_subusers(st: &mut State, now: i64) {
    for (i, (label, products, disabled)) in SUBUSERS.iter().enumerate() {
        let created_at = SEED_BASE + i as i64 * 3 * DAY + st.rng.range(0, 23) as i64 * HOUR;
        let id = st.rng.id("sub", ms(created_at));
        let name = st.rng.subuser_name();
        let password = st.rng.password();
        let products: Vec<String> = products.iter().map(|p| (*p).to_string()).collect();
        let (cap_c, cap_r) = products
            .iter()
            .filter_map(|p| plan_caps(ACCOUNT_PLAN, p))
            .max()
            .unwrap_or((600, 1_000));
        let concurrent_max = [cap_c, cap_c / 2, cap_c / 3]
            .get(st.rng.range(0, 2) as usize)
            .copied()
            .unwrap_or(cap_c);
        let rps_max = [cap_r, cap_r / 2]
            .get(st.rng.range(0, 1) as usize)
            .copied()
            .unwrap_or(cap_r);
        // Whole days before the start day, like every other seeded date relative to now: two
        // simulators started moments apart (same seed) must agree on every closed window.
        let disabled_at = clock::floor_day(now) - st.rng.range(5, 40) as i64 * DAY;
        let active_intervals = if *disabled {
            vec![(created_at, Some(disabled_at))]
        } else {
            vec![(created_at, None)]
        };
        st.subuser_names.insert(name.clone());
        st.subusers.insert(
            id.clone(),
            SubUser {
                id,
                name,
                label: (*label).to_string(),
                products,
                status: if *disabled { "disabled" } else { "active" }.into(),
                concurrent_max,
                rps_max,
                created_at,
                password_hash: digest(&password),
                previous_password: None,
                deleted_at: None,
                active_intervals,
            },
        );
    }
}

type InventoryRow = (
    &'static str,
    u8,
    f64,
    &'static [&'static str],
    &'static [(u64, &'static str)],
);

/// country, tier, monthly price per IP, cities, ASNs (I-LOC tier-1 list; prices from $2.50,
/// B-PLN; US at $6.00 matches ORD's example, 20 IPs for 120.00).
const INVENTORY: &[InventoryRow] = &[
    (
        "au",
        1,
        5.00,
        &["sydney", "melbourne"],
        &[(1221, "Telstra")],
    ),
    (
        "br",
        1,
        4.00,
        &["saopaulo", "riodejaneiro"],
        &[(28573, "Claro")],
    ),
    ("ca", 1, 5.50, &["toronto", "montreal"], &[(812, "Rogers")]),
    (
        "de",
        1,
        5.50,
        &["frankfurt", "berlin"],
        &[(3320, "Deutsche Telekom")],
    ),
    ("fr", 1, 5.00, &["paris"], &[(3215, "Orange")]),
    (
        "gb",
        1,
        5.50,
        &["london", "manchester"],
        &[(2856, "BT"), (5089, "Virgin Media")],
    ),
    ("in", 1, 3.50, &["mumbai", "newdelhi"], &[(9829, "BSNL")]),
    (
        "jp",
        1,
        6.00,
        &["tokyo", "osaka"],
        &[(2516, "KDDI"), (4713, "NTT")],
    ),
    ("kr", 1, 6.00, &["seoul"], &[(4766, "KT")]),
    ("nl", 1, 5.00, &["amsterdam"], &[(1136, "KPN")]),
    ("sg", 1, 6.00, &["singapore"], &[(9506, "Singtel")]),
    (
        "us",
        1,
        6.00,
        &["newyork", "la", "chicago", "dallas", "miami", "seattle"],
        &[(7922, "Comcast"), (701, "Verizon"), (7018, "AT&T")],
    ),
    ("ar", 2, 3.00, &[], &[(7303, "Telecom Argentina")]),
    ("es", 2, 3.50, &[], &[(3352, "Telefonica")]),
    ("it", 2, 3.50, &[], &[(3269, "TIM")]),
    ("mx", 2, 3.00, &[], &[(8151, "Telmex")]),
    ("pl", 2, 3.00, &[], &[(5617, "Orange Polska")]),
    ("se", 2, 3.50, &[], &[(3301, "Telia")]),
    ("tr", 2, 2.50, &[], &[(9121, "Turk Telekom")]),
    ("za", 2, 2.50, &[], &[(3741, "Internet Solutions")]),
];

fn seed_inventory(st: &mut State) {
    for (country, tier, price, cities, asns) in INVENTORY {
        let cities: Vec<InventoryCity> = cities
            .iter()
            .map(|c| InventoryCity {
                city: (*c).to_string(),
                available: st.rng.range(200, 5_000),
            })
            .collect();
        let available = if cities.is_empty() {
            st.rng.range(100, 3_000)
        } else {
            cities.iter().map(|c| c.available).sum()
        };
        st.inventory.insert(
            (*country).to_string(),
            InventoryCountry {
                country: (*country).to_string(),
                tier: *tier,
                available,
                price_usd: *price,
                cities,
                asns: asns
                    .iter()
                    .map(|(asn, carrier)| InventoryAsn {
                        asn: *asn,
                        carrier: (*carrier).to_string(),
                    })
                    .collect(),
            },
        );
    }
}

fn subuser_id(st: &State, label: &str) -> Option<String> {
    st.subusers
        .values()
        .find(|s| s.label == label)
        .map(|s| s.id.clone())
}

/// days after SEED_BASE, country, city, quantity, months, bound sub-user label, expiry in days
/// from now.
type SeedBatch = (
    i64,
    &'static str,
    Option<&'static str>,
    u64,
    u64,
    Option<&'static str>,
    i64,
);

fn seed_orders_and_batches(st: &mut State, now: i64) {
    // Bandwidth orders: (days after SEED_BASE, product, GB).
    for (day, product, gb) in [
        (2, "residential", 50),
        (20, "residential", 100),
        (45, "mobile", 25),
        (70, "residential", 200),
        (110, "mobile", 50),
        (150, "residential", 500),
    ] {
        let created_at = SEED_BASE + day * DAY + 10 * HOUR;
        let price = price_per_gb(product);
        let order = Order {
            id: st.rng.id("ord", ms(created_at)),
            product: product.into(),
            status: "completed".into(),
            total_usd: cents(price * gb as f64),
            details: json!({ "gb": gb, "price_per_gb": price }),
            created_at,
            ready_at_ms: None,
        };
        *st.account.pool_gb.entry(product.into()).or_insert(0) += gb;
        st.orders.insert(order.id.clone(), order);
    }
    // ISP batches: (days after SEED_BASE, country, city, quantity, months, bound sub-user,
    // expiry relative to now in days: one active, one in its grace period, one long-lived).
    let batches: [SeedBatch; 3] = [
        (30, "us", Some("newyork"), 10, 1, Some("isp-static"), 20),
        (60, "gb", None, 5, 1, Some("price-monitor"), -3),
        (90, "de", Some("frankfurt"), 5, 12, None, 200),
    ];
    for (day, country, city, quantity, months, subuser, expires_in) in batches {
        let created_at = SEED_BASE + day * DAY + 14 * HOUR;
        let price = st.inventory.get(country).map_or(5.0, |i| i.price_usd);
        let order_id = st.rng.id("ord", ms(created_at));
        let batch_id = st.rng.id("bat", ms(created_at));
        let expires_at = clock::floor_day(now) + expires_in * DAY;
        let subuser = subuser.and_then(|l| subuser_id(st, l));
        let order = Order {
            id: order_id.clone(),
            product: "isp".into(),
            status: "completed".into(),
            total_usd: isp_total(price, quantity, months),
            details: json!({
                "batch_id": batch_id,
                "quantity": quantity,
                "country": country,
                "city": city,
                "asn": null,
                "expires_at": clock::fmt(created_at + months as i64 * MONTH),
            }),
            created_at,
            ready_at_ms: None,
        };
        st.orders.insert(order_id.clone(), order);
        st.batches.insert(
            batch_id.clone(),
            Batch {
                id: batch_id.clone(),
                order_id,
                subuser,
                country: country.into(),
                city: city.map(str::to_string),
                asn: None,
                quantity,
                price_usd: price,
                auto_renew: true,
                created_at,
                expires_at,
                provisioned: true,
                refreshed_until: None,
                replacements: Vec::new(),
            },
        );
        for _ in 0..quantity {
            let ip = isp::new_ip(
                st,
                &batch_id,
                created_at + HOUR,
                ms(created_at + HOUR),
                None,
            );
            st.ips.insert(ip.id.clone(), ip);
        }
    }
}

fn seed_subscriptions(st: &mut State, now: i64) {
    let plans = [
        ("residential", "pro", "monthly", "active", 120),
        ("mobile", "starter", "annual", "active", 140),
        ("residential", "starter", "monthly", "canceled", 20),
    ];
    for (product, plan, cycle, status, day) in plans {
        let created_at = SEED_BASE + day * DAY + 9 * HOUR;
        let (gb, monthly) = plan_terms(product, plan).unwrap_or((0, 0.0));
        let period_end = now + st.rng.range(2, 25) as i64 * DAY;
        let active = status == "active";
        let sub = Subscription {
            id: st.rng.id("sbn", ms(created_at)),
            product: product.into(),
            plan: Some(plan.into()),
            batch_id: None,
            cycle: cycle.into(),
            gb_included: Some(gb),
            quantity: None,
            price_usd: cycle_price(monthly, cycle, plan != "starter"),
            status: status.into(),
            renews_at: active.then_some(period_end),
            ends_at: (!active).then_some(created_at + cycle_len(cycle)),
            created_at,
        };
        st.subscriptions.insert(sub.id.clone(), sub);
    }
    if let Some(b) = st.batches.values().next().cloned() {
        let created_at = b.created_at + HOUR;
        let sub = Subscription {
            id: st.rng.id("sbn", ms(created_at)),
            product: "isp".into(),
            plan: None,
            batch_id: Some(b.id.clone()),
            cycle: "monthly".into(),
            gb_included: None,
            quantity: Some(b.quantity),
            price_usd: cycle_price(b.price_usd * b.quantity as f64, "monthly", true),
            status: "active".into(),
            renews_at: Some(b.expires_at),
            ends_at: None,
            created_at,
        };
        st.subscriptions.insert(sub.id.clone(), sub);
    }
}

fn seed_whitelists(st: &mut State) {
    let subs: Vec<(String, Vec<String>, i64)> = st
        .subusers
        .values()
        .take(6)
        .map(|s| (s.id.clone(), s.products.clone(), s.created_at))
        .collect();
    for (n, (sub, products, created_at)) in subs.into_iter().enumerate() {
        let Some(product) = products.into_iter().find(|p| p != "isp") else {
            continue;
        };
        for k in 0..(n % 3 + 1) {
            let at = created_at + (k as i64 + 1) * HOUR;
            let ip = if k == 2 {
                format!("198.51.{}.0/24", 100 + n)
            } else {
                format!("203.0.113.{}", st.rng.range(1, 254))
            };
            let entry = WhitelistEntry {
                id: st.rng.id("wl", ms(at)),
                subuser: Some(sub.clone()),
                product: Some(product.clone()),
                batch_id: None,
                ip,
                label: (k == 0).then(|| "office".to_string()),
                active: true,
                created_at: at,
            };
            st.whitelists.insert(entry.id.clone(), entry);
        }
    }
    if let Some(b) = st.batches.values().next().cloned() {
        for (k, ip) in ["192.0.2.10", "192.0.2.0/24"].into_iter().enumerate() {
            let at = b.created_at + (k as i64 + 2) * HOUR;
            let entry = WhitelistEntry {
                id: st.rng.id("wl", ms(at)),
                subuser: None,
                product: None,
                batch_id: Some(b.id.clone()),
                ip: ip.into(),
                label: Some("scrapers".into()),
                active: true,
                created_at: at,
            };
            st.whitelists.insert(entry.id.clone(), entry);
        }
    }
}

fn seed_reports(st: &mut State, now: i64) {
    let defs = [
        (
            "weekly-traffic",
            "traffic",
            json!({ "products": ["residential", "mobile"] }),
            Some("0 9 * * MON"),
            json!({ "type": "email", "email": "ops@acme.com" }),
            100,
        ),
        (
            "monthly-invoices",
            "invoices",
            json!({}),
            Some("0 6 1 * *"),
            json!({ "type": "s3", "bucket": "acme-reports", "prefix": "helodata/",
                    "role_arn": "arn:aws:iam::123456789012:role/helodata-reports" }),
            130,
        ),
    ];
    for (name, kind, filters, schedule, destination, day) in defs {
        let created_at = SEED_BASE + day * DAY;
        let report = Report {
            id: st.rng.id("rep", ms(created_at)),
            name: name.into(),
            kind: kind.into(),
            filters,
            schedule: schedule.map(str::to_string),
            format: "csv".into(),
            destination,
            created_at,
            updated_at: created_at,
            signing_secret: None,
        };
        for back in (1..=3).rev() {
            let at = clock::floor_day(now) - back * 7 * DAY + 9 * HOUR;
            let mut run = ReportRun {
                id: st.rng.id("run", ms(at)),
                report_id: report.id.clone(),
                status: "running".into(),
                created_at: at,
                completed_at: None,
                download_url: None,
                download_expires_at: None,
                ready_at_ms: ms(at + 40),
                file_name: name.into(),
                origin: None,
                signature: st.rng.id("sig", ms(at)),
            };
            run.complete(at + 40);
            st.runs.insert(run.id.clone(), run);
        }
        st.reports.insert(report.id.clone(), report);
    }
}

fn seed_invoices(st: &mut State, now: i64) {
    for back in (1..=6).rev() {
        let period_start = clock::month_start(now, back);
        let period_end = clock::month_start(now, back - 1);
        let issued_at = period_end;
        let status = match back {
            1 => "due",
            3 => "failed",
            _ => "paid",
        };
        let res_gb = st.rng.range(40, 400);
        let mob_gb = st.rng.range(5, 60);
        let ips = 20;
        let mut lines = vec![
            InvoiceLine {
                description: "Residential bandwidth".into(),
                product: "residential".into(),
                quantity: res_gb,
                unit: "gb".into(),
                unit_price_usd: 4.50,
                amount_usd: cents(res_gb as f64 * 4.50),
            },
            InvoiceLine {
                description: "Mobile bandwidth".into(),
                product: "mobile".into(),
                quantity: mob_gb,
                unit: "gb".into(),
                unit_price_usd: 8.00,
                amount_usd: cents(mob_gb as f64 * 8.00),
            },
        ];
        lines.push(InvoiceLine {
            description: "ISP IPs".into(),
            product: "isp".into(),
            quantity: ips,
            unit: "ip_month".into(),
            unit_price_usd: 5.50,
            amount_usd: cents(ips as f64 * 5.50),
        });
        let total = cents(lines.iter().map(|l| l.amount_usd).sum());
        let year = clock::fmt_date(issued_at)
            .get(0..4)
            .unwrap_or("2026")
            .to_string();
        let inv = Invoice {
            id: st.rng.id("inv", ms(issued_at)),
            number: format!("HD-{year}-{:06}", 1_000 + 7 - back),
            status: status.into(),
            currency: "USD".into(),
            total_usd: total,
            period_start,
            period_end,
            issued_at,
            due_at: issued_at + 14 * DAY,
            paid_at: (status == "paid").then_some(issued_at + DAY),
            lines,
        };
        st.invoices.insert(inv.id.clone(), inv);
    }
}

/// The last 1,000 requests of each product (R-STAT), spread over the hour before `now`.
fn seed_samples(st: &mut State, now: i64) {
    const STATUSES: &[u16] = &[
        200, 200, 200, 200, 200, 200, 200, 200, 204, 301, 403, 404, 429, 502,
    ];
    const TAGS: &[Option<&str>] = &[None, Some("scraper"), Some("monitoring"), Some("checkout")];
    for product in ["residential", "mobile"] {
        let subs: Vec<String> = st
            .subusers
            .values()
            .filter(|s| s.status == "active" && s.products.iter().any(|p| p == product))
            .map(|s| s.id.clone())
            .collect();
        for _ in 0..1_000 {
            let at_ms = ms(now) - st.rng.range(1, 3_600_000);
            let (region, asns) = st.rng.pick(EXIT_GEO).copied().unwrap_or(("us", &[]));
            let (asn, carrier) = st.rng.pick(asns).copied().unwrap_or((7922, "Comcast"));
            let bytes_in = st.rng.range(1_500, 800_000);
            let sample = RequestSample {
                id: st.rng.id("req", at_ms),
                product: product.into(),
                timestamp: i64::try_from(at_ms / 1000).unwrap_or(0),
                subuser: st.rng.pick(&subs).cloned(),
                status: st.rng.pick(STATUSES).copied().unwrap_or(200),
                exit_ip: super::sessions::exit_ip(&mut st.rng),
                geo: region.to_string(),
                asn,
                bytes_in,
                bytes_out: bytes_in / st.rng.range(5, 20),
                tag: st.rng.pick(TAGS).copied().flatten().map(str::to_string),
                target_domain: "example.com".into(),
                carrier_name: (product == "mobile").then(|| carrier.to_string()),
                connection: (product == "mobile")
                    .then(|| st.rng.pick(&["3g", "lte", "5g", "wifi-handoff"]).copied())
                    .flatten()
                    .map(str::to_string),
                ip_id: None,
                batch_id: None,
            };
            st.samples.insert(sample.id.clone(), sample);
        }
    }
    let ips: Vec<_> = st
        .ips
        .values()
        .map(|ip| {
            (
                ip.id.clone(),
                ip.batch_id.clone(),
                ip.ip.clone(),
                ip.country.clone(),
                ip.city.clone(),
                ip.asn,
            )
        })
        .collect();
    for _ in 0..1_000 {
        let Some((ip_id, batch_id, addr, country, city, asn)) = st.rng.pick(&ips).cloned() else {
            break;
        };
        let at_ms = ms(now) - st.rng.range(1, 3_600_000);
        let subuser = st.batches.get(&batch_id).and_then(|b| b.subuser.clone());
        let bytes_in = st.rng.range(1_500, 800_000);
        let sample = RequestSample {
            id: st.rng.id("req", at_ms),
            product: "isp".into(),
            timestamp: i64::try_from(at_ms / 1000).unwrap_or(0),
            subuser,
            status: st.rng.pick(STATUSES).copied().unwrap_or(200),
            exit_ip: addr,
            geo: [Some(country), city]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join("/"),
            asn,
            bytes_in,
            bytes_out: bytes_in / st.rng.range(5, 20),
            tag: None,
            target_domain: "amazon.com".into(),
            carrier_name: None,
            connection: None,
            ip_id: Some(ip_id),
            batch_id: Some(batch_id),
        };
        st.samples.insert(sample.id.clone(), sample);
    }
}
