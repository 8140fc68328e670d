//! The download itself: the archive or file written to any `AsyncWrite` in
//! constant memory, resumed after a broken connection without writing a byte
//! twice, and GitLab's 404s read for what they mean.

use futures::StreamExt;
use reqwest::{
    StatusCode,
    header::{self, HeaderValue},
};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use super::{ArtifactDownload, ArtifactError, ArtifactProblem, ArtifactSource, Downloaded, Progress};
use crate::{
    ApiError, Error, ErrorExt,
    transfer::{self, content_range, skip_prefix},
    transport::retry::is_retryable_error,
};

impl ArtifactDownload<'_> {
    /// Writes the artifact to `writer` in constant memory and returns how
    /// many bytes were written. The writer is flushed at the end.
    pub async fn to_writer<W>(mut self, writer: &mut W) -> Result<Downloaded, ArtifactError>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let (url, row) = self.url().map_err(|problem| ArtifactError::Api {
            error: Error::InvalidRequest(problem.to_string()),
            problem: Some(problem),
        })?;
        let attempts = self.client.inner.transport.retry.attempts();
        let mut received = 0u64;
        let mut resumed = 0u32;
        let mut failures = 0u32;
        let mut total: Option<u64> = None;
        // The first answer's size, to tell a resumed answer of another artifact.
        let mut first_size: Option<u64> = None;
        let mut size_asked = false;
        // What the first answer said about the artifact's version: a resumed
        // range is asked with `If-Range`, so a changed artifact comes whole.
        let mut validator: Option<HeaderValue> = None;
        loop {
            let mut headers = Vec::new();
            if received > 0 {
                let range = HeaderValue::from_str(&format!("bytes={received}-"))
                    .map_err(|e| self.api(Error::InvalidRequest(e.to_string())))?;
                headers.push((header::RANGE, range));
                if let Some(validator) = &validator {
                    headers.push((header::IF_RANGE, validator.clone()));
                }
            }
            let response = transfer::get(self.client, row, &url, &headers).await.map_err(|e| self.api(e))?;
            let status = response.status();
            let mut skip: u64;
            let this_validator =
                response.headers().get(header::ETAG).or(response.headers().get(header::LAST_MODIFIED)).cloned();
            let size = match status {
                StatusCode::OK => {
                    skip = received;
                    response.content_length()
                }
                StatusCode::PARTIAL_CONTENT => {
                    // A range answer must say which bytes it holds; one that
                    // does not (or holds several ranges) cannot be spliced.
                    let Some((start, size)) = content_range(response.headers()) else {
                        return Err(self.api(Error::InvalidRequest(
                            "a 206 answer without a single Content-Range cannot be resumed".into(),
                        )));
                    };
                    if start > received {
                        let error = Error::InvalidRequest(format!(
                            "asked for bytes from {received}, the server sent bytes from {start}"
                        ));
                        return Err(self.api(error));
                    }
                    skip = received - start;
                    size
                }
                _ => return Err(self.explain(Error::UnexpectedResponse(response)).await),
            };
            if received == 0 {
                validator = this_validator;
                first_size = size;
            } else {
                // A resumed answer must be the same artifact: by its ETag or
                // Last-Modified, and by its size, where both answers say them.
                // (A by-ref download may meanwhile resolve to a newer job.)
                let changed = matches!((&validator, &this_validator), (Some(a), Some(b)) if a != b)
                    || matches!((first_size, size), (Some(a), Some(b)) if a != b);
                if changed {
                    return Err(self.api(Error::InvalidRequest(format!(
                        "the artifact changed while it was downloading ({received} bytes written); start again"
                    ))));
                }
            }
            total = total.or(size);
            if received == 0 {
                // Once: a retried first request needs no second look at the job.
                if total.is_none() && !size_asked {
                    size_asked = true;
                    total = self.archive_size().await;
                }
                self.report(Progress { received, total });
            }
            let mut body = response.bytes_stream();
            let mut broken = None;
            while let Some(chunk) = body.next().await {
                match chunk {
                    Ok(chunk) => {
                        let chunk = skip_prefix(chunk, &mut skip);
                        if chunk.is_empty() {
                            continue;
                        }
                        writer.write_all(&chunk).await.map_err(ArtifactError::Write)?;
                        received += chunk.len() as u64;
                        failures = 0;
                        self.report(Progress { received, total });
                    }
                    Err(error) => {
                        broken = Some(error);
                        break;
                    }
                }
            }
            match broken {
                None if total.is_none_or(|total| received >= total) => break,
                // The body ended early without an error: resume as after a break.
                None => failures += 1,
                Some(error) if is_retryable_error(&error) => failures += 1,
                Some(error) => return Err(self.api(Error::ResponseBodyError(error))),
            }
            if failures >= attempts {
                let why = format!("the connection broke {failures} times; {received} bytes were written");
                return Err(self.api(Error::InvalidRequest(why)));
            }
            resumed += 1;
        }
        writer.flush().await.map_err(ArtifactError::Write)?;
        Ok(Downloaded { bytes: received, resumed })
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
