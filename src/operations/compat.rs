//! Adaptations to older servers, applied where the request is sent so that
//! the generated operation works on every GitLab from 12.0 on. The table
//! (`mod.rs`) says which operation needs which.
//!
//! - [`Adaptation::BridgesFallback`]: GitLab 19.2 added
//!   `.../trigger_jobs` and deprecated `.../bridges`, which runs the same
//!   handler. An older server answers the new route with its catch-all 404
//!   (`{"error":"404 Not Found"}` from `lib/api/api.rb`), which no known
//!   route sends: a missing project or pipeline is `{"message":"404 … Not
//!   Found"}`. On that answer the request goes to `.../bridges` instead, and
//!   the client remembers it.
//! - [`Adaptation::RefFilter`]: servers before GitLab 18.7 ignore the `ref`
//!   filter of the project jobs list without a sign and return every job, so
//!   the jobs of other refs are dropped from the page here. A page that
//!   loses jobs this way carries [`RECEIVED`], how many the server sent, so
//!   a stream does not take a page emptied by the filter for the end of the
//!   list.

use std::{
    borrow::Cow,
    sync::atomic::{AtomicBool, Ordering},
};

use bytes::{Bytes, BytesMut};
use reqwest::{Request, Response, header::HeaderValue};
use serde::Deserialize;
use serde_json::value::RawValue;

use crate::{
    error::ApiError,
    transport::{self, Call, Failure, Settings, rebuild},
};

/// Set on a page from which jobs of other refs were dropped: how many jobs
/// the server sent.
pub(crate) const RECEIVED: &str = "x-gitlab-jobs-received";

/// Which adaptation an operation's requests get.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Adaptation {
    /// Sent as they are.
    None,
    /// `.../trigger_jobs`, falling back to `.../bridges`.
    BridgesFallback,
    /// The project jobs list, with jobs of other refs dropped.
    RefFilter,
}

/// What a client learned about its server (shared by its clones).
#[derive(Debug, Default)]
pub(crate) struct KnownRoutes {
    /// The server answered `.../trigger_jobs` as an unknown route.
    lacks_trigger_jobs: AtomicBool,
}

/// Sends `request` through the transport with the row's adaptation.
pub(crate) async fn send(
    adaptation: Adaptation,
    http: &reqwest::Client,
    settings: &Settings,
    routes: &KnownRoutes,
    request: Request,
    call: &Call<'_>,
) -> Result<Response, Failure> {
    match adaptation {
        Adaptation::None => transport::send(http, settings, request, call).await,
        Adaptation::BridgesFallback => send_trigger_jobs(http, settings, routes, request, call).await,
        Adaptation::RefFilter => match wanted_ref(&request) {
            Some(wanted) => keep_ref(transport::send(http, settings, request, call).await?, &wanted).await,
            None => transport::send(http, settings, request, call).await,
        },
    }
}

async fn send_trigger_jobs(
    http: &reqwest::Client,
    settings: &Settings,
    routes: &KnownRoutes,
    request: Request,
    call: &Call<'_>,
) -> Result<Response, Failure> {
    if routes.lacks_trigger_jobs.load(Ordering::Relaxed) {
        return transport::send(http, settings, to_bridges(request), call).await;
    }
    // A GET without a body: it can always be copied.
    let fallback = request.try_clone().map(to_bridges);
    let response = transport::send(http, settings, request, call).await?;
    match fallback {
        Some(fallback) if is_unknown_route(&response) => {
            routes.lacks_trigger_jobs.store(true, Ordering::Relaxed);
            transport::send(http, settings, fallback, call).await
        }
        _ => Ok(response),
    }
}

/// `…/pipelines/6/trigger_jobs?…` → `…/pipelines/6/bridges?…`.
fn to_bridges(mut request: Request) -> Request {
    if let Ok(mut segments) = request.url_mut().path_segments_mut() {
        segments.pop().push("bridges");
    }
    request
}

/// GitLab's answer to a route it does not have (`ApiError::is_unknown_route`).
fn is_unknown_route(response: &Response) -> bool {
    response.extensions().get::<ApiError>().is_some_and(ApiError::is_unknown_route)
}

/// The `ref` a request asks for, if any.
fn wanted_ref(request: &Request) -> Option<String> {
    request.url().query_pairs().find(|(key, _)| key == "ref").map(|(_, value)| value.into_owned())
}

/// Only the `ref` of a job, read without building the rest.
#[derive(Deserialize)]
struct RefOf<'a> {
    #[serde(rename = "ref", borrow, default)]
    value: Option<Cow<'a, str>>,
}

/// The page with the jobs of other refs dropped. A body that is not a JSON
/// array of jobs is left as it is, for the generated code to report.
async fn keep_ref(response: Response, wanted: &str) -> Result<Response, Failure> {
    if !response.status().is_success() {
        return Ok(response);
    }
    let (status, headers, url) = (response.status(), response.headers().clone(), response.url().clone());
    // The transport has read a JSON body into memory already: this does not wait.
    let body = response.bytes().await.map_err(Failure::Connection)?;
    let Some((kept, received)) = filter_by_ref(&body, wanted) else {
        return Ok(rebuild(status, &headers, &url, body, None));
    };
    let mut response = rebuild(status, &headers, &url, kept, None);
    response.headers_mut().insert(RECEIVED, HeaderValue::from(received));
    Ok(response)
}

/// The jobs of `body` whose `ref` is `wanted`, and how many jobs there were;
/// `None` when every job matches or the body is not an array of jobs.
fn filter_by_ref(body: &[u8], wanted: &str) -> Option<(Bytes, usize)> {
    let refs: Vec<RefOf<'_>> = serde_json::from_slice(body).ok()?;
    if refs.iter().all(|job| job.value.as_deref() == Some(wanted)) {
        return None;
    }
    let raw: Vec<&RawValue> = serde_json::from_slice(body).ok()?;
    let mut kept = BytesMut::with_capacity(body.len());
    kept.extend_from_slice(b"[");
    let matching = refs.iter().zip(&raw).filter(|(job, _)| job.value.as_deref() == Some(wanted));
    for (_, text) in matching {
        if kept.len() > 1 {
            kept.extend_from_slice(b",");
        }
        kept.extend_from_slice(text.get().as_bytes());
    }
    kept.extend_from_slice(b"]");
    Some((kept.freeze(), refs.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_of_other_refs_are_dropped_and_the_rest_kept_byte_for_byte() {
        let body = br#"[{"id":3,"ref":"main","x":{"a":[1]}},{"id":2,"ref":"dev"},{"id":1,"ref":"main"}]"#;
        let (kept, received) = filter_by_ref(body, "main").unwrap();
        assert_eq!(&kept[..], br#"[{"id":3,"ref":"main","x":{"a":[1]}},{"id":1,"ref":"main"}]"#);
        assert_eq!(received, 3);
        assert_eq!(filter_by_ref(br#"[{"ref":"main"}]"#, "main"), None, "nothing to drop");
        assert_eq!(filter_by_ref(b"<html>", "main"), None, "not JSON: left to the generated code");
        let (kept, received) = filter_by_ref(br#"[{"ref":"dev"}]"#, "main").unwrap();
        assert_eq!((&kept[..], received), (&b"[]"[..], 1));
    }
}
