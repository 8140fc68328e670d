//! What the client does around every generated request: it adds the token,
//! follows redirects without leaking that token to another host, retries
//! reading requests through throttling and gateway errors, and reads error
//! bodies so that an error can say what GitLab said.
//!
//! GitLab answers some requests (an archived job log kept in object storage, an
//! instance moved behind a new host name) with a redirect. reqwest would follow
//! it but keep custom headers such as `PRIVATE-TOKEN` and `JOB-TOKEN` even when
//! the next hop is another host, so the client turns reqwest's redirects off and
//! follows them here, sending the token only to the origin it was meant for.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::{Bytes, BytesMut};
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{Method, Request, Response, StatusCode, Url, header};

use crate::{
    Client, ClientState,
    error::{ApiError, Diverted, MAX_ERROR_BODY, Problem, RateLimit, rebuild},
    retry::{is_idempotent, is_retryable_error, is_retryable_status},
};

impl ClientHooks<ClientState> for Client {
    async fn pre<E>(&self, request: &mut Request, _info: &OperationInfo) -> Result<(), progenitor_client::Error<E>> {
        if let Some(credential) = &self.inner.credential {
            let (name, value) = credential.header();
            request.headers_mut().insert(name.clone(), value.clone());
        }
        crate::pagination::apply_stream_page_size(request.url_mut());
        Ok(())
    }

    async fn exec(&self, request: Request, _info: &OperationInfo) -> reqwest::Result<Response> {
        send(self.client(), &self.inner, request).await
    }

    /// Hands a response that `exec` took aside back as an error (see `error::Diverted`).
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
        let outcome = follow_redirects(http, request, state.max_redirects).await;
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

fn diverted(status: StatusCode, headers: &header::HeaderMap, url: &Url, inner: Response) -> Response {
    let mut outer = rebuild(status, headers, url, Bytes::new(), None);
    outer.extensions_mut().insert(Diverted(std::sync::Arc::new(std::sync::Mutex::new(Some(inner)))));
    outer
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

/// Sends `request`, following up to `max` redirects the way a browser would,
/// and removes credentials from any hop whose origin differs from the first.
pub(crate) async fn follow_redirects(
    http: &reqwest::Client,
    mut request: Request,
    max: usize,
) -> reqwest::Result<Response> {
    let origin = request.url().origin();
    let mut hops = 0;
    loop {
        // A request with a streaming body cannot be replayed, and the last hop
        // allowed is not followed: either way the redirect itself is returned.
        let replay = if hops < max { request.try_clone() } else { None };
        let response = http.execute(request).await?;
        let Some((next_url, next)) = redirect_target(&response, replay) else {
            return Ok(response);
        };
        hops += 1;
        request = next;
        *request.url_mut() = next_url;
        if request.url().origin() != origin {
            strip_credentials(request.headers_mut());
        }
    }
}

/// The request to send next when `response` is a redirect we can follow.
fn redirect_target(response: &Response, replay: Option<Request>) -> Option<(Url, Request)> {
    let status = response.status();
    if !status.is_redirection() {
        return None;
    }
    let location = response.headers().get(header::LOCATION)?.to_str().ok()?;
    let next_url = response.url().join(location).ok()?;
    if !matches!(next_url.scheme(), "http" | "https") {
        return None;
    }
    let mut next = replay?;
    match status {
        StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND | StatusCode::SEE_OTHER => {
            // As browsers do, anything but HEAD becomes a GET without a body.
            if next.method() != Method::HEAD {
                *next.method_mut() = Method::GET;
                *next.body_mut() = None;
                next.headers_mut().remove(header::CONTENT_TYPE);
                next.headers_mut().remove(header::CONTENT_LENGTH);
            }
        }
        StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT => {}
        _ => return None,
    }
    Some((next_url, next))
}

/// Every header that may carry a GitLab credential.
fn strip_credentials(headers: &mut header::HeaderMap) {
    headers.remove("private-token");
    headers.remove("job-token");
    headers.remove(header::AUTHORIZATION);
    headers.remove(header::COOKIE);
}
