//! Log streaming: a 1 GiB job log from a loopback server, through the crate's
//! `download_job_log` into a sink, against reqwest's own `bytes_stream` into
//! the same sink, in one run.
//!
//!     cargo bench --bench log                     # 5 rounds of 1 GiB
//!     cargo bench --bench log -- --rounds 3 --mib 4096
//!
//! Each variant runs in a child process so its peak memory is its own; the
//! `server` variant is the server alone, the memory baseline. The server sends
//! one 64 KiB chunk over and over, so it holds no log in memory.

use std::{sync::Arc, time::Instant};

use futures::StreamExt;
use gitlab_jobs::Client;
use tokio::io::AsyncWriteExt;

#[path = "server.rs"]
mod server;

fn main() {
    server::run(driver, child);
}

fn driver(rounds: usize) {
    let mib = server::arg("--mib").unwrap_or_else(|| "1024".into());
    let results = server::drive(&["server", "reqwest", "crate"], rounds, &["--mib".to_owned(), mib.clone()]);
    let stat = |name: &str, key: &str| server::stat(&results, name, key);
    println!("\na {mib} MiB job log to a sink, median of {rounds} rounds\n");
    println!("| variant | MiB/s | vs reqwest | peak RSS (MiB) |");
    println!("|---|---:|---:|---:|");
    let reqwest_rate = stat("reqwest", "mib_per_s");
    for name in ["reqwest", "crate"] {
        let rate = stat(name, "mib_per_s");
        println!("| {name} | {rate:.0} | {:.3} | {:.1} |", rate / reqwest_rate, stat(name, "peak_rss_kib") / 1024.0);
    }
    println!("| server alone | | | {:.1} |", stat("server", "peak_rss_kib") / 1024.0);
}

#[tokio::main(flavor = "current_thread")]
async fn child(variant: &str) {
    let mib: u64 = server::arg("--mib").and_then(|m| m.parse().ok()).unwrap_or(1024);
    let total = mib * 1024 * 1024;
    let line = b"2026-11-22T03:00:00.000Z 00O \x1b[32;1m$ cargo test --workspace\x1b[0;m test result: ok. 91 passed\n";
    let chunk: Arc<Vec<u8>> = Arc::new(line.iter().copied().cycle().take(64 * 1024).collect());
    let base = server::start(move |target| {
        if target.starts_with("/api/v4/projects/1/jobs/2/trace") {
            server::Body::Repeated { chunk: chunk.clone(), total }
        } else {
            server::Body::NotFound
        }
    })
    .await;
    let mut sink = tokio::io::sink();
    let started = Instant::now();
    let bytes = match variant {
        "server" => 0,
        "reqwest" => {
            let response = reqwest::Client::new()
                .get(format!("{base}/api/v4/projects/1/jobs/2/trace"))
                .header("private-token", "glpat-bench")
                .send()
                .await
                .unwrap();
            let mut body = response.bytes_stream();
            let mut n = 0u64;
            while let Some(chunk) = body.next().await {
                let chunk = chunk.unwrap();
                sink.write_all(&chunk).await.unwrap();
                n += chunk.len() as u64;
            }
            n
        }
        "crate" => {
            let client = Client::builder(&base).private_token("glpat-bench").build().unwrap();
            client.download_job_log(1, 2, &mut sink).await.unwrap()
        }
        other => panic!("unknown variant {other}"),
    };
    let secs = started.elapsed().as_secs_f64();
    assert!(variant == "server" || bytes == total, "{variant}: {bytes} of {total} bytes");
    println!(
        "bytes={bytes} secs={secs:.4} mib_per_s={:.1} peak_rss_kib={}",
        bytes as f64 / 1048576.0 / secs,
        server::peak_rss_kib().unwrap_or(0)
    );
}
