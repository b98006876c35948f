//! The published names of the normalized operations (`GET /v1/providers` capabilities and
//! the operation a 501 names), as an enum the OpenAPI document lists.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::providers::Capability;

/// A normalized operation a provider account may support; an operation an account lacks
/// answers 501 `unsupported_by_provider` naming it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum CapabilityName {
    /// `GET /v1/proxy-users`.
    #[serde(rename = "proxy_users.list")]
    ListProxyUsers,
    /// `GET /v1/proxy-users/{id}`.
    #[serde(rename = "proxy_users.get")]
    GetProxyUser,
    /// `POST /v1/proxy-users`.
    #[serde(rename = "proxy_users.create")]
    CreateProxyUser,
    /// `POST /v1/proxy-users/batch`.
    #[serde(rename = "proxy_users.create_batch")]
    CreateProxyUsersBatch,
    /// `PATCH` of `label`.
    #[serde(rename = "proxy_users.update.label")]
    UpdateLabel,
    /// `PATCH` of `status`.
    #[serde(rename = "proxy_users.update.status")]
    UpdateStatus,
    /// `PATCH` of `traffic_limit_bytes`.
    #[serde(rename = "proxy_users.update.traffic_limit_bytes")]
    UpdateTrafficLimit,
    /// `PATCH` of `concurrency_max` / `rps_max`.
    #[serde(rename = "proxy_users.update.rate_limits")]
    UpdateRateLimits,
    /// `PATCH` of `password` (a chosen password).
    #[serde(rename = "proxy_users.update.password")]
    SetPassword,
    /// `POST /v1/proxy-users/{id}/rotate-password`.
    #[serde(rename = "proxy_users.rotate_password")]
    RotatePassword,
    /// `DELETE /v1/proxy-users/{id}`.
    #[serde(rename = "proxy_users.delete")]
    DeleteProxyUser,
    /// `GET /v1/usage`.
    #[serde(rename = "usage.get")]
    Usage,
    /// `GET /v1/usage` with a detailed grouping (hour, region, asn, tag, ip, ip_batch) or a
    /// region or tag filter.
    #[serde(rename = "usage.detail")]
    UsageDetail,
    /// `GET /v1/account`.
    #[serde(rename = "account.get")]
    Account,
    /// `GET /v1/packages`.
    #[serde(rename = "packages.list")]
    Packages,
    /// `GET /v1/packages/summary`.
    #[serde(rename = "packages.summary")]
    PackageSummary,
    /// `GET /v1/whitelist-entries`.
    #[serde(rename = "whitelist_entries.list")]
    ListWhitelist,
    /// `POST /v1/whitelist-entries`.
    #[serde(rename = "whitelist_entries.create")]
    AddWhitelistEntry,
    /// `DELETE /v1/whitelist-entries/{id}`.
    #[serde(rename = "whitelist_entries.delete")]
    DeleteWhitelistEntry,
    /// `GET /v1/whitelist-entries/quota`.
    #[serde(rename = "whitelist_entries.quota")]
    WhitelistQuota,
    /// A whitelist entry may cover the whole account, per product (no `proxy_user` or
    /// `ip_batch`).
    #[serde(rename = "whitelist_entries.scope.account")]
    WhitelistScopeAccount,
    /// A whitelist entry may belong to one proxy user (`proxy_user`).
    #[serde(rename = "whitelist_entries.scope.proxy_user")]
    WhitelistScopeProxyUser,
    /// A whitelist entry may belong to one IP batch (`ip_batch`).
    #[serde(rename = "whitelist_entries.scope.ip_batch")]
    WhitelistScopeIpBatch,
    /// `POST /v1/proxies/connection`.
    #[serde(rename = "proxies.connection")]
    ProxyConnection,
    /// `POST /v1/proxies/connection?include=password` (the provider lists passwords).
    #[serde(rename = "proxies.connection.password")]
    ConnectionPassword,
    /// `POST /v1/proxies/extract`.
    #[serde(rename = "proxies.extract")]
    ExtractProxies,
    /// `GET /v1/locations/countries|states|cities`.
    #[serde(rename = "locations.list")]
    Locations,
    /// `GET /v1/sessions`.
    #[serde(rename = "sessions.list")]
    ListSessions,
    /// `GET /v1/sessions/{id}`.
    #[serde(rename = "sessions.get")]
    GetSession,
    /// `DELETE /v1/sessions/{id}`.
    #[serde(rename = "sessions.delete")]
    DeleteSession,
    /// `GET /v1/requests`.
    #[serde(rename = "requests.list")]
    ListRequests,
    /// `GET /v1/static-ips`.
    #[serde(rename = "static_ips.list")]
    ListStaticIps,
    /// `GET /v1/static-ips/availability`.
    #[serde(rename = "static_ips.availability")]
    StaticIpAvailability,
    /// `POST /v1/ip-batches/{id}/renew`.
    #[serde(rename = "ip_batches.renew")]
    RenewIpBatch,
    /// `POST /v1/ip-batches/{id}/refresh`.
    #[serde(rename = "ip_batches.refresh")]
    RefreshIpBatch,
    /// `POST /v1/static-ips/{id}/replace`.
    #[serde(rename = "static_ips.replace")]
    ReplaceStaticIp,
    /// `GET /v1/payment-methods`.
    #[serde(rename = "payment_methods.list")]
    PaymentMethods,
    /// `GET /v1/promotions`.
    #[serde(rename = "promotions.list")]
    Promotions,
    /// `GET /v1/orders`.
    #[serde(rename = "orders.list")]
    ListOrders,
    /// `GET /v1/orders/{id}`.
    #[serde(rename = "orders.get")]
    GetOrder,
    /// `POST /v1/orders`.
    #[serde(rename = "orders.create")]
    CreateOrder,
    /// `POST /v1/orders/{id}/cancel`.
    #[serde(rename = "orders.cancel")]
    CancelOrder,
    /// `POST /v1/subscriptions`.
    #[serde(rename = "subscriptions.create")]
    CreateSubscription,
    /// `GET /v1/subscriptions/{id}`.
    #[serde(rename = "subscriptions.get")]
    GetSubscription,
    /// `PATCH /v1/subscriptions/{id}`.
    #[serde(rename = "subscriptions.update")]
    UpdateSubscription,
    /// `POST /v1/subscriptions/{id}/pause`.
    #[serde(rename = "subscriptions.pause")]
    PauseSubscription,
    /// `POST /v1/subscriptions/{id}/cancel`.
    #[serde(rename = "subscriptions.cancel")]
    CancelSubscription,
    /// `GET /v1/invoices`.
    #[serde(rename = "invoices.list")]
    ListInvoices,
    /// `GET /v1/invoices/{id}`.
    #[serde(rename = "invoices.get")]
    GetInvoice,
    /// `GET /v1/invoices/{id}/pdf`.
    #[serde(rename = "invoices.pdf")]
    InvoicePdf,
    /// `GET /v1/reports`.
    #[serde(rename = "reports.list")]
    ListReports,
    /// `POST /v1/reports`.
    #[serde(rename = "reports.create")]
    CreateReport,
    /// `GET /v1/reports/{id}`.
    #[serde(rename = "reports.get")]
    GetReport,
    /// `PATCH /v1/reports/{id}`.
    #[serde(rename = "reports.update")]
    UpdateReport,
    /// `DELETE /v1/reports/{id}`.
    #[serde(rename = "reports.delete")]
    DeleteReport,
    /// `POST /v1/reports/{id}/run`.
    #[serde(rename = "reports.run")]
    RunReport,
    /// `GET /v1/report-runs/{id}`.
    #[serde(rename = "report_runs.get")]
    GetReportRun,
    /// `GET /v1/report-runs/{id}/download`.
    #[serde(rename = "report_runs.download")]
    DownloadReportRun,
    /// `POST /v1/providers/{name}/passthrough`.
    #[serde(rename = "providers.passthrough")]
    Passthrough,
}

impl From<Capability> for CapabilityName {
    fn from(c: Capability) -> Self {
        match c {
            Capability::ListProxyUsers => CapabilityName::ListProxyUsers,
            Capability::GetProxyUser => CapabilityName::GetProxyUser,
            Capability::CreateProxyUser => CapabilityName::CreateProxyUser,
            Capability::CreateProxyUsersBatch => CapabilityName::CreateProxyUsersBatch,
            Capability::UpdateLabel => CapabilityName::UpdateLabel,
            Capability::UpdateStatus => CapabilityName::UpdateStatus,
            Capability::UpdateTrafficLimit => CapabilityName::UpdateTrafficLimit,
            Capability::UpdateRateLimits => CapabilityName::UpdateRateLimits,
            Capability::SetPassword => CapabilityName::SetPassword,
            Capability::RotatePassword => CapabilityName::RotatePassword,
            Capability::DeleteProxyUser => CapabilityName::DeleteProxyUser,
            Capability::Usage => CapabilityName::Usage,
            Capability::UsageDetail => CapabilityName::UsageDetail,
            Capability::Account => CapabilityName::Account,
            Capability::Packages => CapabilityName::Packages,
            Capability::PackageSummary => CapabilityName::PackageSummary,
            Capability::ListWhitelist => CapabilityName::ListWhitelist,
            Capability::AddWhitelistEntry => CapabilityName::AddWhitelistEntry,
            Capability::DeleteWhitelistEntry => CapabilityName::DeleteWhitelistEntry,
            Capability::WhitelistQuota => CapabilityName::WhitelistQuota,
            Capability::WhitelistScopeAccount => CapabilityName::WhitelistScopeAccount,
            Capability::WhitelistScopeProxyUser => CapabilityName::WhitelistScopeProxyUser,
            Capability::WhitelistScopeIpBatch => CapabilityName::WhitelistScopeIpBatch,
            Capability::ProxyConnection => CapabilityName::ProxyConnection,
            Capability::ConnectionPassword => CapabilityName::ConnectionPassword,
            Capability::ExtractProxies => CapabilityName::ExtractProxies,
            Capability::Locations => CapabilityName::Locations,
            Capability::ListSessions => CapabilityName::ListSessions,
            Capability::GetSession => CapabilityName::GetSession,
            Capability::DeleteSession => CapabilityName::DeleteSession,
            Capability::ListRequests => CapabilityName::ListRequests,
            Capability::ListStaticIps => CapabilityName::ListStaticIps,
            Capability::StaticIpAvailability => CapabilityName::StaticIpAvailability,
            Capability::RenewIpBatch => CapabilityName::RenewIpBatch,
            Capability::RefreshIpBatch => CapabilityName::RefreshIpBatch,
            Capability::ReplaceStaticIp => CapabilityName::ReplaceStaticIp,
            Capability::PaymentMethods => CapabilityName::PaymentMethods,
            Capability::Promotions => CapabilityName::Promotions,
            Capability::ListOrders => CapabilityName::ListOrders,
            Capability::GetOrder => CapabilityName::GetOrder,
            Capability::CreateOrder => CapabilityName::CreateOrder,
            Capability::CancelOrder => CapabilityName::CancelOrder,
            Capability::CreateSubscription => CapabilityName::CreateSubscription,
            Capability::GetSubscription => CapabilityName::GetSubscription,
            Capability::UpdateSubscription => CapabilityName::UpdateSubscription,
            Capability::PauseSubscription => CapabilityName::PauseSubscription,
            Capability::CancelSubscription => CapabilityName::CancelSubscription,
            Capability::ListInvoices => CapabilityName::ListInvoices,
            Capability::GetInvoice => CapabilityName::GetInvoice,
            Capability::InvoicePdf => CapabilityName::InvoicePdf,
            Capability::ListReports => CapabilityName::ListReports,
            Capability::CreateReport => CapabilityName::CreateReport,
            Capability::GetReport => CapabilityName::GetReport,
            Capability::UpdateReport => CapabilityName::UpdateReport,
            Capability::DeleteReport => CapabilityName::DeleteReport,
            Capability::RunReport => CapabilityName::RunReport,
            Capability::GetReportRun => CapabilityName::GetReportRun,
            Capability::DownloadReportRun => CapabilityName::DownloadReportRun,
            Capability::Passthrough => CapabilityName::Passthrough,
        }
    }
}
