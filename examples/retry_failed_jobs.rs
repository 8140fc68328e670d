//! Retries every failed job of a pipeline: the flaky-job bot in a few lines.
//!
//!     cargo run --example retry_failed_jobs
//!     GITLAB_URL=… GITLAB_TOKEN=… GITLAB_PROJECT=group/project GITLAB_PIPELINE=123 cargo run --example retry_failed_jobs
//!
//! Listing is retried through rate limits by the client; the retries of jobs
//! are POSTs, which the client never repeats on its own, so each failed job is
//! retried exactly once.

mod support;

use futures::TryStreamExt;
use gitlab_jobs::{ErrorExt, JobScope, Paginate};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = support::connect().await?;
    let pipeline: i64 = target.pick("GITLAB_PIPELINE", support::PIPELINE)?;
    let client = &target.client;

    let failed: Vec<_> = client
        .list_pipeline_jobs()
        .id(target.project.clone())
        .pipeline_id(pipeline)
        .scope(vec![JobScope::Failed])
        .stream()
        .try_collect()
        .await?;
    println!("pipeline #{pipeline}: {} failed jobs", failed.len());

    for job in failed.iter().filter(|job| !job.allow_failure) {
        match client.retry_job().id(target.project.clone()).job_id(job.id).send().await {
            Ok(new_job) => println!("  retried {} (#{}) as #{}", job.name, job.id, new_job.id),
            // GitLab refuses some retries ("403 Forbidden - Job is not retryable").
            Err(error) => println!("  could not retry {} (#{}): {}", job.name, job.id, error.describe()),
        }
    }
    Ok(())
}
