//! Retries the failed jobs of a pipeline that the platform failed (a runner
//! that broke, a stuck job, GitLab's API), not those whose own script
//! failed: the flaky-job bot in a few lines.
//!
//!     cargo run --example retry_failed_jobs
//!     GITLAB_URL=… GITLAB_TOKEN=… GITLAB_PROJECT=group/project GITLAB_PIPELINE=123 cargo run --example retry_failed_jobs
//!
//! Listing is retried through rate limits by the client; the retries of jobs
//! are POSTs, which the client never repeats on its own, so each job is
//! retried once. A retry whose answer is lost after GitLab accepted it is
//! not sent again: the job it created is looked up instead.

mod support;

use std::time::SystemTime;

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
        let Some(reason) = job.failure_reason.as_ref().filter(|reason| reason.is_platform_failure()) else {
            let why = job.failure_reason.as_ref().map_or("no reason given".to_owned(), |r| r.to_string());
            println!("  not retried: {} (#{}) failed on its own ({why})", job.name, job.id);
            continue;
        };
        let sent_at = SystemTime::now();
        match client.retry_job().id(target.project.clone()).job_id(job.id).send().await {
            Ok(new_job) => println!("  retried {} (#{}, {reason}) as #{}", job.name, job.id, new_job.id),
            // GitLab retried it, but its answer broke off: find the new job.
            Err(error) if error.answer_lost() => {
                match client.find_retried_job(target.project.clone(), job.id, sent_at).await? {
                    Some(new_job) => println!("  retried {} (#{}) as #{} (answer lost)", job.name, job.id, new_job.id),
                    None => {
                        println!("  {} (#{}): the retry's answer was lost and no new job is there", job.name, job.id)
                    }
                }
            }
            // GitLab refuses some retries ("403 Forbidden - Job is not retryable").
            Err(error) => println!("  could not retry {} (#{}): {}", job.name, job.id, error.describe()),
        }
    }
    Ok(())
}
