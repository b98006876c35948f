//! The 911Proxy adapter: the gateway's normalized operations over 911's `api-gate-way`
//! (`911proxy-openapi.txt`, with `911proxy-notes.md` for the quirks).
//!
//! - `client.rs`: the calls (app_key in the query; writes sent once), the envelope, and the one
//!   error classification.
//! - `wire.rs`: 911's JSON as documented.
//! - `map.rs`: units (KB, GB), product types, statuses, naive local times, whole objects.
//! - `validate.rs`: 911's input rules, checked before any upstream call.
//! - `writes.rs`: creates (grouped adds, then limits) and patches (one call per field).
//! - `usage.rs`, `packages.rs`: daily usage per grouping; packages, every page.
//! - `snapshot.rs`: the unpaged proxy-user list, read once per TTL and shared by every request;
//!   `listing.rs`: one read of it, decoding only the rows that changed since the last.
//!
//! A proxy user's upstream id is its username: 911 has no other stable handle (its by-name
//! endpoints take `account`, and the list's numeric `id` is accepted by none of them).

mod account;
mod client;
mod connection;
mod extract;
mod fields;
mod listing;
mod locations;
mod map;
mod orders;
mod packages;
mod page_cursor;
mod passthrough;
mod payments;
pub mod registration;
mod snapshot;
mod static_ips;
mod usage;
mod validate;
mod whitelist;
mod wire;
mod writes;

use page_cursor::PageCursor;
use std::ops::Bound;
use std::sync::Arc;
use std::time::Instant;

use async_trait::async_trait;
use secrecy::SecretString;
use time::OffsetDateTime;

use super::registry::AdapterSettings;
use super::{
    Capability, ItemPage, ProviderAdapter, ProviderError, ProviderKind, ProxyUserPage,
    WhitelistPage, WriteContext,
};
use crate::domain::account::AccountInfo;
use crate::domain::connection::{ConnectionRequest, ExtractRequest, Extraction, ProxyConnection};
use crate::domain::draws::Draws;
use crate::domain::locations::Country;
use crate::domain::orders::{Order, OrderFilter, OrderRequest};
use crate::domain::packages::{Package, PackageSummary};
use crate::domain::pagination::{Cursor, Page};
use crate::domain::payments::{PaymentMethod, Promotion};
use crate::domain::products::Product;
use crate::domain::proxy_users::{
    CreatedProxyUser, NewProxyUser, ProxyUser, ProxyUserFilter, ProxyUserPatch, RotatedPassword,
};
use crate::domain::static_ips::{Availability, StaticIp, StaticIpFilter};
use crate::domain::usage::{CountedWindow, UsageQuery, UsageRow};
use crate::domain::whitelist::{
    NewWhitelistEntry, WhitelistEntry, WhitelistFilter, WhitelistQuota,
};
use crate::upstream::UpstreamClient;
use client::Nine11Client;
use snapshot::{Listing, Snapshot, Snapshots};
use wire::AccountNames;

/// How long the old password keeps working after change-password: "there is a 5-minute
/// waiting period after modification, during which the old password may still be used
/// normally" (whitelist-account/change-password).
pub const OLD_PASSWORD_GRACE: time::Duration = time::Duration::minutes(5);
/// Page size when walking `user-product/list`: the document's default, 20, since no maximum
/// is documented and a larger size might be cut short or refused.
pub const PACKAGE_PAGE_SIZE: u64 = 20;
/// More pages than this is a provider bug, not an account.
const MAX_PACKAGE_PAGES: u64 = 1_000;
/// Usage calls in flight at once when grouping by proxy user.
const USAGE_CONCURRENCY: usize = 4;
/// Everything the adapter publishes as supported.
const CAPABILITIES: &[Capability] = &[
    Capability::ListProxyUsers,
    Capability::GetProxyUser,
    Capability::CreateProxyUser,
    Capability::CreateProxyUsersBatch,
    Capability::UpdateLabel,
    Capability::UpdateStatus,
    Capability::UpdateTrafficLimit,
    Capability::SetPassword,
    Capability::RotatePassword,
    Capability::DeleteProxyUser,
    Capability::Usage,
    Capability::Account,
    Capability::Packages,
    Capability::PackageSummary,
    Capability::ListWhitelist,
    Capability::AddWhitelistEntry,
    Capability::DeleteWhitelistEntry,
    Capability::WhitelistQuota,
    Capability::WhitelistScopeAccount,
    Capability::ProxyConnection,
    Capability::Locations,
    Capability::ConnectionPassword,
    Capability::ExtractProxies,
    Capability::ListStaticIps,
    Capability::StaticIpAvailability,
    Capability::PaymentMethods,
    Capability::Promotions,
    Capability::ListOrders,
    Capability::GetOrder,
    Capability::CreateOrder,
    Capability::CancelOrder,
    Capability::Passthrough,
];

/// The products 911 sells proxy accounts for: types 9, 11, 25 and 14.
const PRODUCTS: &[Product] = &[
    Product::Residential,
    Product::ResidentialIp,
    Product::Isp,
    Product::Datacenter,
];

/// The 911Proxy adapter of one configured account.
pub struct Nine11Adapter {
    settings: AdapterSettings,
    client: Nine11Client,
    package_page_size: u64,
    snapshots: Snapshots,
}

impl Nine11Adapter {
    /// An adapter for one account.
    pub fn new(settings: AdapterSettings, client: Arc<UpstreamClient>) -> Self {
        let client = Nine11Client::new(client, settings.credential.clone());
        Nine11Adapter {
            snapshots: Snapshots::new(settings.list_snapshot_ttl),
            settings,
            client,
            package_page_size: PACKAGE_PAGE_SIZE,
        }
    }

    /// The same adapter walking `user-product/list` `size` packages at a time (at least 1).
    pub fn with_package_page_size(mut self, size: u64) -> Self {
        self.package_page_size = size.max(1);
        self
    }

    fn tz(&self) -> &jiff::tz::TimeZone {
        &self.settings.timezone
    }

    fn orders(&self) -> orders::Orders<'_> {
        orders::Orders {
            client: &self.client,
            account: &self.settings.account,
            tz: self.tz(),
        }
    }

    fn whitelist(&self) -> whitelist::Whitelist<'_> {
        whitelist::Whitelist {
            client: &self.client,
            account: &self.settings.account,
            kind: registration::KIND,
            tz: self.tz(),
        }
    }

    /// Every proxy user by username (one per username; see [`map::proxy_user`]), read now;
    /// rows unchanged since `previous` reuse its users (see `listing.rs`).
    async fn read_users(&self, previous: Option<Arc<Snapshot>>) -> Result<Listing, ProviderError> {
        let data = self.client.get_raw(wire::ACCOUNT_LIST).await?;
        listing::users(
            &self.settings.account,
            self.tz(),
            &data,
            previous.as_deref(),
        )
    }

    /// The list as of `epoch` or later (see `snapshot.rs`).
    async fn snapshot(&self, epoch: u64) -> Result<Arc<Snapshot>, ProviderError> {
        self.snapshots
            .get(epoch, |previous| self.read_users(previous))
            .await
    }

    /// `seen`, if its read started after `began`; else the list read again now (to confirm
    /// what a snapshot said before acting on it).
    async fn confirmed(
        &self,
        seen: Arc<Snapshot>,
        began: Instant,
    ) -> Result<Arc<Snapshot>, ProviderError> {
        if seen.started() >= began {
            return Ok(seen);
        }
        self.snapshots.invalidate();
        self.snapshot(self.snapshots.epoch()).await
    }

    /// The user called `username`, or `NotFound`. A user found in the snapshot is answered
    /// from it; an absent one is confirmed with a fresh read (it may have been created by
    /// another replica since the snapshot was read).
    async fn find(&self, username: &str) -> Result<ProxyUser, ProviderError> {
        let began = Instant::now();
        let snapshot = self.snapshot(self.snapshots.epoch()).await?;
        if let Some(user) = snapshot.users.get(username) {
            return Ok(ProxyUser::clone(user));
        }
        self.confirmed(snapshot, began)
            .await?
            .users
            .get(username)
            .map(|u| ProxyUser::clone(u))
            .ok_or_else(|| not_found(&self.settings.account, username))
    }
}

fn not_found(account: &str, username: &str) -> ProviderError {
    ProviderError::NotFound(format!("proxy user {account}:{username}"))
}

#[async_trait]
impl ProviderAdapter for Nine11Adapter {
    fn kind(&self) -> ProviderKind {
        registration::KIND
    }

    fn account(&self) -> &str {
        &self.settings.account
    }

    fn capabilities(&self) -> &'static [Capability] {
        CAPABILITIES
    }

    fn products(&self) -> &'static [Product] {
        PRODUCTS
    }

    /// `user-product/list?page=1&size=1`: cheap, read-only, and it checks the app_key.
    async fn health(&self) -> Result<(), ProviderError> {
        self.client
            .get(
                wire::PRODUCT_LIST,
                &[("page", "1".to_string()), ("size", "1".to_string())],
            )
            .await?;
        Ok(())
    }

    /// 911's list is unpaged: the adapter pages its snapshot of it (see `snapshot.rs`) in
    /// username order, with a cursor naming the snapshot and the last username. The next page
    /// comes from the same snapshot while it is kept, else from the current one after that
    /// username (which survives insertions and deletions between pages).
    async fn list_proxy_users(
        &self,
        filter: &ProxyUserFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ProxyUserPage, ProviderError> {
        let after = cursor
            .map(|c| {
                Cursor::decode(c)
                    .map(|c| PageCursor::parse(&c.0))
                    .map_err(|m| ProviderError::invalid("cursor", m))
            })
            .transpose()?;
        let limit = limit.max(1);
        let snapshot = match after.as_ref().and_then(|a| a.snapshot) {
            Some(id) => match self.snapshots.pinned(id) {
                Some(pinned) => pinned,
                None => self.snapshot(self.snapshots.epoch()).await?,
            },
            None => self.snapshot(self.snapshots.epoch()).await?,
        };
        let from = match &after {
            Some(a) => Bound::Excluded(a.username.as_str()),
            None => Bound::Unbounded,
        };
        let users: Vec<ProxyUser> = snapshot
            .users
            .range::<str, _>((from, Bound::Unbounded))
            .map(|(_, u)| u)
            .filter(|u| filter.matches(u))
            .take(limit as usize + 1)
            .map(|u| ProxyUser::clone(u))
            .collect();
        let page = Page::from_overfetch(users, limit, |u| u.username.clone());
        Ok(ProxyUserPage {
            users: page.items,
            next_cursor: page.next.map(|c| {
                Cursor(
                    PageCursor {
                        snapshot: Some(snapshot.id),
                        username: c.0,
                    }
                    .text(),
                )
                .encode()
            }),
        })
    }

    async fn get_proxy_user(&self, upstream_id: &str) -> Result<ProxyUser, ProviderError> {
        self.find(upstream_id).await
    }

    /// Validates every user, refuses taken usernames (any product type: the username is the
    /// id), then adds them with ONE `whitelist-account/add` per (product type, remark) group —
    /// one call when they share both, as add takes one of each — then sets each asked-for
    /// limit with change-limit (add takes none). If a step fails after something was created,
    /// the answer is `PartiallyApplied { applied: ["users"], failed: "users" |
    /// "traffic_limit_bytes" }`.
    /// 911 takes the username and password from the caller: generate the missing ones here, so
    /// that they can be journaled before the add call.
    fn prepare_new_users(&self, users: &[NewProxyUser], draws: &mut Draws) -> Vec<NewProxyUser> {
        let mut drawn = Vec::new();
        let planned = users
            .iter()
            .map(|user| NewProxyUser {
                username: user.username.clone().or_else(|| {
                    let name = validate::generate_username(draws);
                    drawn.push(name.clone());
                    Some(name)
                }),
                password: user
                    .password
                    .clone()
                    .or_else(|| Some(validate::generate_password(draws))),
                ..user.clone()
            })
            .collect();
        self.snapshots.note_drawn(drawn);
        planned
    }

    fn generate_password(&self, draws: &mut Draws) -> Option<SecretString> {
        Some(validate::generate_password(draws))
    }

    async fn create_proxy_users(
        &self,
        users: &[NewProxyUser],
        _ctx: &WriteContext,
    ) -> Result<Vec<CreatedProxyUser>, ProviderError> {
        self.create_users(users).await
    }

    /// One documented endpoint per field, in the order password → label → traffic limit →
    /// status (see `writes.rs`).
    async fn update_proxy_user(
        &self,
        upstream_id: &str,
        patch: &ProxyUserPatch,
        ctx: &WriteContext,
    ) -> Result<ProxyUser, ProviderError> {
        self.patch_user(upstream_id, patch, ctx).await
    }

    /// change-password with the given (validated) or a generated password (writes.rs).
    async fn rotate_password(
        &self,
        upstream_id: &str,
        new_password: Option<&SecretString>,
        _ctx: &WriteContext,
    ) -> Result<RotatedPassword, ProviderError> {
        self.rotate(upstream_id, new_password).await
    }

    /// `whitelist-account/delete` with `accounts=username` (irreversible; 911 drops the usage
    /// history too).
    async fn delete_proxy_user(
        &self,
        upstream_id: &str,
        _ctx: &WriteContext,
    ) -> Result<(), ProviderError> {
        let user = self.find(upstream_id).await?;
        let body = AccountNames {
            accounts: &user.username,
        };
        let _written = self.snapshots.invalidation();
        self.client.post(wire::ACCOUNT_DELETE, &body, &[]).await?;
        Ok(())
    }

    /// `user-usage-flow/total` over `[from, to)`: times sent as `Y-m-d H:i:s` in the account's
    /// zone, `end_time` = to − 1 s (inclusive to the second). Days are 911's local calendar
    /// days (in the account's zone), as 911 reports them. A username's usage sums every 911
    /// account of that name, matching the one-user-per-username view.
    async fn usage(&self, query: &UsageQuery) -> Result<Vec<UsageRow>, ProviderError> {
        self.usage_rows(query).await
    }

    /// `user/info` (code 0 and `message`), partial while 911 keeps it closed (account.rs).
    async fn account_info(&self) -> Result<AccountInfo, ProviderError> {
        self.account_or_partial().await
    }

    /// `user-product/list`, every page (`page`/`size`), deduplicated by package id in case the
    /// list shifts between pages.
    async fn packages(&self) -> Result<Vec<Package>, ProviderError> {
        self.package_list().await
    }

    /// `user-product/summary?product_type=9`, KB converted to bytes.
    async fn package_summary(&self) -> Result<PackageSummary, ProviderError> {
        self.summary_of_every_type().await
    }

    async fn list_whitelist(
        &self,
        filter: &WhitelistFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<WhitelistPage, ProviderError> {
        self.whitelist().list(filter, cursor, limit).await
    }

    /// 911 has no idempotency, but adding an IP it holds is refused before the call, and a
    /// repeat of a lost add finds the entry (the keyed write's replay answers it).
    async fn add_whitelist_entry(
        &self,
        entry: &NewWhitelistEntry,
        _ctx: &WriteContext,
    ) -> Result<WhitelistEntry, ProviderError> {
        self.whitelist().add(entry).await
    }

    async fn delete_whitelist_entry(
        &self,
        upstream_id: &str,
        _ctx: &WriteContext,
    ) -> Result<(), ProviderError> {
        self.whitelist().delete(upstream_id).await
    }

    async fn whitelist_quota(
        &self,
        filter: &WhitelistFilter,
    ) -> Result<Vec<WhitelistQuota>, ProviderError> {
        self.whitelist().quota(filter).await
    }

    async fn extract_proxies(
        &self,
        request: &ExtractRequest,
        _ctx: &WriteContext,
    ) -> Result<Extraction, ProviderError> {
        extract::extract(&self.client, &self.whitelist(), request).await
    }

    /// The dynamic products' geo lists; other products have none.
    async fn locations(&self, product: Product) -> Result<Vec<Country>, ProviderError> {
        match product {
            Product::Residential | Product::ResidentialIp => locations::read(&self.client).await,
            _ => Ok(Vec::new()),
        }
    }

    async fn list_static_ips(
        &self,
        filter: &StaticIpFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ItemPage<StaticIp>, ProviderError> {
        let account = &self.settings.account;
        static_ips::list(&self.client, account, self.tz(), filter, cursor, limit).await
    }

    async fn static_ip_availability(
        &self,
        product: Option<Product>,
        country: Option<&str>,
    ) -> Result<Vec<Availability>, ProviderError> {
        let mut all = static_ips::availability(&self.client, product).await?;
        all.retain(|a| country.is_none_or(|c| a.country.eq_ignore_ascii_case(c)));
        Ok(all)
    }

    async fn payment_methods(
        &self,
        order: Option<&str>,
    ) -> Result<Vec<PaymentMethod>, ProviderError> {
        payments::read_payment_methods(&self.client, order).await
    }

    async fn promotions(&self) -> Result<Vec<Promotion>, ProviderError> {
        payments::read_promotions(&self.client).await
    }

    async fn list_orders(
        &self,
        filter: &OrderFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ItemPage<Order>, ProviderError> {
        self.orders().list(filter, cursor, limit).await
    }

    async fn get_order(&self, upstream_id: &str) -> Result<Order, ProviderError> {
        self.orders().get(upstream_id).await
    }

    async fn order_watermark(
        &self,
        request: &OrderRequest,
    ) -> Result<Option<serde_json::Value>, ProviderError> {
        self.orders().watermark(request).await.map(Some)
    }

    async fn reconcile_order(
        &self,
        mark: &serde_json::Value,
    ) -> Result<Option<Order>, ProviderError> {
        self.orders().reconcile(mark).await
    }

    async fn create_order(
        &self,
        request: &OrderRequest,
        _ctx: &WriteContext,
    ) -> Result<Order, ProviderError> {
        self.orders().create(request).await
    }

    async fn cancel_order(
        &self,
        upstream_id: &str,
        ctx: &WriteContext,
    ) -> Result<Order, ProviderError> {
        self.orders().cancel(upstream_id, ctx.resumed()).await
    }

    fn passthrough(&self) -> Option<&dyn crate::providers::PassthroughAdapter> {
        Some(self)
    }

    fn usage_counted_window(&self, from: OffsetDateTime, to: OffsetDateTime) -> CountedWindow {
        usage::counted_window(from, to, self.tz())
    }

    fn usage_day_bounds(&self, day: time::Date) -> (OffsetDateTime, OffsetDateTime) {
        usage::local_day_bounds(day, self.tz())
    }

    fn connection(
        &self,
        user: &ProxyUser,
        request: &ConnectionRequest,
    ) -> Result<ProxyConnection, ProviderError> {
        connection::connection(user, request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capabilities_leave_out_rate_limits_and_products_are_the_four_account_types() {
        assert!(!CAPABILITIES.contains(&Capability::UpdateRateLimits));
        assert_eq!(CAPABILITIES.len(), 32);
        assert_eq!(
            PRODUCTS
                .iter()
                .map(|p| map::type_of_product(*p))
                .collect::<Vec<_>>(),
            vec![Some(9), Some(11), Some(25), Some(14)]
        );
    }
}
