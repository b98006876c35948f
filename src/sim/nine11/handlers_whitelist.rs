//! `proxy-ip/*` and `white-ip/quota`: the source-IP whitelist. Not in the document's endpoint
//! list; paths and parameters from the notes [SIB], shapes from the document's `WhiteIp` schema.
//! Envelope as the older endpoints (code 200, `msg`) [INF].

use std::net::IpAddr;

use serde::Serialize;

use super::clock;
use super::endpoint::Ctx;
use super::envelope::{Failure, Outcome, Payload};
use super::request::Req;
use super::state::{WHITE_IP_QUOTA, WhiteIp, World};
use super::validate;

/// The `WhiteIp` schema: `id, ip, remark, created_at`, the time ISO `…Z` as the schema shows.
#[derive(Serialize)]
struct WhiteIpView<'a> {
    id: u64,
    ip: String,
    remark: &'a str,
    created_at: String,
}

#[derive(Serialize)]
struct List<T> {
    list: Vec<T>,
}

fn product_type(req: &Req) -> Result<Option<i64>, Failure> {
    validate::opt_one_of(
        "product_type",
        req.opt_int("product_type")?,
        validate::ACCOUNT_PRODUCT_TYPES,
    )
}

/// `GET proxy-ip/list?product_type=`: `data.list` of WhiteIp, oldest first [INF]; all product
/// types when `product_type` is absent.
pub(crate) fn list(world: &mut World, req: &Req, _ctx: &Ctx) -> Outcome {
    let product_type = product_type(req)?;
    let list = world
        .white_ips
        .iter()
        .filter(|w| product_type.is_none_or(|t| w.product_type == t))
        .map(|w| WhiteIpView {
            id: w.id,
            ip: w.ip.to_string(),
            remark: &w.remark,
            created_at: clock::iso_z(w.created_at),
        })
        .collect();
    Ok(Payload::data(&List { list }))
}

/// `POST proxy-ip/add`: `ips` (comma-separated IPv4/IPv6), `product_type` (absent means 9, as
/// for accounts) [INF], `remark`, and `user_product_id` (a type-11 package) when `product_type`
/// is 11. IPs already whitelisted for that product type are skipped, not duplicated [INF]; going
/// past the quota fails the whole call.
pub(crate) fn add(world: &mut World, req: &Req, ctx: &Ctx) -> Outcome {
    let ips = validate::ip_list("ips", &req.req_str("ips")?)?;
    let product_type = product_type(req)?.unwrap_or(9);
    let remark = req.opt_str("remark")?.unwrap_or_default();
    validate::remark("remark", &remark)?;
    if product_type == 11 {
        let id = req.req_int("user_product_id")?;
        let known = world
            .packages
            .iter()
            .any(|p| p.product_type == 11 && i64::try_from(p.id) == Ok(id));
        if !known {
            return Err(Failure::param(
                "user_product_id",
                "The selected user_product_id is invalid.",
            ));
        }
    }
    let mut new: Vec<IpAddr> = Vec::new();
    for ip in ips {
        let present = world
            .white_ips
            .iter()
            .any(|w| w.ip == ip && w.product_type == product_type);
        if !present && !new.contains(&ip) {
            new.push(ip);
        }
    }
    let used = world
        .white_ips
        .iter()
        .filter(|w| w.product_type == product_type)
        .count();
    if used + new.len() > WHITE_IP_QUOTA {
        return Err(Failure::param(
            "ips",
            format!("The whitelist allows at most {WHITE_IP_QUOTA} IPs."),
        ));
    }
    for ip in new {
        let id = world.next_white_ip_id;
        world.next_white_ip_id += 1;
        world.white_ips.push(WhiteIp {
            id,
            ip,
            remark: remark.clone(),
            product_type,
            created_at: ctx.now,
        });
    }
    Ok(Payload::Null)
}

/// `POST proxy-ip/delete`: `ips`, each of which must be whitelisted; `product_type`, when given,
/// narrows the deletion to that product. The simulated account has no 2FA, so `verify_type` /
/// `verify_code` are not asked for.
pub(crate) fn delete(world: &mut World, req: &Req, _ctx: &Ctx) -> Outcome {
    let ips = validate::ip_list("ips", &req.req_str("ips")?)?;
    let product_type = product_type(req)?;
    let matches =
        |w: &WhiteIp, ip: &IpAddr| w.ip == *ip && product_type.is_none_or(|t| w.product_type == t);
    if let Some(missing) = ips
        .iter()
        .find(|ip| !world.white_ips.iter().any(|w| matches(w, ip)))
    {
        return Err(Failure::param(
            "ips",
            format!("{missing} is not in the whitelist."),
        ));
    }
    world
        .white_ips
        .retain(|w| !ips.iter().any(|ip| matches(w, ip)));
    Ok(Payload::Null)
}

#[derive(Serialize)]
struct Quota {
    quota: usize,
    used: usize,
}

/// `GET white-ip/quota?product_type=`: `data{quota, used}` for that product type (absent means
/// 9) [INF: the notes give no shape].
pub(crate) fn quota(world: &mut World, req: &Req, _ctx: &Ctx) -> Outcome {
    let product_type = product_type(req)?.unwrap_or(9);
    let used = world
        .white_ips
        .iter()
        .filter(|w| w.product_type == product_type)
        .count();
    Ok(Payload::data(&Quota {
        quota: WHITE_IP_QUOTA,
        used,
    }))
}
