//! The download itself: the archive or file written to any `AsyncWrite` in
//! constant memory, resumed after a broken connection without writing a byte
//! twice, and GitLab's 404s read for what they mean.

use reqwest::StatusCode;
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::{ArtifactDownload, ArtifactError, ArtifactProblem, ArtifactSource, Downloaded, Progress};
use crate::{
    ApiError, Error, ErrorExt,
    transfer::{self, FileRead, ReadError},
    transport::Deadline,
};

impl ArtifactDownload<'_> {
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
        let (url, row) = self.url().map_err(|problem| ArtifactError::Api {
            error: Error::InvalidRequest(problem.to_string()),
            problem: Some(problem),
        })?;
        let deadline = self.deadline.and_then(Deadline::after);
        let first = transfer::get(self.client, row, &url, &[], deadline).await.map_err(|e| self.api(e))?;
        if first.status() != StatusCode::OK {
            let error = match first.status() {
                status if status.is_client_error() || status.is_server_error() => Error::UnexpectedResponse(first),
                _ => transfer::refuse(self.client, first, "it is no answer to a download".into()),
            };
            return Err(self.explain(error).await);
        }
        let mut read = FileRead::new(self.client, row, url, false, deadline, first);
        let total = match read.size() {
            Some(size) => Some(size),
            None => self.archive_size().await,
        };
        self.report(Progress { received: 0, total });
        let mut received = 0u64;
        loop {
            match read.next_chunk().await {
                Ok(Some(chunk)) => {
                    writer.write_all(&chunk).await.map_err(ArtifactError::Write)?;
                    received = received.saturating_add(chunk.len() as u64);
                    self.report(Progress { received, total });
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
        Ok(Downloaded { bytes: received, resumed: read.resumes() })
    }

    fn report(&mut self, progress: Progress) {
        if let Some(report) = self.progress.as_mut() {
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
