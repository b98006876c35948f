//! `/users/me` and its security endpoints (§5.1, USR).

use serde_json::json;

use super::clock;
use super::errors::{ApiError, ApiResult};
use super::input::Body;
use super::reply::{Reply, Req};
use super::state::State;

/// The account behind every token.
#[derive(Clone, Debug)]
pub struct Account {
    pub id: String,
    pub email: String,
    pub company: Option<String>,
    /// `trial`, `pay-as-you-go`, `starter`, `pro`, `enterprise` (USR).
    pub plan: String,
    pub created_at: i64,
    /// Prepaid credit in USD, two decimals.
    pub balance: f64,
    pub mfa_secret: Option<String>,
    pub last_login_at: i64,
    pub last_login_ip: String,
    /// GB credited per bandwidth product by orders (ORD: "credited at once to the pool").
    pub pool_gb: std::collections::BTreeMap<String, u64>,
}

/// Rounds money to cents.
pub fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

impl Account {
    /// Takes `amount` from the balance, or `402 insufficient_balance` (auto top-up is treated as
    /// off: the simulated account has no card on file, D-ATU).
    pub fn charge(&mut self, amount: f64) -> ApiResult<()> {
        let amount = cents(amount);
        if amount > self.balance + 1e-9 {
            return Err(ApiError::insufficient_balance(amount, self.balance));
        }
        self.balance = cents(self.balance - amount);
        Ok(())
    }
}

fn view(st: &State) -> serde_json::Value {
    let a = &st.account;
    json!({
        "id": a.id,
        "email": a.email,
        "company": a.company,
        "plan": a.plan,
        "kyc_status": st.cfg.kyc_status.as_str(),
        "created_at": clock::fmt(a.created_at),
        "balance": { "currency": "USD", "amount": a.balance },
    })
}

/// `GET /users/me`.
pub fn get_me(st: &mut State, _req: &Req) -> ApiResult<Reply> {
    Reply::ok(view(st))
}

/// `PATCH /users/me`: profile fields; only `company` is documented as writable (USR zh). Email
/// changes need re-verification in the dashboard (USR), so `email` is refused with its field.
pub fn patch_me(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let body = Body::parse(&req.body)?;
    if body.has("email") {
        return Err(ApiError::invalid(
            "email",
            "email can only be changed in the dashboard, after re-verification",
        ));
    }
    for read_only in ["id", "plan", "kyc_status", "balance", "created_at"] {
        if body.has(read_only) {
            return Err(ApiError::invalid(
                read_only,
                format!("{read_only} is read-only"),
            ));
        }
    }
    if body.has("company") {
        let company = body.str_opt("company")?;
        if company.is_some_and(|c| c.chars().count() > 128) {
            return Err(ApiError::invalid(
                "company",
                "company must be at most 128 characters",
            ));
        }
        st.account.company = company.map(str::to_string);
    }
    Reply::ok(view(st))
}

/// `GET /users/me/security`: the shape is not documented ("MFA status, last login", USR).
pub fn security(st: &mut State, _req: &Req) -> ApiResult<Reply> {
    let a = &st.account;
    Reply::ok(json!({
        "mfa_enabled": a.mfa_secret.is_some(),
        "mfa_method": a.mfa_secret.as_ref().map(|_| "totp"),
        "last_login_at": clock::fmt(a.last_login_at),
        "last_login_ip": a.last_login_ip,
    }))
}

/// `POST /users/me/security/mfa`: enrols TOTP (the only method assumed) and answers the secret
/// once; a second enrolment is `409 failed_precondition`. Shape undocumented (§11).
pub fn enroll_mfa(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let body = Body::parse(&req.body)?;
    body.one_of("method", &["totp"])?;
    if st.account.mfa_secret.is_some() {
        return Err(ApiError::precondition("MFA is already enrolled"));
    }
    let secret = st
        .rng
        .lower(32)
        .to_uppercase()
        .replace(['0', '1', '8', '9'], "A");
    let codes: Vec<String> = (0..8).map(|_| st.rng.lower(10)).collect();
    st.account.mfa_secret = Some(secret.clone());
    Reply::created(json!({
        "method": "totp",
        "secret": secret,
        "otpauth_uri": format!(
            "otpauth://totp/helodata:{}?secret={secret}&issuer=helodata",
            st.account.email
        ),
        "recovery_codes": codes,
    }))
}
