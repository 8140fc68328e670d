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
    /// It is longer than the limit; this much of it had arrived.
    TooLarge,
    /// The connection failed after the bytes that arrived.
    Broken(Bytes, reqwest::Error),
    /// The deadline passed while it arrived.
    Deadline,
}

/// The first allocation for a body of unknown size; it doubles from there.
const FIRST_BUFFER: usize = 16 * 1024;

/// Reads the whole body, up to `limit` bytes after decompression and until
/// `deadline`, into one buffer.
pub(crate) async fn read_body(mut response: Response, limit: u64, deadline: Option<Instant>) -> Result<Bytes, Unread> {
    let limit = usize::try_from(limit).unwrap_or(usize::MAX);
    // `Content-Length` is the size on the wire: it says the body is too
    // large before a byte is read, and sizes the buffer of an uncompressed
    // body. (reqwest reports none for a body it decompresses.)
    let announced = response.content_length().map(|n| usize::try_from(n).unwrap_or(usize::MAX));
    if announced.is_some_and(|n| n > limit) {
        return Err(Unread::TooLarge);
    }
    let mut body = BytesMut::new();
    let reserve = |body: &mut BytesMut, needed: usize| {
        if body.capacity() - body.len() >= needed {
            return;
        }
        let wanted = match announced {
            Some(size) if body.is_empty() => size.max(needed),
            _ => (body.len() + needed).max(body.capacity().saturating_mul(2)).max(FIRST_BUFFER),
        };
        body.reserve(wanted.min(limit).max(body.len() + needed) - body.len());
    };
    loop {
        let chunk = match deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline, response.chunk()).await {
                Ok(chunk) => chunk,
                Err(_) => return Err(Unread::Deadline),
            },
            None => response.chunk().await,
        };
        match chunk {
            Ok(Some(chunk)) => {
                if chunk.len() > limit - body.len() {
                    return Err(Unread::TooLarge);
                }
                // A body that arrives in one chunk is handed on as it is.
                if body.is_empty() && announced.is_none_or(|n| n == chunk.len()) && body.capacity() == 0 {
                    match response.chunk().await {
                        Ok(None) => return Ok(chunk),
                        Ok(Some(next)) => {
                            if chunk.len() + next.len() > limit {
                                return Err(Unread::TooLarge);
                            }
                            reserve(&mut body, chunk.len() + next.len());
                            body.extend_from_slice(&chunk);
                            body.extend_from_slice(&next);
                        }
                        Err(error) => return Err(Unread::Broken(chunk, error)),
                    }
                    continue;
                }
                reserve(&mut body, chunk.len());
                body.extend_from_slice(&chunk);
            }
            Ok(None) => return Ok(body.freeze()),
            Err(error) => return Err(Unread::Broken(body.freeze(), error)),
        }
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
