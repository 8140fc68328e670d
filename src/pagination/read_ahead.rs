//! Reading one page ahead: the stream that asks for the next page while the
//! consumer reads or waits for this one, and for several at once where the
//! number of pages is known.

use std::sync::Arc;

use futures::{Stream, StreamExt};

use super::{
    link::Next,
    page::{Hint, Page, PageFuture, PagedRequest, fetch_page},
};
use crate::Error;

/// Under this many requests left in GitLab's rate-limit window, a stream
/// asks for one page at a time.
pub const LOW_RATE_LIMIT: u64 = 50;

/// Every item of `request`'s pages, reading one page ahead: once the
/// consumer has gone past the first page, the page after the one it reads
/// or waits for is requested as soon as its address is known. The address
/// comes with a page's headers, before its body is parsed (see
/// `page_channel.rs`), so the next page's request, the server's time and the
/// transfer overlap with the parse and with the consumer's work. At most two
/// pages are held (the one being read or parsed and the next), and a stream
/// dropped early drops the request in flight with it. `stream().take(5)`
/// makes one request.
pub(super) struct ReadAhead<'a, R: PagedRequest> {
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
    /// Every keyset cursor asked for, hashed: a `Link` that leads back to
    /// one of them would loop for ever.
    cursors: std::collections::HashSet<u64>,
    /// The error that ends the list once the current page's items are out.
    fault: Option<Error>,
    ended: bool,
}

impl<'a, R: PagedRequest + 'a> ReadAhead<'a, R> {
    pub(super) fn new(request: R, max_in_flight: usize) -> Self {
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
            cursors: std::collections::HashSet::new(),
            fault: None,
            ended: false,
        }
    }

    /// Whether `next` is a cursor already asked for.
    fn seen(&self, next: &Next) -> bool {
        matches!(next, Next::Keyset(cursor) if self.cursors.contains(&cursor_key(cursor)))
    }

    fn fetch(&mut self, next: Next) {
        if let Next::Keyset(cursor) = &next {
            self.cursors.insert(cursor_key(cursor));
        }
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
        // A cursor already read is not asked for again: the whole answer of
        // this page reports the loop.
        if next == Next::Done || self.seen(&next) {
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
            let mut page = Some(from);
            while let Some(number) = page.filter(|&p| p <= last)
                && self.in_flight.len() + self.arrived.len() < limit
            {
                self.fetch(Next::Offset(number));
                // The last page a `u32` can number is the last page.
                page = number.checked_add(1);
            }
            self.planned = page.filter(|&p| p <= last).map(|p| (p, last));
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
            if let Some(fault) = this.fault.take() {
                this.ended = true;
                return Poll::Ready(Some(Err(fault)));
            }
            if this.ended {
                return Poll::Ready(None);
            }
            match this.arrived.pop_front() {
                Some(Ok(Some(page))) => {
                    this.pages_read += 1;
                    let asked_on_hint = this.followed.pop_front().flatten();
                    // A page whose `Link` leads back to a page already asked
                    // for ends the list after its items: it would loop for
                    // ever. (A page asked for on this page's headers was
                    // checked then.) So does one whose headers make no sense.
                    let looped =
                        asked_on_hint.as_ref() != Some(&page.following) && !this.counted && this.seen(&page.following);
                    let fault = match page.fault {
                        Some(reason) => Some(reason),
                        None if looped => Some(
                            "its Link header leads back to a page of the list already read: the list would loop for ever"
                                .to_owned(),
                        ),
                        None => None,
                    };
                    if let Some(reason) = fault {
                        this.fault = Some(page.answer.error(reason));
                        this.drop_requests();
                        this.planned = None;
                        this.next = Next::Done;
                        this.ended = true;
                        this.current = page.items.into_iter();
                        continue;
                    }
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

/// A cursor as the set of cursors asked for keeps it: a hash, so that the
/// set costs eight bytes a page however long GitLab's cursors are.
fn cursor_key(cursor: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    cursor.hash(&mut hasher);
    hasher.finish()
}
