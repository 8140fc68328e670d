//! Lists a project's failed jobs on one branch or tag, newest first, with why
//! each failed.
//!
//!     cargo run --example failed_jobs_of_ref
//!     GITLAB_URL=… GITLAB_TOKEN=… GITLAB_PROJECT=group/project GITLAB_REF=main cargo run --example failed_jobs_of_ref
//!
//! Project jobs are read over keyset pages, 100 at a time, and only as far as
//! the `take` below asks.

mod support;

use futures::{StreamExt, TryStreamExt};
use gitlab_jobs::{JobScope, Paginate};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = support::connect().await?;
    let git_ref: String = target.pick("GITLAB_REF", "main".to_owned())?;

    let jobs: Vec<_> = target
        .client
        .list_project_jobs()
        .id(target.project.clone())
        .scope(vec![JobScope::Failed])
        .ref_(git_ref.as_str())
        .stream()
        .take(50)
        .try_collect()
        .await?;

    println!("{} failed jobs on {git_ref}:", jobs.len());
    for job in &jobs {
        let reason = job.failure_reason.as_ref().map_or("unknown".to_owned(), ToString::to_string);
        let finished = job.finished_at.map_or("-".to_owned(), |t| t.format("%Y-%m-%d %H:%M").to_string());
        println!("  #{:<12} {:<24} {:<16} {reason:<28} {}", job.id, job.name, finished, job.status);
    }
    Ok(())
}
