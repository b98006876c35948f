//! The newer endpoints (code 0): `order/*`, `user/info`, `payment/groups`,
//! `activity/balance-recharge-gift-ratio`. Their times are ISO `…Z`, as their examples show.

use serde::Serialize;

use super::clock;
use super::endpoint::Ctx;
use super::envelope::{Failure, Outcome, Payload};
use super::request::Req;
use super::seed;
use super::state::{self, COUPONS, GIFT_RATIOS, Order, PAYMENT_GROUPS, World};
use super::validate;

fn money(cents: i64) -> f64 {
    cents as f64 / 100.0
}

#[derive(Serialize)]
struct OrderView<'a> {
    id: u64,
    trade_no: &'a str,
    product_id: u64,
    product_name: &'a str,
    total_fee: f64,
    pay_fee: f64,
    status: i64,
    created_at: String,
}

impl<'a> From<&'a Order> for OrderView<'a> {
    fn from(o: &'a Order) -> Self {
        OrderView {
            id: o.id,
            trade_no: &o.trade_no,
            product_id: o.product_id,
            product_name: o.product_name,
            total_fee: money(o.total_fee_cents),
            pay_fee: money(o.pay_fee_cents),
            status: o.status,
            created_at: clock::iso_z(o.created_at),
        }
    }
}

#[derive(Serialize)]
struct Pagination {
    total: u64,
    page_no: u64,
    page_size: u64,
    total_pages: u64,
}

#[derive(Serialize)]
struct OrderPage<'a> {
    list: Vec<OrderView<'a>>,
    pagination: Pagination,
}

/// `GET order/list`: `page_no` (default 1), `page_size` (default 20; both defaults unstated, taken
/// from user-product/list) [INF], `trade_no`, `status` 0–3, `product_type`; newest first [INF].
pub(crate) fn list(world: &mut World, req: &Req, _ctx: &Ctx) -> Outcome {
    let page_no = validate::positive("page_no", req.opt_int("page_no")?, 1)?;
    let page_size = validate::positive("page_size", req.opt_int("page_size")?, 20)?;
    let trade_no = req.opt_str("trade_no")?;
    let status = validate::opt_one_of("status", req.opt_int("status")?, validate::ORDER_STATUSES)?;
    let product_type = validate::opt_one_of(
        "product_type",
        req.opt_int("product_type")?,
        validate::ORDER_PRODUCT_TYPES,
    )?;
    let mut orders: Vec<&Order> = world
        .orders
        .iter()
        .filter(|o| {
            trade_no.as_ref().is_none_or(|t| o.trade_no == *t)
                && status.is_none_or(|s| o.status == s)
                && product_type.is_none_or(|t| o.product_type == t)
        })
        .collect();
    orders.sort_by_key(|x| std::cmp::Reverse(x.id));
    let (slice, total, total_pages) = validate::page_of(&orders, page_no, page_size);
    Ok(Payload::data(&OrderPage {
        list: slice.iter().map(|o| OrderView::from(*o)).collect(),
        pagination: Pagination {
            total,
            page_no,
            page_size,
            total_pages,
        },
    }))
}

/// `POST order/create`: a pending (status 0) order for `pid` paid with `pm_id`.
///
/// The document leaves the rules to "the actual situation"; the simulator's: `pid` from its
/// catalogue; a top-up (type 3) needs `recharge_amount`; a static IP renewal (type 19) needs
/// `upids` naming purchased static IPs and multiplies by `renew_duration` (default 1); other
/// products take `amount` units (default 1). `coupon_sn` must be a known coupon. The fee must lie
/// within the payment method's `min`/`max`. No payment happens: the order stays pending [INF].
pub(crate) fn create(world: &mut World, req: &Req, ctx: &Ctx) -> Outcome {
    let pid = req.req_int("pid")?;
    let product =
        state::product(pid).ok_or_else(|| Failure::param("pid", "The selected pid is invalid."))?;
    let pm_id = req.req_int("pm_id")?;
    let method = state::pay_method(pm_id)
        .filter(|m| !m.disabled)
        .ok_or_else(|| Failure::param("pm_id", "The selected pm_id is invalid."))?;
    let fee_cents = match product.product_type {
        3 => {
            let amount = req.req_int("recharge_amount")?;
            if amount < 1 {
                return Err(Failure::param(
                    "recharge_amount",
                    "The recharge_amount must be at least 1.",
                ));
            }
            amount.saturating_mul(100)
        }
        19 => {
            let upids = req.req_str("upids")?;
            let mut count = 0i64;
            for id in upids.split(',') {
                let known = id
                    .parse::<u64>()
                    .is_ok_and(|id| world.static_ips.iter().any(|s| s.id == id));
                if !known {
                    return Err(Failure::param(
                        "upids",
                        format!("{id:?} is not a purchased static IP."),
                    ));
                }
                count += 1;
            }
            let months = validate::positive("renew_duration", req.opt_int("renew_duration")?, 1)?;
            product
                .price_cents
                .saturating_mul(count)
                .saturating_mul(i64::try_from(months).unwrap_or(i64::MAX))
        }
        _ => {
            let amount = validate::positive("amount", req.opt_int("amount")?, 1)?;
            product
                .price_cents
                .saturating_mul(i64::try_from(amount).unwrap_or(i64::MAX))
        }
    };
    let percent_off = match req.opt_str("coupon_sn")? {
        None => 0,
        Some(sn) => COUPONS
            .iter()
            .find(|(code, _)| *code == sn)
            .map(|(_, off)| *off)
            .ok_or_else(|| Failure::param("coupon_sn", "The coupon is invalid or expired."))?,
    };
    // Accepted for shape; the simulator grants no invitation discount.
    req.opt_bool("use_invitation_registration_discount")?;
    let pay_cents = fee_cents - fee_cents.saturating_mul(percent_off) / 100;
    if pay_cents < method.min_cents || pay_cents > method.max_cents {
        return Err(Failure::param(
            "pm_id",
            format!(
                "The amount must be between {} and {} for this payment method.",
                money(method.min_cents),
                money(method.max_cents)
            ),
        ));
    }
    let trade_no = seed::trade_no(&mut world.rng, ctx.now);
    let order = Order {
        id: world.next_order_id,
        trade_no,
        product_id: product.pid,
        product_name: product.name,
        product_type: product.product_type,
        total_fee_cents: fee_cents,
        pay_fee_cents: pay_cents,
        status: 0,
        created_at: ctx.now,
        pay_at: None,
    };
    world.next_order_id += 1;
    let payload = Payload::data(&OrderView::from(&order));
    world.orders.push(order);
    Ok(payload)
}

/// `POST order/close`: cancels a pending order (status 0 → 2; the status table has no separate
/// "closed by the user" value) [INF]. Paid, refunded or cancelled orders cannot be closed.
pub(crate) fn close(world: &mut World, req: &Req, _ctx: &Ctx) -> Outcome {
    let trade_no = req.req_str("trade_no")?;
    let order = world
        .orders
        .iter_mut()
        .find(|o| o.trade_no == trade_no)
        .ok_or_else(|| Failure::param("trade_no", "The order does not exist."))?;
    if order.status != 0 {
        return Err(Failure::param(
            "trade_no",
            "Only an order pending payment can be closed.",
        ));
    }
    order.status = 2;
    Ok(Payload::Null)
}

#[derive(Serialize)]
struct UserView<'a> {
    id: u64,
    email: &'a str,
    phone: &'a str,
    balance: f64,
    status: i64,
    is_real_name: bool,
    created_at: String,
}

/// `GET user/info`. The document titles it "Not yet open" but documents its answer; the simulator
/// serves that answer.
pub(crate) fn user_info(world: &mut World, _req: &Req, _ctx: &Ctx) -> Outcome {
    let u = &world.user;
    Ok(Payload::data(&UserView {
        id: u.id,
        email: &u.email,
        phone: &u.phone,
        balance: money(u.balance_cents),
        status: u.status,
        is_real_name: u.is_real_name,
        created_at: clock::iso_z(u.created_at),
    }))
}

#[derive(Serialize)]
struct MethodView {
    id: i64,
    title: &'static str,
    logo: &'static str,
    group: &'static str,
    disabled: bool,
    min: f64,
    max: f64,
}

#[derive(Serialize)]
struct GroupView {
    name: &'static str,
    logos: Vec<&'static str>,
    items: Vec<MethodView>,
}

#[derive(Serialize)]
struct List<T> {
    list: Vec<T>,
}

/// `GET payment/groups`: groups under `data.list` as the example shows (its field table puts
/// `name`/`logos`/`items` straight under `data`; the example wins). With `trade_no` of a balance
/// top-up order, the balance method is left out: a balance cannot pay for itself [INF].
pub(crate) fn payment_groups(world: &mut World, req: &Req, _ctx: &Ctx) -> Outcome {
    let top_up = match req.opt_str("trade_no")? {
        None => false,
        Some(t) => {
            world
                .orders
                .iter()
                .find(|o| o.trade_no == t)
                .ok_or_else(|| Failure::param("trade_no", "The order does not exist."))?
                .product_type
                == 3
        }
    };
    let list = PAYMENT_GROUPS
        .iter()
        .filter_map(|g| {
            let items: Vec<MethodView> = g
                .methods
                .iter()
                .filter(|m| !(top_up && m.group == "balance"))
                .map(|m| MethodView {
                    id: m.id,
                    title: m.title,
                    logo: m.logo,
                    group: m.group,
                    disabled: m.disabled,
                    min: money(m.min_cents),
                    max: money(m.max_cents),
                })
                .collect();
            (!items.is_empty()).then(|| GroupView {
                name: g.name,
                logos: items.iter().map(|m| m.logo).collect(),
                items,
            })
        })
        .collect();
    Ok(Payload::data(&List { list }))
}

#[derive(Serialize)]
struct Ratio {
    amount: i64,
    ratio: f64,
}

/// `GET activity/balance-recharge-gift-ratio`: code 0 with `msg`, as its example shows.
pub(crate) fn gift_ratio(_world: &mut World, _req: &Req, _ctx: &Ctx) -> Outcome {
    let list: Vec<Ratio> = GIFT_RATIOS
        .iter()
        .map(|&(amount, ratio)| Ratio { amount, ratio })
        .collect();
    Ok(Payload::data(&List { list }))
}
