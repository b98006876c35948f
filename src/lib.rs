//! proxy-gateway: one normalized REST API over residential-proxy providers' management APIs.

pub mod sim;
