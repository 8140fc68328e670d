//! Reading an answer's body into memory, and responses rebuilt around a body
//! that has been read (to attach what GitLab said, or to hand on a body that
//! a layer above has changed).

use bytes::{Bytes, BytesMut};
use reqwest::{Response, StatusCode, Url, header};

use crate::error::{ApiError, MAX_ERROR_BODY, Problem};

/// Whether the answer says its body is JSON (`application/json`, `…+json`).
pub(crate) fn is_json(headers: &header::HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
        let media = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        media == "application/json" || media.ends_with("+json")
    })
}

/// Reads up to `limit` bytes of the body; on a transport error, returns what
/// arrived with the error. Chunks are kept as they come and joined once at the
/// end (a single chunk is not copied at all), as reqwest's own `bytes()` does.
pub(crate) async fn read_body(mut response: Response, limit: usize) -> Result<Bytes, (Bytes, reqwest::Error)> {
    let mut chunks: Vec<Bytes> = Vec::new();
    let mut received = 0usize;
    let failure = loop {
        match response.chunk().await {
            Ok(Some(chunk)) => {
                let room = limit - received;
                let chunk = if chunk.len() > room { chunk.slice(..room) } else { chunk };
                received += chunk.len();
                chunks.push(chunk);
                if received >= limit {
                    break None;
                }
            }
            Ok(None) => break None,
            Err(error) => break Some(error),
        }
    };
    let body = match chunks.len() {
        0 => Bytes::new(),
        1 => chunks.pop().unwrap_or_default(),
        _ => {
            let mut joined = BytesMut::with_capacity(received);
            for chunk in &chunks {
                joined.extend_from_slice(chunk);
            }
            joined.freeze()
        }
    };
    match failure {
        None => Ok(body),
        Some(error) => Err((body, error)),
    }
}

/// Reads up to [`MAX_ERROR_BODY`] bytes of the body (what arrived, if the
/// connection breaks) and attaches what GitLab said.
pub(crate) async fn read_annotated(response: Response, problem: Problem) -> Response {
    let (status, headers, url) = (response.status(), response.headers().clone(), response.url().clone());
    let body = match read_body(response, MAX_ERROR_BODY).await {
        Ok(body) | Err((body, _)) => body,
    };
    annotated(status, &headers, &url, body, problem)
}

/// The response rebuilt around its read body, with what GitLab said attached.
pub(crate) fn annotated(
    status: StatusCode,
    headers: &header::HeaderMap,
    url: &Url,
    body: Bytes,
    problem: Problem,
) -> Response {
    let api = ApiError::from_parts(status, headers, &body, problem);
    rebuild(status, headers, url, body, Some(api))
}

/// Builds a response with the given parts and a fully read body, carrying `api`.
pub(crate) fn rebuild(
    status: StatusCode,
    headers: &header::HeaderMap,
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
