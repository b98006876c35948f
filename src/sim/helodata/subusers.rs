//! Sub-users: `/subusers` (§5.2, SUB, D-SUB).

use serde::Serialize;
use serde_json::json;

use super::auth::digest;
use super::clock;
use super::errors::{ApiError, ApiResult};
use super::input::{Body, check_label};
use super::pagination::{Page, list_reply};
use super::reply::{Reply, Req, to_json};
use super::state::State;

pub const PRODUCTS: &[&str] = &["residential", "mobile", "isp"];
const STATUSES: &[&str] = &["active", "disabled"];

/// A sub-user; serializes to exactly the documented list item (SUB).
#[derive(Clone, Debug, Serialize)]
pub struct SubUser {
    pub id: String,
    /// Server-issued, used in proxy usernames (`helo_{name}-…`, UF).
    pub name: String,
    pub label: String,
    pub products: Vec<String>,
    pub status: String,
    pub concurrent_max: u64,
    pub rps_max: u64,
    #[serde(serialize_with = "clock::ser")]
    pub created_at: i64,
    /// SHA-256 of the password: helodata keeps only a hash (SUB).
    #[serde(skip)]
    pub password_hash: [u8; 32],
    /// The previous password's hash and when it stops working (rotation grace: 60 s, D-SUB).
    #[serde(skip)]
    pub previous_password: Option<([u8; 32], i64)>,
    #[serde(skip)]
    pub deleted_at: Option<i64>,
    /// When the sub-user could carry traffic (active and not deleted): drives the traffic history.
    #[serde(skip)]
    pub active_intervals: Vec<(i64, Option<i64>)>,
}

/// Per-product gateway caps of an account plan: (concurrent, rps) (§4, second table). ISP has
/// per-IP caps only, so no per-sub-user cap. `pay-as-you-go` is absent there; Starter's caps are
/// used for it, and 100,000 stands for Enterprise's "custom".
pub fn plan_caps(plan: &str, product: &str) -> Option<(u64, u64)> {
    let residential = match plan {
        "trial" => (25, 50),
        "pay-as-you-go" | "starter" => (200, 200),
        "pro" => (600, 1_000),
        "business" => (2_000, 3_000),
        _ => (100_000, 100_000),
    };
    let mobile = match plan {
        "trial" => (10, 25),
        "pay-as-you-go" | "starter" => (50, 100),
        "pro" => (200, 500),
        "business" => (500, 1_500),
        _ => (100_000, 100_000),
    };
    match product {
        "residential" => Some(residential),
        "mobile" => Some(mobile),
        _ => None,
    }
}

/// The caps a sub-user's limits must stay within: the largest among its products (SUB's own
/// example, `["residential","mobile"]` with 600/1000, exceeds the mobile caps of every plan but
/// Enterprise, so the limit applies per product and the residential one bounds it). ISP-only
/// sub-users fall back to the residential caps.
fn caps_for(plan: &str, products: &[String]) -> (u64, u64) {
    let caps: Vec<(u64, u64)> = products.iter().filter_map(|p| plan_caps(plan, p)).collect();
    if caps.is_empty() {
        return plan_caps(plan, "residential").unwrap_or((100_000, 100_000));
    }
    (
        caps.iter().map(|c| c.0).max().unwrap_or(1),
        caps.iter().map(|c| c.1).max().unwrap_or(1),
    )
}

fn limits(body: &Body, caps: (u64, u64)) -> ApiResult<(Option<u64>, Option<u64>)> {
    Ok((
        body.int_opt("concurrent_max", 1, caps.0)?,
        body.int_opt("rps_max", 1, caps.1)?,
    ))
}

fn found<'a>(st: &'a State, id: &str) -> ApiResult<&'a SubUser> {
    st.subuser(id)
        .ok_or_else(|| ApiError::not_found("sub-user", id))
}

fn found_mut<'a>(st: &'a mut State, id: &str) -> ApiResult<&'a mut SubUser> {
    st.subusers
        .get_mut(id)
        .filter(|s| s.deleted_at.is_none())
        .ok_or_else(|| ApiError::not_found("sub-user", id))
}

/// `GET /subusers?product=&status=&label_contains=&cursor=&limit=`. `label_contains` matches
/// case-insensitively (undocumented).
pub fn list(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let product = req.query.one_of("product", PRODUCTS)?;
    let status = req.query.one_of("status", STATUSES)?;
    let needle = req.query.get("label_contains").map(str::to_lowercase);
    let page = Page::from_req(req)?;
    let items = st.subusers.values().filter(|s| {
        s.deleted_at.is_none()
            && product.as_ref().is_none_or(|p| s.products.contains(p))
            && status.as_ref().is_none_or(|x| &s.status == x)
            && needle
                .as_ref()
                .is_none_or(|n| s.label.to_lowercase().contains(n.as_str()))
    });
    let (items, next) = page.slice(items, |s| s.id.clone(), false);
    list_reply(req, items.into_iter().map(to_json).collect(), next)
}

/// `GET /subusers/{id}`.
pub fn get(st: &mut State, req: &Req) -> ApiResult<Reply> {
    Reply::ok(to_json(found(st, req.param(0))?))
}

/// `POST /subusers`: `{label, products, concurrent_max?, rps_max?}`; 201 with
/// `{id, name, password, label, products}`, the only time the password is shown (SUB). `label`
/// and `products` are required; omitted limits default to the plan caps.
pub fn create(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let body = Body::parse(&req.body)?;
    if body.has("name") {
        return Err(ApiError::invalid(
            "name",
            "name is issued by the server; choose a label instead",
        ));
    }
    let label = body.str_required("label")?.to_string();
    check_label("label", &label)?;
    let products = body
        .enum_list("products", PRODUCTS)?
        .ok_or_else(|| ApiError::invalid("products", "products is required"))?;
    let caps = caps_for(&st.account.plan, &products);
    let (concurrent, rps) = limits(&body, caps)?;
    let id = st.rng.id("sub", req.ctx.now_ms);
    let mut name = st.rng.subuser_name();
    while !st.subuser_names.insert(name.clone()) {
        name = st.rng.subuser_name();
    }
    let password = st.rng.password();
    let now = req.ctx.now;
    st.subusers.insert(
        id.clone(),
        SubUser {
            id: id.clone(),
            name: name.clone(),
            label: label.clone(),
            products: products.clone(),
            status: "active".into(),
            concurrent_max: concurrent.unwrap_or(caps.0),
            rps_max: rps.unwrap_or(caps.1),
            created_at: now,
            password_hash: digest(&password),
            previous_password: None,
            deleted_at: None,
            active_intervals: vec![(now, None)],
        },
    );
    Reply::created(json!({
        "id": id,
        "name": name,
        "password": password,
        "label": label,
        "products": products,
    }))
}

/// `PATCH /subusers/{id}`: `label`, `status`, `concurrent_max`, `rps_max`. `name` is
/// server-issued and changing `products` is not documented (§11), so both are refused with
/// their field.
pub fn update(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let body = Body::parse(&req.body)?;
    let plan = st.account.plan.clone();
    let now = req.ctx.now;
    for fixed in ["name", "products", "id", "created_at"] {
        if body.has(fixed) {
            return Err(ApiError::invalid(
                fixed,
                format!("{fixed} cannot be changed"),
            ));
        }
    }
    let label = body.str_opt("label")?.map(str::to_string);
    if let Some(l) = &label {
        check_label("label", l)?;
    }
    let status = body.one_of("status", STATUSES)?;
    let sub = found_mut(st, req.param(0))?;
    let (concurrent, rps) = limits(&body, caps_for(&plan, &sub.products))?;
    if let Some(l) = label {
        sub.label = l;
    }
    if let Some(c) = concurrent {
        sub.concurrent_max = c;
    }
    if let Some(r) = rps {
        sub.rps_max = r;
    }
    if let Some(s) = status
        && s != sub.status
    {
        if s == "disabled" {
            close_interval(sub, now);
        } else {
            sub.active_intervals.push((now, None));
        }
        sub.status = s;
    }
    Reply::ok(to_json(sub))
}

fn close_interval(sub: &mut SubUser, now: i64) {
    for (_, end) in sub.active_intervals.iter_mut() {
        if end.is_none() {
            *end = Some(now);
        }
    }
}

/// `POST /subusers/{id}/rotate-password`: the new password, shown once; the old one keeps
/// working for 60 s (D-SUB, T-407). Body `{id, name, password}` is a choice (§5.2 [I]).
pub fn rotate_password(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let password = st.rng.password();
    let now = req.ctx.now;
    let sub = found_mut(st, req.param(0))?;
    sub.previous_password = Some((sub.password_hash, now + 60));
    sub.password_hash = digest(&password);
    Reply::ok(json!({ "id": sub.id, "name": sub.name, "password": password }))
}

/// `DELETE /subusers/{id}`: 204. Refused with `409 failed_precondition` while an ISP batch is
/// bound to it (D-SUB; code inferred). Its whitelist entries and sessions go with it; its traffic
/// history stays.
pub fn remove(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let id = found(st, req.param(0))?.id.clone();
    let now = req.ctx.now;
    if let Some(batch) = st
        .batches
        .values()
        .find(|b| b.subuser.as_deref() == Some(id.as_str()) && b.status(now) != "expired")
    {
        return Err(ApiError::precondition(format!(
            "ISP batch {} is bound to this sub-user; unbind it first",
            batch.id
        )));
    }
    if let Some(sub) = st.subusers.get_mut(&id) {
        close_interval(sub, now);
        sub.deleted_at = Some(now);
    }
    st.whitelists
        .retain(|_, w| w.subuser.as_deref() != Some(id.as_str()));
    st.sessions.retain(|_, s| s.subuser != id);
    Reply::no_content()
}
