//! The process-wide TLS setup. rustls needs one crypto provider per process (ring is the one
//! compiled in); the upstream client is the first to need it, the Postgres driver the other.

/// Installs ring as rustls's provider; a second call is harmless.
pub fn install_crypto_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
