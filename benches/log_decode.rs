//! Decoding a job log: a 1 GiB log shaped like real CI output (runner
//! timestamps on every record, continuation records, nested sections,
//! colours, `\r` progress bars, stderr lines) through `log::LogDecoder`,
//! against stripping its escape sequences alone with `vte`, the parser the
//! decoder builds on, in one run. The log is made in memory from one 64 KiB
//! block fed over and over, so neither variant reads a disk or a socket.
//!
//!     cargo bench --bench log_decode                   # 5 rounds of 1 GiB
//!     cargo bench --bench log_decode -- --rounds 3 --mib 256
//!
//! Each variant runs in a child process, so its peak memory is its own; the
//! `block` variant only builds the block, the memory baseline. `decoder`
//! takes every event as an owned `LogEvent` (`feed_with`), `borrowed` as a
//! lent `LogEventRef` (`feed_ref`), and the `styles` variants do the same
//! with styled spans (`LogDecoder::with_styles`). `handoff` does none of the
//! decoding, only what giving out an owned line costs: each record's text
//! copied into a new `String`, an `Arc` cloned, an event of `LogEvent`'s size
//! passed to the same kind of callback and dropped. Two more variants decode
//! logs made to be slow or large: lines of a thousand characters erased to
//! the cursor 60,000 times each (`\e[1K`), and lines of `x\e[999C`, which a
//! terminal pads with spaces.

use std::time::Instant;

use gitlab_jobs::log::{LogDecoder, LogEvent, LogEventRef};

#[path = "server.rs"]
mod server;

fn main() {
    server::run(driver, child);
}

fn driver(rounds: usize) {
    let mib = server::arg("--mib").unwrap_or_else(|| "1024".into());
    let variants =
        ["block", "vte", "handoff", "decoder", "borrowed", "styles", "styles_borrowed", "erase_flood", "cursor_flood"];
    let results = server::drive(&variants, rounds, &["--mib".to_owned(), mib.clone()]);
    let stat = |name: &str, key: &str| server::stat(&results, name, key);
    println!("\na {mib} MiB CI-shaped job log, median of {rounds} rounds\n");
    println!("| variant | MiB/s | vs vte stripping | lines | peak RSS (MiB) |");
    println!("|---|---:|---:|---:|---:|");
    let base = stat("vte", "mib_per_s");
    for name in ["vte", "handoff", "decoder", "borrowed", "styles", "styles_borrowed"] {
        let rate = stat(name, "mib_per_s");
        println!(
            "| {name} | {rate:.0} | {:.3} | {:.0} | {:.1} |",
            rate / base,
            stat(name, "lines"),
            stat(name, "peak_rss_kib") / 1024.0
        );
    }
    println!("| block alone | | | | {:.1} |", stat("block", "peak_rss_kib") / 1024.0);
    println!("\nlogs made to be slow or large, through the decoder, {mib} MiB each\n");
    println!("| log | MB/s | lines | peak RSS (MiB) |");
    println!("|---|---:|---:|---:|");
    for name in ["erase_flood", "cursor_flood"] {
        println!(
            "| {name} | {:.0} | {:.0} | {:.1} |",
            stat(name, "mib_per_s") * 1.048576,
            stat(name, "lines"),
            stat(name, "peak_rss_kib") / 1024.0
        );
    }
}

/// Lines of a thousand characters, each erased to the cursor 60,000 times.
fn erase_block() -> Vec<u8> {
    let mut line = vec![b'z'; 1000];
    line.extend(b"\x1b[1K".repeat(60_000));
    line.push(b'\n');
    line
}

/// Lines of `x\e[999C` repeated, each within a record's 256 KiB.
fn cursor_block() -> Vec<u8> {
    let mut line = b"x\x1b[999C".repeat(36_000);
    line.push(b'\n');
    line
}

/// About 64 KiB of CI output as a runner with timestamps writes it; the block
/// opens and closes its own sections, so it can be repeated.
fn block() -> Vec<u8> {
    let mut out = Vec::with_capacity(70 * 1024);
    let mut second = 0u32;
    let mut record = |out: &mut Vec<u8>, stream: &str, text: &str| {
        second = (second + 1) % 60;
        out.extend_from_slice(format!("2024-06-12T10:27:{second:02}.{:06}Z {stream}{text}\n", second * 977).as_bytes());
    };
    let mut n = 0;
    while out.len() < 64 * 1024 {
        n += 1;
        let t = 1_718_187_433 + n;
        record(&mut out, "00O ", &format!("\x1b[0Ksection_start:{t}:step_{n}[collapsed=true]\r\x1b[0K"));
        record(&mut out, "00O+", &format!("\x1b[0K\x1b[36;1mExecuting step {n}\x1b[0;m"));
        record(&mut out, "01O ", "\x1b[32;1m$ cargo test --workspace --locked\x1b[0;m");
        for i in 0..12 {
            record(
                &mut out,
                "01O ",
                &format!("   \x1b[32mCompiling\x1b[0m crate-{i} v0.{i}.0 (/builds/group/project/crates/crate-{i})"),
            );
        }
        for pct in [10, 40, 70] {
            record(&mut out, "01O ", &format!("Downloading artifacts {pct:3}%\r"));
            record(&mut out, "01O+", &format!("Downloading artifacts {:3}%\r", pct + 20));
        }
        record(&mut out, "01E ", "\x1b[33mwarning\x1b[0m: unused variable: `x` --> src/lib.rs:10:9");
        for i in 0..20 {
            record(&mut out, "01O ", &format!("test tests::case_{i:03} ... \x1b[32mok\x1b[0m"));
        }
        record(&mut out, "01O ", "test result: \x1b[32mok\x1b[0m. 20 passed; 0 failed; 0 ignored; finished in 0.42s");
        record(&mut out, "00O ", &format!("\x1b[0Ksection_end:{}:step_{n}\r\x1b[0K", t + 7));
    }
    out
}

/// Stripping escape sequences with vte alone: printed characters go into a
/// line buffer, which a `\n` hands on (here: counts) and clears.
struct Strip {
    line: String,
    lines: u64,
}

impl vte::Perform for Strip {
    fn print(&mut self, c: char) {
        self.line.push(c);
    }

    fn execute(&mut self, byte: u8) {
        if byte == b'\n' {
            self.lines += 1;
            std::hint::black_box(&self.line);
            self.line.clear();
        }
    }
}

fn child(variant: &str) {
    let mib: u64 = server::arg("--mib").and_then(|m| m.parse().ok()).unwrap_or(1024);
    let block = match variant {
        "erase_flood" => erase_block(),
        "cursor_flood" => cursor_block(),
        _ => block(),
    };
    let rounds = (mib * 1024 * 1024).div_ceil(block.len() as u64);
    let started = Instant::now();
    let mut lines = 0u64;
    match variant {
        "block" => {}
        "vte" => {
            let mut parser = vte::Parser::new();
            let mut strip = Strip { line: String::new(), lines: 0 };
            for _ in 0..rounds {
                parser.advance(&mut strip, &block);
            }
            lines = strip.lines;
        }
        "decoder" | "styles" | "erase_flood" | "cursor_flood" => {
            let mut decoder = if variant == "styles" { LogDecoder::new().with_styles() } else { LogDecoder::new() };
            let mut count = |event: LogEvent| {
                if let LogEvent::Line(line) = event {
                    lines += 1;
                    std::hint::black_box(line);
                }
            };
            for _ in 0..rounds {
                decoder.feed_with(&block, &mut count);
            }
            decoder.finish().into_iter().for_each(&mut count);
        }
        "handoff" => {
            // An event the size of `LogEvent`: a line's fields and room for
            // the larger variants.
            struct Line {
                text: String,
                _stream: Option<u8>,
                _timestamp: Option<chrono::DateTime<chrono::Utc>>,
                _sections: std::sync::Arc<[String]>,
                _spans: Vec<(usize, usize)>,
            }
            enum Event {
                Line(Line),
                _Other([u64; 16]),
            }
            assert!(std::mem::size_of::<Event>() >= std::mem::size_of::<Line>());
            let sections: std::sync::Arc<[String]> = std::sync::Arc::from(vec!["step_1".to_owned()]);
            let mut count = |event: Event| {
                if let Event::Line(line) = event {
                    lines += 1;
                    std::hint::black_box(line.text);
                }
            };
            let emit: &mut dyn FnMut(Event) = &mut count;
            for _ in 0..rounds {
                for record in block.strip_suffix(b"\n").unwrap_or(&block).split(|&b| b == b'\n') {
                    let text = String::from_utf8_lossy(record.get(32..).unwrap_or(record)).into_owned();
                    emit(Event::Line(Line {
                        text,
                        _stream: None,
                        _timestamp: None,
                        _sections: sections.clone(),
                        _spans: Vec::new(),
                    }));
                }
            }
        }
        "borrowed" | "styles_borrowed" => {
            let mut decoder =
                if variant == "styles_borrowed" { LogDecoder::new().with_styles() } else { LogDecoder::new() };
            let mut count = |event: LogEventRef<'_>| {
                if let LogEventRef::Line(line) = event {
                    lines += 1;
                    std::hint::black_box(line.text);
                }
            };
            for _ in 0..rounds {
                decoder.feed_ref(&block, &mut count);
            }
            decoder.finish_ref(&mut count);
        }
        other => panic!("unknown variant {other}"),
    }
    let secs = started.elapsed().as_secs_f64();
    let bytes = if variant == "block" { 0 } else { rounds * block.len() as u64 };
    println!(
        "bytes={bytes} lines={lines} secs={secs:.4} mib_per_s={:.1} peak_rss_kib={}",
        bytes as f64 / 1048576.0 / secs.max(1e-9),
        server::peak_rss_kib().unwrap_or(0)
    );
}
