//! The cursor of a 911 proxy-user listing: which snapshot, and after which username.

/// Where a page of 911 proxy users resumes: after `username`, in snapshot `snapshot`.
#[derive(Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct PageCursor {
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub(super) snapshot: Option<u64>,
    #[serde(rename = "u")]
    pub(super) username: String,
}

impl PageCursor {
    /// Reads a cursor's text: `{"s":…,"u":…}`, or a bare username (the cursors of earlier
    /// versions, which name no snapshot).
    pub(super) fn parse(text: &str) -> PageCursor {
        serde_json::from_str(text).unwrap_or_else(|_| PageCursor {
            snapshot: None,
            username: text.to_string(),
        })
    }

    pub(super) fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| self.username.clone())
    }
}
