//! Job logs of any size: streamed in constant memory, resumed after a broken
//! connection without repeating a byte, and followed while the job runs.
//!
//! GitLab's newest servers can return a slice of a log (`byte_offset`,
//! `byte_limit` up to 512,000 bytes); older ones ignore both and always send the
//! whole log. Everything here works against both: where a server may have
//! ignored the slice, the bytes already delivered are skipped as they arrive.
//! A whole log resumed after a broken connection is read as `transfer/`
//! reads any file: the rest asked for with `Range` and `If-Range` where the
//! first answer had a validator (GitLab's own trace endpoint,
//! `lib/api/ci/jobs.rb`, sends the whole log whatever is asked; a proxy or
//! cache in front of it may honour the range), else the whole log again with
//! the bytes delivered skipped once a digest shows they are the same. A
//! running job's log may grow in between; one that changed otherwise is an
//! error, never spliced.

use bytes::Bytes;
use futures::{
    StreamExt,
    stream::{self, BoxStream},
};
use tokio::io::{AsyncWrite, AsyncWriteExt};

mod follow;
mod tail;

pub use follow::{DEFAULT_POLL_INTERVAL, FollowLog, MAX_BYTE_LIMIT};
pub use tail::LogTail;

use reqwest::StatusCode;

use crate::{
    Client, Error, ProjectId,
    operations::rows,
    transfer::{self, FileRead},
};

/// Why a log could not be written out.
#[derive(Debug)]
#[non_exhaustive]
pub enum LogError {
    /// GitLab did not deliver the log.
    Api(Error),
    /// The writer refused the bytes.
    Write(std::io::Error),
}

impl std::fmt::Display for LogError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LogError::Api(e) => write!(f, "the job log could not be read: {}", crate::ErrorExt::describe(e)),
            LogError::Write(e) => write!(f, "the job log could not be written: {e}"),
        }
    }
}

impl std::error::Error for LogError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            LogError::Api(e) => Some(e),
            LogError::Write(e) => Some(e),
        }
    }
}

impl Client {
    /// A job's whole log as a stream of byte chunks. Only one chunk is held at
    /// a time. If the connection breaks midway, the rest is asked for where
    /// that provably continues the same log (`Range` with `If-Range`, where
    /// the first answer had an `ETag` or `Last-Modified`), else the log is
    /// read again and the bytes already delivered are skipped once a digest
    /// shows they are the same; a running job's log may have grown in
    /// between. A log that changed otherwise ends the stream with an error.
    /// No byte is delivered twice, within the client's retry policy
    /// (`RetryPolicy::max_attempts` breaks in a row, `max_resumes` in all).
    pub fn job_log(&self, project: impl Into<ProjectId>, job_id: i64) -> BoxStream<'_, Result<Bytes, Error>> {
        let url = self.trace_url(&project.into(), job_id);
        stream::unfold(Some((None, url)), move |state| async move {
            let (read, url): (Option<FileRead<'_>>, String) = state?;
            let mut read = match read {
                Some(read) => read,
                None => match transfer::get(self, rows::get_job_trace(), &url, &[], None).await {
                    Ok(first) if first.status() == StatusCode::OK => {
                        FileRead::new(self, rows::get_job_trace(), url.clone(), true, None, first)
                    }
                    Ok(first) if first.status().is_client_error() || first.status().is_server_error() => {
                        return Some((Err(Error::UnexpectedResponse(first)), None));
                    }
                    Ok(first) => {
                        let error = transfer::refuse(self, first, "it is no answer to a job log's download".into());
                        return Some((Err(error), None));
                    }
                    Err(error) => return Some((Err(error), None)),
                },
            };
            match read.next_chunk().await {
                Ok(Some(chunk)) => Some((Ok(chunk), Some((Some(read), url)))),
                Ok(None) => None,
                Err(error) => Some((Err(error.into_error()), None)),
            }
        })
        .boxed()
    }

    /// Writes a job's whole log to `writer` in constant memory and returns the
    /// number of bytes written. Resumes after a broken connection as
    /// [`Client::job_log`] does.
    pub async fn download_job_log<W>(
        &self,
        project: impl Into<ProjectId>,
        job_id: i64,
        writer: &mut W,
    ) -> Result<u64, LogError>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let mut log = self.job_log(project, job_id);
        let mut written = 0u64;
        while let Some(chunk) = log.next().await {
            let chunk = chunk.map_err(LogError::Api)?;
            writer.write_all(&chunk).await.map_err(LogError::Write)?;
            written += chunk.len() as u64;
        }
        writer.flush().await.map_err(LogError::Write)?;
        Ok(written)
    }
}

impl Client {
    /// A job's log asked for with `Range: <range>`, as generated requests
    /// are sent (the generated operation has no `Range` setter); the caller
    /// reads the status.
    pub(super) async fn trace_range(
        &self,
        project: &ProjectId,
        job_id: i64,
        range: &str,
    ) -> Result<reqwest::Response, Error> {
        let url = self.trace_url(project, job_id);
        let range = reqwest::header::HeaderValue::from_str(range).map_err(|e| Error::InvalidRequest(e.to_string()))?;
        transfer::get(self, rows::get_job_trace(), &url, &[(reqwest::header::RANGE, range)], None).await
    }

    /// The address of a job's log, as the generated `get_job_trace` builds it.
    fn trace_url(&self, project: &ProjectId, job_id: i64) -> String {
        format!(
            "{}/projects/{}/jobs/{job_id}/trace",
            self.baseurl,
            progenitor_client::encode_path(&project.to_string())
        )
    }
}
