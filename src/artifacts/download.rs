//! The download itself: the archive or file written to any `AsyncWrite` in
//! constant memory, resumed after a broken connection without writing a byte
//! twice, and GitLab's 404s read for what they mean.

use std::path::Path;

use reqwest::StatusCode;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::{ArtifactDownload, ArtifactError, ArtifactProblem, ArtifactSource, Downloaded, Progress};
use crate::{
    ApiError, Error, ErrorExt,
    operations::Operation,
    transfer::{self, FileRead, PartFile, ReadError},
    transport::Deadline,
};

impl<'a> ArtifactDownload<'a> {
    /// Writes the artifact to `writer` in constant memory and returns how
    /// many bytes were written. The writer is flushed at the end.
    ///
    /// A broken connection is resumed where that provably continues the same
    /// artifact (see [`ArtifactDownload`]); an artifact that changed in
    /// between ends in [`ArtifactProblem::Changed`], never in a file spliced
    /// from two versions.
    pub async fn to_writer<W>(mut self, writer: &mut W) -> Result<Downloaded, ArtifactError>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let read = self.start().await?;
        self.copy(read, writer, 0).await
    }

    /// Downloads the artifact to `path` through `<path>.part`, renamed to
    /// `path` once complete (and flushed to disk). A `.part` file left by an
    /// earlier run that stopped half-way is continued where that provably
    /// continues the same artifact: with `Range` and `If-Range` of the
    /// validator noted beside it (`<path>.part.json`), else by reading the
    /// artifact again and checking the partial file's bytes before skipping
    /// them. A partial file of another version is emptied and the download
    /// starts over. [`Downloaded::from_earlier_run`] says how much was
    /// already there.
    ///
    /// ```no_run
    /// use gitlab_jobs::{ArtifactSource, Client};
    ///
    /// # async fn run(client: Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let source = ArtifactSource::ArchiveByRef { ref_name: "main".into(), job: "build".into() };
    /// let done = client.download_artifacts("group/project", source).to_path("build.zip").await?;
    /// println!("{} bytes, {} of them from an earlier run", done.bytes, done.from_earlier_run);
    /// # Ok(()) }
    /// ```
    pub async fn to_path(mut self, path: impl AsRef<Path>) -> Result<Downloaded, ArtifactError> {
        let (mut part, earlier) = PartFile::open(path.as_ref()).await.map_err(ArtifactError::Write)?;
        if let Some(earlier) = earlier {
            let (url, row) = self.target().map_err(|e| *e)?;
            let deadline = self.deadline.and_then(Deadline::after);
            let from = earlier.delivered;
            let read = FileRead::resumed(self.client, row, url, false, deadline, earlier);
            match self.copy(read, part.file(), from).await {
                Ok(done) => {
                    part.finish().await.map_err(ArtifactError::Write)?;
                    return Ok(done);
                }
                // The partial file is of another version: start over.
                Err(ArtifactError::Api { problem: Some(ArtifactProblem::Changed { .. }), .. }) => {
                    part.restart().await.map_err(ArtifactError::Write)?;
                }
                Err(error) => return Err(error),
            }
        }
        let read = self.start().await?;
        part.note(read.validator(), read.size()).await.map_err(ArtifactError::Write)?;
        let done = self.copy(read, part.file(), 0).await?;
        part.finish().await.map_err(ArtifactError::Write)?;
        Ok(done)
    }

    /// The URL and row of the download; the error says why it cannot be
    /// asked for.
    fn target(&self) -> Result<(String, &'static Operation), Box<ArtifactError>> {
        self.url().map_err(|problem| {
            Box::new(ArtifactError::Api { error: Error::InvalidRequest(problem.to_string()), problem: Some(problem) })
        })
    }

    /// The first request, and a read of its answer once it is the artifact.
    async fn start(&self) -> Result<FileRead<'a>, ArtifactError> {
        let (url, row) = self.target().map_err(|e| *e)?;
        let deadline = self.deadline.and_then(Deadline::after);
        let first = transfer::get(self.client, row, &url, &[], deadline).await.map_err(|e| self.api(e))?;
        if first.status() != StatusCode::OK {
            let error = match first.status() {
                status if status.is_client_error() || status.is_server_error() => Error::UnexpectedResponse(first),
                _ => transfer::refuse(self.client, first, "it is no answer to a download".into()),
            };
            return Err(self.explain(error).await);
        }
        Ok(FileRead::new(self.client, row, url, false, deadline, first))
    }

    /// Writes what `read` delivers after the `from` bytes already written.
    async fn copy<W>(&mut self, mut read: FileRead<'a>, writer: &mut W, from: u64) -> Result<Downloaded, ArtifactError>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let total = match read.size() {
            Some(size) => Some(size),
            None => self.archive_size().await,
        };
        let mut received = from;
        self.report(Progress { received, total }, true);
        loop {
            match read.next_chunk().await {
                Ok(Some(chunk)) => {
                    writer.write_all(&chunk).await.map_err(ArtifactError::Write)?;
                    received = received.saturating_add(chunk.len() as u64);
                    self.report(Progress { received, total }, false);
                }
                Ok(None) => break,
                Err(ReadError::Api(error)) => return Err(self.explain(*error).await),
                Err(ReadError::Broken { resumes, error }) => {
                    let problem = ArtifactProblem::Broken { resumes, written: received };
                    return Err(ArtifactError::Api { error: *error, problem: Some(problem) });
                }
                Err(ReadError::Changed(error)) => {
                    let problem = ArtifactProblem::Changed { written: received };
                    return Err(ArtifactError::Api { error: *error, problem: Some(problem) });
                }
            }
        }
        writer.flush().await.map_err(ArtifactError::Write)?;
        self.report(Progress { received, total }, true);
        Ok(Downloaded { bytes: received, resumed: read.resumes(), from_earlier_run: from })
    }

    /// Tells the progress callback, at most once per `progress_interval`
    /// unless `always` (the first and the last report).
    fn report(&mut self, progress: Progress, always: bool) {
        let Some(report) = self.progress.as_mut() else { return };
        let now = std::time::Instant::now();
        let due = self.reported.is_none_or(|last| now.duration_since(last) >= self.progress_interval);
        if (always && self.last_progress != Some(progress)) || due {
            self.reported = Some(now);
            self.last_progress = Some(progress);
            report(progress);
        }
    }

    fn api(&self, error: Error) -> ArtifactError {
        ArtifactError::Api { error, problem: None }
    }

    /// The size of a job's archive from the job, for a server that sends no
    /// `Content-Length`.
    async fn archive_size(&self) -> Option<u64> {
        let ArtifactSource::Archive { job_id } = &self.source else { return None };
        let job = self.client.get_job().id(self.project.clone()).job_id(*job_id).send().await.ok()?;
        job.artifacts_file.as_ref().and_then(|file| u64::try_from(file.size).ok())
    }

    /// The error, with what it means for artifacts.
    async fn explain(&self, error: Error) -> ArtifactError {
        let problem = match (error.http_status(), error.api_error()) {
            (Some(StatusCode::BAD_REQUEST), _) => Some(ArtifactProblem::BadPath),
            (Some(StatusCode::NOT_FOUND), Some(api)) => self.not_found(api).await,
            _ => None,
        };
        ArtifactError::Api { error, problem }
    }

    async fn not_found(&self, api: &ApiError) -> Option<ArtifactProblem> {
        if api.is_unknown_route() {
            return Some(ArtifactProblem::UnknownRoute);
        }
        let message = api.message.as_deref().unwrap_or_default();
        let plain = api.content_type.as_deref().is_some_and(|ct| ct.starts_with("text/plain"));
        match &self.source {
            // Workhorse's own answer: the archive is there, the entry is not.
            ArtifactSource::File { path, .. } | ArtifactSource::FileByRef { path, .. }
                if plain || message == "404 page not found" =>
            {
                return Some(ArtifactProblem::FileNotInArchive { path: path.clone() });
            }
            _ => {}
        }
        match message {
            "404 Project Not Found" => Some(ArtifactProblem::NoSuchProject),
            // The record-not-found handler: no such job (or, by ref, pipeline).
            "404 Not found" | "404 Job Not Found" => Some(ArtifactProblem::NoSuchJob),
            "404 Not Found" => Some(self.why_no_archive().await),
            _ => None,
        }
    }

    /// Expired or never kept: the job tells.
    async fn why_no_archive(&self) -> ArtifactProblem {
        let (ArtifactSource::Archive { job_id } | ArtifactSource::File { job_id, .. }) = &self.source else {
            return ArtifactProblem::NoArchive;
        };
        let Ok(job) = self.client.get_job().id(self.project.clone()).job_id(*job_id).send().await else {
            return ArtifactProblem::NoArchive;
        };
        let now = crate::Timestamp::from(chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()));
        match job.artifacts_expire_at {
            Some(at) if at < now => ArtifactProblem::Expired { at: at.to_rfc3339() },
            _ => ArtifactProblem::NoArchive,
        }
    }
}
