//! Every item of a paged list as one lazy stream, over GitLab's two kinds of
//! pages.
//!
//! A list endpoint returns 20 items unless asked for more, so a caller that
//! reads one response silently sees only the first 20 jobs. [`Paginate::stream`]
//! follows the pages instead: keyset pages for project jobs (GitLab asks clients
//! to prefer them, since offset paging of large job lists is expensive for the
//! server), following `Link: <…>; rel="next"`; offset pages elsewhere, and for
//! servers that refuse or ignore keyset, following `X-Next-Page` (an empty
//! string on the last page) or `Link`.
//!
//! Past the first page a stream reads one page ahead ([`ReadAhead`]): the page
//! after the one the consumer waits for is asked for on that page's headers,
//! and a page's body is parsed by the stream itself, apart from the consumer
//! when it is large ([`parse_page`]). Where the number of pages is known,
//! several are asked for at once. `stream().take(5)` makes one request.

use std::sync::Arc;

use futures::{Stream, StreamExt, stream::BoxStream};
use reqwest::{StatusCode, Url, header::HeaderMap};

use crate::{
    Error, ErrorExt, ResponseValue,
    builder::{ListJobArtifactsTree, ListPipelineBridges, ListPipelineJobs, ListPipelineTriggerJobs, ListProjectJobs},
    types,
};

/// The page size a stream asks for when the caller did not set `per_page`;
/// GitLab's maximum.
pub const STREAM_PER_PAGE: u32 = 100;

tokio::task_local! {
    /// Set while a stream sends a page request. Its presence tells the
    /// request hook to add the stream's page size ([`STREAM_PER_PAGE`]); the
    /// hook tells it where the next page is and hands the JSON body over.
    ///
    /// Why the page size is not set on the builder: the generated builders
    /// keep their fields private, so a stream cannot tell whether the caller
    /// chose a page size, and calling `.per_page(100)` would override the
    /// caller's choice. The hook sees the finished URL instead, where an
    /// explicit `per_page` shows.
    ///
    /// Why the body is handed over: the generated `send()` parses a body on
    /// the task that awaits it, in one go with receiving it. A stream parses
    /// it itself instead (see [`parse_page`]), after it has learnt from the
    /// headers where the next page is, so that past the first page, while
    /// the consumer waits, the next request is already on its way while this
    /// page is received and parsed.
    static STREAM_PAGE: Arc<PageSlot>;
}

/// What a stream's page request and the request hook share.
pub(crate) struct PageSlot {
    body: std::sync::Mutex<Option<bytes::Bytes>>,
    /// Where this page is, and who wants to know where the next one is.
    hint: Option<(Next, Arc<Hint>)>,
}

/// Tells a stream where the page after this one is as soon as a page
/// answer's headers arrive, before its body has: the stream may ask for the
/// next page while this one is still being received.
pub(crate) fn page_headers(headers: &HeaderMap) {
    let _ = STREAM_PAGE.try_with(|slot| {
        if let Some((current, hint)) = &slot.hint {
            hint.tell(&next_page(current, headers, &link_base()));
        }
    });
}

/// What the generated code parses in place of a body the hook handed over.
const HANDED_OVER: &[u8] = b"[]";

/// Adds `per_page` to a page request of a stream, unless the caller set it.
pub(crate) fn apply_stream_page_size(url: &mut Url) {
    let _ = STREAM_PAGE.try_with(|_| {
        if !url.query_pairs().any(|(k, _)| k == "per_page") {
            url.query_pairs_mut().append_pair("per_page", &STREAM_PER_PAGE.to_string());
        }
    });
}

/// Takes the JSON body of a stream's page answer for the stream to parse,
/// leaving an empty list for the generated code. Only a `200 OK`, the one
/// status the generated list operations read as a page, is handed over;
/// anything else (no stream, another status, a response the hooks took
/// aside) is left as it is.
pub(crate) async fn hand_over_page(response: reqwest::Response) -> reqwest::Result<reqwest::Response> {
    let Ok(slot) = STREAM_PAGE.try_with(Arc::clone) else { return Ok(response) };
    if response.status() != StatusCode::OK || crate::hooks::is_diverted(&response) {
        return Ok(response);
    }
    let (status, headers, url) = (response.status(), response.headers().clone(), response.url().clone());
    // The hooks have read a JSON body into memory already: this does not wait.
    let body = response.bytes().await?;
    let Ok(mut kept) = slot.body.lock() else {
        return Ok(crate::hooks::rebuild(status, &headers, &url, body, None));
    };
    *kept = Some(body);
    Ok(crate::hooks::rebuild(status, &headers, &url, bytes::Bytes::from_static(HANDED_OVER), None))
}

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
    parsed.map_err(|error| Error::InvalidResponsePayload(body, error))
}

/// Streams every item of a paged list endpoint.
///
/// ```no_run
/// use futures::TryStreamExt;
/// use gitlab_jobs::{Client, JobScope, Paginate};
///
/// # async fn run(client: Client) -> Result<(), gitlab_jobs::Error> {
/// let failed: Vec<_> = client
///     .list_project_jobs()
///     .id("group/project")
///     .scope(vec![JobScope::Failed])
///     .stream()
///     .try_collect()
///     .await?;
/// # Ok(()) }
/// ```
pub trait Paginate<'a> {
    /// What the list holds.
    type Item;

    /// Every item of the list, fetched page by page as the stream is read.
    /// Every setter used on the builder (scope, ref, include_retried, …) is
    /// kept on every page. The stream is boxed, so it is `Unpin` and can be
    /// stored by name.
    fn stream(self) -> BoxStream<'a, Result<Self::Item, Error>>;

    /// As [`stream`](Self::stream), with up to `max_in_flight` page requests
    /// at once where the server says how many pages there are
    /// (`X-Total-Pages`: pipeline jobs, trigger jobs, the artifacts tree);
    /// items still come in page order. `stream` uses
    /// [`DEFAULT_PAGES_IN_FLIGHT`]. When GitLab's `RateLimit-Remaining` falls
    /// under [`LOW_RATE_LIMIT`], one page at a time again. Project jobs
    /// (keyset pages, no totals) are read one page ahead whatever is set,
    /// unless a server before 15.9 refuses keyset and its offset pages
    /// carry totals.
    fn stream_with_pages_in_flight(self, max_in_flight: usize) -> BoxStream<'a, Result<Self::Item, Error>>;
}

/// How many page requests a stream keeps in flight by default, where the
/// number of pages is known.
pub const DEFAULT_PAGES_IN_FLIGHT: usize = 2;
/// Under this many requests left in GitLab's rate-limit window, a stream
/// asks for one page at a time.
pub const LOW_RATE_LIMIT: u64 = 50;

/// A list request whose page can be chosen; implemented for the generated builders.
trait PagedRequest: Clone + Send + Sized {
    type Item: serde::de::DeserializeOwned + Send + 'static;
    /// Whether the endpoint supports keyset pagination.
    const KEYSET: bool;
    fn send(self) -> impl Future<Output = Result<ResponseValue<Vec<Self::Item>>, Error>> + Send;
    fn page(self, page: u32) -> Self;
    fn keyset(self, cursor: Option<String>) -> Self;
}

macro_rules! paged {
    // An endpoint with keyset pagination: `pagination=keyset` and a cursor.
    ($builder:ident, $item:ty, keyset) => {
        paged!(@impl $builder, $item, true, |request: $builder<'a>, cursor: Option<String>| {
            let request = request.pagination(types::PaginationMode::Keyset);
            match cursor {
                Some(cursor) => request.cursor(cursor),
                None => request,
            }
        });
    };
    // An endpoint with offset pagination only.
    ($builder:ident, $item:ty) => {
        paged!(@impl $builder, $item, false, |request: $builder<'a>, _cursor: Option<String>| request);
    };
    (@impl $builder:ident, $item:ty, $keyset:expr, $with_cursor:expr) => {
        impl<'a> PagedRequest for $builder<'a> {
            type Item = $item;
            const KEYSET: bool = $keyset;
            fn send(self) -> impl Future<Output = Result<ResponseValue<Vec<$item>>, Error>> + Send {
                $builder::send(self)
            }
            fn page(self, page: u32) -> Self {
                $builder::page(self, page)
            }
            fn keyset(self, cursor: Option<String>) -> Self {
                ($with_cursor)(self, cursor)
            }
        }

        impl<'a> Paginate<'a> for $builder<'a> {
            type Item = $item;
            fn stream(self) -> BoxStream<'a, Result<$item, Error>> {
                ReadAhead::new(self, DEFAULT_PAGES_IN_FLIGHT).boxed()
            }

            fn stream_with_pages_in_flight(self, max_in_flight: usize) -> BoxStream<'a, Result<$item, Error>> {
                ReadAhead::new(self, max_in_flight).boxed()
            }
        }
    };
}

paged!(ListProjectJobs, types::Job, keyset);
paged!(ListPipelineJobs, types::Job);
paged!(ListPipelineBridges, types::Bridge);
paged!(ListPipelineTriggerJobs, types::Bridge);
paged!(ListJobArtifactsTree, types::JobArtifactEntry);

/// Which page to ask for next.
#[derive(Clone, Debug, PartialEq)]
enum Next {
    KeysetFirst,
    Keyset(String),
    Offset(u32),
    Done,
}

/// Where the page after a requested one is, known from its answer's headers
/// before its body is received and parsed: the stream may then ask for it
/// at once. Taken once.
#[derive(Default)]
struct Hint(std::sync::Mutex<HintState>);

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

    fn take(&self) -> Option<Next> {
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
/// page is from the request hook as soon as the headers arrive (see
/// [`page_headers`]), while the body is still received and parsed.
async fn fetch_page<R: PagedRequest>(request: R, mut next: Next, hint: Option<Arc<Hint>>) -> Page<R::Item> {
    loop {
        let page_request = match &next {
            Next::Done => return Ok(None),
            Next::KeysetFirst => request.clone().keyset(None),
            Next::Keyset(cursor) => request.clone().keyset(Some(cursor.clone())),
            Next::Offset(page) => request.clone().page(*page),
        };
        let slot = Arc::new(PageSlot {
            body: std::sync::Mutex::new(None),
            hint: hint.clone().map(|hint| (next.clone(), hint)),
        });
        let response = match STREAM_PAGE.scope(slot.clone(), page_request.send()).await {
            Ok(response) => response,
            // Servers before 15.9, and requests keyset cannot serve, refuse
            // it; nothing has been yielded yet, so start over with offsets.
            Err(error) if next == Next::KeysetFirst && refuses_keyset(&error) => {
                next = Next::Offset(1);
                continue;
            }
            Err(error) => return Err(error),
        };
        let following = next_page(&next, response.headers(), &link_base());
        // A page the client filtered (see `routes.rs`) may be empty while
        // the server still has more: only a page that arrived empty ends it.
        let received = header_page(response.headers(), crate::routes::RECEIVED).unwrap_or(0);
        let total_pages = match next {
            Next::Offset(_) => header_page(response.headers(), "x-total-pages"),
            _ => None,
        };
        let rate_remaining = crate::RateLimit::from_headers(response.headers()).and_then(|r| r.remaining);
        let handed_over = slot.body.lock().ok().and_then(|mut body| body.take());
        let items = match handed_over {
            Some(body) => parse_page(body).await?,
            None => response.into_inner(),
        };
        let following = if items.is_empty() && received == 0 { Next::Done } else { following };
        return Ok(Some(Fetched { items, following, total_pages, rate_remaining }));
    }
}

/// A page: its items, where the page after it is, and what its headers say
/// about the list (`X-Total-Pages`) and the rate limit.
struct Fetched<T> {
    items: Vec<T>,
    following: Next,
    total_pages: Option<u32>,
    rate_remaining: Option<u64>,
}

/// A page, or `None` past the last.
type Page<T> = Result<Option<Fetched<T>>, Error>;
type PageFuture<'a, T> = futures::future::BoxFuture<'a, Page<T>>;

/// Every item of `request`'s pages, reading one page ahead: once the
/// consumer has gone past the first page, the page after the one it reads
/// or waits for is requested as soon as its address is known. The address
/// comes with a page's headers, before its body is parsed (see
/// [`STREAM_PAGE`]), so the next page's request, the server's time and the
/// transfer overlap with the parse and with the consumer's work. At most two
/// pages are held (the one being read or parsed and the next), and a stream
/// dropped early drops the request in flight with it. `stream().take(5)`
/// makes one request.
struct ReadAhead<'a, R: PagedRequest> {
    request: R,
    /// Where the page after the last one requested is; `Done` while a
    /// request is in flight (its answer tells) or at the end.
    next: Next,
    /// Where the page after the last one requested is, told by its headers
    /// before its body is parsed; `None` once that page has been asked for,
    /// the answer came whole, or the pages are planned by number.
    hint: Option<Arc<Hint>>,
    /// For each page requested and not yet read, in order: the page after it
    /// if it was asked for on its hint (its answer must agree).
    followed: std::collections::VecDeque<Option<Next>>,
    current: std::vec::IntoIter<R::Item>,
    /// Requests in flight, answered in the order they were made.
    in_flight: futures::stream::FuturesOrdered<PageFuture<'a, R::Item>>,
    /// Answers not handed out yet, in page order.
    arrived: std::collections::VecDeque<Page<R::Item>>,
    /// Pages whose items have been handed out, the current one included.
    pages_read: usize,
    /// Where the number of pages is known: the next offset page to ask for
    /// and the last one; pages are then asked for several at a time.
    planned: Option<(u32, u32)>,
    /// The number of pages was known: answers' own next pages are not followed.
    counted: bool,
    max_in_flight: usize,
    /// The last `RateLimit-Remaining` GitLab sent.
    rate_remaining: Option<u64>,
    ended: bool,
}

impl<'a, R: PagedRequest + 'a> ReadAhead<'a, R> {
    fn new(request: R, max_in_flight: usize) -> Self {
        let next = if R::KEYSET { Next::KeysetFirst } else { Next::Offset(1) };
        ReadAhead {
            request,
            next,
            hint: None,
            followed: std::collections::VecDeque::new(),
            current: Vec::new().into_iter(),
            in_flight: futures::stream::FuturesOrdered::new(),
            arrived: std::collections::VecDeque::new(),
            pages_read: 0,
            planned: None,
            counted: false,
            max_in_flight: max_in_flight.max(1),
            rate_remaining: None,
            ended: false,
        }
    }

    fn fetch(&mut self, next: Next) {
        // Pages of a planned list are asked for by number: no hint needed.
        let hint = self.planned.is_none().then(Arc::<Hint>::default);
        self.hint = hint.clone();
        self.followed.push_back(None);
        self.in_flight.push_back(Box::pin(fetch_page(self.request.clone(), next, hint)));
    }

    /// Drops every page requested and not yet read, and what was known of them.
    fn drop_requests(&mut self) {
        self.in_flight.clear();
        self.arrived.clear();
        self.followed.clear();
        self.hint = None;
    }

    /// While the consumer waits for a page past the first, asks for the page
    /// after it as soon as its headers have said where that is.
    fn follow_hint(&mut self) -> bool {
        let waiting = self.pages_read >= 1 && self.in_flight.len() == 1 && self.arrived.is_empty();
        if !waiting || self.counted || self.planned.is_some() {
            return false;
        }
        let Some(next) = self.hint.as_ref().and_then(|hint| hint.take()) else { return false };
        self.hint = None;
        if let Some(last) = self.followed.back_mut() {
            *last = Some(next.clone());
        }
        if next == Next::Done {
            return false;
        }
        self.fetch(next);
        true
    }

    /// Asks for the next page(s): as many as allowed where the number of
    /// pages is known, else the one whose address the last page gave.
    fn request_next(&mut self) {
        if let Some((from, last)) = self.planned {
            let low = self.rate_remaining.is_some_and(|left| left < LOW_RATE_LIMIT);
            let limit = if low { 1 } else { self.max_in_flight };
            let mut page = from;
            while page <= last && self.in_flight.len() + self.arrived.len() < limit {
                self.fetch(Next::Offset(page));
                page += 1;
            }
            self.planned = (page <= last).then_some((page, last));
            return;
        }
        let next = std::mem::replace(&mut self.next, Next::Done);
        if next != Next::Done {
            self.fetch(next);
        }
    }
}

impl<'a, R: PagedRequest + Unpin + 'a> Stream for ReadAhead<'a, R>
where
    R::Item: Unpin,
{
    type Item = Result<R::Item, Error>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        let this = self.get_mut();
        loop {
            // Drive the requests in flight, whatever the consumer does.
            while let Poll::Ready(Some(result)) = this.in_flight.poll_next_unpin(cx) {
                this.arrived.push_back(result);
            }
            if let Some(item) = this.current.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            if this.ended {
                return Poll::Ready(None);
            }
            match this.arrived.pop_front() {
                Some(Ok(Some(page))) => {
                    this.pages_read += 1;
                    let asked_on_hint = this.followed.pop_front().flatten();
                    this.rate_remaining = page.rate_remaining.or(this.rate_remaining);
                    let emptied = page.items.is_empty() && page.following == Next::Done;
                    match page.total_pages {
                        // The first offset page says how many there are:
                        // plan the rest instead of following one by one.
                        Some(total) if this.pages_read == 1 && !this.counted => {
                            this.counted = true;
                            this.hint = None;
                            if let Next::Offset(after) = page.following
                                && after <= total
                            {
                                this.planned = Some((after, total));
                            }
                        }
                        _ if this.counted => {}
                        // The page after this one was asked for on the
                        // headers' word; the whole answer agrees, as it
                        // does unless the page came back empty.
                        _ if asked_on_hint.as_ref() == Some(&page.following) => {}
                        _ if asked_on_hint.is_some() => {
                            this.drop_requests();
                            this.next = page.following;
                        }
                        _ => {
                            // This page's hint is spent: the answer is whole.
                            if this.in_flight.is_empty() {
                                this.hint = None;
                            }
                            this.next = page.following;
                        }
                    }
                    // A page of a planned list that comes back empty ends it.
                    if this.planned.is_some() && emptied {
                        this.planned = None;
                        this.drop_requests();
                    }
                    this.current = page.items.into_iter();
                    if this.pages_read >= 2 {
                        this.request_next();
                    }
                    continue;
                }
                Some(Ok(None)) => {
                    this.ended = true;
                    return Poll::Ready(None);
                }
                Some(Err(error)) => {
                    this.ended = true;
                    // Requests of later pages are dropped with the stream's end.
                    this.drop_requests();
                    return Poll::Ready(Some(Err(error)));
                }
                None => {}
            }
            // The consumer waits for a page: ask for the one after it early.
            if this.follow_hint() {
                continue;
            }
            if !this.in_flight.is_empty() {
                return Poll::Pending;
            }
            if this.next == Next::Done && this.planned.is_none() {
                this.ended = true;
                return Poll::Ready(None);
            }
            this.request_next();
        }
    }
}

/// What `Link` targets are resolved against. GitLab sends absolute URLs, and
/// only their query (`cursor`, `page`) is read, so a relative target needs no
/// more than some base to resolve against.
fn link_base() -> Url {
    Url::parse("http://gitlab.invalid/").unwrap_or_else(|_| unreachable!("a constant URL parses"))
}

fn refuses_keyset(error: &Error) -> bool {
    match error.http_status() {
        Some(StatusCode::METHOD_NOT_ALLOWED) => true,
        Some(StatusCode::BAD_REQUEST) => {
            error.gitlab_message().is_some_and(|m| m.contains("keyset") || m.contains("pagination"))
        }
        _ => false,
    }
}

/// Where the page after this one is, from the response headers.
fn next_page(current: &Next, headers: &HeaderMap, base: &Url) -> Next {
    let next_link = link_with_rel(headers, "next", base);
    if matches!(current, Next::KeysetFirst | Next::Keyset(_)) {
        let cursor = next_link.as_ref().and_then(|url| query_value(url, "cursor"));
        if let Some(cursor) = cursor {
            return match current {
                Next::Keyset(previous) if *previous == cursor => Next::Done,
                _ => Next::Keyset(cursor),
            };
        }
        // A server that ignores `pagination=keyset` answers with offset
        // pages: go on with those from page 2.
        if next_link.is_none() && header_page(headers, "x-next-page").is_none() {
            return Next::Done;
        }
    }
    let current_page = match current {
        Next::Offset(page) => *page,
        _ => 1,
    };
    let following = header_page(headers, "x-next-page")
        .or_else(|| next_link.as_ref().and_then(|url| query_value(url, "page")?.parse().ok()));
    match following {
        // Never go back or stand still, whatever the headers claim.
        Some(page) if page > current_page => Next::Offset(page),
        _ => Next::Done,
    }
}

/// A page number header; GitLab sends an empty string where there is no page.
fn header_page(headers: &HeaderMap, name: &str) -> Option<u32> {
    headers.get(name)?.to_str().ok()?.trim().parse().ok()
}

fn query_value(url: &Url, name: &str) -> Option<String> {
    url.query_pairs().find(|(key, _)| key == name).map(|(_, value)| value.into_owned())
}

/// The first `Link` target with relation `rel`, resolved against `base`.
fn link_with_rel(headers: &HeaderMap, rel: &str, base: &Url) -> Option<Url> {
    headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(parse_link)
        .find(|link| link.rels.iter().any(|r| r.eq_ignore_ascii_case(rel)))
        .and_then(|link| base.join(&link.target).ok())
}

/// One entry of a `Link` header (RFC 8288).
#[derive(Debug, PartialEq)]
struct Link {
    target: String,
    rels: Vec<String>,
}

/// Parses a `Link` header value. Targets sit between `<` and `>` and may hold
/// commas and semicolons; parameter values may be quoted. Malformed entries
/// are skipped rather than failing the whole header.
fn parse_link(value: &str) -> Vec<Link> {
    let mut links = Vec::new();
    let mut rest = value;
    while let Some(open) = rest.find('<') {
        let Some(close) = rest[open..].find('>') else { break };
        let target = rest[open + 1..open + close].trim().to_owned();
        rest = &rest[open + close + 1..];
        // The parameters run to the next comma outside quotes.
        let mut in_quotes = false;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    in_quotes = !in_quotes;
                }
                c == ',' && !in_quotes
            })
            .map_or(rest.len(), |(i, _)| i);
        let rels = rest[..end]
            .split(';')
            .filter_map(|param| param.split_once('='))
            .filter(|(name, _)| name.trim().eq_ignore_ascii_case("rel"))
            .flat_map(|(_, value)| {
                value.trim().trim_matches('"').split_whitespace().map(str::to_owned).collect::<Vec<_>>()
            })
            .collect();
        links.push(Link { target, rels });
        rest = &rest[end..];
    }
    links
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn base() -> Url {
        Url::parse("https://gitlab.example.com/api/v4/projects/1/jobs").unwrap()
    }

    #[test]
    fn link_targets_may_hold_commas_and_rels_may_be_lists() {
        let links = parse_link(
            r#"<https://x/jobs?a=1,2&cursor=eyJ9%3D>; rel="next last", <https://x/jobs?page=1>; title="a, b"; rel=first"#,
        );
        assert_eq!(links.len(), 2);
        assert_eq!(links[0].target, "https://x/jobs?a=1,2&cursor=eyJ9%3D");
        assert_eq!(links[0].rels, ["next", "last"]);
        assert_eq!(links[1].rels, ["first"]);
        assert!(parse_link("garbage, <unclosed").is_empty());
    }

    #[test]
    fn keyset_follows_the_decoded_cursor_of_rel_next() {
        let h = headers(&[(
            "link",
            "<https://gitlab.example.com/api/v4/projects/1/jobs?cursor=eyJpZCI6IjEwIn0%3D&pagination=keyset&per_page=100>; rel=\"next\"",
        )]);
        assert_eq!(next_page(&Next::KeysetFirst, &h, &base()), Next::Keyset("eyJpZCI6IjEwIn0=".into()));
        // The last keyset page has no `next`.
        let last =
            headers(&[("link", "<https://gitlab.example.com/api/v4/projects/1/jobs?per_page=100>; rel=\"first\"")]);
        assert_eq!(next_page(&Next::Keyset("c".into()), &last, &base()), Next::Done);
        // A cursor that does not move would loop forever.
        assert_eq!(next_page(&Next::Keyset("eyJpZCI6IjEwIn0=".into()), &h, &base()), Next::Done);
    }

    #[test]
    fn offset_follows_x_next_page_and_its_empty_string() {
        let h = headers(&[("x-page", "1"), ("x-next-page", "2"), ("x-prev-page", "")]);
        assert_eq!(next_page(&Next::Offset(1), &h, &base()), Next::Offset(2));
        let last = headers(&[("x-page", "3"), ("x-next-page", ""), ("x-prev-page", "2")]);
        assert_eq!(next_page(&Next::Offset(3), &last, &base()), Next::Done);
        // Without X-Next-Page (a proxy dropped it), the Link header still leads.
        let link_only = headers(&[("link", "</api/v4/projects/1/jobs?page=4&per_page=100>; rel=\"next\"")]);
        assert_eq!(next_page(&Next::Offset(3), &link_only, &base()), Next::Offset(4));
        // Headers that point backwards end the walk instead of looping.
        assert_eq!(next_page(&Next::Offset(5), &h, &base()), Next::Done);
    }

    #[test]
    fn a_server_ignoring_keyset_continues_with_offset_pages() {
        let h = headers(&[("x-page", "1"), ("x-next-page", "2"), ("link", "<https://x/jobs?page=2>; rel=\"next\"")]);
        assert_eq!(next_page(&Next::KeysetFirst, &h, &base()), Next::Offset(2));
    }
}
