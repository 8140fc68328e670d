//! After a write whose answer was lost ([`Problem::AnswerLost`]): finding the
//! job that GitLab's `retry` or `play` created or started, so that a bot
//! neither repeats the write nor loses track of the job.
//!
//! GitLab's retry (`Ci::RetryJobService`) clones the job into a new one of
//! the same name in the same pipeline, with a larger id; the old one stays
//! as it was, marked retried. Play (`Ci::PlayBuildService`) enqueues the
//! manual job itself, and retries it like that where it can no longer be
//! enqueued (it ran already).
//!
//! [`Problem::AnswerLost`]: crate::Problem::AnswerLost

use std::time::{Duration, SystemTime};

use futures::TryStreamExt;

use crate::{Client, Error, JobStatus, Paginate, ProjectId, Timestamp, types::Job};

/// How far GitLab's clock may be behind the caller's: a job created up to
/// this long before the request was sent still counts as created by it.
pub const CLOCK_SKEW: Duration = Duration::from_secs(120);

impl Client {
    /// The job a `retry_job` created, when its answer was lost: the first job
    /// of the same name in the same pipeline with a larger id, created at
    /// `sent_at` (when the request was sent, by the caller's clock) or after,
    /// give or take [`CLOCK_SKEW`]. `None` when there is none: the retry was
    /// not carried out after all.
    ///
    /// ```no_run
    /// use gitlab_jobs::{Client, ErrorExt};
    ///
    /// # async fn run(client: Client) -> Result<(), gitlab_jobs::Error> {
    /// let sent_at = std::time::SystemTime::now();
    /// let new_job = match client.retry_job().id("group/project").job_id(42).send().await {
    ///     Ok(job) => Some(job.into_inner()),
    ///     // GitLab retried it; its answer broke off. Find the job, do not retry again.
    ///     Err(error) if error.answer_lost() => client.find_retried_job("group/project", 42, sent_at).await?,
    ///     Err(error) => return Err(error),
    /// };
    /// # Ok(()) }
    /// ```
    pub async fn find_retried_job(
        &self,
        project: impl Into<ProjectId>,
        job_id: i64,
        sent_at: SystemTime,
    ) -> Result<Option<Job>, Error> {
        let project = project.into();
        let job = self.get_job().id(project.clone()).job_id(job_id).send().await?;
        self.newer_job_like(&project, &job, sent_at).await
    }

    /// The job a `play_job` started, when its answer was lost: the manual job
    /// itself once it is no longer `manual` (GitLab enqueued it), or the job
    /// GitLab created to run it again (as [`find_retried_job`] finds it).
    /// `None` when the job is still `manual` and no new one exists: the play
    /// was not carried out.
    ///
    /// [`find_retried_job`]: Client::find_retried_job
    pub async fn find_played_job(
        &self,
        project: impl Into<ProjectId>,
        job_id: i64,
        sent_at: SystemTime,
    ) -> Result<Option<Job>, Error> {
        let project = project.into();
        let job = self.get_job().id(project.clone()).job_id(job_id).send().await?.into_inner();
        // A newer job of its name: the play retried it; else it was enqueued.
        if let Some(newer) = self.newer_job_like(&project, &job, sent_at).await? {
            return Ok(Some(newer));
        }
        Ok((job.status != JobStatus::Manual).then_some(job))
    }

    /// The first job of `job`'s name in its pipeline with a larger id,
    /// created since `sent_at` less [`CLOCK_SKEW`].
    async fn newer_job_like(&self, project: &ProjectId, job: &Job, sent_at: SystemTime) -> Result<Option<Job>, Error> {
        let Some(pipeline) = job.pipeline.as_ref().map(|p| p.id) else { return Ok(None) };
        let since = Timestamp::from(chrono::DateTime::<chrono::Utc>::from(
            sent_at.checked_sub(CLOCK_SKEW).unwrap_or(SystemTime::UNIX_EPOCH),
        ));
        let jobs: Vec<Job> = self
            .list_pipeline_jobs()
            .id(project.clone())
            .pipeline_id(pipeline)
            .include_retried(true)
            .stream()
            .try_filter(|candidate| {
                let same = candidate.name == job.name && candidate.id > job.id && candidate.created_at >= since;
                std::future::ready(same)
            })
            .try_collect()
            .await?;
        Ok(jobs.into_iter().min_by_key(|candidate| candidate.id))
    }
}
