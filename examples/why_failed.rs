//! Says why each failed job of a pipeline failed: its failure reason, the
//! section of the log it failed in, how long that section ran, and its last
//! lines as clean text (no colours, progress bars collapsed, runner
//! timestamps read off).
//!
//!     cargo run --example why_failed
//!     GITLAB_URL=… GITLAB_TOKEN=… GITLAB_PROJECT=group/project GITLAB_PIPELINE=123 cargo run --example why_failed
//!
//! Each log is read as a stream, in constant memory, keeping only its last lines.

mod support;

use futures::TryStreamExt;
use gitlab_jobs::{JobScope, Paginate, log::LogSummary};

/// How many last lines of the failed section to show.
const LINES: usize = 8;

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
    println!("pipeline {pipeline}: {} failed job(s)", failed.len());

    for job in &failed {
        let reason = job.failure_reason.as_ref().map_or("unknown reason".to_owned(), ToString::to_string);
        let stage = job.stage.as_deref().unwrap_or("no stage");
        println!("\n#{} {} ({stage}): {reason}", job.id, job.name);
        let summary = LogSummary::of_stream(client.job_log(target.project.clone(), job.id), LINES).await?;
        match summary.failed_section() {
            Some(failed) => {
                let section = failed.section;
                let took = section.duration.map_or(String::new(), |d| format!(" after {}s", d.as_secs()));
                let how = if failed.still_open { "stopped inside" } else { "failed in" };
                println!("  {how} section {} \"{}\"{took}, {} lines:", section.name, section.header, section.lines);
                for line in section.tail.lines() {
                    println!("    | {line}");
                }
            }
            None => println!("  (the log has no sections)"),
        }
        if let Some(last) = summary.tail().lines().last() {
            println!("  last line: {last}");
        }
    }
    Ok(())
}
