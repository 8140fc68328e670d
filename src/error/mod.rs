//! What went wrong, in terms a user can act on: the HTTP status, GitLab's own
//! message in any of its error shapes, the rate-limit figures of a 429, and for
//! bodies that are not what the spec promises, what arrived instead.
//!
//! Calls return progenitor's [`Error`](crate::Error). The request hooks read
//! the body of every error response (up to [`MAX_ERROR_BODY`] bytes) and attach
//! an [`ApiError`] to it, so [`ErrorExt`] can answer without another await.

mod job_token;
mod rate_limit;
pub(crate) mod transient;

use std::fmt;

use reqwest::{StatusCode, header::HeaderMap};

pub use job_token::JobTokenDenial;
pub use rate_limit::RateLimit;

/// The most bytes of an error body that are kept; GitLab's JSON errors are far
/// smaller, and a proxy's HTML page is cut here.
pub const MAX_ERROR_BODY: usize = 64 * 1024;
/// How many characters of a body an error message quotes.
const SNIPPET_CHARS: usize = 200;

/// Why a response was not accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Problem {
    /// GitLab (or a proxy in front of it) answered with an error status.
    Status,
    /// A success status, but the body is not JSON (an HTML login page, say).
    NotJson,
    /// The body ended early: the connection broke after `received` bytes.
    Truncated {
        /// How many bytes arrived before the break.
        received: usize,
        /// What the connection reported.
        cause: String,
    },
    /// A write (retry, play, cancel, …) that GitLab accepted: its success
    /// status arrived, then its answer broke off (or the deadline passed).
    /// The write was carried out; what GitLab answered (the new job of a
    /// retry, say) is lost. Do not send it again blindly:
    /// [`Client::find_retried_job`](crate::Client::find_retried_job) and
    /// [`Client::find_played_job`](crate::Client::find_played_job) find the
    /// job a lost `retry_job` or `play_job` answer was about.
    AnswerLost {
        /// How many bytes of the answer arrived.
        received: usize,
        /// What broke it off.
        cause: String,
    },
    /// The body grew past the client's limit
    /// ([`ClientBuilder::max_body_bytes`](crate::ClientBuilder::max_body_bytes)),
    /// counted after decompression; the connection was dropped there.
    TooLarge {
        /// The limit, in bytes.
        limit: u64,
        /// The operation whose answer it was.
        operation: String,
    },
    /// The answer was a redirect the client does not follow: a write to
    /// another origin (its body, which may hold job variables, would go
    /// there), a write whose method would change, or `https` to `http`.
    /// Nothing was sent to `to`.
    RedirectRefused {
        /// Where the redirect pointed, without its query.
        to: String,
        /// Why it was not followed.
        reason: String,
    },
    /// More redirects than the client follows, in a row.
    TooManyRedirects {
        /// Every address of the chain, in order, without queries.
        chain: Vec<String>,
    },
    /// An answer whose status is fine but which the client cannot use, for
    /// the reason given: a resumed file that is not the same file, a range
    /// that does not continue the bytes already read, pagination headers
    /// that lead back to a page already read.
    Refused {
        /// What is wrong with the answer.
        reason: String,
    },
}

/// What GitLab said about a request it did not fulfil.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ApiError {
    /// The HTTP status of the response.
    pub status: StatusCode,
    /// Why the response was not accepted.
    pub problem: Problem,
    /// GitLab's message: `message` (a string, or a nested object flattened to
    /// text), else `error` with `error_description`, else a short plain-text body.
    pub message: Option<String>,
    /// The `Content-Type` of the response, if any.
    pub content_type: Option<String>,
    /// The start of the body as text, for bodies that are not GitLab JSON.
    pub snippet: String,
    /// The rate-limit headers, when GitLab sent any.
    pub rate_limit: Option<RateLimit>,
}

impl ApiError {
    /// GitLab's answer to a route it does not have: `404` with `{"error":
    /// …}` and no `message` (`lib/api/api.rb`'s catch-all), where a missing
    /// record is `{"message": "404 … Not Found"}`.
    pub fn is_unknown_route(&self) -> bool {
        self.status == StatusCode::NOT_FOUND
            && serde_json::from_str::<serde_json::Value>(&self.snippet)
                .ok()
                .and_then(|body| body.as_object().map(|o| o.contains_key("error") && !o.contains_key("message")))
                .unwrap_or(false)
    }

    /// Reads what GitLab said from a response's status, headers and (part of
    /// its) body. Never fails: whatever the body is, it becomes a snippet.
    pub fn from_parts(status: StatusCode, headers: &HeaderMap, body: &[u8], problem: Problem) -> ApiError {
        let content_type = headers.get(reqwest::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).map(str::to_owned);
        let text = String::from_utf8_lossy(body);
        let message = serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|json| gitlab_message(&json))
            .or_else(|| plain_text_message(content_type.as_deref(), &text));
        ApiError {
            status,
            problem,
            message,
            content_type,
            snippet: snippet(&text),
            rate_limit: RateLimit::from_headers(headers),
        }
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let content_type = self.content_type.as_deref().unwrap_or("no content type");
        match &self.problem {
            Problem::Status => write!(f, "GitLab answered {}", self.status)?,
            Problem::NotJson => write!(f, "GitLab answered {} with {content_type} instead of JSON", self.status)?,
            Problem::Truncated { received, cause } => {
                write!(f, "GitLab answered {} but the body broke off after {received} bytes ({cause})", self.status)?
            }
            Problem::AnswerLost { received, cause } => {
                return write!(
                    f,
                    "GitLab accepted the request ({}), but its answer was lost after {received} bytes ({cause}); \
                     the write was carried out, do not repeat it blindly",
                    self.status
                );
            }
            Problem::TooLarge { limit, operation } => {
                return write!(
                    f,
                    "GitLab answered {} to {operation} with a body larger than the client's limit of {} \
                     (ClientBuilder::max_body_bytes); the rest was not read",
                    self.status,
                    Bytes(*limit)
                );
            }
            Problem::RedirectRefused { to, reason } => {
                return write!(f, "GitLab answered {} with a redirect to {to}, not followed: {reason}", self.status);
            }
            Problem::TooManyRedirects { chain } => {
                return write!(
                    f,
                    "too many redirects ({} in a row): {}",
                    chain.len().saturating_sub(1),
                    chain.join(" -> ")
                );
            }
            Problem::Refused { reason } => {
                return write!(f, "GitLab answered {}, which the client cannot use: {reason}", self.status);
            }
        }
        match &self.message {
            Some(message) => write!(f, ": {message}")?,
            None if !self.snippet.is_empty() => write!(f, " ({content_type}): {}", self.snippet)?,
            None => {}
        }
        if let Some(wait) = self.rate_limit.as_ref().and_then(|r| r.retry_after) {
            write!(f, " (retry after {}s)", wait.as_secs())?;
        }
        Ok(())
    }
}

/// A size in bytes, in the largest binary unit that divides it.
struct Bytes(u64);

impl fmt::Display for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const UNITS: [(u64, &str); 3] = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")];
        match UNITS.iter().find(|(size, _)| self.0 >= *size && self.0.is_multiple_of(*size)) {
            Some((size, unit)) => write!(f, "{} {unit}", self.0 / size),
            None => write!(f, "{} bytes", self.0),
        }
    }
}

/// GitLab's error shapes: `{"message": "..."}`, `{"message": {...}}`,
/// `{"error": "..."}` and OAuth's `{"error": ..., "error_description": ...}`.
fn gitlab_message(json: &serde_json::Value) -> Option<String> {
    let object = json.as_object()?;
    if let Some(message) = object.get("message") {
        return Some(flatten(message));
    }
    let error = object.get("error").and_then(|e| e.as_str());
    let description = object.get("error_description").and_then(|e| e.as_str());
    match (error, description) {
        (Some(error), Some(description)) => Some(format!("{error}: {description}")),
        (Some(error), None) => Some(error.to_owned()),
        (None, Some(description)) => Some(description.to_owned()),
        (None, None) => None,
    }
}

/// A `message` that is an object (validation errors, the per-endpoint rate
/// limit) becomes `key value; key value`.
fn flatten(message: &serde_json::Value) -> String {
    match message {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Array(items) => items.iter().map(flatten).collect::<Vec<_>>().join(", "),
        serde_json::Value::Object(fields) => fields
            .iter()
            .map(|(key, value)| if key == "error" { flatten(value) } else { format!("{key} {}", flatten(value)) })
            .collect::<Vec<_>>()
            .join("; "),
        other => other.to_string(),
    }
}

/// A short `text/plain` body, such as the 429 page's `Retry later`, is the message.
fn plain_text_message(content_type: Option<&str>, text: &str) -> Option<String> {
    let trimmed = text.trim();
    let is_plain = content_type.is_some_and(|ct| ct.starts_with("text/plain"));
    (is_plain && !trimmed.is_empty() && trimmed.chars().count() <= SNIPPET_CHARS).then(|| trimmed.to_owned())
}

fn snippet(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match flat.char_indices().nth(SNIPPET_CHARS) {
        Some((cut, _)) => format!("{}…", &flat[..cut]),
        None => flat,
    }
}

/// Answers about any error of this crate's calls without another await.
pub trait ErrorExt {
    /// The HTTP status, when a response arrived.
    fn http_status(&self) -> Option<StatusCode>;
    /// What the hooks read from the response, when there was one to read.
    fn api_error(&self) -> Option<&ApiError>;
    /// GitLab's message, such as `403 Forbidden - Job is not retryable`.
    fn gitlab_message(&self) -> Option<&str> {
        self.api_error()?.message.as_deref()
    }
    /// The rate-limit figures of the response, when it had any.
    fn rate_limit(&self) -> Option<&RateLimit> {
        self.api_error()?.rate_limit.as_ref()
    }
    /// Why GitLab refused the CI job token, when a 403 says so.
    fn job_token_denial(&self) -> Option<JobTokenDenial> {
        let api = self.api_error()?;
        if api.status != StatusCode::FORBIDDEN {
            return None;
        }
        JobTokenDenial::from_message(api.message.as_deref()?)
    }
    /// One line that says what happened, fit for a log.
    fn describe(&self) -> String;
    /// Whether the request left the client: `false` only where it was
    /// refused before sending (an argument out of range, a route-changing
    /// path) or no connection could be made. A request that was sent may
    /// have been carried out even when no answer arrived.
    fn request_sent(&self) -> bool;
    /// Whether sending the same request again later can help: throttling
    /// (429), a gateway that could not reach GitLab (502, 503, 504), a
    /// connection that failed or broke. `false` for everything GitLab
    /// decided (other statuses), answers the client refused, and a write
    /// whose answer was lost (repeating it would do it twice).
    fn is_transient(&self) -> bool;
    /// Whether a write was carried out but its answer lost
    /// ([`Problem::AnswerLost`]).
    fn answer_lost(&self) -> bool {
        self.api_error().is_some_and(|api| matches!(api.problem, Problem::AnswerLost { .. }))
    }
    /// Whether the server does not know the route at all: GitLab's catch-all
    /// `404` (`{"error":"404 Not Found"}`), which a wrong base URL or a
    /// server older than the endpoint gives, rather than a missing job or
    /// project (`{"message": "404 … Not Found"}`).
    fn is_unknown_route(&self) -> bool {
        self.api_error().is_some_and(ApiError::is_unknown_route)
    }
}

impl<E> ErrorExt for progenitor_client::Error<E> {
    fn http_status(&self) -> Option<StatusCode> {
        self.status().or_else(|| self.api_error().map(|api| api.status))
    }

    fn api_error(&self) -> Option<&ApiError> {
        match self {
            progenitor_client::Error::UnexpectedResponse(response) => response.extensions().get::<ApiError>(),
            _ => None,
        }
    }

    fn describe(&self) -> String {
        redact_queries(&self.describe_with_urls())
    }

    fn request_sent(&self) -> bool {
        use progenitor_client::Error as E;
        match self {
            E::InvalidRequest(_) => false,
            E::CommunicationError(error) => !error.is_connect() && !error.is_builder(),
            _ => true,
        }
    }

    fn is_transient(&self) -> bool {
        use progenitor_client::Error as E;
        match self {
            E::CommunicationError(error) | E::ResponseBodyError(error) => transient::is_retryable_error(error),
            E::UnexpectedResponse(_) | E::ErrorResponse(_) => match self.api_error().map(|api| &api.problem) {
                Some(Problem::Truncated { .. }) => true,
                Some(Problem::Status) | None => self.http_status().is_some_and(transient::is_retryable_status),
                Some(_) => false,
            },
            _ => false,
        }
    }
}

/// URLs in `text` without their queries: after a redirect, a URL may be a
/// presigned object-storage URL whose query is a credential until it expires.
pub(crate) fn redact_queries(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("http://").or_else(|| rest.find("https://")).map(|a| {
        // The earlier of the two schemes.
        let https = rest.find("https://").unwrap_or(usize::MAX);
        a.min(https)
    }) {
        let end = rest[at..].find(|c: char| c.is_whitespace() || c == ')' || c == '"').map_or(rest.len(), |e| at + e);
        // Punctuation that follows a URL in a sentence is not part of it.
        let end = at + rest[at..end].trim_end_matches([':', ',', '.', ';']).len();
        let url = &rest[at..end];
        out.push_str(&rest[..at]);
        match url.find('?') {
            Some(q) => {
                out.push_str(&url[..q]);
                out.push_str("?…");
            }
            None => out.push_str(url),
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

trait DescribeWithUrls {
    fn describe_with_urls(&self) -> String;
}

impl<E> DescribeWithUrls for progenitor_client::Error<E> {
    fn describe_with_urls(&self) -> String {
        use progenitor_client::Error as E;
        match self {
            E::UnexpectedResponse(response) => {
                let api = self.api_error().cloned().unwrap_or_else(|| {
                    ApiError::from_parts(response.status(), response.headers(), b"", Problem::Status)
                });
                format!("request to {}: {api}", response.url())
            }
            E::InvalidResponsePayload(body, error) => format!(
                "GitLab's response is not the JSON the spec describes ({error}); body: {}",
                snippet(&String::from_utf8_lossy(body))
            ),
            E::CommunicationError(error) => format!("could not talk to GitLab: {}", error_chain(error)),
            E::ResponseBodyError(error) => format!("the response body could not be read: {}", error_chain(error)),
            E::InvalidRequest(why) => format!("the request was not sent: {why}"),
            E::InvalidUpgrade(error) => format!("the connection upgrade failed: {error}"),
            E::ErrorResponse(response) => format!("GitLab answered {}", response.status()),
            E::Custom(why) => why.clone(),
        }
    }
}

/// The most bytes of a body an `Error::InvalidResponsePayload` of this crate
/// carries: progenitor's `Display` prints them all, escaped.
pub const MAX_PAYLOAD_EXCERPT: usize = 1024;

/// At most [`MAX_PAYLOAD_EXCERPT`] bytes of a body that does not parse: the
/// whole body when it is short, else the bytes around where the parse failed
/// (`error`'s line and column), marked `…` where cut.
pub(crate) fn payload_excerpt(body: &bytes::Bytes, error: &serde_json::Error) -> bytes::Bytes {
    if body.len() <= MAX_PAYLOAD_EXCERPT {
        return body.clone();
    }
    // The byte where the parse stopped: serde_json counts lines from 1 and
    // bytes of the line from 1.
    let mut at = 0usize;
    if error.line() > 1 {
        let newlines = memchr::memchr_iter(b'\n', body).nth(error.line() - 2);
        at = newlines.map_or(body.len(), |n| n + 1);
    }
    at = at.saturating_add(error.column().saturating_sub(1)).min(body.len());
    let start = at.saturating_sub(MAX_PAYLOAD_EXCERPT / 2).min(body.len() - MAX_PAYLOAD_EXCERPT);
    let end = start + MAX_PAYLOAD_EXCERPT;
    let mut excerpt = bytes::BytesMut::with_capacity(MAX_PAYLOAD_EXCERPT + 6);
    if start > 0 {
        excerpt.extend_from_slice("…".as_bytes());
    }
    excerpt.extend_from_slice(&body[start..end]);
    if end < body.len() {
        excerpt.extend_from_slice("…".as_bytes());
    }
    excerpt.freeze()
}

pub(crate) fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;
    use std::time::Duration;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_static(value));
        }
        map
    }

    fn message(body: &str) -> Option<String> {
        let h = headers(&[("content-type", "application/json")]);
        ApiError::from_parts(StatusCode::BAD_REQUEST, &h, body.as_bytes(), Problem::Status).message
    }

    #[test]
    fn every_gitlab_error_shape_yields_its_message() {
        assert_eq!(message(r#"{"message":"404 Not found"}"#).unwrap(), "404 Not found");
        assert_eq!(
            message(r#"{"message":"403 Forbidden - Job is not retryable"}"#).unwrap(),
            "403 Forbidden - Job is not retryable"
        );
        assert_eq!(message(r#"{"message":{"ref":["is invalid"]}}"#).unwrap(), "ref is invalid");
        assert_eq!(
            message(r#"{"message":{"error":"This endpoint has been requested too many times. Try again later."}}"#)
                .unwrap(),
            "This endpoint has been requested too many times. Try again later."
        );
        assert_eq!(
            message(r#"{"error":"scope does not have a valid value"}"#).unwrap(),
            "scope does not have a valid value"
        );
        assert_eq!(
            message(r#"{"error":"invalid_token","error_description":"Token was revoked. You have to re-authorize from the user."}"#)
                .unwrap(),
            "invalid_token: Token was revoked. You have to re-authorize from the user."
        );
        assert_eq!(message("[1,2]"), None);
    }

    #[test]
    fn plain_text_and_html_bodies_become_a_message_or_a_snippet() {
        let h = headers(&[("content-type", "text/plain"), ("retry-after", "7"), ("ratelimit-reset", "1700000060")]);
        let api = ApiError::from_parts(StatusCode::TOO_MANY_REQUESTS, &h, b"Retry later\n", Problem::Status);
        assert_eq!(api.message.as_deref(), Some("Retry later"));
        let limit = api.rate_limit.as_ref().unwrap();
        assert_eq!(limit.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(limit.wait(0), Some(Duration::from_secs(7)));
        assert_eq!(api.to_string(), "GitLab answered 429 Too Many Requests: Retry later (retry after 7s)");

        let page = format!("<html>\n<head><title>502 Bad Gateway</title></head>{}</html>", "x".repeat(1000));
        let h = headers(&[("content-type", "text/html")]);
        let api = ApiError::from_parts(StatusCode::BAD_GATEWAY, &h, page.as_bytes(), Problem::Status);
        assert_eq!(api.message, None);
        assert!(api.snippet.starts_with("<html> <head><title>502 Bad Gateway</title>"), "{}", api.snippet);
        assert!(api.snippet.chars().count() <= SNIPPET_CHARS + 1);
        assert!(api.to_string().starts_with("GitLab answered 502 Bad Gateway (text/html): <html>"), "{api}");
    }

    #[test]
    fn queries_of_urls_do_not_reach_a_description() {
        let text = "request to https://bucket.s3.example.com/a.zip?X-Amz-Signature=secret&X-Amz-Credential=key: GitLab answered 503";
        assert_eq!(redact_queries(text), "request to https://bucket.s3.example.com/a.zip?…: GitLab answered 503");
        assert_eq!(redact_queries("(for url (http://x/y?token=1))"), "(for url (http://x/y?…))");
        assert_eq!(redact_queries("no url here"), "no url here");
    }

    #[test]
    fn garbage_bodies_never_panic() {
        for body in [&b"\xff\xfe\x00"[..], b"{", b"", b"{\"message\":", &[0u8; 300]] {
            let api = ApiError::from_parts(StatusCode::OK, &HeaderMap::new(), body, Problem::NotJson);
            let _ = api.to_string();
        }
    }
}
