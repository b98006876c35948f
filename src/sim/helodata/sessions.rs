//! Sticky sessions: `/residential/sessions`, `/mobile/sessions` (§5.7, SES). ISP has none.
//!
//! The simulator keeps a small live population: expired sessions vanish, and new ones start so
//! that each gateway product keeps about [`TARGET`] while it has active sub-users.

use serde::Serialize;
use serde_json::json;

use super::clock::{self, MINUTE};
use super::errors::{ApiError, ApiResult};
use super::pagination::{Page, list_reply};
use super::reply::{Reply, Req, to_json};
use super::rng::Rng;
use super::state::State;
use super::subusers::SubUser;
use super::traffic::{EXIT_GEO, RequestSample};

pub const PRODUCTS: [&str; 2] = ["residential", "mobile"];
/// Live sessions kept per product.
pub const TARGET: usize = 8;

#[derive(Clone, Debug, Serialize)]
pub struct Session {
    pub id: String,
    #[serde(skip)]
    pub product: String,
    pub subuser: String,
    /// The user-chosen part of the username (`job1`).
    pub session_id: String,
    pub region: String,
    pub state: Option<String>,
    pub city: Option<String>,
    pub asn: u64,
    pub exit_ip: String,
    #[serde(serialize_with = "clock::ser")]
    pub started_at: i64,
    /// `started_at + sesstime` (at most 30 minutes, UF).
    #[serde(serialize_with = "clock::ser")]
    pub expires_at: i64,
    pub bytes_used: u64,
    pub requests: u64,
    pub repinned: bool,
    /// Its last 10 request samples, shown by `GET /{product}/sessions/{id}` only.
    #[serde(skip)]
    pub samples: Vec<RequestSample>,
}

/// A test-range address (TEST-NET-2/3), standing in for a residential exit.
pub fn exit_ip(rng: &mut Rng) -> String {
    let net = if rng.chance(0.5) {
        "198.51.100"
    } else {
        "203.0.113"
    };
    format!("{net}.{}", rng.range(1, 254))
}

/// A new session of `sub` for `product`, started at `start`.
pub fn start(rng: &mut Rng, sub: &SubUser, product: &str, start: i64, now_ms: u64) -> Session {
    let ttl = rng.range(5, 30) as i64 * MINUTE;
    let (region, asns) = rng.pick(EXIT_GEO).copied().unwrap_or(("us", &[]));
    let (asn, carrier) = rng.pick(asns).copied().unwrap_or((7922, "Comcast"));
    let (state, city) = match region {
        "us" => (Some("ca"), Some("la")),
        "gb" => (Some("eng"), Some("london")),
        "de" => (Some("be"), Some("berlin")),
        "br" => (Some("sp"), Some("saopaulo")),
        _ => (None, None),
    };
    let exit = exit_ip(rng);
    let id = rng.id("ses", u64::try_from(start).unwrap_or(0) * 1000);
    let samples: Vec<RequestSample> = (0..10)
        .map(|i| {
            let bytes_in = rng.range(2_000, 400_000);
            RequestSample {
                id: rng.id("req", now_ms.saturating_sub(10 - i)),
                product: product.to_string(),
                timestamp: start + i as i64,
                subuser: Some(sub.id.clone()),
                status: if rng.chance(0.95) { 200 } else { 403 },
                exit_ip: exit.clone(),
                geo: [Some(region), state, city]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("/"),
                asn,
                bytes_in,
                bytes_out: bytes_in / 10,
                tag: None,
                target_domain: "example.com".into(),
                carrier_name: (product == "mobile").then(|| carrier.to_string()),
                connection: (product == "mobile").then(|| "lte".to_string()),
                ip_id: None,
                batch_id: None,
            }
        })
        .collect();
    Session {
        id,
        product: product.to_string(),
        subuser: sub.id.clone(),
        session_id: format!("job{}", rng.lower(6)),
        region: region.to_string(),
        state: state.map(str::to_string),
        city: city.map(str::to_string),
        asn,
        exit_ip: exit,
        started_at: start,
        expires_at: start + ttl,
        bytes_used: samples.iter().map(|s| s.bytes_in + s.bytes_out).sum(),
        requests: rng.range(10, 500),
        repinned: rng.chance(0.1),
        samples,
    }
}

/// Drops expired sessions and tops each product up to [`TARGET`].
pub fn advance(st: &mut State, now_ms: u64) {
    let now = i64::try_from(now_ms / 1000).unwrap_or(0);
    st.sessions.retain(|_, s| s.expires_at > now);
    for product in PRODUCTS {
        let live = st
            .sessions
            .values()
            .filter(|s| s.product == product)
            .count();
        if live >= TARGET {
            // Nothing to start: skip the walk over every sub-user (it runs on every request).
            continue;
        }
        let candidates: Vec<&str> = st
            .subusers
            .values()
            .filter(|s| {
                s.deleted_at.is_none()
                    && s.status == "active"
                    && s.products.iter().any(|p| p == product)
            })
            .map(|s| s.id.as_str())
            .collect();
        for _ in live..TARGET {
            let Some(id) = st.rng.pick(&candidates) else {
                break;
            };
            let Some(sub) = st.subusers.get(*id) else {
                break;
            };
            let started = now - st.rng.range(0, 4) as i64 * MINUTE;
            let s = start(&mut st.rng, sub, product, started, now_ms);
            st.sessions.insert(s.id.clone(), s);
        }
    }
}

fn product_of(req: &Req) -> &str {
    req.path
        .trim_start_matches("/v1/")
        .split('/')
        .next()
        .unwrap_or("")
}

/// `GET /{product}/sessions?subuser=&session_id=&region=&asn=&repinned=`.
pub fn list(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let product = product_of(req).to_string();
    let q = &req.query;
    let subuser = q.get("subuser").map(|s| {
        st.subuser_by_id_or_name(s)
            .map_or(s.to_string(), |u| u.id.clone())
    });
    let session_id = q.get("session_id");
    let region = q.get("region");
    let asn = q.u64("asn")?;
    let repinned = q.bool("repinned")?;
    let page = Page::from_req(req)?;
    let items = st.sessions.values().filter(|s| {
        s.product == product
            && subuser.as_ref().is_none_or(|u| &s.subuser == u)
            && session_id.is_none_or(|x| s.session_id == x)
            && region.is_none_or(|r| s.region == r)
            && asn.is_none_or(|a| s.asn == a)
            && repinned.is_none_or(|r| s.repinned == r)
    });
    let (items, next) = page.slice(items, |s| s.id.clone(), false);
    list_reply(req, items.into_iter().map(to_json).collect(), next)
}

fn found<'a>(st: &'a State, req: &Req) -> ApiResult<&'a Session> {
    let id = req.param(0);
    st.sessions
        .get(id)
        .filter(|s| s.product == product_of(req))
        .ok_or_else(|| ApiError::not_found("session", id))
}

/// `GET /{product}/sessions/{id}`: the session plus its last 10 request samples, under
/// `samples` (the member's name is not documented).
pub fn get(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let s = found(st, req)?;
    let mut v = to_json(s);
    if let Some(obj) = v.as_object_mut() {
        let samples: Vec<_> = s.samples.iter().map(to_json).collect();
        obj.insert("samples".into(), json!(samples));
    }
    Reply::ok(v)
}

/// `DELETE /{product}/sessions/{id}`: ends it early; 204 (SES [I]). Needs `subusers:write` (no
/// scope is documented for sessions, §3).
pub fn end(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let id = found(st, req)?.id.clone();
    st.sessions.remove(&id);
    Reply::no_content()
}
