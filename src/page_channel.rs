//! The one channel between a stream and the request hooks: per-call state
//! that the generated `send()` cannot carry.
//!
//! A stream sends each page through the generated builder, whose `send()`
//! goes through the hooks with nothing but the request and the operation's
//! id. Three things must still pass between the stream and the hooks for
//! that one call, so the stream runs `send()` inside [`scope`], and the
//! hooks find the [`PageCall`] with [`current`]:
//!
//! - **The page size.** The generated builders keep their fields private, so
//!   a stream cannot tell whether the caller chose a `per_page`, and calling
//!   `.per_page(100)` would override the caller's choice. The hook sees the
//!   finished URL instead, where an explicit `per_page` shows, and adds the
//!   stream's page size only when there is none.
//! - **The headers, early.** The hook tells the stream a page answer's
//!   headers as soon as they arrive, before its body has, so the stream may
//!   ask for the next page while this one is still being received.
//! - **The body.** The generated `send()` parses a body on the task that
//!   awaits it, in one go with receiving it. The hook hands a page's JSON
//!   body to the stream instead (the generated code parses an empty list in
//!   its place), which parses it itself, apart from the consumer when large.
//!
//! A task-local is the narrowest channel progenitor 0.15 leaves: its hooks
//! see only the client, and a stream cannot give the builder it was handed a
//! client of its own (the builder holds a reference to the caller's).

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use reqwest::{Url, header::HeaderMap};

tokio::task_local! {
    static PAGE: Arc<PageCall>;
}

/// What one page request of a stream and the request hooks share.
pub(crate) struct PageCall {
    /// The page size to ask for when the request names none.
    per_page: u32,
    /// Told a page answer's headers before its body is read.
    on_headers: Box<dyn Fn(&HeaderMap) + Send + Sync>,
    /// The page's body, and the address that answered it.
    body: Mutex<Option<(Bytes, Url)>>,
}

impl PageCall {
    pub(crate) fn new(per_page: u32, on_headers: impl Fn(&HeaderMap) + Send + Sync + 'static) -> Arc<PageCall> {
        Arc::new(PageCall { per_page, on_headers: Box::new(on_headers), body: Mutex::new(None) })
    }

    pub(crate) fn per_page(&self) -> u32 {
        self.per_page
    }

    /// The observer of the answer's headers, for the transport.
    pub(crate) fn on_headers(&self) -> &(dyn Fn(&HeaderMap) + Send + Sync) {
        &*self.on_headers
    }

    /// Keeps a page's body, and the address that answered it, for the
    /// stream; the body back if it could not be kept.
    pub(crate) fn keep_body(&self, body: Bytes, url: Url) -> Result<(), Bytes> {
        match self.body.lock() {
            Ok(mut kept) => {
                *kept = Some((body, url));
                Ok(())
            }
            Err(_) => Err(body),
        }
    }

    /// The body the hook kept, if it kept one, and its address.
    pub(crate) fn take_body(&self) -> Option<(Bytes, Url)> {
        self.body.lock().ok()?.take()
    }
}

/// Runs `call` (a page request's `send()`) with `page` as its channel.
pub(crate) async fn scope<F: Future>(page: Arc<PageCall>, call: F) -> F::Output {
    PAGE.scope(page, call).await
}

/// The channel of the page request being sent on this task, if any.
pub(crate) fn current() -> Option<Arc<PageCall>> {
    PAGE.try_with(Arc::clone).ok()
}
