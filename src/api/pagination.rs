//! Wire side of cursor pagination: the query parameters and the `Link: <…>; rel="next"` header.

use axum::http::{HeaderMap, HeaderValue, header};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::pagination::{Cursor, Page, page_limit};
use crate::error::ApiError;

/// `?cursor=&limit=` of every list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// The `next_cursor` of the previous page; omit for the first page.
    pub cursor: Option<String>,
    /// Items per page, 1–200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
}

impl PageParams {
    /// The validated cursor and limit.
    pub fn parse(&self) -> Result<(Option<Cursor>, u32), ApiError> {
        let cursor = self
            .cursor
            .as_deref()
            .map(Cursor::decode)
            .transpose()
            .map_err(|e| ApiError::invalid_argument("cursor", format!("cursor {e}")))?;
        let limit = page_limit(self.limit)
            .map_err(|e| ApiError::invalid_argument("limit", format!("limit {e}")))?;
        Ok((cursor, limit))
    }
}

/// The `Link` header pointing at the next page of `path`, when there is one.
pub fn link_header<T>(path: &str, page: &Page<T>, limit: u32) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(next) = &page.next {
        let value = format!(
            "<{path}?cursor={}&limit={limit}>; rel=\"next\"",
            next.encode()
        );
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(header::LINK, value);
        }
    }
    headers
}
