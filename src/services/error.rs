//! What a use case can fail with, in the services' own terms. The HTTP layer turns it into the
//! public problem (`http::error`), the only place that knows status codes.

use crate::domain::idempotency::JournalError;
use crate::providers::ProviderError;
use crate::store::StoreError;

/// A failed use case.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The caller's input is wrong; `field` names it (body path, query parameter or header).
    #[error("{field}: {message}")]
    InvalidArgument {
        /// The input that was wrong.
        field: String,
        /// What is wrong, for humans.
        message: String,
    },
    /// The object does not exist (or the caller may not know that it does).
    #[error("not found: {0}")]
    NotFound(String),
    /// The caller's key may not do this.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// Well-formed input the gateway never lets through (a passthrough path under a credential
    /// endpoint); `field` names it.
    #[error("{field}: {message}")]
    Forbidden {
        /// The input that is refused.
        field: String,
        /// Why, for humans.
        message: String,
    },
    /// A provider account's adapter failed.
    #[error("account '{account}': {source}")]
    Provider {
        /// The configured account name.
        account: String,
        /// What the adapter said (boxed: the error path stays small).
        source: Box<ProviderError>,
    },
    /// The gateway's own store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<JournalError> for ServiceError {
    fn from(err: JournalError) -> Self {
        ServiceError::Store(match err {
            JournalError::TakenOver(detail) => StoreError::Conflict(detail),
            JournalError::Unavailable(cause) => StoreError::Unavailable(cause),
            JournalError::Other(cause) => StoreError::Other(cause),
        })
    }
}

impl ServiceError {
    /// Bad input naming `field`.
    pub fn invalid_argument(field: impl Into<String>, message: impl Into<String>) -> Self {
        ServiceError::InvalidArgument {
            field: field.into(),
            message: message.into(),
        }
    }

    /// A failure of the adapter of `account`.
    pub fn provider(account: &str, source: ProviderError) -> Self {
        ServiceError::Provider {
            account: account.to_string(),
            source: Box::new(source),
        }
    }
}
