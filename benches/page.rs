//! A realistic page of 100 jobs for the benchmarks, built from the crate's
//! fixtures: the newest and oldest real-world jobs and every docs example,
//! each copy given its own id, so the page holds the field mix of real pages.

use serde_json::Value;

pub fn fixture(rel: &str) -> Value {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The jobs of every job-shaped fixture, cycled to `count` with ids from `first_id` down.
pub fn jobs(count: usize, first_id: i64) -> Vec<Value> {
    let mut templates =
        vec![fixture("real/job_newest.json"), fixture("real/job_2021.json"), fixture("real/job_unknown_values.json")];
    for version in ["000_ad083218a4a1e8d8", "002_c807875181e17028", "004_8e66e6f090344155"] {
        if let Value::Array(jobs) = fixture(&format!("docs/{version}/list_project_jobs.json")) {
            templates.extend(jobs);
        }
    }
    templates.extend(fixture("real/project_jobs_page.json").as_array().cloned().unwrap_or_default());
    (0..count)
        .map(|i| {
            let mut job = templates[i % templates.len()].clone();
            job["id"] = (first_id - i as i64).into();
            job
        })
        .collect()
}

/// A page of `count` jobs as GitLab sends it.
#[allow(dead_code)]
pub fn page_bytes(count: usize, first_id: i64) -> Vec<u8> {
    serde_json::to_vec(&Value::Array(jobs(count, first_id))).unwrap()
}

/// A page of `count` jobs whose values differ from job to job as real ones
/// do (commit SHAs, timestamps, durations, sizes, URLs), so that it
/// compresses like a real page rather than like copies of a dozen templates.
#[allow(dead_code)]
pub fn varied_page_bytes(count: usize, first_id: i64) -> Vec<u8> {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64 ^ first_id as u64;
    let mut random = move || {
        // xorshift64*: deterministic, so every run serves the same bytes.
        state ^= state >> 12;
        state ^= state << 25;
        state ^= state >> 27;
        state.wrapping_mul(0x2545_f491_4f6c_dd1d)
    };
    let jobs: Vec<Value> = jobs(count, first_id)
        .into_iter()
        .map(|mut job| {
            let sha = format!("{:016x}{:016x}{:08x}", random(), random(), random() as u32);
            let old_sha = job["commit"]["id"].as_str().map(str::to_owned);
            let id = job["id"].clone();
            vary(&mut job, &mut random, &sha, old_sha.as_deref());
            job["id"] = id.clone();
            if let Some(url) = job["web_url"].as_str() {
                let base = url.rsplit_once('/').map_or(url, |(base, _)| base).to_owned();
                job["web_url"] = format!("{base}/{id}").into();
            }
            job
        })
        .collect();
    serde_json::to_vec(&Value::Array(jobs)).unwrap()
}

fn vary(value: &mut Value, random: &mut impl FnMut() -> u64, sha: &str, old_sha: Option<&str>) {
    match value {
        Value::String(text) => {
            if let Some(old) = old_sha.filter(|old| text.contains(*old)) {
                *text = text.replace(old, sha);
            }
            let bytes = text.as_bytes();
            let timestamp = bytes.len() >= 19 && bytes[10] == b'T' && bytes[13] == b':' && bytes[16] == b':';
            if timestamp {
                let r = random();
                let mut new = format!("{}{:02}:{:02}", &text[..14], r % 60, (r >> 8) % 60);
                if bytes.get(19) == Some(&b'.') && text.len() >= 23 {
                    new.push_str(&format!(".{:03}", (r >> 16) % 1000));
                    new.push_str(&text[23..]);
                } else {
                    new.push_str(&text[19..]);
                }
                *text = new;
            }
        }
        Value::Number(number) if number.is_f64() => {
            let fraction = (random() % 1_000_000_000) as f64 / 1_000_000.0;
            *value = serde_json::json!(fraction);
        }
        Value::Number(number) if number.as_i64().is_some_and(|n| n > 1000) => {
            *value = (1000 + random() % 100_000_000).into();
        }
        Value::Array(items) => items.iter_mut().for_each(|item| vary(item, random, sha, old_sha)),
        Value::Object(fields) => fields.values_mut().for_each(|field| vary(field, random, sha, old_sha)),
        _ => {}
    }
}
