//! The hand-written client layer over the wire: which header each token kind
//! uses, where the token is (not) sent on redirects, and what errors reveal.

mod common;

use common::*;
use gitlab_jobs::{Client, TokenKind};
use httpmock::prelude::*;

async fn serve_job<'a>(server: &'a MockServer, header: &'static str, value: &'static str) -> httpmock::Mock<'a> {
    let body = fixture("real/job_newest.json");
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v4/projects/1/jobs/2").header(header, value);
            json_response(then, 200, &body);
        })
        .await
}

#[tokio::test]
async fn each_token_kind_travels_in_its_own_header() {
    let server = MockServer::start_async().await;
    let private = serve_job(&server, "private-token", PRIVATE_TOKEN).await;
    let job = serve_job(&server, "job-token", JOB_TOKEN).await;
    let oauth = serve_job(&server, "authorization", "Bearer oauth-test-token").await;

    for client in [
        Client::builder(server.base_url()).private_token(PRIVATE_TOKEN).build().unwrap(),
        Client::builder(server.base_url()).job_token(JOB_TOKEN).build().unwrap(),
        Client::builder(server.base_url()).oauth_token(OAUTH_TOKEN).build().unwrap(),
    ] {
        client.get_job().id(1).job_id(2).send().await.unwrap();
    }

    private.assert_async().await;
    job.assert_async().await;
    oauth.assert_async().await;
}

#[tokio::test]
async fn a_client_without_token_sends_no_credential_and_names_itself() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v4/projects/1/jobs/2")
                .header_missing("private-token")
                .header_missing("job-token")
                .header_missing("authorization")
                .header("user-agent", concat!("gitlab-jobs/", env!("CARGO_PKG_VERSION")));
            json_response(then, 200, &fixture("real/job_2021.json"));
        })
        .await;
    let client = Client::builder(server.base_url()).build().unwrap();
    assert_eq!(client.token_kind(), None);

    client.get_job().id(1).job_id(2).send().await.unwrap();

    mock.assert_async().await;
}

#[tokio::test]
async fn the_user_agent_can_be_set() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.path("/api/v4/job").header("user-agent", "flaky-retry-bot/2.1");
            json_response(then, 200, &fixture("real/job_2021.json"));
        })
        .await;
    let client =
        Client::builder(server.base_url()).job_token(JOB_TOKEN).user_agent("flaky-retry-bot/2.1").build().unwrap();
    assert_eq!(client.token_kind(), Some(TokenKind::Job));

    client.get_current_job().send().await.unwrap();

    mock.assert_async().await;
}

#[tokio::test]
async fn a_redirect_to_another_host_does_not_carry_the_token() {
    let gitlab = MockServer::start_async().await;
    let storage = MockServer::start_async().await;
    let log = "archived log from object storage\n";
    let signed_url = storage.url("/bucket/8.log?X-Amz-Signature=abc");
    let redirect = gitlab
        .mock_async(|when, then| {
            when.method(GET).path("/api/v4/projects/1/jobs/8/trace").header("private-token", PRIVATE_TOKEN);
            then.status(302).header("location", signed_url.as_str());
        })
        .await;
    let download = storage
        .mock_async(|when, then| {
            when.method(GET)
                .path("/bucket/8.log")
                .query_param("X-Amz-Signature", "abc")
                .header_missing("private-token")
                .header_missing("job-token")
                .header_missing("authorization");
            then.status(200).header("content-type", "text/plain").body(log);
        })
        .await;

    let response = client(&gitlab).get_job_trace().id(1).job_id(8).send().await.unwrap();
    let bytes = collect(response).await;

    redirect.assert_async().await;
    download.assert_async().await;
    assert_eq!(bytes, log.as_bytes());
}

#[tokio::test]
async fn a_redirect_within_the_instance_keeps_the_token() {
    let gitlab = MockServer::start_async().await;
    let redirect = gitlab
        .mock_async(|when, then| {
            when.method(GET).path("/api/v4/projects/old%2Fname/jobs/8/trace");
            then.status(301).header("location", "/api/v4/projects/new%2Fname/jobs/8/trace");
        })
        .await;
    let moved = gitlab
        .mock_async(|when, then| {
            when.method(GET).path("/api/v4/projects/new%2Fname/jobs/8/trace").header("private-token", PRIVATE_TOKEN);
            then.status(200).header("content-type", "text/plain").body("ok\n");
        })
        .await;

    let response = client(&gitlab).get_job_trace().id("old/name").job_id(8).send().await.unwrap();

    assert_eq!(collect(response).await, b"ok\n");
    redirect.assert_async().await;
    moved.assert_async().await;
}

#[tokio::test]
async fn endless_redirects_stop_with_the_redirect_as_an_unexpected_response() {
    let gitlab = MockServer::start_async().await;
    let mock = gitlab
        .mock_async(|when, then| {
            when.path("/api/v4/projects/1/jobs/8");
            then.status(302).header("location", "/api/v4/projects/1/jobs/8");
        })
        .await;

    let err = client(&gitlab).get_job().id(1).job_id(8).send().await.unwrap_err();

    assert_eq!(err.status().map(|s| s.as_u16()), Some(302));
    mock.assert_calls_async(11).await;
}

#[tokio::test]
async fn errors_carry_the_status_and_never_the_token() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/api/v4/projects/1/jobs/404");
            json_response(then, 404, r#"{"message":"404 Job Not Found"}"#);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/api/v4/projects/1/jobs/502");
            then.status(502).header("content-type", "text/html").body("<html><h1>502 Bad Gateway</h1></html>");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/api/v4/projects/1/jobs/200");
            json_response(then, 200, r#"{"id": 1, "name": "trunc"#);
        })
        .await;
    let client = client(&server);

    for (job_id, status) in [(404, Some(404)), (502, Some(502)), (200, None)] {
        let err = client.get_job().id(1).job_id(job_id).send().await.unwrap_err();
        assert_eq!(err.status().map(|s| s.as_u16()), status, "{err}");
        for text in [format!("{err}"), format!("{err:?}"), format!("{err:#}")] {
            assert!(!text.contains(PRIVATE_TOKEN), "the token leaked: {text}");
        }
    }
    let unreachable = client_for("http://127.0.0.1:9");
    let err = unreachable.get_job().id(1).job_id(1).send().await.unwrap_err();
    assert!(!format!("{err:?}{err:#}").contains(PRIVATE_TOKEN));
}

async fn collect(response: gitlab_jobs::ResponseValue<gitlab_jobs::ByteStream>) -> Vec<u8> {
    use futures::TryStreamExt;
    let chunks: Vec<bytes::Bytes> = response.into_inner().into_inner().try_collect().await.unwrap();
    chunks.concat()
}

/// Without a TLS backend reqwest refuses https URLs before connecting ("scheme
/// is not http"); with one, a closed local port fails at the connection.
#[tokio::test]
async fn https_is_supported_by_the_default_build() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let client = Client::builder(format!("https://127.0.0.1:{port}")).no_retry().build().unwrap();

    let err = client.get_current_job().send().await.unwrap_err();

    let text = format!("{err:#}");
    assert!(matches!(err, gitlab_jobs::Error::CommunicationError(ref e) if e.is_connect()), "{text}");
    assert!(!text.contains("scheme is not http"), "{text}");
}
