//! Files read by hand, resumed without ever splicing two versions of a file:
//! the requests the log and artifact features build themselves (the
//! generated builders have no `Range` setter), and `FileRead`
//! (`file_read.rs`), the read of one file across broken connections that
//! both share, with its `Digest` (`digest.rs`), and `PartFile`
//! (`part_file.rs`), a download to a path that a later run continues.
//!
//! A read that breaks is resumed only where the answer proves it continues
//! the same file:
//! - With a validator from the first answer (a strong `ETag`, else
//!   `Last-Modified`), the rest is asked for with `Range` and `If-Range`. A
//!   `206` is accepted only when its `Content-Range` starts at the first byte
//!   not yet delivered and names the same total size; a `200` is the whole
//!   file again (the server ignores ranges, or the file changed).
//! - Without one, no range is asked for: the whole file comes again.
//! - A whole file read again is skipped up to the bytes already delivered,
//!   and those bytes are checked against a digest of what was delivered
//!   wherever a validator cannot vouch for them (no validator, or a log that
//!   may have grown): a file that changed is an error, never a splice.
//!
//! A file that is not `growing` (an artifact) and whose size or validator
//! changed is an error at once. A growing one (a running job's log) may have
//! grown: its new version must begin with the bytes delivered.

mod digest;
mod file_read;
mod part_file;

use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;
use reqwest::{
    Response,
    header::{self, HeaderMap, HeaderName, HeaderValue},
};

pub(crate) use digest::Digest;
pub(crate) use file_read::{FileRead, ReadError};
pub(crate) use part_file::PartFile;

use crate::{
    Client, Error,
    error::Problem,
    operations::Operation,
    transport::{self, Deadline},
};

/// A file answer's body, chunk by chunk.
pub(crate) type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>>;

/// A GET of a file for `row`, sent as generated requests are: with the
/// client's credential, its redirect and retry policies, and error bodies
/// read. The caller reads the status.
pub(crate) async fn get(
    client: &Client,
    row: &Operation,
    url: &str,
    headers: &[(HeaderName, HeaderValue)],
    deadline: Option<Deadline>,
) -> Result<Response, Error> {
    let mut request = client.client.get(url).build().map_err(Error::CommunicationError)?;
    for (name, value) in headers {
        request.headers_mut().insert(name.clone(), value.clone());
    }
    let settings = &client.inner.transport;
    let mut call = row.call(settings, None);
    call.deadline = deadline.or(call.deadline);
    transport::send(&client.client, settings, request, &call).await.map_err(transport::Failure::into_error)
}

/// An answer the client cannot use, for `reason`, as the error it ends in.
pub(crate) fn refuse(client: &Client, response: Response, reason: String) -> Error {
    Error::UnexpectedResponse(transport::refused(response, Problem::Refused { reason }, &client.inner.transport))
}

/// `bytes 100-199/200` → (100, Some(200)); `bytes */200` → (200, Some(200)).
pub(crate) fn content_range(headers: &HeaderMap) -> Option<(u64, Option<u64>)> {
    let value = headers.get(header::CONTENT_RANGE)?.to_str().ok()?.trim();
    let spec = value.strip_prefix("bytes ")?;
    let (range, total) = spec.split_once('/')?;
    let total = total.trim().parse::<u64>().ok();
    if range.trim() == "*" {
        return Some((total?, total));
    }
    let (start, end) = range.split_once('-')?;
    let (start, end) = (start.trim().parse::<u64>().ok()?, end.trim().parse::<u64>().ok()?);
    // A range that ends before it starts, or past the total, is no range.
    if end < start || total.is_some_and(|total| end >= total) {
        return None;
    }
    Some((start, total))
}

/// Drops the first `skip` bytes of what arrives, across chunks.
pub(crate) fn skip_prefix(chunk: Bytes, skip: &mut u64) -> Bytes {
    if *skip == 0 {
        return chunk;
    }
    let dropped = (*skip).min(chunk.len() as u64);
    *skip -= dropped;
    chunk.slice(dropped as usize..)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skipping_spans_chunks() {
        let mut skip = 5;
        assert_eq!(skip_prefix(Bytes::from_static(b"abc"), &mut skip), "");
        assert_eq!(skip_prefix(Bytes::from_static(b"defgh"), &mut skip), "fgh");
        assert_eq!(skip, 0);
        assert_eq!(skip_prefix(Bytes::from_static(b"ij"), &mut skip), "ij");
    }

    #[test]
    fn content_ranges_that_make_no_sense_are_none() {
        let range = |value: &'static str| {
            let mut headers = HeaderMap::new();
            headers.insert(header::CONTENT_RANGE, HeaderValue::from_static(value));
            content_range(&headers)
        };
        assert_eq!(range("bytes 100-199/200"), Some((100, Some(200))));
        assert_eq!(range("bytes 100-199/*"), Some((100, None)));
        assert_eq!(range("bytes */200"), Some((200, Some(200))));
        assert_eq!(range("bytes 100-99/200"), None);
        assert_eq!(range("bytes 100-200/200"), None);
        assert_eq!(range("bytes 0-18446744073709551616/5"), None);
        assert_eq!(range("items 0-1/2"), None);
    }
}
