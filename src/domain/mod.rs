//! The normalized model and the services that operate on it, independent of HTTP and of any
//! one provider.

pub mod api_keys;
pub mod ids;
pub mod pagination;
