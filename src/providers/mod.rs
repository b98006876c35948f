//! Provider adapters: one implementation of [`ProviderAdapter`] per provider, each in its own
//! folder (`helodata/`, `nine11/`) with `client.rs` (the calls), `wire.rs` (the provider's JSON
//! exactly as documented) and `map.rs` (units, enums, ids, times). The [`registry`] holds the
//! configured accounts by name. A new provider is a new folder and one line in the registry.

pub mod error;
pub mod helodata;
pub mod nine11;
pub mod passthrough;
pub mod registry;
pub mod reports;

use async_trait::async_trait;
use time::OffsetDateTime;

pub use error::{FailureKind, ProviderError, UpstreamFailure};
pub use passthrough::PassthroughAdapter;
pub use reports::ReportsAdapter;

pub use crate::domain::idempotency::WriteContext;
pub use crate::domain::providers::{Capability, ProviderKind};

use crate::domain::account::AccountInfo;
use crate::domain::connection::{ConnectionRequest, ExtractRequest, Extraction, ProxyConnection};
use crate::domain::download::Download;
use crate::domain::draws::Draws;
use crate::domain::invoices::{Invoice, InvoiceFilter};
use crate::domain::locations::Country;
use crate::domain::orders::{Order, OrderFilter, OrderRequest};
use crate::domain::packages::{Package, PackageSummary};
use crate::domain::payments::{PaymentMethod, Promotion};
use crate::domain::products::Product;
use crate::domain::proxy_users::{
    CreatedProxyUser, NewProxyUser, ProxyUser, ProxyUserFilter, ProxyUserPatch, RotatedPassword,
};
use crate::domain::sessions::{RequestSample, StickySession, TrafficFilter};
use crate::domain::static_ips::{Availability, StaticIp, StaticIpFilter};
use crate::domain::subscriptions::{
    NewSubscription, Subscription, SubscriptionPatch, SubscriptionStop,
};
use crate::domain::usage::{CountedWindow, UsageQuery, UsageRow};
use crate::domain::whitelist::{
    NewWhitelistEntry, WhitelistEntry, WhitelistFilter, WhitelistQuota,
};

/// A page of proxy users from one account, with the adapter's own cursor for the next page.
#[derive(Clone, Debug)]
pub struct ProxyUserPage {
    /// Users in the adapter's stable order, already filtered.
    pub users: Vec<ProxyUser>,
    /// Where the next page starts; opaque to everyone but the adapter.
    pub next_cursor: Option<String>,
}

/// A page of whitelist entries from one account, with the adapter's cursor for the next page.
#[derive(Clone, Debug)]
pub struct WhitelistPage {
    /// Entries in the adapter's stable order, already filtered.
    pub entries: Vec<WhitelistEntry>,
    /// Where the next page starts; opaque to everyone but the adapter.
    pub next_cursor: Option<String>,
}

/// A page of anything an adapter lists, with its cursor for the next page.
#[derive(Clone, Debug)]
pub struct ItemPage<T> {
    /// The items in the adapter's order.
    pub items: Vec<T>,
    /// Where the next page starts; opaque to everyone but the adapter.
    pub next_cursor: Option<String>,
}

/// Translates normalized operations to one provider's API and back. Every method that the
/// provider cannot do keeps the default, which answers [`ProviderError::Unsupported`].
/// Adapters validate input against the provider's own rules before any upstream call.
#[async_trait]
pub trait ProviderAdapter: Send + Sync {
    /// Which provider this is.
    fn kind(&self) -> ProviderKind;

    /// The configured account name (the first part of every id).
    fn account(&self) -> &str;

    /// The operations this adapter supports.
    fn capabilities(&self) -> &'static [Capability];

    /// The products this provider sells.
    fn products(&self) -> &'static [Product];

    /// Fills in what the gateway itself chooses for new users (911: generated username and
    /// password) from `draws`, so a keyed write, drawing from its record's stream, plans the
    /// same users on every attempt and a retry sends exactly the same thing. Providers that
    /// issue credentials themselves keep the default.
    fn prepare_new_users(&self, users: &[NewProxyUser], _draws: &mut Draws) -> Vec<NewProxyUser> {
        users.to_vec()
    }

    /// A password the gateway chooses for a rotation when the caller gives none, or `None` when
    /// the provider issues passwords itself (helodata).
    fn generate_password(&self, _draws: &mut Draws) -> Option<secrecy::SecretString> {
        None
    }

    /// One cheap upstream call proving the account works.
    async fn health(&self) -> Result<(), ProviderError>;

    /// One page of proxy users matching `filter`, starting at the adapter's `cursor`.
    async fn list_proxy_users(
        &self,
        _filter: &ProxyUserFilter,
        _cursor: Option<&str>,
        _limit: u32,
    ) -> Result<ProxyUserPage, ProviderError> {
        Err(ProviderError::unsupported(Capability::ListProxyUsers))
    }

    /// One proxy user by its upstream id.
    async fn get_proxy_user(&self, _upstream_id: &str) -> Result<ProxyUser, ProviderError> {
        Err(ProviderError::unsupported(Capability::GetProxyUser))
    }

    /// Creates one or more proxy users (all validated first; one upstream call where the
    /// provider batches).
    async fn create_proxy_users(
        &self,
        _users: &[NewProxyUser],
        _ctx: &WriteContext,
    ) -> Result<Vec<CreatedProxyUser>, ProviderError> {
        Err(ProviderError::unsupported(Capability::CreateProxyUser))
    }

    /// Applies a patch, one upstream call per field where the provider needs it, in
    /// [`crate::domain::proxy_users::PATCH_FIELD_ORDER`]; a failing step answers
    /// [`ProviderError::PartiallyApplied`].
    async fn update_proxy_user(
        &self,
        _upstream_id: &str,
        _patch: &ProxyUserPatch,
        _ctx: &WriteContext,
    ) -> Result<ProxyUser, ProviderError> {
        Err(ProviderError::unsupported(Capability::UpdateLabel))
    }

    /// Sets (911, when given) or rotates the password.
    async fn rotate_password(
        &self,
        _upstream_id: &str,
        _new_password: Option<&secrecy::SecretString>,
        _ctx: &WriteContext,
    ) -> Result<RotatedPassword, ProviderError> {
        Err(ProviderError::unsupported(Capability::RotatePassword))
    }

    /// Deletes a proxy user.
    async fn delete_proxy_user(
        &self,
        _upstream_id: &str,
        _ctx: &WriteContext,
    ) -> Result<(), ProviderError> {
        Err(ProviderError::unsupported(Capability::DeleteProxyUser))
    }

    /// Usage rows for the query (the account's own rows; the service merges accounts).
    async fn usage(&self, _query: &UsageQuery) -> Result<Vec<UsageRow>, ProviderError> {
        Err(ProviderError::unsupported(Capability::Usage))
    }

    /// The window the provider counts when asked for `[from, to)` (default: exactly that).
    fn usage_counted_window(&self, from: OffsetDateTime, to: OffsetDateTime) -> CountedWindow {
        CountedWindow { from, to }
    }

    /// The UTC bounds of a usage day as the provider reports it (default: the UTC day).
    fn usage_day_bounds(&self, day: time::Date) -> (OffsetDateTime, OffsetDateTime) {
        let start = day.midnight().assume_utc();
        (start, start + time::Duration::days(1))
    }

    /// The account's identity, plan and balance.
    async fn account_info(&self) -> Result<AccountInfo, ProviderError> {
        Err(ProviderError::unsupported(Capability::Account))
    }

    /// Every package of the account.
    async fn packages(&self) -> Result<Vec<Package>, ProviderError> {
        Err(ProviderError::unsupported(Capability::Packages))
    }

    /// Totals over the account's packages.
    async fn package_summary(&self) -> Result<PackageSummary, ProviderError> {
        Err(ProviderError::unsupported(Capability::PackageSummary))
    }

    /// One page of the account's whitelist entries matching `filter`.
    async fn list_whitelist(
        &self,
        _filter: &WhitelistFilter,
        _cursor: Option<&str>,
        _limit: u32,
    ) -> Result<WhitelistPage, ProviderError> {
        Err(ProviderError::unsupported(Capability::ListWhitelist))
    }

    /// Whitelists a source IP after checking the provider's rules, duplicates and the scope's
    /// cap (all before the upstream call).
    async fn add_whitelist_entry(
        &self,
        _entry: &NewWhitelistEntry,
        _ctx: &WriteContext,
    ) -> Result<WhitelistEntry, ProviderError> {
        Err(ProviderError::unsupported(Capability::AddWhitelistEntry))
    }

    /// Removes a whitelist entry by its upstream id.
    async fn delete_whitelist_entry(
        &self,
        _upstream_id: &str,
        _ctx: &WriteContext,
    ) -> Result<(), ProviderError> {
        Err(ProviderError::unsupported(Capability::DeleteWhitelistEntry))
    }

    /// Used and allowed entries per whitelist scope matching `filter`.
    async fn whitelist_quota(
        &self,
        _filter: &WhitelistFilter,
    ) -> Result<Vec<WhitelistQuota>, ProviderError> {
        Err(ProviderError::unsupported(Capability::WhitelistQuota))
    }

    /// The connection string for `user` (already looked up) with the requested targeting,
    /// built from the provider's username grammar; no upstream call.
    fn connection(
        &self,
        _user: &ProxyUser,
        _request: &ConnectionRequest,
    ) -> Result<ProxyConnection, ProviderError> {
        Err(ProviderError::unsupported(Capability::ProxyConnection))
    }

    /// A list of proxy endpoints for the request (911 `ip/v3`).
    async fn extract_proxies(
        &self,
        _request: &ExtractRequest,
        _ctx: &WriteContext,
    ) -> Result<Extraction, ProviderError> {
        Err(ProviderError::unsupported(Capability::ExtractProxies))
    }

    /// Where `product` can place an exit IP (an empty list for a product without geo targeting).
    async fn locations(&self, _product: Product) -> Result<Vec<Country>, ProviderError> {
        Err(ProviderError::unsupported(Capability::Locations))
    }

    /// A page of live sticky sessions.
    async fn list_sessions(
        &self,
        _filter: &TrafficFilter,
        _cursor: Option<&str>,
        _limit: u32,
    ) -> Result<ItemPage<StickySession>, ProviderError> {
        Err(ProviderError::unsupported(Capability::ListSessions))
    }

    /// One session with its latest request samples.
    async fn get_session(&self, _upstream_id: &str) -> Result<StickySession, ProviderError> {
        Err(ProviderError::unsupported(Capability::GetSession))
    }

    /// Ends a session early.
    async fn delete_session(
        &self,
        _upstream_id: &str,
        _ctx: &WriteContext,
    ) -> Result<(), ProviderError> {
        Err(ProviderError::unsupported(Capability::DeleteSession))
    }

    /// A page of sampled requests, newest first.
    async fn list_requests(
        &self,
        _filter: &TrafficFilter,
        _cursor: Option<&str>,
        _limit: u32,
    ) -> Result<ItemPage<RequestSample>, ProviderError> {
        Err(ProviderError::unsupported(Capability::ListRequests))
    }

    /// A page of the account's static IPs.
    async fn list_static_ips(
        &self,
        _filter: &StaticIpFilter,
        _cursor: Option<&str>,
        _limit: u32,
    ) -> Result<ItemPage<StaticIp>, ProviderError> {
        Err(ProviderError::unsupported(Capability::ListStaticIps))
    }

    /// Static IPs on sale per country.
    async fn static_ip_availability(
        &self,
        _product: Option<Product>,
        _country: Option<&str>,
    ) -> Result<Vec<Availability>, ProviderError> {
        Err(ProviderError::unsupported(Capability::StaticIpAvailability))
    }

    /// Extends an IP batch by `months`; the batch after.
    async fn renew_ip_batch(
        &self,
        _batch: &str,
        _months: u32,
        _ctx: &WriteContext,
    ) -> Result<Package, ProviderError> {
        Err(ProviderError::unsupported(Capability::RenewIpBatch))
    }

    /// Replaces every IP of a batch; the batch after.
    async fn refresh_ip_batch(
        &self,
        _batch: &str,
        _ctx: &WriteContext,
    ) -> Result<Package, ProviderError> {
        Err(ProviderError::unsupported(Capability::RefreshIpBatch))
    }

    /// Replaces one static IP; the new one.
    async fn replace_static_ip(
        &self,
        _ip: &str,
        _reason: &str,
        _ctx: &WriteContext,
    ) -> Result<StaticIp, ProviderError> {
        Err(ProviderError::unsupported(Capability::ReplaceStaticIp))
    }

    /// The ways the account can pay for an order; with `order` (an upstream order id), those
    /// that order can be paid with.
    async fn payment_methods(
        &self,
        _order: Option<&str>,
    ) -> Result<Vec<PaymentMethod>, ProviderError> {
        Err(ProviderError::unsupported(Capability::PaymentMethods))
    }

    /// The offers the account can use when it buys or tops up.
    async fn promotions(&self) -> Result<Vec<Promotion>, ProviderError> {
        Err(ProviderError::unsupported(Capability::Promotions))
    }

    /// A page of the account's orders.
    async fn list_orders(
        &self,
        _filter: &OrderFilter,
        _cursor: Option<&str>,
        _limit: u32,
    ) -> Result<ItemPage<Order>, ProviderError> {
        Err(ProviderError::unsupported(Capability::ListOrders))
    }

    /// One order by its upstream id.
    async fn get_order(&self, _upstream_id: &str) -> Result<Order, ProviderError> {
        Err(ProviderError::unsupported(Capability::GetOrder))
    }

    /// What a keyed order create journals before its call, so a resumed attempt can find
    /// what the first one placed ([`ProviderAdapter::reconcile_order`]); `None` for providers
    /// with an idempotency of their own (helodata dedupes the forwarded key). Checks the
    /// request first.
    async fn order_watermark(
        &self,
        _request: &OrderRequest,
    ) -> Result<Option<serde_json::Value>, ProviderError> {
        Ok(None)
    }

    /// A resumed order create: the order the first attempt placed, `None` when it placed
    /// none (send again), `OutcomeUnresolved` when what the provider holds does not tell.
    async fn reconcile_order(
        &self,
        _mark: &serde_json::Value,
    ) -> Result<Option<Order>, ProviderError> {
        Ok(None)
    }

    /// Places an order (sent once; see `order_watermark` for how a retry stays exactly-once).
    async fn create_order(
        &self,
        _request: &OrderRequest,
        _ctx: &WriteContext,
    ) -> Result<Order, ProviderError> {
        Err(ProviderError::unsupported(Capability::CreateOrder))
    }

    /// Creates a subscription (forwarded with the write's key where the provider dedupes).
    async fn create_subscription(
        &self,
        _new: &NewSubscription,
        _ctx: &WriteContext,
    ) -> Result<Subscription, ProviderError> {
        Err(ProviderError::unsupported(Capability::CreateSubscription))
    }

    /// One subscription by its upstream id.
    async fn get_subscription(&self, _upstream_id: &str) -> Result<Subscription, ProviderError> {
        Err(ProviderError::unsupported(Capability::GetSubscription))
    }

    /// Changes a subscription from its next renewal; the subscription after.
    async fn update_subscription(
        &self,
        _upstream_id: &str,
        _patch: &SubscriptionPatch,
        _ctx: &WriteContext,
    ) -> Result<Subscription, ProviderError> {
        Err(ProviderError::unsupported(Capability::UpdateSubscription))
    }

    /// Pauses or cancels a subscription's renewal; the subscription after.
    async fn stop_subscription(
        &self,
        _upstream_id: &str,
        stop: SubscriptionStop,
        _ctx: &WriteContext,
    ) -> Result<Subscription, ProviderError> {
        Err(ProviderError::unsupported(match stop {
            SubscriptionStop::Pause => Capability::PauseSubscription,
            SubscriptionStop::Cancel => Capability::CancelSubscription,
        }))
    }

    /// The account's reports, when the provider has them (see `reports.rs`).
    fn reports(&self) -> Option<&dyn ReportsAdapter> {
        None
    }

    /// Direct calls to the account's API, when the provider allows them (see `passthrough.rs`).
    fn passthrough(&self) -> Option<&dyn PassthroughAdapter> {
        None
    }

    /// A page of the account's invoices.
    async fn list_invoices(
        &self,
        _filter: &InvoiceFilter,
        _cursor: Option<&str>,
        _limit: u32,
    ) -> Result<ItemPage<Invoice>, ProviderError> {
        Err(ProviderError::unsupported(Capability::ListInvoices))
    }

    /// One invoice by its upstream id.
    async fn get_invoice(&self, _upstream_id: &str) -> Result<Invoice, ProviderError> {
        Err(ProviderError::unsupported(Capability::GetInvoice))
    }

    /// An invoice's PDF, streamed.
    async fn invoice_pdf(&self, _upstream_id: &str) -> Result<Download, ProviderError> {
        Err(ProviderError::unsupported(Capability::InvoicePdf))
    }

    /// Cancels an order not yet paid; the order after.
    async fn cancel_order(
        &self,
        _upstream_id: &str,
        _ctx: &WriteContext,
    ) -> Result<Order, ProviderError> {
        Err(ProviderError::unsupported(Capability::CancelOrder))
    }
}
