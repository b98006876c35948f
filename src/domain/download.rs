//! A file handed on from a provider as it arrives (an invoice PDF, a report's output): the
//! gateway passes chunks through and never holds the whole file.

use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;

/// A body read chunk by chunk.
pub type ByteStream = Pin<Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send>>;

/// A file on its way to the caller.
pub struct Download {
    /// Its media type as the provider sent it (`application/pdf`).
    pub content_type: String,
    /// Its length, when the provider said.
    pub content_length: Option<u64>,
    /// The name to save it under.
    pub filename: String,
    /// The bytes.
    pub body: ByteStream,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Download")
            .field("content_type", &self.content_type)
            .field("content_length", &self.content_length)
            .field("filename", &self.filename)
            .finish_non_exhaustive()
    }
}
