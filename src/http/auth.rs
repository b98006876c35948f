//! Authentication of callers by API key (`Authorization: Bearer pgw_…`), and the extractor
//! handlers use to get the verified [`Principal`] and check scopes.

use std::sync::Arc;

use axum::extract::{FromRequestParts, MatchedPath, Request, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::domain::api_keys::{Principal, Scope};
use crate::http::error::ApiError;
use crate::http::state::AppState;
use crate::services::api_keys::AuthError;

/// Middleware for every matched route: routes under `/v1` need a valid bearer token (the
/// principal is stored in the request and its key id — never the token — recorded on the
/// request's span); the probes and the spec outside `/v1` are public.
pub async fn layer(State(state): State<AppState>, mut request: Request, next: Next) -> Response {
    let protected = request
        .extensions()
        .get::<MatchedPath>()
        .is_some_and(|path| path.as_str().starts_with("/v1/"));
    if !protected {
        return next.run(request).await;
    }
    let Some(bearer) = bearer_token(&request) else {
        return ApiError::unauthenticated("missing API key: send Authorization: Bearer pgw_…")
            .with_field("Authorization")
            .into_response();
    };
    match state.keys.authenticate(bearer).await {
        Ok(principal) => {
            tracing::Span::current().record("key_id", principal.key_id.as_str());
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(AuthError::Store(err)) => ApiError::from(err).into_response(),
        Err(err) => ApiError::unauthenticated(err.to_string())
            .with_field("Authorization")
            .into_response(),
    }
}

fn bearer_token(request: &Request) -> Option<&str> {
    let value = request
        .headers()
        .get(header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// The verified caller of a `/v1` route.
#[derive(Clone, Debug)]
pub struct Caller(pub Arc<Principal>);

impl Caller {
    /// Refuses with 403 unless the key has `scope` (or `admin`).
    pub fn require(&self, scope: Scope) -> Result<&Principal, ApiError> {
        if self.0.scopes.allows(scope) {
            Ok(&self.0)
        } else {
            Err(ApiError::permission_denied(format!(
                "this API key lacks the '{}' scope",
                scope.as_str()
            )))
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Arc<Principal>>()
            .cloned()
            .map(Caller)
            .ok_or_else(|| ApiError::unauthenticated("missing API key"))
    }
}
