//! Cursor pagination: `?cursor=&limit=`, `{data, next_cursor}` in the body and a
//! `Link: <…>; rel="next"` header (overview "约定"; §10.7 says support both).
//!
//! Default and maximum `limit` were not recovered (§11). Chosen: default 50, maximum 100 (the
//! largest value in a documented example is `limit=100`, I-STAT). A cursor is the opaque
//! base64url of the last key served; the next page holds the items strictly after it, so items
//! created or deleted between pages never make a walk repeat or skip a survivor.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

use super::errors::{ApiError, ApiResult};
use super::reply::{Reply, Req};

pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 100;

/// Where a page starts and how long it is.
#[derive(Clone, Debug)]
pub struct Page {
    pub limit: usize,
    pub after: Option<String>,
}

impl Page {
    pub fn from_req(req: &Req) -> ApiResult<Self> {
        let limit = match req.query.get("limit") {
            None => DEFAULT_LIMIT,
            Some(v) => match v.parse::<usize>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ApiError::invalid(
                        "limit",
                        format!("limit must be an integer from 1 to {MAX_LIMIT}"),
                    ));
                }
            },
        };
        let after =
            match req.query.get("cursor") {
                None => None,
                Some(c) => Some(decode(c).ok_or_else(|| {
                    ApiError::invalid("cursor", "cursor is not one this API issued")
                })?),
            };
        Ok(Page { limit, after })
    }

    /// One page of `items`, which are sorted by `key` (ascending, or descending if `desc`).
    pub fn slice<T>(
        &self,
        items: impl IntoIterator<Item = T>,
        key: impl Fn(&T) -> String,
        desc: bool,
    ) -> (Vec<T>, Option<String>) {
        let mut page: Vec<T> = items
            .into_iter()
            .filter(|item| match &self.after {
                None => true,
                Some(after) if desc => key(item).as_str() < after.as_str(),
                Some(after) => key(item).as_str() > after.as_str(),
            })
            .take(self.limit + 1)
            .collect();
        let next = if page.len() > self.limit {
            page.truncate(self.limit);
            page.last().map(|last| encode(&key(last)))
        } else {
            None
        };
        (page, next)
    }
}

fn encode(key: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("k:{key}"))
}

fn decode(cursor: &str) -> Option<String> {
    let bytes = URL_SAFE_NO_PAD.decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("k:").map(str::to_string)
}

/// The list envelope, with a `Link` header when there is a next page.
pub fn list_reply(req: &Req, data: Vec<Value>, next: Option<String>) -> ApiResult<Reply> {
    let mut reply = Reply::json(
        axum::http::StatusCode::OK,
        &json!({ "data": data, "next_cursor": next }),
    );
    if let Some(cursor) = next {
        reply = reply.with_header(
            "link",
            format!("<{}>; rel=\"next\"", next_url(req, &cursor)),
        );
    }
    Ok(reply)
}

/// The same request with `cursor` replaced: absolute when the `Host` header is known.
fn next_url(req: &Req, cursor: &str) -> String {
    let mut pairs: Vec<(String, String)> = req
        .query
        .0
        .iter()
        .filter(|(k, _)| k != "cursor")
        .cloned()
        .collect();
    pairs.push(("cursor".into(), cursor.to_string()));
    let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    match req.header("host") {
        Some(host) => format!("http://{host}{}?{query}", req.path),
        None => format!("{}?{query}", req.path),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slicing_visits_each_item_once_in_both_directions() {
        let items: Vec<String> = (0..7).map(|i| format!("id{i}")).collect();
        for desc in [false, true] {
            let mut sorted = items.clone();
            if desc {
                sorted.reverse();
            }
            let mut page = Page {
                limit: 3,
                after: None,
            };
            let mut seen = Vec::new();
            loop {
                let (got, next) = page.slice(sorted.clone(), |s| s.clone(), desc);
                seen.extend(got);
                match next {
                    Some(c) => page.after = decode(&c),
                    None => break,
                }
            }
            assert_eq!(seen, sorted);
        }
    }

    #[test]
    fn foreign_cursors_are_rejected() {
        assert_eq!(decode("not base64!"), None);
        assert_eq!(decode(&URL_SAFE_NO_PAD.encode("x")), None);
        assert_eq!(decode(&encode("sub_1")), Some("sub_1".into()));
    }
}
