//! `/v1/proxies/…`: turning a proxy user into traffic. `POST /v1/proxies/connection` builds the
//! host, port and targeted username from each provider's username grammar (helodata §7.1,
//! 911Proxy notes "Proxy gateway"); only the proxy user is looked up upstream. Needs `read`
//! (it changes nothing); the password needs `secrets:read` and `?include=password`.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::common::{AccountName, ProviderName, ProxyUserIdText};
use super::problems::{ReadErrors, WriteErrors};
use super::proxy_users::{Include, wants_password};
use crate::domain::api_keys::Scope;
use crate::domain::connection::{
    ConnectionRequest, ExtractRequest, ListFormat, ProxyProtocol, SessionRequest, proxy_url,
};
use crate::domain::idempotency::WriteContext;
use crate::domain::products::Product;
use crate::domain::proxy_users::ProxyUserId;
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::extract::{ApiJson, ApiQuery};
use crate::http::state::AppState;
use crate::services::connection as service;

/// The protocol a client speaks to the proxy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProtocolName {
    /// HTTP proxying (CONNECT for HTTPS targets); the default.
    Http,
    /// SOCKS5 (`socks5h://`), where the provider documents it.
    Socks5,
}

impl From<ProtocolName> for ProxyProtocol {
    fn from(p: ProtocolName) -> Self {
        match p {
            ProtocolName::Http => ProxyProtocol::Http,
            ProtocolName::Socks5 => ProxyProtocol::Socks5,
        }
    }
}

impl From<ProxyProtocol> for ProtocolName {
    fn from(p: ProxyProtocol) -> Self {
        match p {
            ProxyProtocol::Http => ProtocolName::Http,
            ProxyProtocol::Socks5 => ProtocolName::Socks5,
        }
    }
}

/// A product reached through the provider's rotating gateway: the products a connection
/// string can name (static IPs are used by their own address, `GET /v1/static-ips`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GatewayProduct {
    /// Rotating residential traffic (helodata residential, 911 type 9).
    Residential,
    /// Time-based residential IPs (911 type 11).
    ResidentialIp,
    /// Mobile carrier IPs (helodata mobile).
    Mobile,
}

impl From<GatewayProduct> for Product {
    fn from(p: GatewayProduct) -> Self {
        match p {
            GatewayProduct::Residential => Product::Residential,
            GatewayProduct::ResidentialIp => Product::ResidentialIp,
            GatewayProduct::Mobile => Product::Mobile,
        }
    }
}

/// A product whose endpoints can be extracted as a list (911Proxy's dynamic products).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExtractableProduct {
    /// Rotating residential traffic (911 type 9).
    Residential,
    /// Time-based residential IPs (911 type 11).
    ResidentialIp,
}

impl From<ExtractableProduct> for Product {
    fn from(p: ExtractableProduct) -> Self {
        match p {
            ExtractableProduct::Residential => Product::Residential,
            ExtractableProduct::ResidentialIp => Product::ResidentialIp,
        }
    }
}

/// A sticky session.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionBody {
    /// 1-32 characters of a-z and 0-9; generated when absent.
    #[schema(pattern = "^[a-z0-9]{1,32}$", example = "job1")]
    pub id: Option<String>,
    /// How long the exit IP is kept, in minutes; required (helodata residential: at most 30;
    /// 911Proxy: 1-60).
    #[serde(default, deserialize_with = "super::common::whole_option")]
    #[schema(minimum = 1, maximum = 1440, example = 30)]
    pub minutes: Option<u32>,
}

/// What to connect through.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectionBody {
    /// The proxy user whose credentials to use.
    #[schema(value_type = ProxyUserIdText)]
    pub proxy_user: String,
    /// The product whose gateway to use (helodata: residential or mobile; 911Proxy:
    /// residential or residential_ip); the proxy user must have it.
    pub product: GatewayProduct,
    /// ISO 3166-1 alpha-2 country code; required by both providers' grammars.
    #[schema(pattern = "^[A-Za-z]{2}$", example = "us")]
    pub country: Option<String>,
    /// State or region as a slug of a-z and 0-9 (helodata: the ISO 3166-2 suffix, e.g. `ca`).
    #[schema(pattern = "^[A-Za-z0-9]{1,64}$", example = "ca")]
    pub state: Option<String>,
    /// City as a slug of a-z and 0-9 (helodata: needs `state`; 911Proxy: instead of `state`).
    #[schema(pattern = "^[A-Za-z0-9]{1,64}$", example = "la")]
    pub city: Option<String>,
    /// Autonomous system number (helodata only).
    #[serde(default, deserialize_with = "super::common::whole_option")]
    #[schema(minimum = 1, maximum = 4294967295u64, example = 7922)]
    pub asn: Option<u32>,
    /// A sticky session; absent for a rotating exit IP.
    pub session: Option<SessionBody>,
    /// `http` (default) or `socks5` where the provider documents it.
    pub protocol: Option<ProtocolName>,
}

/// `?include=password`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ConnectionParams {
    /// `password` to include the password and a URL carrying it (needs `secrets:read`; 501
    /// where the provider never lists passwords, e.g. helodata).
    pub include: Option<Include>,
}

/// The session used.
#[derive(Debug, Serialize, ToSchema)]
pub struct SessionView {
    /// The session id (as given, or generated).
    pub id: String,
    /// Its lifetime in minutes.
    pub minutes: u32,
}

/// A ready-to-use proxy endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProxyConnectionView {
    /// The proxy user.
    #[schema(value_type = ProxyUserIdText)]
    pub proxy_user: String,
    /// Its account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// The account's provider.
    pub provider: ProviderName,
    /// The gateway host.
    #[schema(example = "gate.helodata.io")]
    pub host: String,
    /// Its port.
    #[schema(example = 7777)]
    pub port: u16,
    /// The protocol of `url`.
    pub protocol: ProtocolName,
    /// The proxy username with the targeting encoded.
    #[schema(example = "helo_s1a2b3c4d5e-type-res-region-us-session-job1-sesstime-30")]
    pub username: String,
    /// The sticky session, or `null` when rotating.
    pub session: Option<SessionView>,
    /// `scheme://username[:password]@host:port`, percent-encoded; with the password only when
    /// it was asked for and allowed.
    #[schema(example = "http://helo_s1a2b3c4d5e-type-res-region-us@gate.helodata.io:7777")]
    pub url: String,
    /// The password, only with `?include=password` and the `secrets:read` scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

/// Builds a proxy connection string for a proxy user: host, port and a username carrying the
/// country, state, city, ASN and sticky session in the provider's own grammar. Every documented
/// limit is a 400 naming the field. Only the proxy user is looked up at the provider.
#[utoipa::path(post, path = "/proxies/connection",
    extensions(("x-audit" = json!({"operation": "proxies.connection", "resource": "proxy_user", "account": "none"}))),
    tag = "proxies", request_body = ConnectionBody, params(ConnectionParams),
    security(("api_key" = [])),
    responses((status = 200, description = "The connection.", body = ProxyConnectionView), ReadErrors))]
pub async fn proxy_connection(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<ConnectionParams>,
    ApiJson(body): ApiJson<ConnectionBody>,
) -> Result<Json<ProxyConnectionView>, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let with_password = wants_password(&caller, params.include)?;
    let proxy_user: ProxyUserId = body
        .proxy_user
        .parse()
        .map_err(|e: String| ApiError::invalid_argument("proxy_user", e))?;
    let request = ConnectionRequest {
        product: body.product.into(),
        country: body.country,
        state: body.state,
        city: body.city,
        asn: body.asn,
        session: body.session.map(|s| SessionRequest {
            id: s.id,
            minutes: s.minutes,
        }),
        protocol: body.protocol.map(Into::into),
    };
    let built = service::connection(
        &state.providers,
        principal,
        &proxy_user,
        &request,
        with_password,
    )
    .await?;
    let c = built.connection;
    let password = c.password.as_ref().map(|p| p.expose_secret().to_string());
    Ok(Json(ProxyConnectionView {
        url: proxy_url(&c, password.as_deref()),
        proxy_user: proxy_user.to_string(),
        account: proxy_user.account.clone(),
        provider: built.provider.into(),
        host: c.host,
        port: c.port,
        protocol: c.protocol.into(),
        username: c.username,
        session: c
            .session_id
            .zip(request.session.as_ref().and_then(|s| s.minutes))
            .map(|(id, minutes)| SessionView { id, minutes }),
        password,
    }))
}

/// How the endpoints come back.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ExtractFormat {
    /// `application/json`: `ProxyList` (the default).
    Json,
    /// `text/plain`: one `host:port` per line (the provider is asked for text too).
    Text,
}

/// What to extract.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExtractBody {
    /// The provider account (911Proxy; helodata answers 501: it sells gateway access).
    #[schema(value_type = AccountName)]
    pub account: String,
    /// The dynamic product to extract endpoints of.
    pub product: ExtractableProduct,
    /// ISO 3166-1 alpha-2 country code, as in `GET /v1/locations/countries`.
    #[schema(pattern = "^[A-Za-z]{2}$", example = "US")]
    pub country: Option<String>,
    /// State, as the provider's geo list names it (needs `country`).
    #[schema(max_length = 64, example = "california")]
    pub state: Option<String>,
    /// City, as the provider's geo list names it (needs `country`).
    #[schema(max_length = 64, example = "losangeles")]
    pub city: Option<String>,
    /// How many endpoints, 1-1000.
    #[serde(deserialize_with = "super::common::whole")]
    #[schema(minimum = 1, maximum = 1000, example = 10)]
    pub count: u32,
    /// How long each keeps its exit IP, in minutes (911Proxy: 1-60; its default 30).
    #[serde(default, deserialize_with = "super::common::whole_option")]
    #[schema(minimum = 1, maximum = 60, example = 30)]
    pub session_minutes: Option<u32>,
    /// The protocol the client will speak (911Proxy endpoints: `http`).
    pub protocol: Option<ProtocolName>,
    /// `json` (default) or `text`.
    pub format: Option<ExtractFormat>,
}

/// One endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct EndpointView {
    /// Host or IP.
    #[schema(example = "150.109.114.72")]
    pub host: String,
    /// Port.
    #[schema(example = 1140)]
    pub port: u16,
}

/// Extracted endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProxyList {
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// Its provider.
    pub provider: ProviderName,
    /// The endpoints.
    pub proxies: Vec<EndpointView>,
    /// What the caller must know for them to work, e.g. that the account has no whitelisted
    /// source IP for this product (911Proxy endpoints accept only whitelisted sources).
    pub warnings: Vec<String>,
}

/// Extracts a list of proxy endpoints (911Proxy `ip/v3`). Keyed and audited like every write:
/// a retry with the same `Idempotency-Key` answers the same endpoints.
#[utoipa::path(post, path = "/proxies/extract",
    extensions(("x-audit" = json!({"operation": "proxies.extract", "resource": "proxy_list", "account": "body"}))),
    tag = "proxies", request_body = ExtractBody,
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The endpoints: JSON by default, one `host:port` per line with `format=text` (text carries no warnings: ask for JSON to see them).",
         content((ProxyList = "application/json"), (String = "text/plain"))),
        WriteErrors,
    ))]
pub async fn extract_proxies(
    State(state): State<AppState>,
    caller: Caller,
    ctx: WriteContext,
    ApiJson(body): ApiJson<ExtractBody>,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Write)?;
    let format = body.format.unwrap_or(ExtractFormat::Json);
    let request = ExtractRequest {
        product: body.product.into(),
        country: body.country,
        state: body.state,
        city: body.city,
        count: body.count,
        session_minutes: body.session_minutes,
        protocol: body.protocol.map(Into::into),
        format: match format {
            ExtractFormat::Json => ListFormat::Json,
            ExtractFormat::Text => ListFormat::Text,
        },
    };
    let (provider, extraction) =
        service::extract(&state.providers, principal, &body.account, &request, &ctx).await?;
    if format == ExtractFormat::Text {
        let mut text = String::new();
        for endpoint in &extraction.proxies {
            text.push_str(&format!("{}:{}\n", endpoint.host, endpoint.port));
        }
        return Ok(([(header::CONTENT_TYPE, "text/plain; charset=utf-8")], text).into_response());
    }
    Ok(Json(ProxyList {
        account: body.account,
        provider: provider.into(),
        proxies: extraction
            .proxies
            .into_iter()
            .map(|e| EndpointView {
                host: e.host,
                port: e.port,
            })
            .collect(),
        warnings: extraction.warnings,
    })
    .into_response())
}
