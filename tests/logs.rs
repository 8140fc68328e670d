//! Job logs against a loopback GitLab: whole downloads that resume after a
//! broken connection, and following a growing log on servers that honour
//! `byte_offset` and on servers that ignore it. Every byte exactly once.

mod common;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{loopback::*, *};
use futures::{StreamExt, TryStreamExt};
use gitlab_jobs::{LogError, MAX_BYTE_LIMIT};

const TRACE: &str = "/api/v4/projects/group%2Fproject/jobs/9/trace";
const JOB: &str = "/api/v4/projects/group%2Fproject/jobs/9";

/// A log of `lines` numbered lines, so any repeat or gap shows.
fn log_text(lines: usize) -> Vec<u8> {
    (0..lines).map(|i| format!("{i:06} \u{1b}[32;1mstep {i}\u{1b}[0;m ok\n")).collect::<String>().into_bytes()
}

#[tokio::test]
async fn a_whole_log_downloads_to_a_writer() {
    let log = log_text(50_000); // about 1.4 MB
    let server = Loopback::script(vec![Reply::text(200, log.clone())]).await;
    let mut out = Vec::new();

    let written = client_for(&server.base_url).download_job_log("group/project", 9, &mut out).await.unwrap();

    assert_eq!(written, log.len() as u64);
    assert_eq!(out, log);
    assert_eq!(server.seen().len(), 1);
    assert_eq!(server.seen()[0].path(), TRACE);
    assert_eq!(server.seen()[0].header("private-token"), Some(PRIVATE_TOKEN));
}

#[tokio::test]
async fn a_broken_download_resumes_without_repeating_a_byte() {
    let log = log_text(20_000);
    let server = Loopback::script(vec![
        Reply::text(200, log.clone()).cut_after(100_000),
        Reply::text(200, log.clone()).cut_after(300_001),
        Reply::text(200, log.clone()),
    ])
    .await;

    let chunks: Vec<_> = client_for(&server.base_url).job_log("group/project", 9).try_collect().await.unwrap();

    assert_eq!(chunks.concat(), log);
    assert_eq!(server.seen().len(), 3);
}

#[tokio::test]
async fn a_download_that_keeps_breaking_fails_after_delivering_a_clean_prefix() {
    let log = log_text(20_000);
    let server = Loopback::script(vec![Reply::text(200, log.clone()).cut_after(50_000)]).await;

    let results: Vec<_> = client_for(&server.base_url).job_log("group/project", 9).collect().await;

    let (delivered, errors): (Vec<_>, Vec<_>) = results.into_iter().partition(Result::is_ok);
    let delivered: Vec<u8> = delivered.into_iter().flat_map(|c| c.unwrap().to_vec()).collect();
    assert_eq!(delivered, &log[..50_000], "what was delivered is the log's start, once");
    assert_eq!(errors.len(), 1);
    assert_eq!(server.seen().len(), 4, "one request per attempt of the retry policy");
}

#[tokio::test]
async fn a_missing_log_is_an_error_with_gitlabs_message() {
    let server = Loopback::script(vec![Reply::json(404, r#"{"message":"404 Job Not Found"}"#)]).await;
    let mut out = Vec::new();

    let err = client_for(&server.base_url).download_job_log("group/project", 9, &mut out).await.unwrap_err();

    let LogError::Api(api) = &err else { panic!("{err}") };
    assert_eq!(gitlab_jobs::ErrorExt::gitlab_message(api), Some("404 Job Not Found"));
    assert!(err.to_string().contains("404 Job Not Found"), "{err}");
}

#[tokio::test]
async fn a_failing_writer_is_reported_as_such() {
    struct Full;
    impl tokio::io::AsyncWrite for Full {
        fn poll_write(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            _: &[u8],
        ) -> std::task::Poll<std::io::Result<usize>> {
            std::task::Poll::Ready(Err(std::io::Error::other("disk full")))
        }
        fn poll_flush(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
        fn poll_shutdown(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<std::io::Result<()>> {
            std::task::Poll::Ready(Ok(()))
        }
    }
    let server = Loopback::script(vec![Reply::text(200, log_text(10))]).await;

    let err = client_for(&server.base_url).download_job_log("group/project", 9, &mut Full).await.unwrap_err();

    assert!(matches!(err, LogError::Write(_)), "{err}");
    assert!(err.to_string().contains("disk full"));
}

/// A job whose log grows by one step each time its status is read, and which
/// succeeds after `steps` steps.
struct GrowingJob {
    full: Vec<u8>,
    steps: usize,
    visible: usize,
    honours_slices: bool,
    /// Cut the body of this trace request (counted from 1) after 10 bytes.
    cut_request: Option<usize>,
    trace_requests: usize,
}

async fn growing_job(
    steps: usize,
    honours_slices: bool,
    cut_request: Option<usize>,
) -> (Loopback, Arc<Mutex<GrowingJob>>) {
    let full = log_text(steps * 40);
    let state =
        Arc::new(Mutex::new(GrowingJob { full, steps, visible: 0, honours_slices, cut_request, trace_requests: 0 }));
    let job = fixture_json("real/job_2021.json");
    let shared = state.clone();
    let server = Loopback::start(move |seen| {
        let mut sim = shared.lock().unwrap();
        if seen.path() == JOB {
            let step = sim.full.len() / sim.steps;
            sim.visible = (sim.visible + step).min(sim.full.len());
            let mut job = job.clone();
            job["status"] = if sim.visible == sim.full.len() { "success" } else { "running" }.into();
            return Reply::json(200, job.to_string());
        }
        assert_eq!(seen.path(), TRACE);
        sim.trace_requests += 1;
        let current = &sim.full[..sim.visible];
        let body = match (sim.honours_slices, seen.query("byte_offset")) {
            (true, Some(offset)) => {
                let offset = offset.parse::<usize>().unwrap().min(current.len());
                let limit = seen.query("byte_limit").map_or(MAX_BYTE_LIMIT as usize, |l| l.parse().unwrap());
                current[offset..(offset + limit).min(current.len())].to_vec()
            }
            _ => current.to_vec(),
        };
        let reply = Reply::text(200, body);
        if sim.cut_request == Some(sim.trace_requests) { reply.cut_after(10) } else { reply }
    })
    .await;
    (server, state)
}

async fn follow(server: &Loopback) -> Vec<u8> {
    let client = client_for(&server.base_url);
    let chunks: Vec<_> = client
        .follow_job_log("group/project", 9)
        .poll_interval(Duration::from_millis(5))
        .stream()
        .try_collect()
        .await
        .unwrap();
    chunks.concat()
}

#[tokio::test]
async fn follow_emits_every_byte_once_against_a_server_that_ignores_byte_offset() {
    let (server, state) = growing_job(12, false, None).await;

    let followed = follow(&server).await;

    let sim = state.lock().unwrap();
    assert_eq!(followed, sim.full, "the whole log, each byte once, in order");
    let traces: Vec<_> = server.seen().into_iter().filter(|s| s.path() == TRACE).collect();
    assert!(traces.len() >= 12, "a read per status check");
    // After the one probe, an ignoring server is asked for the whole log.
    assert_eq!(traces.iter().filter(|t| t.query("byte_limit").as_deref() == Some("1")).count(), 1);
    assert!(traces.last().unwrap().query("byte_offset").is_none());
}

#[tokio::test]
async fn follow_reads_slices_from_a_server_that_honours_byte_offset() {
    let (server, state) = growing_job(12, true, None).await;

    let followed = follow(&server).await;

    assert_eq!(followed, state.lock().unwrap().full);
    let traces: Vec<_> = server.seen().into_iter().filter(|s| s.path() == TRACE).collect();
    let last = traces.last().unwrap();
    assert!(last.query("byte_offset").unwrap().parse::<usize>().unwrap() > 0);
    assert_eq!(last.query("byte_limit").as_deref(), Some("512000"));
}

#[tokio::test]
async fn follow_survives_a_broken_read_without_repeating_bytes() {
    for honours in [false, true] {
        let (server, state) = growing_job(8, honours, Some(4)).await;

        let followed = follow(&server).await;

        assert_eq!(followed, state.lock().unwrap().full, "honours byte_offset: {honours}");
    }
}

#[tokio::test]
async fn follow_of_a_finished_job_reads_the_log_once_and_ends() {
    let log = log_text(100);
    let mut job = fixture_json("real/job_2021.json");
    job["status"] = "failed".into();
    let job = job.to_string();
    let body = log.clone();
    let server = Loopback::start(move |seen| {
        if seen.path() == JOB { Reply::json(200, job.clone()) } else { Reply::text(200, body.clone()) }
    })
    .await;

    assert_eq!(follow(&server).await, log);
    assert_eq!(server.seen().len(), 2, "one status check, one read");
}

/// Answers `Range: bytes=N-` with `If-Range` of its `ETag` with the log from
/// byte N (206), as object storage does for an archived log; `cut` cuts the
/// first answer short. The first answer is chunked, so that even a cut at
/// the log's last byte is a broken connection.
async fn ranged_log(log: Vec<u8>, cut: usize) -> Loopback {
    let answered = Arc::new(Mutex::new(0usize));
    Loopback::start(move |seen| {
        let mut count = answered.lock().unwrap();
        *count += 1;
        let from =
            seen.header("range").and_then(|r| r.strip_prefix("bytes=")?.strip_suffix('-')?.parse::<usize>().ok());
        let reply = match from {
            Some(_) if seen.header("if-range") != Some("\"v1\"") => Reply::text(200, log.clone()),
            Some(from) if from >= log.len() => {
                Reply::text(416, Vec::new()).header("content-range", format!("bytes */{}", log.len()))
            }
            Some(from) => Reply::text(206, log[from..].to_vec())
                .header("content-range", format!("bytes {from}-{}/{}", log.len() - 1, log.len())),
            None if *count == 1 => Reply::text(200, log.clone()).chunked().cut_after(cut),
            None => Reply::text(200, log.clone()),
        };
        reply.header("etag", "\"v1\"")
    })
    .await
}

#[tokio::test]
async fn a_broken_download_asks_only_for_the_rest_where_ranges_are_honoured() {
    let log = log_text(20_000);
    let server = ranged_log(log.clone(), 123_457).await;

    let chunks: Vec<_> = client_for(&server.base_url).job_log("group/project", 9).try_collect().await.unwrap();

    assert_eq!(chunks.concat(), log);
    let seen = server.seen();
    assert_eq!(seen.len(), 2, "the cut request, then the rest");
    assert_eq!(seen[0].header("range"), None);
    assert_eq!(seen[1].header("range"), Some("bytes=123457-"));
    assert_eq!(seen[1].header("if-range"), Some("\"v1\""), "the rest only of the same version");
    assert_eq!(seen[1].header("accept-encoding"), Some("identity"), "byte offsets of the log itself");
    assert_eq!(seen[1].header("private-token"), Some(PRIVATE_TOKEN));
}

#[tokio::test]
async fn a_log_broken_exactly_at_its_end_ends_on_the_servers_416() {
    let log = log_text(1_000);
    let server = ranged_log(log.clone(), log.len()).await;
    let chunks: Vec<_> = client_for(&server.base_url).job_log("group/project", 9).try_collect().await.unwrap();
    assert_eq!(chunks.concat(), log);
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[1].header("range").map(str::to_owned), Some(format!("bytes={}-", log.len())));
}
