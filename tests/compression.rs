#![cfg(feature = "gzip")]
//! Compressed responses: JSON pages are asked for with gzip and decoded;
//! logs and artifacts are asked for uncompressed, so that resumed downloads
//! keep their byte offsets; compression can be turned off.

mod common;

use common::*;
use gitlab_jobs::Client;
use httpmock::prelude::*;

fn gzipped_page() -> Vec<u8> {
    std::fs::read(fixtures_dir().join("compressed/project_jobs_page.json.gz")).unwrap()
}

#[tokio::test]
async fn a_compressed_page_is_asked_for_and_decoded() {
    let server = MockServer::start_async().await;
    let page = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v4/projects/1/jobs").header_includes("accept-encoding", "gzip");
            then.status(200)
                .header("content-type", "application/json")
                .header("content-encoding", "gzip")
                .body(gzipped_page());
        })
        .await;

    let jobs = client(&server).list_project_jobs().id(1).send().await.unwrap();

    page.assert_async().await;
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), [11_215_821_050, 11_215_821_049, 11_215_821_048, 7]);
    assert_round_trip(&fixture_json("real/project_jobs_page.json"), &*jobs);
}

#[tokio::test]
async fn logs_and_artifacts_are_asked_for_uncompressed() {
    let server = MockServer::start_async().await;
    let trace = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v4/projects/1/jobs/2/trace").header("accept-encoding", "identity");
            then.status(200).header("content-type", "text/plain").body("log\n");
        })
        .await;
    let archive = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v4/projects/1/jobs/2/artifacts").header("accept-encoding", "identity");
            then.status(200).header("content-type", "application/zip").body("PK");
        })
        .await;
    let client = client(&server);

    let mut log = Vec::new();
    client.download_job_log(1, 2, &mut log).await.unwrap();
    let tail = client.job_log_tail(1, 2, 100).await.unwrap();
    let mut zip = Vec::new();
    client.download_artifacts(1, gitlab_jobs::ArtifactSource::Archive { job_id: 2 }).to_writer(&mut zip).await.unwrap();

    assert_eq!((log.as_slice(), &tail.bytes[..], zip.as_slice()), (&b"log\n"[..], &b"log\n"[..], &b"PK"[..]));
    assert_eq!(trace.calls_async().await, 2);
    archive.assert_async().await;
}

#[tokio::test]
async fn compression_can_be_turned_off() {
    let server = MockServer::start_async().await;
    let plain = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v4/projects/1/jobs").is_true(|req| {
                !req.headers().get("accept-encoding").is_some_and(|v| v.to_str().unwrap_or("").contains("gzip"))
            });
            json_response(then, 200, &fixture("real/project_jobs_page.json"));
        })
        .await;
    let client = Client::builder(server.base_url()).private_token(PRIVATE_TOKEN).compression(false).build().unwrap();

    let jobs = client.list_project_jobs().id(1).send().await.unwrap();

    plain.assert_async().await;
    assert_eq!(jobs.len(), 4);
}
