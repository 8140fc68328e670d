//! Helpers shared by the integration tests: fixtures, clients pointed at a mock
//! GitLab, and the round-trip comparison that proves a typed value kept all data.
#![allow(dead_code)]

pub mod loopback;

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use gitlab_jobs::{Client, RetryPolicy};
use httpmock::MockServer;
use serde_json::Value;

pub const PRIVATE_TOKEN: &str = "glpat-test-token-0123456789";
pub const JOB_TOKEN: &str = "glcbt-64_test-job-token";
pub const OAUTH_TOKEN: &str = "oauth-test-token";

pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// The text of `tests/fixtures/<rel>`.
pub fn fixture(rel: &str) -> String {
    let path = fixtures_dir().join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn fixture_json(rel: &str) -> Value {
    serde_json::from_str(&fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The Jobs docs pages that have extracted fixtures, oldest name first (the
/// Job Artifacts pages, the other family, have folders there too).
pub fn docs_versions() -> Vec<String> {
    let dir = fixtures_dir().join("docs");
    let mut versions: Vec<String> = std::fs::read_dir(&dir)
        .expect("tests/fixtures/docs")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| dir.join(name).join("list_project_jobs.json").exists())
        .collect();
    versions.sort();
    assert_eq!(versions.len(), 5, "one fixture folder per vendored Jobs docs page");
    versions
}

/// The default retry policy with millisecond backoffs, so that tests of
/// retried requests stay fast.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy::default().initial_backoff(Duration::from_millis(5)).max_backoff(Duration::from_millis(20))
}

/// A client for the mock server, authenticated with a private token.
pub fn client(server: &MockServer) -> Client {
    client_for(&server.base_url())
}

/// A client for any local server, authenticated with a private token.
pub fn client_for(url: &str) -> Client {
    Client::builder(url).private_token(PRIVATE_TOKEN).retry(fast_retries()).build().unwrap()
}

/// A JSON response as GitLab sends it.
pub fn json_response(then: httpmock::Then, status: u16, body: &str) -> httpmock::Then {
    then.status(status).header("content-type", "application/json").body(body)
}

#[path = "../../xtask/src/json_diff.rs"]
mod json_diff;
pub use json_diff::compare;

/// Asserts that `typed`, serialized back, says what `original` said (see
/// `xtask/src/json_diff.rs` for what counts as the same).
pub fn assert_round_trip(original: &Value, typed: &impl serde::Serialize) {
    let back = serde_json::to_value(typed).unwrap();
    let mut diffs = Vec::new();
    compare(original, &back, "$", &mut diffs);
    assert!(diffs.is_empty(), "round trip changed the data:\n{}", diffs.join("\n"));
}
