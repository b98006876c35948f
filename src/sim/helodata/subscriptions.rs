//! Subscriptions: recurring bandwidth plans and ISP batch renewals (§5.5, SBN, B-PLN).
//!
//! Undocumented, chosen here: statuses are `active`, `paused` (renewal stopped, the period runs
//! on) and `canceled` (ends with the period); both set `ends_at` and null `renews_at`. The list
//! shows every status and filters with `status=`. A bandwidth subscription is charged its first
//! period at creation; an ISP one at renewal (not simulated). PATCH changes apply from the next
//! renewal, without proration.

use serde::Serialize;
use serde_json::Value;

use super::clock::{self, DAY};
use super::errors::{ApiError, ApiResult};
use super::input::Body;
use super::pagination::{Page, list_reply};
use super::reply::{Reply, Req, to_json};
use super::state::State;
use super::users::cents;

const PLANS: &[&str] = &["starter", "pro", "business", "enterprise"];
const CYCLES: &[&str] = &["monthly", "annual"];

#[derive(Clone, Debug, Serialize)]
pub struct Subscription {
    pub id: String,
    pub product: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plan: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub batch_id: Option<String>,
    pub cycle: String,
    /// GB per month (bandwidth only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gb_included: Option<u64>,
    /// IPs renewed (ISP only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub quantity: Option<u64>,
    /// Price per cycle.
    pub price_usd: f64,
    pub status: String,
    #[serde(serialize_with = "clock::ser_opt")]
    pub renews_at: Option<i64>,
    #[serde(serialize_with = "clock::ser_opt")]
    pub ends_at: Option<i64>,
    #[serde(serialize_with = "clock::ser")]
    pub created_at: i64,
}

/// Monthly GB and price of a bandwidth plan (B-PLN); `None` for Enterprise ("custom").
pub fn plan_terms(product: &str, plan: &str) -> Option<(u64, f64)> {
    let mobile = product == "mobile";
    match plan {
        "starter" => Some((if mobile { 25 } else { 50 }, 200.0)),
        "pro" => Some((if mobile { 250 } else { 500 }, 1_500.0)),
        "business" => Some((if mobile { 1_000 } else { 2_000 }, 5_000.0)),
        _ => None,
    }
}

/// Price per cycle: annual is 12 months, 10% off for Pro and up and for ISP (B-PLN).
pub fn cycle_price(monthly: f64, cycle: &str, discounted: bool) -> f64 {
    if cycle != "annual" {
        return cents(monthly);
    }
    cents(monthly * 12.0 * if discounted { 0.9 } else { 1.0 })
}

pub fn cycle_len(cycle: &str) -> i64 {
    if cycle == "annual" {
        365 * DAY
    } else {
        30 * DAY
    }
}

fn found<'a>(st: &'a mut State, id: &str) -> ApiResult<&'a mut Subscription> {
    st.subscriptions
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("subscription", id))
}

/// `GET /subscriptions?product=&status=`.
pub fn list(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let product = req
        .query
        .one_of("product", &["residential", "mobile", "isp"])?;
    let status = req
        .query
        .one_of("status", &["active", "paused", "canceled"])?;
    let page = Page::from_req(req)?;
    let items = st.subscriptions.values().filter(|s| {
        product.as_ref().is_none_or(|p| &s.product == p)
            && status.as_ref().is_none_or(|x| &s.status == x)
    });
    let (items, next) = page.slice(items, |s| s.id.clone(), false);
    list_reply(req, items.into_iter().map(to_json).collect(), next)
}

/// `GET /subscriptions/{id}`.
pub fn get(st: &mut State, req: &Req) -> ApiResult<Reply> {
    Reply::ok(to_json(found(st, req.param(0))?))
}

/// `POST /subscriptions`: `{product, plan, cycle}` for bandwidth (SBN zh), or
/// `{product: "isp", batch_id, cycle}` (§5.5 [I]). 201 with the subscription.
pub fn create(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let body = Body::parse(&req.body)?;
    let product = body.one_of_required("product", &["residential", "mobile", "isp"])?;
    let cycle = body.one_of_required("cycle", CYCLES)?;
    if product != "residential" && st.cfg.kyc_status != super::KycStatus::Approved {
        return Err(ApiError::kyc_required(&product));
    }
    let now = req.ctx.now;
    let id = st.rng.id("sbn", req.ctx.now_ms);
    let sub = if product == "isp" {
        let batch_id = body.str_required("batch_id")?.to_string();
        let batch = st.batches.get(&batch_id).ok_or_else(|| {
            ApiError::invalid("batch_id", format!("ISP batch {batch_id} not found"))
        })?;
        if batch.status(now) == "expired" {
            return Err(ApiError::precondition("the batch has expired").with_field("batch_id"));
        }
        if st
            .subscriptions
            .values()
            .any(|s| s.batch_id.as_deref() == Some(batch_id.as_str()) && s.status != "canceled")
        {
            return Err(
                ApiError::already_exists("this batch already has a renewal subscription")
                    .with_field("batch_id"),
            );
        }
        Subscription {
            id,
            product,
            plan: None,
            batch_id: Some(batch_id),
            gb_included: None,
            quantity: Some(batch.quantity),
            price_usd: cycle_price(batch.price_usd * batch.quantity as f64, &cycle, true),
            cycle,
            status: "active".into(),
            renews_at: Some(batch.expires_at),
            ends_at: None,
            created_at: now,
        }
    } else {
        let plan = body.one_of_required("plan", PLANS)?;
        let (gb, monthly) = plan_terms(&product, &plan).ok_or_else(|| {
            ApiError::invalid("plan", "enterprise plans are priced by sales, not the API")
        })?;
        let price = cycle_price(monthly, &cycle, plan != "starter");
        st.account.charge(price)?;
        Subscription {
            id,
            product,
            plan: Some(plan),
            batch_id: None,
            gb_included: Some(gb),
            quantity: None,
            price_usd: price,
            renews_at: Some(now + cycle_len(&cycle)),
            cycle,
            status: "active".into(),
            ends_at: None,
            created_at: now,
        }
    };
    let view = to_json(&sub);
    st.subscriptions.insert(sub.id.clone(), sub);
    Reply::created(view)
}

/// `PATCH /subscriptions/{id}`: `plan` (bandwidth), `quantity` (ISP), `cycle` (SBN).
pub fn update(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let body = Body::parse(&req.body)?;
    let plan = body.one_of("plan", PLANS)?;
    let cycle = body.one_of("cycle", CYCLES)?;
    let quantity = body.int_opt("quantity", 5, 5_000)?;
    let batch_price = {
        let s = found(st, req.param(0))?;
        s.batch_id.clone()
    }
    .and_then(|b| st.batches.get(&b).map(|b| b.price_usd));
    let s = found(st, req.param(0))?;
    if s.status == "canceled" {
        return Err(ApiError::precondition(
            "a canceled subscription cannot change",
        ));
    }
    let cycle = cycle.unwrap_or_else(|| s.cycle.clone());
    if s.product == "isp" {
        if plan.is_some() {
            return Err(ApiError::invalid("plan", "ISP subscriptions have no plan"));
        }
        let q = quantity.or(s.quantity).unwrap_or(0);
        s.quantity = Some(q);
        s.price_usd = cycle_price(batch_price.unwrap_or(0.0) * q as f64, &cycle, true);
    } else {
        if quantity.is_some() {
            return Err(ApiError::invalid(
                "quantity",
                "bandwidth subscriptions have no quantity",
            ));
        }
        let plan = plan.or_else(|| s.plan.clone()).unwrap_or_default();
        let (gb, monthly) = plan_terms(&s.product, &plan).ok_or_else(|| {
            ApiError::invalid("plan", "enterprise plans are priced by sales, not the API")
        })?;
        s.gb_included = Some(gb);
        s.price_usd = cycle_price(monthly, &cycle, plan != "starter");
        s.plan = Some(plan);
    }
    s.cycle = cycle;
    Reply::ok(to_json(s))
}

fn stop(st: &mut State, req: &Req, to: &str) -> ApiResult<Value> {
    let s = found(st, req.param(0))?;
    match (s.status.as_str(), to) {
        ("active", _) | ("paused", "canceled") => {}
        (from, _) => {
            return Err(ApiError::precondition(format!(
                "a {from} subscription cannot be {to}"
            )));
        }
    }
    if s.renews_at.is_some() {
        s.ends_at = s.renews_at;
    }
    s.renews_at = None;
    s.status = to.to_string();
    Ok(to_json(s))
}

/// `POST /subscriptions/{id}/pause`: renewal stops, the current period continues (SBN).
pub fn pause(st: &mut State, req: &Req) -> ApiResult<Reply> {
    Reply::ok(stop(st, req, "paused")?)
}

/// `POST /subscriptions/{id}/cancel`: effective at the end of the period (SBN).
pub fn cancel(st: &mut State, req: &Req) -> ApiResult<Reply> {
    Reply::ok(stop(st, req, "canceled")?)
}
