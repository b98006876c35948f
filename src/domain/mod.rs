//! The normalized model and the services that operate on it, independent of HTTP and of any
//! one provider.

pub mod account;
pub mod api_keys;
pub mod audit;
pub mod idempotency;
pub mod ids;
pub mod packages;
pub mod pagination;
pub mod products;
pub mod providers;
pub mod proxy_users;
pub mod usage;
