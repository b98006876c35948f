//! Input checked against helodata's rules before any upstream call, with the gateway's field
//! names: helodata issues usernames and passwords, has no per-sub-user traffic quota, sells
//! residential, mobile and isp, and requires a label.

use super::{map, wire};
use crate::domain::proxy_users::{Change, NewProxyUser, ProxyUserPatch};
use crate::providers::{Capability, ProviderError};

/// Why a traffic limit is refused.
const NO_QUOTA: &str = "helodata has no per-sub-user traffic quota: every sub-user draws on the \
                        account's pool for the product (reference §5.2, §11)";

/// Checks every user against helodata's rules and builds its `POST /subusers` body; the first
/// problem is reported with its gateway field (`users[i].…` in a batch).
pub fn new_users(users: &[NewProxyUser]) -> Result<Vec<wire::CreateSubUser>, ProviderError> {
    if users.is_empty() {
        return Err(ProviderError::invalid(
            "users",
            "give at least one proxy user",
        ));
    }
    let batch = users.len() > 1;
    users
        .iter()
        .enumerate()
        .map(|(i, user)| {
            let field = |name: &str| {
                if batch {
                    format!("users[{i}].{name}")
                } else {
                    name.to_string()
                }
            };
            if user.username.is_some() {
                return Err(ProviderError::invalid(
                    field("username"),
                    "helodata issues the username (the sub-user's name) itself; leave it out",
                ));
            }
            if user.password.is_some() {
                return Err(ProviderError::invalid(
                    field("password"),
                    "helodata issues the password itself and returns it once on creation; \
                     leave it out",
                ));
            }
            if user.traffic_limit_bytes.is_some() {
                return Err(ProviderError::unsupported_because(
                    Capability::UpdateTrafficLimit,
                    NO_QUOTA,
                ));
            }
            let mut products: Vec<String> = Vec::new();
            for product in &user.products {
                let name = map::product_to_wire(*product).ok_or_else(|| {
                    ProviderError::invalid(
                        field("products"),
                        format!(
                            "helodata sells residential, mobile and isp; not {}",
                            product.as_str()
                        ),
                    )
                })?;
                if !products.iter().any(|p| p == name) {
                    products.push(name.to_string());
                }
            }
            if products.is_empty() {
                return Err(ProviderError::invalid(
                    field("products"),
                    "give at least one of residential, mobile, isp",
                ));
            }
            // helodata requires a label: the simulator refuses a create without one and
            // the reference's only create body has one (§5.2; constraints table lost, §11).
            let label = user.label.as_deref().ok_or_else(|| {
                ProviderError::invalid(field("label"), "helodata requires a label")
            })?;
            map::check_label(label).map_err(|m| ProviderError::invalid(field("label"), m))?;
            check_cap(user.concurrency_max, &field("concurrency_max"))?;
            check_cap(user.rps_max, &field("rps_max"))?;
            Ok(wire::CreateSubUser {
                label: label.to_string(),
                products,
                concurrent_max: user.concurrency_max,
                rps_max: user.rps_max,
            })
        })
        .collect()
}

/// Checks a patch against helodata's rules and builds its `PATCH /subusers/{id}` body.
pub fn patch(patch: &ProxyUserPatch) -> Result<wire::PatchSubUser, ProviderError> {
    if patch.password.is_some() {
        return Err(ProviderError::unsupported_because(
            Capability::SetPassword,
            "helodata issues passwords; use rotate-password",
        ));
    }
    if patch.traffic_limit_bytes.is_requested() {
        return Err(ProviderError::unsupported_because(
            Capability::UpdateTrafficLimit,
            NO_QUOTA,
        ));
    }
    let label = match &patch.label {
        Change::Keep => None,
        // helodata ignores `label: null` and refuses `""` (simulator; §5.2 says nothing of
        // clearing), so a clear cannot be honoured: refused here, before any call.
        Change::Clear => {
            return Err(ProviderError::invalid(
                "label",
                "helodata requires a label on every sub-user; it cannot be cleared, only \
                 replaced",
            ));
        }
        Change::Set(label) => {
            map::check_label(label).map_err(|m| ProviderError::invalid("label", m))?;
            Some(label.clone())
        }
    };
    check_cap(patch.concurrency_max, "concurrency_max")?;
    check_cap(patch.rps_max, "rps_max")?;
    Ok(wire::PatchSubUser {
        label,
        status: patch.status.map(|s| map::status_to_wire(s).to_string()),
        concurrent_max: patch.concurrency_max,
        rps_max: patch.rps_max,
    })
}

/// A cap of 0 would refuse every proxy request (D-SUB); the upper bound is the plan's (§4) and
/// is left to helodata.
fn check_cap(value: Option<u32>, field: &str) -> Result<(), ProviderError> {
    match value {
        Some(0) => Err(ProviderError::invalid(field, "must be at least 1")),
        _ => Ok(()),
    }
}
