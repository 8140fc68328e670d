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
use std::path::Path;

use tokio::io::{AsyncWrite, AsyncWriteExt};

mod follow;
mod tail;

pub use follow::{DEFAULT_POLL_INTERVAL, FollowLog, MAX_BYTE_LIMIT};
pub use tail::LogTail;

use reqwest::StatusCode;

use crate::{
    Client, Error, ProjectId,
    operations::rows,
    transfer::{self, FileRead, PartFile, ReadError},
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

/// The same answers as for any error of the crate; a writer's failure has
/// no status.
impl crate::ErrorExt for LogError {
    fn http_status(&self) -> Option<reqwest::StatusCode> {
        match self {
            LogError::Api(e) => e.http_status(),
            LogError::Write(_) => None,
        }
    }

    fn api_error(&self) -> Option<&crate::ApiError> {
        match self {
            LogError::Api(e) => e.api_error(),
            LogError::Write(_) => None,
        }
    }

    fn describe(&self) -> String {
        crate::error::redact_queries(&self.to_string())
    }

    fn request_sent(&self) -> bool {
        match self {
            LogError::Api(e) => e.request_sent(),
            LogError::Write(_) => true,
        }
    }

    fn is_transient(&self) -> bool {
        match self {
            LogError::Api(e) => e.is_transient(),
            LogError::Write(_) => false,
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
                None => match self.open_log(url.clone()).await {
                    Ok(read) => read,
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
    /// Writes a job's whole log to `path` through `<path>.part`, renamed to
    /// `path` once complete (and flushed to disk), and returns the log's
    /// size. A `.part` file an earlier run left half-way is continued where
    /// that provably continues the same log, as
    /// [`ArtifactDownload::to_path`](crate::ArtifactDownload::to_path) does:
    /// a running job's log may have grown since, and a log that changed
    /// otherwise is downloaded again from its start.
    pub async fn download_job_log_to_path(
        &self,
        project: impl Into<ProjectId>,
        job_id: i64,
        path: impl AsRef<Path>,
    ) -> Result<u64, LogError> {
        let url = self.trace_url(&project.into(), job_id);
        let (mut part, earlier) = PartFile::open(path.as_ref()).await.map_err(LogError::Write)?;
        if let Some(earlier) = earlier {
            let from = earlier.delivered;
            let read = FileRead::resumed(self, rows::get_job_trace(), url.clone(), true, None, earlier);
            match write_log(read, part.file(), from).await {
                Ok(size) => {
                    part.finish().await.map_err(LogError::Write)?;
                    return Ok(size);
                }
                // The partial file holds another log: start over.
                Err(Written::Read(ReadError::Changed(_))) => part.restart().await.map_err(LogError::Write)?,
                Err(other) => return Err(other.into()),
            }
        }
        let read = self.open_log(url).await.map_err(LogError::Api)?;
        part.note(read.validator(), read.size()).await.map_err(LogError::Write)?;
        let size = write_log(read, part.file(), 0).await.map_err(LogError::from)?;
        part.finish().await.map_err(LogError::Write)?;
        Ok(size)
    }

    /// The first request of a whole log, and a read of its answer once it is
    /// the log.
    async fn open_log(&self, url: String) -> Result<FileRead<'_>, Error> {
        let first = transfer::get(self, rows::get_job_trace(), &url, &[], None).await?;
        match first.status() {
            StatusCode::OK => Ok(FileRead::new(self, rows::get_job_trace(), url, true, None, first)),
            status if status.is_client_error() || status.is_server_error() => Err(Error::UnexpectedResponse(first)),
            _ => Err(transfer::refuse(self, first, "it is no answer to a job log's download".into())),
        }
    }

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

/// Why writing a log out stopped.
enum Written {
    Read(ReadError),
    Write(std::io::Error),
}

impl From<Written> for LogError {
    fn from(written: Written) -> LogError {
        match written {
            Written::Read(error) => LogError::Api(error.into_error()),
            Written::Write(error) => LogError::Write(error),
        }
    }
}

/// Writes what `read` delivers to `writer`, after the `from` bytes already
/// there; the size of the whole log.
async fn write_log<W>(mut read: FileRead<'_>, writer: &mut W, from: u64) -> Result<u64, Written>
where
    W: AsyncWrite + Unpin + ?Sized,
{
    let mut written = from;
    while let Some(chunk) = read.next_chunk().await.map_err(Written::Read)? {
        writer.write_all(&chunk).await.map_err(Written::Write)?;
        written = written.saturating_add(chunk.len() as u64);
    }
    writer.flush().await.map_err(Written::Write)?;
    Ok(written)
}
