//! Listing throughput: 20,000 jobs from a loopback server that pages them as
//! GitLab does (100 a page, keyset `Link` headers), read by
//! `Paginate::stream` and by a minimal hand-written reqwest + serde loop
//! making the same requests, in one run.
//!
//!     cargo bench --bench listing                      # 5 rounds of 20,000 jobs
//!     cargo bench --bench listing -- --rounds 9 --jobs 50000
//!
//! The server runs on a thread and runtime of its own (`server::start_apart`,
//! unshaped), so its work does not share the client's thread. It has no
//! compressed pages, so every variant reads the same plain JSON, whether it
//! asks for gzip (the crate's default) or not; `benches/link.rs` measures
//! compression over a slower link.
//!
//! Each variant runs in a child process so its peak memory is its own:
//! - `server`: the server alone with its prepared pages (the memory baseline),
//! - `floor`: the same requests, bodies only skimmed (`IgnoredAny`): how fast
//!   the server and transport go, which must stay well above the others,
//! - `handwritten`: reqwest + `serde_json::from_slice::<Vec<Job>>` + Link parsing,
//! - `stream`: `client.list_project_jobs().id(1).stream()`.

use std::{sync::Arc, time::Instant};

use futures::TryStreamExt;
use gitlab_jobs::{Client, Paginate};

#[path = "handwritten.rs"]
mod handwritten;
#[path = "page.rs"]
mod page;
#[path = "server.rs"]
mod server;

const PER_PAGE: usize = 100;

fn main() {
    server::run(driver, child);
}

fn driver(rounds: usize) {
    let jobs = server::arg("--jobs").unwrap_or_else(|| "20000".into());
    let extra = vec!["--jobs".to_owned(), jobs.clone()];
    let mut variants = vec!["server", "floor", "handwritten", "stream"];
    if std::env::args().any(|a| a == "--diagnose") {
        variants.push("pages");
    }
    let results = server::drive(&variants, rounds, &extra);
    let stat = |name: &str, key: &str| server::stat(&results, name, key);
    let baseline = stat("server", "peak_rss_kib");
    println!("\nlisting {jobs} jobs, {PER_PAGE} per keyset page, median of {rounds} rounds\n");
    println!("| variant | jobs/s | vs hand-written | peak RSS (MiB) | over the server's |");
    println!("|---|---:|---:|---:|---:|");
    let handwritten = stat("handwritten", "jobs_per_s");
    for name in variants.iter().copied().filter(|v| *v != "server") {
        let rate = stat(name, "jobs_per_s");
        let rss = stat(name, "peak_rss_kib");
        println!(
            "| {name} | {rate:.0} | {:.3} | {:.1} | {:.1} |",
            rate / handwritten,
            rss / 1024.0,
            (rss - baseline) / 1024.0
        );
    }
    println!("| server alone | | | {:.1} | |", baseline / 1024.0);
}

#[tokio::main(flavor = "current_thread")]
async fn child(variant: &str) {
    let total: usize = server::arg("--jobs").and_then(|j| j.parse().ok()).unwrap_or(20_000);
    let base = serve_pages(total);
    let started = Instant::now();
    let seen = match variant {
        "server" => 0,
        "floor" => handwritten::keyset_loop(&base, PER_PAGE, skim).await,
        "handwritten" => handwritten::keyset_loop(&base, PER_PAGE, handwritten::typed).await,
        "stream" => {
            let client = Client::builder(&base).private_token("glpat-bench").build().unwrap();
            client
                .list_project_jobs()
                .id(1)
                .stream()
                .try_fold(0usize, |n, _job| async move { Ok(n + 1) })
                .await
                .unwrap()
        }
        // Diagnostic: the generated builder's send() page by page, without the
        // stream, to tell the request hooks' cost from the stream's.
        "pages" => {
            let client = Client::builder(&base).private_token("glpat-bench").build().unwrap();
            let mut cursor: Option<String> = None;
            let mut seen = 0;
            loop {
                let mut request = client
                    .list_project_jobs()
                    .id(1)
                    .per_page(100u32)
                    .pagination(gitlab_jobs::types::PaginationMode::Keyset);
                if let Some(c) = cursor.take() {
                    request = request.cursor(c);
                }
                let page = request.send().await.unwrap();
                let next = handwritten::next_link(page.headers()).and_then(|link| {
                    link.split("cursor=").nth(1).map(|c| c.split('&').next().unwrap_or("").to_owned())
                });
                seen += page.len();
                match next {
                    Some(c) => cursor = Some(c),
                    None => break seen,
                }
            }
        }
        other => panic!("unknown variant {other}"),
    };
    let secs = started.elapsed().as_secs_f64();
    assert!(variant == "server" || seen == total, "{variant} saw {seen} of {total} jobs");
    println!(
        "jobs={seen} secs={secs:.4} jobs_per_s={:.0} peak_rss_kib={}",
        seen as f64 / secs,
        server::peak_rss_kib().unwrap_or(0)
    );
}

/// Prepares every page and serves them by cursor, with GitLab's keyset links.
fn serve_pages(total: usize) -> String {
    let pages = total.div_ceil(PER_PAGE);
    let port_slot: Arc<std::sync::OnceLock<String>> = Arc::default();
    let bodies: Vec<Arc<Vec<u8>>> = (0..pages)
        .map(|p| Arc::new(page::page_bytes(PER_PAGE.min(total - p * PER_PAGE), 11_215_821_048 - (p * PER_PAGE) as i64)))
        .collect();
    let slot = port_slot.clone();
    let base = server::start_apart(
        move |target| {
            let Some(query) = target.strip_prefix("/api/v4/projects/1/jobs?") else { return server::Body::NotFound };
            let index = query
                .split('&')
                .find_map(|kv| kv.strip_prefix("cursor="))
                .and_then(|c| c.parse::<usize>().ok())
                .unwrap_or(0);
            let Some(body) = bodies.get(index) else { return server::Body::NotFound };
            let base = slot.get().cloned().unwrap_or_default();
            let mut link = format!("<{base}/api/v4/projects/1/jobs?pagination=keyset&per_page=100>; rel=\"first\"");
            if index + 1 < bodies.len() {
                link = format!(
                    "<{base}/api/v4/projects/1/jobs?cursor={}&pagination=keyset&per_page=100>; rel=\"next\", {link}",
                    index + 1
                );
            }
            server::Body::Bytes {
                content_type: "application/json",
                extra_headers: format!("link: {link}\r\n"),
                body: body.clone(),
                gzip: None,
            }
        },
        server::Shape::default(),
    );
    let _ = port_slot.set(base.clone());
    base
}

/// The floor: the JSON read, nothing built.
fn skim(body: &[u8]) -> usize {
    serde_json::from_slice::<Vec<serde::de::IgnoredAny>>(body).unwrap().len()
}
