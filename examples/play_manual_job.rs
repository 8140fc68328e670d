//! Runs a manual job with CI/CD variables given as KEY=VALUE arguments.
//!
//!     cargo run --example play_manual_job -- DEPLOY_TARGET=staging
//!     GITLAB_URL=… GITLAB_TOKEN=… GITLAB_PROJECT=group/project GITLAB_JOB=789 cargo run --example play_manual_job -- KEY=VALUE

mod support;

use gitlab_jobs::{ErrorExt, types};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = support::connect().await?;
    let job_id: i64 = target.pick("GITLAB_JOB", support::MANUAL_JOB)?;
    let variables = std::env::args()
        .skip(1)
        .map(|arg| match arg.split_once('=') {
            Some((key, value)) => Ok(types::JobVariable { key: key.into(), value: value.into() }),
            None => Err(format!("`{arg}` is not KEY=VALUE")),
        })
        .collect::<Result<Vec<_>, _>>()?;

    let request = types::PlayJobRequest { job_variables_attributes: variables, ..Default::default() };
    let played = match target.client.play_job().id(target.project.clone()).job_id(job_id).body(request).send().await {
        Ok(played) => played.into_inner(),
        Err(error) => return Err(error.describe().into()),
    };
    match played {
        types::PlayedJob::Job(job) => println!("started job {} (#{}): {}", job.name, job.id, job.status),
        types::PlayedJob::Bridge(bridge) => {
            println!("started trigger job {} (#{}): {}", bridge.name, bridge.id, bridge.status)
        }
    }
    Ok(())
}
