//! The normalized model: types and pure rules, independent of HTTP, of the store and of any
//! one provider. The use cases that combine them with providers and the store are in
//! `services`.

pub mod account;
pub mod api_keys;
pub mod audit;
pub mod connection;
pub mod download;
pub mod draws;
pub mod idempotency;
pub mod ids;
pub mod invoices;
pub mod locations;
pub mod money;
pub mod orders;
pub mod packages;
pub mod pagination;
pub mod passthrough;
pub mod payments;
pub mod products;
pub mod providers;
pub mod proxy_users;
pub mod rate_limit;
pub mod reports;
pub mod sessions;
pub mod static_ips;
pub mod subscriptions;
pub mod tombstones;
pub mod usage;
pub mod whitelist;
