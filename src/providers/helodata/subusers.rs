//! Listing sub-users as proxy users: `product`, `status` and `label_contains` are filtered by
//! helodata, `username_prefix` and the final match here, page by page until the gateway page
//! is full (at most [`super::MAX_UPSTREAM_PAGES`] helodata pages per gateway page).

use super::{HelodataAdapter, MAX_UPSTREAM_PAGES, UPSTREAM_MAX_LIMIT, map};
use crate::domain::proxy_users::ProxyUserFilter;
use crate::providers::{ProviderError, ProxyUserPage};

impl HelodataAdapter {
    /// `product`, `status` and `label_contains` are filtered by helodata; `username_prefix` and
    /// the final [`ProxyUserFilter::matches`] here, fetching on until `limit` users or the end.
    pub(super) async fn subuser_page(
        &self,
        filter: &ProxyUserFilter,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<ProxyUserPage, ProviderError> {
        let limit = limit.max(1);
        let mut position = match cursor {
            Some(text) => {
                map::ListCursor::decode(text).map_err(|m| ProviderError::invalid("cursor", m))?
            }
            None => map::ListCursor::default(),
        };
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(product) = filter.product {
            match map::product_to_wire(product) {
                Some(name) => query.push(("product", name.to_string())),
                // helodata sells no such product: no sub-user can have it.
                None => {
                    return Ok(ProxyUserPage {
                        users: Vec::new(),
                        next_cursor: None,
                    });
                }
            }
        }
        if let Some(status) = filter.status {
            query.push(("status", map::status_to_wire(status).to_string()));
        }
        if let Some(needle) = filter.label_contains.as_ref().filter(|n| !n.is_empty()) {
            query.push(("label_contains", needle.clone()));
        }
        let filters_locally = filter.username_prefix.is_some();
        let mut users = Vec::new();
        for _ in 0..MAX_UPSTREAM_PAGES {
            let wanted = limit - users.len() as u32;
            let page_limit = if filters_locally {
                UPSTREAM_MAX_LIMIT
            } else {
                (position.skip + wanted).min(UPSTREAM_MAX_LIMIT)
            };
            let (items, next) = self
                .page(
                    "/subusers",
                    query.clone(),
                    position.upstream.as_deref(),
                    page_limit,
                )
                .await?;
            let parsed = items
                .iter()
                .map(|raw| self.user(raw))
                .collect::<Result<Vec<_>, _>>()?;
            let ids: Vec<&str> = parsed.iter().map(|u| u.id.upstream.as_str()).collect();
            let start = position.resume_index(&ids);
            for (index, user) in parsed.iter().enumerate().skip(start) {
                if filter.matches(user) {
                    users.push(user.clone());
                }
                if users.len() as u32 == limit {
                    let rest = if index + 1 < parsed.len() {
                        Some(map::ListCursor {
                            upstream: position.upstream.clone(),
                            skip: (index + 1) as u32,
                            last_id: Some(user.id.upstream.clone()),
                        })
                    } else {
                        next.map(|n| map::ListCursor {
                            upstream: Some(n),
                            ..Default::default()
                        })
                    };
                    return Ok(ProxyUserPage {
                        users,
                        next_cursor: rest.map(|c| c.encode()),
                    });
                }
            }
            match next {
                Some(n) => {
                    position = map::ListCursor {
                        upstream: Some(n),
                        ..Default::default()
                    }
                }
                None => {
                    return Ok(ProxyUserPage {
                        users,
                        next_cursor: None,
                    });
                }
            }
        }
        Ok(ProxyUserPage {
            users,
            next_cursor: Some(position.encode()),
        })
    }
}
