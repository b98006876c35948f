//! `user-product/*`: purchased packages and their traffic summary.

use serde::Serialize;
use time::Duration;

use super::clock;
use super::endpoint::Ctx;
use super::envelope::{Outcome, Payload};
use super::request::Req;
use super::state::{Package, World};
use super::validate;

#[derive(Serialize)]
struct OrderView<'a> {
    created_at: String,
    pay_at: String,
    title: &'a str,
}

#[derive(Serialize)]
struct PackageView<'a> {
    id: u64,
    created_at: String,
    expired_at: String,
    product_type: i64,
    trade_no: &'a str,
    order: OrderView<'a>,
}

#[derive(Serialize)]
struct Page<T> {
    list: Vec<T>,
    page: u64,
    page_size: u64,
    total_count: u64,
    total_page: u64,
}

/// `GET user-product/list`: `page` (default 1), `size` (default 20), exact `trade_no`,
/// `product_type` (9, 11, 14, 25); newest first [INF: order undocumented].
pub(crate) fn list(world: &mut World, req: &Req, _ctx: &Ctx) -> Outcome {
    let page = validate::positive("page", req.opt_int("page")?, 1)?;
    let size = validate::positive("size", req.opt_int("size")?, 20)?;
    let trade_no = req.opt_str("trade_no")?;
    let product_type = validate::opt_one_of(
        "product_type",
        req.opt_int("product_type")?,
        validate::ACCOUNT_PRODUCT_TYPES,
    )?;
    let mut packages: Vec<&Package> = world
        .packages
        .iter()
        .filter(|p| trade_no.as_ref().is_none_or(|t| p.trade_no == *t))
        .filter(|p| product_type.is_none_or(|t| p.product_type == t))
        .collect();
    packages.sort_by_key(|x| std::cmp::Reverse(x.id));
    let (slice, total_count, total_page) = validate::page_of(&packages, page, size);
    let list = slice
        .iter()
        .map(|p| {
            let order = world.orders.iter().find(|o| o.trade_no == p.trade_no);
            PackageView {
                id: p.id,
                created_at: clock::local(p.created_at),
                expired_at: clock::local(p.expired_at),
                product_type: p.product_type,
                trade_no: &p.trade_no,
                order: OrderView {
                    created_at: order
                        .map(|o| clock::local(o.created_at))
                        .unwrap_or_default(),
                    pay_at: order
                        .and_then(|o| o.pay_at)
                        .map(clock::local)
                        .unwrap_or_default(),
                    title: order.map_or("", |o| o.product_name),
                },
            }
        })
        .collect();
    Ok(Payload::data(&Page {
        list,
        page,
        page_size: size,
        total_count,
        total_page,
    }))
}

#[derive(Serialize, Default)]
struct Summary {
    total: u64,
    total_count: u64,
    effective: u64,
    effective_count: u64,
    effective_total: u64,
    effective_used: u64,
    temporary: u64,
    temporary_count: u64,
    expired: u64,
    expired_count: u64,
    used: u64,
}

/// `GET user-product/summary`: KB totals of the packages of `product_type` (9 or 12; absent
/// means 9 [INF]). The simulator sells no type-12 packages, so 12 sums to zeros.
///
/// Read off the document's example (total − used = effective + expired): `effective*` cover
/// unexpired packages, `temporary` the unexpired ones ending within 7 days, `expired` what was
/// left in expired ones.
pub(crate) fn summary(world: &mut World, req: &Req, ctx: &Ctx) -> Outcome {
    let product_type = validate::one_of(
        "product_type",
        req.opt_int("product_type")?.unwrap_or(9),
        validate::SUMMARY_PRODUCT_TYPES,
    )?;
    let mut s = Summary::default();
    for p in world
        .packages
        .iter()
        .filter(|p| p.product_type == product_type)
    {
        let left = p.total_kb.saturating_sub(p.used_kb);
        s.total += p.total_kb;
        s.total_count += 1;
        s.used += p.used_kb;
        if p.expired_at <= ctx.now {
            s.expired += left;
            s.expired_count += 1;
        } else {
            s.effective += left;
            s.effective_count += 1;
            s.effective_total += p.total_kb;
            s.effective_used += p.used_kb;
            if p.expired_at - ctx.now <= Duration::days(7) {
                s.temporary += left;
                s.temporary_count += 1;
            }
        }
    }
    Ok(Payload::data(&s))
}
