//! Orders: `POST /orders` for bandwidth and ISP, and the inferred `GET /orders[/{id}]`
//! (§5.3, ORD, D-ORD).

use serde::Serialize;
use serde_json::{Value, json};

use super::clock::{self, DAY};
use super::errors::{ApiError, ApiResult};
use super::input::Body;
use super::isp::{self, Batch};
use super::pagination::{Page, list_reply};
use super::reply::{Reply, Req, to_json};
use super::state::State;
use super::users::cents;

/// Pay-as-you-go list prices per GB (B-PLN; ORD's example uses 4.50).
pub fn price_per_gb(product: &str) -> f64 {
    if product == "mobile" { 8.00 } else { 4.50 }
}

/// A billing month, for `months` and `expires_at` (calendar months are not documented).
pub const MONTH: i64 = 30 * DAY;

/// Annual billing is 10% off for ISP (D-ORD, B-PLN); 12 months counts as annual.
pub fn isp_total(price: f64, quantity: u64, months: u64) -> f64 {
    let gross = price * quantity as f64 * months as f64;
    cents(if months >= 12 { gross * 0.9 } else { gross })
}

/// An order as documented; `details` differs by product.
#[derive(Clone, Debug, Serialize)]
pub struct Order {
    pub id: String,
    pub product: String,
    /// `completed` or `provisioning` (ORD); no failure state is documented.
    pub status: String,
    pub total_usd: f64,
    pub details: Value,
    #[serde(serialize_with = "clock::ser")]
    pub created_at: i64,
    /// When a `provisioning` order completes (ms).
    #[serde(skip)]
    pub ready_at_ms: Option<u64>,
}

/// `GET /orders?product=&status=` (inferred endpoint, §5.3).
pub fn list(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let product = req
        .query
        .one_of("product", &["residential", "mobile", "isp"])?;
    let status = req.query.one_of("status", &["completed", "provisioning"])?;
    let page = Page::from_req(req)?;
    let items = st.orders.values().filter(|o| {
        product.as_ref().is_none_or(|p| &o.product == p)
            && status.as_ref().is_none_or(|s| &o.status == s)
    });
    let (items, next) = page.slice(items, |o| o.id.clone(), false);
    list_reply(req, items.into_iter().map(to_json).collect(), next)
}

/// `GET /orders/{id}` (inferred endpoint, §5.3).
pub fn get(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let id = req.param(0);
    let order = st
        .orders
        .get(id)
        .ok_or_else(|| ApiError::not_found("order", id))?;
    Reply::ok(to_json(order))
}

/// `POST /orders`: 201 with the order. Mobile and ISP need an approved KYC (B-KYC); the price is
/// taken from the balance or the order fails with `402 insufficient_balance` (D-ATU).
pub fn create(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let body = Body::parse(&req.body)?;
    let product = body.one_of_required("product", &["residential", "mobile", "isp"])?;
    if product != "residential" && st.cfg.kyc_status != super::KycStatus::Approved {
        return Err(ApiError::kyc_required(&product));
    }
    let order = if product == "isp" {
        isp_order(st, req, &body)?
    } else {
        bandwidth_order(st, req, &body, &product)?
    };
    let view = to_json(&order);
    st.orders.insert(order.id.clone(), order);
    Reply::created(view)
}

/// `{product, gb}`: completed at once, GB credited to the product's pool (ORD). `gb` is an
/// integer from 1 to 100,000 (bounds undocumented).
fn bandwidth_order(st: &mut State, req: &Req, body: &Body, product: &str) -> ApiResult<Order> {
    let gb = body.int_required("gb", 1, 100_000)?;
    let price = price_per_gb(product);
    let total = cents(price * gb as f64);
    st.account.charge(total)?;
    *st.account.pool_gb.entry(product.to_string()).or_insert(0) += gb;
    Ok(Order {
        id: st.rng.id("ord", req.ctx.now_ms),
        product: product.to_string(),
        status: "completed".into(),
        total_usd: total,
        details: json!({ "gb": gb, "price_per_gb": price }),
        created_at: req.ctx.now,
        ready_at_ms: None,
    })
}

/// `{product: "isp", country, city?, asn?, quantity, months, subuser?}`: a batch that is
/// `provisioning` until [`super::HelodataSimOptions::isp_provisioning`] has passed (ORD).
/// Short stock is `409 failed_precondition` on `quantity` (the API's behaviour is unknown; the
/// dashboard's "wait or substitute" choice has no API form, §5.3).
fn isp_order(st: &mut State, req: &Req, body: &Body) -> ApiResult<Order> {
    let country = body.str_required("country")?.to_ascii_lowercase();
    let quantity = body.int_required("quantity", 5, 5_000)?;
    let months = body.int_required("months", 1, 12)?;
    let city = body.str_opt("city")?.map(str::to_ascii_lowercase);
    let asn = body.int_opt("asn", 1, u64::from(u32::MAX))?;
    let subuser = body.str_opt("subuser")?.map(str::to_string);
    let inv = st
        .inventory
        .get(&country)
        .ok_or_else(|| ApiError::invalid("country", format!("no ISP inventory in {country:?}")))?;
    let price = inv.price_usd;
    if let Some(c) = &city {
        if inv.tier != 1 {
            return Err(ApiError::invalid(
                "city",
                "city can be chosen in tier-1 countries only",
            ));
        }
        if !inv.cities.iter().any(|x| &x.city == c) {
            return Err(ApiError::invalid(
                "city",
                format!("no ISP inventory in {c:?}"),
            ));
        }
    }
    if let Some(a) = asn
        && !inv.asns.iter().any(|x| x.asn == a)
    {
        return Err(ApiError::invalid(
            "asn",
            format!("no ISP inventory on AS{a}"),
        ));
    }
    let available = match &city {
        Some(c) => inv
            .cities
            .iter()
            .find(|x| &x.city == c)
            .map_or(0, |x| x.available),
        None => inv.available,
    };
    if quantity > available {
        return Err(
            ApiError::precondition(format!("only {available} IPs are available there"))
                .with_field("quantity"),
        );
    }
    if let Some(s) = &subuser {
        let sub = st
            .subuser(s)
            .ok_or_else(|| ApiError::invalid("subuser", format!("sub-user {s} not found")))?;
        if !sub.products.iter().any(|p| p == "isp") {
            return Err(ApiError::invalid(
                "subuser",
                "the sub-user does not have the isp product",
            ));
        }
    }
    let total = isp_total(price, quantity, months);
    st.account.charge(total)?;
    isp::take_stock(st, &country, city.as_deref(), quantity);
    let now = req.ctx.now;
    let order_id = st.rng.id("ord", req.ctx.now_ms);
    let batch_id = st.rng.id("bat", req.ctx.now_ms);
    let expires_at = now + months as i64 * MONTH;
    st.batches.insert(
        batch_id.clone(),
        Batch {
            id: batch_id.clone(),
            order_id: order_id.clone(),
            subuser,
            country: country.clone(),
            city: city.clone(),
            asn,
            quantity,
            price_usd: price,
            auto_renew: true,
            created_at: now,
            expires_at,
            provisioned: false,
            refreshed_until: None,
            replacements: Vec::new(),
        },
    );
    Ok(Order {
        id: order_id,
        product: "isp".into(),
        status: "provisioning".into(),
        total_usd: total,
        details: json!({
            "batch_id": batch_id,
            "quantity": quantity,
            "country": country,
            "city": city,
            "asn": asn,
            "expires_at": clock::fmt(expires_at),
        }),
        created_at: now,
        ready_at_ms: Some(req.ctx.now_ms.saturating_add(st.cfg.isp_provisioning_ms)),
    })
}
