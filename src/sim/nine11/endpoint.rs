//! The steps every route shares: check the app_key, reject a malformed request, check real-name
//! verification where it applies, run the handler on the locked world, wrap the answer.

use std::future::{Ready, ready};
use std::sync::Arc;

use axum::response::Response;
use time::OffsetDateTime;

use super::envelope::{Failure, Family, Lang, Outcome, render};
use super::request::Req;
use super::state::{Shared, World};

/// How a route answers and what it requires.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Endpoint {
    family: Family,
    /// Whether an account without real-name verification gets code 156 here.
    kyc: bool,
}

/// An older endpoint: code 200 and `msg`.
pub(crate) const LEGACY: Endpoint = Endpoint {
    family: Family::Legacy,
    kyc: false,
};
/// An older endpoint that changes accounts, the whitelist, or hands out IPs: also code 156 when
/// the account is not real-name verified (the document lists 156 on every endpoint without saying
/// when; the simulator raises it where the account would act on the proxy network) [INF].
pub(crate) const LEGACY_KYC: Endpoint = Endpoint {
    family: Family::Legacy,
    kyc: true,
};
/// A newer endpoint: code 0 and `message`.
pub(crate) const MODERN: Endpoint = Endpoint {
    family: Family::Modern,
    kyc: false,
};
/// `activity/*`: code 0 and `msg`.
pub(crate) const MODERN_MSG: Endpoint = Endpoint {
    family: Family::ModernMsg,
    kyc: false,
};

/// What a handler knows besides the world and the parameters.
pub(crate) struct Ctx {
    pub now: OffsetDateTime,
    pub lang: Lang,
}

/// A handler: pure over the locked world.
pub(crate) type HandlerFn = fn(&mut World, &Req, &Ctx) -> Outcome;

/// An axum handler running `f` with the shared steps.
pub(crate) fn route(
    shared: &Arc<Shared>,
    endpoint: Endpoint,
    f: HandlerFn,
) -> impl Fn(Req) -> Ready<Response> + Clone + Send + Sync + 'static {
    let shared = Arc::clone(shared);
    move |req: Req| ready(run(&shared, &req, endpoint, f))
}

fn run(shared: &Shared, req: &Req, endpoint: Endpoint, f: HandlerFn) -> Response {
    let lang = req.lang();
    render(
        endpoint.family,
        lang,
        outcome(shared, req, endpoint, f, lang),
    )
}

fn outcome(shared: &Shared, req: &Req, endpoint: Endpoint, f: HandlerFn, lang: Lang) -> Outcome {
    // Every route demands the app_key, also `/ip/v3` (its table says "Required: No") and the
    // routes whose tables omit it: the Authentication section rejects requests without it. The
    // section's alternative, a Bearer JWT, has no way to obtain a token, so it is not accepted.
    if !shared.accepts(req.app_key()) {
        return Err(Failure::Auth);
    }
    if let Some(part) = req.malformed() {
        return Err(Failure::param(
            part,
            format!("The request {part} could not be parsed."),
        ));
    }
    let mut world = shared.world();
    if endpoint.kyc && !world.user.is_real_name {
        return Err(Failure::NotRealName);
    }
    let ctx = Ctx {
        now: world.clock.now(),
        lang,
    };
    f(&mut world, req, &ctx)
}
