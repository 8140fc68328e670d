//! What a bot author writes every day, made the obvious code: a write whose
//! answer was lost and the job it created, downloads that continue an earlier
//! run, one way to explain any error, 404s read as what they are, progress at
//! a rate a person can watch, and only the headers GitLab reads.

mod common;

use std::{
    sync::{Arc, Mutex},
    time::{Duration, SystemTime},
};

use common::{
    PRIVATE_TOKEN, client_for,
    loopback::{Loopback, Reply, Seen},
};
use futures::StreamExt;
use gitlab_jobs::{
    ArtifactProblem, ArtifactSource, Client, ErrorExt, JobScope, JobStatus, Paginate, Problem, Progress,
};

/// A job of `job_newest.json` with its id, status and creation time changed.
fn job(id: i64, status: &str, created_at: &str) -> serde_json::Value {
    let mut job: serde_json::Value = serde_json::from_str(&common::fixture("real/job_newest.json")).unwrap();
    job["id"] = id.into();
    job["status"] = status.into();
    job["created_at"] = created_at.into();
    job
}

fn now_text() -> String {
    chrono::DateTime::<chrono::Utc>::from(SystemTime::now()).to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

// ---------------------------------------------------------------- a lost answer

/// A GitLab whose answer to a retry (or play) of job 42 breaks off after its
/// `201`, and which then lists the pipeline's jobs: 42 itself, an older retry
/// (41, long ago) and the job the retry created (43, just now).
async fn lost_retry_server(played_status: &'static str) -> Loopback {
    let now = now_text();
    Loopback::start(move |seen: &Seen| {
        let original = job(42, played_status, "2024-05-02T14:51:21.802Z");
        match (seen.method.as_str(), seen.path()) {
            ("POST", path) if path.ends_with("/retry") || path.ends_with("/play") => {
                let created = job(43, "pending", &now).to_string();
                Reply::json(201, created.clone()).cut_after(created.len() / 2)
            }
            ("GET", "/api/v4/projects/1/jobs/42") => Reply::json(200, original.to_string()),
            ("GET", "/api/v4/projects/1/pipelines/1297834512/jobs") => {
                assert_eq!(seen.query("include_retried").as_deref(), Some("true"));
                let mut other = job(44, "failed", &now);
                other["name"] = "lint".into();
                let page = vec![job(41, "failed", "2024-05-02T14:00:00Z"), original, job(43, "pending", &now), other];
                Reply::json(200, serde_json::to_string(&page).unwrap())
            }
            _ => Reply::json(404, r#"{"message":"404 Not found"}"#),
        }
    })
    .await
}

#[tokio::test]
async fn a_retry_whose_201_broke_off_is_an_answer_lost_and_its_job_is_found() {
    let server = lost_retry_server("failed").await;
    let client = client_for(&server.base_url);
    let sent_at = SystemTime::now();

    let error = client.retry_job().id(1).job_id(42).send().await.unwrap_err();

    assert!(error.answer_lost(), "{}", error.describe());
    assert_eq!(error.http_status().map(|s| s.as_u16()), Some(201), "the status is kept");
    assert!(matches!(error.api_error().unwrap().problem, Problem::AnswerLost { .. }));
    assert!(error.request_sent() && !error.is_transient(), "not to be sent again blindly");
    assert!(error.describe().contains("GitLab accepted the request"), "{}", error.describe());
    let retries = server.seen().iter().filter(|s| s.method == "POST").count();
    assert_eq!(retries, 1, "a write is sent once");

    let found = client.find_retried_job(1, 42, sent_at).await.unwrap().expect("the created job");
    assert_eq!(found.id, 43, "the newer job of the same name, not the old retry or another job");
}

#[tokio::test]
async fn a_play_whose_answer_was_lost_finds_the_job_it_started() {
    // The manual job was enqueued: it is the job, even without a new one.
    let server = lost_retry_server("pending").await;
    let client = client_for(&server.base_url);
    let sent_at = SystemTime::now();
    let error = client.play_job().id(1).job_id(42).send().await.unwrap_err();
    assert!(error.answer_lost(), "{}", error.describe());
    // Job 43 exists too (created by the play's retry path): it is preferred.
    assert_eq!(client.find_played_job(1, 42, sent_at).await.unwrap().unwrap().id, 43);
    // A job still manual, with no newer one, was not played.
    let server = Loopback::start(|seen| match seen.path() {
        "/api/v4/projects/1/jobs/42" => Reply::json(200, job(42, "manual", "2024-05-02T14:51:21.802Z").to_string()),
        _ => Reply::json(200, serde_json::to_string(&[job(42, "manual", "2024-05-02T14:51:21.802Z")]).unwrap()),
    })
    .await;
    let client = client_for(&server.base_url);
    assert_eq!(client.find_played_job(1, 42, SystemTime::now()).await.unwrap(), None);
    // A reading request cut off the same way is a truncated read, not a lost write.
    let cut =
        Loopback::start(|_| Reply::json(200, job(1, "failed", "2024-05-02T14:51:21.802Z").to_string()).cut_after(40))
            .await;
    let error = client_for(&cut.base_url).get_job().id(1).job_id(1).send().await.unwrap_err();
    assert!(!error.answer_lost() && error.is_transient(), "{}", error.describe());
}

// ---------------------------------------------------------------- an earlier run

fn archive() -> Vec<u8> {
    (0..300_000u32).map(|i| (i * 31 % 253) as u8).collect()
}

/// Storage answering `Range` with `If-Range` of `etag` (when given), or the
/// whole artifact.
async fn storage(content: Vec<u8>, etag: Option<&'static str>) -> Loopback {
    Loopback::start(move |seen| {
        let from =
            seen.header("range").and_then(|r| r.strip_prefix("bytes=")?.strip_suffix('-')?.parse::<usize>().ok());
        let reply = match from {
            Some(from) if etag.is_some() && seen.header("if-range") == etag => {
                Reply::new(206, "application/zip", content[from..].to_vec())
                    .header("content-range", format!("bytes {from}-{}/{}", content.len() - 1, content.len()))
            }
            _ => Reply::new(200, "application/zip", content.clone()),
        };
        match etag {
            Some(etag) => reply.header("etag", etag),
            None => reply,
        }
    })
    .await
}

fn part_files(dir: &std::path::Path) -> (std::path::PathBuf, std::path::PathBuf, std::path::PathBuf) {
    (dir.join("a.zip"), dir.join("a.zip.part"), dir.join("a.zip.part.json"))
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("gitlab-jobs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test]
async fn a_download_to_a_path_continues_the_part_file_an_earlier_run_left() {
    let content = archive();
    let dir = temp_dir("resume");
    let (path, part, notes) = part_files(&dir);
    // An earlier run stopped after 100,000 bytes, having noted the ETag.
    std::fs::write(&part, &content[..100_000]).unwrap();
    std::fs::write(&notes, r#"{"validator":"\"v1\"","size":300000}"#).unwrap();
    let server = storage(content.clone(), Some("\"v1\"")).await;
    let client = client_for(&server.base_url);

    let done = client.download_artifacts(1, ArtifactSource::Archive { job_id: 2 }).to_path(&path).await.unwrap();

    assert_eq!(std::fs::read(&path).unwrap(), content, "byte-exact");
    assert!(!part.exists() && !notes.exists(), "the part file was renamed and its notes removed");
    assert_eq!((done.bytes, done.from_earlier_run), (300_000, 100_000));
    let seen = server.seen();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].header("range"), Some("bytes=100000-"), "only the rest travels");
    assert_eq!(seen[0].header("if-range"), Some("\"v1\""));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_part_file_without_notes_is_checked_and_one_of_another_version_starts_over() {
    let content = archive();
    let dir = temp_dir("notes");
    let (path, part, notes) = part_files(&dir);
    // No notes: the artifact comes whole, the partial file's bytes checked.
    std::fs::write(&part, &content[..123_456]).unwrap();
    let server = storage(content.clone(), None).await;
    let client = client_for(&server.base_url);
    let done = client.download_artifacts(1, ArtifactSource::Archive { job_id: 2 }).to_path(&path).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), content);
    let downloads = server.seen().iter().filter(|s| s.path().ends_with("/artifacts")).count();
    assert_eq!((done.from_earlier_run, downloads), (123_456, 1));

    // A partial file of another version: emptied, downloaded again whole.
    std::fs::remove_file(&path).unwrap();
    let other: Vec<u8> = content[..123_456].iter().map(|b| b ^ 0xff).collect();
    std::fs::write(&part, &other).unwrap();
    std::fs::write(&notes, r#"{"validator":"\"old\"","size":300000}"#).unwrap();
    let server = storage(content.clone(), Some("\"new\"")).await;
    let client = client_for(&server.base_url);
    let done = client.download_artifacts(1, ArtifactSource::Archive { job_id: 2 }).to_path(&path).await.unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), content, "never spliced");
    assert_eq!(done.from_earlier_run, 0);
    assert!(!notes.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_log_to_a_path_continues_across_runs_and_across_growth() {
    let log = b"line\n".repeat(20_000);
    let grown = [log.clone(), b"more\n".to_vec()].concat();
    let dir = temp_dir("log");
    let path = dir.join("job.log");
    std::fs::write(dir.join("job.log.part"), &log[..50_000]).unwrap();
    let served = grown.clone();
    let server = Loopback::start(move |_| Reply::text(200, served.clone())).await;
    let client = client_for(&server.base_url);
    let size = client.download_job_log_to_path(1, 2, &path).await.unwrap();
    assert_eq!((size, std::fs::read(&path).unwrap()), (grown.len() as u64, grown));
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------- explaining errors

#[tokio::test]
async fn every_error_type_explains_itself_the_same_way() {
    let server = Loopback::start(|seen| match seen.path() {
        "/api/v4/projects/1/jobs/2" | "/api/v4/projects/1/jobs/2/trace" => {
            Reply::json(503, r#"{"message":"503 Service Unavailable"}"#)
        }
        _ => Reply::json(404, r#"{"message":"404 Not found"}"#),
    })
    .await;
    let client = Client::builder(&server.base_url).private_token(PRIVATE_TOKEN).no_retry().build().unwrap();

    let call = client.get_job().id(1).job_id(2).send().await.unwrap_err();
    assert!(call.is_transient() && call.request_sent(), "{}", call.describe());
    let artifact = client
        .download_artifacts(1, ArtifactSource::Archive { job_id: 3 })
        .to_writer(&mut Vec::new())
        .await
        .unwrap_err();
    assert_eq!(artifact.http_status().map(|s| s.as_u16()), Some(404));
    assert!(!artifact.is_transient() && artifact.request_sent());
    let log = client.download_job_log(1, 2, &mut Vec::new()).await.unwrap_err();
    assert!(log.is_transient());
    let wait = client.wait_for_job(1, 2).timeout(Duration::from_millis(10)).await.unwrap_err();
    let config = Client::builder("ftp://x").build().unwrap_err();
    let refused = client.list_project_jobs().id(1).per_page(1000u32).send().await.unwrap_err();
    assert!(!refused.request_sent() && !refused.is_transient());
    let nobody = client_for("http://127.0.0.1:9").get_job().id(1).job_id(2).send().await.unwrap_err();
    assert!(!nobody.request_sent() && nobody.is_transient(), "{}", nobody.describe());

    let describe: [&dyn ErrorExt; 7] = [&call, &artifact, &log, &wait, &config, &refused, &nobody];
    for error in describe {
        let text = error.describe();
        assert!(!text.is_empty() && !text.contains('\n'), "{text}");
    }
    assert!(artifact.describe().contains("404"), "{}", artifact.describe());
    assert!(!config.request_sent() && config.http_status().is_none());
}

#[tokio::test]
async fn the_unknown_route_404_is_read_as_such() {
    let server = Loopback::start(|_| Reply::json(404, r#"{"error":"404 Not Found"}"#)).await;
    let client = client_for(&server.base_url);
    let error = client
        .download_artifacts(1, ArtifactSource::ArchiveByRef { ref_name: "main".into(), job: "build".into() })
        .to_writer(&mut Vec::new())
        .await
        .unwrap_err();
    assert_eq!(error.problem(), Some(&ArtifactProblem::UnknownRoute), "{error}");
    assert!(error.is_unknown_route());
    let error = client.get_job().id(1).job_id(2).send().await.unwrap_err();
    assert!(error.is_unknown_route());
    // A missing job is not an unknown route.
    let missing = Loopback::start(|_| Reply::json(404, r#"{"message":"404 Not Found"}"#)).await;
    let client = client_for(&missing.base_url);
    let error = client
        .download_artifacts(1, ArtifactSource::Archive { job_id: 2 })
        .to_writer(&mut Vec::new())
        .await
        .unwrap_err();
    assert!(!error.is_unknown_route());
    assert_ne!(error.problem(), Some(&ArtifactProblem::UnknownRoute));
}

#[tokio::test]
async fn only_headers_gitlab_reads_are_sent() {
    let job = job(2, "failed", "2024-05-02T14:51:21.802Z").to_string();
    let server = Loopback::start(move |seen| match (seen.method.as_str(), seen.path()) {
        (_, "/api/v4/projects/1/jobs") => Reply::json(200, format!("[{job}]")),
        ("POST", _) => Reply::json(201, job.clone()),
        _ => Reply::json(200, job.clone()),
    })
    .await;
    let client = client_for(&server.base_url);
    client.get_job().id(1).job_id(2).send().await.unwrap();
    client.cancel_job().id(1).job_id(2).send().await.unwrap();
    client.list_project_jobs().id(1).scope(vec![JobScope::Failed]).stream().next().await.unwrap().unwrap();
    for seen in server.seen() {
        assert_eq!(seen.header("api-version"), None, "{} {}", seen.method, seen.target);
        assert_eq!(seen.header("private-token"), Some(PRIVATE_TOKEN));
    }
}

// ---------------------------------------------------------------- progress

#[tokio::test]
async fn progress_is_reported_at_a_rate_a_person_can_watch() {
    // 256 pieces of 1 KiB, 4 ms apart: about a second.
    let server = Loopback::start(|_| {
        Reply::new(200, "application/zip", vec![1u8; 256 * 1024]).trickle(1024, Duration::from_millis(4))
    })
    .await;
    let client = client_for(&server.base_url);
    let calls = Arc::new(Mutex::new(Vec::<Progress>::new()));
    let record = calls.clone();
    let started = std::time::Instant::now();
    client
        .download_artifacts(1, ArtifactSource::Archive { job_id: 2 })
        .on_progress(move |p| record.lock().unwrap().push(p))
        .to_writer(&mut Vec::new())
        .await
        .unwrap();
    let took = started.elapsed();
    let calls = calls.lock().unwrap().clone();
    let most = (took.as_millis() / 100) as usize + 2;
    assert!(calls.len() <= most, "{} reports in {took:?}", calls.len());
    assert!(calls.len() >= 3, "{} reports in {took:?}", calls.len());
    assert_eq!(calls.first().map(|p| p.received), Some(0));
    assert_eq!(calls.last().map(|p| p.received), Some(256 * 1024), "the end is always reported");

    // With no interval, every chunk.
    let count = Arc::new(Mutex::new(0usize));
    let counter = count.clone();
    client
        .download_artifacts(1, ArtifactSource::Archive { job_id: 2 })
        .progress_interval(Duration::ZERO)
        .on_progress(move |_| *counter.lock().unwrap() += 1)
        .to_writer(&mut Vec::new())
        .await
        .unwrap();
    assert!(*count.lock().unwrap() > most, "{} reports", count.lock().unwrap());
}

#[test]
fn a_failed_jobs_judgement_is_the_platforms_or_its_own() {
    use gitlab_jobs::{FailureCategory, FailureReason};
    assert!(FailureReason::RunnerSystemFailure.is_platform_failure());
    assert!(!FailureReason::ScriptFailure.is_platform_failure());
    assert_eq!(FailureReason::NoUpdatesRunning.category(), FailureCategory::StuckOrTimeout);
    assert!(!FailureReason::from("a_reason_from_the_future").is_platform_failure());
    let _ = JobStatus::Failed;
}
