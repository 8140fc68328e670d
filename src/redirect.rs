//! Redirects, followed without leaking a credential to another origin.
//!
//! GitLab answers some requests (an archived job log kept in object storage, an
//! instance moved behind a new host name) with a redirect. reqwest would follow
//! it but keep custom headers such as `PRIVATE-TOKEN` and `JOB-TOKEN` even when
//! the next hop is another host, so the client turns reqwest's redirects off and
//! follows them here, sending the token only to the origin it was meant for.

use reqwest::{Method, Request, Response, StatusCode, Url, header};

use crate::{ClientState, TokenKind};

/// Sends `request`, following up to `max` redirects the way a browser would,
/// and removes credentials from any hop whose origin differs from the first.
pub(crate) async fn follow_redirects(
    http: &reqwest::Client,
    mut request: Request,
    state: &ClientState,
) -> reqwest::Result<Response> {
    let max = state.max_redirects;
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
            strip_credentials(request.headers_mut());
            // The client's own credential header, whatever its kind.
            if let Some(credential) = &state.credential {
                request.headers_mut().remove(credential.header().0);
            }
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

/// Removes every header that may carry a GitLab credential: each token kind's
/// header (from [`TokenKind`] itself, so a new kind cannot be forgotten here)
/// and cookies.
fn strip_credentials(headers: &mut header::HeaderMap) {
    for kind in TokenKind::ALL {
        headers.remove(kind.header());
    }
    headers.remove(header::COOKIE);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_token_kind_header_is_stripped() {
        let mut headers = header::HeaderMap::new();
        for kind in TokenKind::ALL {
            headers.insert(kind.header(), header::HeaderValue::from_static("secret"));
        }
        headers.insert(header::COOKIE, header::HeaderValue::from_static("_gitlab_session=1"));
        headers.insert(header::ACCEPT, header::HeaderValue::from_static("*/*"));
        strip_credentials(&mut headers);
        assert_eq!(headers.keys().collect::<Vec<_>>(), [header::ACCEPT]);
    }
}
