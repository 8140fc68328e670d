//! Redirects, followed without leaking a credential to another origin.
//!
//! GitLab answers some requests (an archived job log kept in object storage, an
//! instance moved behind a new host name) with a redirect. reqwest would follow
//! it but keep custom headers such as `PRIVATE-TOKEN` and `JOB-TOKEN` even when
//! the next hop is another host, so the client turns reqwest's redirects off and
//! follows them here, sending the token only to the origin it was meant for.

use reqwest::{Method, Request, Response, StatusCode, Url, header};

use super::{credential::Credential, settings::Settings};

/// Sends `request`, following up to `settings.max_redirects` redirects the way
/// a browser would, and removes credentials from any hop whose origin differs
/// from the first.
pub(crate) async fn follow(
    http: &reqwest::Client,
    mut request: Request,
    settings: &Settings,
) -> reqwest::Result<Response> {
    let max = settings.max_redirects;
    let origin = request.url().origin();
    let mut hops = 0;
    loop {
        // A request with a streaming body cannot be replayed, and the last hop
        // allowed is not followed: either way the redirect itself is returned.
        let replay = if hops < max { request.try_clone() } else { None };
        let response = http.execute(request).await?;
        let Some((next_url, next)) = redirect_target(&response, replay) else {
            return Ok(response);
        };
        hops += 1;
        request = next;
        *request.url_mut() = next_url;
        if request.url().origin() != origin {
            Credential::strip(settings.credential.as_ref(), request.headers_mut());
        }
    }
}

/// The request to send next when `response` is a redirect we can follow.
fn redirect_target(response: &Response, replay: Option<Request>) -> Option<(Url, Request)> {
    let status = response.status();
    if !status.is_redirection() {
        return None;
    }
    let location = response.headers().get(header::LOCATION)?.to_str().ok()?;
    let next_url = response.url().join(location).ok()?;
    if !matches!(next_url.scheme(), "http" | "https") {
        return None;
    }
    let mut next = replay?;
    match status {
        StatusCode::MOVED_PERMANENTLY | StatusCode::FOUND | StatusCode::SEE_OTHER => {
            // As browsers do, anything but HEAD becomes a GET without a body.
            if next.method() != Method::HEAD {
                *next.method_mut() = Method::GET;
                *next.body_mut() = None;
                next.headers_mut().remove(header::CONTENT_TYPE);
                next.headers_mut().remove(header::CONTENT_LENGTH);
            }
        }
        StatusCode::TEMPORARY_REDIRECT | StatusCode::PERMANENT_REDIRECT => {}
        _ => return None,
    }
    Some((next_url, next))
}
