//! A minimal keep-alive HTTP/1.1 server on 127.0.0.1 for the benchmarks. It
//! answers from bodies prepared in advance (or a repeated chunk, for logs),
//! so that what is measured is the client, not the server.

#![allow(dead_code)]

use std::sync::Arc;

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

pub async fn start<F>(answer: F) -> String
where
    F: Fn(&str) -> Body + Send + Sync + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let answer = Arc::new(answer);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let answer = answer.clone();
            tokio::spawn(async move {
                let _ = serve(socket, answer).await;
            });
        }
    });
    base
}

async fn serve<F: Fn(&str) -> Body>(mut socket: TcpStream, answer: Arc<F>) -> std::io::Result<()> {
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
        match answer(&target) {
            Body::Bytes { content_type, extra_headers, body } => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n{extra_headers}\r\n",
                    body.len()
                );
                socket.write_all(head.as_bytes()).await?;
                socket.write_all(&body).await?;
            }
            Body::Repeated { chunk, total } => {
                let head = format!("HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {total}\r\n\r\n");
                socket.write_all(head.as_bytes()).await?;
                let mut sent = 0u64;
                while sent < total {
                    let n = chunk.len().min((total - sent) as usize);
                    socket.write_all(&chunk[..n]).await?;
                    sent += n as u64;
                }
            }
            Body::Redirect(location) => {
                let head = format!(
                    "HTTP/1.1 302 Found\r\nlocation: {location}\r\ncontent-type: text/plain\r\ncontent-length: 0\r\n\r\n"
                );
                socket.write_all(head.as_bytes()).await?;
            }
            Body::NotFound => {
                socket
                    .write_all(
                        b"HTTP/1.1 404 Not Found\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}",
                    )
                    .await?;
            }
        }
    }
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

/// A bench binary's entry: a child runs one variant, the parent drives them.
pub fn run(driver: fn(usize), child: fn(&str)) {
    match arg("--variant") {
        Some(variant) => child(&variant),
        None => driver(arg("--rounds").and_then(|r| r.parse().ok()).unwrap_or(5)),
    }
}

/// The value following `--name` on the command line.
pub fn arg(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned()
}
