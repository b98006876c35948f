//! `/v1/locations/…`: where each account can place an exit IP — countries, states, cities —
//! in each provider's own spelling (what its connection strings and extraction take), merged
//! across accounts with `served_by` naming who lists each item. Served from an in-memory cache
//! (`PGW_LOCATIONS_TTL_SECS`); every answer has an `ETag`, and `If-None-Match` with it is 304.

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};

use super::common::{AccountName, ProductName, ProviderName, RequestedProduct};
use super::problems::ReadErrors;
use crate::domain::api_keys::Scope;
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::state::AppState;
use crate::services::locations::{self as service, Level, LocationQuery, LocationRow};

/// Filters of the country list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CountryParams {
    /// Only these accounts (repeat the parameter); default: every account the key may use.
    #[serde(default)]
    #[param(value_type = Option<Vec<AccountName>>, explode = true, style = Form)]
    pub account: Vec<String>,
    /// Only locations of this product's list (default: every product of each account).
    pub product: Option<RequestedProduct>,
    /// Only items whose code or name contains this text (case-insensitive).
    #[param(max_length = 64)]
    pub q: Option<String>,
}

/// Filters of the state list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct StateParams {
    /// Only these accounts (repeat the parameter); default: every account the key may use.
    #[serde(default)]
    #[param(value_type = Option<Vec<AccountName>>, explode = true, style = Form)]
    pub account: Vec<String>,
    /// Only locations of this product's list (default: every product of each account).
    pub product: Option<RequestedProduct>,
    /// Only items whose code or name contains this text (case-insensitive).
    #[param(max_length = 64)]
    pub q: Option<String>,
    /// The country (ISO 3166-1 alpha-2, any case).
    #[param(pattern = "^[A-Za-z]{2}$", example = "US")]
    pub country: String,
}

/// Filters of the city list.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CityParams {
    /// Only these accounts (repeat the parameter); default: every account the key may use.
    #[serde(default)]
    #[param(value_type = Option<Vec<AccountName>>, explode = true, style = Form)]
    pub account: Vec<String>,
    /// Only locations of this product's list (default: every product of each account).
    pub product: Option<RequestedProduct>,
    /// Only items whose code or name contains this text (case-insensitive).
    #[param(max_length = 64)]
    pub q: Option<String>,
    /// The country (ISO 3166-1 alpha-2, any case).
    #[param(pattern = "^[A-Za-z]{2}$", example = "US")]
    pub country: String,
    /// Only the cities of this state, as listed.
    #[param(max_length = 64, example = "california")]
    pub state: Option<String>,
}

/// The most characters of a text filter.
const MAX_TEXT: usize = 64;

/// Who lists a location.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServedByView {
    /// The account.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// Its provider.
    pub provider: ProviderName,
    /// The product whose list names the location.
    pub product: ProductName,
}

/// One location.
#[derive(Debug, Serialize, ToSchema)]
pub struct LocationView {
    /// ISO 3166-1 alpha-2, upper case.
    #[schema(example = "US")]
    pub country: String,
    /// The state a city lies in (cities only; `null` otherwise).
    pub state: Option<String>,
    /// The item's code in the provider's spelling (for a country, its ISO code).
    #[schema(example = "california")]
    pub code: String,
    /// A display name, when the provider gives one.
    pub name: Option<String>,
    /// The accounts and products that list it.
    pub served_by: Vec<ServedByView>,
}

/// A list of locations.
#[derive(Debug, Serialize, ToSchema)]
pub struct LocationList {
    /// By code.
    pub data: Vec<LocationView>,
}

impl From<LocationRow> for LocationView {
    fn from(r: LocationRow) -> Self {
        LocationView {
            country: r.country,
            state: r.state,
            code: r.code,
            name: r.name,
            served_by: r
                .served_by
                .into_iter()
                .map(|s| ServedByView {
                    account: s.account,
                    provider: s.provider.into(),
                    product: s.product.into(),
                })
                .collect(),
        }
    }
}

/// The list as JSON with its `ETag`, or 304 when the caller's `If-None-Match` names it.
fn answer(rows: Vec<LocationRow>, request: &HeaderMap) -> Result<Response, ApiError> {
    let body = serde_json::to_vec(&LocationList {
        data: rows.into_iter().map(Into::into).collect(),
    })
    .map_err(|_| ApiError::internal())?;
    let digest = Sha256::digest(&body);
    let etag = format!("\"{}\"", hex::encode(&digest[..16]));
    let etag_value = HeaderValue::from_str(&etag).map_err(|_| ApiError::internal())?;
    let matched = request
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().trim_start_matches("W/"))
        .any(|t| t == etag || t == "*");
    if matched {
        return Ok((StatusCode::NOT_MODIFIED, [(header::ETAG, etag_value)]).into_response());
    }
    Ok((
        [
            (header::ETAG, etag_value),
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            ),
        ],
        body,
    )
        .into_response())
}

fn query(
    account: Vec<String>,
    product: Option<RequestedProduct>,
    q: Option<String>,
) -> Result<LocationQuery, ApiError> {
    if q.as_ref().is_some_and(|q| q.chars().count() > MAX_TEXT) {
        return Err(ApiError::invalid_argument(
            "q",
            format!("q holds at most {MAX_TEXT} characters"),
        ));
    }
    Ok(LocationQuery {
        accounts: account,
        product: product.map(Into::into),
        q,
    })
}

fn country(country: &str) -> Result<String, ApiError> {
    super::common::country_code("country", country)
}

async fn list(
    state: &AppState,
    caller: &Caller,
    query: LocationQuery,
    level: Level,
    headers: &HeaderMap,
) -> Result<Response, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let rows = service::list(
        &state.locations,
        &state.providers,
        principal,
        &query,
        &level,
    )
    .await?;
    answer(rows, headers)
}

/// Countries where the accounts can place an exit IP.
#[utoipa::path(get, path = "/locations/countries",
    extensions(("x-audit" = json!({"operation": "locations.countries", "resource": "location", "account": "query"}))),
    tag = "locations", params(CountryParams),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The countries.", body = LocationList,
         headers(("ETag" = String, description = "Send it back as `If-None-Match` to get 304 while the list is unchanged"))),
        (status = 304, description = "Unchanged since the `ETag` given in `If-None-Match`."),
        ReadErrors,
    ))]
pub async fn list_countries(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<CountryParams>,
) -> Result<Response, ApiError> {
    let query = query(params.account, params.product, params.q)?;
    list(&state, &caller, query, Level::Countries, &headers).await
}

/// The states of a country.
#[utoipa::path(get, path = "/locations/states",
    extensions(("x-audit" = json!({"operation": "locations.states", "resource": "location", "account": "query"}))),
    tag = "locations", params(StateParams),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The states .", body = LocationList,
         headers(("ETag" = String, description = "Send it back as `If-None-Match` to get 304 while the list is unchanged"))),
        (status = 304, description = "Unchanged since the `ETag` given in `If-None-Match`."),
        ReadErrors,
    ))]
pub async fn list_states(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<StateParams>,
) -> Result<Response, ApiError> {
    let level = Level::States {
        country: country(&params.country)?,
    };
    let query = query(params.account, params.product, params.q)?;
    list(&state, &caller, query, level, &headers).await
}

/// The cities of a country, or of one of its states.
#[utoipa::path(get, path = "/locations/cities",
    extensions(("x-audit" = json!({"operation": "locations.cities", "resource": "location", "account": "query"}))),
    tag = "locations", params(CityParams),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The cities (`country` is required, `state` narrows).", body = LocationList,
         headers(("ETag" = String, description = "Send it back as `If-None-Match` to get 304 while the list is unchanged"))),
        (status = 304, description = "Unchanged since the `ETag` given in `If-None-Match`."),
        ReadErrors,
    ))]
pub async fn list_cities(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    ApiQuery(params): ApiQuery<CityParams>,
) -> Result<Response, ApiError> {
    if params
        .state
        .as_ref()
        .is_some_and(|s| s.chars().count() > MAX_TEXT)
    {
        return Err(ApiError::invalid_argument(
            "state",
            format!("state holds at most {MAX_TEXT} characters"),
        ));
    }
    let level = Level::Cities {
        country: country(&params.country)?,
        state: params.state,
    };
    let query = query(params.account, params.product, params.q)?;
    list(&state, &caller, query, level, &headers).await
}
