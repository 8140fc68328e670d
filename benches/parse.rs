//! Parse speed: a realistic page of 100 jobs read into `Vec<types::Job>`,
//! against `serde_json::Value` and against `serde::de::IgnoredAny` (the cost of
//! reading the JSON at all), on the same bytes in the same run. The typed
//! parse is measured twice: from bytes, as the generated `send()` parses a
//! body, and from `str` after one UTF-8 check of the whole body, as
//! `Paginate::stream` parses its pages.
//!
//!     cargo bench --bench parse

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use gitlab_jobs::types::Job;
use serde::de::IgnoredAny;

#[path = "page.rs"]
mod page;

fn parse(c: &mut Criterion) {
    let bytes = page::page_bytes(100, 11_215_821_048);
    assert!(serde_json::from_slice::<Vec<Job>>(&bytes).is_ok_and(|jobs| jobs.len() == 100));
    let mut group = c.benchmark_group(format!("page of 100 jobs ({} KB)", bytes.len() / 1000));
    group.throughput(Throughput::Bytes(bytes.len() as u64));
    group.bench_function("Vec<types::Job>", |b| {
        b.iter(|| serde_json::from_slice::<Vec<Job>>(std::hint::black_box(&bytes)).unwrap())
    });
    group.bench_function("Vec<types::Job> from str", |b| {
        b.iter(|| {
            let text = std::str::from_utf8(std::hint::black_box(&bytes)).unwrap();
            serde_json::from_str::<Vec<Job>>(text).unwrap()
        })
    });
    group.bench_function("serde_json::Value", |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(std::hint::black_box(&bytes)).unwrap())
    });
    group.bench_function("IgnoredAny", |b| {
        b.iter(|| serde_json::from_slice::<IgnoredAny>(std::hint::black_box(&bytes)).unwrap())
    });
    group.finish();
}

criterion_group!(benches, parse);
criterion_main!(benches);
