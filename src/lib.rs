//! proxy-gateway: one normalized REST API over the management APIs of residential-proxy
//! providers. Layers, top to bottom, each importing only those below it: [`cli`] → [`app`]
//! (assembly) → [`api`] (handlers, wire types) → [`http`] (shared layers, the error mapping) →
//! [`services`] (use cases) → [`providers`] and [`store`] side by side → [`config`] →
//! [`upstream`] → [`domain`] (types and pure rules) → [`telemetry`]; [`sim`] holds the provider
//! simulators. docs/ARCHITECTURE.md is the map; tests/it/architecture.rs the guard.

pub mod api;
pub mod app;
pub mod cli;
pub mod config;
pub mod domain;
pub mod http;
pub mod providers;
pub mod services;
pub mod sim;
pub mod store;
pub mod telemetry;
pub mod upstream;
