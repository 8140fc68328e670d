//! Job logs of any size: streamed in constant memory, resumed after a broken
//! connection without repeating a byte, and followed while the job runs.
//!
//! GitLab's newest servers can return a slice of a log (`byte_offset`,
//! `byte_limit` up to 512,000 bytes); older ones ignore both and always send the
//! whole log. Everything here works against both: where a server may have
//! ignored the slice, the bytes already delivered are skipped as they arrive.
//! A whole log resumed after a broken connection asks for the rest with
//! `Range`; GitLab's own trace endpoint (`lib/api/ci/jobs.rb`) sends the
//! whole log whatever is asked, and a proxy or cache in front of it may
//! honour the range. The answer decides: a slice from the right byte is
//! read as it is, a whole log is skipped likewise.

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

use crate::{
    Client, Error, ProjectId,
    operations::rows,
    transfer::{self, Body, content_range, skip_prefix},
    transport::retry::is_retryable_error,
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
    /// a time. If the connection breaks midway, the rest of the log is asked
    /// for with `Range: bytes=N-`, and where the server sends the whole log
    /// instead, the bytes already delivered are skipped; up to the client's
    /// retry attempts. No byte is delivered twice.
    pub fn job_log(&self, project: impl Into<ProjectId>, job_id: i64) -> BoxStream<'_, Result<Bytes, Error>> {
        let project = project.into();
        let attempts = self.inner.transport.retry.attempts();
        struct State {
            body: Option<Body>,
            delivered: u64,
            skip: u64,
            failures: u32,
        }
        let start = State { body: None, delivered: 0, skip: 0, failures: 0 };
        stream::unfold(Some(start), move |state| {
            let project = project.clone();
            async move {
                let mut st = state?;
                loop {
                    let Some(body) = st.body.as_mut() else {
                        if st.delivered > 0 {
                            match self.rest_of_log(&project, job_id, st.delivered).await {
                                Ok(Rest::Slice(body)) => {
                                    st.body = Some(body);
                                    st.skip = 0;
                                    continue;
                                }
                                Ok(Rest::Whole(body)) => {
                                    st.body = Some(body);
                                    st.skip = st.delivered;
                                    continue;
                                }
                                Ok(Rest::Nothing) => return None,
                                Ok(Rest::Unsliced) => {}
                                Err(error) => return Some((Err(error), None)),
                            }
                        }
                        match self.get_job_trace().id(project.clone()).job_id(job_id).send().await {
                            Ok(response) => {
                                st.body = Some(response.into_inner().into_inner());
                                st.skip = st.delivered;
                                continue;
                            }
                            Err(error) => return Some((Err(error), None)),
                        }
                    };
                    match body.next().await {
                        Some(Ok(chunk)) => {
                            let fresh = skip_prefix(chunk, &mut st.skip);
                            if fresh.is_empty() {
                                continue;
                            }
                            st.delivered += fresh.len() as u64;
                            // Progress: breaks are counted from here anew.
                            st.failures = 0;
                            return Some((Ok(fresh), Some(st)));
                        }
                        None => return None,
                        Some(Err(error)) => {
                            st.failures += 1;
                            if !is_retryable_error(&error) || st.failures >= attempts {
                                return Some((Err(Error::ResponseBodyError(error)), None));
                            }
                            // Start over; `skip` drops what was already delivered.
                            st.body = None;
                        }
                    }
                }
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

/// What a server answered to `Range: bytes=N-` for the rest of a log.
enum Rest {
    /// The log from byte N on.
    Slice(Body),
    /// The log is N bytes long: nothing is left.
    Nothing,
    /// The whole log (the server ignores `Range`): its first N bytes are
    /// skipped.
    Whole(Body),
    /// Neither: the generated request reads the log again (or reports
    /// what went wrong as on the first try), its first N bytes skipped.
    Unsliced,
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
        let url = format!(
            "{}/projects/{}/jobs/{job_id}/trace",
            self.baseurl,
            progenitor_client::encode_path(&project.to_string())
        );
        let range = reqwest::header::HeaderValue::from_str(range).map_err(|e| Error::InvalidRequest(e.to_string()))?;
        transfer::get(self, rows::get_job_trace(), &url, &[(reqwest::header::RANGE, range)]).await
    }

    /// Asks for a log from byte `from` on. A log only grows (a new attempt
    /// of a job is a new job), so its first `from` bytes are still the ones
    /// delivered, and the slice continues them.
    async fn rest_of_log(&self, project: &ProjectId, job_id: i64, from: u64) -> Result<Rest, Error> {
        let response = self.trace_range(project, job_id, &format!("bytes={from}-")).await?;
        let range = content_range(response.headers());
        Ok(match response.status().as_u16() {
            206 if range.is_some_and(|(start, _)| start == from) => Rest::Slice(Box::pin(response.bytes_stream())),
            416 if range.is_some_and(|(_, total)| total == Some(from)) => Rest::Nothing,
            200 => Rest::Whole(Box::pin(response.bytes_stream())),
            _ => Rest::Unsliced,
        })
    }
}
