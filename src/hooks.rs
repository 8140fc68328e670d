//! The generated client's hooks: the thin top layer that connects
//! progenitor's generated `send()` to the operation table (`operations/`) and
//! the transport (`transport/`), and nothing else.
//!
//! `pre` checks and shapes the request as its row says; `exec` sends it
//! through the row's adaptation and the transport, and hands a stream's page
//! body to the stream (`page_channel.rs`); `post` turns an answer the call
//! cannot use into the error the generated code returns.
//!
//! progenitor's `exec` can only return a response or a reqwest error, so an
//! answer that cannot be what the spec promises (HTML from a proxy, a body
//! cut short or too large) is "diverted": `exec` hands on an empty stand-in
//! carrying the failure, and `post` returns it as the error. A JSON body
//! that will not parse as the operation's type is diverted too, so that the
//! error carries an excerpt of it (`MAX_PAYLOAD_EXCERPT`) rather than the
//! whole body, which progenitor's `Display` would print.

use std::sync::{Arc, Mutex};

use bytes::Bytes;
use progenitor_client::{ClientHooks, ClientInfo, OperationInfo};
use reqwest::{Request, Response, StatusCode};

use crate::{
    Client, ClientState,
    error::{MAX_PAYLOAD_EXCERPT, payload_excerpt},
    operations::{self, Answer, compat},
    page_channel::{self, PageCall},
    transport::{Failure, rebuild},
};

impl ClientHooks<ClientState> for Client {
    async fn pre<E>(&self, request: &mut Request, info: &OperationInfo) -> Result<(), progenitor_client::Error<E>> {
        let row = operations::operation(info.operation_id);
        row.prepare(request.url_mut()).map_err(progenitor_client::Error::InvalidRequest)?;
        // progenitor sends the spec's version as `api-version`, a header
        // GitLab does not define: only headers GitLab reads are sent.
        request.headers_mut().remove("api-version");
        if let Some(page) = page_channel::current() {
            let url = request.url_mut();
            if !url.query_pairs().any(|(k, _)| k == "per_page") {
                url.query_pairs_mut().append_pair("per_page", &page.per_page().to_string());
            }
        }
        Ok(())
    }

    async fn exec(&self, request: Request, info: &OperationInfo) -> reqwest::Result<Response> {
        let row = operations::operation(info.operation_id);
        let page = page_channel::current();
        let state = &self.inner;
        let call = row.call(&state.transport, page.as_deref().map(PageCall::on_headers));
        let sent = compat::send(row.adaptation, self.client(), &state.transport, &state.routes, request, &call).await;
        match sent {
            Ok(response) => match (page, row.answer) {
                // A stream parses its pages itself (and bounds its errors).
                (Some(page), _) => hand_over(&page, response).await,
                (None, Answer::Json(check)) => checked(response, check).await,
                (None, _) => Ok(response),
            },
            Err(Failure::Connection(error)) => Err(error),
            Err(failure) => Ok(divert(Diversion::Failure(failure))),
        }
    }

    /// Returns what `exec` took aside as the call's error (see `Diverted`).
    async fn post<E>(
        &self,
        result: &reqwest::Result<Response>,
        _info: &OperationInfo,
    ) -> Result<(), progenitor_client::Error<E>> {
        let diverted = result.as_ref().ok().and_then(|r| r.extensions().get::<Diverted>());
        match diverted.and_then(|d| d.0.lock().ok()?.take()) {
            Some(Diversion::Failure(failure)) => Err(failure.into_error()),
            Some(Diversion::Payload(excerpt, error)) => {
                Err(progenitor_client::Error::InvalidResponsePayload(excerpt, error))
            }
            None => Ok(()),
        }
    }
}

/// What `exec` takes aside for `post`.
enum Diversion {
    Failure(Failure),
    /// A body that does not parse, as an excerpt, and why.
    Payload(Bytes, serde_json::Error),
}

/// A diversion, carried on an empty stand-in from `exec` to `post`.
#[derive(Clone)]
struct Diverted(Arc<Mutex<Option<Diversion>>>);

fn divert(diversion: Diversion) -> Response {
    let mut stand_in = http::Response::new(Bytes::new());
    stand_in.extensions_mut().insert(Diverted(Arc::new(Mutex::new(Some(diversion)))));
    Response::from(stand_in)
}

/// A successful JSON answer whose body will not parse as the operation's
/// type is taken aside with an excerpt of its body. A body no longer than
/// the excerpt is left to the generated parse: its error is short anyway,
/// and most bodies are parsed once.
async fn checked(response: Response, check: operations::Check) -> reqwest::Result<Response> {
    if !response.status().is_success() || response.content_length().is_some_and(|n| n as usize <= MAX_PAYLOAD_EXCERPT) {
        return Ok(response);
    }
    let (status, headers, url) = (response.status(), response.headers().clone(), response.url().clone());
    // The transport has read a JSON body into memory already: this does not wait.
    let body = response.bytes().await?;
    match check(&body) {
        Ok(()) => Ok(rebuild(status, &headers, &url, body, None)),
        Err(error) => Ok(divert(Diversion::Payload(payload_excerpt(&body, &error), error))),
    }
}

/// What the generated code parses in place of a body handed to the stream.
const HANDED_OVER: &[u8] = b"[]";

/// Takes the JSON body of a stream's page answer for the stream to parse,
/// leaving an empty list for the generated code. Only a `200 OK`, the one
/// status the generated list operations read as a page, is handed over.
async fn hand_over(page: &PageCall, response: Response) -> reqwest::Result<Response> {
    if response.status() != StatusCode::OK {
        return Ok(response);
    }
    let (status, headers, url) = (response.status(), response.headers().clone(), response.url().clone());
    // The transport has read a JSON body into memory already: this does not wait.
    let body = response.bytes().await?;
    match page.keep_body(body, url.clone()) {
        Ok(()) => Ok(rebuild(status, &headers, &url, Bytes::from_static(HANDED_OVER), None)),
        Err(body) => Ok(rebuild(status, &headers, &url, body, None)),
    }
}
