//! Redirects, followed as browsers and curl follow them, stricter where a
//! credential or a request body is at stake.
//!
//! GitLab answers some requests (an archive kept in object storage, an
//! instance moved behind a new host name) with a redirect. reqwest would
//! follow it but keep custom headers such as `PRIVATE-TOKEN` and `JOB-TOKEN`
//! even when the next hop is another host, so the client turns reqwest's
//! redirects off and follows them here:
//!
//! - The credential is sent only to the origin it was meant for: every token
//!   header and cookie is removed when a hop leaves the first origin.
//! - A write (anything but `GET` and `HEAD`) is never sent to another origin:
//!   its body may hold job variables, which are often secrets, and a `play`
//!   answered there would be another server's job. Nor does a write become a
//!   `GET` behind the caller's back (what `301` and `302` do in browsers): the
//!   write was not carried out, and its answer would be a read's. A `303`
//!   on the same origin is followed with a `GET`, as it asks; `307` and `308`
//!   on the same origin repeat the write there.
//! - `https` never leads to `http`: the answer would travel in plain text.
//! - At most [`MAX_REDIRECTS`](super::settings::MAX_REDIRECTS) in a row; more
//!   is an error that lists the chain.

use reqwest::{Method, Request, Response, StatusCode, Url, header};

use super::{
    body::refused,
    call::{Call, Failure},
    credential::Credential,
    settings::Settings,
};
use crate::error::Problem;

/// Sends `request` and follows its redirects as the module says; the last
/// answer, or why the chain was not followed.
pub(crate) async fn follow(
    http: &reqwest::Client,
    mut request: Request,
    settings: &Settings,
    call: &Call<'_>,
) -> Result<Response, Failure> {
    let first = request.url().clone();
    let mut write = !matches!(*request.method(), Method::GET | Method::HEAD);
    let mut chain = vec![settings.shown_url(&first).to_string()];
    loop {
        // A request with a streaming body cannot be replayed: its redirect is
        // returned as it is.
        let replay = request.try_clone();
        let sent = http.execute(request);
        let response = match call.deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline.at, sent).await {
                Ok(response) => response,
                Err(_) => return Err(call.deadline_passed()),
            },
            None => sent.await,
        }
        .map_err(|error| Failure::Connection(settings.shown_error(error)))?;
        let status = response.status();
        let Some(next_url) = target(&response) else { return Ok(response) };
        let Some(mut next) = replay else { return Ok(response) };
        let to = settings.shown_url(&next_url);
        match decide(write, &first, response.url(), status, &next_url) {
            Hop::Same => {}
            Hop::Get => {
                become_get(&mut next);
                // A write a `303` turned into a read is a read from here on.
                write = next.method() != Method::GET && next.method() != Method::HEAD;
            }
            Hop::Stop => return Ok(response),
            Hop::Refuse(reason) => {
                let problem = Problem::RedirectRefused { to: to.to_string(), reason };
                return Err(Failure::Unusable(refused(response, problem, settings)));
            }
        }
        chain.push(to.to_string());
        if chain.len() > settings.max_redirects + 1 {
            let problem = Problem::TooManyRedirects { chain };
            return Err(Failure::Unusable(refused(response, problem, settings)));
        }
        *next.url_mut() = next_url;
        if next.url().origin() != first.origin() {
            Credential::strip(settings.credential.as_ref(), next.headers_mut());
        }
        request = next;
    }
}

/// What to do with one redirect.
#[derive(Debug, PartialEq)]
enum Hop {
    /// Follow it with the same method and body.
    Same,
    /// Follow it with a `GET` without a body.
    Get,
    /// Do not follow it: hand the redirect itself on.
    Stop,
    /// Do not follow it, for this reason.
    Refuse(String),
}

/// The rules of the module for a redirect of `status` from `from` to `to`,
/// for a request (a write or not) first sent to `first`.
fn decide(write: bool, first: &Url, from: &Url, status: StatusCode, to: &Url) -> Hop {
    if from.scheme() == "https" && to.scheme() == "http" {
        return Hop::Refuse("it leads from https to plain http".into());
    }
    if write && to.origin() != first.origin() {
        return Hop::Refuse(format!(
            "a write is never sent to another origin; nothing was sent to {}",
            to.origin().ascii_serialization()
        ));
    }
    match status {
        StatusCode::SEE_OTHER => Hop::Get,
        StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND if write => Hop::Refuse(format!(
            "a write answered {} would become a GET there, so it was not carried out; point the client at the new address",
            status.as_u16()
        )),
        StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND => Hop::Get,
        StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT => Hop::Same,
        _ => Hop::Stop,
    }
}

/// Where a redirect points, if `response` is one that can be followed: a
/// `Location` that resolves to an `http` or `https` URL.
fn target(response: &Response) -> Option<Url> {
    if !response.status().is_redirection() {
        return None;
    }
    let location = response.headers().get(header::LOCATION)?.to_str().ok()?;
    let next = response.url().join(location).ok()?;
    matches!(next.scheme(), "http" | "https").then_some(next)
}

/// A `GET` without a body in place of the request (`HEAD` stays `HEAD`).
fn become_get(request: &mut Request) {
    if request.method() != Method::HEAD {
        *request.method_mut() = Method::GET;
        *request.body_mut() = None;
        request.headers_mut().remove(header::CONTENT_TYPE);
        request.headers_mut().remove(header::CONTENT_LENGTH);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> Url {
        Url::parse(text).unwrap()
    }

    #[test]
    fn reads_follow_every_redirect_writes_only_on_their_origin_and_never_to_http() {
        let api = url("https://gitlab.example.com/api/v4/projects/1/jobs/2/play");
        let same = url("https://gitlab.example.com/api/v4/projects/1/jobs/2/play2");
        let other = url("https://storage.example.net/bucket/a.zip?X-Amz-Signature=s");
        let plain = url("http://gitlab.example.com/api/v4/projects/1/jobs/2/play");
        for status in [301, 302, 303, 307, 308].map(|s| StatusCode::from_u16(s).unwrap()) {
            assert!(matches!(decide(true, &api, &api, status, &other), Hop::Refuse(r) if r.contains("another origin")));
            assert!(matches!(decide(false, &api, &api, status, &plain), Hop::Refuse(r) if r.contains("plain http")));
            assert!(matches!(decide(true, &api, &api, status, &plain), Hop::Refuse(_)));
            assert_ne!(decide(false, &api, &api, status, &other), Hop::Stop, "{status}: a read follows");
        }
        let status = |s: u16| StatusCode::from_u16(s).unwrap();
        assert!(matches!(decide(true, &api, &api, status(302), &same), Hop::Refuse(r) if r.contains("become a GET")));
        assert_eq!(decide(true, &api, &api, status(303), &same), Hop::Get);
        assert_eq!(decide(true, &api, &api, status(307), &same), Hop::Same);
        assert_eq!(decide(false, &api, &api, status(302), &other), Hop::Get);
        assert_eq!(decide(false, &api, &api, status(308), &other), Hop::Same);
        assert_eq!(decide(false, &api, &api, status(304), &other), Hop::Stop);
        // http to https is an upgrade, and fine.
        assert_eq!(decide(false, &plain, &plain, status(301), &api), Hop::Get);
    }
}
