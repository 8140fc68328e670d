//! What the crate adds to the generated status enums: whether a job's status
//! is final, and a status as the scope that lists jobs in it.

use crate::{JobScope, JobStatus};

impl JobStatus {
    /// Whether a job in this status will not change status again by itself
    /// (it may still be retried, which creates a new job).
    pub fn is_finished(&self) -> bool {
        matches!(self, JobStatus::Success | JobStatus::Failed | JobStatus::Canceled | JobStatus::Skipped)
    }
}

impl From<JobStatus> for JobScope {
    fn from(status: JobStatus) -> Self {
        JobScope::from(status.as_str())
    }
}
