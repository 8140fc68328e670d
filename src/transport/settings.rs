//! How a client sends its requests: the part of its state that the
//! transport reads on every call, with the limits that hold against any
//! server.

use std::time::Duration;

use reqwest::Url;

use super::{credential::Credential, retry::RetryPolicy};

/// The most decoded bytes of a JSON answer read by default: far above any
/// real Jobs answer (a page of 100 jobs is a few hundred KiB), far below
/// what would hurt.
pub const DEFAULT_MAX_BODY_BYTES: u64 = 64 * 1024 * 1024;
/// How long one call (all its attempts and redirects, its body included)
/// may take by default, for calls that answer JSON. Downloads have none.
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(5 * 60);
/// How many redirects in a row are followed.
pub(crate) const MAX_REDIRECTS: usize = 10;

/// How a client's requests are sent; part of its state.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    /// The API root; answers from any other origin are shown without their
    /// query, which may be a presigned URL's signature.
    pub(crate) api: Url,
    pub(crate) credential: Option<Credential>,
    pub(crate) max_redirects: usize,
    pub(crate) retry: RetryPolicy,
    pub(crate) max_body_bytes: u64,
    /// The longest a JSON call may take; `None` for none.
    pub(crate) deadline: Option<Duration>,
}

impl Settings {
    /// `url` as it may be shown in an error: as it is on the API's origin,
    /// elsewhere without its query.
    pub(crate) fn shown_url(&self, url: &Url) -> Url {
        if url.origin() == self.api.origin() { url.clone() } else { Settings::without_query(url) }
    }

    /// `url` with its query, if any, replaced by `(redacted)`.
    pub(crate) fn without_query(url: &Url) -> Url {
        let mut shown = url.clone();
        if url.query().is_some() {
            shown.set_query(Some("(redacted)"));
        }
        shown
    }

    /// A transport error as it may be shown: its URL as [`Self::shown_url`].
    pub(crate) fn shown_error(&self, mut error: reqwest::Error) -> reqwest::Error {
        if let Some(url) = error.url_mut() {
            *url = self.shown_url(url);
        }
        error
    }
}
