//! The transport: everything about sending one HTTP request and reading its
//! answer, and nothing about which operations exist.
//!
//! [`send`] takes a request and a [`Call`], the little it needs to know of
//! the operation: whether the answer is JSON or a file, whether the request
//! may be sent again, and who wants to see the headers early. It puts the
//! credential on the request (`credential.rs`), follows redirects
//! (`redirect.rs`), retries through throttling and gateway errors
//! (`retry.rs`), reads JSON and error bodies within limits (`body.rs`) and
//! says what went wrong in the crate's terms (`call.rs`); `exchange.rs` runs
//! one call through all of it, within the call's deadline.
//!
//! Nothing here imports a feature module, the operation table or the hooks:
//! they call down into this, never the other way.

mod body;
mod call;
pub(crate) mod credential;
mod exchange;
mod redirect;
pub(crate) mod retry;
mod settings;

pub(crate) use body::{answer_error, rebuild, refused};
pub(crate) use call::{Call, Deadline, Expect, Failure};
pub(crate) use exchange::send;
pub use settings::{DEFAULT_DEADLINE, DEFAULT_MAX_BODY_BYTES};
pub(crate) use settings::{MAX_REDIRECTS, Settings};
