//! The store's failures as the caller sees them: never the SQL, always the request id.

use super::{ApiError, ErrorCode};

impl From<crate::store::StoreError> for ApiError {
    fn from(err: crate::store::StoreError) -> Self {
        use crate::store::StoreError;
        match err {
            StoreError::Unavailable(cause) => {
                tracing::error!(error = %cause, "store unavailable");
                ApiError::new(
                    ErrorCode::ServiceUnavailable,
                    "the gateway's store is unavailable",
                )
                .with_retry_after(1)
            }
            StoreError::Conflict(detail) => ApiError::new(ErrorCode::Conflict, detail),
            StoreError::Other(cause) => {
                tracing::error!(error = %cause, "store error");
                ApiError::internal()
            }
        }
    }
}
