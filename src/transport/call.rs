//! What the transport is told of a call, and what it answers when a call
//! has no answer it can use.

use std::time::Duration;

use reqwest::{Response, header};
use tokio::time::Instant;

/// What the answer to a call is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Expect {
    /// A JSON document, read whole into memory (up to the client's
    /// `max_body_bytes`).
    Json,
    /// A file (a log, an archive, a file of one), streamed, asked for
    /// uncompressed so that a resumed download's byte offsets are offsets of
    /// the file (see `ClientBuilder::compression`).
    File,
    /// No body (`204 No Content`).
    Nothing,
}

/// When a call must be over, and the limit it came from (for the error).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    pub(crate) at: Instant,
    pub(crate) limit: Duration,
}

impl Deadline {
    /// `limit` from now; `None` for a limit too long for the clock.
    pub(crate) fn after(limit: Duration) -> Option<Deadline> {
        Instant::now().checked_add(limit).map(|at| Deadline { at, limit })
    }
}

/// What the transport knows of the operation a request belongs to.
pub(crate) struct Call<'a> {
    /// The operation's name, for errors.
    pub(crate) operation: &'a str,
    pub(crate) expect: Expect,
    /// Whether sending the request again cannot do anything twice.
    pub(crate) idempotent: bool,
    /// Told a successful JSON answer's headers before its body is read.
    pub(crate) on_headers: Option<&'a (dyn Fn(&header::HeaderMap) + Send + Sync)>,
    /// When the whole call (attempts, redirects, backoffs, the body) must be
    /// over, if ever.
    pub(crate) deadline: Option<Deadline>,
}

/// Why a call has no answer it can use.
#[derive(Debug)]
pub(crate) enum Failure {
    /// No answer arrived, or the connection failed before its headers.
    Connection(reqwest::Error),
    /// An answer that cannot be what the call expects (HTML from a proxy, a
    /// body cut short or too large, a redirect not followed): the response
    /// rebuilt around what was read of it, with its `ApiError` attached.
    Unusable(Response),
    /// The call's deadline passed; the request had been sent.
    Deadline { operation: String, limit: Duration },
}

impl Failure {
    /// The failure as the error the generated calls return.
    pub(crate) fn into_error<E>(self) -> progenitor_client::Error<E> {
        match self {
            Failure::Connection(error) => progenitor_client::Error::CommunicationError(error),
            Failure::Unusable(response) => progenitor_client::Error::UnexpectedResponse(response),
            Failure::Deadline { operation, limit } => progenitor_client::Error::Custom(format!(
                "{operation}: no complete answer within the call's deadline of {limit:?} \
                 (ClientBuilder::deadline); the request was sent"
            )),
        }
    }
}

impl Call<'_> {
    /// The failure of this call's deadline.
    pub(crate) fn deadline_passed(&self) -> Failure {
        Failure::Deadline {
            operation: self.operation.to_owned(),
            limit: self.deadline.map_or(Duration::ZERO, |d| d.limit),
        }
    }
}
