//! `GET /v1/account`: what each provider says about the account the gateway uses.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use utoipa::{IntoParams, ToSchema};

use super::common::{AccountName, ProviderName};
use super::money::MoneyAmount;
use super::problems::ReadErrors;
use crate::domain::api_keys::Scope;
use crate::http::auth::Caller;
use crate::http::error::ApiError;
use crate::http::extract::ApiQuery;
use crate::http::state::AppState;
use crate::services::account::{self as service, AccountEntry};

/// Which accounts.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AccountParams {
    /// Only these accounts (repeat the parameter); default: every account the key may use.
    #[serde(default)]
    #[param(value_type = Option<Vec<AccountName>>, explode = true, style = Form)]
    pub account: Vec<String>,
}

/// One provider account's details.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountView {
    /// The account's configured name.
    #[schema(value_type = AccountName)]
    pub account: String,
    /// The account's provider.
    pub provider: ProviderName,
    /// The provider's id of the account.
    pub identity_id: Option<String>,
    /// Login email.
    pub email: Option<String>,
    /// Plan or tier.
    pub plan: Option<String>,
    /// Prepaid balance.
    pub balance: Option<MoneyAmount>,
    /// Identity verification (KYC / real-name) state.
    pub verification: Option<String>,
    /// When the account was created.
    #[serde(with = "time::serde::rfc3339::option")]
    pub created_at: Option<OffsetDateTime>,
    /// Whether the provider could give only part of the details this time (911Proxy while its
    /// `user/info` is closed: the rest comes from `user-product/summary`, in `provider_data`).
    pub partial: bool,
    /// The fields left empty because the provider could not give them (empty when complete).
    #[schema(example = json!([]))]
    pub missing: Vec<String>,
    /// The provider's object.
    #[schema(value_type = Object)]
    pub provider_data: serde_json::Value,
}

impl From<AccountEntry> for AccountView {
    fn from(entry: AccountEntry) -> Self {
        AccountView {
            account: entry.account,
            provider: entry.provider.into(),
            identity_id: entry.info.identity_id,
            email: entry.info.email,
            plan: entry.info.plan,
            balance: entry.info.balance.map(Into::into),
            verification: entry.info.verification,
            created_at: entry.info.created_at,
            partial: !entry.info.missing.is_empty(),
            missing: entry.info.missing.iter().map(|f| f.to_string()).collect(),
            provider_data: entry.info.provider_data,
        }
    }
}

/// Accounts' details.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountList {
    /// By account name.
    pub data: Vec<AccountView>,
}

/// Identity, plan and balance of each provider account.
#[utoipa::path(get, path = "/account",
    extensions(("x-audit" = json!({"operation": "account.get", "account": "query"}))),
    tag = "account", params(AccountParams),
    security(("api_key" = [])),
    responses((status = 200, description = "Each account's details.", body = AccountList), ReadErrors))]
pub async fn get_account(
    State(state): State<AppState>,
    caller: Caller,
    ApiQuery(params): ApiQuery<AccountParams>,
) -> Result<Json<AccountList>, ApiError> {
    let principal = caller.require(Scope::Read)?;
    let entries = service::accounts(&state.providers, principal, &params.account).await?;
    Ok(Json(AccountList {
        data: entries.into_iter().map(AccountView::from).collect(),
    }))
}
