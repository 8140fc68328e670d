//! What the client does around every generated request: it adds the token,
//! sends the request through [`crate::redirect`], retries reading requests
//! through throttling and gateway errors, and reads error bodies so that an
//! error can say what GitLab said.
//!
//! A success whose body cannot be what the spec promises (HTML from a proxy, a
//! body cut short) must reach the user as an error with its status, but
//! progenitor's `exec` hook can only return a response. Such a response is
//! "diverted": `exec` hands on an empty stand-in carrying the real response,
//! and the `post` hook returns that one as `Error::UnexpectedResponse`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{Request, Response, StatusCode, Url, header};

use crate::{
    Client, ClientState,
    error::{ApiError, MAX_ERROR_BODY, Problem, RateLimit},
    redirect::follow_redirects,
    retry::{is_idempotent, is_retryable_error, is_retryable_status},
};

/// Operations whose bodies are files (a log, an archive, a file of one):
/// asked for uncompressed, so that a resumed download's byte offsets are
/// offsets of the file (see `ClientBuilder::compression`).
const RAW_BYTES: &[&str] = &[
    "get_job_trace",
    "download_job_artifacts",
    "download_artifacts_by_ref",
    "get_job_artifact_file",
    "get_artifact_file_by_ref",
];

impl ClientHooks<ClientState> for Client {
    async fn pre<E>(&self, request: &mut Request, info: &OperationInfo) -> Result<(), progenitor_client::Error<E>> {
        crate::validation::check(info.operation_id, request.url()).map_err(progenitor_client::Error::InvalidRequest)?;
        crate::artifacts::shape_request(info.operation_id, request.url_mut())
            .map_err(progenitor_client::Error::InvalidRequest)?;
        if RAW_BYTES.contains(&info.operation_id) {
            request.headers_mut().insert(header::ACCEPT_ENCODING, header::HeaderValue::from_static("identity"));
        }
        self.inner.authorize(request.headers_mut());
        // A stream's page request carries its page size here, not on the
        // builder: see `pagination::STREAM_PAGE` for why.
        crate::pagination::apply_stream_page_size(request.url_mut());
        Ok(())
    }

    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        let response = crate::routes::send(self.client(), &self.inner, info.operation_id, request).await?;
        // A stream's page is parsed by the stream (see `pagination::STREAM_PAGE`).
        crate::pagination::hand_over_page(response).await
    }

    /// Hands a response that `exec` took aside back as an error (see `Diverted`).
    async fn post<E>(
        &self,
        result: &reqwest::Result<Response>,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let diverted = result.as_ref().ok().and_then(|r| r.extensions().get::<Diverted>());
        match diverted.and_then(|d| d.0.lock().ok()?.take()) {
            Some(response) => Err(progenitor_client::Error::UnexpectedResponse(response)),
            None => Ok(()),
        }
    }
}

/// One finished attempt, and whether (and after how long) to try again.
enum Attempt {
    Done(reqwest::Result<Response>),
    Retry { outcome: reqwest::Result<Response>, wait: Option<Duration> },
}

/// Sends `request` under the client's retry policy and prepares the response
/// for the generated code.
pub(crate) async fn send(
    http: &reqwest::Client,
    state: &ClientState,
    mut request: Request,
) -> reqwest::Result<Response> {
    let policy = &state.retry;
    let may_retry = is_idempotent(request.method());
    // Generated JSON operations ask for JSON; the log download asks for nothing.
    let wants_json = request.headers().get(header::ACCEPT).is_some_and(|v| v.as_bytes() == b"application/json");
    let mut backoffs = policy.backoffs();
    let mut attempt = 1;
    loop {
        let replay = if may_retry && attempt < policy.attempts() { request.try_clone() } else { None };
        let outcome = follow_redirects(http, request, state).await;
        let attempt_result = match outcome {
            Err(error) if is_retryable_error(&error) => Attempt::Retry { outcome: Err(error), wait: None },
            Err(error) => Attempt::Done(Err(error)),
            Ok(response) if is_retryable_status(response.status()) => {
                let asked = (response.status() == StatusCode::TOO_MANY_REQUESTS)
                    .then(|| RateLimit::from_headers(response.headers())?.wait(unix_now()))
                    .flatten();
                Attempt::Retry { outcome: Ok(response), wait: asked }
            }
            Ok(response) => inspect(response, wants_json, replay.is_some()).await,
        };
        match (attempt_result, replay) {
            (Attempt::Retry { outcome, wait }, Some(next)) => {
                let wait = match wait {
                    // A server-named wait is honoured if the policy accepts it;
                    // the exponential backoff is still consumed, so the number of
                    // attempts stays bounded.
                    Some(wait) if policy.accepts_wait(wait) => backoffs.next().map(|_| wait),
                    Some(_) => None,
                    None => backoffs.next(),
                };
                let Some(wait) = wait else { return finish(outcome).await };
                drop(outcome);
                tokio::time::sleep(wait).await;
                request = next;
                attempt += 1;
            }
            (Attempt::Retry { outcome, .. }, None) | (Attempt::Done(outcome), _) => return finish(outcome).await,
        }
    }
}

/// Reads the body of a non-retried response where that is needed: an error's
/// body, for its message; a JSON body, so that a connection that breaks midway
/// can be retried and a body that is not JSON reported with its status.
async fn inspect(response: Response, wants_json: bool, can_retry: bool) -> Attempt {
    let status = response.status();
    if !status.is_success() || !wants_json {
        return Attempt::Done(Ok(response));
    }
    if !is_json(response.headers()) {
        return Attempt::Done(Ok(divert(response, Problem::NotJson).await));
    }
    let (status, headers, url) = (response.status(), response.headers().clone(), response.url().clone());
    // A stream may ask for its next page while this body is on its way.
    crate::pagination::page_headers(&headers);
    match read_body(response, usize::MAX).await {
        Ok(body) => Attempt::Done(Ok(rebuild(status, &headers, &url, body, None))),
        Err((partial, error)) => {
            if can_retry && is_retryable_error(&error) {
                return Attempt::Retry { outcome: Err(error), wait: None };
            }
            let problem = Problem::Truncated { received: partial.len(), cause: crate::error::error_chain(&error) };
            let inner = annotated(status, &headers, &url, partial, problem);
            Attempt::Done(Ok(diverted(status, &headers, &url, inner)))
        }
    }
}

/// What the generated code receives for the last attempt: error responses get
/// their body read and an [`ApiError`] attached.
async fn finish(outcome: reqwest::Result<Response>) -> reqwest::Result<Response> {
    let response = outcome?;
    if response.status().is_success() || response.status().is_redirection() {
        return Ok(response);
    }
    Ok(read_annotated(response, Problem::Status).await)
}

/// A success whose body cannot be what the spec promises is handed to the post
/// hook, which returns it as `Error::UnexpectedResponse` with its status.
async fn divert(response: Response, problem: Problem) -> Response {
    let (status, headers, url) = (response.status(), response.headers().clone(), response.url().clone());
    let inner = read_annotated(response, problem).await;
    diverted(status, &headers, &url, inner)
}

/// Reads up to [`MAX_ERROR_BODY`] bytes of the body (what arrived, if the
/// connection breaks) and attaches what GitLab said.
async fn read_annotated(response: Response, problem: Problem) -> Response {
    let (status, headers, url) = (response.status(), response.headers().clone(), response.url().clone());
    let body = match read_body(response, MAX_ERROR_BODY).await {
        Ok(body) | Err((body, _)) => body,
    };
    annotated(status, &headers, &url, body, problem)
}

/// The response rebuilt around its read body, with what GitLab said attached.
fn annotated(status: StatusCode, headers: &header::HeaderMap, url: &Url, body: Bytes, problem: Problem) -> Response {
    let api = ApiError::from_parts(status, headers, &body, problem);
    rebuild(status, headers, url, body, Some(api))
}

/// A response the hooks took aside: it reached the generated code as a
/// success, but its body cannot be what the spec promises. The post hook hands
/// it back as `Error::UnexpectedResponse`, with its [`ApiError`] attached.
#[derive(Clone)]
struct Diverted(std::sync::Arc<std::sync::Mutex<Option<Response>>>);

/// The empty stand-in that carries `inner` from `exec` to the post hook.
fn diverted(status: StatusCode, headers: &header::HeaderMap, url: &Url, inner: Response) -> Response {
    let mut outer = rebuild(status, headers, url, Bytes::new(), None);
    outer.extensions_mut().insert(Diverted(std::sync::Arc::new(std::sync::Mutex::new(Some(inner)))));
    outer
}

/// Whether `exec` took this response aside (see `Diverted`).
pub(crate) fn is_diverted(response: &Response) -> bool {
    response.extensions().get::<Diverted>().is_some()
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

fn is_json(headers: &header::HeaderMap) -> bool {
    headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|ct| {
        let media = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        media == "application/json" || media.ends_with("+json")
    })
}

/// Reads up to `limit` bytes of the body; on a transport error, returns what
/// arrived with the error. Chunks are kept as they come and joined once at the
/// end (a single chunk is not copied at all), as reqwest's own `bytes()` does.
async fn read_body(mut response: Response, limit: usize) -> Result<Bytes, (Bytes, reqwest::Error)> {
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

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// A GET the generated code cannot make (it has no `Range` setter), sent as
/// generated requests are: with the client's credential, its redirect and
/// retry policies, and error bodies read. The caller reads the status.
pub(crate) async fn get_raw(
    client: &Client,
    url: &str,
    headers: &[(header::HeaderName, header::HeaderValue)],
) -> Result<Response, crate::Error> {
    let mut request = client
        .client
        .get(url)
        // A file, resumed at byte offsets: never compressed (see `RAW_BYTES`).
        .header(header::ACCEPT_ENCODING, header::HeaderValue::from_static("identity"))
        .build()
        .map_err(crate::Error::CommunicationError)?;
    for (name, value) in headers {
        request.headers_mut().insert(name.clone(), value.clone());
    }
    client.inner.authorize(request.headers_mut());
    send(&client.client, &client.inner, request).await.map_err(crate::Error::CommunicationError)
}
