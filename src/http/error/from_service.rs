//! A use case's failure as the caller sees it.

use super::ApiError;
use crate::services::ServiceError;

impl From<ServiceError> for ApiError {
    fn from(err: ServiceError) -> Self {
        match err {
            ServiceError::InvalidArgument { field, message } => {
                ApiError::invalid_argument(field, message)
            }
            ServiceError::NotFound(detail) => ApiError::not_found(detail),
            ServiceError::PermissionDenied(detail) => ApiError::permission_denied(detail),
            ServiceError::Forbidden { field, message } => {
                ApiError::permission_denied(message).with_field(field)
            }
            ServiceError::Provider { account, source } => {
                ApiError::from_provider(&account, *source)
            }
            ServiceError::Store(err) => ApiError::from(err),
        }
    }
}
