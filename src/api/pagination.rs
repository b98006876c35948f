//! Wire side of cursor pagination: the query parameters and the `Link: <…>; rel="next"` header.

use axum::http::{HeaderMap, HeaderValue, header};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::pagination::{Cursor, Page, page_limit};
use crate::http::error::ApiError;
use crate::services::listing::ListCursor;

/// `?cursor=&limit=` of every list.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageParams {
    /// The `next_cursor` of the previous page; omit for the first page.
    #[param(value_type = Option<super::common::CursorText>)]
    pub cursor: Option<String>,
    /// Items per page, 1–200 (default 50).
    #[serde(default, deserialize_with = "super::common::query_u32")]
    #[param(minimum = 1, maximum = 200, example = 50)]
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

/// The `Link` header pointing at the next page of `path`, when there is one; `keep` are the
/// filters the cursor depends on, repeated in the link.
pub fn link_header<T>(path: &str, page: &Page<T>, limit: u32, keep: &[(&str, &str)]) -> HeaderMap {
    let mut headers = HeaderMap::new();
    if let Some(next) = &page.next {
        let mut query = format!("cursor={}&limit={limit}", next.encode());
        for (name, value) in keep {
            query.push_str(&format!("&{name}={}", percent_encode(value)));
        }
        if let Ok(value) = HeaderValue::from_str(&format!("<{path}?{query}>; rel=\"next\"")) {
            headers.insert(header::LINK, value);
        }
    }
    headers
}

/// `link_header` for a listing across accounts: the `account` filter is what its cursor
/// depends on, so the link repeats it.
pub fn accounts_link<T>(path: &str, page: &Page<T>, limit: u32, accounts: &[String]) -> HeaderMap {
    let keep: Vec<(&str, &str)> = accounts.iter().map(|a| ("account", a.as_str())).collect();
    link_header(path, page, limit, &keep)
}

/// The page size (1 to `max`, default 50) and the resume point of a listing across accounts.
pub fn accounts_position(
    limit: Option<u32>,
    max: u32,
    cursor: Option<&str>,
) -> Result<(u32, Option<ListCursor>), ApiError> {
    let limit = page_limit(limit)
        .ok()
        .filter(|l| *l <= max)
        .ok_or_else(|| ApiError::invalid_argument("limit", format!("limit must be 1-{max}")))?;
    let cursor = cursor.map(ListCursor::decode_public).transpose()?;
    Ok((limit, cursor))
}

/// Percent-encodes a query value (everything but unreserved characters).
fn percent_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
