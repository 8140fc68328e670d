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

use std::{pin::Pin, time::Duration};

use bytes::Bytes;
use futures::{
    Stream, StreamExt, TryStreamExt,
    stream::{self, BoxStream},
};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::{Client, Error, ProjectId, retry::is_retryable_error};

/// The largest slice GitLab returns for one `byte_limit`.
pub const MAX_BYTE_LIMIT: u32 = 512_000;
/// How often [`FollowLog`] asks for new output by default.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(3);

type Body = Pin<Box<dyn Stream<Item = reqwest::Result<Bytes>> + Send + Sync>>;

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
        let attempts = self.inner.retry.attempts();
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

    /// Follows a running job's log: new output as it appears, until the job
    /// reaches a final status (success, failed, canceled, skipped).
    pub fn follow_job_log(&self, project: impl Into<ProjectId>, job_id: i64) -> FollowLog<'_> {
        FollowLog { client: self, project: project.into(), job_id, poll_interval: DEFAULT_POLL_INTERVAL }
    }
}

/// The largest window `job_log_tail_lines` asks for from the end of a log.
const MAX_TAIL_WINDOW: u64 = 16 * 1024 * 1024;

/// The end of a job's log; made by [`Client::job_log_tail`].
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct LogTail {
    /// The last bytes of the log, at most as many as asked for.
    pub bytes: Bytes,
    /// Whether `bytes` begins at the start of the log (the log is no longer
    /// than what was asked for).
    pub from_start: bool,
    /// The size of the whole log, where it is known.
    pub log_size: Option<u64>,
    /// Whether the server sent only the tail (`206 Partial Content`); if not,
    /// the whole log travelled and only its tail was kept.
    pub ranged: bool,
}

impl LogTail {
    /// The last `n` lines of the tail as clean text (see [`crate::log`]). A
    /// line cut by the start of the tail is left out. Sections that began
    /// before the tail are not known, so the lines' section paths may be short.
    pub fn lines(&self, n: usize) -> Vec<String> {
        let mut bytes = &self.bytes[..];
        if !self.from_start {
            bytes = match bytes.iter().position(|&b| b == b'\n') {
                Some(end) => &bytes[end + 1..],
                None => &[],
            };
        }
        crate::log::LogSummary::of_bytes(bytes, n).tail().lines().map(str::to_owned).collect()
    }
}

/// The first answer to a tail request: the ranged tail, or the whole log.
enum TailAnswer {
    Tail(LogTail),
    Whole(reqwest::Response),
}

/// `bytes 100-199/200` → (100, Some(200)); `bytes */200` → (200, Some(200)).
pub(crate) fn content_range(headers: &reqwest::header::HeaderMap) -> Option<(u64, Option<u64>)> {
    let value = headers.get(reqwest::header::CONTENT_RANGE)?.to_str().ok()?.trim();
    let spec = value.strip_prefix("bytes ")?;
    let (range, total) = spec.split_once('/')?;
    let total = total.trim().parse::<u64>().ok();
    if range.trim() == "*" {
        return Some((total?, total));
    }
    let (start, _) = range.split_once('-')?;
    Some((start.trim().parse().ok()?, total))
}

/// Keeps the last `limit` bytes of what arrives, in whole chunks.
struct Ring {
    chunks: std::collections::VecDeque<Bytes>,
    held: u64,
    seen: u64,
    limit: u64,
}

impl Ring {
    fn new(limit: u64) -> Ring {
        Ring { chunks: Default::default(), held: 0, seen: 0, limit }
    }

    fn push(&mut self, chunk: Bytes) {
        self.seen += chunk.len() as u64;
        self.held += chunk.len() as u64;
        self.chunks.push_back(chunk);
        while let Some(front) = self.chunks.front() {
            if self.held - front.len() as u64 >= self.limit {
                self.held -= front.len() as u64;
                self.chunks.pop_front();
            } else {
                break;
            }
        }
    }

    fn into_tail(self) -> Bytes {
        let mut joined = bytes::BytesMut::with_capacity(self.held as usize);
        self.chunks.iter().for_each(|c| joined.extend_from_slice(c));
        let excess = (self.held.saturating_sub(self.limit)) as usize;
        joined.freeze().slice(excess..)
    }
}

async fn read_to_tail(mut body: Body, limit: u64) -> Result<(Bytes, u64), Error> {
    let mut ring = Ring::new(limit);
    while let Some(chunk) = body.next().await {
        ring.push(chunk.map_err(Error::ResponseBodyError)?);
    }
    let seen = ring.seen;
    Ok((ring.into_tail(), seen))
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
    async fn trace_range(&self, project: &ProjectId, job_id: i64, range: &str) -> Result<reqwest::Response, Error> {
        let url = format!(
            "{}/projects/{}/jobs/{job_id}/trace",
            self.baseurl,
            progenitor_client::encode_path(&project.to_string())
        );
        let range = reqwest::header::HeaderValue::from_str(range).map_err(|e| Error::InvalidRequest(e.to_string()))?;
        crate::hooks::get_raw(self, &url, &[(reqwest::header::RANGE, range)]).await
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

    /// Asks for the last `max_bytes` of a log with `Range: bytes=-N`.
    async fn tail_request(&self, project: &ProjectId, job_id: i64, max_bytes: u64) -> Result<TailAnswer, Error> {
        let response = self.trace_range(project, job_id, &format!("bytes=-{}", max_bytes.max(1))).await?;
        match response.status().as_u16() {
            206 => {
                let (start, total) = content_range(response.headers()).unwrap_or((1, None));
                let body: Body = Box::pin(response.bytes_stream());
                let (bytes, _) = read_to_tail(body, max_bytes).await?;
                Ok(TailAnswer::Tail(LogTail { bytes, from_start: start == 0, log_size: total, ranged: true }))
            }
            // An empty log has no last byte to ask for.
            416 => Ok(TailAnswer::Tail(LogTail {
                bytes: Bytes::new(),
                from_start: true,
                log_size: content_range(response.headers()).and_then(|(_, total)| total).or(Some(0)),
                ranged: true,
            })),
            200 => Ok(TailAnswer::Whole(response)),
            _ => Err(Error::UnexpectedResponse(response)),
        }
    }

    /// The last `max_bytes` bytes of a job's log, raw. Where range requests
    /// are answered (by a proxy or cache in front of GitLab; GitLab's own
    /// trace endpoint sends the whole log), only those bytes travel;
    /// elsewhere the whole log is read and only its tail kept, in memory
    /// bounded by `max_bytes`.
    pub async fn job_log_tail(
        &self,
        project: impl Into<ProjectId>,
        job_id: i64,
        max_bytes: u64,
    ) -> Result<LogTail, Error> {
        match self.tail_request(&project.into(), job_id, max_bytes).await? {
            TailAnswer::Tail(tail) => Ok(tail),
            TailAnswer::Whole(response) => {
                let body: Body = Box::pin(response.bytes_stream());
                let (bytes, seen) = read_to_tail(body, max_bytes).await?;
                Ok(LogTail { from_start: seen <= max_bytes, bytes, log_size: Some(seen), ranged: false })
            }
        }
    }

    /// The last `lines` lines of a job's log as clean text. With range
    /// requests it reads a growing window from the end (64 KiB, then 8 times
    /// more, up to 16 MiB) until it holds enough lines; without them, or past
    /// 16 MiB, it decodes the whole log keeping only the last lines.
    pub async fn job_log_tail_lines(
        &self,
        project: impl Into<ProjectId>,
        job_id: i64,
        lines: usize,
    ) -> Result<Vec<String>, Error> {
        let project = project.into();
        let mut window: u64 = 64 * 1024;
        loop {
            let whole = match self.tail_request(&project, job_id, window).await? {
                TailAnswer::Tail(tail) => {
                    let found = tail.lines(lines);
                    if found.len() >= lines || tail.from_start {
                        return Ok(found);
                    }
                    if window < MAX_TAIL_WINDOW {
                        window = (window * 8).min(MAX_TAIL_WINDOW);
                        continue;
                    }
                    self.job_log(project.clone(), job_id)
                }
                TailAnswer::Whole(response) => response.bytes_stream().map_err(Error::ResponseBodyError).boxed(),
            };
            let summary = crate::log::LogSummary::of_stream(whole, lines).await?;
            return Ok(summary.tail().lines().map(str::to_owned).collect());
        }
    }
}

/// Drops the first `skip` bytes of what arrives, across chunks.
pub(crate) fn skip_prefix(chunk: Bytes, skip: &mut u64) -> Bytes {
    if *skip == 0 {
        return chunk;
    }
    let dropped = (*skip).min(chunk.len() as u64);
    *skip -= dropped;
    chunk.slice(dropped as usize..)
}

/// A running job's log as it grows; made by [`Client::follow_job_log`].
#[derive(Debug)]
pub struct FollowLog<'a> {
    client: &'a Client,
    project: ProjectId,
    job_id: i64,
    poll_interval: Duration,
}

/// Whether the server honours `byte_offset`, as far as the follower knows.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Slicing {
    Unknown,
    Honoured,
    Ignored,
}

struct Follow<'a> {
    client: &'a Client,
    project: ProjectId,
    job_id: i64,
    /// Bytes delivered so far: the offset of the next new byte.
    delivered: u64,
    slicing: Slicing,
    body: Option<Body>,
    /// Bytes of the current body that were delivered before.
    skip: u64,
    /// Bytes of the current body received so far, and whether it is a slice.
    received: u64,
    sliced: bool,
    /// The job had finished when this round began: end after its log is read.
    last_round: bool,
    /// The looks at the job between two reads of its log.
    poll: crate::wait::JobPoll,
    failures: u32,
}

impl<'a> FollowLog<'a> {
    /// How long to wait between two looks at the job; 3 seconds by default.
    pub fn poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval;
        self
    }

    /// The new output of the log, chunk by chunk, each byte exactly once. Ends
    /// after the job reaches a final status and its log has been read to the end.
    pub fn stream(self) -> BoxStream<'a, Result<Bytes, Error>> {
        let state = Follow {
            client: self.client,
            project: self.project,
            job_id: self.job_id,
            delivered: 0,
            slicing: Slicing::Unknown,
            body: None,
            skip: 0,
            received: 0,
            sliced: false,
            last_round: false,
            poll: crate::wait::JobPoll::fixed(self.poll_interval),
            failures: 0,
        };
        stream::unfold(Some(state), |state| async move {
            let mut st = state?;
            match st.next_chunk().await {
                Ok(Some(chunk)) => Some((Ok(chunk), Some(st))),
                Ok(None) => None,
                Err(error) => Some((Err(error), None)),
            }
        })
        .boxed()
    }
}

impl Follow<'_> {
    async fn next_chunk(&mut self) -> Result<Option<Bytes>, Error> {
        loop {
            if self.body.is_none() {
                if !self.begin_round().await? {
                    return Ok(None);
                }
                continue;
            }
            let body = self.body.as_mut().unwrap_or_else(|| unreachable!("checked just above"));
            match body.next().await {
                Some(Ok(chunk)) => {
                    self.received += chunk.len() as u64;
                    let fresh = skip_prefix(chunk, &mut self.skip);
                    if !fresh.is_empty() {
                        self.delivered += fresh.len() as u64;
                        self.failures = 0;
                        return Ok(Some(fresh));
                    }
                }
                Some(Err(error)) => {
                    self.body = None;
                    self.failures += 1;
                    if !is_retryable_error(&error) || self.failures >= self.client.inner.retry.attempts() {
                        return Err(Error::ResponseBodyError(error));
                    }
                    // The next round asks again from what was delivered.
                    self.last_round = false;
                }
                None => {
                    self.body = None;
                    // A full slice means more is waiting: ask again at once.
                    if self.sliced && self.received >= u64::from(MAX_BYTE_LIMIT) {
                        self.open(true).await?;
                        continue;
                    }
                    if self.last_round {
                        return Ok(None);
                    }
                }
            }
        }
    }

    /// Waits, looks at the job, and opens the next read of its log. Returns
    /// false when the log was read to the end of a finished job.
    async fn begin_round(&mut self) -> Result<bool, Error> {
        if self.last_round {
            return Ok(false);
        }
        // The status is read before the log, so a final status guarantees that
        // the read which follows sees the whole log.
        let job = self.poll.next(self.client, &self.project, self.job_id, None).await?;
        self.last_round = job.status.is_finished();
        if self.slicing == Slicing::Unknown && self.delivered >= 2 {
            self.probe().await?;
        }
        self.open(self.slicing == Slicing::Honoured).await?;
        Ok(true)
    }

    /// Learns whether the server honours `byte_offset`: a one-byte slice at the
    /// current offset is at most one byte long, while a server that ignores
    /// the slice sends the whole log, which is at least `delivered` (>= 2) bytes.
    async fn probe(&mut self) -> Result<(), Error> {
        let response = self
            .client
            .get_job_trace()
            .id(self.project.clone())
            .job_id(self.job_id)
            .byte_offset(self.delivered)
            .byte_limit(1u32)
            .send()
            .await?;
        let mut body = response.into_inner().into_inner();
        let mut head = Vec::new();
        while head.len() < 2 {
            match body.next().await {
                Some(Ok(chunk)) => head.extend_from_slice(&chunk),
                Some(Err(error)) => return Err(Error::ResponseBodyError(error)),
                None => break,
            }
        }
        // Dropping `body` here closes a whole-log response early.
        if head.len() > 1 {
            self.slicing = Slicing::Ignored;
        } else {
            self.slicing = Slicing::Honoured;
            // The probe's byte, if any, is new output; it is delivered through
            // the next slice instead, which starts at the same offset.
        }
        Ok(())
    }

    /// Opens a read of the log: a slice from the next new byte where the server
    /// honours slices, else the whole log with the delivered bytes skipped.
    async fn open(&mut self, sliced: bool) -> Result<(), Error> {
        let request = self.client.get_job_trace().id(self.project.clone()).job_id(self.job_id);
        let response = if sliced {
            request.byte_offset(self.delivered).byte_limit(MAX_BYTE_LIMIT).send().await?
        } else {
            request.send().await?
        };
        self.body = Some(response.into_inner().into_inner());
        self.skip = if sliced { 0 } else { self.delivered };
        self.received = 0;
        self.sliced = sliced;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::skip_prefix;
    use bytes::Bytes;

    #[test]
    fn skipping_spans_chunks() {
        let mut skip = 5;
        assert_eq!(skip_prefix(Bytes::from_static(b"abc"), &mut skip), "");
        assert_eq!(skip_prefix(Bytes::from_static(b"defgh"), &mut skip), "fgh");
        assert_eq!(skip, 0);
        assert_eq!(skip_prefix(Bytes::from_static(b"ij"), &mut skip), "ij");
    }
}
