//! API tokens, scopes and the per-token rate limit (AUTH, RL), applied by [`middleware`] to every
//! request under `/v1`, plus the token endpoints `POST /tokens/{id}/rotate` and
//! `DELETE /tokens/{id}`.

use std::sync::Arc;

use axum::extract::{Request, State as AxumState};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::Response;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::clock::{self, DAY};
use super::errors::{ApiError, ApiResult};
use super::reply::{Ctx, Rendered, Reply, Req, render_error};
use super::state::{Sim, State};
use super::{RateLimitPlan, SimToken};

/// The id of the token given as `SimOptions::api_key` (scopes `*`).
pub const MAIN_TOKEN_ID: &str = "tok_01JWMCKG000000000000000001";
/// A `read`-only token, as the docs recommend for analytics (AUTH).
pub const READ_ONLY_TOKEN: &str =
    "hel_live_simreadonly00000000000000000000000000000000000000000000000000000";
pub const READ_ONLY_TOKEN_ID: &str = "tok_01JWMCKG000000000000000002";
/// A `traffic:read`-only token.
pub const TRAFFIC_TOKEN: &str =
    "hel_live_simtrafficread00000000000000000000000000000000000000000000000000";
pub const TRAFFIC_TOKEN_ID: &str = "tok_01JWMCKG000000000000000003";
/// A provisioning token with `read` and `orders:write`, the docs' other example (AUTH).
pub const ORDERS_TOKEN: &str =
    "hel_live_simorderswrite00000000000000000000000000000000000000000000000000";
pub const ORDERS_TOKEN_ID: &str = "tok_01JWMCKG000000000000000004";
/// A token with `read` and `subusers:write`.
pub const SUBUSERS_TOKEN: &str =
    "hel_live_simsubuserswrite000000000000000000000000000000000000000000000000";
pub const SUBUSERS_TOKEN_ID: &str = "tok_01JWMCKG000000000000000005";

/// The extra tokens seeded when `HelodataSimOptions::extra_tokens` is `None`:
///
/// | token (`hel_live_` + 64 characters) | id | scopes |
/// |---|---|---|
/// | `hel_live_simreadonly` + 53 × `0` ([`READ_ONLY_TOKEN`]) | `tok_01JWMCKG000000000000000002` | `read` |
/// | `hel_live_simtrafficread` + 50 × `0` ([`TRAFFIC_TOKEN`]) | `tok_01JWMCKG000000000000000003` | `traffic:read` |
/// | `hel_live_simorderswrite` + 50 × `0` ([`ORDERS_TOKEN`]) | `tok_01JWMCKG000000000000000004` | `read`, `orders:write` |
/// | `hel_live_simsubuserswrite` + 48 × `0` ([`SUBUSERS_TOKEN`]) | `tok_01JWMCKG000000000000000005` | `read`, `subusers:write` |
///
/// The `SimOptions::api_key` token has id `tok_01JWMCKG000000000000000001` and scope `*`.
pub fn default_extra_tokens() -> Vec<SimToken> {
    let t = |id: &str, token: &str, name: &str, scopes: &[&str]| SimToken {
        id: id.into(),
        token: token.into(),
        name: name.into(),
        scopes: scopes.iter().map(|s| (*s).to_string()).collect(),
    };
    vec![
        t(READ_ONLY_TOKEN_ID, READ_ONLY_TOKEN, "analytics", &["read"]),
        t(
            TRAFFIC_TOKEN_ID,
            TRAFFIC_TOKEN,
            "traffic",
            &["traffic:read"],
        ),
        t(
            ORDERS_TOKEN_ID,
            ORDERS_TOKEN,
            "provisioning",
            &["read", "orders:write"],
        ),
        t(
            SUBUSERS_TOKEN_ID,
            SUBUSERS_TOKEN,
            "subusers",
            &["read", "subusers:write"],
        ),
    ]
}

/// The scopes that satisfy an endpoint; `*` always does. An empty list means `*` only.
pub type Need = &'static [&'static str];

pub const READ: Need = &["read"];
/// Traffic and the request log: `read` or `traffic:read` (AUTH).
pub const TRAFFIC_READ: Need = &["read", "traffic:read"];
pub const SUBUSERS_WRITE: Need = &["subusers:write"];
pub const WHITELISTS_WRITE: Need = &["whitelists:write"];
/// Orders, ISP batch changes and subscriptions (AUTH lists no subscription scope; §3 infers
/// `orders:write`).
pub const ORDERS_WRITE: Need = &["orders:write"];
pub const REPORTS_WRITE: Need = &["reports:write"];
/// Profile, MFA and token management: no scope is documented for them, so `*` only.
pub const FULL: Need = &[];

/// 403 unless the token holds `*` or one of `need`.
pub fn check(ctx: &Ctx, need: Need) -> ApiResult<()> {
    let granted = ctx
        .scopes
        .iter()
        .any(|s| s == "*" || need.contains(&s.as_str()));
    if granted {
        return Ok(());
    }
    let wanted = if need.is_empty() {
        "*".to_string()
    } else {
        need.join(" or ")
    };
    Err(ApiError::permission_denied(format!(
        "this token lacks the {wanted} scope"
    )))
}

/// One API token. Only hashes of its secrets are kept (AUTH: "helodata stores only a hash").
#[derive(Clone, Debug)]
pub struct Token {
    pub id: String,
    pub name: String,
    pub scopes: Vec<String>,
    /// SHA-256 of each accepted secret, with the instant it stops working (`None`: never).
    pub secrets: Vec<([u8; 32], Option<i64>)>,
    pub revoked: bool,
    pub window: RateWindow,
}

impl Token {
    pub fn new(id: &str, name: &str, secret: &str, scopes: Vec<String>) -> Self {
        Token {
            id: id.into(),
            name: name.into(),
            scopes,
            secrets: vec![(digest(secret), None)],
            revoked: false,
            window: RateWindow::default(),
        }
    }
}

pub fn digest(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Counts of one token's current minute and day windows. A window opens at the token's first
/// request after the previous one closed (RL does not say whether windows are fixed or sliding).
#[derive(Clone, Debug, Default)]
pub struct RateWindow {
    minute_start_ms: u64,
    minute_count: u32,
    day_start_ms: u64,
    day_count: u32,
}

/// The outcome of counting one request.
pub struct RateDecision {
    pub allowed: bool,
    pub headers: Vec<(&'static str, String)>,
}

impl RateWindow {
    /// Counts a request at `now_ms` against `plan` (a refused request is not counted).
    pub fn hit(&mut self, plan: &RateLimitPlan, now_ms: u64) -> RateDecision {
        const MINUTE_MS: u64 = 60_000;
        const DAY_MS: u64 = DAY as u64 * 1000;
        if self.minute_count == 0 || now_ms >= self.minute_start_ms + MINUTE_MS {
            self.minute_start_ms = now_ms;
            self.minute_count = 0;
        }
        if self.day_count == 0 || now_ms >= self.day_start_ms + DAY_MS {
            self.day_start_ms = now_ms;
            self.day_count = 0;
        }
        let minute_left = plan.per_minute.saturating_sub(self.minute_count);
        let day_left = plan.per_day.map(|d| d.saturating_sub(self.day_count));
        let allowed = minute_left > 0 && day_left != Some(0);
        if allowed {
            self.minute_count += 1;
            self.day_count += 1;
        }
        let minute_left = plan.per_minute.saturating_sub(self.minute_count);
        let day_left = plan.per_day.map(|d| d.saturating_sub(self.day_count));
        let remaining = day_left.map_or(minute_left, |d| d.min(minute_left));
        // When the day is used up, the reset that matters is the day's.
        let reset_ms = if day_left == Some(0) {
            self.day_start_ms + DAY_MS
        } else {
            self.minute_start_ms + MINUTE_MS
        };
        let mut headers = vec![
            ("x-ratelimit-limit", plan.per_minute.to_string()),
            ("x-ratelimit-remaining", remaining.to_string()),
            ("x-ratelimit-reset", reset_ms.div_ceil(1000).to_string()),
        ];
        if !allowed {
            let wait = reset_ms.saturating_sub(now_ms).div_ceil(1000).max(1);
            headers.push(("retry-after", wait.to_string()));
        }
        RateDecision { allowed, headers }
    }
}

fn bearer(req: &Request) -> Option<&str> {
    let value = req.headers().get("authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
        .filter(|t| !t.is_empty())
}

/// Request id, authentication, rate limit; afterwards the `X-Helodata-Request-Id` and
/// `X-RateLimit-*` headers, and helodata's error shape for responses axum produced itself.
pub async fn middleware(
    AxumState(sim): AxumState<Arc<Sim>>,
    mut req: Request,
    next: Next,
) -> Response {
    let now_ms = clock::now_ms();
    let now = i64::try_from(now_ms / 1000).unwrap_or(0);
    let presented = bearer(&req).map(digest);
    let (request_id, outcome) = {
        let mut st = sim.lock();
        let request_id = st.rng.id("req", now_ms);
        let outcome = authenticate(&mut st, presented, now, now_ms);
        (request_id, outcome)
    };
    let mut res = match outcome {
        Err(e) => render_error(&e, &request_id),
        Ok((token_id, scopes, rate)) if !rate.allowed => {
            let mut e = ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "API rate limit exceeded",
            );
            e.headers = rate.headers;
            let _ = (token_id, scopes);
            render_error(&e, &request_id)
        }
        Ok((token_id, scopes, rate)) => {
            req.extensions_mut().insert(Ctx {
                request_id: request_id.clone(),
                token_id,
                scopes,
                now,
                now_ms,
            });
            let res = next.run(req).await;
            let mut res = if res.extensions().get::<Rendered>().is_none()
                && (res.status().is_client_error() || res.status().is_server_error())
            {
                render_error(&ApiError::from_status(res.status()), &request_id)
            } else {
                res
            };
            for (name, value) in rate.headers {
                if let Ok(v) = value.parse() {
                    res.headers_mut().insert(name, v);
                }
            }
            res
        }
    };
    if let Ok(v) = request_id.parse() {
        res.headers_mut().insert("x-helodata-request-id", v);
    }
    res
}

type Authenticated = (String, Vec<String>, RateDecision);

fn authenticate(
    st: &mut State,
    presented: Option<[u8; 32]>,
    now: i64,
    now_ms: u64,
) -> ApiResult<Authenticated> {
    let Some(hash) = presented else {
        return Err(ApiError::unauthenticated(
            "missing bearer token: send Authorization: Bearer <token>",
        ));
    };
    let plan = st.cfg.rate_limit.clone();
    let token = st
        .tokens
        .iter_mut()
        .find(|t| {
            !t.revoked
                && t.secrets
                    .iter()
                    .any(|(h, until)| *h == hash && until.is_none_or(|u| now < u))
        })
        .ok_or_else(|| ApiError::unauthenticated("invalid, revoked or expired token"))?;
    let rate = token.window.hit(&plan, now_ms);
    Ok((token.id.clone(), token.scopes.clone(), rate))
}

/// `POST /tokens/{token_id}/rotate`: a new secret in the body; the old one keeps working for
/// 24 h (AUTH). The response shape is not documented; this one names the old secret's deadline.
pub fn rotate(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let id = req.param(0);
    let secret = st.rng.token();
    let now = req.ctx.now;
    let token = st
        .tokens
        .iter_mut()
        .find(|t| t.id == id && !t.revoked)
        .ok_or_else(|| ApiError::not_found("token", id))?;
    let grace_until = now + DAY;
    for (_, until) in token.secrets.iter_mut() {
        if until.is_none_or(|u| u > grace_until) {
            *until = Some(grace_until);
        }
    }
    token
        .secrets
        .retain(|(_, until)| until.is_none_or(|u| u > now));
    token.secrets.push((digest(&secret), None));
    Reply::ok(json!({
        "id": token.id,
        "name": token.name,
        "token": secret,
        "scopes": token.scopes,
        "previous_token_expires_at": clock::fmt(grace_until),
    }))
}

/// `DELETE /tokens/{token_id}`: effective immediately (AUTH zh); 204.
pub fn revoke(st: &mut State, req: &Req) -> ApiResult<Reply> {
    let id = req.param(0);
    let token = st
        .tokens
        .iter_mut()
        .find(|t| t.id == id && !t.revoked)
        .ok_or_else(|| ApiError::not_found("token", id))?;
    token.revoked = true;
    Reply::no_content()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_tokens_have_the_documented_format() {
        for t in default_extra_tokens() {
            let rest = t.token.strip_prefix("hel_live_").expect("prefix");
            assert_eq!(rest.len(), 64, "{}", t.token);
            assert!(t.id.starts_with("tok_") && t.id.len() == 30, "{}", t.id);
        }
        assert_eq!(MAIN_TOKEN_ID.len(), 30);
    }

    #[test]
    fn the_window_refuses_past_the_limit_and_reopens_after_a_minute() {
        let plan = RateLimitPlan {
            per_minute: 2,
            per_day: None,
        };
        let mut w = RateWindow::default();
        assert!(w.hit(&plan, 1_000).allowed);
        assert!(w.hit(&plan, 1_500).allowed);
        let refused = w.hit(&plan, 2_000);
        assert!(!refused.allowed);
        assert!(refused.headers.contains(&("retry-after", "59".to_string())));
        assert!(w.hit(&plan, 61_000).allowed);
    }

    #[test]
    fn the_daily_cap_applies_across_minutes() {
        let plan = RateLimitPlan {
            per_minute: 10,
            per_day: Some(2),
        };
        let mut w = RateWindow::default();
        assert!(w.hit(&plan, 0).allowed);
        assert!(w.hit(&plan, 70_000).allowed);
        assert!(!w.hit(&plan, 140_000).allowed);
    }
}
