//! Listing across a network: jobs from a server that takes its time for each
//! response and shares a capped bandwidth among its connections, as a remote
//! GitLab does, read by the crate's streams and by a hand-written loop. On
//! loopback (`benches/listing.rs`) parsing is the work; here waiting and
//! transfer are, which read-ahead, compression and pages in flight address.
//!
//!     cargo bench --bench link                        # 3 rounds, 50 ms a response, 100 Mbit/s
//!     cargo bench --bench link -- --rounds 5 --delay-ms 20 --mbit 1000 --jobs 10000 --pipeline-jobs 5000
//!
//! `--mbit 0` lifts the cap. The server (`server::start_apart`) runs on a
//! thread of its own and sends gzip only when asked for it. Each variant runs
//! in a child process, so its peak memory and the bytes it moved are its own:
//! - `keyset_handwritten`: project jobs in keyset pages, reqwest asking for no
//!   compression, `serde_json::from_slice::<Vec<Job>>`, one page after another,
//! - `keyset_stream`: `client.list_project_jobs().id(1).stream()` with the
//!   crate's defaults (gzip asked for, one page read ahead),
//! - `keyset_stream_plain`: the same with `.compression(false)`, to tell what
//!   read-ahead gains from what compression gains,
//! - `pipeline_sequential`: a pipeline's jobs in offset pages (with totals),
//!   `stream_with_pages_in_flight(1)`,
//! - `pipeline_concurrent`: the same with `stream()`
//!   (`DEFAULT_PAGES_IN_FLIGHT`), `pipeline_concurrent4` with 4 in flight.

use std::{
    sync::{Arc, OnceLock},
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use futures::{TryStreamExt, stream::BoxStream};
use gitlab_jobs::{Client, DEFAULT_PAGES_IN_FLIGHT, Paginate, types::Job};

#[path = "handwritten.rs"]
mod handwritten;
#[path = "page.rs"]
mod page;
#[path = "server.rs"]
mod server;

const PER_PAGE: usize = 100;
const KEYSET_VARIANTS: [&str; 3] = ["keyset_handwritten", "keyset_stream", "keyset_stream_plain"];
/// The pipeline variants and how many pages each keeps in flight.
const PIPELINE_VARIANTS: [(&str, usize); 3] =
    [("pipeline_sequential", 1), ("pipeline_concurrent", DEFAULT_PAGES_IN_FLIGHT), ("pipeline_concurrent4", 4)];

fn main() {
    server::run_with_rounds(3, driver, child);
}

/// The link and the lists, from the command line; the driver hands them on
/// to every child.
struct Options {
    delay_ms: u64,
    /// Megabits a second; 0 for no cap.
    mbit: f64,
    jobs: usize,
    pipeline_jobs: usize,
}

impl Options {
    fn from_args() -> Options {
        fn number<T: std::str::FromStr>(name: &str, default: T) -> T {
            server::arg(name)
                .map_or(default, |v| v.parse().unwrap_or_else(|_| panic!("{name} takes a number, not {v}")))
        }
        Options {
            delay_ms: number("--delay-ms", 50),
            mbit: number("--mbit", 100.0),
            jobs: number("--jobs", 5000),
            pipeline_jobs: number("--pipeline-jobs", 2000),
        }
    }

    fn args(&self) -> Vec<String> {
        [
            ("--delay-ms", self.delay_ms.to_string()),
            ("--mbit", self.mbit.to_string()),
            ("--jobs", self.jobs.to_string()),
            ("--pipeline-jobs", self.pipeline_jobs.to_string()),
        ]
        .into_iter()
        .flat_map(|(name, value)| [name.to_owned(), value])
        .collect()
    }

    fn shape(&self) -> server::Shape {
        server::Shape {
            delay: Duration::from_millis(self.delay_ms),
            bytes_per_sec: (self.mbit > 0.0).then(|| (self.mbit * 1_000_000.0 / 8.0) as u64),
        }
    }

    fn link(&self) -> String {
        let bandwidth = if self.mbit > 0.0 { format!("{} Mbit/s", self.mbit) } else { "no bandwidth cap".into() };
        format!("{} ms a response, {bandwidth}", self.delay_ms)
    }
}

fn driver(rounds: usize) {
    let options = Options::from_args();
    let variants: Vec<&str> = KEYSET_VARIANTS.into_iter().chain(PIPELINE_VARIANTS.map(|(name, _)| name)).collect();
    let results = server::drive(&variants, rounds, &options.args());
    let stat = |name: &str, key: &str| server::stat(&results, name, key);
    let link = options.link();

    let sample = page::varied_page_bytes(PER_PAGE, 11_215_821_048);
    println!(
        "\na page of {PER_PAGE} jobs: {:.0} KB, {:.0} KB gzip-compressed ({:.1}x smaller)",
        sample.len() as f64 / 1000.0,
        server::gzip(&sample).len() as f64 / 1000.0,
        sample.len() as f64 / server::gzip(&sample).len() as f64
    );
    let jobs = options.jobs;
    println!("\n{jobs} project jobs in keyset pages of {PER_PAGE}, {link}, median of {rounds} rounds\n");
    println!("| variant | s | jobs/s | time / hand-written's | MB moved | peak RSS (MiB) |");
    println!("|---|---:|---:|---:|---:|---:|");
    // One table row: the leading cells, then time, rate, time against
    // `baseline`'s, bytes moved and peak memory.
    let row = |lead: String, name: &str, baseline: &str| {
        let secs = stat(name, "secs");
        println!(
            "| {lead}{secs:.2} | {:.0} | {:.3} | {:.2} | {:.1} |",
            stat(name, "items_per_s"),
            secs / stat(baseline, "secs"),
            stat(name, "bytes") / 1e6,
            stat(name, "peak_rss_kib") / 1024.0
        );
    };
    for name in KEYSET_VARIANTS {
        row(format!("{name} | "), name, "keyset_handwritten");
    }

    let jobs = options.pipeline_jobs;
    println!("\n{jobs} pipeline jobs in offset pages of {PER_PAGE} with totals, {link}, median of {rounds} rounds\n");
    println!("| variant | pages in flight | s | jobs/s | time / sequential's | MB moved | peak RSS (MiB) |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (name, in_flight) in PIPELINE_VARIANTS {
        row(format!("{name} | {in_flight} | "), name, "pipeline_sequential");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn child(variant: &str) {
    let options = Options::from_args();
    let keyset = KEYSET_VARIANTS.contains(&variant);
    // Each child prepares only the list it reads, so that its memory is that
    // list's and the client's.
    let (project_jobs, pipeline_jobs) = if keyset { (options.jobs, 0) } else { (0, options.pipeline_jobs) };
    let base = serve(project_jobs, pipeline_jobs, options.shape());
    let client = |compression: bool| {
        Client::builder(&base).private_token("glpat-bench").compression(compression).build().unwrap()
    };
    let started = Instant::now();
    let seen = match variant {
        "keyset_handwritten" => handwritten::keyset_loop(&base, PER_PAGE, handwritten::typed).await,
        "keyset_stream" => count(client(true).list_project_jobs().id(1).stream()).await,
        "keyset_stream_plain" => count(client(false).list_project_jobs().id(1).stream()).await,
        "pipeline_sequential" => {
            count(client(true).list_pipeline_jobs().id(1).pipeline_id(2).stream_with_pages_in_flight(1)).await
        }
        "pipeline_concurrent" => count(client(true).list_pipeline_jobs().id(1).pipeline_id(2).stream()).await,
        "pipeline_concurrent4" => {
            count(client(true).list_pipeline_jobs().id(1).pipeline_id(2).stream_with_pages_in_flight(4)).await
        }
        other => panic!("unknown variant {other}"),
    };
    let secs = started.elapsed().as_secs_f64();
    let expected = project_jobs + pipeline_jobs;
    assert_eq!(seen, expected, "{variant} saw {seen} of {expected} jobs");
    println!(
        "items={seen} secs={secs:.4} items_per_s={:.0} bytes={} peak_rss_kib={}",
        seen as f64 / secs,
        server::bytes_sent(),
        server::peak_rss_kib().unwrap_or(0)
    );
}

async fn count(stream: BoxStream<'_, Result<Job, gitlab_jobs::Error>>) -> usize {
    stream.try_fold(0usize, |n, _job| async move { Ok(n + 1) }).await.unwrap()
}

/// A page's bodies, plain and gzip-compressed, prepared before the clock starts.
struct Prepared {
    plain: Arc<Vec<u8>>,
    gzip: Arc<Vec<u8>>,
}

impl Prepared {
    fn new(count: usize, first_id: i64) -> Prepared {
        let plain = page::varied_page_bytes(count, first_id);
        Prepared { gzip: server::gzip(&plain), plain: Arc::new(plain) }
    }

    fn body(&self, extra_headers: String) -> server::Body {
        server::Body::Bytes {
            content_type: "application/json",
            extra_headers,
            body: self.plain.clone(),
            gzip: Some(self.gzip.clone()),
        }
    }
}

/// Pages of `total` jobs, the first with id `first_id` and ids going down.
fn prepare(total: usize, first_id: i64) -> Vec<Prepared> {
    (0..total.div_ceil(PER_PAGE))
        .map(|p| Prepared::new(PER_PAGE.min(total - p * PER_PAGE), first_id - (p * PER_PAGE) as i64))
        .collect()
}

/// Serves `project_jobs` jobs of project 1 in keyset pages and
/// `pipeline_jobs` jobs of its pipeline 2 in offset pages, shaped like a
/// remote GitLab.
fn serve(project_jobs: usize, pipeline_jobs: usize, shape: server::Shape) -> String {
    let project = prepare(project_jobs, 11_215_821_048);
    let pipeline = prepare(pipeline_jobs, 11_215_000_000);
    let empty = Prepared::new(0, 0);
    // The links name the server's own address, known once it listens.
    let base_slot: Arc<OnceLock<String>> = Arc::default();
    let slot = base_slot.clone();
    let base = server::start_apart(
        move |target| {
            let base = slot.get().map_or("", String::as_str);
            let (path, query) = target.split_once('?').unwrap_or((target, ""));
            let param = |name: &str| query.split('&').find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='));
            match path {
                "/api/v4/projects/1/jobs" => {
                    let index = param("cursor").and_then(|c| c.parse::<usize>().ok()).unwrap_or(0);
                    let Some(page) = project.get(index) else { return server::Body::NotFound };
                    page.body(format!("link: {}\r\n", keyset_links(base, index, project.len())))
                }
                "/api/v4/projects/1/pipelines/2/jobs" => {
                    let number = param("page").map_or(Some(1), |p| p.parse::<usize>().ok().filter(|&p| p >= 1));
                    let per_page = param("per_page").map_or(Some(20), |p| p.parse::<usize>().ok());
                    // Only the pages of 100 that streams ask for are prepared.
                    let (Some(number), Some(PER_PAGE)) = (number, per_page) else { return server::Body::NotFound };
                    let page = pipeline.get(number - 1).unwrap_or(&empty);
                    page.body(offset_headers(base, number, pipeline.len(), pipeline_jobs))
                }
                _ => server::Body::NotFound,
            }
        },
        shape,
    );
    let _ = base_slot.set(base.clone());
    base
}

/// GitLab's `Link` for keyset page `index` (0-based) of `pages`.
fn keyset_links(base: &str, index: usize, pages: usize) -> String {
    let url = format!("{base}/api/v4/projects/1/jobs");
    let first = format!("<{url}?pagination=keyset&per_page={PER_PAGE}>; rel=\"first\"");
    if index + 1 < pages {
        format!("<{url}?cursor={}&pagination=keyset&per_page={PER_PAGE}>; rel=\"next\", {first}", index + 1)
    } else {
        first
    }
}

/// GitLab's headers for offset page `number` (from 1) of `pages` holding
/// `total` jobs: page numbers (empty where there is no such page), totals,
/// `Link`, and a rate-limit window with plenty left, so that a stream keeps
/// its pages in flight.
fn offset_headers(base: &str, number: usize, pages: usize, total: usize) -> String {
    let url = format!("{base}/api/v4/projects/1/pipelines/2/jobs");
    let link_to = |page: usize, rel: &str| format!("<{url}?page={page}&per_page={PER_PAGE}>; rel=\"{rel}\"");
    let next = if number < pages { (number + 1).to_string() } else { String::new() };
    let prev = if number > 1 { (number - 1).to_string() } else { String::new() };
    let mut links = Vec::new();
    if number > 1 {
        links.push(link_to(number - 1, "prev"));
    }
    if number < pages {
        links.push(link_to(number + 1, "next"));
    }
    links.push(link_to(1, "first"));
    links.push(link_to(pages.max(1), "last"));
    let reset = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs()) + 60;
    format!(
        "x-page: {number}\r\nx-next-page: {next}\r\nx-prev-page: {prev}\r\nx-per-page: {PER_PAGE}\r\n\
         x-total: {total}\r\nx-total-pages: {pages}\r\nlink: {}\r\n\
         ratelimit-limit: 2000\r\nratelimit-observed: 1\r\nratelimit-remaining: 1999\r\nratelimit-reset: {reset}\r\n",
        links.join(", ")
    )
}
