//! Artifact downloads: a 1 GiB archive that GitLab redirects to a second
//! loopback server (the "object storage"), through the crate's
//! `download_artifacts` into a sink, against reqwest's own `bytes_stream`
//! fetching the storage URL directly into the same sink, in one run.
//!
//!     cargo bench --bench artifacts                     # 5 rounds of 1 GiB
//!     cargo bench --bench artifacts -- --rounds 3 --mib 256
//!
//! Each variant runs in a child process so that its peak memory is its own;
//! the `server` variant is the two servers alone, the memory baseline. The
//! storage sends one 64 KiB chunk over and over, so it holds no archive.

use std::{sync::Arc, time::Instant};

use futures::StreamExt;
use gitlab_jobs::{ArtifactSource, Client};
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
    println!("\na {mib} MiB artifacts archive behind a redirect, median of {rounds} rounds\n");
    println!("| variant | MiB/s | vs reqwest | peak RSS (MiB) |");
    println!("|---|---:|---:|---:|");
    let reqwest_rate = stat("reqwest", "mib_per_s");
    for name in ["reqwest", "crate"] {
        let rate = stat(name, "mib_per_s");
        println!("| {name} | {rate:.0} | {:.3} | {:.1} |", rate / reqwest_rate, stat(name, "peak_rss_kib") / 1024.0);
    }
    println!("| servers alone | | | {:.1} |", stat("server", "peak_rss_kib") / 1024.0);
}

#[tokio::main(flavor = "current_thread")]
async fn child(variant: &str) {
    let mib: u64 = server::arg("--mib").and_then(|m| m.parse().ok()).unwrap_or(1024);
    let total = mib * 1024 * 1024;
    let chunk: Arc<Vec<u8>> = Arc::new((0..64 * 1024).map(|i| (i * 7 % 251) as u8).collect());
    let storage = server::start(move |target| {
        if target.starts_with("/bucket/artifacts.zip") {
            server::Body::Repeated { chunk: chunk.clone(), total }
        } else {
            server::Body::NotFound
        }
    })
    .await;
    let object = format!("{storage}/bucket/artifacts.zip?X-Amz-Signature=bench");
    let location = object.clone();
    let gitlab = server::start(move |target| {
        if target.starts_with("/api/v4/projects/1/jobs/artifacts/main/download") {
            server::Body::Redirect(location.clone())
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
            let response = reqwest::Client::new().get(&object).send().await.unwrap();
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
            let client = Client::builder(&gitlab).private_token("glpat-bench").build().unwrap();
            let source = ArtifactSource::ArchiveByRef { ref_name: "main".into(), job: "build".into() };
            client.download_artifacts(1, source).to_writer(&mut sink).await.unwrap().bytes
        }
        other => panic!("unknown variant {other}"),
    };
    let secs = started.elapsed().as_secs_f64();
    assert!(variant == "server" || bytes == total, "{variant}: {bytes} of {total} bytes");
    println!(
        "bytes={bytes} secs={secs:.4} mib_per_s={:.1} peak_rss_kib={}",
        bytes as f64 / 1048576.0 / secs.max(1e-9),
        server::peak_rss_kib().unwrap_or(0)
    );
}
