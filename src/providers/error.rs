//! What can go wrong in an adapter, in terms the error mapping needs (one table, in
//! `http::error::from_provider`): the caller's input broke the provider's rules, the provider
//! cannot do it, or the upstream failed in a classified way.

use std::time::Duration;

use super::Capability;

/// An adapter's failure.
#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    /// The provider cannot do this operation (501 `unsupported_by_provider`).
    #[error("the provider does not support {operation}")]
    Unsupported {
        /// The operation's published name.
        operation: &'static str,
        /// Why, when there is more to say.
        detail: Option<String>,
    },
    /// The input breaks the provider's documented rules; caught before any upstream call.
    #[error("{field}: {message}")]
    InvalidInput {
        /// The wire name of the input field.
        field: String,
        /// What is wrong, for humans.
        message: String,
    },
    /// No such object at the provider.
    #[error("not found: {0}")]
    NotFound(String),
    /// The change conflicts with what exists (e.g. the username is taken).
    #[error("conflict: {message}")]
    Conflict {
        /// The input field involved, if known.
        field: Option<String>,
        /// What conflicts.
        message: String,
    },
    /// A multi-step change stopped part-way: `applied` fields took effect, `failed` did not.
    #[error("applied {applied:?}, then {failed} failed: {cause}")]
    PartiallyApplied {
        /// Fields applied, in order.
        applied: Vec<&'static str>,
        /// The field whose step failed.
        failed: &'static str,
        /// Upstream ids of the proxy users a create made before it stopped (empty for other
        /// changes): they exist, and the caller must learn which.
        created: Vec<String>,
        /// Why it failed.
        cause: Box<ProviderError>,
    },
    /// The upstream call failed.
    #[error("upstream: {0}")]
    Upstream(UpstreamFailure),
    /// A retried write whose first attempt's outcome was unknown could not be matched to
    /// exactly one thing at the provider: sending again might apply it twice, so nothing is
    /// sent (409 `outcome_unknown`, naming what was checked).
    #[error("the earlier attempt's outcome cannot be told: {checked}")]
    OutcomeUnresolved {
        /// What was compared, and what was found.
        checked: String,
    },
}

impl ProviderError {
    /// The provider cannot do `capability`.
    pub fn unsupported(capability: Capability) -> Self {
        ProviderError::Unsupported {
            operation: capability.as_str(),
            detail: None,
        }
    }

    /// The provider cannot do `capability`, with an explanation.
    pub fn unsupported_because(capability: Capability, detail: impl Into<String>) -> Self {
        ProviderError::Unsupported {
            operation: capability.as_str(),
            detail: Some(detail.into()),
        }
    }

    /// Input that breaks the provider's rules.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ProviderError::InvalidInput {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// How an upstream call failed; drives the mapping to a public error.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailureKind {
    /// The provider refused the input (HTTP 400/422, 911 code 400): 400 `invalid_argument`.
    Rejected,
    /// The provider says the object does not exist: 404.
    NotFound,
    /// The provider says it conflicts: 409.
    Conflict,
    /// The gateway's own provider credential was refused (911 code 3, helodata 401): 502.
    CredentialRejected,
    /// The account may not do this (911 code 156, helodata `kyc-required`, missing scope): 403.
    Forbidden,
    /// The account lacks funds (helodata `insufficient_balance`): 402.
    InsufficientBalance,
    /// The provider rate-limited the gateway: 503 with Retry-After.
    RateLimited,
    /// The provider answered 5xx: 502.
    ServerError,
    /// No connection could be made, or it broke: 502.
    Unreachable,
    /// No answer in time: 504.
    Timeout,
    /// The gateway's circuit breaker for the account is open: 503.
    CircuitOpen,
    /// The answer could not be understood (malformed JSON, unexpected shape): 502.
    MalformedResponse,
    /// Any other error the provider reported: 502.
    Other,
}

/// A classified upstream failure with what the provider said, secrets removed.
#[derive(Clone, Debug, thiserror::Error)]
#[error("{kind:?} (status {status:?}, code {code:?}): {message:?}")]
pub struct UpstreamFailure {
    /// The class of failure.
    pub kind: FailureKind,
    /// The provider's HTTP status, when it answered.
    pub status: Option<u16>,
    /// The provider's error code.
    pub code: Option<String>,
    /// The provider's message.
    pub message: Option<String>,
    /// The input field the provider named, mapped to the gateway's wire name when known.
    pub field: Option<String>,
    /// How long the provider asked to wait.
    pub retry_after: Option<Duration>,
    /// The provider's request id, for support.
    pub request_id: Option<String>,
}

impl UpstreamFailure {
    /// A failure of `kind` with nothing else known.
    pub fn new(kind: FailureKind) -> Self {
        UpstreamFailure {
            kind,
            status: None,
            code: None,
            message: None,
            field: None,
            retry_after: None,
            request_id: None,
        }
    }

    /// Sets the HTTP status.
    pub fn status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// Sets the provider code.
    pub fn code(mut self, code: impl Into<String>) -> Self {
        self.code = Some(code.into());
        self
    }

    /// Sets the provider message.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }
}

impl From<UpstreamFailure> for ProviderError {
    fn from(failure: UpstreamFailure) -> Self {
        ProviderError::Upstream(failure)
    }
}
