//! The store's connection string and the backend it selects.

use secrecy::{ExposeSecret, SecretString};

/// The store's connection string. Its `Debug` shows only the scheme, since a Postgres URL may
/// carry a password.
#[derive(Clone)]
pub struct DatabaseUrl(SecretString);

impl DatabaseUrl {
    /// Wraps a URL.
    pub fn new(url: impl Into<String>) -> Self {
        DatabaseUrl(SecretString::from(url.into()))
    }

    /// The URL itself, for the store driver only.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Which backend the URL selects.
    pub fn backend(&self) -> Backend {
        if self.expose().starts_with("postgres://") || self.expose().starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    /// A printable description with no credentials: the scheme, and the file for SQLite.
    pub fn redacted(&self) -> String {
        match self.backend() {
            Backend::Postgres => "postgres://[redacted]".to_string(),
            Backend::Sqlite => self.expose().to_string(),
        }
    }
}

impl std::fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DatabaseUrl({})", self.redacted())
    }
}

/// The store backend a URL selects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// PostgreSQL (production, several replicas).
    Postgres,
    /// Embedded SQLite in one file (single machine, no database server).
    Sqlite,
}
