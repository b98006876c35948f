//! Geo lists across accounts: each account's tree per product is read once per TTL
//! (`PGW_LOCATIONS_TTL_SECS`) into an in-memory cache, then filtered and merged here. Items are
//! merged by each provider's own spelling, and every item names the accounts (and products)
//! that serve it, so a caller can pick the account whose grammar takes that spelling.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::select_accounts;
use crate::domain::api_keys::Principal;
use crate::domain::locations::{Country, matches};
use crate::domain::products::Product;
use crate::providers::registry::{ProviderAccount, Registry};
use crate::providers::{Capability, ProviderKind};
use crate::services::ServiceError;

/// Each account's tree per product, with when it was read.
type Trees = HashMap<(String, Product), (Instant, Arc<Vec<Country>>)>;

/// The cached trees, by account and product.
pub struct LocationCache {
    ttl: Duration,
    entries: tokio::sync::Mutex<Trees>,
}

impl LocationCache {
    /// A cache keeping each tree for `ttl` (zero: read for every request).
    pub fn new(ttl: Duration) -> Self {
        LocationCache {
            ttl,
            entries: tokio::sync::Mutex::new(HashMap::new()),
        }
    }

    /// The account's tree for `product`, from the cache while it is fresh. The lock is held
    /// across a refresh, so concurrent requests wait for one read instead of each making one.
    async fn tree(
        &self,
        account: &ProviderAccount,
        product: Product,
    ) -> Result<Arc<Vec<Country>>, ServiceError> {
        let mut entries = self.entries.lock().await;
        let key = (account.name.clone(), product);
        if let Some((read_at, tree)) = entries.get(&key)
            && read_at.elapsed() < self.ttl
        {
            return Ok(tree.clone());
        }
        let tree = Arc::new(
            account
                .adapter
                .locations(product)
                .await
                .map_err(|e| ServiceError::provider(&account.name, e))?,
        );
        entries.insert(key, (Instant::now(), tree.clone()));
        Ok(tree)
    }
}

/// Which lists a request reads and how it filters them.
#[derive(Clone, Debug, Default)]
pub struct LocationQuery {
    /// Only these accounts; every permitted one when empty.
    pub accounts: Vec<String>,
    /// Only this product; every product of each account when `None`.
    pub product: Option<Product>,
    /// Case-insensitive text in the code or name.
    pub q: Option<String>,
}

/// An account and product that serve a location.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Served {
    /// The account.
    pub account: String,
    /// Its provider.
    pub provider: ProviderKind,
    /// The product whose list names it.
    pub product: Product,
}

/// One merged location: its parents' codes, its code and name, who serves it.
#[derive(Clone, Debug)]
pub struct LocationRow {
    /// The country (ISO, upper case).
    pub country: String,
    /// The state (for cities).
    pub state: Option<String>,
    /// The item's own code (the country's for countries).
    pub code: String,
    /// A display name.
    pub name: Option<String>,
    /// Accounts and products that list it.
    pub served_by: Vec<Served>,
}

/// Which level of the tree to list.
#[derive(Clone, Debug)]
pub enum Level {
    /// Countries.
    Countries,
    /// The states of a country.
    States {
        /// ISO code, any case.
        country: String,
    },
    /// The cities of a country, optionally of one state.
    Cities {
        /// ISO code, any case.
        country: String,
        /// The state's code, as listed.
        state: Option<String>,
    },
}

/// The rows of one level over the selected accounts and products, sorted by code.
pub async fn list(
    cache: &LocationCache,
    registry: &Registry,
    principal: &Principal,
    query: &LocationQuery,
    level: &Level,
) -> Result<Vec<LocationRow>, ServiceError> {
    let selected = select_accounts(registry, principal, &query.accounts)?;
    let mut rows: BTreeMap<(String, Option<String>, String), LocationRow> = BTreeMap::new();
    for account in selected {
        if !account
            .adapter
            .capabilities()
            .contains(&Capability::Locations)
        {
            continue;
        }
        let products: Vec<Product> = match query.product {
            Some(p) => vec![p],
            None => account.adapter.products().to_vec(),
        };
        for product in products {
            let tree = cache.tree(account, product).await?;
            let served = Served {
                account: account.name.clone(),
                provider: account.kind,
                product,
            };
            for found in level_rows(&tree, level) {
                let key = (
                    found.country.clone(),
                    found.state.clone(),
                    found.code.clone(),
                );
                let row = rows.entry(key).or_insert(LocationRow {
                    served_by: Vec::new(),
                    ..found.clone()
                });
                if row.name.is_none() {
                    row.name = found.name;
                }
                row.served_by.push(served.clone());
            }
        }
    }
    let q = query.q.as_deref();
    Ok(rows
        .into_values()
        .filter(|r| matches(q, &r.code, r.name.as_deref()))
        .map(|mut r| {
            r.served_by.sort();
            r.served_by.dedup();
            r
        })
        .collect())
}

/// The rows of one tree at `level` (without `served_by`).
fn level_rows(tree: &[Country], level: &Level) -> Vec<LocationRow> {
    let row = |country: &str, state: Option<&str>, code: &str, name: Option<&String>| LocationRow {
        country: country.to_string(),
        state: state.map(str::to_string),
        code: code.to_string(),
        name: name.cloned(),
        served_by: Vec::new(),
    };
    match level {
        Level::Countries => tree
            .iter()
            .map(|c| row(&c.code, None, &c.code, c.name.as_ref()))
            .collect(),
        Level::States { country } => tree
            .iter()
            .filter(|c| c.code.eq_ignore_ascii_case(country))
            .flat_map(|c| {
                c.regions
                    .iter()
                    .map(|r| row(&c.code, None, &r.code, r.name.as_ref()))
            })
            .collect(),
        Level::Cities { country, state } => tree
            .iter()
            .filter(|c| c.code.eq_ignore_ascii_case(country))
            .flat_map(|c| {
                c.regions
                    .iter()
                    .filter(|r| {
                        state
                            .as_deref()
                            .is_none_or(|s| r.code.eq_ignore_ascii_case(s))
                    })
                    .flat_map(|r| {
                        r.cities
                            .iter()
                            .map(|city| row(&c.code, Some(&r.code), &city.code, city.name.as_ref()))
                    })
            })
            .collect(),
    }
}
