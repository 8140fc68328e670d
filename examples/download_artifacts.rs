//! Downloads the artifacts of the latest successful job of a given name on a
//! branch or tag: the whole archive, or one file from it, with a progress bar.
//!
//!     cargo run --example download_artifacts
//!     cargo run --example download_artifacts -- target/release/app
//!     GITLAB_URL=… GITLAB_TOKEN=… GITLAB_PROJECT=group/project GITLAB_REF=main GITLAB_JOB_NAME=build \
//!       cargo run --example download_artifacts -- [path/in/archive]
//!
//! The archive may be redirected to object storage; the download follows it
//! without sending the token there, writes to a file in constant memory, and
//! resumes if the connection breaks.

mod support;

use std::io::Write;

use gitlab_jobs::{ArtifactSource, Progress};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let target = support::connect().await?;
    let git_ref: String = target.pick("GITLAB_REF", "main".to_owned())?;
    let job: String = target.pick("GITLAB_JOB_NAME", "build".to_owned())?;
    let path = std::env::args().nth(1);

    let (source, file_name) = match &path {
        Some(path) => {
            let name = path.rsplit('/').next().unwrap_or("artifact").to_owned();
            (ArtifactSource::FileByRef { ref_name: git_ref.clone(), job: job.clone(), path: path.clone() }, name)
        }
        None => {
            (ArtifactSource::ArchiveByRef { ref_name: git_ref.clone(), job: job.clone() }, "artifacts.zip".to_owned())
        }
    };
    let out_path = std::env::temp_dir().join(format!("gitlab-jobs-{}-{file_name}", std::process::id()));
    let mut out = tokio::fs::File::create(&out_path).await?;

    println!("{} of job `{job}` on {git_ref} -> {}", path.as_deref().unwrap_or("archive"), out_path.display());
    let done = target
        .client
        .download_artifacts(target.project.clone(), source)
        .on_progress(draw_bar)
        .to_writer(&mut out)
        .await?;
    eprintln!();
    println!(
        "done: {} bytes{}",
        done.bytes,
        if done.resumed > 0 { format!(", resumed {} times", done.resumed) } else { String::new() }
    );
    if target.mock.is_some() {
        tokio::fs::remove_file(&out_path).await?;
    }
    Ok(())
}

/// `[##########----------]  52%  1.6 of 3.0 MiB`, redrawn in place on stderr.
fn draw_bar(p: Progress) {
    const WIDTH: u64 = 30;
    let mib = |b: u64| b as f64 / 1_048_576.0;
    let line = match p.total {
        Some(total) if total > 0 => {
            let filled = (p.received * WIDTH / total).min(WIDTH);
            format!(
                "[{}{}] {:3}%  {:.1} of {:.1} MiB",
                "#".repeat(filled as usize),
                "-".repeat((WIDTH - filled) as usize),
                p.received * 100 / total,
                mib(p.received),
                mib(total)
            )
        }
        _ => format!("{:.1} MiB", mib(p.received)),
    };
    let mut err = std::io::stderr();
    let _ = write!(err, "\r{line}");
    let _ = err.flush();
}
