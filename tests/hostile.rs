//! The client against servers that misbehave on purpose: every body, number,
//! header, redirect and loop of theirs meets a bound, and a breach is a
//! clear error within seconds, never a crash, a hang, a secret sent
//! elsewhere or wrong bytes (SECURITY.md lists the guarantees).
//!
//! Memory is measured by a counting allocator, so the tests of this binary
//! run one at a time (`serial`): each reads the peak of bytes allocated
//! while it ran, the loopback servers' own included.

mod common;

use std::{
    alloc::{GlobalAlloc, Layout, System},
    io::Write,
    sync::{
        Arc, Mutex,
        atomic::{AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

use common::{
    PRIVATE_TOKEN, client_for, fast_retries,
    loopback::{Loopback, Reply, Seen},
};
use futures::{StreamExt, TryStreamExt};
use gitlab_jobs::{
    ArtifactProblem, ArtifactSource, Client, Error, ErrorExt, JobStatus, Paginate, Problem, log::LogSummary, types,
};

// ---------------------------------------------------------------- memory

struct Counting;

static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            let now = CURRENT.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        unsafe { System.dealloc(pointer, layout) };
        CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let moved = unsafe { System.realloc(pointer, layout, new_size) };
        if !moved.is_null() {
            // The old block is still held while the new one is filled.
            let now = CURRENT.fetch_add(new_size, Ordering::Relaxed) + new_size;
            PEAK.fetch_max(now, Ordering::Relaxed);
            CURRENT.fetch_sub(layout.size(), Ordering::Relaxed);
        }
        moved
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const MIB: usize = 1024 * 1024;

/// One test at a time, so that the peak is this test's.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    SERIAL.lock().await
}

/// Runs `work`, and returns its output with the most bytes allocated at once
/// while it ran, above what was allocated when it began.
async fn peak_of<F: Future>(work: F) -> (F::Output, usize) {
    let base = CURRENT.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let output = work.await;
    (output, PEAK.load(Ordering::Relaxed).saturating_sub(base))
}

// ---------------------------------------------------------------- helpers

fn job_json(id: u64) -> String {
    let mut job: serde_json::Value = serde_json::from_str(&common::fixture("real/job_newest.json")).unwrap();
    job["id"] = id.into();
    job.to_string()
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

/// A gzip body that inflates to `size` bytes of a JSON array that never
/// closes, made in pieces so that the test never holds the inflated body.
fn gzip_bomb(size: usize) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(b"[").unwrap();
    let piece = vec![b' '; MIB];
    for _ in 0..size / MIB {
        encoder.write_all(&piece).unwrap();
    }
    encoder.finish().unwrap()
}

fn display_and_debug(error: &Error) -> (String, String) {
    (error.to_string(), format!("{error:?}"))
}

fn assert_short(error: &Error) {
    let (display, debug) = display_and_debug(error);
    assert!(display.len() < 8 * 1024, "Display is {} bytes: {}…", display.len(), &display[..200.min(display.len())]);
    assert!(debug.len() < 8 * 1024, "Debug is {} bytes", debug.len());
    assert!(error.describe().len() < 8 * 1024);
}

// ---------------------------------------------------------------- bodies

#[tokio::test]
async fn a_gzip_bomb_of_a_gibibyte_stops_at_the_limit_in_bounded_memory() {
    let _serial = serial().await;
    let bomb = gzip_bomb(1024 * MIB);
    assert!(bomb.len() < 8 * MIB, "the bomb is {} bytes compressed", bomb.len());
    let server = Loopback::start(move |_| Reply::json(200, bomb.clone()).header("content-encoding", "gzip")).await;
    let client = client_for(&server.base_url);

    let started = Instant::now();
    let (result, peak) = peak_of(client.get_job().id(1).job_id(2).send()).await;

    let error = result.unwrap_err();
    let api = error.api_error().expect("an answer the client could not use");
    assert!(
        matches!(&api.problem, Problem::TooLarge { limit, operation } if *limit == 64 * MIB as u64 && operation == "get_job"),
        "{:?}",
        api.problem
    );
    let text = error.describe();
    assert!(text.contains("64 MiB") && text.contains("get_job") && text.contains("max_body_bytes"), "{text}");
    assert!(peak < 256 * MIB, "peak {} MiB", peak / MIB);
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_short(&error);
    assert_eq!(server.seen().len(), 1, "a body too large is not asked for again");
}

#[tokio::test]
async fn an_endless_json_page_ends_at_the_limit_and_its_connection_is_dropped() {
    let _serial = serial().await;
    let job = job_json(1);
    let server = Loopback::start(move |_| Reply::json(200, format!("[{job}")).endless(format!(",{job}"))).await;
    let client = client_for(&server.base_url);

    let (results, peak) = peak_of(client.list_project_jobs().id(1).stream().collect::<Vec<_>>()).await;

    assert_eq!(results.len(), 1, "no job of a page that never ends");
    let error = results.into_iter().next().unwrap().unwrap_err();
    assert!(matches!(error.api_error().map(|a| &a.problem), Some(Problem::TooLarge { .. })), "{error}");
    assert!(peak < 256 * MIB, "peak {} MiB", peak / MIB);
    // The server could write what the client read and what the sockets
    // buffer, not more: the connection was dropped at the limit.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let sent = server.sent();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(server.sent(), sent, "the server is still sending");
    assert!(sent < 80 * MIB as u64, "the server sent {} MiB", sent / MIB as u64);
    assert_short(&error);
}

#[tokio::test]
async fn a_smaller_limit_is_the_callers_and_a_body_under_it_is_read() {
    let _serial = serial().await;
    let job = job_json(7);
    let size = job.len();
    let body = gzip(job.as_bytes());
    let server = Loopback::start(move |_| Reply::json(200, body.clone()).header("content-encoding", "gzip")).await;
    let small =
        Client::builder(&server.base_url).private_token(PRIVATE_TOKEN).max_body_bytes(size as u64 - 1).build().unwrap();
    let error = small.get_job().id(1).job_id(7).send().await.unwrap_err();
    assert!(error.describe().contains(&format!("{} bytes", size - 1)), "{}", error.describe());
    let enough =
        Client::builder(&server.base_url).private_token(PRIVATE_TOKEN).max_body_bytes(size as u64).build().unwrap();
    assert_eq!(enough.get_job().id(1).job_id(7).send().await.unwrap().id, 7);
    // A Content-Length past the limit fails before a byte is read.
    let plain = Loopback::start(|_| Reply::json(200, vec![b' '; 4 * MIB])).await;
    let client = Client::builder(&plain.base_url).max_body_bytes(MIB as u64).build().unwrap();
    let error = client.get_job().id(1).job_id(7).send().await.unwrap_err();
    assert!(matches!(error.api_error().map(|a| &a.problem), Some(Problem::TooLarge { .. })), "{error}");
}

#[tokio::test]
async fn errors_stay_short_whatever_the_body_or_the_headers() {
    let _serial = serial().await;
    let megabyte_html = format!("<html>{}</html>", "<p>bad gateway</p>".repeat(60_000));
    let html = megabyte_html.clone();
    let bad_json = format!("{{\"id\":1,\"name\":\"{}\",\"status\":42}}", "n".repeat(MIB));
    let bad = bad_json.clone();
    let server = Loopback::start(move |seen| match seen.path() {
        "/api/v4/projects/1/jobs/1" => Reply::new(500, "text/html", html.clone()),
        "/api/v4/projects/1/jobs/2" => Reply::new(200, "text/html", html.clone()),
        "/api/v4/projects/1/jobs/3" => Reply::json(200, bad.clone()),
        "/api/v4/projects/1/jobs/4" => Reply::json(200, bad.clone()).cut_after(MIB / 2),
        _ => {
            let mut reply = Reply::json(404, r#"{"message":"404 Not found"}"#);
            for i in 0..90 {
                reply = reply.header(&format!("x-filler-{i}"), "f".repeat(2000));
            }
            reply
        }
    })
    .await;
    let client = Client::builder(&server.base_url).private_token(PRIVATE_TOKEN).no_retry().build().unwrap();
    for job in 1..=5 {
        let error = client.get_job().id(1).job_id(job).send().await.unwrap_err();
        assert_short(&error);
    }
    let error = client.get_job().id(1).job_id(3).send().await.unwrap_err();
    match &error {
        Error::InvalidResponsePayload(excerpt, parse) => {
            assert!(excerpt.len() <= gitlab_jobs::MAX_PAYLOAD_EXCERPT + 6);
            assert!(parse.to_string().contains("line 1"), "{parse}");
        }
        other => panic!("expected the payload's error, got {other}"),
    }
}

// ---------------------------------------------------------------- loops

/// A pipeline's jobs page by page, each headed by `headers(page)`.
async fn offset_pages(headers: impl Fn(u64) -> Vec<(&'static str, String)> + Send + Sync + 'static) -> Loopback {
    let job = job_json(1);
    Loopback::start(move |seen| {
        let page: u64 = seen.query("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let mut reply = Reply::json(200, format!("[{job}]"));
        for (name, value) in headers(page) {
            reply = reply.header(name, value);
        }
        reply
    })
    .await
}

#[tokio::test]
async fn page_numbers_of_two_to_the_32_or_64_end_the_stream_without_a_panic() {
    let _serial = serial().await;
    for next in ["4294967295", "18446744073709551615", "4294967296", "99999999999999999999999999"] {
        let server = offset_pages(move |_| vec![("x-page", "1".into()), ("x-next-page", next.into())]).await;
        let client = client_for(&server.base_url);
        let results: Vec<_> = client.list_pipeline_jobs().id(1).pipeline_id(2).stream().take(50).collect().await;
        assert_eq!(results.len(), 2, "{next}: the page's job, then the error");
        let error = results[1].as_ref().unwrap_err();
        assert!(matches!(error.api_error().map(|a| &a.problem), Some(Problem::Refused { .. })), "{next}: {error}");
        assert!(error.describe().to_lowercase().contains("x-next-page"), "{}", error.describe());
    }
    // A total of 2^32-1 pages plans requests a few at a time; an empty page ends it.
    let job = job_json(1);
    let server = Loopback::start(move |seen| {
        let page: u64 = seen.query("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let body = if page <= 3 { format!("[{job}]") } else { "[]".into() };
        Reply::json(200, body)
            .header("x-page", page.to_string())
            .header("x-next-page", (page + 1).to_string())
            .header("x-total-pages", "4294967295")
    })
    .await;
    let client = client_for(&server.base_url);
    let jobs: Vec<_> = client.list_pipeline_jobs().id(1).pipeline_id(2).stream().take(50).try_collect().await.unwrap();
    assert_eq!(jobs.len(), 3);
    assert!(server.seen().len() <= 3 + gitlab_jobs::DEFAULT_PAGES_IN_FLIGHT + 1, "{} requests", server.seen().len());
    // So does a total of 2^64-1, which is no total at all.
    let server = offset_pages(|page| {
        vec![
            ("x-page", page.to_string()),
            ("x-next-page", if page < 3 { (page + 1).to_string() } else { String::new() }),
            ("x-total-pages", "18446744073709551615".into()),
        ]
    })
    .await;
    let client = client_for(&server.base_url);
    let jobs: Vec<_> = client.list_pipeline_jobs().id(1).pipeline_id(2).stream().try_collect().await.unwrap();
    assert_eq!(jobs.len(), 3);
}

#[tokio::test]
async fn an_offset_page_that_leads_back_or_skips_ahead_is_an_error() {
    let _serial = serial().await;
    for (next, says) in [("1", "go back"), ("3", "go back"), ("9", "skipped")] {
        let server = offset_pages(move |page| {
            let next = if page == 3 { next.to_owned() } else { (page + 1).to_string() };
            vec![("x-page", page.to_string()), ("x-next-page", next)]
        })
        .await;
        let client = client_for(&server.base_url);
        let results: Vec<_> = client.list_pipeline_jobs().id(1).pipeline_id(2).stream().take(50).collect().await;
        assert_eq!(results.len(), 4, "three pages of one job, then the error");
        assert!(results[3].as_ref().unwrap_err().describe().contains(says), "{:?}", results[3]);
    }
}

#[tokio::test]
async fn a_keyset_chain_back_to_an_earlier_cursor_ends_in_an_error_within_seconds() {
    let _serial = serial().await;
    let job = job_json(1);
    // First page → A → B → A → B …
    let server = Loopback::start(move |seen| {
        let next = match seen.query("cursor").as_deref() {
            None | Some("B") => "A",
            _ => "B",
        };
        let link =
            format!("<http://gitlab.test{}?cursor={next}&pagination=keyset&per_page=100>; rel=\"next\"", seen.path());
        Reply::json(200, format!("[{job}]")).header("link", link)
    })
    .await;
    let client = client_for(&server.base_url);
    let started = Instant::now();
    // At most 50 items, so that a loop the client missed fails the test
    // rather than hanging it.
    let results: Vec<_> = client.list_project_jobs().id(1).stream().take(50).collect().await;
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(results.len(), 4, "the first page, A, B, then the error: {results:?}");
    let error = results[3].as_ref().unwrap_err();
    assert!(error.describe().contains("leads back to a page of the list already read"), "{}", error.describe());
    assert!(server.seen().len() <= 4, "{} requests", server.seen().len());
}

#[tokio::test]
async fn a_keyset_cursor_that_does_not_move_is_a_loop_too() {
    let _serial = serial().await;
    let job = job_json(1);
    let server = Loopback::start(move |seen| {
        let link = format!("<http://gitlab.test{}?cursor=same&pagination=keyset>; rel=\"next\"", seen.path());
        Reply::json(200, format!("[{job}]")).header("link", link)
    })
    .await;
    let client = client_for(&server.base_url);
    let results: Vec<_> = client.list_project_jobs().id(1).stream().take(50).collect().await;
    assert_eq!(results.len(), 3, "{results:?}");
    assert!(results[2].is_err());
}

// ---------------------------------------------------------------- the decoder

/// A log that opens 64 nested sections, then 1.6 MB of `x\e[999C`, which a
/// terminal pads to a line of spaces.
fn amplifying_log() -> Vec<u8> {
    let mut log = Vec::new();
    for i in 0..64 {
        log.extend(format!("\x1b[0Ksection_start:1700000000:s{i}\r\x1b[0Kopen {i}\n").as_bytes());
    }
    log.extend(b"x\x1b[999C".repeat(230_000));
    log.push(b'\n');
    log
}

#[tokio::test]
async fn logs_that_amplify_decode_and_summarise_in_bounded_memory() {
    let _serial = serial().await;
    let log = amplifying_log();
    assert!(log.len() > 1_600_000);
    let (summary, peak) = peak_of(async { LogSummary::of_bytes(&log, 10) }).await;
    assert!(peak < 64 * MIB, "summary peak {} MiB", peak / MIB);
    assert_eq!(summary.sections().len(), 64);
    assert!(summary.tail().lines().all(|line| line.chars().count() <= gitlab_jobs::log::MAX_LINE_BYTES));

    // Through the client: the tail of lines, from a server without ranges.
    let served = log.clone();
    let server = Loopback::start(move |seen| match seen.path() {
        "/api/v4/projects/1/jobs/2/trace" => Reply::text(200, served.clone()),
        _ => Reply::json(404, r#"{"message":"404 Not found"}"#),
    })
    .await;
    let client = client_for(&server.base_url);
    let (lines, peak) = peak_of(client.job_log_tail_lines(1, 2, 10)).await;
    assert_eq!(lines.unwrap().len(), 10);
    assert!(peak < 64 * MIB, "tail peak {} MiB", peak / MIB);
}

#[tokio::test]
async fn a_log_of_only_section_markers_keeps_a_bounded_summary() {
    let _serial = serial().await;
    let mut log = Vec::new();
    for i in 0..20_000 {
        log.extend(format!("\x1b[0Ksection_start:1:s{i}\r\x1b[0K\x1b[0Ksection_end:2:s{i}\r\x1b[0K\n").as_bytes());
    }
    let (summary, peak) = peak_of(async { LogSummary::of_bytes(&log, 10) }).await;
    assert!(summary.sections().len() <= gitlab_jobs::log::MAX_SECTIONS * 5 / 4);
    assert_eq!(summary.sections().len() + summary.sections_omitted(), 20_000);
    assert_eq!(summary.sections().last().unwrap().name, "s19999", "the most recent sections are kept");
    assert!(peak < 16 * MIB, "peak {} MiB", peak / MIB);
}

// ---------------------------------------------------------------- redirects

/// A second origin that records what reaches it.
async fn elsewhere() -> Loopback {
    Loopback::start(|_| Reply::json(200, job_json(666))).await
}

#[tokio::test]
async fn a_write_redirected_to_another_origin_is_an_error_and_sends_nothing_there() {
    let _serial = serial().await;
    let other = elsewhere().await;
    for status in [301, 302, 303, 307, 308] {
        let target = format!("{}/api/v4/projects/1/jobs/2/play", other.base_url);
        let server = Loopback::start(move |_| Reply::text(status, "moved").header("location", target.clone())).await;
        let client = client_for(&server.base_url);
        let variables = vec![types::JobVariable { key: "SECRET".into(), value: "hunter2".into() }];
        let play = client
            .play_job()
            .id(1)
            .job_id(2)
            .body(types::PlayJobRequest { job_variables_attributes: variables, ..Default::default() })
            .send()
            .await;
        let error = play.unwrap_err();
        let api = error.api_error().expect("the redirect is the answer");
        assert!(
            matches!(&api.problem, Problem::RedirectRefused { reason, .. } if reason.contains("another origin")),
            "{status}: {:?}",
            api.problem
        );
        assert_eq!(error.http_status().map(|s| s.as_u16()), Some(status));
        let cancel = client.cancel_job().id(1).job_id(2).send().await.unwrap_err();
        assert!(matches!(cancel.api_error().map(|a| &a.problem), Some(Problem::RedirectRefused { .. })), "{status}");
        let delete = client.delete_job_artifacts().id(1).job_id(2).send().await.unwrap_err();
        assert!(matches!(delete.api_error().map(|a| &a.problem), Some(Problem::RedirectRefused { .. })), "{status}");
        assert_eq!(server.seen().len(), 3, "{status}: each write sent once");
    }
    assert!(other.seen().is_empty(), "nothing reached the other origin: {:?}", other.seen());
}

#[tokio::test]
async fn a_write_is_not_turned_into_a_read_on_its_own_origin_but_follows_303_and_307() {
    let _serial = serial().await;
    let job = job_json(2);
    let server = Loopback::start(move |seen| match (seen.method.as_str(), seen.path()) {
        ("POST", "/api/v4/projects/1/jobs/2/play") => {
            Reply::text(302, "moved").header("location", "/api/v4/projects/1/jobs/2/played")
        }
        ("POST", "/api/v4/projects/1/jobs/2/retry") => {
            Reply::text(303, "see").header("location", "/api/v4/projects/1/jobs/3")
        }
        ("POST", "/api/v4/projects/1/jobs/2/cancel") => {
            Reply::text(307, "again").header("location", "/api/v4/projects/1/jobs/2/cancel2")
        }
        ("POST", "/api/v4/projects/1/jobs/2/cancel2") => Reply::json(201, job.clone()),
        ("GET", "/api/v4/projects/1/jobs/3") => Reply::json(201, job.clone()),
        _ => Reply::json(404, r#"{"message":"404 Not found"}"#),
    })
    .await;
    let client = client_for(&server.base_url);
    let error = client.play_job().id(1).job_id(2).send().await.unwrap_err();
    assert!(error.describe().contains("would become a GET"), "{}", error.describe());
    assert!(error.describe().contains("302"), "{}", error.describe());
    assert_eq!(client.retry_job().id(1).job_id(2).send().await.unwrap().id, 2);
    assert_eq!(client.cancel_job().id(1).job_id(2).send().await.unwrap().id, 2);
    let seen: Vec<_> = server.seen().iter().map(|s| format!("{} {}", s.method, s.path())).collect();
    assert_eq!(
        seen,
        [
            "POST /api/v4/projects/1/jobs/2/play",
            "POST /api/v4/projects/1/jobs/2/retry",
            "GET /api/v4/projects/1/jobs/3",
            "POST /api/v4/projects/1/jobs/2/cancel",
            "POST /api/v4/projects/1/jobs/2/cancel2",
        ]
    );
}

#[tokio::test]
async fn a_redirect_loop_says_too_many_redirects_and_lists_the_chain() {
    let _serial = serial().await;
    let server = Loopback::start(|seen| {
        let hop: u32 = seen.query("hop").and_then(|h| h.parse().ok()).unwrap_or(0);
        Reply::text(302, "").header("location", format!("{}?hop={}", seen.path(), hop + 1))
    })
    .await;
    let client = client_for(&server.base_url);
    let error = client.get_job().id(1).job_id(2).send().await.unwrap_err();
    let api = error.api_error().unwrap();
    assert!(matches!(&api.problem, Problem::TooManyRedirects { chain } if chain.len() == 12), "{:?}", api.problem);
    assert!(error.describe().contains("too many redirects"), "{}", error.describe());
    assert_eq!(server.seen().len(), 11, "the first request and ten redirects");
    assert_short(&error);
}

#[tokio::test]
async fn reads_follow_redirects_to_another_origin_without_the_token() {
    let _serial = serial().await;
    let other = elsewhere().await;
    let target = format!("{}/elsewhere", other.base_url);
    let server = Loopback::start(move |_| Reply::text(302, "").header("location", target.clone())).await;
    let client = client_for(&server.base_url);
    assert_eq!(client.get_job().id(1).job_id(2).send().await.unwrap().id, 666);
    let there = &other.seen()[0];
    assert_eq!(there.header("private-token"), None);
    assert_eq!(server.seen()[0].header("private-token"), Some(PRIVATE_TOKEN));
}

#[tokio::test]
async fn a_presigned_query_never_shows_in_an_error() {
    let _serial = serial().await;
    let storage =
        Loopback::start(|_| Reply::new(403, "application/xml", "<Error><Code>AccessDenied</Code></Error>")).await;
    let signed = format!("{}/bucket/a.zip?X-Amz-Signature=sig-secret&X-Amz-Credential=cred-secret", storage.base_url);
    let location = signed.clone();
    let server = Loopback::start(move |_| Reply::text(302, "").header("location", location.clone())).await;
    let client = client_for(&server.base_url);
    let Err(error) = client.download_job_artifacts().id(1).job_id(2).send().await else { panic!("storage said 403") };
    for text in [error.to_string(), format!("{error:?}"), error.describe()] {
        assert!(!text.contains("sig-secret") && !text.contains("cred-secret"), "{text}");
    }
    assert_eq!(error.http_status().map(|s| s.as_u16()), Some(403));
    // The same through the artifact download, whose error explains the 403.
    let error = client
        .download_artifacts(1, ArtifactSource::Archive { job_id: 2 })
        .to_writer(&mut Vec::new())
        .await
        .unwrap_err();
    for text in [error.to_string(), format!("{error:?}")] {
        assert!(!text.contains("sig-secret") && !text.contains("cred-secret"), "{text}");
    }
    // A refused redirect shows its Location without the query.
    let location = signed.clone();
    let refusing = Loopback::start(move |_| Reply::text(307, "").header("location", location.clone())).await;
    let client = client_for(&refusing.base_url);
    let error = client.cancel_job().id(1).job_id(2).send().await.unwrap_err();
    for text in [error.to_string(), format!("{error:?}"), error.describe()] {
        assert!(!text.contains("sig-secret"), "{text}");
    }
}

// ---------------------------------------------------------------- resumes

/// An artifact server: the first answer is cut after `cut` bytes; later
/// answers come from `later` (the artifact as it is by then).
async fn artifact_server(
    first: Vec<u8>,
    cut: usize,
    etag: Option<&'static str>,
    later: Vec<u8>,
    later_etag: Option<&'static str>,
) -> Loopback {
    let count = Arc::new(Mutex::new(0usize));
    Loopback::start(move |seen: &Seen| {
        let mut n = count.lock().unwrap();
        *n += 1;
        let (body, tag) = if *n == 1 { (&first, etag) } else { (&later, later_etag) };
        let range =
            seen.header("range").and_then(|r| r.strip_prefix("bytes=")?.strip_suffix('-')?.parse::<usize>().ok());
        let if_range_holds = seen.header("if-range").is_some() && seen.header("if-range") == tag;
        let mut reply = match range {
            Some(from) if if_range_holds && from < body.len() => {
                Reply::new(206, "application/zip", body[from..].to_vec())
                    .header("content-range", format!("bytes {from}-{}/{}", body.len() - 1, body.len()))
            }
            _ => Reply::new(200, "application/zip", body.clone()),
        };
        if *n == 1 {
            reply = reply.cut_after(cut);
        }
        match tag {
            Some(tag) => reply.header("etag", tag),
            None => reply,
        }
    })
    .await
}

fn archive(byte: u8) -> Vec<u8> {
    (0..200_000u32).map(|i| (i % 251) as u8 ^ byte).collect()
}

async fn download(server: &Loopback) -> Result<Vec<u8>, gitlab_jobs::ArtifactError> {
    let client = client_for(&server.base_url);
    let mut out = Vec::new();
    client.download_artifacts(1, ArtifactSource::Archive { job_id: 2 }).to_writer(&mut out).await.map(|_| out)
}

#[tokio::test]
async fn an_artifact_changed_between_a_cut_and_its_resume_is_never_spliced() {
    let _serial = serial().await;
    let (old, new) = (archive(0), archive(1));
    // With validators: the resume asks If-Range, the new version comes whole
    // with its own ETag: an error, nothing of it written.
    let server = artifact_server(old.clone(), 50_000, Some("\"v1\""), new.clone(), Some("\"v2\"")).await;
    let error = download(&server).await.unwrap_err();
    assert!(matches!(error.problem(), Some(ArtifactProblem::Changed { written: 50_000 })), "{error}");
    assert_eq!(server.seen()[1].header("if-range"), Some("\"v1\""));
    // Without any: the whole artifact again, whose first bytes differ.
    let server = artifact_server(old.clone(), 50_000, None, new.clone(), None).await;
    let error = download(&server).await.unwrap_err();
    assert!(matches!(error.problem(), Some(ArtifactProblem::Changed { .. })), "{error}");
    assert_eq!(server.seen()[1].header("range"), None, "no range without a validator");
    // Without validators and unchanged: resumed from the start, byte-exact.
    let server = artifact_server(old.clone(), 50_000, None, old.clone(), None).await;
    assert_eq!(download(&server).await.unwrap(), old);
    // With a validator and unchanged: only the rest travels.
    let server = artifact_server(old.clone(), 50_000, Some("\"v1\""), old.clone(), Some("\"v1\"")).await;
    assert_eq!(download(&server).await.unwrap(), old);
    assert_eq!(server.seen()[1].header("range"), Some("bytes=50000-"));
    // A change of size behind the same ETag is a change too.
    let longer = [old.clone(), vec![9; 10]].concat();
    let server = artifact_server(old.clone(), 50_000, Some("\"v1\""), longer, Some("\"v1\"")).await;
    let error = download(&server).await.unwrap_err();
    assert!(matches!(error.problem(), Some(ArtifactProblem::Changed { .. })), "{error}");
}

#[tokio::test]
async fn a_range_that_does_not_continue_the_download_is_refused() {
    let _serial = serial().await;
    let old = archive(0);
    let served = old.clone();
    let count = Arc::new(Mutex::new(0usize));
    let server = Loopback::start(move |_| {
        let mut n = count.lock().unwrap();
        *n += 1;
        match *n {
            1 => Reply::new(200, "application/zip", served.clone()).header("etag", "\"v1\"").cut_after(50_000),
            // Bytes from 40,000, where 50,000 were asked for.
            _ => Reply::new(206, "application/zip", served[40_000..].to_vec())
                .header("etag", "\"v1\"")
                .header("content-range", format!("bytes 40000-{}/{}", served.len() - 1, served.len())),
        }
    })
    .await;
    let error = download(&server).await.unwrap_err();
    let text = error.to_string();
    assert!(text.contains("bytes from 50000 were asked for"), "{text}");
    assert!(!text.contains("not sent"), "{text}");
}

#[tokio::test]
async fn a_server_that_sends_a_byte_and_breaks_is_given_up_on_after_the_resumes_allowed() {
    let _serial = serial().await;
    let old = archive(0);
    let served = old.clone();
    let server = Loopback::start(move |seen| {
        let from =
            seen.header("range").and_then(|r| r.strip_prefix("bytes=")?.strip_suffix('-')?.parse::<usize>().ok());
        let reply = match from {
            Some(from) => Reply::new(206, "application/zip", served[from..].to_vec())
                .header("content-range", format!("bytes {from}-{}/{}", served.len() - 1, served.len())),
            None => Reply::new(200, "application/zip", served.clone()),
        };
        reply.header("etag", "\"v1\"").cut_after(1)
    })
    .await;
    let started = Instant::now();
    let error = download(&server).await.unwrap_err();
    assert!(matches!(error.problem(), Some(ArtifactProblem::Broken { resumes: 16, written: 17 })), "{error}");
    assert_eq!(server.seen().len(), 17, "the first request and 16 resumes");
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn a_job_log_resumes_only_across_growth_and_never_splices_a_changed_log() {
    let _serial = serial().await;
    let log = b"line one\nline two\nline three\n".repeat(5_000);
    let grown = [log.clone(), b"line four\n".to_vec()].concat();
    let rewritten: Vec<u8> = log.iter().map(|b| b.to_ascii_uppercase()).collect();
    for (later, ok) in [(grown.clone(), true), (rewritten, false)] {
        let first = log.clone();
        let count = Arc::new(Mutex::new(0usize));
        let server = Loopback::start(move |_| {
            let mut n = count.lock().unwrap();
            *n += 1;
            match *n {
                1 => Reply::text(200, first.clone()).header("etag", "\"a\"").cut_after(40_000),
                _ => Reply::text(200, later.clone()).header("etag", "\"b\""),
            }
        })
        .await;
        let client = client_for(&server.base_url);
        let chunks: Vec<Result<bytes::Bytes, Error>> = client.job_log(1, 2).collect().await;
        let delivered: Vec<u8> = chunks.iter().filter_map(|c| c.as_ref().ok()).flat_map(|c| c.to_vec()).collect();
        match ok {
            true => assert_eq!(delivered, grown, "a grown log continues"),
            false => {
                let error = chunks.last().unwrap().as_ref().unwrap_err();
                assert!(error.describe().contains("changed"), "{}", error.describe());
                assert_eq!(delivered, log[..40_000].to_vec(), "nothing of the other log");
            }
        }
    }
}

// ---------------------------------------------------------------- time

#[tokio::test]
async fn a_body_of_one_byte_every_two_seconds_ends_at_the_deadline() {
    let _serial = serial().await;
    let job = job_json(1);
    let server = Loopback::start(move |_| Reply::json(200, job.clone()).trickle(1, Duration::from_secs(2))).await;
    let client = Client::builder(&server.base_url)
        .private_token(PRIVATE_TOKEN)
        .retry(fast_retries())
        .deadline(Duration::from_secs(3))
        .build()
        .unwrap();
    let started = Instant::now();
    let error = client.get_job().id(1).job_id(1).send().await.unwrap_err();
    let waited = started.elapsed();
    assert!(waited >= Duration::from_secs(3) && waited < Duration::from_secs(5), "{waited:?}");
    assert!(error.describe().contains("deadline of 3s"), "{}", error.describe());
    assert!(error.describe().contains("the request was sent"), "{}", error.describe());
    assert_eq!(server.seen().len(), 1, "no attempt the deadline would cut off");
}

#[tokio::test]
async fn a_download_with_a_deadline_ends_at_it_and_one_without_is_not_cut() {
    let _serial = serial().await;
    let server =
        Loopback::start(|_| Reply::new(200, "application/zip", vec![7u8; 20]).trickle(1, Duration::from_millis(100)))
            .await;
    let client = client_for(&server.base_url);
    let started = Instant::now();
    let error = client
        .download_artifacts(1, ArtifactSource::Archive { job_id: 2 })
        .deadline(Duration::from_millis(700))
        .to_writer(&mut Vec::new())
        .await
        .unwrap_err();
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(error.to_string().contains("deadline"), "{error}");
    // A client deadline shorter than the download does not apply to it.
    let short = Client::builder(&server.base_url).deadline(Duration::from_millis(300)).build().unwrap();
    let mut out = Vec::new();
    short.download_artifacts(1, ArtifactSource::Archive { job_id: 2 }).to_writer(&mut out).await.unwrap();
    assert_eq!(out, vec![7u8; 20]);
}

#[tokio::test]
async fn a_head_larger_than_the_limit_is_a_protocol_error_and_not_retried() {
    let _serial = serial().await;
    let server = Loopback::start(|_| Reply::json(200, "{}").header("x-huge", "h".repeat(2 * MIB))).await;
    let client = client_for(&server.base_url);
    let error = client.get_job().id(1).job_id(2).send().await.unwrap_err();
    assert!(matches!(error, Error::CommunicationError(_)), "{error}");
    assert_eq!(server.seen().len(), 1, "sent once: the server would send it again");
}

#[tokio::test]
async fn a_job_status_read_after_all_this_still_works() {
    // The bounds leave ordinary answers alone: a job, a page, a log.
    let _serial = serial().await;
    let job = job_json(5);
    let server = Loopback::start(move |seen| match seen.path() {
        "/api/v4/projects/1/jobs/5" => Reply::json(200, job.clone()),
        "/api/v4/projects/1/jobs" => Reply::json(200, format!("[{job}]")),
        _ => Reply::text(200, "a log\n"),
    })
    .await;
    let client = client_for(&server.base_url);
    assert_eq!(client.get_job().id(1).job_id(5).send().await.unwrap().status, JobStatus::Failed);
    assert_eq!(client.list_project_jobs().id(1).stream().try_collect::<Vec<_>>().await.unwrap().len(), 1);
    assert_eq!(client.job_log(1, 5).try_collect::<Vec<_>>().await.unwrap().concat(), b"a log\n");
}
