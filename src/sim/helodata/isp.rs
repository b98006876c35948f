//! ISP batches, their IPs and the ISP inventory (§5.4: ORD, I-IPM, I-LOC, D-EXT).

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::{Value, json};

use super::clock::{self, DAY};
use super::errors::{ApiError, ApiResult};
use super::input::Body;
use super::orders::{MONTH, isp_total};
use super::pagination::{Page, list_reply};
use super::reply::{Reply, Req, to_json};
use super::state::State;

/// Grace after expiry before the IPs go back to the pool (I-ERR, D-EXT).
const GRACE: i64 = 7 * DAY;
/// Free replacements during the first 14 days (I-IPM).
const FREE_WINDOW: i64 = 14 * DAY;

/// An ISP batch: IPs bought together, sharing one user and password (I-PLF).
#[derive(Clone, Debug)]
pub struct Batch {
    pub id: String,
    pub order_id: String,
    /// The bound sub-user's id; the batch user is `helo_<its name>` (I-PLF).
    pub subuser: Option<String>,
    pub country: String,
    pub city: Option<String>,
    pub asn: Option<u64>,
    pub quantity: u64,
    /// Price per IP per month.
    pub price_usd: f64,
    /// On by default (D-EXT); renewal itself is not simulated (it happens on a monthly scale).
    pub auto_renew: bool,
    pub created_at: i64,
    pub expires_at: i64,
    /// False while its order is `provisioning`.
    pub provisioned: bool,
    /// The `expires_at` of the billing period in which `refresh` was used (once per period).
    pub refreshed_until: Option<i64>,
    /// When each single-IP replacement happened.
    pub replacements: Vec<i64>,
}

impl Batch {
    /// `provisioning`, `active`, `grace-period` (7 days after expiry) or `expired` (I-ERR's
    /// gateway codes `batch-grace-period` / `batch-expired`; the API's names are not documented).
    pub fn status(&self, now: i64) -> &'static str {
        if !self.provisioned {
            "provisioning"
        } else if now < self.expires_at {
            "active"
        } else if now < self.expires_at + GRACE {
            "grace-period"
        } else {
            "expired"
        }
    }

    fn view(&self, now: i64) -> Value {
        json!({
            "id": self.id,
            "order_id": self.order_id,
            "subuser": self.subuser,
            "country": self.country,
            "city": self.city,
            "asn": self.asn,
            "quantity": self.quantity,
            "price_usd": self.price_usd,
            "status": self.status(now),
            "auto_renew": self.auto_renew,
            "created_at": clock::fmt(self.created_at),
            "expires_at": clock::fmt(self.expires_at),
        })
    }
}

/// One IP of a batch, as the dashboard's JSON download lists it (`ip, port, user, country, city,
/// asn`, I-PLF; `carrier`, I-LOC). The password is not listed: helodata keeps only its hash.
#[derive(Clone, Debug, Serialize)]
pub struct IspIp {
    pub id: String,
    pub batch_id: String,
    pub ip: String,
    pub port: u16,
    pub country: String,
    pub city: Option<String>,
    pub asn: u64,
    pub carrier: String,
    /// `provisioning`, `active` or `released`.
    pub status: String,
    /// The live 0–100 score of `X-Helodata-IP-Health` (I-STAT).
    pub health: u8,
    /// The IP this one replaced, if any.
    pub replaces: Option<String>,
    #[serde(serialize_with = "clock::ser")]
    pub created_at: i64,
    #[serde(skip)]
    pub ready_at_ms: Option<u64>,
    /// Since when it carries traffic.
    #[serde(skip)]
    pub active_from: i64,
    #[serde(skip)]
    pub released_at: Option<i64>,
}

fn ip_view(st: &State, ip: &IspIp) -> Value {
    let mut v = to_json(ip);
    let user = st
        .batches
        .get(&ip.batch_id)
        .and_then(|b| b.subuser.as_ref())
        .and_then(|s| st.subusers.get(s))
        .map(|s| format!("helo_{}", s.name));
    if let Some(obj) = v.as_object_mut() {
        obj.insert("user".into(), json!(user));
    }
    v
}

/// Per-country ISP stock (I-LOC).
#[derive(Clone, Debug, Serialize)]
pub struct InventoryCountry {
    pub country: String,
    /// 1: city-level choice; 2: country level only (I-LOC).
    pub tier: u8,
    pub available: u64,
    /// Monthly price per IP.
    pub price_usd: f64,
    pub cities: Vec<InventoryCity>,
    pub asns: Vec<InventoryAsn>,
}

#[derive(Clone, Debug, Serialize)]
pub struct InventoryCity {
    pub city: String,
    pub available: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct InventoryAsn {
    pub asn: u64,
    pub carrier: String,
}

/// Completes provisioning orders and replacement IPs whose time has come.
pub fn advance(st: &mut State, now_ms: u64) {
    let due: Vec<(String, u64)> = st
        .orders
        .values()
        .filter(|o| o.status == "provisioning" && o.ready_at_ms.is_some_and(|r| r <= now_ms))
        .map(|o| (o.id.clone(), o.ready_at_ms.unwrap_or(now_ms)))
        .collect();
    for (order_id, ready_ms) in due {
        let ready = i64::try_from(ready_ms / 1000).unwrap_or(0);
        if let Some(o) = st.orders.get_mut(&order_id) {
            o.status = "completed".into();
        }
        let batch_id = st
            .batches
            .values()
            .find(|b| b.order_id == order_id)
            .map(|b| b.id.clone());
        if let Some(batch_id) = batch_id {
            let quantity = st.batches.get(&batch_id).map_or(0, |b| b.quantity);
            for _ in 0..quantity {
                let ip = new_ip(st, &batch_id, ready, ready_ms, None);
                st.ips.insert(ip.id.clone(), ip);
            }
            if let Some(b) = st.batches.get_mut(&batch_id) {
                b.provisioned = true;
            }
        }
    }
    for ip in st.ips.values_mut() {
        if ip.status == "provisioning" && ip.ready_at_ms.is_some_and(|r| r <= now_ms) {
            ip.status = "active".into();
        }
    }
}

/// A fresh `active` IP for `batch_id`, carrying traffic from `at` (seconds); callers that make
/// it wait set `provisioning`, and [`advance`] flips it at `ready_ms`.
pub fn new_ip(
    st: &mut State,
    batch_id: &str,
    at: i64,
    ready_ms: u64,
    replaces: Option<String>,
) -> IspIp {
    let (country, batch_city, batch_asn) = st
        .batches
        .get(batch_id)
        .map(|b| (b.country.clone(), b.city.clone(), b.asn))
        .unwrap_or_default();
    let inv = st.inventory.get(&country).cloned();
    let city = batch_city.or_else(|| {
        inv.as_ref()
            .and_then(|i| st.rng.pick(&i.cities).map(|c| c.city.clone()))
    });
    let asns = inv.map(|i| i.asns).unwrap_or_default();
    let chosen = match batch_asn {
        Some(a) => asns.iter().find(|x| x.asn == a).cloned(),
        None => st.rng.pick(&asns).cloned(),
    };
    let (asn, carrier) = chosen.map_or((batch_asn.unwrap_or(0), String::new()), |a| {
        (a.asn, a.carrier)
    });
    let used: BTreeSet<&str> = st.ips.values().map(|i| i.ip.as_str()).collect();
    // 198.18.0.0/15 (RFC 2544 benchmarking): 131,072 addresses that route nowhere.
    let mut addr = String::new();
    for _ in 0..1_000 {
        let n = st.rng.range(1, 131_070);
        addr = format!("198.{}.{}.{}", 18 + n / 65_536, (n / 256) % 256, n % 256);
        if !used.contains(addr.as_str()) {
            break;
        }
    }
    IspIp {
        id: st.rng.id("ip", u64::try_from(at).unwrap_or(0) * 1000),
        batch_id: batch_id.to_string(),
        ip: addr,
        port: 8000,
        country,
        city,
        asn,
        carrier,
        status: "active".into(),
        health: st.rng.range(82, 100) as u8,
        replaces,
        created_at: at,
        ready_at_ms: Some(ready_ms),
        active_from: at,
        released_at: None,
    }
}

/// Takes `quantity` IPs out of the stock of `country` (and `city`).
pub fn take_stock(st: &mut State, country: &str, city: Option<&str>, quantity: u64) {
    if let Some(inv) = st.inventory.get_mut(country) {
        inv.available = inv.available.saturating_sub(quantity);
        let mut left = quantity;
        for c in inv.cities.iter_mut() {
            if city.is_none_or(|x| x == c.city) {
                let take = left.min(c.available);
                c.available -= take;
                left -= take;
            }
        }
    }
}

fn batch<'a>(st: &'a State, id: &str) -> ApiResult<&'a Batch> {
    st.batches
        .get(id)
        .ok_or_else(|| ApiError::not_found("ISP batch", id))
}

/// `GET /isp/batches?status=&subuser=` (ORD zh, first row of the lifecycle table).
pub fn list_batches(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let status = req.query.one_of(
        "status",
        &["provisioning", "active", "grace-period", "expired"],
    )?;
    let subuser = req.query.get("subuser");
    let page = Page::from_req(req)?;
    let now = req.ctx.now;
    let items = st.batches.values().filter(|b| {
        status.as_deref().is_none_or(|s| b.status(now) == s)
            && subuser.is_none_or(|s| b.subuser.as_deref() == Some(s))
    });
    let (items, next) = page.slice(items, |b| b.id.clone(), false);
    list_reply(req, items.iter().map(|b| b.view(now)).collect(), next)
}

/// `GET /isp/batches/{id}` (inferred, §5.4).
pub fn get_batch(st: &mut State, req: &Req) -> ApiResult<Reply> {
    Reply::ok(batch(st, req.param(0))?.view(req.ctx.now))
}

/// `GET /isp/batches/{id}/ips` (inferred, §5.4): the batch's current IPs, released ones left out.
pub fn list_batch_ips(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let id = batch(st, req.param(0))?.id.clone();
    let page = Page::from_req(req)?;
    let items = st
        .ips
        .values()
        .filter(|ip| ip.batch_id == id && ip.status != "released");
    let (items, next) = page.slice(items, |ip| ip.id.clone(), false);
    list_reply(req, items.iter().map(|ip| ip_view(st, ip)).collect(), next)
}

/// `POST /isp/batches/{id}/renew` `{"months": n}`: extends `expires_at` by `n` 30-day months,
/// charged like the order; answers the batch with its new `expires_at` (I-IPM, D-EXT). Allowed
/// while active or in grace (D-EXT: "recovering during grace").
pub fn renew(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let body = Body::parse(&req.body)?;
    let months = body.int_required("months", 1, 12)?;
    let now = req.ctx.now;
    let b = batch(st, req.param(0))?;
    match b.status(now) {
        "active" | "grace-period" => {}
        other => {
            return Err(ApiError::precondition(format!(
                "a batch that is {other} cannot be renewed"
            )));
        }
    }
    let (id, total) = (b.id.clone(), isp_total(b.price_usd, b.quantity, months));
    st.account.charge(total)?;
    let b = st
        .batches
        .get_mut(&id)
        .ok_or_else(|| ApiError::not_found("ISP batch", &id))?;
    b.expires_at += months as i64 * MONTH;
    Reply::ok(b.view(now))
}

/// `POST /isp/batches/{id}/refresh`: replaces every IP, once per billing period, and uses up the
/// 14-day free-replacement allowance (I-IPM). New IPs provision like an order's.
pub fn refresh(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let now = req.ctx.now;
    let b = batch(st, req.param(0))?;
    if b.status(now) != "active" {
        return Err(ApiError::precondition(
            "only an active batch can be refreshed",
        ));
    }
    if b.refreshed_until == Some(b.expires_at) {
        return Err(ApiError::precondition(
            "this batch was already refreshed in the current billing period",
        ));
    }
    let id = b.id.clone();
    let expires_at = b.expires_at;
    let ready_ms = req.ctx.now_ms.saturating_add(st.cfg.isp_provisioning_ms);
    let old: Vec<String> = st
        .ips
        .values()
        .filter(|ip| ip.batch_id == id && ip.status != "released")
        .map(|ip| ip.id.clone())
        .collect();
    for old_id in old {
        release(st, &old_id, now);
        let mut ip = new_ip(st, &id, now, ready_ms, Some(old_id));
        ip.status = "provisioning".into();
        st.ips.insert(ip.id.clone(), ip);
    }
    if let Some(b) = st.batches.get_mut(&id) {
        b.refreshed_until = Some(expires_at);
    }
    Reply::ok(batch(st, &id)?.view(now))
}

fn release(st: &mut State, ip_id: &str, now: i64) {
    if let Some(ip) = st.ips.get_mut(ip_id) {
        ip.status = "released".into();
        ip.released_at = Some(now);
    }
}

/// `POST /isp/ips/{ip_id}/replace` `{"reason": "target-blocked"}`: the old IP is released at
/// once and a new one is `provisioning` for the provisioning delay (I-IPM: "1–5 min"). Free in
/// the first 14 days (unless a refresh used the allowance), then 10% of the batch per billing
/// period; further ones cost the batch's monthly IP price (I-IPM, FAIR). 201 with the new IP.
pub fn replace_ip(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let body = Body::parse(&req.body)?;
    let reason = body.str_required("reason")?;
    // "At most 64 characters" counts characters, as the gateway does, not UTF-8 bytes.
    if reason.chars().count() > 64 {
        return Err(ApiError::invalid(
            "reason",
            "reason must be at most 64 characters",
        ));
    }
    let now = req.ctx.now;
    let ip_id = req.param(0).to_string();
    let ip = st
        .ips
        .get(&ip_id)
        .ok_or_else(|| ApiError::not_found("ISP IP", &ip_id))?;
    if ip.status == "released" {
        return Err(ApiError::precondition("this IP was already released"));
    }
    let b = batch(st, &ip.batch_id)?;
    if b.status(now) != "active" {
        return Err(ApiError::precondition(
            "IPs can be replaced in an active batch only",
        ));
    }
    let in_free_window = now < b.created_at + FREE_WINDOW && b.refreshed_until.is_none();
    let period_start = b.expires_at - MONTH;
    let used = b
        .replacements
        .iter()
        .filter(|t| **t >= period_start)
        .count() as u64;
    let allowance = (b.quantity / 10).max(1);
    let cost = if in_free_window || used < allowance {
        0.0
    } else {
        b.price_usd
    };
    let batch_id = b.id.clone();
    st.account.charge(cost)?;
    release(st, &ip_id, now);
    let ready_ms = req.ctx.now_ms.saturating_add(st.cfg.isp_provisioning_ms);
    let mut new = new_ip(st, &batch_id, now, ready_ms, Some(ip_id));
    new.status = "provisioning".into();
    if let Some(b) = st.batches.get_mut(&batch_id) {
        b.replacements.push(now);
    }
    let mut view = ip_view(st, &new);
    if let Some(obj) = view.as_object_mut() {
        obj.insert("charged_usd".into(), json!(cost));
    }
    st.ips.insert(new.id.clone(), new);
    Reply::created(view)
}

/// `GET /isp/inventory?country=&tier=`: available quantity, monthly price per IP, cities and
/// ASNs offered, per country (I-LOC).
pub fn inventory(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let country = req.query.get("country").map(str::to_ascii_lowercase);
    let tier = req.query.one_of("tier", &["1", "2"])?;
    let page = Page::from_req(req)?;
    let items = st.inventory.values().filter(|i| {
        country.as_ref().is_none_or(|c| &i.country == c)
            && tier.as_ref().is_none_or(|t| i.tier.to_string() == *t)
    });
    let (items, next) = page.slice(items, |i| i.country.clone(), false);
    list_reply(req, items.into_iter().map(to_json).collect(), next)
}
