//! Reading an answer's body into memory within a limit, and responses
//! rebuilt around a body that has been read (to attach what GitLab said, or
//! to hand on a body that a layer above has changed).
//!
//! A JSON body is read into one buffer, counted as it arrives after
//! decompression, so a compressed body that inflates past the limit (a
//! "bomb") stops there, and the connection is dropped with the response. The
//! buffer grows with what arrives (or is sized once by `Content-Length`),
//! never past the limit, and is handed on without a second copy.

use bytes::{Bytes, BytesMut};
use reqwest::{
    Response, StatusCode, Url,
    header::{self, HeaderMap, HeaderValue},
};
use tokio::time::Instant;

use super::settings::Settings;
use crate::error::{ApiError, MAX_ERROR_BODY, Problem};

/// Whether the answer says its body is JSON (`application/json`, `…+json`).
pub(crate) fn is_json(headers: &HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
        let media = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        media == "application/json" || media.ends_with("+json")
    })
}

/// Why a body was not read whole.
pub(crate) enum Unread {
    /// It is longer than the limit.
    TooLarge,
    /// The connection failed after the bytes that arrived.
    Broken(Bytes, reqwest::Error),
    /// The deadline passed while it arrived.
    Deadline,
}

/// The first allocation for a body of unknown size; it doubles from there.
const FIRST_BUFFER: usize = 16 * 1024;

/// The next chunk of a body, within the deadline.
async fn next_chunk(
    response: &mut Response,
    deadline: Option<Instant>,
) -> Result<Option<Bytes>, Option<reqwest::Error>> {
    let chunk = match deadline {
        Some(deadline) => tokio::time::timeout_at(deadline, response.chunk()).await.map_err(|_| None)?,
        None => response.chunk().await,
    };
    chunk.map_err(Some)
}

/// Reads the whole body, up to `limit` bytes after decompression and until
/// `deadline`, into one buffer. A body that arrives in one chunk (most
/// uncompressed ones) is handed on as it is, without a copy.
pub(crate) async fn read_body(mut response: Response, limit: u64, deadline: Option<Instant>) -> Result<Bytes, Unread> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    // `Content-Length` is the size on the wire: it says the body is too
    // large before a byte is read, and sizes the buffer of an uncompressed
    // body. (reqwest reports none for a body it decompresses.)
    let announced = response.content_length().map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    if announced.is_some_and(|n| n > limit) {
        return Err(Unread::TooLarge);
    }
    let broken = |partial: Bytes, error: Option<reqwest::Error>| match error {
        Some(error) => Unread::Broken(partial, error),
        None => Unread::Deadline,
    };
    let first = match next_chunk(&mut response, deadline).await.map_err(|e| broken(Bytes::new(), e))? {
        Some(first) if first.len() > limit => return Err(Unread::TooLarge),
        Some(first) => first,
        None => return Ok(Bytes::new()),
    };
    let mut body = BytesMut::new();
    let mut pending = Some(first);
    loop {
        let chunk = match next_chunk(&mut response, deadline).await {
            Ok(Some(chunk)) => chunk,
            Ok(None) => return Ok(pending.take().unwrap_or_else(|| body.freeze())),
            Err(error) => {
                let partial = pending.take().unwrap_or_else(|| body.split().freeze());
                return Err(broken(partial, error));
            }
        };
        let held = pending.as_ref().map_or(body.len(), Bytes::len);
        if chunk.len() > limit - held {
            return Err(Unread::TooLarge);
        }
        if body.capacity() - body.len() < chunk.len() {
            // Sized by Content-Length where there is one; else doubling, but
            // never past the limit.
            let needed = held + chunk.len();
            let wanted = match announced {
                Some(size) => size.max(needed),
                None => needed.max(body.capacity().saturating_mul(2)).max(FIRST_BUFFER),
            };
            body.reserve(wanted.min(limit).max(needed) - body.len());
        }
        if let Some(first) = pending.take() {
            body.extend_from_slice(&first);
        }
        body.extend_from_slice(&chunk);
    }
}

/// Reads up to [`MAX_ERROR_BODY`] bytes of the body (what arrived, if the
/// connection breaks or the deadline passes) and attaches what GitLab said.
pub(crate) async fn read_annotated(
    response: Response,
    problem: Problem,
    deadline: Option<Instant>,
    settings: &Settings,
) -> Response {
    let (status, headers, url) = (response.status(), response.headers().clone(), response.url().clone());
    let body = read_prefix(response, MAX_ERROR_BODY, deadline).await;
    annotated(status, &headers, &url, body, problem, settings)
}

/// An answer the client cannot use, as an error response: its status and
/// headers, none of its body, and `problem`.
pub(crate) fn refused(response: Response, problem: Problem, settings: &Settings) -> Response {
    annotated(response.status(), response.headers(), response.url(), Bytes::new(), problem, settings)
}

/// The first `limit` bytes of a body, or what arrived of them; the rest is
/// not read (the connection is dropped with the response).
async fn read_prefix(mut response: Response, limit: usize, deadline: Option<Instant>) -> Bytes {
    let mut body = BytesMut::new();
    while body.len() < limit {
        let chunk = match deadline {
            Some(deadline) => tokio::time::timeout_at(deadline, response.chunk()).await.unwrap_or(Ok(None)),
            None => response.chunk().await,
        };
        match chunk {
            Ok(Some(chunk)) => {
                let room = limit - body.len();
                body.extend_from_slice(&chunk[..chunk.len().min(room)]);
            }
            Ok(None) | Err(_) => break,
        }
    }
    body.freeze()
}

/// The response rebuilt around its read body, with what GitLab said
/// attached. progenitor's `Display` of an error prints the response whole
/// (`{:?}`), so it is rebuilt as it may be shown: a URL of another origin
/// than the API's without its query (a presigned signature), and headers
/// within a budget.
pub(crate) fn annotated(
    status: StatusCode,
    headers: &HeaderMap,
    url: &Url,
    body: Bytes,
    problem: Problem,
    settings: &Settings,
) -> Response {
    let api = ApiError::from_parts(status, headers, &body, problem);
    rebuild(status, &shown_headers(headers, url, Some(settings)), &settings.shown_url(url), body, Some(api))
}

/// An answer whose headers make it unusable to a layer above (a page whose
/// pagination headers make no sense), as an error response: no body, the
/// headers within the same budget.
pub(crate) fn answer_error(status: StatusCode, headers: &HeaderMap, url: &Url, problem: Problem) -> Response {
    let api = ApiError::from_parts(status, headers, b"", problem);
    rebuild(status, &shown_headers(headers, url, None), url, Bytes::new(), Some(api))
}

/// How many bytes of headers an error response keeps, so that printing it
/// stays short whatever the server sent; GitLab's own are far fewer.
const SHOWN_HEADER_BYTES: usize = 4 * 1024;

/// The headers of an answer that becomes an error: a `Location` of another
/// origin without its query (a presigned URL's signature), and no more than
/// [`SHOWN_HEADER_BYTES`] of them in all, in their order.
fn shown_headers(headers: &HeaderMap, url: &Url, settings: Option<&Settings>) -> HeaderMap {
    let mut shown = HeaderMap::new();
    let mut budget = SHOWN_HEADER_BYTES;
    for (name, value) in headers {
        let value = match *name {
            header::LOCATION => match value.to_str().ok().and_then(|v| url.join(v).ok()) {
                Some(url) => {
                    let shown = match settings {
                        Some(settings) => settings.shown_url(&url),
                        None => Settings::without_query(&url),
                    };
                    HeaderValue::from_str(shown.as_str()).unwrap_or_else(|_| HeaderValue::from_static("(not shown)"))
                }
                None => HeaderValue::from_static("(not shown)"),
            },
            _ => value.clone(),
        };
        let size = name.as_str().len() + value.len();
        if size > budget {
            break;
        }
        budget -= size;
        shown.append(name.clone(), value);
    }
    shown
}

/// Builds a response with the given parts and a fully read body, carrying `api`.
pub(crate) fn rebuild(
    status: StatusCode,
    headers: &HeaderMap,
    url: &Url,
    body: Bytes,
    api: Option<ApiError>,
) -> Response {
    use reqwest::ResponseBuilderExt;
    // Only the URL goes through the builder (it has no other setter); a builder
    // with nothing but an extension cannot fail, and the rest is set directly.
    let mut response = http::Response::builder().url(url.clone()).body(body).unwrap_or_default();
    *response.status_mut() = status;
    let h = response.headers_mut();
    h.clone_from(headers);
    // The body is now complete in memory; its old framing no longer applies.
    h.remove(header::TRANSFER_ENCODING);
    h.remove(header::CONTENT_ENCODING);
    if let Some(api) = api {
        response.extensions_mut().insert(api);
    }
    Response::from(response)
}
