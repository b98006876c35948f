//! The helodata adapter: the gateway's normalized operations on helodata REST v1
//! (`shared/providers/helodata-v1-reference.md`, sections cited as §n), over the shared
//! [`UpstreamClient`].
//!
//! - [`client`]: the calls (bearer token, `Idempotency-Key`, retry mode) and the one error
//!   classification.
//! - [`wire`]: helodata's JSON as documented.
//! - [`map`]: units, enums, ids, times, cursors; pure and unit-tested.
//!
//! Proxy users are helodata sub-users: the id is `<account>:<sub_… id>`, the username their
//! server-issued `name`. helodata issues usernames and passwords itself, has no per-sub-user
//! traffic quota (§11) and no batch create: a batch is one `POST /subusers` per user.

mod client;
mod map;
mod wire;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use async_trait::async_trait;
use futures::future::try_join_all;
use reqwest::Method;
use secrecy::SecretString;
use serde_json::Value;
use time::OffsetDateTime;

use self::client::{Answer, Client, parse, require_json};
use super::registry::AdapterSettings;
use super::{
    Capability, FailureKind, ProviderAdapter, ProviderError, ProviderKind, ProxyUserPage,
    UpstreamFailure, WriteContext,
};
use crate::domain::account::{AccountInfo, Money};
use crate::domain::packages::{Package, PackageKind, PackageStatus, PackageSummary};
use crate::domain::products::Product;
use crate::domain::proxy_users::{
    Change, CreatedProxyUser, NewProxyUser, ProxyUser, ProxyUserFilter, ProxyUserId,
    ProxyUserPatch, RotatedPassword,
};
use crate::domain::usage::{UsageGroupBy, UsageQuery, UsageRow};
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
    Capability::Account,
    Capability::Packages,
    Capability::PackageSummary,
];

/// helodata's largest page. The maximum `limit` is not documented (§11); 100 is the largest
/// value in a documented example (I-STAT) and the simulator's maximum.
const UPSTREAM_MAX_LIMIT: u32 = 100;

/// At most this many helodata pages per gateway page: a filter matching almost nothing still
/// answers in bounded time, with a cursor to go on from.
const MAX_UPSTREAM_PAGES: usize = 50;

/// Why a traffic limit is refused.
const NO_QUOTA: &str = "helodata has no per-sub-user traffic quota: every sub-user draws on the \
                        account's pool for the product (reference §5.2, §11)";

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

    /// One helodata list page: its raw items and the next cursor (body `next_cursor`, else the
    /// `Link` header, §10.7).
    async fn page(
        &self,
        path: &str,
        mut query: Vec<(&str, String)>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Value>, Option<String>), UpstreamFailure> {
        query.push(("limit", limit.to_string()));
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor.to_string()));
        }
        let Answer { json, headers } = self.client.get(path, &query).await?;
        let json = json.ok_or_else(|| client::malformed(200, None, "the list has no body"))?;
        let envelope: wire::ListEnvelope = parse(&json, "list envelope")?;
        let next = envelope.next_cursor.filter(|c| !c.is_empty()).or_else(|| {
            headers
                .get(reqwest::header::LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(map::next_cursor_from_link)
        });
        if next.is_some() && next.as_deref() == cursor {
            return Err(client::malformed(
                200,
                None,
                "the list answered the same cursor it was given",
            ));
        }
        Ok((envelope.data, next))
    }

    /// Every item of a list, page by page.
    async fn all(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<Value>, UpstreamFailure> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let (page, next) = self
                .page(path, query.to_vec(), cursor.as_deref(), UPSTREAM_MAX_LIMIT)
                .await?;
            items.extend(page);
            match next {
                Some(next) => cursor = Some(next),
                None => return Ok(items),
            }
        }
    }

    /// One product's traffic rows.
    async fn traffic(
        &self,
        product: Product,
        query: &UsageQuery,
        group_by: Option<&'static str>,
    ) -> Result<Vec<wire::TrafficRow>, UpstreamFailure> {
        let name = map::product_to_wire(product).unwrap_or("residential");
        let mut params = vec![
            ("from", map::format_time(query.from)),
            ("to", map::format_time(query.to)),
        ];
        if let Some(dim) = group_by {
            params.push(("group_by", dim.to_string()));
        }
        if let Some(user) = &query.proxy_user {
            params.push(("subuser", user.upstream.clone()));
        }
        let json = require_json(
            self.client
                .get(&format!("/{name}/traffic"), &params)
                .await?,
        )?;
        Ok(parse::<wire::Traffic>(&json, "traffic")?.rows)
    }

    /// Rows keyed by proxy user: the `subuser` key may be the `sub_` id (TRF) or the name
    /// (R-STAT), §10.3; ISP traffic cannot be grouped by sub-user (§5.6 lists `ip`, `batch`,
    /// `target_domain`, `day`), so it is grouped by batch and each batch's bound sub-user taken
    /// from `GET /isp/batches` [I: batches carry `subuser`].
    async fn usage_by_user(
        &self,
        query: &UsageQuery,
        products: &[Product],
    ) -> Result<Vec<UsageRow>, ProviderError> {
        let calls = products.iter().map(|p| async move {
            let dim = if *p == Product::Isp {
                "batch"
            } else {
                "subuser"
            };
            self.traffic(*p, query, Some(dim))
                .await
                .map(|rows| (*p, rows))
        });
        let results = try_join_all(calls).await?;
        let batch_owners: HashMap<String, Option<String>> = if products.contains(&Product::Isp) {
            self.all("/isp/batches", &[])
                .await?
                .iter()
                .filter_map(|raw| serde_json::from_value::<wire::IspBatch>(raw.clone()).ok())
                .map(|b| (b.id, b.subuser))
                .collect()
        } else {
            HashMap::new()
        };
        let mut keyed: Vec<(Option<String>, UsageRow)> = Vec::new();
        for (product, rows) in &results {
            for row in rows {
                let key = if *product == Product::Isp {
                    row.batch
                        .as_ref()
                        .and_then(|b| batch_owners.get(b).cloned().flatten())
                } else {
                    row.subuser.clone()
                };
                keyed.push((key, map::usage_row(self.account(), row)));
            }
        }
        // Names are resolved through the sub-user list, fetched only when a name shows up.
        let needs_names = keyed
            .iter()
            .any(|(k, _)| k.as_deref().is_some_and(|k| !k.starts_with("sub_")));
        let names: HashMap<String, String> = if needs_names {
            self.all("/subusers", &[])
                .await?
                .iter()
                .filter_map(|raw| serde_json::from_value::<wire::SubUser>(raw.clone()).ok())
                .map(|s| (s.name, s.id))
                .collect()
        } else {
            HashMap::new()
        };
        Ok(map::rows_by_user(self.account(), keyed, &names))
    }

    fn validate_new(users: &[NewProxyUser]) -> Result<Vec<wire::CreateSubUser>, ProviderError> {
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

    fn patch_body(patch: &ProxyUserPatch) -> Result<wire::PatchSubUser, ProviderError> {
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
}

/// A cap of 0 would refuse every proxy request (D-SUB); the upper bound is the plan's (§4) and
/// is left to helodata.
fn check_cap(value: Option<u32>, field: &str) -> Result<(), ProviderError> {
    match value {
        Some(0) => Err(ProviderError::invalid(field, "must be at least 1")),
        _ => Ok(()),
    }
}

/// The key forwarded on a single write.
fn write_key(ctx: &WriteContext) -> Option<String> {
    ctx.upstream_idempotency_key
        .as_deref()
        .map(map::fit_idempotency_key)
}

#[async_trait]
impl ProviderAdapter for HelodataAdapter {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Helodata
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

    /// `product`, `status` and `label_contains` are filtered by helodata; `username_prefix` and
    /// the final [`ProxyUserFilter::matches`] here, fetching on until `limit` users or the end.
    async fn list_proxy_users(
        &self,
        filter: &ProxyUserFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ProxyUserPage, ProviderError> {
        let limit = limit.max(1);
        let mut position = match cursor {
            Some(text) => {
                map::ListCursor::decode(text).map_err(|m| ProviderError::invalid("cursor", m))?
            }
            None => map::ListCursor::default(),
        };
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(product) = filter.product {
            match map::product_to_wire(product) {
                Some(name) => query.push(("product", name.to_string())),
                // helodata sells no such product: no sub-user can have it.
                None => {
                    return Ok(ProxyUserPage {
                        users: Vec::new(),
                        next_cursor: None,
                    });
                }
            }
        }
        if let Some(status) = filter.status {
            query.push(("status", map::status_to_wire(status).to_string()));
        }
        if let Some(needle) = filter.label_contains.as_ref().filter(|n| !n.is_empty()) {
            query.push(("label_contains", needle.clone()));
        }
        let filters_locally = filter.username_prefix.is_some();
        let mut users = Vec::new();
        for _ in 0..MAX_UPSTREAM_PAGES {
            let wanted = limit - users.len() as u32;
            let page_limit = if filters_locally {
                UPSTREAM_MAX_LIMIT
            } else {
                (position.skip + wanted).min(UPSTREAM_MAX_LIMIT)
            };
            let (items, next) = self
                .page(
                    "/subusers",
                    query.clone(),
                    position.upstream.as_deref(),
                    page_limit,
                )
                .await?;
            let parsed = items
                .iter()
                .map(|raw| self.user(raw))
                .collect::<Result<Vec<_>, _>>()?;
            let ids: Vec<&str> = parsed.iter().map(|u| u.id.upstream.as_str()).collect();
            let start = position.resume_index(&ids);
            for (index, user) in parsed.iter().enumerate().skip(start) {
                if filter.matches(user) {
                    users.push(user.clone());
                }
                if users.len() as u32 == limit {
                    let rest = if index + 1 < parsed.len() {
                        Some(map::ListCursor {
                            upstream: position.upstream.clone(),
                            skip: (index + 1) as u32,
                            last_id: Some(user.id.upstream.clone()),
                        })
                    } else {
                        next.map(|n| map::ListCursor {
                            upstream: Some(n),
                            ..Default::default()
                        })
                    };
                    return Ok(ProxyUserPage {
                        users,
                        next_cursor: rest.map(|c| c.encode()),
                    });
                }
            }
            match next {
                Some(n) => {
                    position = map::ListCursor {
                        upstream: Some(n),
                        ..Default::default()
                    }
                }
                None => {
                    return Ok(ProxyUserPage {
                        users,
                        next_cursor: None,
                    });
                }
            }
        }
        Ok(ProxyUserPage {
            users,
            next_cursor: Some(position.encode()),
        })
    }

    async fn get_proxy_user(&self, upstream_id: &str) -> Result<ProxyUser, ProviderError> {
        self.fetch_user(upstream_id).await
    }

    /// Validates every user first, then one `POST /subusers` per user (helodata has no batch
    /// endpoint, §5.2), in order. A batch forwards `<key>-<index>`, so retrying the whole
    /// batch with the same key replays the users already created (with their passwords) and
    /// creates the rest.
    async fn create_proxy_users(
        &self,
        users: &[NewProxyUser],
        ctx: &WriteContext,
    ) -> Result<Vec<CreatedProxyUser>, ProviderError> {
        let bodies = Self::validate_new(users)?;
        let batch = bodies.len() > 1;
        let mut created = Vec::with_capacity(bodies.len());
        for (index, body) in bodies.into_iter().enumerate() {
            let key = ctx
                .upstream_idempotency_key
                .as_deref()
                .map(|k| map::item_idempotency_key(k, index, batch));
            let json = serde_json::to_value(&body).unwrap_or(Value::Null);
            let answer = self
                .client
                .write(Method::POST, "/subusers", Some(json), key.as_deref())
                .await
                .map_err(|mut failure| {
                    if batch {
                        failure.field = failure.field.map(|f| format!("users[{index}].{f}"));
                    }
                    if index > 0 {
                        tracing::warn!(
                            account = %self.account(),
                            created = index,
                            "helodata batch create stopped part-way; retry with the same key to resume"
                        );
                    }
                    ProviderError::from(failure)
                })?;
            let raw = require_json(answer)?;
            let issued: wire::CreatedSubUser = parse(&raw, "create response")?;
            // The create response lacks status, limits and created_at (§5.2): read the user
            // back; if that read fails, answer what the create response says rather than lose
            // the password, which is shown only once.
            let user = match self.fetch_user(&issued.id).await {
                Ok(user) => user,
                Err(err) => {
                    tracing::warn!(account = %self.account(), id = %issued.id, error = %err, "reading a created sub-user back failed");
                    let mut partial = raw.clone();
                    if let Some(obj) = partial.as_object_mut() {
                        // New sub-users start active [I, §5.2; the simulator does].
                        obj.entry("status").or_insert_with(|| "active".into());
                    }
                    self.user(&partial)?
                }
            };
            created.push(CreatedProxyUser {
                user,
                password: SecretString::from(issued.password),
            });
        }
        Ok(created)
    }

    /// One `PATCH /subusers/{id}` with every requested field (all or nothing upstream).
    async fn update_proxy_user(
        &self,
        upstream_id: &str,
        patch: &ProxyUserPatch,
        ctx: &WriteContext,
    ) -> Result<ProxyUser, ProviderError> {
        let body = Self::patch_body(patch)?;
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

    /// `POST /subusers/{id}/rotate-password`; the old password keeps working for 60 s (D-SUB,
    /// T-407). The user is read first: rotation changes none of its listed fields, and a
    /// failed read afterwards would lose the new password.
    async fn rotate_password(
        &self,
        upstream_id: &str,
        new_password: Option<&SecretString>,
        ctx: &WriteContext,
    ) -> Result<RotatedPassword, ProviderError> {
        if new_password.is_some() {
            return Err(ProviderError::unsupported_because(
                Capability::SetPassword,
                "helodata issues passwords itself; rotate without a password to get a new one",
            ));
        }
        let user = self.fetch_user(upstream_id).await?;
        let answer = self
            .client
            .write(
                Method::POST,
                &format!("/subusers/{upstream_id}/rotate-password"),
                None,
                write_key(ctx).as_deref(),
            )
            .await
            .map_err(|f| self.on_subuser(upstream_id, f))?;
        let raw = require_json(answer)?;
        let rotated: wire::RotatedPassword = parse(&raw, "rotate-password response")?;
        // The response shape is not documented (§5.2 [I]); if it is the full object, use it.
        let user = self.user(&raw).unwrap_or(user);
        Ok(RotatedPassword {
            user,
            password: SecretString::from(rotated.password),
            old_password_valid_until: Some(OffsetDateTime::now_utc() + map::ROTATION_GRACE),
        })
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
        let products: Vec<Product> = match query.product {
            Some(p) if map::product_to_wire(p).is_some() => vec![p],
            Some(_) => return Ok(Vec::new()),
            None => map::PRODUCTS.to_vec(),
        };
        if query
            .proxy_user
            .as_ref()
            .is_some_and(|u| u.account != self.account())
        {
            return Ok(Vec::new());
        }
        let account = self.account();
        let dim = match query.group_by {
            Some(UsageGroupBy::ProxyUser) => return self.usage_by_user(query, &products).await,
            Some(UsageGroupBy::Day) => Some("day"),
            Some(UsageGroupBy::Product) | None => None,
        };
        let calls = products
            .iter()
            .map(|p| async move { self.traffic(*p, query, dim).await.map(|rows| (*p, rows)) });
        let results = try_join_all(calls).await?;
        let mut rows: BTreeMap<(Option<time::Date>, Option<Product>), UsageRow> = BTreeMap::new();
        for (product, product_rows) in &results {
            for row in product_rows {
                let day = match dim {
                    Some(_) => {
                        Some(row.day.as_deref().and_then(map::parse_day).ok_or_else(|| {
                            client::malformed(200, None, "a traffic row grouped by day has no day")
                        })?)
                    }
                    None => None,
                };
                let product = (query.group_by == Some(UsageGroupBy::Product)).then_some(*product);
                rows.entry((day, product))
                    .or_insert_with(|| UsageRow {
                        day,
                        product,
                        ..map::zero_row(account)
                    })
                    .absorb(&map::usage_row(account, row));
            }
        }
        // Without grouping the answer is one total row, zero when there was no traffic.
        if query.group_by.is_none() && rows.is_empty() {
            return Ok(vec![map::zero_row(account)]);
        }
        Ok(rows.into_values().collect())
    }

    async fn account_info(&self) -> Result<AccountInfo, ProviderError> {
        let raw = require_json(self.client.get("/users/me", &[]).await?)?;
        let me: wire::Me = parse(&raw, "account")?;
        Ok(AccountInfo {
            identity_id: Some(me.id),
            email: me.email,
            plan: me.plan,
            balance: me.balance.map(|b| Money {
                amount: b.amount,
                currency: b.currency,
            }),
            verification: me.kyc_status,
            created_at: map::parse_time_opt(me.created_at.as_deref()),
            provider_data: map::without_secrets(&raw),
        })
    }

    /// Subscriptions (every page) and ISP batches (every page).
    async fn packages(&self) -> Result<Vec<Package>, ProviderError> {
        let (subscriptions, batches) = futures::try_join!(
            self.all("/subscriptions", &[]),
            self.all("/isp/batches", &[])
        )?;
        let now = OffsetDateTime::now_utc();
        let account = self.account();
        let mut packages = Vec::with_capacity(subscriptions.len() + batches.len());
        for raw in &subscriptions {
            let sub: wire::Subscription = parse(raw, "subscription")?;
            packages.push(map::subscription_package(account, &sub, raw, now));
        }
        for raw in &batches {
            let batch: wire::IspBatch = parse(raw, "ISP batch")?;
            packages.push(map::batch_package(account, &batch, raw));
        }
        Ok(packages)
    }

    /// Derived from [`Self::packages`]: counts, and the monthly included traffic of active
    /// bandwidth subscriptions. helodata reports no used or remaining traffic per package (its
    /// GB sit in one pool per product, §5.2), so those are `None`. "Expiring soon" counts only
    /// packages that will not renew (Ending, or a batch without auto-renew) and end within
    /// 7 days: a subscription's `renews_at` is not an expiry.
    async fn package_summary(&self) -> Result<PackageSummary, ProviderError> {
        let packages = self.packages().await?;
        let now = OffsetDateTime::now_utc();
        let soon = now + time::Duration::days(7);
        let count = |f: &dyn Fn(&Package) -> bool| packages.iter().filter(|p| f(p)).count() as u64;
        let active_bandwidth = |p: &Package| {
            p.status == PackageStatus::Active
                && p.kind == PackageKind::Subscription
                && p.traffic_included_bytes.is_some()
        };
        let expiring = |p: &Package| {
            let wont_renew = p.status == PackageStatus::Ending
                || (p.kind == PackageKind::IpBatch
                    && p.status == PackageStatus::Active
                    && p.provider_data.get("auto_renew") == Some(&Value::Bool(false)));
            wont_renew && p.expires_at.is_some_and(|e| e > now && e <= soon)
        };
        let bytes = |f: &dyn Fn(&Package) -> bool| {
            packages
                .iter()
                .filter(|p| f(p))
                .filter_map(|p| p.traffic_included_bytes)
                .fold(0u64, u64::saturating_add)
        };
        Ok(PackageSummary {
            total_bytes: Some(bytes(&active_bandwidth)),
            total_count: Some(packages.len() as u64),
            remaining_bytes: None,
            active_count: Some(count(&|p| p.status == PackageStatus::Active)),
            used_bytes: None,
            expiring_soon_bytes: Some(bytes(&expiring)),
            expiring_soon_count: Some(count(&expiring)),
            expired_bytes: None,
            expired_count: Some(count(&|p| p.status == PackageStatus::Expired)),
            provider_data: serde_json::json!({
                "derived_from": ["GET /subscriptions", "GET /isp/batches"],
                "total_bytes": "monthly included traffic of active bandwidth subscriptions",
            }),
        })
    }
}
