//! `user-usage-flow/total`: daily traffic in KB, summed over the selected accounts.

use std::collections::BTreeMap;

use serde::Serialize;
use time::Duration;

use super::clock;
use super::endpoint::Ctx;
use super::envelope::{Failure, Outcome, Payload};
use super::request::Req;
use super::state::World;
use super::validate;

#[derive(Serialize)]
struct Day {
    day: String,
    /// KB.
    flow: u64,
}

#[derive(Serialize)]
struct List {
    list: Vec<Day>,
}

/// `GET user-usage-flow/total`: `start_time` defaults to 7 days before now, `end_time` to now.
///
/// Usage is kept per day, so a day counts whole when the window touches it [INF]. Days without
/// traffic are left out, as a grouped log query would (the document is silent) [INF]. Days come
/// oldest first. `username` sums every account of that name ("same name" note in the document).
pub(crate) fn total(world: &mut World, req: &Req, ctx: &Ctx) -> Outcome {
    let start = match req.opt_str("start_time")? {
        Some(s) => validate::local_time("start_time", &s)?,
        None => ctx.now - Duration::days(7),
    };
    let end = match req.opt_str("end_time")? {
        Some(s) => validate::local_time("end_time", &s)?,
        None => ctx.now,
    };
    if start > end {
        return Err(Failure::param(
            "start_time",
            "The start_time must be a date before or equal to end_time.",
        ));
    }
    let username = req.opt_str("username")?;
    let product_type = validate::opt_one_of(
        "product_type",
        req.opt_int("product_type")?,
        validate::ACCOUNT_PRODUCT_TYPES,
    )?;
    let (first, last) = (clock::local_date(start), clock::local_date(end));
    let mut days: BTreeMap<time::Date, u64> = BTreeMap::new();
    for account in world.accounts.iter().filter(|a| {
        username.as_ref().is_none_or(|u| a.username == *u)
            && product_type.is_none_or(|t| a.product_type == t)
    }) {
        for (day, kb) in account.usage.range(first..=last) {
            *days.entry(*day).or_default() += kb;
        }
    }
    let list = days
        .into_iter()
        .map(|(day, flow)| Day {
            day: clock::day(day),
            flow,
        })
        .collect();
    Ok(Payload::data(&List { list }))
}
