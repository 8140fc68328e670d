//! Following a running job's log: new output as it appears, each byte once,
//! until the job reaches a final status. Slices (`byte_offset`) where the
//! server honours them, else the whole log with the bytes delivered skipped.

use std::time::Duration;

use bytes::Bytes;
use futures::{
    StreamExt,
    stream::{self, BoxStream},
};

use crate::{
    Client, Error, ProjectId,
    transfer::{Body, Digest, skip_prefix},
    transport::retry::is_retryable_error,
    wait::JobPoll,
};

/// The largest slice GitLab returns for one `byte_limit`.
pub const MAX_BYTE_LIMIT: u32 = 512_000;
/// How often [`FollowLog`] asks for new output by default.
pub const DEFAULT_POLL_INTERVAL: Duration = Duration::from_secs(3);

impl Client {
    /// Follows a running job's log: new output as it appears, until the job
    /// reaches a final status (success, failed, canceled, skipped).
    pub fn follow_job_log(&self, project: impl Into<ProjectId>, job_id: i64) -> FollowLog<'_> {
        FollowLog { client: self, project: project.into(), job_id, poll_interval: DEFAULT_POLL_INTERVAL }
    }
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
    poll: JobPoll,
    /// Breaks in a row without progress, and in all.
    failures: u32,
    breaks: u32,
    /// A digest of the bytes delivered, and while a whole log is read again,
    /// one of the bytes skipped with the value it must reach.
    digest: Digest,
    check: Option<(Digest, u64)>,
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
            poll: JobPoll::fixed(self.poll_interval),
            failures: 0,
            breaks: 0,
            digest: Digest::default(),
            check: None,
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
                    self.received = self.received.saturating_add(chunk.len() as u64);
                    let skipping = self.skip.min(chunk.len() as u64) as usize;
                    if let Some((digest, _)) = &mut self.check {
                        digest.update(&chunk[..skipping]);
                    }
                    let fresh = skip_prefix(chunk, &mut self.skip);
                    // The bytes skipped must be those delivered: a log only
                    // grows, and one that changed would be spliced.
                    if self.skip == 0
                        && let Some((digest, expected)) = self.check.take()
                        && digest.value() != expected
                    {
                        return Err(self.changed("its first bytes differ from those already delivered"));
                    }
                    if !fresh.is_empty() {
                        self.delivered = self.delivered.saturating_add(fresh.len() as u64);
                        self.digest.update(&fresh);
                        self.failures = 0;
                        return Ok(Some(fresh));
                    }
                }
                Some(Err(error)) => {
                    self.body = None;
                    self.failures += 1;
                    self.breaks += 1;
                    let policy = &self.client.inner.transport.retry;
                    let too_many = self.failures >= policy.attempts() || self.breaks > policy.resumes();
                    if !is_retryable_error(&error) || too_many {
                        return Err(Error::ResponseBodyError(self.client.inner.transport.shown_error(error)));
                    }
                    // The next round asks again from what was delivered.
                    self.last_round = false;
                }
                None => {
                    self.body = None;
                    if self.skip > 0 {
                        return Err(self.changed("it is shorter than the bytes already delivered"));
                    }
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
        self.check = (self.skip > 0).then(|| (Digest::default(), self.digest.value()));
        self.received = 0;
        self.sliced = sliced;
        Ok(())
    }

    /// The error of a log that changed while it was followed.
    fn changed(&self, why: &str) -> Error {
        Error::Custom(format!(
            "the log of job {} changed while it was followed: {why} ({} bytes were delivered)",
            self.job_id, self.delivered
        ))
    }
}
