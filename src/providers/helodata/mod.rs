//! The helodata adapter (being written).

use std::sync::Arc;

use async_trait::async_trait;

use super::registry::AdapterSettings;
use super::{Capability, ProviderAdapter, ProviderError, ProviderKind};
use crate::domain::products::Product;
use crate::upstream::UpstreamClient;

/// The helodata adapter.
pub struct HelodataAdapter {
    settings: AdapterSettings,
    #[allow(dead_code)]
    client: Arc<UpstreamClient>,
}

impl HelodataAdapter {
    /// An adapter for one account.
    pub fn new(settings: AdapterSettings, client: Arc<UpstreamClient>) -> Self {
        HelodataAdapter { settings, client }
    }
}

#[async_trait]
impl ProviderAdapter for HelodataAdapter {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Helodata
    }

    fn account(&self) -> &str {
        &self.settings.account
    }

    fn capabilities(&self) -> &'static [Capability] {
        &[]
    }

    fn products(&self) -> &'static [Product] {
        &[]
    }

    async fn health(&self) -> Result<(), ProviderError> {
        Err(ProviderError::unsupported(Capability::Account))
    }
}
