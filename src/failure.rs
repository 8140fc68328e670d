//! Why a job failed, grouped as GitLab groups it, and a judgement a retrying
//! bot can act on: was it the job's own doing, or the platform's?
//!
//! The groups are the failure types that `retry:when` in `.gitlab-ci.yml`
//! documents (`doc/ci/yaml/_index.md`); `retry:when` accepts every reason
//! GitLab's failed status knows (`Gitlab::Ci::Config::Entry::Retry`, from
//! `lib/gitlab/ci/status/build/failed.rb`), and GitLab 19.1 split three of
//! the documented ones into finer reasons, which fall in the group they came
//! from. Reasons no documented type names (a pipeline's configuration,
//! permissions, quotas, environments) are [`FailureCategory::Configuration`].

use crate::FailureReason;

/// A group of [`FailureReason`]s, as `retry:when` names them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FailureCategory {
    /// `script_failure`: the job's script failed (before GitLab 19.1, also
    /// some image pulls, now `runner_configuration_error`).
    Script,
    /// `api_failure`: the runner could not talk to GitLab.
    Api,
    /// `stuck_or_timeout_failure`, and the reasons GitLab 19.1 split it into:
    /// `stuck_pending_with_matching_runners`,
    /// `stuck_pending_no_matching_runners`, `no_updates_running`,
    /// `no_updates_canceling`.
    StuckOrTimeout,
    /// `runner_system_failure` (the job's setup failed), and from GitLab 19.1
    /// `runner_external_dependency_failure` (a registry or DNS out of reach)
    /// and `runner_interrupted` (the runner restarted or its host went away).
    RunnerSystem,
    /// `runner_configuration_error` (GitLab 19.1): an invalid image or tag,
    /// an incompatible pull policy, a misconfigured runner.
    RunnerConfiguration,
    /// `runner_unsupported`: the runner lacks a feature the job needs.
    RunnerUnsupported,
    /// `stale_schedule`: a delayed job could not run in time.
    StaleSchedule,
    /// `job_execution_timeout`: the script ran past the job's time limit
    /// (also `job_execution_server_timeout`, and from GitLab 19.1
    /// `server_timeout_running` and `server_timeout_canceling`).
    JobExecutionTimeout,
    /// `archived_failure`: the pipeline is archived and cannot run.
    Archived,
    /// `unmet_prerequisites`: the job's prerequisites (a Kubernetes
    /// namespace, say) could not be set up.
    UnmetPrerequisites,
    /// `scheduler_failure`: no runner could be given the job (also
    /// `job_router_failure`).
    Scheduler,
    /// `data_integrity_failure`: GitLab found the job's data inconsistent.
    DataIntegrity,
    /// `unknown_failure`, and reasons this version of the crate does not
    /// know (`FailureReason::Other`).
    Unknown,
    /// No type of `retry:when` names it: the pipeline's configuration, the
    /// project's or user's state and quotas, permissions, environments and
    /// deployments, trigger jobs and downstream pipelines. Running the same
    /// job again does not change these.
    Configuration,
}

impl FailureReason {
    /// The group GitLab puts this reason in (see [`FailureCategory`]).
    pub fn category(&self) -> FailureCategory {
        use FailureCategory as C;
        use FailureReason as R;
        match self {
            R::ScriptFailure => C::Script,
            R::ApiFailure => C::Api,
            R::StuckOrTimeoutFailure
            | R::StuckPendingWithMatchingRunners
            | R::StuckPendingNoMatchingRunners
            | R::NoUpdatesRunning
            | R::NoUpdatesCanceling => C::StuckOrTimeout,
            R::RunnerSystemFailure | R::RunnerExternalDependencyFailure | R::RunnerInterrupted => C::RunnerSystem,
            R::RunnerConfigurationError => C::RunnerConfiguration,
            R::RunnerUnsupported => C::RunnerUnsupported,
            R::StaleSchedule => C::StaleSchedule,
            R::JobExecutionTimeout
            | R::JobExecutionServerTimeout
            | R::ServerTimeoutRunning
            | R::ServerTimeoutCanceling => C::JobExecutionTimeout,
            R::ArchivedFailure => C::Archived,
            R::UnmetPrerequisites => C::UnmetPrerequisites,
            R::SchedulerFailure | R::JobRouterFailure => C::Scheduler,
            R::DataIntegrityFailure => C::DataIntegrity,
            R::UnknownFailure | R::Other(_) => C::Unknown,
            R::MissingDependencyFailure
            | R::ForwardDeploymentFailure
            | R::UserBlocked
            | R::ProjectDeleted
            | R::CiQuotaExceeded
            | R::PipelineLoopDetected
            | R::NoMatchingRunner
            | R::TraceSizeExceeded
            | R::BuildsDisabled
            | R::EnvironmentCreationFailure
            | R::DeploymentRejected
            | R::FailedOutdatedDeploymentJob
            | R::ProtectedEnvironmentFailure
            | R::InsufficientBridgePermissions
            | R::DownstreamBridgeProjectNotFound
            | R::InvalidBridgeTrigger
            | R::UpstreamBridgeProjectNotFound
            | R::InsufficientUpstreamPermissions
            | R::BridgePipelineIsChildPipeline
            | R::DownstreamPipelineCreationFailed
            | R::SecretsProviderNotFound
            | R::ReachedMaxDescendantPipelinesDepth
            | R::IpRestrictionFailure
            | R::ReachedMaxPipelineHierarchySize
            | R::ReachedDownstreamPipelineTriggerRateLimit
            | R::DuoWorkflowNotAllowed
            | R::JobTokenExpired
            | R::IdTokenBurnedProjectPath
            | R::DownstreamProjectTriggerResolvedToEmpty => C::Configuration,
        }
    }

    /// Whether the job failed through no fault of its own script or
    /// configuration, so that running it again, unchanged, may succeed: the
    /// platform failed it (GitLab's API, a runner's system or its
    /// dependencies, the scheduler, the data), it sat stuck with runners
    /// that could take it, a delayed job missed its time, or a rate limit
    /// asked to try later.
    ///
    /// The judgement is conservative: a script failure, a time limit, a
    /// configuration or permission problem, a reason GitLab calls unknown and
    /// every reason this crate does not know (`Other`) are not platform
    /// failures. It agrees with GitLab's own automatic retries
    /// (`lib/gitlab/ci/build/auto_retry.rb`): `scheduler_failure`, which
    /// GitLab retries even without `retry:`, is one; the reasons GitLab never
    /// retries (`ci_quota_exceeded`, `no_matching_runner`,
    /// `missing_dependency_failure`, `forward_deployment_failure`,
    /// `environment_creation_failure`) are not.
    pub fn is_platform_failure(&self) -> bool {
        use FailureReason as R;
        match self {
            // Stuck without a runner that could take it: the job's tags (or
            // the runners) must change first.
            R::StuckPendingNoMatchingRunners => false,
            // "Try again later", in GitLab's words.
            R::ReachedDownstreamPipelineTriggerRateLimit => true,
            other => matches!(
                other.category(),
                FailureCategory::Api
                    | FailureCategory::StuckOrTimeout
                    | FailureCategory::RunnerSystem
                    | FailureCategory::StaleSchedule
                    | FailureCategory::UnmetPrerequisites
                    | FailureCategory::Scheduler
                    | FailureCategory::DataIntegrity
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use FailureCategory as C;

    /// Every known reason's group, written from the `retry:when` section of
    /// GitLab's `doc/ci/yaml/_index.md` (19.x, with the 19.1 split), and
    /// whether it is the platform's failure.
    const EXPECTED: &[(&str, FailureCategory, bool)] = &[
        ("unknown_failure", C::Unknown, false),
        ("script_failure", C::Script, false),
        ("api_failure", C::Api, true),
        ("stuck_or_timeout_failure", C::StuckOrTimeout, true),
        ("runner_system_failure", C::RunnerSystem, true),
        ("missing_dependency_failure", C::Configuration, false),
        ("runner_unsupported", C::RunnerUnsupported, false),
        ("stale_schedule", C::StaleSchedule, true),
        ("job_execution_timeout", C::JobExecutionTimeout, false),
        ("archived_failure", C::Archived, false),
        ("unmet_prerequisites", C::UnmetPrerequisites, true),
        ("scheduler_failure", C::Scheduler, true),
        ("data_integrity_failure", C::DataIntegrity, true),
        ("forward_deployment_failure", C::Configuration, false),
        ("user_blocked", C::Configuration, false),
        ("project_deleted", C::Configuration, false),
        ("ci_quota_exceeded", C::Configuration, false),
        ("pipeline_loop_detected", C::Configuration, false),
        ("no_matching_runner", C::Configuration, false),
        ("trace_size_exceeded", C::Configuration, false),
        ("builds_disabled", C::Configuration, false),
        ("environment_creation_failure", C::Configuration, false),
        ("deployment_rejected", C::Configuration, false),
        ("failed_outdated_deployment_job", C::Configuration, false),
        ("job_execution_server_timeout", C::JobExecutionTimeout, false),
        ("stuck_pending_with_matching_runners", C::StuckOrTimeout, true),
        ("stuck_pending_no_matching_runners", C::StuckOrTimeout, false),
        ("no_updates_running", C::StuckOrTimeout, true),
        ("no_updates_canceling", C::StuckOrTimeout, true),
        ("server_timeout_running", C::JobExecutionTimeout, false),
        ("server_timeout_canceling", C::JobExecutionTimeout, false),
        ("runner_configuration_error", C::RunnerConfiguration, false),
        ("runner_external_dependency_failure", C::RunnerSystem, true),
        ("runner_interrupted", C::RunnerSystem, true),
        ("protected_environment_failure", C::Configuration, false),
        ("insufficient_bridge_permissions", C::Configuration, false),
        ("downstream_bridge_project_not_found", C::Configuration, false),
        ("invalid_bridge_trigger", C::Configuration, false),
        ("upstream_bridge_project_not_found", C::Configuration, false),
        ("insufficient_upstream_permissions", C::Configuration, false),
        ("bridge_pipeline_is_child_pipeline", C::Configuration, false),
        ("downstream_pipeline_creation_failed", C::Configuration, false),
        ("secrets_provider_not_found", C::Configuration, false),
        ("reached_max_descendant_pipelines_depth", C::Configuration, false),
        ("ip_restriction_failure", C::Configuration, false),
        ("reached_max_pipeline_hierarchy_size", C::Configuration, false),
        ("reached_downstream_pipeline_trigger_rate_limit", C::Configuration, true),
        ("duo_workflow_not_allowed", C::Configuration, false),
        ("job_router_failure", C::Scheduler, true),
        ("job_token_expired", C::Configuration, false),
        ("id_token_burned_project_path", C::Configuration, false),
        ("downstream_project_trigger_resolved_to_empty", C::Configuration, false),
    ];

    #[test]
    fn every_known_reason_has_its_category_and_judgement() {
        for reason in FailureReason::KNOWN {
            let Some(&(_, category, platform)) = EXPECTED.iter().find(|(wire, _, _)| *wire == reason.as_str()) else {
                panic!("{reason}: add it to EXPECTED with GitLab's word on it");
            };
            assert_eq!(reason.category(), category, "{reason}");
            assert_eq!(reason.is_platform_failure(), platform, "{reason}");
        }
        assert_eq!(EXPECTED.len(), FailureReason::KNOWN.len());
    }

    #[test]
    fn a_reason_the_crate_does_not_know_is_unknown_and_not_the_platforms() {
        let other = FailureReason::from("quantum_flux_failure");
        assert_eq!(other.category(), C::Unknown);
        assert!(!other.is_platform_failure());
    }
}
