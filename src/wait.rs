//! Waiting for a job: poll it until it reaches a status that will not change
//! by itself, with an interval that backs off and an overall timeout.
//!
//! The polling is the one [`FollowLog`](crate::FollowLog) uses between two
//! reads of a running job's log ([`JobPoll`]), with a fixed interval there.

use std::{
    future::{Future, IntoFuture},
    pin::Pin,
    time::Duration,
};

use tokio::time::Instant;

use crate::{Client, Error, JobStatus, ProjectId, types::Job};

/// Looks at a job again and again: at once the first time, then after an
/// interval that grows by `factor` up to `max`.
pub(crate) struct JobPoll {
    interval: Duration,
    max: Duration,
    factor: u32,
    first: bool,
}

impl JobPoll {
    pub(crate) fn fixed(interval: Duration) -> JobPoll {
        JobPoll { interval, max: interval, factor: 1, first: true }
    }

    pub(crate) fn backing_off(interval: Duration, max: Duration) -> JobPoll {
        JobPoll { interval, max: max.max(interval), factor: 2, first: true }
    }

    /// How long the next look waits.
    fn next_wait(&mut self) -> Duration {
        if std::mem::take(&mut self.first) {
            return Duration::ZERO;
        }
        let wait = self.interval;
        self.interval = self.interval.saturating_mul(self.factor).min(self.max);
        wait
    }

    /// Waits for the next look, at most until `deadline`, and reads the job.
    pub(crate) async fn next(
        &mut self,
        client: &Client,
        project: &ProjectId,
        job_id: i64,
        deadline: Option<Instant>,
    ) -> Result<Job, Error> {
        let wait = self.next_wait();
        // An interval too long for the clock waits for the deadline, if any.
        let wake = Instant::now().checked_add(wait);
        match (wake, deadline) {
            (Some(wake), Some(deadline)) => tokio::time::sleep_until(wake.min(deadline)).await,
            (Some(wake), None) => tokio::time::sleep_until(wake).await,
            (None, Some(deadline)) => tokio::time::sleep_until(deadline).await,
            (None, None) => std::future::pending::<()>().await,
        }
        Ok(client.get_job().id(project.clone()).job_id(job_id).send().await?.into_inner())
    }
}

/// Why waiting for a job ended without its final status.
#[derive(Debug)]
#[non_exhaustive]
pub enum WaitError {
    /// GitLab did not answer a look at the job.
    Api(Error),
    /// The job was still not finished when the timeout passed.
    TimedOut {
        /// The status of the last look, if any look was answered.
        last_status: Option<JobStatus>,
        /// How long it waited.
        waited: Duration,
    },
}

impl std::fmt::Display for WaitError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WaitError::Api(e) => write!(f, "the job could not be read: {}", crate::ErrorExt::describe(e)),
            WaitError::TimedOut { last_status: Some(status), waited } => {
                write!(f, "the job was still {status} after {:.0?}", waited)
            }
            WaitError::TimedOut { last_status: None, waited } => write!(f, "no answer about the job in {:.0?}", waited),
        }
    }
}

impl std::error::Error for WaitError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            WaitError::Api(e) => Some(e),
            WaitError::TimedOut { .. } => None,
        }
    }
}

/// The same answers as for any error of the crate; a timeout has no status
/// and may pass if waited for longer.
impl crate::ErrorExt for WaitError {
    fn http_status(&self) -> Option<reqwest::StatusCode> {
        match self {
            WaitError::Api(e) => e.http_status(),
            WaitError::TimedOut { .. } => None,
        }
    }

    fn api_error(&self) -> Option<&crate::ApiError> {
        match self {
            WaitError::Api(e) => e.api_error(),
            WaitError::TimedOut { .. } => None,
        }
    }

    fn describe(&self) -> String {
        crate::error::redact_queries(&self.to_string())
    }

    fn request_sent(&self) -> bool {
        match self {
            WaitError::Api(e) => e.request_sent(),
            WaitError::TimedOut { .. } => true,
        }
    }

    fn is_transient(&self) -> bool {
        match self {
            WaitError::Api(e) => e.is_transient(),
            WaitError::TimedOut { .. } => true,
        }
    }
}

/// Waits for a job to finish; made by [`Client::wait_for_job`], awaited
/// directly (`client.wait_for_job(p, id).timeout(d).await`).
///
/// It ends at `success`, `failed`, `canceled` and `skipped`, and by default
/// also at `manual`: a manual job changes only when someone plays it, so
/// waiting on would last until the timeout. [`wait_through_manual`] keeps
/// waiting (for a job another tool will play).
///
/// [`wait_through_manual`]: WaitForJob::wait_through_manual
#[derive(Debug)]
#[must_use = "a WaitForJob does nothing until awaited"]
pub struct WaitForJob<'a> {
    client: &'a Client,
    project: ProjectId,
    job_id: i64,
    interval: Duration,
    max_interval: Duration,
    timeout: Option<Duration>,
    through_manual: bool,
}

/// The first interval between two looks at a job, by default.
pub const DEFAULT_WAIT_INTERVAL: Duration = Duration::from_secs(2);
/// The longest interval the backoff reaches, by default.
pub const DEFAULT_MAX_WAIT_INTERVAL: Duration = Duration::from_secs(30);

impl<'a> WaitForJob<'a> {
    /// The first interval between looks (2 s by default); it doubles after
    /// each look up to [`max_interval`](Self::max_interval).
    pub fn interval(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// The longest interval between looks (30 s by default).
    pub fn max_interval(mut self, max: Duration) -> Self {
        self.max_interval = max;
        self
    }

    /// Gives up after this long with [`WaitError::TimedOut`]; no limit by default.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// Keeps waiting when the job is `manual`, until someone plays it.
    pub fn wait_through_manual(mut self) -> Self {
        self.through_manual = true;
        self
    }

    async fn run(self) -> Result<Job, WaitError> {
        let started = Instant::now();
        // A timeout too long for the clock is no timeout.
        let deadline = self.timeout.and_then(|t| started.checked_add(t));
        let mut poll = JobPoll::backing_off(self.interval, self.max_interval);
        let mut last_status = None;
        loop {
            if let Some(deadline) = deadline
                && Instant::now() >= deadline
            {
                return Err(WaitError::TimedOut { last_status, waited: started.elapsed() });
            }
            let look = poll.next(self.client, &self.project, self.job_id, deadline);
            // The deadline holds during a look too (its retries may be long).
            let job = match deadline {
                Some(deadline) => match tokio::time::timeout_at(deadline, look).await {
                    Ok(job) => job,
                    Err(_) => return Err(WaitError::TimedOut { last_status, waited: started.elapsed() }),
                },
                None => look.await,
            }
            .map_err(WaitError::Api)?;
            let done = job.status.is_finished() || (job.status == JobStatus::Manual && !self.through_manual);
            if done {
                return Ok(job);
            }
            last_status = Some(job.status);
        }
    }
}

impl<'a> IntoFuture for WaitForJob<'a> {
    type Output = Result<Job, WaitError>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.run())
    }
}

impl Client {
    /// Waits for a job to reach a final status and returns the job as it then
    /// is; see [`WaitForJob`] for the interval, the timeout and manual jobs.
    pub fn wait_for_job(&self, project: impl Into<ProjectId>, job_id: i64) -> WaitForJob<'_> {
        WaitForJob {
            client: self,
            project: project.into(),
            job_id,
            interval: DEFAULT_WAIT_INTERVAL,
            max_interval: DEFAULT_MAX_WAIT_INTERVAL,
            timeout: None,
            through_manual: false,
        }
    }
}
