//! proxy-gateway: one normalized REST API over the management APIs of residential-proxy
//! providers. Layers, outermost first: [`api`] (HTTP surface) → [`domain`] (normalized model and
//! services) → providers (adapters) → upstream HTTP; [`store`] beside them. [`app`] wires them
//! from a [`config::Config`]; [`sim`] holds the provider simulators.

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
