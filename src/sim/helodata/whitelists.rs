//! IP whitelists for proxy auth: per sub-user and product (`/whitelists`) and per ISP batch
//! (`/isp/batches/{id}/whitelist`) (§5.8, WL, D-WL).

use std::net::{Ipv4Addr, Ipv6Addr};

use serde_json::{Value, json};

use super::clock;
use super::errors::{ApiError, ApiResult};
use super::input::{Body, check_label};
use super::pagination::{Page, list_reply};
use super::reply::{Reply, Req};
use super::state::State;

/// Entries per sub-user per product, and per ISP batch (WL). A /24 counts as one.
pub const MAX_ENTRIES: usize = 50;

#[derive(Clone, Debug)]
pub struct WhitelistEntry {
    pub id: String,
    /// Set for sub-user entries.
    pub subuser: Option<String>,
    pub product: Option<String>,
    /// Set for ISP batch entries.
    pub batch_id: Option<String>,
    pub ip: String,
    pub label: Option<String>,
    pub active: bool,
    pub created_at: i64,
}

impl WhitelistEntry {
    fn view(&self) -> Value {
        let mut v = json!({ "id": self.id });
        if let Some(obj) = v.as_object_mut() {
            match &self.batch_id {
                Some(b) => {
                    obj.insert("batch_id".into(), json!(b));
                }
                None => {
                    obj.insert("subuser".into(), json!(self.subuser));
                    obj.insert("product".into(), json!(self.product));
                }
            }
            obj.insert("ip".into(), json!(self.ip));
            obj.insert("label".into(), json!(self.label));
            obj.insert("active".into(), json!(self.active));
            obj.insert("created_at".into(), json!(clock::fmt(self.created_at)));
        }
        v
    }
}

/// An IPv4 address or CIDR of /24 or narrower, or an IPv6 address or CIDR of /64 or narrower
/// (WL), in canonical text form.
pub fn parse_source(raw: &str) -> ApiResult<String> {
    let bad = |m: &str| ApiError::invalid("ip", m.to_string());
    let (addr, prefix) = match raw.trim().split_once('/') {
        Some((a, p)) => (
            a,
            Some(
                p.parse::<u8>()
                    .map_err(|_| bad("the CIDR prefix must be a number"))?,
            ),
        ),
        None => (raw.trim(), None),
    };
    if let Ok(v4) = addr.parse::<Ipv4Addr>() {
        return match prefix {
            None => Ok(v4.to_string()),
            Some(p) if (24..=32).contains(&p) => Ok(format!("{v4}/{p}")),
            Some(_) => Err(bad("IPv4 ranges must be /24 or narrower")),
        };
    }
    if let Ok(v6) = addr.parse::<Ipv6Addr>() {
        return match prefix {
            None => Ok(v6.to_string()),
            Some(p) if (64..=128).contains(&p) => Ok(format!("{v6}/{p}")),
            Some(_) => Err(bad("IPv6 ranges must be /64 or narrower")),
        };
    }
    Err(bad("ip must be an IPv4 or IPv6 address or CIDR range"))
}

/// Validates and stores a new entry within the scope `same_scope` selects.
fn add_entry(
    st: &mut State,
    req: &Req,
    mut entry: WhitelistEntry,
    same_scope: impl Fn(&WhitelistEntry) -> bool,
) -> ApiResult<Reply> {
    let body = Body::parse(&req.body)?;
    entry.ip = parse_source(body.str_required("ip")?)?;
    entry.label = body.str_opt("label")?.map(str::to_string);
    if let Some(l) = &entry.label {
        check_label("label", l)?;
    }
    let scope: Vec<&WhitelistEntry> = st.whitelists.values().filter(|w| same_scope(w)).collect();
    if scope.iter().any(|w| w.ip == entry.ip) {
        return Err(
            ApiError::already_exists(format!("{} is already whitelisted", entry.ip))
                .with_field("ip"),
        );
    }
    if scope.len() >= MAX_ENTRIES {
        return Err(ApiError::precondition(format!(
            "a whitelist holds at most {MAX_ENTRIES} entries"
        ))
        .with_field("ip"));
    }
    entry.id = st.rng.id("wl", req.ctx.now_ms);
    entry.created_at = req.ctx.now;
    let view = entry.view();
    st.whitelists.insert(entry.id.clone(), entry);
    Reply::created(view)
}

/// `GET /whitelists?subuser=&product=`: sub-user entries (`subuser` optional: all of them).
pub fn list(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let subuser = req.query.get("subuser");
    let product = req.query.one_of("product", &["residential", "mobile"])?;
    let page = Page::from_req(req)?;
    let items = st.whitelists.values().filter(|w| {
        w.batch_id.is_none()
            && subuser.is_none_or(|s| w.subuser.as_deref() == Some(s))
            && product
                .as_ref()
                .is_none_or(|p| w.product.as_ref() == Some(p))
    });
    let (items, next) = page.slice(items, |w| w.id.clone(), false);
    list_reply(req, items.iter().map(|w| w.view()).collect(), next)
}

/// `POST /whitelists` `{subuser, product, ip, label?}` (WL; T-407 shows `label` is optional).
/// `product` is a gateway product the sub-user has; ISP is whitelisted per batch.
pub fn add(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let body = Body::parse(&req.body)?;
    let subuser = body.str_required("subuser")?.to_string();
    let product = body.one_of_required("product", &["residential", "mobile", "isp"])?;
    if product == "isp" {
        return Err(ApiError::invalid(
            "product",
            "ISP whitelists are per batch: use /isp/batches/{id}/whitelist",
        ));
    }
    let sub = st
        .subuser(&subuser)
        .ok_or_else(|| ApiError::invalid("subuser", format!("sub-user {subuser} not found")))?;
    if !sub.products.contains(&product) {
        return Err(ApiError::invalid(
            "product",
            format!("the sub-user does not have the {product} product"),
        ));
    }
    let entry = WhitelistEntry {
        id: String::new(),
        subuser: Some(subuser.clone()),
        product: Some(product.clone()),
        batch_id: None,
        ip: String::new(),
        label: None,
        active: true,
        created_at: 0,
    };
    add_entry(st, req, entry, |w| {
        w.subuser.as_deref() == Some(subuser.as_str()) && w.product.as_deref() == Some(&product)
    })
}

/// `DELETE /whitelists/{id}`: 204.
pub fn remove(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let id = req.param(0);
    match st.whitelists.get(id) {
        Some(w) if w.batch_id.is_none() => {
            st.whitelists.remove(id);
            Reply::no_content()
        }
        _ => Err(ApiError::not_found("whitelist entry", id)),
    }
}

fn batch_id(st: &State, req: &Req) -> ApiResult<String> {
    let id = req.param(0);
    st.batches
        .get(id)
        .map(|b| b.id.clone())
        .ok_or_else(|| ApiError::not_found("ISP batch", id))
}

/// `GET /isp/batches/{id}/whitelist`.
pub fn list_batch(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let batch = batch_id(st, req)?;
    let page = Page::from_req(req)?;
    let items = st
        .whitelists
        .values()
        .filter(|w| w.batch_id.as_deref() == Some(batch.as_str()));
    let (items, next) = page.slice(items, |w| w.id.clone(), false);
    list_reply(req, items.iter().map(|w| w.view()).collect(), next)
}

/// `POST /isp/batches/{id}/whitelist` `{ip, label?}`.
pub fn add_batch(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let batch = batch_id(st, req)?;
    let entry = WhitelistEntry {
        id: String::new(),
        subuser: None,
        product: None,
        batch_id: Some(batch.clone()),
        ip: String::new(),
        label: None,
        active: true,
        created_at: 0,
    };
    add_entry(st, req, entry, |w| {
        w.batch_id.as_deref() == Some(batch.as_str())
    })
}

/// `DELETE /isp/batches/{id}/whitelist/{entry_id}`: 204.
pub fn remove_batch(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let batch = batch_id(st, req)?;
    let id = req.param(1);
    match st.whitelists.get(id) {
        Some(w) if w.batch_id.as_deref() == Some(batch.as_str()) => {
            st.whitelists.remove(id);
            Reply::no_content()
        }
        _ => Err(ApiError::not_found("whitelist entry", id)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_documented_formats_only() {
        assert_eq!(parse_source("203.0.113.5").ok(), Some("203.0.113.5".into()));
        assert_eq!(
            parse_source("203.0.113.0/24").ok(),
            Some("203.0.113.0/24".into())
        );
        assert!(parse_source("203.0.0.0/16").is_err());
        assert_eq!(parse_source("2001:DB8::1").ok(), Some("2001:db8::1".into()));
        assert!(parse_source("2001:db8::/64").is_ok());
        assert!(parse_source("2001:db8::/48").is_err());
        assert!(parse_source("example.com").is_err());
    }
}
