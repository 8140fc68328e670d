//! A local stand-in for a GitLab instance, serving the crate's test fixtures,
//! so that every example runs offline when no `GITLAB_URL` is set.
#![allow(dead_code)]

use httpmock::{Method, MockServer};

/// The project, pipeline and job ids that the mock answers for.
pub const PROJECT: &str = "group/sub/project";
pub const PROJECT_ENCODED: &str = "group%2Fsub%2Fproject";
pub const PIPELINE: i64 = 1_297_834_512;
pub const JOB: i64 = 11_215_821_048;
pub const MANUAL_JOB: i64 = 11_215_821_102;
pub const RUNNING_JOB: i64 = 11_215_821_050;
/// The size of the mock's artifacts archive.
pub const ARCHIVE_LEN: usize = 3 * 1024 * 1024;

/// A short job log with the ANSI colours and section markers runners write.
pub const LOG: &str = "\u{1b}[0KRunning with gitlab-runner 17.0.0 (44feccdf)\n\
section_start:1714661491:prepare_script\r\u{1b}[0K\u{1b}[0;1mPreparing environment\u{1b}[0;m\n\
$ bundle exec rspec spec/cache_spec.rb\n\
Failures:\n  1) Cache expires entries\n\
\u{1b}[31;1mERROR: Job failed: exit code 1\u{1b}[0;m\n";

/// The log of a failed job as a current runner writes it: timestamps on every
/// record, sections for each step, a coloured test failure in the script.
pub fn failed_log(job: i64) -> String {
    let t = |s: u32| format!("2024-05-02T14:51:{s:02}.{:06}Z", s * 1000);
    let unix = |s: u32| 1_714_661_460 + s;
    [
        format!("{} 00O Running with gitlab-runner 17.0.0 (44feccdf)\n", t(0)),
        format!("{} 00O \u{1b}[0Ksection_start:{}:prepare_executor\r\u{1b}[0K\n", t(1), unix(1)),
        format!("{} 00O+\u{1b}[0K\u{1b}[36;1mPreparing the \"docker\" executor\u{1b}[0;m\n", t(1)),
        format!("{} 00O Using Docker executor with image ruby:3.3 ...\n", t(2)),
        format!("{} 00O \u{1b}[0Ksection_end:{}:prepare_executor\r\u{1b}[0K\n", t(9), unix(9)),
        format!("{} 00O \u{1b}[0Ksection_start:{}:step_script\r\u{1b}[0K\n", t(10), unix(10)),
        format!("{} 00O+\u{1b}[0K\u{1b}[36;1mExecuting \"step_script\" stage of the job script\u{1b}[0;m\n", t(10)),
        format!("{} 01O \u{1b}[32;1m$ bundle exec rspec spec/cache_spec.rb\u{1b}[0;m\n", t(11)),
        format!("{} 01O Randomized with seed {job}\n", t(12)),
        format!("{} 01O ..........\u{1b}[31mF\u{1b}[0m\r\n", t(20)),
        format!("{} 01O Failures:\n", t(21)),
        format!("{} 01O   1) Cache expires entries after their TTL\n", t(21)),
        format!("{} 01E      \u{1b}[31mexpected: nil\u{1b}[0m\n", t(21)),
        format!("{} 01E      \u{1b}[31m     got: \"stale\"\u{1b}[0m\n", t(21)),
        format!("{} 00O \u{1b}[0Ksection_end:{}:step_script\r\u{1b}[0K\n", t(45), unix(45)),
        format!("{} 00O \u{1b}[0Ksection_start:{}:upload_artifacts_on_failure\r\u{1b}[0K\n", t(46), unix(46)),
        format!("{} 00O+\u{1b}[0K\u{1b}[36;1mUploading artifacts for failed job\u{1b}[0;m\n", t(46)),
        format!("{} 00O \u{1b}[0Ksection_end:{}:upload_artifacts_on_failure\r\u{1b}[0K\n", t(48), unix(48)),
        format!("{} 00O \u{1b}[31;1mERROR: Job failed: exit code 1\u{1b}[0;m\n", t(49)),
    ]
    .concat()
}

pub fn fixture(rel: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Starts the mock and registers one answer per Jobs endpoint.
pub async fn start() -> MockServer {
    let server = MockServer::start_async().await;
    let base = format!("/api/v4/projects/{PROJECT_ENCODED}");
    let json = |method: Method, path: String, status: u16, rel: &'static str| {
        let server = &server;
        async move {
            let body = fixture(rel);
            server
                .mock_async(move |when, then| {
                    when.method(method).path(path);
                    then.status(status)
                        .header("content-type", "application/json")
                        .header("x-page", "1")
                        .header("x-per-page", "20")
                        .header("x-next-page", "")
                        .header("x-prev-page", "")
                        .body(body);
                })
                .await;
        }
    };
    // `scope[]=failed&ref=main` answers with the failed jobs only, as GitLab would.
    let page: Vec<serde_json::Value> = serde_json::from_str(&fixture("real/project_jobs_page.json")).unwrap();
    let failed: Vec<_> = page.into_iter().filter(|job| job["status"] == "failed").collect();
    let failed = serde_json::to_string(&failed).unwrap();
    let path = format!("{base}/jobs");
    server
        .mock_async(|when, then| {
            when.method(Method::GET).path(path.as_str()).query_param("scope[]", "failed").query_param("ref", "main");
            then.status(200).header("content-type", "application/json").header("x-next-page", "").body(failed);
        })
        .await;
    json(Method::GET, format!("{base}/jobs"), 200, "real/project_jobs_page.json").await;
    json(
        Method::GET,
        format!("{base}/pipelines/{PIPELINE}/jobs"),
        200,
        "docs/004_8e66e6f090344155/list_pipeline_jobs.json",
    )
    .await;
    json(Method::GET, format!("{base}/pipelines/{PIPELINE}/bridges"), 200, "real/pipeline_bridges_page.json").await;
    json(Method::GET, "/api/v4/job".into(), 200, "real/job_newest.json").await;
    json(Method::GET, "/api/v4/job/allowed_agents".into(), 200, "real/allowed_agents.json").await;
    json(Method::GET, format!("{base}/jobs/{JOB}"), 200, "real/job_newest.json").await;
    json(Method::POST, format!("{base}/jobs/{RUNNING_JOB}/cancel"), 201, "real/cancel_job.json").await;
    json(Method::POST, format!("{base}/jobs/{JOB}/retry"), 201, "real/retry_new_job.json").await;
    // The failed jobs of the pipeline (ids 6 and 7 in the docs' example).
    for failed in [6, 7] {
        json(Method::POST, format!("{base}/jobs/{failed}/retry"), 201, "real/retry_new_job.json").await;
        let log = failed_log(failed);
        server
            .mock_async(|when, then| {
                when.method(Method::GET).path(format!("{base}/jobs/{failed}/trace"));
                then.status(200).header("content-type", "text/plain").body(log);
            })
            .await;
    }
    json(Method::POST, format!("{base}/jobs/{JOB}/erase"), 201, "real/erase_job.json").await;
    json(Method::POST, format!("{base}/jobs/{MANUAL_JOB}/play"), 200, "real/play_bridge.json").await;
    // The latest successful `build` job of `main` keeps its archive in
    // "object storage": GitLab answers with a redirect, as it does there.
    let archive: Vec<u8> = (0..ARCHIVE_LEN).map(|i| (i * 7 % 251) as u8).collect();
    let storage = format!("{}/storage/artifacts.zip?X-Amz-Signature=mock", server.base_url());
    server
        .mock_async(|when, then| {
            when.method(Method::GET).path(format!("{base}/jobs/artifacts/main/download")).query_param("job", "build");
            then.status(302).header("location", storage.as_str()).body("You are being redirected");
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(Method::GET).path("/storage/artifacts.zip");
            then.status(200).header("content-type", "application/zip").body(archive);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(Method::GET)
                .path(format!("{base}/jobs/artifacts/main/raw/target/release/app"))
                .query_param("job", "build");
            then.status(200).header("content-type", "application/octet-stream").body(vec![0x7f, b'E', b'L', b'F']);
        })
        .await;
    server
        .mock_async(|when, then| {
            when.method(Method::GET).path(format!("{base}/jobs/{JOB}/trace"));
            then.status(200)
                .header("content-type", "text/plain")
                .header("content-disposition", format!("infile; filename=\"{JOB}.log\""))
                .body(LOG);
        })
        .await;
    server
}

/// Where an example sends its requests: a real GitLab when `GITLAB_URL` is
/// set (with `GITLAB_TOKEN` and `GITLAB_PROJECT`), else the local mock, which
/// lives as long as this value.
pub struct Target {
    pub client: gitlab_jobs::Client,
    pub project: gitlab_jobs::ProjectId,
    pub mock: Option<MockServer>,
}

impl Target {
    /// A value for the real server from `var`, or the mock's own.
    pub fn pick<T: std::str::FromStr>(&self, var: &str, mock_value: T) -> Result<T, String> {
        if self.mock.is_some() {
            return Ok(mock_value);
        }
        let text = std::env::var(var).map_err(|_| format!("set {var} when GITLAB_URL is set"))?;
        text.parse().map_err(|_| format!("{var}={text} is not valid"))
    }
}

pub async fn connect() -> Result<Target, Box<dyn std::error::Error>> {
    match std::env::var("GITLAB_URL") {
        Ok(_) => {
            // GITLAB_URL and GITLAB_TOKEN, or glab's and CI's variables.
            let client = gitlab_jobs::Client::from_env()?;
            let project = std::env::var("GITLAB_PROJECT").map_err(|_| "set GITLAB_PROJECT to a project id or path")?;
            Ok(Target { client, project: project.into(), mock: None })
        }
        Err(_) => {
            let mock = start().await;
            eprintln!("(no GITLAB_URL: using a local mock GitLab at {})", mock.base_url());
            let client = gitlab_jobs::Client::builder(mock.base_url()).private_token("glpat-mock").build()?;
            Ok(Target { client, project: PROJECT.into(), mock: Some(mock) })
        }
    }
}
