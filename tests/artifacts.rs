//! Job artifacts: every endpoint on the wire (method, encoded path, query,
//! auth header, result), paths and refs as GitLab routes them, downloads
//! through a redirect to storage that never sees a credential, resumed after
//! a broken connection with a range (or with the prefix skipped), with size
//! and progress reported, errors that say why, and writes sent once.

mod common;

use std::sync::{Arc, Mutex};

use common::{loopback::*, *};
use futures::TryStreamExt;
use gitlab_jobs::{ArtifactProblem, ArtifactSource, Client, ErrorExt, Paginate, Progress};
use httpmock::prelude::*;

const PROJECT: &str = "/api/v4/projects/group%2Fproject";

fn zip(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 % 251) as u8).collect()
}

async fn bytes_of(stream: gitlab_jobs::ByteStream) -> Vec<u8> {
    stream
        .into_inner()
        .try_fold(Vec::new(), |mut all, chunk| async move {
            all.extend_from_slice(&chunk);
            Ok(all)
        })
        .await
        .unwrap()
}

#[tokio::test]
async fn each_download_route_is_sent_as_gitlab_routes_it() {
    let server = MockServer::start_async().await;
    let raw = |path: &'static str, query: Option<&'static str>, body: &'static [u8]| {
        let server = &server;
        async move {
            server
                .mock_async(move |when, then| {
                    when.method(GET)
                        .header("private-token", PRIVATE_TOKEN)
                        .is_true(move |req| req.uri().path() == path && req.uri().query() == query);
                    then.status(200).header("content-type", "application/octet-stream").body(body);
                })
                .await
        }
    };
    let archive = raw("/api/v4/projects/group%2Fproject/jobs/42/artifacts", None, b"PK-archive").await;
    let by_ref = raw(
        "/api/v4/projects/group%2Fproject/jobs/artifacts/feature%2Flogin/download",
        Some("job=build+linux&search_recent_successful_pipelines=true"),
        b"PK-by-ref",
    )
    .await;
    let file = raw(
        "/api/v4/projects/group%2Fproject/jobs/42/artifacts/out%20dir/r%C3%A9sum%C3%A9%20%231%3F.txt",
        None,
        b"file",
    )
    .await;
    let file_by_ref = raw(
        "/api/v4/projects/group%2Fproject/jobs/artifacts/v1.2.0/raw/reports/junit.xml",
        Some("job=test"),
        b"<xml/>",
    )
    .await;
    let client = client(&server);

    let got = client.download_job_artifacts().id("group/project").job_id(42).send().await.unwrap();
    assert_eq!(bytes_of(got.into_inner()).await, b"PK-archive");
    let got = client
        .download_artifacts_by_ref()
        .id("group/project")
        .ref_name("feature/login")
        .job("build linux")
        .search_recent_successful_pipelines(true)
        .send()
        .await
        .unwrap();
    assert_eq!(bytes_of(got.into_inner()).await, b"PK-by-ref");
    let got = client
        .get_job_artifact_file()
        .id("group/project")
        .job_id(42)
        .artifact_path("out dir/r\u{e9}sum\u{e9} #1?.txt")
        .send()
        .await
        .unwrap();
    assert_eq!(bytes_of(got.into_inner()).await, b"file");
    let got = client
        .get_artifact_file_by_ref()
        .id("group/project")
        .ref_name("v1.2.0")
        .artifact_path("reports/junit.xml")
        .job("test")
        .send()
        .await
        .unwrap();
    assert_eq!(bytes_of(got.into_inner()).await, b"<xml/>");
    for mock in [archive, by_ref, file, file_by_ref] {
        mock.assert_async().await;
    }

    // The same routes through `download_artifacts`.
    let mut out = Vec::new();
    let source =
        ArtifactSource::FileByRef { ref_name: "v1.2.0".into(), job: "test".into(), path: "reports/junit.xml".into() };
    client.download_artifacts("group/project", source).to_writer(&mut out).await.unwrap();
    assert_eq!(out, b"<xml/>");
}

#[tokio::test]
async fn a_dot_or_backslash_path_cannot_change_the_route() {
    let server = MockServer::start_async().await;
    // Every request must stay on the single-file route, the dots and
    // backslashes carried as text GitLab will not find.
    let inert = server
        .mock_async(|when, then| {
            when.is_true(|req| {
                let uri = req.uri();
                let path = uri.path();
                path.starts_with("/api/v4/projects/1/jobs/2/artifacts/")
                    || path.starts_with("/api/v4/projects/1/jobs/artifacts/")
            });
            then.status(404).header("content-type", "text/plain").body("404 page not found\n");
        })
        .await;
    let elsewhere = server
        .mock_async(|_, then| {
            then.status(200).header("content-type", "application/json").body("{}");
        })
        .await;
    let client = client(&server);
    for path in ["..", r"a\..\..\..\..\..\user", "a/../../../../user"] {
        let Err(_) = client.get_job_artifact_file().id(1).job_id(2).artifact_path(path).send().await else {
            panic!("{path}: GitLab found nothing there")
        };
    }
    let Err(_) = client.download_artifacts_by_ref().id(1).ref_name(r"..\..").job("b").send().await else {
        panic!("a ref of `..` is not a route")
    };
    let err = client
        .download_artifacts(1, ArtifactSource::File { job_id: 2, path: "a/../../jobs".into() })
        .to_writer(&mut Vec::new())
        .await
        .unwrap_err();
    assert_eq!(err.problem(), Some(&ArtifactProblem::BadPath));
    let err = client
        .download_artifacts(1, ArtifactSource::File { job_id: 2, path: r"a\..\..\user".into() })
        .to_writer(&mut Vec::new())
        .await
        .unwrap_err();
    assert!(matches!(err.problem(), Some(ArtifactProblem::FileNotInArchive { .. })), "{err}");
    assert_eq!(inert.calls_async().await, 5);
    assert_eq!(elsewhere.calls_async().await, 0, "no request left the artifact routes");
}

#[tokio::test]
async fn the_tree_keep_and_deletes_answer_typed() {
    let server = MockServer::start_async().await;
    let tree = r#"[{"name":"reports","path":"reports/","type":"directory","mode":"040755"},
                   {"name":"app.bin","path":"app.bin","type":"file","size":1048576,"mode":"100755"}]"#;
    let tree_mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("{PROJECT}/jobs/42/artifacts/tree"))
                .query_param("path", "out/")
                .query_param("recursive", "true");
            json_response(then, 200, tree).header("x-next-page", "").header("x-total-pages", "1");
        })
        .await;
    let keep = server
        .mock_async(|when, then| {
            when.method(POST).path(format!("{PROJECT}/jobs/42/artifacts/keep")).header("private-token", PRIVATE_TOKEN);
            json_response(then, 200, &fixture("real/job_newest.json"));
        })
        .await;
    let delete_job = server
        .mock_async(|when, then| {
            when.method(DELETE).path(format!("{PROJECT}/jobs/42/artifacts"));
            then.status(204);
        })
        .await;
    let delete_all = server
        .mock_async(|when, then| {
            when.method(DELETE).path(format!("{PROJECT}/artifacts"));
            json_response(then, 202, r#"{"message":"202 Accepted"}"#);
        })
        .await;
    let client = client(&server);

    let entries: Vec<_> = client
        .list_job_artifacts_tree()
        .id("group/project")
        .job_id(42)
        .path("out/")
        .recursive(true)
        .stream()
        .try_collect()
        .await
        .unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0].type_, gitlab_jobs::ArtifactEntryType::Directory);
    assert_eq!((entries[0].size, entries[1].size), (None, Some(1_048_576)));
    let job = client.keep_job_artifacts().id("group/project").job_id(42).send().await.unwrap();
    assert_eq!(job.id, 11_215_821_048);
    let deleted = client.delete_job_artifacts().id("group/project").job_id(42).send().await.unwrap();
    assert_eq!(deleted.status().as_u16(), 204);
    let accepted = client.delete_project_artifacts().id("group/project").send().await.unwrap();
    assert_eq!((accepted.status().as_u16(), accepted.message.as_str()), (202, "202 Accepted"));
    for mock in [tree_mock, keep, delete_job, delete_all] {
        mock.assert_async().await;
    }
}

#[tokio::test]
async fn keep_and_deletes_are_sent_once_under_a_502() {
    let server = MockServer::start_async().await;
    let bad_gateway = server
        .mock_async(|_, then| {
            then.status(502).header("content-type", "text/html").body("<html>502 Bad Gateway</html>");
        })
        .await;
    let client = client(&server);
    let keep = client.keep_job_artifacts().id(1).job_id(2).send().await.unwrap_err();
    assert_eq!(keep.http_status().map(|s| s.as_u16()), Some(502));
    client.delete_job_artifacts().id(1).job_id(2).send().await.unwrap_err();
    client.delete_project_artifacts().id(1).send().await.unwrap_err();
    assert_eq!(bad_gateway.calls_async().await, 3, "one request each, never retried");
}

#[tokio::test]
async fn a_redirected_download_reaches_storage_without_any_credential() {
    let data = zip(300_000);
    let storage = {
        let data = data.clone();
        Loopback::start(move |_| Reply::new(200, "application/zip", data.clone())).await
    };
    let storage_url = storage.base_url.clone();
    let gitlab = Loopback::start(move |seen| {
        assert_eq!(seen.path(), "/api/v4/projects/group%2Fproject/jobs/artifacts/main/download");
        Reply::text(302, "You are being redirected")
            .header("location", format!("{storage_url}/bucket/artifacts.zip?X-Amz-Signature=abc"))
    })
    .await;
    let client = Client::builder(&gitlab.base_url).job_token(JOB_TOKEN).build().unwrap();
    let seen_progress = Arc::new(Mutex::new(Vec::new()));
    let log = seen_progress.clone();

    let mut out = Vec::new();
    let done = client
        .download_artifacts(
            "group/project",
            ArtifactSource::ArchiveByRef { ref_name: "main".into(), job: "build".into() },
        )
        .on_progress(move |p| log.lock().unwrap().push(p))
        .to_writer(&mut out)
        .await
        .unwrap();

    assert_eq!(out, data);
    assert_eq!((done.bytes, done.resumed), (300_000, 0));
    assert_eq!(gitlab.seen()[0].header("job-token"), Some(JOB_TOKEN));
    let at_storage = &storage.seen()[0];
    assert_eq!(at_storage.target, "/bucket/artifacts.zip?X-Amz-Signature=abc");
    for name in ["job-token", "private-token", "authorization", "cookie"] {
        assert_eq!(at_storage.header(name), None, "{name} must not reach storage");
    }
    let progress = seen_progress.lock().unwrap();
    assert_eq!(progress[0], Progress { received: 0, total: Some(300_000) }, "the size comes before the body");
    assert_eq!(progress.last(), Some(&Progress { received: 300_000, total: Some(300_000) }));
    assert!(progress.windows(2).all(|w| w[0].received <= w[1].received));
}

/// Storage that breaks the first connection after `cut` bytes and, if
/// `ranges`, answers `Range: bytes=N-` with 206.
async fn flaky_storage(data: Vec<u8>, cut: usize, ranges: bool) -> Loopback {
    let first = Arc::new(Mutex::new(true));
    Loopback::start(move |seen| {
        let mut first = first.lock().unwrap();
        let from =
            seen.header("range").and_then(|r| r.strip_prefix("bytes=")?.strip_suffix('-')?.parse::<usize>().ok());
        let reply = match from {
            Some(from) if ranges => Reply::new(206, "application/zip", data[from..].to_vec())
                .header("content-range", format!("bytes {from}-{}/{}", data.len() - 1, data.len())),
            _ => Reply::new(200, "application/zip", data.clone()),
        };
        let reply = reply.header("etag", "\"v1\"");
        if std::mem::take(&mut *first) { reply.cut_after(cut) } else { reply }
    })
    .await
}

#[tokio::test]
async fn a_broken_download_resumes_with_a_range_where_storage_honours_one() {
    let data = zip(1_000_000);
    let storage = flaky_storage(data.clone(), 400_000, true).await;
    let client = client_for(&storage.base_url);

    let mut out = Vec::new();
    let done = client.download_artifacts(1, ArtifactSource::Archive { job_id: 2 }).to_writer(&mut out).await.unwrap();

    assert_eq!(out, data, "every byte once");
    assert_eq!(done.resumed, 1);
    let seen = storage.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].header("range"), None);
    let resumed_from: usize = seen[1].header("range").unwrap()["bytes=".len()..].trim_end_matches('-').parse().unwrap();
    assert!(resumed_from > 0 && resumed_from <= 400_000, "{resumed_from}");
    assert_eq!(seen[1].header("if-range"), Some("\"v1\""));
}

#[tokio::test]
async fn a_server_that_ignores_ranges_restarts_and_the_written_prefix_is_skipped() {
    let data = zip(1_000_000);
    let storage = flaky_storage(data.clone(), 400_000, false).await;
    let client = client_for(&storage.base_url);

    let mut out = Vec::new();
    let done = client.download_artifacts(1, ArtifactSource::Archive { job_id: 2 }).to_writer(&mut out).await.unwrap();

    assert_eq!(out, data, "no byte written twice");
    assert_eq!(done.resumed, 1);
    assert!(storage.seen()[1].header("range").is_some(), "a range was asked for, and ignored");
}

#[tokio::test]
async fn a_missing_file_and_expired_artifacts_say_so() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path(format!("{PROJECT}/jobs/42/artifacts/reports/junit.xml"));
            then.status(404).header("content-type", "text/plain; charset=utf-8").body("404 page not found\n");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path(format!("{PROJECT}/jobs/43/artifacts"));
            json_response(then, 404, r#"{"message":"404 Not Found"}"#);
        })
        .await;
    let mut expired = fixture_json("real/job_newest.json");
    expired["artifacts_expire_at"] = "2024-06-01T15:01:59.895Z".into();
    server
        .mock_async(|when, then| {
            when.path(format!("{PROJECT}/jobs/43"));
            json_response(then, 200, &expired.to_string());
        })
        .await;
    let client = client(&server);

    let err = client
        .download_artifacts("group/project", ArtifactSource::File { job_id: 42, path: "reports/junit.xml".into() })
        .to_writer(&mut Vec::new())
        .await
        .unwrap_err();
    assert_eq!(err.problem(), Some(&ArtifactProblem::FileNotInArchive { path: "reports/junit.xml".into() }));
    assert!(err.to_string().contains("artifacts:paths"), "{err}");

    let err = client
        .download_artifacts("group/project", ArtifactSource::Archive { job_id: 43 })
        .to_writer(&mut Vec::new())
        .await
        .unwrap_err();
    assert_eq!(err.problem(), Some(&ArtifactProblem::Expired { at: "2024-06-01T15:01:59.895+00:00".into() }));
}

#[tokio::test]
async fn a_resume_that_answers_another_artifact_is_an_error_not_a_splice() {
    let data = zip(500_000);
    let first = Arc::new(Mutex::new(true));
    let storage = Loopback::start(move |_| {
        let mut first = first.lock().unwrap();
        if std::mem::take(&mut *first) {
            Reply::new(200, "application/zip", data.clone()).header("etag", "\"v1\"").cut_after(100_000)
        } else {
            // A newer pipeline's archive: another ETag, and the range ignored.
            Reply::new(200, "application/zip", zip(600_000)).header("etag", "\"v2\"")
        }
    })
    .await;
    let client = client_for(&storage.base_url);

    let mut out = Vec::new();
    let err = client
        .download_artifacts(1, ArtifactSource::ArchiveByRef { ref_name: "main".into(), job: "build".into() })
        .to_writer(&mut out)
        .await
        .unwrap_err();

    assert!(err.to_string().contains("the artifact changed while it was downloading"), "{err}");
    assert_eq!(storage.seen().len(), 2);
}
