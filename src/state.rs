//! What a [`Client`](crate::Client) carries besides its HTTP client: how
//! requests are sent (the transport's settings: credential, redirects,
//! retries) and what it learned about its server's routes. progenitor puts
//! it in the generated client (`with_inner_type` in build.rs).

use std::sync::Arc;

use crate::{operations::compat::KnownRoutes, transport::Settings};

/// The state of a [`Client`](crate::Client): its credential, retry and
/// redirect policies. Made by [`ClientBuilder`](crate::ClientBuilder);
/// opaque to users.
#[derive(Clone, Debug)]
pub struct ClientState {
    pub(crate) transport: Settings,
    /// What the client learned about its server's routes (shared by clones).
    pub(crate) routes: Arc<KnownRoutes>,
}

impl ClientState {
    pub(crate) fn new(transport: Settings) -> ClientState {
        ClientState { transport, routes: Arc::default() }
    }
}
