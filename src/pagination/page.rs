//! One page of a list: its request, sent with the stream's channel to the
//! hooks (`page_channel.rs`), and its answer, parsed by the stream itself.

use std::sync::Arc;

use reqwest::{StatusCode, Url, header::HeaderMap};

use super::link::{Next, header_page, link_base, next_page};
use crate::{
    Error, ErrorExt, Problem, RateLimit, ResponseValue, error::payload_excerpt, operations::compat::RECEIVED,
    page_channel, transport,
};

/// The page size a stream asks for when the caller did not set `per_page`;
/// GitLab's maximum.
pub const STREAM_PER_PAGE: u32 = 100;

/// A list request whose page can be chosen; implemented for the generated builders.
pub(super) trait PagedRequest: Clone + Send + Sized {
    type Item: serde::de::DeserializeOwned + Send + 'static;
    /// Whether the endpoint supports keyset pagination.
    const KEYSET: bool;
    fn send(self) -> impl Future<Output = Result<ResponseValue<Vec<Self::Item>>, Error>> + Send;
    fn page(self, page: u32) -> Self;
    fn keyset(self, cursor: Option<String>) -> Self;
}

/// Where the page after a requested one is, known from its answer's headers
/// before its body is received and parsed: the stream may then ask for it
/// at once. Taken once.
#[derive(Default)]
pub(super) struct Hint(std::sync::Mutex<HintState>);

#[derive(Default)]
enum HintState {
    #[default]
    Unknown,
    Known(Next),
    Taken,
}

impl Hint {
    /// A later attempt of the same request (the hooks retry a body cut
    /// midway) corrects what an earlier one said, until the stream acted on it.
    fn tell(&self, next: &Next) {
        if let Ok(mut state) = self.0.lock()
            && !matches!(*state, HintState::Taken)
        {
            *state = HintState::Known(next.clone());
        }
    }

    pub(super) fn take(&self) -> Option<Next> {
        let mut state = self.0.lock().ok()?;
        match std::mem::replace(&mut *state, HintState::Taken) {
            HintState::Known(next) => Some(next),
            other => {
                *state = other;
                None
            }
        }
    }
}

/// One page of `request` at `next`: its items and where the page after it
/// is. `None` when there is no page there. `hint` learns where the next
/// page is from the request hook as soon as the headers arrive (through
/// `page_channel`), while the body is still received and parsed.
pub(super) async fn fetch_page<R: PagedRequest>(request: R, mut next: Next, hint: Option<Arc<Hint>>) -> Page<R::Item> {
    loop {
        let page_request = match &next {
            Next::Done => return Ok(None),
            Next::KeysetFirst => request.clone().keyset(None),
            Next::Keyset(cursor) => request.clone().keyset(Some(cursor.clone())),
            Next::Offset(page) => request.clone().page(*page),
        };
        let told = hint.clone().map(|hint| (next.clone(), hint));
        let page = page_channel::PageCall::new(STREAM_PER_PAGE, move |headers| {
            // Headers that make no sense tell nothing: the whole answer
            // reports them.
            if let Some((current, hint)) = &told
                && let Ok(following) = next_page(current, headers, &link_base())
            {
                hint.tell(&following);
            }
        });
        let response = match page_channel::scope(page.clone(), page_request.send()).await {
            Ok(response) => response,
            // Servers before 15.9, and requests keyset cannot serve, refuse
            // it; nothing has been yielded yet, so start over with offsets.
            Err(error) if next == Next::KeysetFirst && refuses_keyset(&error) => {
                next = Next::Offset(1);
                continue;
            }
            Err(error) => return Err(error),
        };
        let (body, url) = match page.take_body() {
            Some((body, url)) => (Some(body), Some(url)),
            None => (None, None),
        };
        let answer = PageAnswer { status: response.status(), headers: response.headers().clone(), url };
        // Headers that make no sense end the list after this page's items.
        let (following, fault) = match next_page(&next, &answer.headers, &link_base()) {
            Ok(following) => (following, None),
            Err(reason) => (Next::Done, Some(reason)),
        };
        // A page the client filtered (see `operations/compat.rs`) may be empty
        // while the server still has more: only a page that arrived empty ends it.
        let received = header_page(&answer.headers, RECEIVED).ok().flatten().unwrap_or(0);
        let total_pages = match next {
            // Only a hint for planning requests: a number that makes no
            // sense plans nothing.
            Next::Offset(_) => {
                header_page(&answer.headers, "x-total-pages").ok().flatten().and_then(|n| u32::try_from(n).ok())
            }
            _ => None,
        };
        let rate_remaining = RateLimit::from_headers(&answer.headers).and_then(|r| r.remaining);
        let items = match body {
            Some(body) => parse_page(body).await?,
            None => response.into_inner(),
        };
        let following = if items.is_empty() && received == 0 { Next::Done } else { following };
        return Ok(Some(Fetched { items, following, total_pages, rate_remaining, answer, fault }));
    }
}

/// What a page's answer was, for an error about it found later.
pub(super) struct PageAnswer {
    status: StatusCode,
    headers: HeaderMap,
    /// Where it came from, when the hook handed its body over.
    url: Option<Url>,
}

impl PageAnswer {
    /// The page's answer as an error that says why the stream cannot go on
    /// from it.
    pub(super) fn error(&self, reason: String) -> Error {
        let url = self.url.clone().unwrap_or_else(link_base);
        let problem = Problem::Refused { reason };
        Error::UnexpectedResponse(transport::answer_error(self.status, &self.headers, &url, problem))
    }
}

/// A page: its items, where the page after it is, and what its headers say
/// about the list (`X-Total-Pages`) and the rate limit.
pub(super) struct Fetched<T> {
    pub(super) items: Vec<T>,
    pub(super) following: Next,
    pub(super) total_pages: Option<u32>,
    pub(super) rate_remaining: Option<u64>,
    pub(super) answer: PageAnswer,
    /// Why the list cannot go on past this page, if its headers said
    /// nonsense.
    pub(super) fault: Option<String>,
}

/// A page, or `None` past the last.
pub(super) type Page<T> = Result<Option<Fetched<T>>, Error>;
pub(super) type PageFuture<'a, T> = futures::future::BoxFuture<'a, Page<T>>;

/// Bodies under this size are parsed where they arrive; larger ones on a
/// blocking thread, where the parse overlaps the next page's request and
/// the consumer's work.
const PARSE_APART_FROM: usize = 32 * 1024;

/// Parses a page body handed over by the request hook. The body is checked
/// for UTF-8 once and parsed as `str`, which spares serde a check of every
/// string in it; an invalid body is then parsed as bytes for serde's error.
async fn parse_page<T>(body: bytes::Bytes) -> Result<Vec<T>, Error>
where
    T: serde::de::DeserializeOwned + Send + 'static,
{
    fn parse<T: serde::de::DeserializeOwned>(body: &[u8]) -> serde_json::Result<Vec<T>> {
        match std::str::from_utf8(body) {
            Ok(text) => serde_json::from_str(text),
            Err(_) => serde_json::from_slice(body),
        }
    }
    let parsed = match tokio::runtime::Handle::try_current() {
        Ok(runtime) if body.len() >= PARSE_APART_FROM => {
            let apart = body.clone();
            match runtime.spawn_blocking(move || parse(&apart)).await {
                Ok(parsed) => parsed,
                Err(join) if join.is_panic() => std::panic::resume_unwind(join.into_panic()),
                // The runtime is shutting down and dropped the task: parse here.
                Err(_) => parse(&body),
            }
        }
        _ => parse(&body),
    };
    // The error carries an excerpt of the body: progenitor's `Display`
    // prints all of it.
    parsed.map_err(|error| Error::InvalidResponsePayload(payload_excerpt(&body, &error), error))
}

/// Whether a keyset request was refused (servers before 15.9, or a request
/// keyset cannot serve).
fn refuses_keyset(error: &Error) -> bool {
    match error.http_status() {
        Some(StatusCode::METHOD_NOT_ALLOWED) => true,
        Some(StatusCode::BAD_REQUEST) => {
            error.gitlab_message().is_some_and(|m| m.contains("keyset") || m.contains("pagination"))
        }
        _ => false,
    }
}
