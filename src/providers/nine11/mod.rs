//! The nine11 adapter (being written).

use std::sync::Arc;

use async_trait::async_trait;

use super::registry::AdapterSettings;
use super::{Capability, ProviderAdapter, ProviderError, ProviderKind};
use crate::domain::products::Product;
use crate::upstream::UpstreamClient;

/// The nine11 adapter.
pub struct Nine11Adapter {
    settings: AdapterSettings,
    #[allow(dead_code)]
    client: Arc<UpstreamClient>,
}

impl Nine11Adapter {
    /// An adapter for one account.
    pub fn new(settings: AdapterSettings, client: Arc<UpstreamClient>) -> Self {
        Nine11Adapter { settings, client }
    }
}

#[async_trait]
impl ProviderAdapter for Nine11Adapter {
    fn kind(&self) -> ProviderKind {
        ProviderKind::Nine11
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
