//! Usage across accounts: one adapter call per selected account (in parallel), rows merged in
//! account order, and the total.

use futures::future::try_join_all;
use time::OffsetDateTime;

use super::{UnknownAccount, resolve_account, select_accounts};
use crate::domain::api_keys::Principal;
use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUserId;
use crate::domain::usage::{CountedWindow, UsageGroupBy, UsageQuery, UsageRow};
use crate::providers::Capability;
use crate::providers::registry::Registry;
use crate::services::ServiceError;

/// The longest window one request may ask for.
pub const MAX_WINDOW: time::Duration = time::Duration::days(366);

/// A caller's usage question before accounts are resolved.
#[derive(Clone, Debug)]
pub struct UsageRequest {
    /// Start, inclusive.
    pub from: OffsetDateTime,
    /// End, exclusive.
    pub to: OffsetDateTime,
    /// Accounts named by the caller (empty: all permitted).
    pub accounts: Vec<String>,
    /// Product filter.
    pub product: Option<Product>,
    /// Proxy-user filter (implies its account).
    pub proxy_user: Option<ProxyUserId>,
    /// Grouping.
    pub group_by: Option<UsageGroupBy>,
    /// Exit-country filter (ISO code).
    pub region: Option<String>,
    /// Request-tag filter.
    pub tag: Option<String>,
}

impl UsageRequest {
    /// Whether it asks for what only some providers report (a detailed grouping, a region or
    /// tag filter).
    pub fn wants_detail(&self) -> bool {
        self.group_by.is_some_and(UsageGroupBy::is_detail)
            || self.region.is_some()
            || self.tag.is_some()
    }
}

/// Rows and their total.
#[derive(Clone, Debug)]
pub struct UsageReport {
    /// Rows, by account then as each adapter orders them.
    pub rows: Vec<UsageRow>,
    /// Sum of `bytes` over the rows.
    pub total_bytes: u64,
    /// Per account, the window it counted (wider than asked where its granularity is).
    pub windows: Vec<(String, CountedWindow)>,
}

/// The window clipped to years 0000-9999, which RFC 3339 can write (a local day around the
/// first or last instant may reach outside them).
fn representable(window: CountedWindow) -> CountedWindow {
    let first = time::macros::datetime!(0000-01-01 0:00 UTC);
    let last = time::macros::datetime!(9999-12-31 23:59:59 UTC);
    CountedWindow {
        from: window.from.clamp(first, last),
        to: window.to.clamp(first, last),
    }
}

/// Answers a usage request.
pub async fn usage(
    registry: &Registry,
    principal: &Principal,
    request: UsageRequest,
) -> Result<UsageReport, ServiceError> {
    if request.from >= request.to {
        return Err(ServiceError::invalid_argument(
            "from",
            "from must be before to",
        ));
    }
    if request.to - request.from > MAX_WINDOW {
        return Err(ServiceError::invalid_argument(
            "to",
            "the window may span at most 366 days",
        ));
    }
    let accounts = match &request.proxy_user {
        Some(id) => {
            if !request.accounts.is_empty() && !request.accounts.contains(&id.account) {
                return Err(ServiceError::invalid_argument(
                    "proxy_user",
                    "the proxy user belongs to an account that the account filter excludes",
                ));
            }
            vec![resolve_account(
                registry,
                principal,
                &id.account,
                UnknownAccount::InvalidArgument("proxy_user"),
            )?]
        }
        // Detailed usage over "every account" covers the accounts that report it; an account
        // named explicitly that cannot answers 501.
        None if request.accounts.is_empty() && request.wants_detail() => {
            select_accounts(registry, principal, &[])?
                .into_iter()
                .filter(|a| a.adapter.capabilities().contains(&Capability::UsageDetail))
                .collect()
        }
        None => select_accounts(registry, principal, &request.accounts)?,
    };
    let query = UsageQuery {
        from: request.from,
        to: request.to,
        product: request.product,
        proxy_user: request.proxy_user.clone(),
        group_by: request.group_by,
        region: request.region.clone(),
        tag: request.tag.clone(),
    };
    let calls = accounts.iter().map(|account| {
        let query = &query;
        async move {
            let counted = representable(account.adapter.usage_counted_window(query.from, query.to));
            let mut rows = account
                .adapter
                .usage(query)
                .await
                .map_err(|e| ServiceError::provider(&account.name, e))?;
            for row in &mut rows {
                let (start, end) = match row.day {
                    // A day as the provider draws it, within what it counted.
                    Some(day) => {
                        let (start, end) = account.adapter.usage_day_bounds(day);
                        (start.max(counted.from), end.min(counted.to))
                    }
                    None => (counted.from, counted.to),
                };
                row.period_start = Some(start);
                row.period_end = Some(end);
            }
            Ok::<_, ServiceError>((rows, (account.name.clone(), counted)))
        }
    });
    let mut rows = Vec::new();
    let mut windows = Vec::new();
    for (account_rows, window) in try_join_all(calls).await? {
        rows.extend(account_rows);
        windows.push(window);
    }
    let total_bytes = rows
        .iter()
        .fold(0u64, |sum, row| sum.saturating_add(row.bytes));
    Ok(UsageReport {
        rows,
        total_bytes,
        windows,
    })
}
