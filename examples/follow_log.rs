//! Prints a job's log as it is written, until the job finishes.
//!
//!     cargo run --example follow_log
//!     GITLAB_URL=… GITLAB_TOKEN=… GITLAB_PROJECT=group/project GITLAB_JOB=456 cargo run --example follow_log

mod support;

use std::time::Duration;

use futures::StreamExt;
use tokio::io::AsyncWriteExt;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = support::connect().await?;
    let job_id: i64 = target.pick("GITLAB_JOB", support::JOB)?;

    let mut log =
        target.client.follow_job_log(target.project.clone(), job_id).poll_interval(Duration::from_secs(2)).stream();
    let mut stdout = tokio::io::stdout();
    while let Some(chunk) = log.next().await {
        stdout.write_all(&chunk?).await?;
        stdout.flush().await?;
    }

    let job = target.client.get_job().id(target.project.clone()).job_id(job_id).send().await?;
    eprintln!("\njob #{job_id} finished: {}", job.status);
    Ok(())
}
