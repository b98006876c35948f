//! Cursor pagination as the normalized API uses it: an opaque `cursor` that encodes where the
//! previous page ended, and a `limit` with a default and a maximum.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// Items per page when the caller gives no `limit`.
pub const DEFAULT_LIMIT: u32 = 50;
/// The largest `limit` a caller may ask for.
pub const MAX_LIMIT: u32 = 200;

/// Where a page starts: after the item whose sort key this is. Opaque to callers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor(pub String);

impl Cursor {
    /// The opaque text callers pass back.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.0.as_bytes())
    }

    /// Decodes text produced by [`Cursor::encode`]; anything else is refused.
    pub fn decode(text: &str) -> Result<Cursor, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text)
            .map_err(|_| "is not a cursor returned by this API".to_string())?;
        let key = String::from_utf8(bytes)
            .map_err(|_| "is not a cursor returned by this API".to_string())?;
        if key.is_empty() {
            return Err("is not a cursor returned by this API".to_string());
        }
        Ok(Cursor(key))
    }
}

/// Checks a caller's `limit`: 1..=MAX_LIMIT, default DEFAULT_LIMIT.
pub fn page_limit(limit: Option<u32>) -> Result<u32, String> {
    match limit {
        None => Ok(DEFAULT_LIMIT),
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        Some(_) => Err(format!("must be between 1 and {MAX_LIMIT}")),
    }
}

/// One page of results and the cursor of the next one, if there is more.
#[derive(Clone, Debug)]
pub struct Page<T> {
    /// The items, in the list's stable order.
    pub items: Vec<T>,
    /// Where the next page starts.
    pub next: Option<Cursor>,
}

impl<T> Page<T> {
    /// Builds a page from up to `limit + 1` fetched items: the extra one only proves there is more.
    pub fn from_overfetch(mut items: Vec<T>, limit: u32, key: impl Fn(&T) -> String) -> Page<T> {
        let limit = limit as usize;
        let next = if items.len() > limit {
            items.truncate(limit);
            items.last().map(|last| Cursor(key(last)))
        } else {
            None
        };
        Page { items, next }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn limits_default_and_are_bounded() {
        assert_eq!(page_limit(None), Ok(DEFAULT_LIMIT));
        assert_eq!(page_limit(Some(1)), Ok(1));
        assert_eq!(page_limit(Some(MAX_LIMIT)), Ok(MAX_LIMIT));
        assert!(page_limit(Some(0)).is_err());
        assert!(page_limit(Some(MAX_LIMIT + 1)).is_err());
    }

    #[test]
    fn an_overfetched_page_keeps_limit_items_and_points_after_the_last() {
        let page = Page::from_overfetch(vec![1, 2, 3], 2, |n| n.to_string());
        assert_eq!(page.items, vec![1, 2]);
        assert_eq!(page.next, Some(Cursor("2".into())));
        let last = Page::from_overfetch(vec![1, 2], 2, |n| n.to_string());
        assert_eq!(last.next, None);
    }

    #[test]
    fn garbage_is_not_a_cursor() {
        assert!(Cursor::decode("!!!").is_err());
        assert!(Cursor::decode("").is_err());
    }

    proptest! {
        #[test]
        fn cursors_round_trip(key in ".{1,100}") {
            let cursor = Cursor(key);
            prop_assert_eq!(Cursor::decode(&cursor.encode()).unwrap(), cursor);
        }
    }
}
