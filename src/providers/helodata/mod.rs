//! The helodata adapter: the gateway's normalized operations on helodata REST v1
//! (`shared/providers/helodata-v1-reference.md`, sections cited as §n), over the shared
//! [`UpstreamClient`].
//!
//! - `client.rs`: the calls (bearer token, `Idempotency-Key`, retry mode) and the one error
//!   classification.
//! - `wire.rs`: helodata's JSON as documented.
//! - `map.rs`: units, enums, ids, times, cursors; pure and unit-tested.
//! - `validate.rs`: input checked against helodata's rules before any call.
//! - `usage.rs`, `packages.rs`: traffic merged per grouping; subscriptions, batches, summary.
//!
//! Proxy users are helodata sub-users: the id is `<account>:<sub_… id>`, the username their
//! server-issued `name`. helodata issues usernames and passwords itself, has no per-sub-user
//! traffic quota (§11) and no batch create: a batch is one `POST /subusers` per user.

mod client;
mod connection;
mod invoices;
mod listing;
mod locations;
mod map;
mod orders;
mod packages;
mod passthrough;
pub mod registration;
mod reports;
mod sessions;
mod static_ips;
mod subscriptions;
mod subuser_writes;
mod subusers;
mod usage;
mod validate;
mod whitelist;
mod wire;

use std::sync::Arc;

use async_trait::async_trait;
use reqwest::Method;
use secrecy::SecretString;
use serde_json::Value;
use time::OffsetDateTime;

use self::client::{Client, parse, require_json};
use super::registry::AdapterSettings;
use super::{
    Capability, FailureKind, ItemPage, ProviderAdapter, ProviderError, ProviderKind, ProxyUserPage,
    UpstreamFailure, WhitelistPage, WriteContext,
};
use crate::domain::account::{AccountInfo, Money};
use crate::domain::connection::{ConnectionRequest, ExtractRequest, Extraction, ProxyConnection};
use crate::domain::download::Download;
use crate::domain::invoices::{Invoice, InvoiceFilter};
use crate::domain::locations::Country;
use crate::domain::money::Decimal;
use crate::domain::orders::{Order, OrderFilter, OrderRequest};
use crate::domain::packages::{Package, PackageSummary};
use crate::domain::products::Product;
use crate::domain::proxy_users::{
    CreatedProxyUser, NewProxyUser, ProxyUser, ProxyUserFilter, ProxyUserId, ProxyUserPatch,
    RotatedPassword,
};
use crate::domain::sessions::{RequestSample, StickySession, TrafficFilter};
use crate::domain::static_ips::{Availability, StaticIp, StaticIpFilter};
use crate::domain::subscriptions::{
    NewSubscription, Subscription, SubscriptionPatch, SubscriptionStop,
};
use crate::domain::usage::{UsageQuery, UsageRow};
use crate::domain::whitelist::{
    NewWhitelistEntry, WhitelistEntry, WhitelistFilter, WhitelistQuota,
};
use crate::upstream::UpstreamClient;

/// What helodata can do through this adapter. Not listed: `UpdateTrafficLimit` (no
/// per-sub-user quota, §5.2/§11) and `SetPassword` (helodata issues passwords, §5.2).
const CAPABILITIES: &[Capability] = &[
    Capability::ListProxyUsers,
    Capability::GetProxyUser,
    Capability::CreateProxyUser,
    Capability::CreateProxyUsersBatch,
    Capability::UpdateLabel,
    Capability::UpdateStatus,
    Capability::UpdateRateLimits,
    Capability::RotatePassword,
    Capability::DeleteProxyUser,
    Capability::Usage,
    Capability::UsageDetail,
    Capability::Account,
    Capability::Packages,
    Capability::PackageSummary,
    Capability::ListWhitelist,
    Capability::AddWhitelistEntry,
    Capability::DeleteWhitelistEntry,
    Capability::WhitelistQuota,
    Capability::WhitelistScopeProxyUser,
    Capability::WhitelistScopeIpBatch,
    Capability::ProxyConnection,
    Capability::Locations,
    Capability::ListSessions,
    Capability::GetSession,
    Capability::DeleteSession,
    Capability::ListRequests,
    Capability::ListStaticIps,
    Capability::StaticIpAvailability,
    Capability::RenewIpBatch,
    Capability::RefreshIpBatch,
    Capability::ReplaceStaticIp,
    Capability::ListOrders,
    Capability::GetOrder,
    Capability::CreateOrder,
    Capability::CreateSubscription,
    Capability::GetSubscription,
    Capability::UpdateSubscription,
    Capability::PauseSubscription,
    Capability::CancelSubscription,
    Capability::ListInvoices,
    Capability::GetInvoice,
    Capability::InvoicePdf,
    Capability::ListReports,
    Capability::CreateReport,
    Capability::GetReport,
    Capability::UpdateReport,
    Capability::DeleteReport,
    Capability::RunReport,
    Capability::GetReportRun,
    Capability::DownloadReportRun,
    Capability::Passthrough,
];

/// helodata's largest page. The maximum `limit` is not documented (§11); 100 is the largest
/// value in a documented example (I-STAT) and the simulator's maximum.
const UPSTREAM_MAX_LIMIT: u32 = 100;

/// Reading a whole list stops here: 100,000 items, far beyond any account, so a cursor that
/// cycles cannot loop forever.
const MAX_LIST_PAGES: usize = 1_000;

/// At most this many helodata pages per gateway page: a filter matching almost nothing still
/// answers in bounded time, with a cursor to go on from.
const MAX_UPSTREAM_PAGES: usize = 50;

/// The helodata adapter of one account.
pub struct HelodataAdapter {
    settings: AdapterSettings,
    client: Client,
}

impl HelodataAdapter {
    /// An adapter for one account.
    pub fn new(settings: AdapterSettings, client: Arc<UpstreamClient>) -> Self {
        let client = Client::new(client, settings.credential.clone());
        HelodataAdapter { settings, client }
    }

    fn user(&self, raw: &Value) -> Result<ProxyUser, UpstreamFailure> {
        let sub: wire::SubUser = parse(raw, "sub-user")?;
        Ok(map::proxy_user(self.account(), &sub, raw))
    }

    /// A 404 on one sub-user's path is that proxy user not existing.
    fn not_found(&self, id: &str) -> ProviderError {
        ProviderError::NotFound(ProxyUserId::new(self.account(), id).to_string())
    }

    fn on_subuser(&self, id: &str, failure: UpstreamFailure) -> ProviderError {
        if failure.kind == FailureKind::NotFound {
            self.not_found(id)
        } else {
            failure.into()
        }
    }

    /// Ids that cannot be helodata sub-user ids never reach a URL path.
    fn check_id(&self, id: &str) -> Result<(), ProviderError> {
        if map::is_subuser_id(id) {
            Ok(())
        } else {
            Err(self.not_found(id))
        }
    }

    async fn fetch_user(&self, id: &str) -> Result<ProxyUser, ProviderError> {
        self.check_id(id)?;
        let answer = self
            .client
            .get(&format!("/subusers/{id}"), &[])
            .await
            .map_err(|f| self.on_subuser(id, f))?;
        Ok(self.user(&require_json(answer)?)?)
    }
}

/// The key forwarded on a single write.
fn write_key(ctx: &WriteContext) -> Option<String> {
    ctx.write_key().map(map::fit_write_key)
}

#[async_trait]
impl ProviderAdapter for HelodataAdapter {
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
        &map::PRODUCTS
    }

    async fn health(&self) -> Result<(), ProviderError> {
        self.client.get("/users/me", &[]).await?;
        Ok(())
    }

    async fn list_proxy_users(
        &self,
        filter: &ProxyUserFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ProxyUserPage, ProviderError> {
        self.subuser_page(filter, cursor, limit).await
    }

    async fn get_proxy_user(&self, upstream_id: &str) -> Result<ProxyUser, ProviderError> {
        self.fetch_user(upstream_id).await
    }

    /// One `POST /subusers` per user (subuser_writes.rs).
    async fn create_proxy_users(
        &self,
        users: &[NewProxyUser],
        ctx: &WriteContext,
    ) -> Result<Vec<CreatedProxyUser>, ProviderError> {
        self.create_subusers(users, ctx).await
    }

    /// One `PATCH /subusers/{id}` with every requested field (all or nothing upstream).
    async fn update_proxy_user(
        &self,
        upstream_id: &str,
        patch: &ProxyUserPatch,
        ctx: &WriteContext,
    ) -> Result<ProxyUser, ProviderError> {
        let body = validate::patch(patch)?;
        self.check_id(upstream_id)?;
        if body.is_empty() {
            return self.fetch_user(upstream_id).await;
        }
        let json = serde_json::to_value(&body).unwrap_or(Value::Null);
        let answer = self
            .client
            .write(
                Method::PATCH,
                &format!("/subusers/{upstream_id}"),
                Some(json),
                write_key(ctx).as_deref(),
            )
            .await
            .map_err(|f| self.on_subuser(upstream_id, f))?;
        // The PATCH answer is taken to be the full object [I, §5.2 shows no response].
        Ok(self.user(&require_json(answer)?)?)
    }

    /// `POST /subusers/{id}/rotate-password` (subuser_writes.rs).
    async fn rotate_password(
        &self,
        upstream_id: &str,
        new_password: Option<&SecretString>,
        ctx: &WriteContext,
    ) -> Result<RotatedPassword, ProviderError> {
        self.rotate_subuser_password(upstream_id, new_password, write_key(ctx))
            .await
    }

    async fn delete_proxy_user(
        &self,
        upstream_id: &str,
        ctx: &WriteContext,
    ) -> Result<(), ProviderError> {
        self.check_id(upstream_id)?;
        self.client
            .write(
                Method::DELETE,
                &format!("/subusers/{upstream_id}"),
                None,
                write_key(ctx).as_deref(),
            )
            .await
            .map_err(|f| self.on_subuser(upstream_id, f))?;
        Ok(())
    }

    /// `GET /{product}/traffic?from=&to=` (RFC 3339 UTC, `to` exclusive on both sides) for the
    /// query's product or each of residential, mobile, isp, merged. A product helodata does not
    /// sell has no usage here: no rows, no call.
    async fn usage(&self, query: &UsageQuery) -> Result<Vec<UsageRow>, ProviderError> {
        self.usage_rows(query).await
    }

    async fn account_info(&self) -> Result<AccountInfo, ProviderError> {
        let raw = require_json(self.client.get("/users/me", &[]).await?)?;
        let me: wire::Me = parse(&raw, "account")?;
        Ok(AccountInfo {
            identity_id: Some(me.id),
            email: me.email,
            plan: me.plan,
            balance: me.balance.and_then(|b| {
                Some(Money {
                    amount: Decimal::from_f64(b.amount)?,
                    currency: b.currency,
                })
            }),
            verification: me.kyc_status,
            created_at: map::parse_time_opt(me.created_at.as_deref()),
            provider_data: map::without_secrets(&raw),
            missing: Vec::new(),
        })
    }

    /// Subscriptions (every page) and ISP batches (every page).
    async fn packages(&self) -> Result<Vec<Package>, ProviderError> {
        self.package_list().await
    }

    /// Derived from [`Self::packages`]: counts, and the monthly included traffic of active
    /// bandwidth subscriptions. helodata reports no used or remaining traffic per package (its
    /// GB sit in one pool per product, §5.2), so those are `None`. "Expiring soon" counts only
    /// packages that will not renew (Ending, or a batch without auto-renew) and end within
    /// 7 days: a subscription's `renews_at` is not an expiry.
    async fn package_summary(&self) -> Result<PackageSummary, ProviderError> {
        let packages = self.packages().await?;
        Ok(packages::summarize(&packages, OffsetDateTime::now_utc()))
    }

    async fn list_whitelist(
        &self,
        filter: &WhitelistFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<WhitelistPage, ProviderError> {
        self.whitelist_page(filter, cursor, limit).await
    }

    async fn add_whitelist_entry(
        &self,
        entry: &NewWhitelistEntry,
        ctx: &WriteContext,
    ) -> Result<WhitelistEntry, ProviderError> {
        self.add_whitelist(entry, write_key(ctx)).await
    }

    async fn delete_whitelist_entry(
        &self,
        upstream_id: &str,
        ctx: &WriteContext,
    ) -> Result<(), ProviderError> {
        self.delete_whitelist(upstream_id, write_key(ctx)).await
    }

    async fn whitelist_quota(
        &self,
        filter: &WhitelistFilter,
    ) -> Result<Vec<WhitelistQuota>, ProviderError> {
        self.whitelist_quotas(filter).await
    }

    /// helodata sells gateway access, not lists of IPs (§1, §7).
    async fn extract_proxies(
        &self,
        _request: &ExtractRequest,
        _ctx: &WriteContext,
    ) -> Result<Extraction, ProviderError> {
        Err(ProviderError::unsupported_because(
            Capability::ExtractProxies,
            "helodata sells gateway access, not lists of IPs: use POST /v1/proxies/connection",
        ))
    }

    /// The dynamic products' geo lists; other products have none.
    async fn locations(&self, product: Product) -> Result<Vec<Country>, ProviderError> {
        match product {
            Product::Residential => Ok(self.residential_locations().await?),
            _ => Ok(Vec::new()),
        }
    }

    async fn list_sessions(
        &self,
        filter: &TrafficFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ItemPage<StickySession>, ProviderError> {
        let (items, next_cursor) = self.traffic_page("sessions", filter, cursor, limit).await?;
        let account = self.account();
        Ok(ItemPage {
            items: items
                .iter()
                .map(|(product, raw)| sessions::session(account, product, raw))
                .collect(),
            next_cursor,
        })
    }

    async fn get_session(&self, upstream_id: &str) -> Result<StickySession, ProviderError> {
        self.fetch_session(upstream_id).await
    }

    async fn delete_session(
        &self,
        upstream_id: &str,
        ctx: &WriteContext,
    ) -> Result<(), ProviderError> {
        self.end_session(upstream_id, write_key(ctx)).await
    }

    async fn list_requests(
        &self,
        filter: &TrafficFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ItemPage<RequestSample>, ProviderError> {
        let (items, next_cursor) = self.traffic_page("requests", filter, cursor, limit).await?;
        let account = self.account();
        Ok(ItemPage {
            items: items
                .iter()
                .map(|(product, raw)| sessions::sample(account, product, raw))
                .collect(),
            next_cursor,
        })
    }

    async fn list_static_ips(
        &self,
        filter: &StaticIpFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ItemPage<StaticIp>, ProviderError> {
        self.static_ip_page(filter, cursor, limit).await
    }

    async fn static_ip_availability(
        &self,
        product: Option<Product>,
        country: Option<&str>,
    ) -> Result<Vec<Availability>, ProviderError> {
        if product.is_some_and(|p| p != Product::Isp) {
            return Ok(Vec::new());
        }
        self.inventory(country).await
    }

    async fn renew_ip_batch(
        &self,
        batch: &str,
        months: u32,
        ctx: &WriteContext,
    ) -> Result<Package, ProviderError> {
        let body = serde_json::json!({ "months": months });
        self.batch_action(batch, "renew", Some(body), write_key(ctx))
            .await
    }

    async fn refresh_ip_batch(
        &self,
        batch: &str,
        ctx: &WriteContext,
    ) -> Result<Package, ProviderError> {
        self.batch_action(batch, "refresh", None, write_key(ctx))
            .await
    }

    async fn replace_static_ip(
        &self,
        ip: &str,
        reason: &str,
        ctx: &WriteContext,
    ) -> Result<StaticIp, ProviderError> {
        self.replace(ip, reason, write_key(ctx)).await
    }

    async fn list_orders(
        &self,
        filter: &OrderFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ItemPage<Order>, ProviderError> {
        self.orders_page(filter, cursor, limit).await
    }

    async fn get_order(&self, upstream_id: &str) -> Result<Order, ProviderError> {
        self.order(upstream_id).await
    }

    fn reports(&self) -> Option<&dyn crate::providers::ReportsAdapter> {
        Some(self)
    }

    fn passthrough(&self) -> Option<&dyn crate::providers::PassthroughAdapter> {
        Some(self)
    }

    async fn list_invoices(
        &self,
        filter: &InvoiceFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ItemPage<Invoice>, ProviderError> {
        self.invoices_page(filter, cursor, limit).await
    }

    async fn get_invoice(&self, upstream_id: &str) -> Result<Invoice, ProviderError> {
        self.invoice(upstream_id).await
    }

    async fn invoice_pdf(&self, upstream_id: &str) -> Result<Download, ProviderError> {
        self.invoice_file(upstream_id).await
    }

    async fn create_subscription(
        &self,
        new: &NewSubscription,
        ctx: &WriteContext,
    ) -> Result<Subscription, ProviderError> {
        self.subscribe(new, write_key(ctx)).await
    }

    async fn get_subscription(&self, upstream_id: &str) -> Result<Subscription, ProviderError> {
        self.subscription(upstream_id).await
    }

    async fn update_subscription(
        &self,
        upstream_id: &str,
        patch: &SubscriptionPatch,
        ctx: &WriteContext,
    ) -> Result<Subscription, ProviderError> {
        self.change_subscription(upstream_id, patch, write_key(ctx))
            .await
    }

    async fn stop_subscription(
        &self,
        upstream_id: &str,
        stop: SubscriptionStop,
        ctx: &WriteContext,
    ) -> Result<Subscription, ProviderError> {
        self.end_subscription(upstream_id, stop, write_key(ctx), ctx.resumed())
            .await
    }

    /// Forwarded with the write's key: helodata dedupes a resend, so a retry simply sends again.
    async fn create_order(
        &self,
        request: &OrderRequest,
        ctx: &WriteContext,
    ) -> Result<Order, ProviderError> {
        self.place_order(request, write_key(ctx)).await
    }

    fn connection(
        &self,
        user: &ProxyUser,
        request: &ConnectionRequest,
    ) -> Result<ProxyConnection, ProviderError> {
        connection::connection(user, request)
    }
}
