//! The simulator's world: proxy accounts with their daily usage, packages, orders, static IPs,
//! whitelisted IPs, the user, and the fixed catalogue of products and payment methods.
//!
//! One `World` per simulator, behind a mutex in [`Shared`]; nothing is global, so two simulators
//! in one process never see each other's writes.

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::{Mutex, MutexGuard};

use rand::rngs::StdRng;
use time::{Date, Duration, OffsetDateTime};

use super::clock::Clock;
use super::seed;
use crate::sim::SimOptions;

/// What every route shares: the accepted app_key and the world.
pub(crate) struct Shared {
    api_key: String,
    world: Mutex<World>,
}

impl Shared {
    pub(crate) fn new(opts: &SimOptions) -> Shared {
        Shared {
            api_key: opts.api_key.clone(),
            world: Mutex::new(seed::world(opts)),
        }
    }

    /// Whether `key` is the accepted app_key; a missing or empty key never is.
    pub(crate) fn accepts(&self, key: Option<&str>) -> bool {
        matches!(key, Some(k) if !k.is_empty() && k == self.api_key)
    }

    /// The world, locked; a poisoned lock is taken over (every write leaves the world valid).
    pub(crate) fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// All mutable state of one simulator.
pub(crate) struct World {
    pub clock: Clock,
    /// Draws trade numbers and extracted ports; seeded, so a replayed session gives equal answers.
    pub rng: StdRng,
    pub accounts: Vec<Account>,
    /// How many accounts bear each username (one per product type at most), so a lookup by
    /// name does not walk every account; kept by `add` and `delete`.
    pub account_names: std::collections::HashMap<String, usize>,
    pub next_account_id: u64,
    pub packages: Vec<Package>,
    pub orders: Vec<Order>,
    pub next_order_id: u64,
    pub static_ips: Vec<StaticIp>,
    pub white_ips: Vec<WhiteIp>,
    pub next_white_ip_id: u64,
    pub region_stock: Vec<RegionStock>,
    pub user: User,
    /// Entry node per `ep` network of `/ip/v3`.
    pub entry_nodes: Vec<(&'static str, Ipv4Addr)>,
}

/// A proxy (sub-)account of `whitelist-account/*`.
#[derive(Clone, Debug)]
pub(crate) struct Account {
    pub id: u64,
    pub username: String,
    pub password: String,
    pub created_at: OffsetDateTime,
    pub remark: String,
    pub product_type: i64,
    /// GB; 0 means unlimited.
    pub limit_gb: i64,
    pub enabled: bool,
    /// KB used per provider (UTC+8) day; days without traffic have no entry.
    pub usage: BTreeMap<Date, u64>,
}

impl Account {
    /// `usage_flow` of the account list: every KB the account ever used.
    pub(crate) fn usage_total_kb(&self) -> u64 {
        self.usage.values().sum()
    }
}

/// A purchased package of `user-product/*`.
#[derive(Clone, Debug)]
pub(crate) struct Package {
    pub id: u64,
    pub created_at: OffsetDateTime,
    pub expired_at: OffsetDateTime,
    pub product_type: i64,
    pub trade_no: String,
    /// Traffic bought and used, in KB (traffic packages; 0 for IP and time packages).
    pub total_kb: u64,
    pub used_kb: u64,
}

/// An order of `order/*`.
#[derive(Clone, Debug)]
pub(crate) struct Order {
    pub id: u64,
    pub trade_no: String,
    pub product_id: u64,
    pub product_name: &'static str,
    pub product_type: i64,
    pub total_fee_cents: i64,
    pub pay_fee_cents: i64,
    /// 0 pending payment, 1 paid, 2 unpaid and cancelled, 3 refunded.
    pub status: i64,
    pub created_at: OffsetDateTime,
    pub pay_at: Option<OffsetDateTime>,
}

/// A purchased static IP of `ip/get-static-ip`.
#[derive(Clone, Debug)]
pub(crate) struct StaticIp {
    pub id: u64,
    pub ip: Ipv4Addr,
    pub port: u16,
    pub username: String,
    pub password: String,
    pub country_code: &'static str,
    pub state: &'static str,
    pub city: &'static str,
    pub product_type: i64,
    pub trade_no: String,
    pub created_at: OffsetDateTime,
    pub expired_at: OffsetDateTime,
    pub under_maintenance: bool,
}

impl StaticIp {
    /// 1 valid, 2 invalid (expired), 3 expiring soon, 4 under maintenance. "Expiring soon" is
    /// within 7 days, the window `user-product/summary` uses for `temporary` [INF].
    pub(crate) fn status(&self, now: OffsetDateTime) -> i64 {
        if self.under_maintenance {
            4
        } else if self.expired_at <= now {
            2
        } else if self.expired_at - now <= Duration::days(7) {
            3
        } else {
            1
        }
    }
}

/// A whitelisted source IP of `proxy-ip/*`.
#[derive(Clone, Debug)]
pub(crate) struct WhiteIp {
    pub id: u64,
    pub ip: IpAddr,
    pub remark: String,
    pub product_type: i64,
    pub created_at: OffsetDateTime,
}

/// Static IPs on sale per country, for `static-ip-region`.
#[derive(Clone, Debug)]
pub(crate) struct RegionStock {
    pub country_code: &'static str,
    pub residential: u32,
    pub datacenter: u32,
}

/// The account owner of `user/info`.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub id: u64,
    pub email: String,
    pub phone: String,
    pub balance_cents: i64,
    pub status: i64,
    pub is_real_name: bool,
    pub created_at: OffsetDateTime,
}

/// A product `order/create` can buy (`pid`). The document says to get `pid` from customer
/// service; the simulator's catalogue is this fixed list.
#[derive(Debug)]
pub(crate) struct Product {
    pub pid: u64,
    pub name: &'static str,
    pub product_type: i64,
    pub price_cents: i64,
    /// Traffic per unit (KB) for traffic packages, 0 otherwise.
    pub traffic_kb: u64,
    /// Days a unit stays valid.
    pub validity_days: i64,
}

const GB_KB: u64 = 1024 * 1024;

/// The products of the simulator, by `pid`. Names are Chinese like the document's `"title": "入门级"`.
pub(crate) static CATALOGUE: &[Product] = &[
    Product {
        pid: 1,
        name: "入门级",
        product_type: 9,
        price_cents: 1_500,
        traffic_kb: 5 * GB_KB,
        validity_days: 30,
    },
    Product {
        pid: 2,
        name: "进阶级",
        product_type: 9,
        price_cents: 5_000,
        traffic_kb: 20 * GB_KB,
        validity_days: 90,
    },
    Product {
        pid: 3,
        name: "专业级",
        product_type: 9,
        price_cents: 20_000,
        traffic_kb: 100 * GB_KB,
        validity_days: 180,
    },
    Product {
        pid: 4,
        name: "企业级",
        product_type: 9,
        price_cents: 150_000,
        traffic_kb: 1000 * GB_KB,
        validity_days: 30,
    },
    Product {
        pid: 5,
        name: "动态住宅IP时长套餐",
        product_type: 11,
        price_cents: 9_000,
        traffic_kb: 0,
        validity_days: 30,
    },
    Product {
        pid: 6,
        name: "数据中心静态IP",
        product_type: 14,
        price_cents: 300,
        traffic_kb: 0,
        validity_days: 30,
    },
    Product {
        pid: 7,
        name: "住宅静态IP",
        product_type: 25,
        price_cents: 600,
        traffic_kb: 0,
        validity_days: 30,
    },
    Product {
        pid: 8,
        name: "余额充值",
        product_type: 3,
        price_cents: 0,
        traffic_kb: 0,
        validity_days: 0,
    },
    Product {
        pid: 9,
        name: "静态IP续费",
        product_type: 19,
        price_cents: 600,
        traffic_kb: 0,
        validity_days: 30,
    },
];

/// The product with this `pid`.
pub(crate) fn product(pid: i64) -> Option<&'static Product> {
    CATALOGUE.iter().find(|p| i64::try_from(p.pid) == Ok(pid))
}

/// A payment method of `payment/groups`.
#[derive(Debug)]
pub(crate) struct PayMethod {
    pub id: i64,
    pub title: &'static str,
    pub logo: &'static str,
    pub group: &'static str,
    pub disabled: bool,
    pub min_cents: i64,
    pub max_cents: i64,
}

/// A group of payment methods.
#[derive(Debug)]
pub(crate) struct PayGroup {
    pub name: &'static str,
    pub methods: &'static [PayMethod],
}

/// The payment methods, grouped as `payment/groups` shows them (`pm_id` of `order/create`).
pub(crate) static PAYMENT_GROUPS: &[PayGroup] = &[
    PayGroup {
        name: "在线支付",
        methods: &[
            PayMethod {
                id: 1,
                title: "支付宝",
                logo: "https://static.911proxy.sim/pay/alipay.png",
                group: "online",
                disabled: false,
                min_cents: 1_000,
                max_cents: 500_000,
            },
            PayMethod {
                id: 2,
                title: "微信支付",
                logo: "https://static.911proxy.sim/pay/wechat.png",
                group: "online",
                disabled: false,
                min_cents: 1_000,
                max_cents: 500_000,
            },
            PayMethod {
                id: 3,
                title: "Credit Card",
                logo: "https://static.911proxy.sim/pay/card.png",
                group: "online",
                disabled: true,
                min_cents: 1_000,
                max_cents: 200_000,
            },
        ],
    },
    PayGroup {
        name: "加密货币",
        methods: &[PayMethod {
            id: 4,
            title: "USDT (TRC20)",
            logo: "https://static.911proxy.sim/pay/usdt.png",
            group: "crypto",
            disabled: false,
            min_cents: 2_000,
            max_cents: 5_000_000,
        }],
    },
    PayGroup {
        name: "余额",
        methods: &[PayMethod {
            id: 5,
            title: "余额支付",
            logo: "https://static.911proxy.sim/pay/balance.png",
            group: "balance",
            disabled: false,
            min_cents: 1,
            max_cents: 10_000_000,
        }],
    },
];

/// The payment method with this `pm_id`.
pub(crate) fn pay_method(id: i64) -> Option<&'static PayMethod> {
    PAYMENT_GROUPS
        .iter()
        .flat_map(|g| g.methods.iter())
        .find(|m| m.id == id)
}

/// A coupon `order/create` accepts as `coupon_sn`: code and percent off.
pub(crate) static COUPONS: &[(&str, i64)] = &[("WELCOME10", 10), ("SIM20OFF", 20)];

/// The balance top-up bonus tiers of `activity/balance-recharge-gift-ratio`: (amount, ratio).
pub(crate) static GIFT_RATIOS: &[(i64, f64)] = &[(100, 1.05), (500, 1.1), (1000, 1.2)];

/// Whitelist entries allowed per product type (`white-ip/quota`) [INF: no figure is documented].
pub(crate) const WHITE_IP_QUOTA: usize = 20;

/// Entry networks of `/ip/v3` `ep` (the notes: us, hk, de [SIB]).
pub(crate) const ENTRY_NETWORKS: [&str; 3] = ["us", "hk", "de"];
