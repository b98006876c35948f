//! What the gateway knows of providers in general, without naming any one of them: which
//! provider an account is at, the normalized operations an adapter may support, and the state
//! of an account's circuit breaker. The providers themselves are registered in
//! `providers::registry`.

use std::fmt;

/// Which provider an account is at: the provider's published name (`kind` in configuration,
/// `provider` in responses), fixed by its adapter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProviderKind(&'static str);

impl ProviderKind {
    /// The kind named `name`; each adapter declares its own.
    pub const fn new(name: &'static str) -> ProviderKind {
        ProviderKind(name)
    }

    /// The published name.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Display for ProviderKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// A normalized operation an adapter may support; `GET /v1/providers` publishes the list and
/// anything else answers 501 `unsupported_by_provider`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Capability {
    /// `GET /v1/proxy-users`.
    ListProxyUsers,
    /// `GET /v1/proxy-users/{id}`.
    GetProxyUser,
    /// `POST /v1/proxy-users`.
    CreateProxyUser,
    /// `POST /v1/proxy-users/batch`.
    CreateProxyUsersBatch,
    /// `PATCH` of `label`.
    UpdateLabel,
    /// `PATCH` of `status`.
    UpdateStatus,
    /// `PATCH` of `traffic_limit_bytes`.
    UpdateTrafficLimit,
    /// `PATCH` of `concurrency_max` / `rps_max`.
    UpdateRateLimits,
    /// `PATCH` of `password` (a chosen password).
    SetPassword,
    /// `POST /v1/proxy-users/{id}/rotate-password`.
    RotatePassword,
    /// `DELETE /v1/proxy-users/{id}`.
    DeleteProxyUser,
    /// `GET /v1/usage`.
    Usage,
    /// `GET /v1/usage` grouped by hour, region, ASN, tag, IP or IP batch, or filtered by
    /// region or tag.
    UsageDetail,
    /// `GET /v1/account`.
    Account,
    /// `GET /v1/packages`.
    Packages,
    /// `GET /v1/packages/summary`.
    PackageSummary,
    /// `GET /v1/whitelist-entries`.
    ListWhitelist,
    /// `POST /v1/whitelist-entries`.
    AddWhitelistEntry,
    /// `DELETE /v1/whitelist-entries/{id}`.
    DeleteWhitelistEntry,
    /// `GET /v1/whitelist-entries/quota`.
    WhitelistQuota,
    /// A whitelist entry may cover the whole account (per product): 911Proxy.
    WhitelistScopeAccount,
    /// A whitelist entry may belong to one proxy user: helodata.
    WhitelistScopeProxyUser,
    /// A whitelist entry may belong to one IP batch: helodata.
    WhitelistScopeIpBatch,
    /// `POST /v1/proxies/connection`.
    ProxyConnection,
    /// `POST /v1/proxies/connection?include=password`: the provider lists the password.
    ConnectionPassword,
    /// `POST /v1/proxies/extract`.
    ExtractProxies,
    /// `GET /v1/locations/…`.
    Locations,
    /// `GET /v1/sessions`.
    ListSessions,
    /// `GET /v1/sessions/{id}`.
    GetSession,
    /// `DELETE /v1/sessions/{id}`.
    DeleteSession,
    /// `GET /v1/requests`.
    ListRequests,
    /// `GET /v1/static-ips`.
    ListStaticIps,
    /// `GET /v1/static-ips/availability`.
    StaticIpAvailability,
    /// `POST /v1/ip-batches/{id}/renew`.
    RenewIpBatch,
    /// `POST /v1/ip-batches/{id}/refresh`.
    RefreshIpBatch,
    /// `POST /v1/static-ips/{id}/replace`.
    ReplaceStaticIp,
    /// `GET /v1/payment-methods`.
    PaymentMethods,
    /// `GET /v1/promotions`.
    Promotions,
    /// `GET /v1/orders`.
    ListOrders,
    /// `GET /v1/orders/{id}`.
    GetOrder,
    /// `POST /v1/orders`.
    CreateOrder,
    /// `POST /v1/orders/{id}/cancel`.
    CancelOrder,
    /// `POST /v1/subscriptions`.
    CreateSubscription,
    /// `GET /v1/subscriptions/{id}`.
    GetSubscription,
    /// `PATCH /v1/subscriptions/{id}`.
    UpdateSubscription,
    /// `POST /v1/subscriptions/{id}/pause`.
    PauseSubscription,
    /// `POST /v1/subscriptions/{id}/cancel`.
    CancelSubscription,
    /// `GET /v1/invoices`.
    ListInvoices,
    /// `GET /v1/invoices/{id}`.
    GetInvoice,
    /// `GET /v1/invoices/{id}/pdf`.
    InvoicePdf,
    /// `GET /v1/reports`.
    ListReports,
    /// `POST /v1/reports`.
    CreateReport,
    /// `GET /v1/reports/{id}`.
    GetReport,
    /// `PATCH /v1/reports/{id}`.
    UpdateReport,
    /// `DELETE /v1/reports/{id}`.
    DeleteReport,
    /// `POST /v1/reports/{id}/run`.
    RunReport,
    /// `GET /v1/report-runs/{id}`.
    GetReportRun,
    /// `GET /v1/report-runs/{id}/download`.
    DownloadReportRun,
    /// `POST /v1/providers/{name}/passthrough`.
    Passthrough,
}

impl Capability {
    /// The operation's name as published and as named in 501 errors.
    pub fn as_str(self) -> &'static str {
        match self {
            Capability::ListProxyUsers => "proxy_users.list",
            Capability::GetProxyUser => "proxy_users.get",
            Capability::CreateProxyUser => "proxy_users.create",
            Capability::CreateProxyUsersBatch => "proxy_users.create_batch",
            Capability::UpdateLabel => "proxy_users.update.label",
            Capability::UpdateStatus => "proxy_users.update.status",
            Capability::UpdateTrafficLimit => "proxy_users.update.traffic_limit_bytes",
            Capability::UpdateRateLimits => "proxy_users.update.rate_limits",
            Capability::SetPassword => "proxy_users.update.password",
            Capability::RotatePassword => "proxy_users.rotate_password",
            Capability::DeleteProxyUser => "proxy_users.delete",
            Capability::Usage => "usage.get",
            Capability::UsageDetail => "usage.detail",
            Capability::Account => "account.get",
            Capability::Packages => "packages.list",
            Capability::PackageSummary => "packages.summary",
            Capability::ListWhitelist => "whitelist_entries.list",
            Capability::AddWhitelistEntry => "whitelist_entries.create",
            Capability::DeleteWhitelistEntry => "whitelist_entries.delete",
            Capability::WhitelistQuota => "whitelist_entries.quota",
            Capability::WhitelistScopeAccount => "whitelist_entries.scope.account",
            Capability::WhitelistScopeProxyUser => "whitelist_entries.scope.proxy_user",
            Capability::WhitelistScopeIpBatch => "whitelist_entries.scope.ip_batch",
            Capability::ProxyConnection => "proxies.connection",
            Capability::ConnectionPassword => "proxies.connection.password",
            Capability::ExtractProxies => "proxies.extract",
            Capability::Locations => "locations.list",
            Capability::ListSessions => "sessions.list",
            Capability::GetSession => "sessions.get",
            Capability::DeleteSession => "sessions.delete",
            Capability::ListRequests => "requests.list",
            Capability::ListStaticIps => "static_ips.list",
            Capability::StaticIpAvailability => "static_ips.availability",
            Capability::RenewIpBatch => "ip_batches.renew",
            Capability::RefreshIpBatch => "ip_batches.refresh",
            Capability::ReplaceStaticIp => "static_ips.replace",
            Capability::PaymentMethods => "payment_methods.list",
            Capability::Promotions => "promotions.list",
            Capability::ListOrders => "orders.list",
            Capability::GetOrder => "orders.get",
            Capability::CreateOrder => "orders.create",
            Capability::CancelOrder => "orders.cancel",
            Capability::CreateSubscription => "subscriptions.create",
            Capability::GetSubscription => "subscriptions.get",
            Capability::UpdateSubscription => "subscriptions.update",
            Capability::PauseSubscription => "subscriptions.pause",
            Capability::CancelSubscription => "subscriptions.cancel",
            Capability::ListInvoices => "invoices.list",
            Capability::GetInvoice => "invoices.get",
            Capability::InvoicePdf => "invoices.pdf",
            Capability::ListReports => "reports.list",
            Capability::CreateReport => "reports.create",
            Capability::GetReport => "reports.get",
            Capability::UpdateReport => "reports.update",
            Capability::DeleteReport => "reports.delete",
            Capability::RunReport => "reports.run",
            Capability::GetReportRun => "report_runs.get",
            Capability::DownloadReportRun => "report_runs.download",
            Capability::Passthrough => "providers.passthrough",
        }
    }
}

/// The state of an account's circuit breaker, as published by `GET /v1/providers` and metrics.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    /// Calls flow.
    Closed,
    /// Calls fail fast until the cooldown ends.
    Open,
    /// One probe call is in flight; others fail fast.
    HalfOpen,
}

impl BreakerState {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }
}
