//! One call: the request sent, redirected and retried until there is an
//! answer, and the answer read as far as the call needs it.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::{Request, Response, StatusCode, header};

use super::{
    Settings,
    body::{annotated, is_json, read_annotated, read_body, rebuild},
    redirect,
    retry::{is_retryable_error, is_retryable_status},
};
use crate::error::{Problem, RateLimit};

/// What the answer to a call is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    /// A JSON document, read whole into memory.
    Json,
    /// A file (a log, an archive, a file of one), streamed, asked for
    /// uncompressed so that a resumed download's byte offsets are offsets of
    /// the file (see `ClientBuilder::compression`).
    File,
    /// No body (`204 No Content`).
    Nothing,
}

/// What the transport knows of the operation a request belongs to.
pub(crate) struct Call<'a> {
    pub(crate) expect: Expect,
    /// Whether sending the request again cannot do anything twice.
    pub(crate) idempotent: bool,
    /// Told a successful JSON answer's headers before its body is read.
    pub(crate) on_headers: Option<&'a (dyn Fn(&header::HeaderMap) + Send + Sync)>,
}

/// Why a call has no answer it can use.
#[derive(Debug)]
pub(crate) enum Failure {
    /// No answer arrived, or the connection failed before its headers.
    Connection(reqwest::Error),
    /// An answer whose status may be a success but whose body cannot be
    /// what the call expects (HTML from a proxy, a body cut short): the
    /// response rebuilt around what arrived, with its `ApiError` attached.
    Unusable(Response),
}

impl Failure {
    /// The failure as the error the generated calls return.
    pub(crate) fn into_error<E>(self) -> progenitor_client::Error<E> {
        match self {
            Failure::Connection(error) => progenitor_client::Error::CommunicationError(error),
            Failure::Unusable(response) => progenitor_client::Error::UnexpectedResponse(response),
        }
    }
}

/// One finished attempt, and whether (and after how long) to try again.
enum Attempt {
    Done(Result<Response, Failure>),
    Retry { outcome: Result<Response, Failure>, wait: Option<Duration> },
}

/// Sends `request` under the client's retry policy. An answer with an error
/// status is `Ok`, its body read (up to `MAX_ERROR_BODY`) and an `ApiError`
/// attached; a JSON answer's body is read into memory; a file's is not.
pub(crate) async fn send(
    http: &reqwest::Client,
    settings: &Settings,
    mut request: Request,
    call: &Call<'_>,
) -> Result<Response, Failure> {
    if let Some(credential) = &settings.credential {
        credential.authorize(request.headers_mut());
    }
    if call.expect == Expect::File {
        request.headers_mut().insert(header::ACCEPT_ENCODING, header::HeaderValue::from_static("identity"));
    }
    let policy = &settings.retry;
    let may_retry = call.idempotent;
    let mut backoffs = policy.backoffs();
    let mut attempt = 1;
    loop {
        let replay = if may_retry && attempt < policy.attempts() { request.try_clone() } else { None };
        let outcome = redirect::follow(http, request, settings).await.map_err(Failure::Connection);
        let attempt_result = match outcome {
            Err(Failure::Connection(error)) if is_retryable_error(&error) => {
                Attempt::Retry { outcome: Err(Failure::Connection(error)), wait: None }
            }
            Err(failure) => Attempt::Done(Err(failure)),
            Ok(response) if is_retryable_status(response.status()) => {
                let asked = (response.status() == StatusCode::TOO_MANY_REQUESTS)
                    .then(|| RateLimit::from_headers(response.headers())?.wait(unix_now()))
                    .flatten();
                Attempt::Retry { outcome: Ok(response), wait: asked }
            }
            Ok(response) => inspect(response, call, replay.is_some()).await,
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
async fn inspect(response: Response, call: &Call<'_>, can_retry: bool) -> Attempt {
    let status = response.status();
    if !status.is_success() || call.expect != Expect::Json {
        return Attempt::Done(Ok(response));
    }
    if !is_json(response.headers()) {
        return Attempt::Done(Err(Failure::Unusable(read_annotated(response, Problem::NotJson).await)));
    }
    let (status, headers, url) = (response.status(), response.headers().clone(), response.url().clone());
    if let Some(on_headers) = call.on_headers {
        on_headers(&headers);
    }
    match read_body(response, usize::MAX).await {
        Ok(body) => Attempt::Done(Ok(rebuild(status, &headers, &url, body, None))),
        Err((partial, error)) => {
            if can_retry && is_retryable_error(&error) {
                return Attempt::Retry { outcome: Err(Failure::Connection(error)), wait: None };
            }
            let problem = Problem::Truncated { received: partial.len(), cause: crate::error::error_chain(&error) };
            Attempt::Done(Err(Failure::Unusable(annotated(status, &headers, &url, partial, problem))))
        }
    }
}

/// What the caller receives for the last attempt: error responses get their
/// body read and an `ApiError` attached.
async fn finish(outcome: Result<Response, Failure>) -> Result<Response, Failure> {
    let response = outcome?;
    if response.status().is_success() || response.status().is_redirection() {
        return Ok(response);
    }
    Ok(read_annotated(response, Problem::Status).await)
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
