//! The end of a job's log: its last bytes, asked for with `Range: bytes=-N`
//! where the server answers ranges, else read whole keeping only the end; and
//! its last lines as clean text, from a growing window.

use bytes::Bytes;
use futures::{StreamExt, TryStreamExt};

use crate::{
    Client, Error, ProjectId,
    transfer::{Body, content_range},
};

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

impl Client {
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
