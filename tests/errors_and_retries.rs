//! Retries that respect GitLab, and errors a user can act on: what is retried
//! and what never is, how long the client waits, and what every kind of bad
//! answer turns into.

mod common;

use std::time::{Duration, Instant};

use common::{loopback::*, *};
use gitlab_jobs::{Client, Error, ErrorExt, Problem, RetryPolicy};

const JOB: &str = "/api/v4/projects/1/jobs/2";

fn job_json() -> String {
    fixture("real/job_2021.json")
}

async fn get_job(client: &Client) -> Result<gitlab_jobs::ResponseValue<gitlab_jobs::types::Job>, Error> {
    client.get_job().id(1).job_id(2).send().await
}

fn assert_no_token(err: &Error) {
    for text in [format!("{err}"), format!("{err:?}"), format!("{err:#}"), err.describe()] {
        assert!(!text.contains(PRIVATE_TOKEN), "the token leaked: {text}");
    }
}

#[tokio::test]
async fn a_429_with_retry_after_is_waited_out() {
    let server = Loopback::script(vec![
        Reply::text(429, "Retry later\n").header("retry-after", "1").header("ratelimit-remaining", "0"),
        Reply::json(200, job_json()),
    ])
    .await;
    let client = client_for(&server.base_url);

    let started = Instant::now();
    let job = get_job(&client).await.unwrap();

    assert_eq!(job.id, 7);
    assert!(started.elapsed() >= Duration::from_secs(1), "waited only {:?}", started.elapsed());
    assert_eq!(server.seen().len(), 2);
    assert!(server.seen().iter().all(|s| s.path() == JOB));
}

#[tokio::test]
async fn a_429_without_retry_after_waits_for_the_rate_limit_reset() {
    // Two seconds ahead in whole seconds: at least one second from any instant now.
    let reset = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_secs() + 2;
    let server = Loopback::script(vec![
        Reply::text(429, "Retry later").header("ratelimit-reset", reset.to_string()),
        Reply::json(200, job_json()),
    ])
    .await;

    let started = Instant::now();
    get_job(&client_for(&server.base_url)).await.unwrap();

    assert!(started.elapsed() >= Duration::from_secs(1), "waited only {:?}", started.elapsed());
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn a_429_asking_for_longer_than_the_cap_is_returned_at_once_with_its_figures() {
    let server = Loopback::script(vec![
        Reply::text(429, "Retry later")
            .header("retry-after", "3600")
            .header("ratelimit-limit", "600")
            .header("ratelimit-remaining", "0")
            .header("ratelimit-reset", "1700003600"),
    ])
    .await;

    let started = Instant::now();
    let err = get_job(&client_for(&server.base_url)).await.unwrap_err();

    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(server.seen().len(), 1);
    assert_eq!(err.http_status().map(|s| s.as_u16()), Some(429));
    assert_eq!(err.gitlab_message(), Some("Retry later"));
    let limit = err.rate_limit().unwrap();
    assert_eq!(limit.retry_after, Some(Duration::from_secs(3600)));
    assert_eq!((limit.limit, limit.remaining, limit.reset_at), (Some(600), Some(0), Some(1_700_003_600)));
    assert!(err.describe().contains("429 Too Many Requests: Retry later (retry after 3600s)"), "{}", err.describe());
    assert_no_token(&err);
}

#[tokio::test]
async fn the_per_endpoint_limit_backs_off_and_then_reports_gitlabs_message() {
    let server = Loopback::script(vec![Reply::json(
        429,
        r#"{"message":{"error":"This endpoint has been requested too many times. Try again later."}}"#,
    )])
    .await;

    let err = client_for(&server.base_url).list_project_jobs().id(1).send().await.unwrap_err();

    assert_eq!(server.seen().len(), 4, "the default policy makes four attempts");
    assert_eq!(err.gitlab_message(), Some("This endpoint has been requested too many times. Try again later."));
}

#[tokio::test]
async fn a_503_on_get_is_retried() {
    let server = Loopback::script(vec![
        Reply::new(503, "text/html", "<html>maintenance</html>"),
        Reply::new(504, "text/html", "<html>gateway timeout</html>"),
        Reply::json(200, job_json()),
    ])
    .await;

    let job = get_job(&client_for(&server.base_url)).await.unwrap();

    assert_eq!(job.id, 7);
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn a_500_on_post_retry_is_not_retried() {
    let server = Loopback::script(vec![Reply::json(500, r#"{"message":"500 Internal Server Error"}"#)]).await;

    let err = client_for(&server.base_url).retry_job().id(1).job_id(2).send().await.unwrap_err();

    assert_eq!(server.seen().len(), 1);
    assert_eq!(server.seen()[0].method, "POST");
    assert_eq!(err.http_status().map(|s| s.as_u16()), Some(500));
    assert_eq!(err.gitlab_message(), Some("500 Internal Server Error"));
}

#[tokio::test]
async fn writing_requests_are_never_retried_even_on_503_or_429() {
    for reply in [Reply::text(503, "busy"), Reply::text(429, "Retry later").header("retry-after", "0")] {
        let server = Loopback::script(vec![reply, Reply::json(201, job_json())]).await;
        let client = client_for(&server.base_url);
        assert!(client.play_job().id(1).job_id(2).send().await.is_err());
        assert!(client.cancel_job().id(1).job_id(2).send().await.is_ok(), "the script moved on to its 201");
        assert_eq!(server.seen().len(), 2, "one request per call");
    }
}

#[tokio::test]
async fn a_connection_broken_midway_through_a_get_body_is_retried() {
    let body = job_json();
    let server = Loopback::script(vec![Reply::json(200, body.clone()).cut_after(100), Reply::json(200, body)]).await;

    let job = get_job(&client_for(&server.base_url)).await.unwrap();

    assert_eq!(job.id, 7);
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn a_connection_broken_midway_through_a_post_body_reports_the_status_and_the_lost_answer() {
    let server = Loopback::script(vec![Reply::json(201, job_json()).cut_after(100)]).await;

    let err = client_for(&server.base_url).erase_job().id(1).job_id(2).send().await.unwrap_err();

    assert_eq!(server.seen().len(), 1);
    assert_eq!(err.http_status().map(|s| s.as_u16()), Some(201));
    let api = err.api_error().unwrap();
    // GitLab erased the job: the write happened, its answer is what broke.
    assert!(matches!(api.problem, Problem::AnswerLost { received: 100, .. }), "{:?}", api.problem);
    assert!(err.describe().contains("answer was lost after 100 bytes"), "{}", err.describe());
    assert!(err.answer_lost());
    assert_no_token(&err);
}

#[tokio::test]
async fn retries_stop_after_the_configured_attempts() {
    let server = Loopback::script(vec![Reply::text(503, "busy")]).await;
    let client = Client::builder(&server.base_url)
        .private_token(PRIVATE_TOKEN)
        .retry(fast_retries().max_attempts(2))
        .build()
        .unwrap();

    let err = get_job(&client).await.unwrap_err();

    assert_eq!(server.seen().len(), 2);
    assert_eq!(err.http_status().map(|s| s.as_u16()), Some(503));
    assert_eq!(err.gitlab_message(), Some("busy"));
}

#[tokio::test]
async fn no_retry_sends_once() {
    let server = Loopback::script(vec![Reply::text(503, "busy"), Reply::json(200, job_json())]).await;
    let client = Client::builder(&server.base_url).no_retry().build().unwrap();

    assert!(get_job(&client).await.is_err());
    assert_eq!(server.seen().len(), 1);
    let _ = RetryPolicy::none();
}

#[tokio::test]
async fn an_html_502_from_a_proxy_says_status_content_type_and_snippet() {
    let page = "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>";
    let server = Loopback::script(vec![Reply::new(502, "text/html; charset=utf-8", page)]).await;

    let err = get_job(&client_for(&server.base_url)).await.unwrap_err();

    assert_eq!(server.seen().len(), 4, "a 502 on a GET is retried");
    assert_eq!(err.http_status().map(|s| s.as_u16()), Some(502));
    let api = err.api_error().unwrap();
    assert_eq!(api.content_type.as_deref(), Some("text/html; charset=utf-8"));
    assert!(api.snippet.contains("<title>502 Bad Gateway</title>"));
    let text = err.describe();
    assert!(text.contains("502 Bad Gateway (text/html; charset=utf-8): <!DOCTYPE html>"), "{text}");
    assert_no_token(&err);
}

#[tokio::test]
async fn a_200_that_is_not_json_is_an_error_with_its_status() {
    let server =
        Loopback::script(vec![Reply::new(200, "text/html", "<html><body>Sign in to continue</body></html>")]).await;

    let err = get_job(&client_for(&server.base_url)).await.unwrap_err();

    assert!(matches!(err, Error::UnexpectedResponse(_)), "{err:?}");
    assert_eq!(err.http_status().map(|s| s.as_u16()), Some(200));
    assert_eq!(err.api_error().unwrap().problem, Problem::NotJson);
    assert!(err.describe().contains("200 OK with text/html instead of JSON"), "{}", err.describe());
    assert!(err.describe().contains("Sign in to continue"), "{}", err.describe());
}

#[tokio::test]
async fn a_truncated_json_body_names_the_parse_error_and_shows_the_body() {
    let server = Loopback::script(vec![Reply::json(200, r#"{"id": 7, "name": "rspec"#)]).await;

    let err = get_job(&client_for(&server.base_url)).await.unwrap_err();

    assert!(matches!(err, Error::InvalidResponsePayload(..)), "{err:?}");
    let text = err.describe();
    assert!(text.contains("not the JSON the spec describes") && text.contains("EOF"), "{text}");
    assert!(text.contains(r#"{"id": 7, "name": "rspec"#), "{text}");
}

#[tokio::test]
async fn gitlab_refusals_carry_their_message() {
    let server = Loopback::start(|seen| match seen.path() {
        "/api/v4/projects/1/jobs/2/retry" => Reply::json(403, r#"{"message":"403 Forbidden - Job is not retryable"}"#),
        "/api/v4/projects/1/jobs/2/play" => Reply::json(400, r#"{"message":"400 Bad request - Unplayable Job"}"#),
        "/api/v4/job" => Reply::json(401, r#"{"error":"invalid_token","error_description":"Token is expired."}"#),
        _ => Reply::json(404, r#"{"message":"404 Job Not Found"}"#),
    })
    .await;
    let client = client_for(&server.base_url);

    let err = client.retry_job().id(1).job_id(2).send().await.unwrap_err();
    assert_eq!(err.gitlab_message(), Some("403 Forbidden - Job is not retryable"));
    let err = client.play_job().id(1).job_id(2).send().await.unwrap_err();
    assert_eq!(err.gitlab_message(), Some("400 Bad request - Unplayable Job"));
    let err = client.get_current_job().send().await.unwrap_err();
    assert_eq!(err.gitlab_message(), Some("invalid_token: Token is expired."));
    let err = get_job(&client).await.unwrap_err();
    assert_eq!(err.http_status().map(|s| s.as_u16()), Some(404));
    assert_eq!(err.gitlab_message(), Some("404 Job Not Found"));
    assert!(err.describe().ends_with("GitLab answered 404 Not Found: 404 Job Not Found"), "{}", err.describe());
    assert_no_token(&err);
}

#[tokio::test]
async fn the_keyset_refusal_of_an_unsupported_request_is_readable() {
    let server = Loopback::script(vec![Reply::json(
        405,
        r#"{"error":"Keyset pagination is not yet available for this type of request"}"#,
    )])
    .await;

    let err = client_for(&server.base_url).list_project_jobs().id(1).send().await.unwrap_err();

    assert_eq!(err.http_status().map(|s| s.as_u16()), Some(405));
    assert_eq!(err.gitlab_message(), Some("Keyset pagination is not yet available for this type of request"));
}

#[tokio::test]
async fn an_unreachable_server_is_retried_then_reported_without_the_token() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", closed.local_addr().unwrap());
    drop(closed);

    let err = get_job(&client_for(&url)).await.unwrap_err();

    assert!(err.describe().starts_with("could not talk to GitLab"), "{}", err.describe());
    assert_eq!(err.http_status(), None);
    assert_no_token(&err);
}
