//! `GET /{product}/traffic` (aggregates), `GET /{product}/requests` and
//! `GET /isp/ips/{ip_id}/requests` (sampled request log) (§5.6, TRF, R-STAT, M-STAT, I-STAT).
//!
//! Traffic is not stored: each traffic source (a sub-user for residential and mobile, an IP for
//! ISP) carries a deterministic volume per hour, a pure function of the seed, the source id and
//! the hour, for the hours the source was active (a disabled or deleted sub-user, a released IP,
//! carries none). History starts 90 days before the simulator started and grows with the wall
//! clock; the current hour counts pro rata. So the same seed gives the same numbers for any
//! closed window, writes reshape the future but never the past, and deleted sub-users keep
//! their history.
//!
//! Choices where TRF is silent: hourly buckets, a bucket belongs to a window when its start is
//! in `[from, to)`; without `group_by` the answer is one total row (none when there was no
//! traffic); `group_by` takes one dimension or several separated by commas; `day` keys read
//! `2026-05-01`, `hour` keys are RFC 3339; the `subuser` key is the `sub_` id (TRF; R-STAT shows
//! the name, §10.3), and the `subuser` filter takes either.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::clock::{self, DAY, HOUR};
use super::errors::{ApiError, ApiResult};
use super::pagination::{Page, list_reply};
use super::reply::{Reply, Req, to_json};
use super::rng::{hash_str, mix};
use super::state::State;

pub const PRODUCTS: [&str; 3] = ["residential", "mobile", "isp"];
/// The history seeded before the simulator started.
pub const HISTORY: i64 = 90 * DAY;

const GROUPS_RESIDENTIAL: &[&str] = &["subuser", "region", "asn", "tag", "day", "hour"];
const GROUPS_MOBILE: &[&str] = &[
    "subuser",
    "region",
    "asn",
    "carrier_name",
    "tag",
    "day",
    "hour",
];
const GROUPS_ISP: &[&str] = &["ip", "batch", "target_domain", "day"];

/// Tags callers put in `X-Helodata-Tag` (R-STAT), `None` for untagged traffic.
const TAGS: &[Option<&str>] = &[None, Some("scraper"), Some("monitoring"), Some("checkout")];
/// Residential/mobile exit geography: (region, [(asn, carrier)]).
pub const EXIT_GEO: &[(&str, &[(u64, &str)])] = &[
    ("us", &[(7922, "Comcast"), (701, "Verizon"), (7018, "AT&T")]),
    ("gb", &[(2856, "BT"), (5089, "Virgin Media")]),
    ("de", &[(3320, "Deutsche Telekom"), (3209, "Vodafone")]),
    ("fr", &[(3215, "Orange")]),
    ("jp", &[(2516, "KDDI"), (4713, "NTT")]),
    ("br", &[(28573, "Claro")]),
    ("in", &[(45609, "Airtel"), (55836, "Jio")]),
    ("ca", &[(812, "Rogers")]),
];
const TARGET_DOMAINS: &[&str] = &[
    "amazon.com",
    "google.com",
    "instagram.com",
    "walmart.com",
    "example.com",
];

/// One hourly slice of one source's traffic.
struct Point {
    hour: i64,
    subuser: Option<String>,
    region: String,
    asn: u64,
    carrier: String,
    tag: Option<&'static str>,
    ip: Option<String>,
    batch: Option<String>,
    target_domain: &'static str,
    bytes_in: u64,
    bytes_out: u64,
    requests: u64,
    errors: u64,
}

/// Seconds of `[start, end)` that fall inside the active `intervals`.
fn overlap(intervals: &[(i64, Option<i64>)], start: i64, end: i64) -> i64 {
    intervals
        .iter()
        .map(|(s, e)| {
            let lo = (*s).max(start);
            let hi = e.unwrap_or(i64::MAX).min(end);
            (hi - lo).max(0)
        })
        .sum()
}

/// Volume of `source` in the hour starting at `hour`, slice `k`: (bytes_in, bytes_out,
/// requests, errors) at full activity, plus the hash that picks its dimensions.
fn volume(seed: u64, source: &str, hour: i64, k: u64, scale_mb: u64) -> (u64, u64, u64, u64, u64) {
    let source_hash = mix(seed ^ hash_str(source));
    let h = mix(source_hash ^ (hour as u64).wrapping_mul(0x9E37_79B9) ^ (k << 56));
    // Per-source size, times a day/night cycle, times noise.
    let base = (scale_mb / 4 + source_hash % scale_mb.max(1)) * 1_000_000;
    let hour_of_day = hour.rem_euclid(DAY) / HOUR;
    let cycle = 60 + 40 * (12 - (hour_of_day - 14).abs()).max(0) / 12;
    let noise = 50 + h % 100;
    let bytes_in = base / 2 * cycle as u64 / 100 * noise / 100;
    let bytes_out = bytes_in / (6 + (h >> 8) % 10);
    let avg_response = 40_000 + (source_hash >> 16) % 80_000;
    let requests = bytes_in / avg_response;
    let errors = requests * ((h >> 20) % 30) / 1_000;
    (bytes_in, bytes_out, requests, errors, h)
}

fn scaled(v: u64, num: i64) -> u64 {
    (u128::from(v) * u128::from(num.max(0) as u64) / HOUR as u128) as u64
}

/// Every point of `product` whose hour starts in `[from, to)` and before `now`.
fn points(st: &State, product: &str, from: i64, to: i64, now: i64) -> Vec<Point> {
    let seed = st.cfg.seed;
    let history_start = clock::floor_hour(st.started_at - HISTORY);
    let first = {
        let f = from.max(history_start);
        if f.rem_euclid(HOUR) == 0 {
            f
        } else {
            clock::floor_hour(f) + HOUR
        }
    };
    let mut out = Vec::new();
    if product == "isp" {
        for ip in st.ips.values() {
            let intervals = [(ip.active_from, ip.released_at)];
            let subuser = st.batches.get(&ip.batch_id).and_then(|b| b.subuser.clone());
            let mut hour = first;
            while hour < to && hour < now {
                let active = overlap(&intervals, hour, (hour + HOUR).min(now));
                if active > 0 {
                    let (bi, bo, rq, er, h) = volume(seed, &ip.id, hour, 0, 40);
                    out.push(Point {
                        hour,
                        subuser: subuser.clone(),
                        region: ip.country.clone(),
                        asn: ip.asn,
                        carrier: ip.carrier.clone(),
                        tag: TAGS.get((h >> 40) as usize % TAGS.len()).copied().flatten(),
                        ip: Some(ip.ip.clone()),
                        batch: Some(ip.batch_id.clone()),
                        target_domain: TARGET_DOMAINS
                            .get((h >> 44) as usize % TARGET_DOMAINS.len())
                            .copied()
                            .unwrap_or("example.com"),
                        bytes_in: scaled(bi, active),
                        bytes_out: scaled(bo, active),
                        requests: scaled(rq, active),
                        errors: scaled(er, active),
                    });
                }
                hour += HOUR;
            }
        }
        return out;
    }
    let scale = if product == "mobile" { 80 } else { 400 };
    for sub in st.subusers.values() {
        if !sub.products.iter().any(|p| p == product) {
            continue;
        }
        let mut hour = first;
        while hour < to && hour < now {
            let active = overlap(&sub.active_intervals, hour, (hour + HOUR).min(now));
            if active > 0 {
                for k in 0..2 {
                    let source = format!("{}/{product}", sub.id);
                    let (bi, bo, rq, er, h) = volume(seed, &source, hour, k, scale);
                    let (region, asns) = EXIT_GEO
                        .get((h >> 36) as usize % EXIT_GEO.len())
                        .copied()
                        .unwrap_or(("us", &[]));
                    let (asn, carrier) = asns
                        .get((h >> 48) as usize % asns.len().max(1))
                        .copied()
                        .unwrap_or((7922, "Comcast"));
                    out.push(Point {
                        hour,
                        subuser: Some(sub.id.clone()),
                        region: region.to_string(),
                        asn,
                        carrier: carrier.to_string(),
                        tag: TAGS.get((h >> 40) as usize % TAGS.len()).copied().flatten(),
                        ip: None,
                        batch: None,
                        target_domain: "",
                        bytes_in: scaled(bi, active),
                        bytes_out: scaled(bo, active),
                        requests: scaled(rq, active),
                        errors: scaled(er, active),
                    });
                }
            }
            hour += HOUR;
        }
    }
    out
}

/// A sortable group key part.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Null,
    Num(u64),
    Str(String),
}

impl Key {
    fn json(&self) -> Value {
        match self {
            Key::Null => Value::Null,
            Key::Num(n) => json!(n),
            Key::Str(s) => json!(s),
        }
    }
}

fn key_of(p: &Point, dim: &str) -> Key {
    let s = |v: &Option<String>| v.clone().map_or(Key::Null, Key::Str);
    match dim {
        "subuser" => s(&p.subuser),
        "region" => Key::Str(p.region.clone()),
        "asn" => Key::Num(p.asn),
        "carrier_name" => Key::Str(p.carrier.clone()),
        "tag" => p.tag.map_or(Key::Null, |t| Key::Str(t.to_string())),
        "day" => Key::Str(clock::fmt_date(p.hour)),
        "hour" => Key::Str(clock::fmt(p.hour)),
        "ip" => s(&p.ip),
        "batch" => s(&p.batch),
        "target_domain" => Key::Str(p.target_domain.to_string()),
        _ => Key::Null,
    }
}

#[derive(Default)]
struct Totals {
    bytes_in: u64,
    bytes_out: u64,
    requests: u64,
    errors: u64,
}

fn product_of(req: &Req) -> &str {
    req.path
        .trim_start_matches("/v1/")
        .split('/')
        .next()
        .unwrap_or("")
}

/// `GET /{product}/traffic?from=&to=&group_by=&subuser=&region=&tag=&batch_id=` →
/// `{from, to, rows: [{<group keys>, bytes_in, bytes_out, requests, errors, error_rate}]}`,
/// bytes as integers, `error_rate` a fraction from 0 to 1 (TRF).
pub fn traffic(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let product = product_of(req).to_string();
    let q = &req.query;
    let (from, _) = q.time_required("from")?;
    let (to, _) = q.time_required("to")?;
    if to <= from {
        return Err(ApiError::invalid(
            "to",
            "to must be after from (to is exclusive)",
        ));
    }
    let allowed = match product.as_str() {
        "mobile" => GROUPS_MOBILE,
        "isp" => GROUPS_ISP,
        _ => GROUPS_RESIDENTIAL,
    };
    let dims: Vec<String> = match q.get("group_by") {
        None => Vec::new(),
        Some(g) => g.split(',').map(|d| d.trim().to_string()).collect(),
    };
    if let Some(bad) = dims.iter().find(|d| !allowed.contains(&d.as_str())) {
        return Err(ApiError::invalid(
            "group_by",
            format!(
                "group_by for {product} must be one of {}, got {bad:?}",
                allowed.join(", ")
            ),
        ));
    }
    let region = q.get("region");
    if let Some(r) = region
        && (r.len() != 2 || !r.bytes().all(|b| b.is_ascii_lowercase()))
    {
        // The overview's own error example.
        return Err(ApiError::invalid(
            "region",
            "region must be a 2-letter ISO 3166 code",
        ));
    }
    // A sub-user given by name is matched through its id (deleted ones included: history stays).
    let subuser = q.get("subuser").map(|s| {
        st.subusers
            .values()
            .find(|u| u.id == s || u.name == s)
            .map_or_else(|| s.to_string(), |u| u.id.clone())
    });
    let tag = q.get("tag");
    let batch = q.get("batch_id");
    let mut groups: BTreeMap<Vec<Key>, Totals> = BTreeMap::new();
    for p in points(st, &product, from, to, req.ctx.now) {
        if subuser
            .as_ref()
            .is_some_and(|s| p.subuser.as_ref() != Some(s))
            || region.is_some_and(|r| p.region != r)
            || tag.is_some_and(|t| p.tag != Some(t))
            || batch.is_some_and(|b| p.batch.as_deref() != Some(b))
        {
            continue;
        }
        let key: Vec<Key> = dims.iter().map(|d| key_of(&p, d)).collect();
        let t = groups.entry(key).or_default();
        t.bytes_in += p.bytes_in;
        t.bytes_out += p.bytes_out;
        t.requests += p.requests;
        t.errors += p.errors;
    }
    let rows: Vec<Value> = groups
        .into_iter()
        .map(|(key, t)| {
            let mut row = Map::new();
            for (dim, k) in dims.iter().zip(key) {
                row.insert(dim.clone(), k.json());
            }
            let rate = if t.requests == 0 {
                0.0
            } else {
                (t.errors as f64 / t.requests as f64 * 10_000.0).round() / 10_000.0
            };
            row.insert("bytes_in".into(), json!(t.bytes_in));
            row.insert("bytes_out".into(), json!(t.bytes_out));
            row.insert("requests".into(), json!(t.requests));
            row.insert("errors".into(), json!(t.errors));
            row.insert("error_rate".into(), json!(rate));
            Value::Object(row)
        })
        .collect();
    Reply::ok(json!({
        "from": clock::fmt(from),
        "to": clock::fmt(to),
        "rows": rows,
    }))
}

/// One entry of the sampled request log: status, exit IP, geo, ASN, bytes and tag (R-STAT);
/// mobile adds the carrier and connection type (M-STAT), ISP the IP and batch (I-STAT).
#[derive(Clone, Debug, Serialize)]
pub struct RequestSample {
    pub id: String,
    #[serde(skip)]
    pub product: String,
    #[serde(serialize_with = "clock::ser")]
    pub timestamp: i64,
    pub subuser: Option<String>,
    pub status: u16,
    pub exit_ip: String,
    /// `us/ca/la` as in `X-Helodata-Exit-Geo`.
    pub geo: String,
    pub asn: u64,
    pub bytes_in: u64,
    pub bytes_out: u64,
    pub tag: Option<String>,
    pub target_domain: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub carrier_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connection: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ip_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<String>,
}

fn sample_page<'a>(req: &Req, items: impl Iterator<Item = &'a RequestSample>) -> ApiResult<Reply> {
    let page = Page::from_req(req)?;
    // Newest first: ids are ULIDs of the request time, so descending id order.
    let mut items: Vec<&RequestSample> = items.collect();
    items.sort_by(|a, b| b.id.cmp(&a.id));
    let (items, next) = page.slice(items, |s| s.id.clone(), true);
    list_reply(req, items.into_iter().map(to_json).collect(), next)
}

/// `GET /{product}/requests?subuser=&limit=`: the last 1,000 sampled requests, newest first, in
/// the list envelope. Every call counts against the API rate limit like any other (R-STAT).
pub fn requests(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let product = product_of(req).to_string();
    let subuser = req.query.get("subuser").map(|s| {
        st.subusers
            .values()
            .find(|u| u.id == s || u.name == s)
            .map_or_else(|| s.to_string(), |u| u.id.clone())
    });
    let items = st.samples.values().filter(|s| {
        s.product == product
            && subuser
                .as_ref()
                .is_none_or(|u| s.subuser.as_ref() == Some(u))
    });
    sample_page(req, items)
}

/// `GET /isp/ips/{ip_id}/requests?limit=100`: one IP's recent samples (I-STAT).
pub fn ip_requests(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let ip_id = req.param(0);
    if !st.ips.contains_key(ip_id) {
        return Err(ApiError::not_found("ISP IP", ip_id));
    }
    let items = st
        .samples
        .values()
        .filter(|s| s.ip_id.as_deref() == Some(ip_id));
    sample_page(req, items)
}
