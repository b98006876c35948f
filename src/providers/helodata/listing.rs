//! Reading helodata's cursor-paged lists (`{data, next_cursor}`, with the `Link` header as the
//! fallback, §1 and §10.7): one page, or every page of a list.

use serde_json::Value;

use super::client::{self, Answer, parse};
use super::{HelodataAdapter, MAX_LIST_PAGES, UPSTREAM_MAX_LIMIT, map, wire};
use crate::providers::UpstreamFailure;

impl HelodataAdapter {
    /// One helodata list page: its raw items and the next cursor (body `next_cursor`, else the
    /// `Link` header, §10.7).
    pub(super) async fn page(
        &self,
        path: &str,
        mut query: Vec<(&str, String)>,
        cursor: Option<&str>,
        limit: u32,
    ) -> Result<(Vec<Value>, Option<String>), UpstreamFailure> {
        query.push(("limit", limit.to_string()));
        if let Some(cursor) = cursor {
            query.push(("cursor", cursor.to_string()));
        }
        let Answer { json, headers } = self.client.get(path, &query).await?;
        let json = json.ok_or_else(|| client::malformed(200, None, "the list has no body"))?;
        let envelope: wire::ListEnvelope = parse(&json, "list envelope")?;
        let next = envelope.next_cursor.filter(|c| !c.is_empty()).or_else(|| {
            headers
                .get(reqwest::header::LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(map::next_cursor_from_link)
        });
        if next.is_some() && next.as_deref() == cursor {
            return Err(client::malformed(
                200,
                None,
                "the list answered the same cursor it was given",
            ));
        }
        Ok((envelope.data, next))
    }

    /// Every item of a list, page by page (at most [`MAX_LIST_PAGES`] pages).
    pub(super) async fn all(
        &self,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<Value>, UpstreamFailure> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..MAX_LIST_PAGES {
            let (page, next) = self
                .page(path, query.to_vec(), cursor.as_deref(), UPSTREAM_MAX_LIMIT)
                .await?;
            items.extend(page);
            match next {
                Some(next) => cursor = Some(next),
                None => return Ok(items),
            }
        }
        Err(client::malformed(
            200,
            None,
            &format!("{path} did not end within {MAX_LIST_PAGES} pages"),
        ))
    }
}
