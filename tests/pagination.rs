//! `Paginate::stream` against a loopback GitLab that pages 2,500 jobs the way
//! GitLab does: keyset with `Link rel="next"`, offset with `X-Next-Page` (an
//! empty string on the last page) and no totals for project jobs.

mod common;

use std::sync::Arc;

use common::{loopback::*, *};
use futures::{StreamExt, TryStreamExt};
use gitlab_jobs::{ErrorExt, JobScope, Paginate};

const TOTAL: i64 = 2_500;

#[derive(Clone, Copy, PartialEq)]
enum Server {
    /// GitLab 15.9 and later.
    Keyset,
    /// Before 15.9: `pagination=keyset` is an unknown parameter and ignored.
    IgnoresKeyset,
    /// Keyset not available for this request: 405.
    RefusesKeyset,
}

/// The jobs, newest (highest id) first, as JSON text ready to join into pages.
fn job_bodies() -> Arc<Vec<(i64, String)>> {
    let template = fixture_json("real/job_2021.json");
    Arc::new(
        (1..=TOTAL)
            .rev()
            .map(|id| {
                let mut job = template.clone();
                job["id"] = id.into();
                // Bridges always carry this key; jobs ignore it.
                job["downstream_pipeline"] = serde_json::Value::Null;
                (id, job.to_string())
            })
            .collect(),
    )
}

/// Answers list requests as GitLab does; every other path is a 404.
async fn gitlab(server: Server, fail_on_page: Option<u32>) -> Loopback {
    let jobs = job_bodies();
    Loopback::start(move |seen| {
        let per_page = seen.query("per_page").and_then(|p| p.parse().ok()).unwrap_or(20usize).min(100);
        let keyset = seen.query("pagination").as_deref() == Some("keyset") && server != Server::IgnoresKeyset;
        if keyset && server == Server::RefusesKeyset {
            return Reply::json(405, r#"{"error":"Keyset pagination is not yet available for this type of request"}"#);
        }
        let base = format!("http://gitlab.test{}", seen.path());
        if keyset {
            let after =
                seen.query("cursor").map(|c| c.trim_start_matches("id<").trim_end_matches('=').parse::<i64>().unwrap());
            let page: Vec<_> = jobs.iter().filter(|(id, _)| after.is_none_or(|a| *id < a)).take(per_page).collect();
            let mut reply = page_reply(&page);
            let mut first = reqwest::Url::parse(&format!("http://gitlab.test{}", seen.target)).unwrap();
            let kept: Vec<(String, String)> = first
                .query_pairs()
                .filter(|(k, _)| k != "cursor")
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            first.query_pairs_mut().clear().extend_pairs(kept);
            let mut link = format!("<{first}>; rel=\"first\"");
            if let Some((last, _)) = page.last().filter(|(id, _)| *id > 1) {
                let mut next = first.clone();
                // GitLab's cursors are base64 with `=` padding, percent-encoded in the link.
                next.query_pairs_mut().append_pair("cursor", &format!("id<{last}=="));
                link = format!("<{next}>; rel=\"next\", {link}");
            }
            reply = reply.header("link", link);
            return reply;
        }
        let page_number: u32 = seen.query("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        if fail_on_page == Some(page_number) {
            return Reply::json(500, r#"{"message":"500 Internal Server Error"}"#);
        }
        let start = (page_number as usize - 1) * per_page;
        let page: Vec<_> = jobs.iter().skip(start).take(per_page).collect();
        let has_next = start + per_page < jobs.len();
        let next = if has_next { (page_number + 1).to_string() } else { String::new() };
        let prev = if page_number > 1 { (page_number - 1).to_string() } else { String::new() };
        let mut link = format!("<{base}?page=1&per_page={per_page}>; rel=\"first\"");
        if has_next {
            link = format!("<{base}?page={next}&per_page={per_page}>; rel=\"next\", {link}");
        }
        page_reply(&page)
            .header("x-page", page_number.to_string())
            .header("x-per-page", per_page.to_string())
            .header("x-next-page", next)
            .header("x-prev-page", prev)
            .header("link", link)
    })
    .await
}

fn page_reply(page: &[&(i64, String)]) -> Reply {
    let body = format!("[{}]", page.iter().map(|(_, json)| json.as_str()).collect::<Vec<_>>().join(","));
    Reply::json(200, body)
}

/// The ids of every job a stream yields, in order.
async fn ids_of(jobs: futures::stream::BoxStream<'_, Result<gitlab_jobs::types::Job, gitlab_jobs::Error>>) -> Vec<i64> {
    jobs.map_ok(|job| job.id).try_collect().await.unwrap()
}

fn assert_all_jobs_once(ids: &[i64]) {
    assert_eq!(ids.len(), TOTAL as usize);
    assert!(ids.windows(2).all(|w| w[0] == w[1] + 1), "every job once, newest first");
    assert_eq!((ids[0], ids[ids.len() - 1]), (TOTAL, 1));
}

#[tokio::test]
async fn project_jobs_stream_over_keyset_pages_keeping_every_setter() {
    let server = gitlab(Server::Keyset, None).await;
    let client = client_for(&server.base_url);

    let ids = ids_of(
        client
            .list_project_jobs()
            .id("group/project")
            .scope(vec![JobScope::Failed, JobScope::Success])
            .ref_("main")
            .stream(),
    )
    .await;

    assert_all_jobs_once(&ids);
    let seen = server.seen();
    assert_eq!(seen.len(), 25, "2,500 jobs at 100 a page");
    for (i, request) in seen.iter().enumerate() {
        assert_eq!(request.path(), "/api/v4/projects/group%2Fproject/jobs");
        assert!(request.target.contains("scope%5B%5D=failed&scope%5B%5D=success"), "{}", request.target);
        assert_eq!(request.query("ref").as_deref(), Some("main"));
        assert_eq!(request.query("pagination").as_deref(), Some("keyset"));
        assert_eq!(request.query("per_page").as_deref(), Some("100"));
        assert_eq!(request.query("page"), None);
        assert_eq!(request.query("cursor").is_some(), i > 0, "{}", request.target);
    }
    assert_eq!(seen[1].query("cursor").as_deref(), Some("id<2401=="), "the cursor is decoded from the link");
}

#[tokio::test]
async fn pipeline_jobs_stream_over_offset_pages() {
    let server = gitlab(Server::Keyset, None).await;
    let client = client_for(&server.base_url);

    let ids = ids_of(client.list_pipeline_jobs().id(7).pipeline_id(42).include_retried(true).stream()).await;

    assert_all_jobs_once(&ids);
    let seen = server.seen();
    assert_eq!(seen.len(), 25);
    for (i, request) in seen.iter().enumerate() {
        assert_eq!(request.path(), "/api/v4/projects/7/pipelines/42/jobs");
        assert_eq!(request.query("page"), Some((i + 1).to_string()));
        assert_eq!(request.query("per_page").as_deref(), Some("100"));
        assert_eq!(request.query("include_retried").as_deref(), Some("true"));
        assert_eq!(request.query("pagination"), None);
    }
}

#[tokio::test]
async fn bridges_stream_over_offset_pages() {
    let server = gitlab(Server::Keyset, None).await;

    // The simulated server answers with jobs that also carry
    // `"downstream_pipeline": null`, so they read as untriggered bridges.
    let bridges: Vec<_> = client_for(&server.base_url)
        .list_pipeline_bridges()
        .id(7)
        .pipeline_id(42)
        .stream()
        .try_collect()
        .await
        .unwrap();

    assert_eq!(bridges.len(), TOTAL as usize);
    assert!(bridges.iter().all(|b| b.downstream_pipeline.is_none()));
    let seen = server.seen();
    assert_eq!(seen.len(), 25);
    assert!(
        seen.iter().enumerate().all(|(i, s)| s.path() == "/api/v4/projects/7/pipelines/42/bridges"
            && s.query("page") == Some((i + 1).to_string()))
    );
}

#[tokio::test]
async fn taking_five_jobs_makes_one_request() {
    let server = gitlab(Server::Keyset, None).await;
    let client = client_for(&server.base_url);

    let five: Vec<_> = client.list_project_jobs().id(1).stream().take(5).try_collect().await.unwrap();

    assert_eq!(five.len(), 5);
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_page_size_set_by_the_caller_is_kept() {
    let server = gitlab(Server::Keyset, None).await;

    let ids = ids_of(client_for(&server.base_url).list_project_jobs().id(1).per_page(50u32).stream()).await;

    assert_all_jobs_once(&ids);
    let seen = server.seen();
    assert_eq!(seen.len(), 50);
    assert!(seen.iter().all(|s| s.query("per_page").as_deref() == Some("50") && !s.target.contains("per_page=100")));
}

#[tokio::test]
async fn a_server_that_ignores_keyset_is_followed_by_offset_pages() {
    let server = gitlab(Server::IgnoresKeyset, None).await;

    let ids = ids_of(client_for(&server.base_url).list_project_jobs().id(1).stream()).await;

    assert_all_jobs_once(&ids);
    let seen = server.seen();
    assert_eq!(seen.len(), 25);
    assert_eq!(seen[0].query("page"), None);
    assert_eq!(seen[1].query("page").as_deref(), Some("2"));
    assert_eq!(seen[24].query("page").as_deref(), Some("25"));
}

#[tokio::test]
async fn a_server_that_refuses_keyset_is_read_with_offset_pages_from_the_start() {
    let server = gitlab(Server::RefusesKeyset, None).await;

    let ids = ids_of(client_for(&server.base_url).list_project_jobs().id(1).stream()).await;

    assert_all_jobs_once(&ids);
    let seen = server.seen();
    assert_eq!(seen.len(), 26, "one refused keyset request, then 25 offset pages");
    assert_eq!(seen[0].query("pagination").as_deref(), Some("keyset"));
    assert_eq!(seen[1].query("page").as_deref(), Some("1"));
    assert!(seen[1..].iter().all(|s| s.query("pagination").is_none()));
}

#[tokio::test]
async fn an_error_on_a_later_page_ends_the_stream_after_the_jobs_before_it() {
    let server = gitlab(Server::Keyset, Some(3)).await;

    let results: Vec<_> =
        client_for(&server.base_url).list_pipeline_jobs().id(1).pipeline_id(2).stream().collect().await;

    assert_eq!(results.len(), 201);
    assert!(results[..200].iter().all(Result::is_ok));
    let err = results[200].as_ref().unwrap_err();
    assert_eq!(err.http_status().map(|s| s.as_u16()), Some(500));
    assert_eq!(err.gitlab_message(), Some("500 Internal Server Error"));
}

#[tokio::test]
async fn an_empty_list_makes_one_request_and_ends() {
    let server = Loopback::script(vec![
        Reply::json(200, "[]").header("x-next-page", "").header("x-page", "1").header("x-prev-page", ""),
    ])
    .await;

    let jobs: Vec<_> =
        client_for(&server.base_url).list_pipeline_jobs().id(1).pipeline_id(2).stream().try_collect().await.unwrap();

    assert!(jobs.is_empty());
    assert_eq!(server.seen().len(), 1);
}

#[tokio::test]
async fn a_stream_reads_ahead_one_page_once_past_the_first_and_no_more() {
    let server = gitlab(Server::Keyset, None).await;
    let client = client_for(&server.base_url);
    let mut jobs = client.list_pipeline_jobs().id(7).pipeline_id(42).stream();

    // The whole first page: nothing is read ahead yet.
    for _ in 0..100 {
        jobs.next().await.unwrap().unwrap();
    }
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(server.seen().len(), 1, "still only the first page");

    // Past the first page: page 3 is asked for while the consumer reads page
    // 2 (each poll for an item also drives the request), and no more.
    let mut taken = 100;
    while taken < 190 {
        jobs.next().await.unwrap().unwrap();
        taken += 1;
        tokio::task::yield_now().await;
    }
    let pages: Vec<_> = server.seen().iter().map(|s| s.query("page").unwrap()).collect();
    assert_eq!(pages, ["1", "2", "3"]);
    tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    assert_eq!(server.seen().len(), 3, "at most one page ahead");

    // The rest comes in order, each job once.
    let mut ids: Vec<i64> = (0..taken).map(|i| TOTAL - i as i64).collect();
    ids.extend(ids_of(jobs).await);
    assert_all_jobs_once(&ids);
}

/// A pipeline's jobs over `pages` offset pages of 100 with `X-Total-Pages`,
/// each answer taking 40 ms; counts the requests in flight at once.
async fn slow_pipeline(pages: u32, rate_remaining: Option<u64>) -> (Loopback, Arc<std::sync::Mutex<(usize, usize)>>) {
    let jobs = job_bodies();
    let busy = Arc::new(std::sync::Mutex::new((0usize, 0usize))); // (now, most)
    let counter = busy.clone();
    let server = Loopback::start_async(move |seen| {
        let page_number: u32 = seen.query("page").and_then(|p| p.parse().ok()).unwrap_or(1);
        let jobs = jobs.clone();
        let counter = counter.clone();
        Box::pin(async move {
            {
                let mut busy = counter.lock().unwrap();
                busy.0 += 1;
                busy.1 = busy.1.max(busy.0);
            }
            tokio::time::sleep(std::time::Duration::from_millis(40)).await;
            counter.lock().unwrap().0 -= 1;
            let start = (page_number as usize - 1) * 100;
            let page: Vec<_> = jobs.iter().skip(start).take(100).collect();
            let next = if page_number < pages { (page_number + 1).to_string() } else { String::new() };
            let mut reply = page_reply(&page)
                .header("x-page", page_number.to_string())
                .header("x-next-page", next)
                .header("x-total-pages", pages.to_string())
                .header("x-total", (pages * 100).to_string());
            if let Some(left) = rate_remaining {
                reply = reply.header("ratelimit-remaining", left.to_string()).header("ratelimit-limit", "2000");
            }
            reply
        })
    })
    .await;
    (server, busy)
}

#[tokio::test]
async fn known_totals_bring_several_pages_at_once_in_page_order() {
    let (server, busy) = slow_pipeline(10, None).await;
    let client = client_for(&server.base_url);

    let ids = ids_of(client.list_pipeline_jobs().id(7).pipeline_id(42).stream_with_pages_in_flight(4)).await;

    assert_eq!(ids.len(), 1000);
    assert!(ids.windows(2).all(|w| w[0] == w[1] + 1), "in page order, each job once");
    let mut pages: Vec<u32> = server.seen().iter().map(|s| s.query("page").unwrap().parse().unwrap()).collect();
    pages.sort_unstable();
    assert_eq!(pages, (1..=10).collect::<Vec<_>>(), "each page once, none past the last");
    let most = busy.lock().unwrap().1;
    assert!((3..=4).contains(&most), "up to 4 requests at once, seen {most}");
}

#[tokio::test]
async fn a_low_rate_limit_brings_one_page_at_a_time() {
    let (server, busy) = slow_pipeline(6, Some(10)).await;
    let client = client_for(&server.base_url);

    let ids = ids_of(client.list_pipeline_jobs().id(7).pipeline_id(42).stream_with_pages_in_flight(4)).await;

    assert_eq!(ids.len(), 600);
    assert_eq!(server.seen().len(), 6);
    assert_eq!(busy.lock().unwrap().1, 1, "RateLimit-Remaining 10 < 50: one request at a time");
}

#[tokio::test]
async fn five_items_of_a_known_list_still_make_one_request() {
    let (server, _) = slow_pipeline(10, None).await;
    let client = client_for(&server.base_url);
    let five: Vec<_> = client.list_pipeline_jobs().id(7).pipeline_id(42).stream().take(5).try_collect().await.unwrap();
    assert_eq!(five.len(), 5);
    assert_eq!(server.seen().len(), 1);
}

/// A request as `watched_keyset` saw it: the page, how many jobs the
/// consumer had received then, and when.
type Watched = Arc<std::sync::Mutex<Vec<(usize, usize, std::time::Instant)>>>;

/// Keyset pages of 100 jobs addressed by page index, page 2's body sent
/// slowly (ten pieces, 100 ms apart) after its headers.
async fn watched_keyset(received: Arc<std::sync::atomic::AtomicUsize>) -> (Loopback, Watched) {
    let jobs = job_bodies();
    let requests: Watched = Arc::default();
    let log = requests.clone();
    let server = Loopback::start(move |seen| {
        let index: usize = seen.query("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
        let had = received.load(std::sync::atomic::Ordering::SeqCst);
        log.lock().unwrap().push((index + 1, had, std::time::Instant::now()));
        let page: Vec<_> = jobs.iter().skip(index * 100).take(100).collect();
        let mut reply = page_reply(&page);
        if (index + 1) * 100 < jobs.len() {
            let next = format!("http://gitlab.test{}?cursor={}&pagination=keyset&per_page=100", seen.path(), index + 1);
            reply = reply.header("link", format!("<{next}>; rel=\"next\""));
        }
        if index == 1 {
            let piece = reply.body.len().div_ceil(10);
            reply = reply.trickle(piece, std::time::Duration::from_millis(100));
        }
        reply
    })
    .await;
    (server, requests)
}

#[tokio::test]
async fn the_next_page_is_asked_for_on_this_ones_headers_and_never_two_ahead() {
    let received = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let (server, requests) = watched_keyset(received.clone()).await;
    let client = client_for(&server.base_url);

    let mut jobs = client.list_project_jobs().id(1).stream();
    let mut ids = Vec::new();
    while let Some(job) = jobs.next().await {
        ids.push(job.unwrap().id);
        received.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    assert_all_jobs_once(&ids);
    let requests = requests.lock().unwrap().clone();
    let pages: Vec<usize> = requests.iter().map(|(page, ..)| *page).collect();
    assert_eq!(pages, (1..=25).collect::<Vec<_>>(), "each page once, in order");
    // Page 3 is asked for on page 2's headers, while page 2's body (a
    // second in the sending) is still on its way.
    let (_, _, page_2_asked) = requests[1];
    let (_, had, page_3_asked) = requests[2];
    assert!(
        page_3_asked - page_2_asked < std::time::Duration::from_millis(500),
        "page 3 asked for {:?} after page 2, whose body takes a second",
        page_3_asked - page_2_asked
    );
    assert_eq!(had, 100, "the consumer had none of page 2's jobs yet");
    // Never more than one page ahead of the page the consumer waits for.
    for (page, had, _) in &requests[1..] {
        assert!(*had >= (page - 2) * 100, "page {page} asked for when the consumer had only {had} jobs");
    }
}

#[tokio::test]
async fn a_page_that_is_not_the_promised_json_ends_the_stream_with_the_excerpt_where_it_broke() {
    let jobs = job_bodies();
    let server = Loopback::start(move |seen| {
        let index: usize = seen.query("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
        let page: Vec<_> = jobs.iter().skip(index * 100).take(100).collect();
        let next = format!("http://gitlab.test{}?cursor={}&pagination=keyset", seen.path(), index + 1);
        let reply = page_reply(&page).header("link", format!("<{next}>; rel=\"next\""));
        if index != 1 {
            return reply;
        }
        // Page 2 is cut short before its closing bracket, large enough to be
        // parsed apart from the consumer.
        let mut body = format!("[{}", page.iter().map(|(_, json)| json.as_str()).collect::<Vec<_>>().join(","));
        assert!(body.len() > 64 * 1024);
        body.push(',');
        Reply::json(200, body).header("link", format!("<{next}>; rel=\"next\""))
    })
    .await;
    let client = client_for(&server.base_url);

    let results: Vec<_> = client.list_project_jobs().id(1).stream().collect().await;

    assert_eq!(results.len(), 101, "page 1's jobs, then the error, then the end");
    assert!(results[..100].iter().all(Result::is_ok));
    match &results[100] {
        Err(error @ gitlab_jobs::Error::InvalidResponsePayload(excerpt, parse)) => {
            assert!(parse.is_eof(), "{parse}");
            // The bytes where the parse stopped (the end), not the whole body,
            // which progenitor's Display would print.
            assert!(excerpt.len() <= gitlab_jobs::MAX_PAYLOAD_EXCERPT + 3, "{} bytes kept", excerpt.len());
            assert!(excerpt.starts_with("…".as_bytes()) && excerpt.ends_with(b"},"), "{excerpt:?}");
            assert!(error.to_string().len() < 8 * 1024);
        }
        other => panic!("expected the page's parse error, got {other:?}"),
    }
}

#[tokio::test]
async fn an_empty_page_ends_the_list_even_when_its_headers_pointed_further() {
    let jobs = job_bodies();
    let server = Loopback::start(move |seen| {
        let index: usize = seen.query("cursor").and_then(|c| c.parse().ok()).unwrap_or(0);
        // Page 3 comes back empty, though its Link still names a page 4.
        let page: Vec<_> = if index == 2 { Vec::new() } else { jobs.iter().skip(index * 100).take(100).collect() };
        let next = format!("http://gitlab.test{}?cursor={}&pagination=keyset", seen.path(), index + 1);
        page_reply(&page).header("link", format!("<{next}>; rel=\"next\""))
    })
    .await;
    let client = client_for(&server.base_url);

    let ids = ids_of(client.list_project_jobs().id(1).stream()).await;

    assert_eq!(ids, (TOTAL - 199..=TOTAL).rev().collect::<Vec<_>>(), "pages 1 and 2, nothing after the empty page");
    // Page 4 may have been asked for on page 3's headers, never page 5.
    let asked: Vec<String> = server.seen().iter().filter_map(|s| s.query("cursor")).collect();
    assert!(asked.len() <= 3 && !asked.contains(&"4".to_owned()), "{asked:?}");
}

#[tokio::test]
async fn a_page_answered_with_another_success_status_keeps_its_body() {
    let jobs = job_bodies();
    let server = Loopback::start(move |_| {
        let page: Vec<_> = jobs.iter().take(100).collect();
        let mut reply = page_reply(&page);
        reply.status = 203;
        reply
    })
    .await;
    let client = client_for(&server.base_url);

    let first = client.list_project_jobs().id(1).stream().next().await.unwrap();

    match first {
        Err(gitlab_jobs::Error::UnexpectedResponse(response)) => {
            assert_eq!(response.status().as_u16(), 203);
            let body = response.text().await.unwrap();
            assert!(body.contains(&format!("\"id\":{TOTAL}")), "the page's own body, not a stand-in");
        }
        other => panic!("expected the 203 as an unexpected response, got {other:?}"),
    }
}

#[tokio::test]
async fn a_dropped_stream_abandons_its_request_in_flight() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    // A keep-alive server that answers pages 1 and 2 and never page 3; it
    // notes when page 3 is asked for and when that connection is closed.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (asked, closed) = (Arc::new(tokio::sync::Notify::new()), Arc::new(tokio::sync::Notify::new()));
    let (asked_tx, closed_tx) = (asked.clone(), closed.clone());
    let jobs = job_bodies();
    let server = tokio::spawn(async move {
        loop {
            let (mut socket, _) = listener.accept().await.unwrap();
            let (jobs, asked, closed) = (jobs.clone(), asked_tx.clone(), closed_tx.clone());
            tokio::spawn(async move {
                let mut buffer = Vec::new();
                loop {
                    let mut chunk = [0u8; 4096];
                    let n = socket.read(&mut chunk).await.unwrap_or(0);
                    if n == 0 {
                        return;
                    }
                    buffer.extend_from_slice(&chunk[..n]);
                    let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") else { continue };
                    let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
                    buffer.drain(..end + 4);
                    let index: usize =
                        head.split_once("cursor=").and_then(|(_, rest)| rest[..1].parse().ok()).unwrap_or(0);
                    if index == 2 {
                        asked.notify_one();
                        // Nothing is sent: wait for the client to give up.
                        while socket.read(&mut chunk).await.is_ok_and(|n| n > 0) {}
                        closed.notify_one();
                        return;
                    }
                    let page: Vec<&str> = jobs.iter().skip(index * 100).take(100).map(|(_, j)| j.as_str()).collect();
                    let body = format!("[{}]", page.join(","));
                    let link = format!(
                        "<{base_link}?cursor={}&pagination=keyset>; rel=\"next\"",
                        index + 1,
                        base_link = "http://gitlab.test/api/v4/projects/1/jobs"
                    );
                    let reply = format!(
                        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nlink: {link}\r\n\r\n{body}",
                        body.len()
                    );
                    if socket.write_all(reply.as_bytes()).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    let client = client_for(&base);
    let mut jobs = client.list_project_jobs().id(1).stream();

    for _ in 0..101 {
        jobs.next().await.unwrap().unwrap();
    }
    let wait = std::time::Duration::from_secs(10);
    tokio::time::timeout(wait, asked.notified()).await.expect("page 3 is asked for while page 2 is read");
    drop(jobs);
    tokio::time::timeout(wait, closed.notified()).await.expect("dropping the stream closes page 3's request");
    server.abort();
}
