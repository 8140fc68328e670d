//! A minimal keep-alive HTTP/1.1 server on 127.0.0.1 for the benchmarks. It
//! answers from bodies prepared in advance (or a repeated chunk, for logs),
//! so that what is measured is the client, not the server. [`start`] serves
//! from the caller's runtime; [`start_apart`] from a thread and runtime of its
//! own, optionally slowed to look like a GitLab across a network.

#![allow(dead_code)]

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
};

/// What to send for one request target (path and query).
pub enum Body {
    Bytes {
        content_type: &'static str,
        extra_headers: String,
        body: Arc<Vec<u8>>,
        /// `body` gzip-compressed (see [`gzip`]), sent instead of it when the
        /// request's `Accept-Encoding` allows gzip.
        gzip: Option<Arc<Vec<u8>>>,
    },
    /// `chunk` repeated until `total` bytes, sent as they are written.
    Repeated {
        chunk: Arc<Vec<u8>>,
        total: u64,
    },
    /// `302 Found` to another URL, as GitLab answers an archive kept in
    /// object storage.
    Redirect(String),
    NotFound,
}

/// How far away a server started by [`start_apart`] seems: GitLab's time to
/// answer, and the bandwidth of the link to it.
#[derive(Clone, Copy, Debug, Default)]
pub struct Shape {
    /// Time the server takes for each response, before its head is sent.
    /// Responses on different connections wait at the same time, as a server
    /// with many workers answers.
    pub delay: Duration,
    /// Bytes a second for the whole server, shared by all its connections;
    /// `None` for as fast as loopback goes.
    pub bytes_per_sec: Option<u64>,
}

/// Bytes written to sockets (response heads and bodies) by every server of
/// this process, so that a child can report what its variant moved.
static BYTES_SENT: AtomicU64 = AtomicU64::new(0);

/// The response bytes (heads and bodies) the servers of this process have written.
pub fn bytes_sent() -> u64 {
    BYTES_SENT.load(Ordering::Relaxed)
}

/// `bytes` gzip-compressed, for [`Body::Bytes`]: compressed once, when the
/// bodies are prepared, so that compressing is no part of what is measured.
pub fn gzip(bytes: &[u8]) -> Arc<Vec<u8>> {
    use std::io::Write;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    encoder.write_all(bytes).unwrap();
    Arc::new(encoder.finish().unwrap())
}

/// Serves `answer` from the caller's runtime, on its threads.
pub async fn start<F>(answer: F) -> String
where
    F: Fn(&str) -> Body + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(accept(listener, Arc::new(answer), Arc::new(Wire::new(Shape::default()))));
    base
}

/// Serves `answer` from a thread with a runtime of its own, as a remote
/// GitLab would, so that the server's work does not share the client's
/// thread; `shape` slows it down like a network would.
pub fn start_apart<F>(answer: F, shape: Shape) -> String
where
    F: Fn(&str) -> Body + Send + Sync + 'static,
{
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::Builder::new()
        .name("bench-server".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
            runtime.block_on(async move {
                let listener = TcpListener::from_std(listener).unwrap();
                accept(listener, Arc::new(answer), Arc::new(Wire::new(shape))).await;
            });
        })
        .unwrap();
    base
}

async fn accept<F>(listener: TcpListener, answer: Arc<F>, wire: Arc<Wire>)
where
    F: Fn(&str) -> Body + Send + Sync + 'static,
{
    while let Ok((socket, _)) = listener.accept().await {
        let answer = answer.clone();
        let wire = wire.clone();
        tokio::spawn(async move {
            let _ = serve(socket, answer, wire).await;
        });
    }
}

/// The link every connection of one server writes through.
struct Wire {
    shape: Shape,
    /// When the link will have carried everything handed to it so far.
    busy_until: Mutex<Instant>,
}

/// How much a capped link is handed at once.
const CHUNK: usize = 16 * 1024;
/// How much link time a capped link may make up at once after standing
/// idle: a token bucket of 5 ms. More than a timer's lateness (about a
/// millisecond), so that a writer woken late does not lose that time on
/// every chunk; little enough that a link idle during the server's delay
/// does not send the next response faster than the link goes. (A bucket
/// counted in bytes would hold 52 ms of a 10 Mbit/s link and hide most of
/// a 50 ms delay.)
const BURST: Duration = Duration::from_millis(5);

impl Wire {
    fn new(shape: Shape) -> Wire {
        Wire { shape, busy_until: Mutex::new(Instant::now()) }
    }

    /// Writes `bytes`; on a capped link chunk by chunk, each once the link
    /// would have carried it.
    async fn send(&self, socket: &mut TcpStream, bytes: &[u8]) -> std::io::Result<()> {
        let Some(rate) = self.shape.bytes_per_sec else {
            socket.write_all(bytes).await?;
            BYTES_SENT.fetch_add(bytes.len() as u64, Ordering::Relaxed);
            return Ok(());
        };
        for chunk in bytes.chunks(CHUNK) {
            let carried = {
                let mut busy_until = self.busy_until.lock().unwrap();
                let now = Instant::now();
                let start = (*busy_until).max(now.checked_sub(BURST).unwrap_or(now));
                *busy_until = start + Duration::from_secs_f64(chunk.len() as f64 / rate as f64);
                *busy_until
            };
            tokio::time::sleep_until(carried.into()).await;
            socket.write_all(chunk).await?;
            BYTES_SENT.fetch_add(chunk.len() as u64, Ordering::Relaxed);
        }
        Ok(())
    }
}

async fn serve<F: Fn(&str) -> Body>(mut socket: TcpStream, answer: Arc<F>, wire: Arc<Wire>) -> std::io::Result<()> {
    socket.set_nodelay(true)?;
    let mut buffer = Vec::with_capacity(8192);
    loop {
        // One request head at a time; the benchmarks send no bodies.
        let head_end = loop {
            if let Some(end) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
                break end + 4;
            }
            let mut chunk = [0u8; 8192];
            let n = socket.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buffer.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
        buffer.drain(..head_end);
        let target = head.split(' ').nth(1).unwrap_or("/").to_owned();
        if !wire.shape.delay.is_zero() {
            tokio::time::sleep(wire.shape.delay).await;
        }
        match answer(&target) {
            Body::Bytes { content_type, extra_headers, body, gzip } => {
                let (body, encoding) = match gzip {
                    Some(gzip) if accepts_gzip(&head) => (gzip, "content-encoding: gzip\r\n"),
                    _ => (body, ""),
                };
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{encoding}{extra_headers}\r\n",
                    body.len()
                );
                wire.send(&mut socket, head.as_bytes()).await?;
                wire.send(&mut socket, &body).await?;
            }
            Body::Repeated { chunk, total } => {
                let head = format!("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {total}\r\n\r\n");
                wire.send(&mut socket, head.as_bytes()).await?;
                let mut sent = 0u64;
                while sent < total {
                    let n = chunk.len().min((total - sent) as usize);
                    wire.send(&mut socket, &chunk[..n]).await?;
                    sent += n as u64;
                }
            }
            Body::Redirect(location) => {
                let head = format!(
                    "HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-type: text/plain\r\ncontent-length: 0\r\n\r\n"
                );
                wire.send(&mut socket, head.as_bytes()).await?;
            }
            Body::NotFound => {
                wire.send(
                    &mut socket,
                    b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
                )
                .await?;
            }
        }
    }
}

/// Whether a request head's `Accept-Encoding` allows gzip. Header names are
/// case-insensitive, and `gzip;q=0` refuses it.
fn accepts_gzip(head: &str) -> bool {
    head.lines()
        .skip(1)
        .filter_map(|line| line.split_once(':'))
        .filter(|(name, _)| name.trim().eq_ignore_ascii_case("accept-encoding"))
        .flat_map(|(_, value)| value.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|param| {
                param.split_once('=').is_some_and(|(key, q)| {
                    key.trim().eq_ignore_ascii_case("q") && q.trim().parse::<f64>().is_ok_and(|q| q == 0.0)
                })
            });
            (name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip")) && !refused
        })
}

/// The process's peak resident memory (VmHWM) in KiB, where /proc has it.
pub fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// Runs `variants` as child processes of this benchmark binary, alternating
/// them for `rounds` rounds, and returns each child's output lines.
pub fn drive(variants: &[&str], rounds: usize, extra: &[String]) -> Vec<(String, Vec<String>)> {
    let exe = std::env::current_exe().unwrap();
    let mut results: Vec<(String, Vec<String>)> = variants.iter().map(|v| (v.to_string(), Vec::new())).collect();
    for round in 0..rounds {
        for (variant, outputs) in results.iter_mut() {
            let output = std::process::Command::new(&exe).arg("--variant").arg(&*variant).args(extra).output().unwrap();
            assert!(output.status.success(), "{variant}: {}", String::from_utf8_lossy(&output.stderr));
            let line = String::from_utf8_lossy(&output.stdout).trim().to_owned();
            eprintln!("round {}: {variant}: {line}", round + 1);
            outputs.push(line);
        }
    }
    results
}

/// The value of `key=` in a child's output line.
pub fn field(line: &str, key: &str) -> f64 {
    line.split_whitespace()
        .find_map(|kv| kv.strip_prefix(&format!("{key}=")))
        .and_then(|v| v.parse().ok())
        .unwrap_or(f64::NAN)
}

pub fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(|a, b| a.total_cmp(b));
    values[values.len() / 2]
}

/// The median of `key` over the rounds of variant `name` in `drive`'s results.
pub fn stat(results: &[(String, Vec<String>)], name: &str, key: &str) -> f64 {
    let lines = &results.iter().find(|(v, _)| v == name).expect("a variant that was driven").1;
    median(lines.iter().map(|l| field(l, key)).collect())
}

/// A bench binary's entry: a child runs one variant, the parent drives them
/// for `--rounds` rounds, 5 unless given.
pub fn run(driver: fn(usize), child: fn(&str)) {
    run_with_rounds(5, driver, child);
}

/// As [`run`], with another number of rounds when `--rounds` is not given.
pub fn run_with_rounds(default_rounds: usize, driver: fn(usize), child: fn(&str)) {
    match arg("--variant") {
        Some(variant) => child(&variant),
        None => driver(arg("--rounds").and_then(|r| r.parse().ok()).unwrap_or(default_rounds)),
    }
}

/// The value following `--name` on the command line.
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}
