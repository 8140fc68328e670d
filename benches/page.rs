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
pub fn page_bytes(count: usize, first_id: i64) -> Vec<u8> {
    serde_json::to_vec(&Value::Array(jobs(count, first_id))).unwrap()
}
