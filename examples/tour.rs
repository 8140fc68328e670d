//! A walk through every endpoint of GitLab's Jobs API.
//!
//! With no `GITLAB_URL` set, it starts a local mock GitLab that serves the
//! crate's fixtures and calls all eleven endpoints against it:
//!
//!     cargo run --example tour
//!
//! With `GITLAB_URL`, `GITLAB_TOKEN` (a personal access token) and
//! `GITLAB_PROJECT` (id or `group/project`) set, it runs only the read-only
//! calls against that server; inside a CI job it also asks which job the
//! `CI_JOB_TOKEN` belongs to.

mod support;

use futures::TryStreamExt;
use gitlab_jobs::{Client, JobScope, JobStatus, types};

type Result<T = ()> = std::result::Result<T, Box<dyn std::error::Error>>;

#[tokio::main]
async fn main() -> Result {
    match std::env::var("GITLAB_URL") {
        Ok(url) => real_server(&url).await,
        Err(_) => mock_server().await,
    }
}

async fn mock_server() -> Result {
    let server = support::start().await;
    println!("No GITLAB_URL set: touring a local mock GitLab at {}\n", server.base_url());
    let client = Client::builder(server.base_url()).private_token("glpat-mock").build()?;
    let project = support::PROJECT;

    let jobs = client.list_project_jobs().id(project).scope(vec![JobScope::Running, JobScope::Failed]).send().await?;
    step("list_project_jobs", "GET /projects/:id/jobs", format!("{} jobs", jobs.len()));
    for job in jobs.iter() {
        println!("    {}", job_line(job));
    }
    let running = jobs.iter().find(|j| j.status == JobStatus::Running).ok_or("no running job in the mock")?.id;

    let jobs =
        client.list_pipeline_jobs().id(project).pipeline_id(support::PIPELINE).include_retried(true).send().await?;
    step("list_pipeline_jobs", "GET /projects/:id/pipelines/:pipeline_id/jobs", format!("{} jobs", jobs.len()));
    for job in jobs.iter() {
        println!("    {}", job_line(job));
    }

    let bridges = client.list_pipeline_bridges().id(project).pipeline_id(support::PIPELINE).send().await?;
    step(
        "list_pipeline_bridges",
        "GET /projects/:id/pipelines/:pipeline_id/bridges",
        format!("{} trigger jobs", bridges.len()),
    );
    for bridge in bridges.iter() {
        let downstream = match &bridge.downstream_pipeline {
            Some(p) => format!("downstream pipeline #{} {}", p.id, p.status),
            None => "not triggered yet".to_owned(),
        };
        println!("    #{} {:<18} {:<8} {downstream}", bridge.id, bridge.name, bridge.status);
    }

    let job = client.get_current_job().send().await?;
    step("get_current_job", "GET /job", job_line(&job));

    let agents = client.get_allowed_agents().send().await?;
    let names: Vec<_> =
        agents.allowed_agents.iter().filter_map(|a| a.config_project.path_with_namespace.clone()).collect();
    step(
        "get_allowed_agents",
        "GET /job/allowed_agents",
        format!("job #{} may use agents from {names:?}", agents.job.id),
    );

    let job = client.get_job().id(project).job_id(support::JOB).send().await?;
    step("get_job", "GET /projects/:id/jobs/:job_id", job_line(&job));
    if let Some(commit) = &job.commit {
        println!(
            "    commit {} \"{}\" at {}",
            commit.short_id.as_deref().unwrap_or("(unknown)"),
            commit.title,
            commit.created_at
        );
    }

    let log = client.get_job_trace().id(project).job_id(support::JOB).send().await?;
    let bytes: Vec<u8> = log.into_inner().into_inner().map_ok(|chunk| chunk.to_vec()).try_concat().await?;
    step("get_job_trace", "GET /projects/:id/jobs/:job_id/trace", format!("{} bytes of log; last line:", bytes.len()));
    let text = String::from_utf8_lossy(&bytes);
    println!("    {:?}", text.lines().rev().find(|l| !l.trim().is_empty()).unwrap_or(""));

    let job = client.cancel_job().id(project).job_id(running).send().await?;
    step("cancel_job", "POST /projects/:id/jobs/:job_id/cancel", job_line(&job));

    let job = client.retry_job().id(project).job_id(support::JOB).send().await?;
    step("retry_job", "POST /projects/:id/jobs/:job_id/retry", format!("new job {}", job_line(&job)));

    let job = client.erase_job().id(project).job_id(support::JOB).send().await?;
    let erased = job.erased_at.map(|t| t.to_rfc3339()).unwrap_or_default();
    step("erase_job", "POST /projects/:id/jobs/:job_id/erase", format!("#{} erased at {erased}", job.id));

    let played = client
        .play_job()
        .id(project)
        .job_id(support::MANUAL_JOB)
        .body(types::PlayJobRequest {
            job_variables_attributes: vec![types::JobVariable { key: "DEPLOY_TARGET".into(), value: "staging".into() }],
            ..Default::default()
        })
        .send()
        .await?;
    let what = match &*played {
        types::PlayedJob::Job(job) => format!("job {}", job_line(job)),
        types::PlayedJob::Bridge(bridge) => format!("trigger job #{} {} {}", bridge.id, bridge.name, bridge.status),
    };
    step("play_job", "POST /projects/:id/jobs/:job_id/play", what);

    println!("\nAll 11 endpoints answered.");
    Ok(())
}

async fn real_server(url: &str) -> Result {
    let token = std::env::var("GITLAB_TOKEN").map_err(|_| "set GITLAB_TOKEN to a personal access token (read_api)")?;
    let project = std::env::var("GITLAB_PROJECT").map_err(|_| "set GITLAB_PROJECT to a project id or path")?;
    let client = Client::builder(url).private_token(token).build()?;
    println!("Touring {} (read-only calls only)\n", client.api_url());

    let jobs = client.list_project_jobs().id(project.as_str()).per_page(5u32).send().await?;
    step("list_project_jobs", "GET /projects/:id/jobs", format!("newest {} jobs", jobs.len()));
    for job in jobs.iter() {
        println!("    {}", job_line(job));
    }
    let Some(first) = jobs.first() else {
        println!("\nThe project has no jobs; nothing more to read.");
        return Ok(());
    };

    let job = client.get_job().id(project.as_str()).job_id(first.id).send().await?;
    step("get_job", "GET /projects/:id/jobs/:job_id", job_line(&job));

    let log = client.get_job_trace().id(project.as_str()).job_id(first.id).send().await?;
    let mut stream = log.into_inner().into_inner();
    let mut size = 0usize;
    while let Some(chunk) = stream.try_next().await? {
        size += chunk.len();
    }
    step("get_job_trace", "GET /projects/:id/jobs/:job_id/trace", format!("{size} bytes of log"));

    if let Some(pipeline) = &job.pipeline {
        let jobs = client.list_pipeline_jobs().id(project.as_str()).pipeline_id(pipeline.id).send().await?;
        step(
            "list_pipeline_jobs",
            "GET /projects/:id/pipelines/:pipeline_id/jobs",
            format!("{} jobs in pipeline #{}", jobs.len(), pipeline.id),
        );
        let bridges = client.list_pipeline_bridges().id(project.as_str()).pipeline_id(pipeline.id).send().await?;
        step(
            "list_pipeline_bridges",
            "GET /projects/:id/pipelines/:pipeline_id/bridges",
            format!("{} trigger jobs", bridges.len()),
        );
    }

    match Client::from_ci_env() {
        Ok(ci) => {
            let job = ci.get_current_job().send().await?;
            step("get_current_job", "GET /job", job_line(&job));
            match ci.get_allowed_agents().send().await {
                Ok(agents) => step(
                    "get_allowed_agents",
                    "GET /job/allowed_agents",
                    format!("{} agents", agents.allowed_agents.len()),
                ),
                Err(e) => step("get_allowed_agents", "GET /job/allowed_agents", format!("not available: {e}")),
            }
        }
        Err(e) => println!("  (get_current_job and get_allowed_agents need a CI job token: {e})"),
    }
    println!(
        "\ncancel_job, retry_job, erase_job and play_job change jobs; the tour does not call them on a real server."
    );
    Ok(())
}

fn step(operation: &str, route: &str, result: String) {
    println!("{operation:<22} {route}\n  -> {result}");
}

fn job_line(job: &types::Job) -> String {
    let reason = job.failure_reason.as_ref().map(|r| format!(" ({r})")).unwrap_or_default();
    let duration = job.duration.map(|d| format!(" in {d:.1}s")).unwrap_or_default();
    format!("#{} {:<12} {:<9}{reason}{duration} on {}", job.id, job.name, job.status, job.ref_)
}
