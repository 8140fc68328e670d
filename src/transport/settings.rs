//! How a client sends its requests: the part of its state that the
//! transport reads on every call.

use super::{credential::Credential, retry::RetryPolicy};

/// How a client's requests are sent; part of its state.
#[derive(Clone, Debug)]
pub(crate) struct Settings {
    pub(crate) credential: Option<Credential>,
    pub(crate) max_redirects: usize,
    pub(crate) retry: RetryPolicy,
}
