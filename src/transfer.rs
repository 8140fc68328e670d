//! Files read by hand: the requests the log and artifact features build
//! themselves (the generated builders have no `Range` setter), and what a
//! resumed read needs: the range an answer holds, and skipping bytes that
//! were already delivered.

use std::pin::Pin;

use bytes::Bytes;
use futures::Stream;
use reqwest::{
    Response,
    header::{self, HeaderMap, HeaderName, HeaderValue},
};

use crate::{Client, Error, operations::Operation, transport};

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
) -> Result<Response, Error> {
    let mut request = client.client.get(url).build().map_err(Error::CommunicationError)?;
    for (name, value) in headers {
        request.headers_mut().insert(name.clone(), value.clone());
    }
    transport::send(&client.client, &client.inner.transport, request, &row.call(None))
        .await
        .map_err(transport::Failure::into_error)
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
    let (start, _) = range.split_once('-')?;
    Some((start.trim().parse().ok()?, total))
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
}
