//! Answers from a job's log against a loopback GitLab: its tail through a
//! range request where the server honours one and through a bounded read of
//! the whole log where it does not, its last lines, its summary, and waiting
//! for a job whose status changes.

mod common;

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

use common::{loopback::*, *};
use gitlab_jobs::{JobStatus, WaitError, log::LogSummary};

const TRACE: &str = "/api/v4/projects/group%2Fproject/jobs/9/trace";
const JOB: &str = "/api/v4/projects/group%2Fproject/jobs/9";

/// A log of numbered, coloured lines of `width` characters.
fn log_text(lines: usize, width: usize) -> Vec<u8> {
    (0..lines)
        .map(|i| format!("\x1b[32m{i:06}\x1b[0m {}\n", "x".repeat(width.saturating_sub(7))))
        .collect::<String>()
        .into_bytes()
}

/// Answers `Range: bytes=-N` as object storage behind Workhorse does.
fn ranged(log: Vec<u8>) -> impl Fn(&Seen) -> Reply + Send + Sync + 'static {
    move |seen| {
        assert_eq!(seen.path(), TRACE);
        let asked = seen.header("range").and_then(|r| r.strip_prefix("bytes=-")).and_then(|n| n.parse::<usize>().ok());
        match asked {
            Some(_) if log.is_empty() => Reply::text(416, "").header("content-range", "bytes */0"),
            Some(n) => {
                let start = log.len().saturating_sub(n);
                Reply::text(206, log[start..].to_vec())
                    .header("content-range", format!("bytes {start}-{}/{}", log.len() - 1, log.len()))
            }
            None => Reply::text(200, log.clone()),
        }
    }
}

#[tokio::test]
async fn the_tail_travels_alone_where_the_server_honours_ranges() {
    let log = log_text(10_000, 40);
    let server = Loopback::start(ranged(log.clone())).await;

    let tail = client_for(&server.base_url).job_log_tail("group/project", 9, 1000).await.unwrap();

    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("range"), Some("bytes=-1000"));
    assert_eq!(seen[0].header("private-token"), Some(PRIVATE_TOKEN));
    assert_eq!(tail.bytes, log[log.len() - 1000..]);
    assert!(tail.ranged && !tail.from_start);
    assert_eq!(tail.log_size, Some(log.len() as u64));
    let last = tail.lines(2);
    assert_eq!(last, [format!("009998 {}", "x".repeat(33)), format!("009999 {}", "x".repeat(33))]);
}

#[tokio::test]
async fn without_ranges_the_whole_log_is_read_keeping_only_the_tail() {
    let log = log_text(10_000, 40);
    let server = Loopback::script(vec![Reply::text(200, log.clone())]).await;

    let tail = client_for(&server.base_url).job_log_tail("group/project", 9, 1000).await.unwrap();

    assert_eq!(server.seen()[0].header("range"), Some("bytes=-1000"), "asked, and ignored");
    assert_eq!(tail.bytes, log[log.len() - 1000..]);
    assert!(!tail.ranged && !tail.from_start);
    assert_eq!(tail.log_size, Some(log.len() as u64));

    // A log shorter than the tail asked for comes whole.
    let short = Loopback::script(vec![Reply::text(200, &b"one\ntwo\n"[..])]).await;
    let tail = client_for(&short.base_url).job_log_tail("group/project", 9, 1000).await.unwrap();
    assert!(tail.from_start);
    assert_eq!(tail.lines(5), ["one", "two"]);
}

#[tokio::test]
async fn an_empty_log_has_an_empty_tail() {
    let server = Loopback::start(ranged(Vec::new())).await;
    let tail = client_for(&server.base_url).job_log_tail("group/project", 9, 100).await.unwrap();
    assert!(tail.bytes.is_empty() && tail.from_start);
    assert_eq!(tail.log_size, Some(0));
}

#[tokio::test]
async fn last_lines_grow_the_ranged_window_until_they_are_found() {
    // Lines of 30,000 bytes: the first 64 KiB window holds two whole lines.
    let log = log_text(40, 30_000);
    let server = Loopback::start(ranged(log.clone())).await;

    let lines = client_for(&server.base_url).job_log_tail_lines("group/project", 9, 3).await.unwrap();

    assert_eq!(lines.len(), 3);
    assert!(lines[0].starts_with("000037 ") && lines[2].starts_with("000039 "), "{:?}", &lines[0][..10]);
    let ranges: Vec<_> = server.seen().iter().map(|s| s.header("range").unwrap().to_owned()).collect();
    assert_eq!(ranges, ["bytes=-65536", "bytes=-524288"]);
}

#[tokio::test]
async fn last_lines_without_ranges_decode_the_whole_log_once() {
    let log = log_text(5_000, 40);
    let server = Loopback::script(vec![Reply::text(200, log)]).await;

    let lines = client_for(&server.base_url).job_log_tail_lines("group/project", 9, 2).await.unwrap();

    assert_eq!(server.seen().len(), 1);
    assert_eq!(lines, [format!("004998 {}", "x".repeat(33)), format!("004999 {}", "x".repeat(33))]);
}

#[tokio::test]
async fn a_summary_of_a_streamed_log_finds_the_failed_section() {
    let log = b"\x1b[0Ksection_start:1700000000:prepare_executor\r\x1b[0KPreparing\nok\n\
        \x1b[0Ksection_end:1700000003:prepare_executor\r\x1b[0K\n\
        \x1b[0Ksection_start:1700000003:step_script\r\x1b[0KExecuting \"step_script\"\n$ make test\n\
        \x1b[31mFAIL: tests/net.rs\x1b[0m\nmake: *** [test] Error 1\n\
        \x1b[0Ksection_end:1700000063:step_script\r\x1b[0K\n\
        \x1b[0Ksection_start:1700000063:upload_artifacts_on_failure\r\x1b[0KUploading artifacts\n\
        \x1b[0Ksection_end:1700000064:upload_artifacts_on_failure\r\x1b[0K\n\
        \x1b[31;1mERROR: Job failed: exit code 2\x1b[0;m\n"
        .to_vec();
    let server = Loopback::script(vec![Reply::text(200, log)]).await;
    let client = client_for(&server.base_url);

    let summary = LogSummary::of_stream(client.job_log("group/project", 9), 3).await.unwrap();

    let names: Vec<_> = summary.sections().iter().map(|s| (s.name.as_str(), s.lines)).collect();
    assert_eq!(names, [("prepare_executor", 2), ("step_script", 4), ("upload_artifacts_on_failure", 1)]);
    let failed = summary.failed_section().unwrap();
    assert_eq!(failed.section.name, "step_script");
    assert!(!failed.still_open);
    assert_eq!(failed.section.duration, Some(Duration::from_secs(60)));
    assert_eq!(failed.section.tail.text(), "$ make test\nFAIL: tests/net.rs\nmake: *** [test] Error 1");
    assert_eq!(summary.tail().lines().last(), Some("ERROR: Job failed: exit code 2"));
}

/// A job whose status moves through `statuses`, one per look; the last repeats.
async fn job_server(statuses: &[&str]) -> Loopback {
    let statuses: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(statuses.iter().map(|s| s.to_string()).collect()));
    let job = fixture_json("real/job_newest.json");
    Loopback::start(move |seen| {
        assert_eq!(seen.path(), JOB);
        let mut statuses = statuses.lock().unwrap();
        let status = if statuses.len() > 1 { statuses.remove(0) } else { statuses[0].clone() };
        let mut job = job.clone();
        job["status"] = status.into();
        Reply::json(200, job.to_string())
    })
    .await
}

#[tokio::test]
async fn waiting_returns_the_job_once_it_is_finished() {
    let server = job_server(&["pending", "running", "running", "success"]).await;
    let client = client_for(&server.base_url);

    let started = std::time::Instant::now();
    let job = client
        .wait_for_job("group/project", 9)
        .interval(Duration::from_millis(10))
        .max_interval(Duration::from_millis(25))
        .timeout(Duration::from_secs(10))
        .await
        .unwrap();

    assert_eq!(job.status, JobStatus::Success);
    assert_eq!(server.seen().len(), 4, "one look per status");
    // Waits of 10, 20 and 25 ms (the backoff, capped) between the looks.
    assert!(started.elapsed() >= Duration::from_millis(55), "{:?}", started.elapsed());
}

#[tokio::test]
async fn waiting_times_out_with_the_last_status_seen() {
    let server = job_server(&["pending", "running"]).await;
    let client = client_for(&server.base_url);

    let error = client
        .wait_for_job("group/project", 9)
        .interval(Duration::from_millis(5))
        .timeout(Duration::from_millis(120))
        .await
        .unwrap_err();

    let WaitError::TimedOut { last_status, waited } = &error else { panic!("{error:?}") };
    assert_eq!(last_status, &Some(JobStatus::Running));
    assert!(*waited >= Duration::from_millis(120) && *waited < Duration::from_secs(5), "{waited:?}");
    assert!(error.to_string().starts_with("the job was still running after"), "{error}");
}

#[tokio::test]
async fn a_manual_job_ends_the_wait_unless_asked_to_wait_through_it() {
    let server = job_server(&["manual"]).await;
    let client = client_for(&server.base_url);
    let job = client.wait_for_job("group/project", 9).interval(Duration::from_millis(5)).await.unwrap();
    assert_eq!(job.status, JobStatus::Manual);

    let played = job_server(&["manual", "manual", "pending", "failed"]).await;
    let client = client_for(&played.base_url);
    let job =
        client.wait_for_job("group/project", 9).interval(Duration::from_millis(5)).wait_through_manual().await.unwrap();
    assert_eq!(job.status, JobStatus::Failed);
    assert_eq!(played.seen().len(), 4);
}
