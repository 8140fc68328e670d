//! One call: the request sent, redirected and retried until there is an
//! answer, and the answer read as far as the call needs it, all within the
//! call's deadline.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::{Request, Response, StatusCode, header};
use tokio::time::Instant;

use super::{
    Settings,
    body::{Unread, annotated, is_json, read_annotated, read_body, rebuild},
    call::{Call, Expect, Failure},
    redirect,
    retry::{is_retryable_error, is_retryable_status},
};
use crate::error::{MAX_ERROR_BODY, Problem, RateLimit};

/// One finished attempt, and whether (and after how long) to try again.
enum Attempt {
    Done(Result<Response, Failure>),
    Retry { outcome: Result<Response, Failure>, wait: Option<Duration> },
}

/// Sends `request` under the client's retry policy, within the call's
/// deadline. An answer with an error status is `Ok`, its body read (up to
/// `MAX_ERROR_BODY`) and an `ApiError` attached; a JSON answer's body is
/// read into memory; a file's is not.
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
    let mut backoffs = policy.backoffs();
    let mut attempt = 1;
    loop {
        let replay = if call.idempotent && attempt < policy.attempts() { request.try_clone() } else { None };
        let outcome = redirect::follow(http, request, settings, call).await;
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
            Ok(response) => inspect(response, call, settings).await,
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
                // No attempt starts that the deadline would cut off at once.
                let in_time = |wait: &Duration| {
                    call.deadline.is_none_or(|d| Instant::now().checked_add(*wait).is_some_and(|at| at < d.at))
                };
                let Some(wait) = wait.filter(in_time) else { return finish(outcome, call, settings).await };
                drop(outcome);
                tokio::time::sleep(wait).await;
                request = next;
                attempt += 1;
            }
            (Attempt::Retry { outcome, .. }, None) | (Attempt::Done(outcome), _) => {
                return finish(outcome, call, settings).await;
            }
        }
    }
}

/// Reads the body of a successful JSON answer (an error's is read by
/// [`finish`] once no attempt follows): so that a body that breaks midway
/// can be retried, and one that is not JSON, too large or cut short is
/// reported with its status.
async fn inspect(response: Response, call: &Call<'_>, settings: &Settings) -> Attempt {
    let status = response.status();
    if !status.is_success() || call.expect != Expect::Json {
        return Attempt::Done(Ok(response));
    }
    let deadline = call.deadline.map(|d| d.at);
    if !is_json(response.headers()) {
        let response = read_annotated(response, Problem::NotJson, deadline, settings).await;
        return Attempt::Done(Err(Failure::Unusable(response)));
    }
    let (headers, url) = (response.headers().clone(), response.url().clone());
    if let Some(on_headers) = call.on_headers {
        on_headers(&headers);
    }
    match read_body(response, settings.max_body_bytes, deadline).await {
        Ok(body) => Attempt::Done(Ok(rebuild(status, &headers, &url, body, None))),
        Err(Unread::TooLarge) => {
            let problem = Problem::TooLarge { limit: settings.max_body_bytes, operation: call.operation.to_owned() };
            let response = annotated(status, &headers, &url, Default::default(), problem, settings);
            Attempt::Done(Err(Failure::Unusable(response)))
        }
        // A write whose success status arrived was carried out: its answer
        // is lost, not the write (see `Problem::AnswerLost`).
        Err(Unread::Deadline) if !call.idempotent => {
            let problem = Problem::AnswerLost {
                received: 0,
                cause: format!(
                    "the call's deadline of {:?} passed",
                    call.deadline.map(|d| d.limit).unwrap_or_default()
                ),
            };
            Attempt::Done(Err(Failure::Unusable(annotated(
                status,
                &headers,
                &url,
                Default::default(),
                problem,
                settings,
            ))))
        }
        Err(Unread::Deadline) => Attempt::Done(Err(call.deadline_passed())),
        Err(Unread::Broken(partial, error)) => {
            let error = settings.shown_error(error);
            let (received, cause) = (partial.len(), crate::error::error_chain(&error));
            let problem = match call.idempotent {
                true => Problem::Truncated { received, cause },
                false => Problem::AnswerLost { received, cause },
            };
            // What arrived is kept for the message, as much as of an error body.
            let kept = partial.slice(..partial.len().min(MAX_ERROR_BODY));
            let outcome = Err(Failure::Unusable(annotated(status, &headers, &url, kept, problem, settings)));
            match is_retryable_error(&error) {
                true => Attempt::Retry { outcome, wait: None },
                false => Attempt::Done(outcome),
            }
        }
    }
}

/// What the caller receives for the last attempt: an answer that is not a
/// success (an error status, a redirect not followed) gets its body read
/// and an `ApiError` attached, so that it can be shown as an error.
async fn finish(outcome: Result<Response, Failure>, call: &Call<'_>, settings: &Settings) -> Result<Response, Failure> {
    let response = outcome?;
    if response.status().is_success() {
        return Ok(response);
    }
    Ok(read_annotated(response, Problem::Status, call.deadline.map(|d| d.at), settings).await)
}

fn unix_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}
