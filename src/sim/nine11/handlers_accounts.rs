//! `whitelist-account/*`: proxy accounts (list, add, delete, disable, enable, change-password,
//! change-remark, change-limit).
//!
//! Usernames are unique per product type but may repeat across product types: the document warns
//! that "if you add sub-accounts with the same name" usage by `username` sums them all. The
//! by-name operations carry no product type, so they act on every account with that name.
//! Batches are all-or-nothing: one bad or unknown entry fails the call and changes nothing.
//! Changes apply at once; the documented "about 5 minutes" to take effect is not simulated.

use std::collections::BTreeMap;

use serde::Serialize;

use super::clock;
use super::endpoint::Ctx;
use super::envelope::{Failure, Outcome, Payload};
use super::request::Req;
use super::state::{Account, World};
use super::validate;

#[derive(Serialize)]
struct AccountView<'a> {
    id: u64,
    username: &'a str,
    password: &'a str,
    created_at: String,
    remark: &'a str,
    product_type: i64,
    /// KB.
    usage_flow: u64,
    /// GB, 0 unlimited.
    limit_flow: i64,
    status: i64,
}

#[derive(Serialize)]
struct List<T> {
    list: Vec<T>,
}

/// `GET whitelist-account/list`: every account, newest first [INF: order undocumented].
pub(crate) fn list(world: &mut World, _req: &Req, _ctx: &Ctx) -> Outcome {
    let mut accounts: Vec<&Account> = world.accounts.iter().collect();
    accounts.sort_by_key(|x| std::cmp::Reverse(x.id));
    let list = accounts
        .into_iter()
        .map(|a| AccountView {
            id: a.id,
            username: &a.username,
            password: &a.password,
            created_at: clock::local(a.created_at),
            remark: &a.remark,
            product_type: a.product_type,
            usage_flow: a.usage_total_kb(),
            limit_flow: a.limit_gb,
            status: i64::from(a.enabled),
        })
        .collect();
    Ok(Payload::data(&List { list }))
}

/// `POST whitelist-account/add`: `accounts` = `user:pass,user2:pass2`, `remark`, `product_type`
/// (absent means 9, the document's example value) [INF].
pub(crate) fn add(world: &mut World, req: &Req, ctx: &Ctx) -> Outcome {
    let pairs = validate::account_pairs("accounts", &req.req_str("accounts")?)?;
    let remark = req.opt_str("remark")?.unwrap_or_default();
    validate::remark("remark", &remark)?;
    let product_type = validate::one_of(
        "product_type",
        req.opt_int("product_type")?.unwrap_or(9),
        validate::ACCOUNT_PRODUCT_TYPES,
    )?;
    for (i, (name, _)) in pairs.iter().enumerate() {
        let repeated = pairs[..i].iter().any(|(n, _)| n == name);
        let taken = world.account_names.contains_key(name)
            && world
                .accounts
                .iter()
                .any(|a| a.username == *name && a.product_type == product_type);
        if repeated || taken {
            return Err(Failure::param(
                "accounts",
                format!("The account name {name:?} already exists."),
            ));
        }
    }
    for (username, password) in pairs {
        *world.account_names.entry(username.clone()).or_insert(0) += 1;
        let id = world.next_account_id;
        world.next_account_id += 1;
        world.accounts.push(Account {
            id,
            username,
            password,
            created_at: ctx.now,
            remark: remark.clone(),
            product_type,
            limit_gb: 0,
            enabled: true,
            usage: BTreeMap::new(),
        });
    }
    Ok(Payload::Null)
}

/// The names of `accounts` (`user1,user2`), each of which must exist.
fn existing_names(world: &World, req: &Req) -> Result<Vec<String>, Failure> {
    let names = validate::account_names("accounts", &req.req_str("accounts")?)?;
    match names
        .iter()
        .find(|n| !world.account_names.contains_key(n.as_str()))
    {
        Some(missing) => Err(Failure::param(
            "accounts",
            format!("The account {missing:?} does not exist."),
        )),
        None => Ok(names),
    }
}

/// `POST whitelist-account/delete`: irreversible; the accounts' usage history goes with them.
pub(crate) fn delete(world: &mut World, req: &Req, _ctx: &Ctx) -> Outcome {
    let names = existing_names(world, req)?;
    world.accounts.retain(|a| !names.contains(&a.username));
    for name in &names {
        world.account_names.remove(name);
    }
    Ok(Payload::Null)
}

/// `POST whitelist-account/disable`.
pub(crate) fn disable(world: &mut World, req: &Req, _ctx: &Ctx) -> Outcome {
    set_enabled(world, req, false)
}

/// `POST whitelist-account/enable`.
pub(crate) fn enable(world: &mut World, req: &Req, _ctx: &Ctx) -> Outcome {
    set_enabled(world, req, true)
}

fn set_enabled(world: &mut World, req: &Req, enabled: bool) -> Outcome {
    let names = existing_names(world, req)?;
    for a in world
        .accounts
        .iter_mut()
        .filter(|a| names.contains(&a.username))
    {
        a.enabled = enabled;
    }
    Ok(Payload::Null)
}

/// The accounts named by `account`, which must exist.
fn named<'w>(world: &'w mut World, req: &Req) -> Result<Vec<&'w mut Account>, Failure> {
    let name = req.req_str("account")?;
    validate::username("account", &name)?;
    let found: Vec<&mut Account> = world
        .accounts
        .iter_mut()
        .filter(|a| a.username == name)
        .collect();
    if found.is_empty() {
        return Err(Failure::param(
            "account",
            format!("The account {name:?} does not exist."),
        ));
    }
    Ok(found)
}

/// `POST whitelist-account/change-password`.
pub(crate) fn change_password(world: &mut World, req: &Req, _ctx: &Ctx) -> Outcome {
    let password = req.req_str("password")?;
    validate::password("password", &password)?;
    for a in named(world, req)? {
        a.password = password.clone();
    }
    Ok(Payload::Null)
}

/// `POST whitelist-account/change-remark`: an absent or empty `remark` clears it (the document's
/// example sends `"remark": ""`).
pub(crate) fn change_remark(world: &mut World, req: &Req, _ctx: &Ctx) -> Outcome {
    let remark = req.opt_str("remark")?.unwrap_or_default();
    validate::remark("remark", &remark)?;
    for a in named(world, req)? {
        a.remark = remark.clone();
    }
    Ok(Payload::Null)
}

/// `POST whitelist-account/change-limit`: `limit` in GB, 0 unlimited, at most 102400.
pub(crate) fn change_limit(world: &mut World, req: &Req, _ctx: &Ctx) -> Outcome {
    let limit = validate::limit_gb("limit", req.req_int("limit")?)?;
    for a in named(world, req)? {
        a.limit_gb = limit;
    }
    Ok(Payload::Null)
}
