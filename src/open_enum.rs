//! Open enums for the value sets GitLab grows between releases.
//!
//! A closed Rust enum would fail a whole page of jobs the day GitLab adds a job
//! status or a failure reason. These enums name every value known today and keep
//! anything else in `Other(String)`, which serializes back to the same string.

use std::{borrow::Cow, fmt, str::FromStr};

use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! open_enum {
    // Several enums over one set of values: the block is passed on whole.
    ( $( $(#[$meta:meta])* $name:ident ),+ => $values:tt ) => {
        $( open_enum! { $(#[$meta])* $name $values } )+
    };
    (
        $(#[$meta:meta])*
        $name:ident {
            $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )+
        }
    ) => {
        $(#[$meta])*
        ///
        /// Values GitLab adds after this crate was released parse as `Other` and
        /// serialize back unchanged; match on `Other` or use [`Self::as_str`].
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum $name {
            $( $(#[$vmeta])* #[doc = concat!("`", $wire, "`")] $variant, )+
            /// A value this version of the crate does not know, kept as sent.
            Other(String),
        }

        impl $name {
            /// Every value this version of the crate knows, in GitLab's order.
            pub const KNOWN: &'static [$name] = &[$($name::$variant),+];

            /// The value as GitLab writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )+
                    $name::Other(other) => other,
                }
            }

            /// Whether this version of the crate knows the value.
            pub fn is_known(&self) -> bool {
                !matches!(self, $name::Other(_))
            }
        }

        impl FromStr for $name {
            type Err = std::convert::Infallible;

            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Ok(match s {
                    $( $wire => $name::$variant, )+
                    other => $name::Other(other.to_owned()),
                })
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                let Ok(value) = s.parse();
                value
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                // `pad` honours width and alignment, so `{:<10}` lines up in tables.
                f.pad(self.as_str())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                // Borrow when the input allows it; only `Other` allocates.
                let s = Cow::<'de, str>::deserialize(deserializer)?;
                let Ok(value) = s.parse();
                Ok(value)
            }
        }
    };
}

open_enum! {
    /// The status of a job (GitLab's `Ci::HasStatus` values).
    JobStatus,
    /// The status of a pipeline.
    PipelineStatus,
    /// A job status to filter a job list by (`scope[]`).
    JobScope
    => {
        Created = "created",
        WaitingForResource = "waiting_for_resource",
        Preparing = "preparing",
        WaitingForCallback = "waiting_for_callback",
        Pending = "pending",
        Running = "running",
        Success = "success",
        Failed = "failed",
        Canceling = "canceling",
        Canceled = "canceled",
        Skipped = "skipped",
        Manual = "manual",
        Scheduled = "scheduled",
    }
}

open_enum! {
    /// Why a job failed.
    FailureReason {
        UnknownFailure = "unknown_failure",
        ScriptFailure = "script_failure",
        ApiFailure = "api_failure",
        StuckOrTimeoutFailure = "stuck_or_timeout_failure",
        RunnerSystemFailure = "runner_system_failure",
        MissingDependencyFailure = "missing_dependency_failure",
        RunnerUnsupported = "runner_unsupported",
        StaleSchedule = "stale_schedule",
        JobExecutionTimeout = "job_execution_timeout",
        ArchivedFailure = "archived_failure",
        UnmetPrerequisites = "unmet_prerequisites",
        SchedulerFailure = "scheduler_failure",
        DataIntegrityFailure = "data_integrity_failure",
        ForwardDeploymentFailure = "forward_deployment_failure",
        UserBlocked = "user_blocked",
        ProjectDeleted = "project_deleted",
        CiQuotaExceeded = "ci_quota_exceeded",
        PipelineLoopDetected = "pipeline_loop_detected",
        NoMatchingRunner = "no_matching_runner",
        TraceSizeExceeded = "trace_size_exceeded",
        BuildsDisabled = "builds_disabled",
    }
}

open_enum! {
    /// The kind of a job artifact.
    ArtifactFileType {
        Archive = "archive",
        Metadata = "metadata",
        Trace = "trace",
        Junit = "junit",
        Sast = "sast",
        DependencyScanning = "dependency_scanning",
        ContainerScanning = "container_scanning",
        Dast = "dast",
        Codequality = "codequality",
        LicenseScanning = "license_scanning",
        Performance = "performance",
        Metrics = "metrics",
        MetricsReferee = "metrics_referee",
        NetworkReferee = "network_referee",
        Lsif = "lsif",
        Dotenv = "dotenv",
        Cobertura = "cobertura",
        Terraform = "terraform",
        Accessibility = "accessibility",
        ClusterApplications = "cluster_applications",
        SecretDetection = "secret_detection",
        Requirements = "requirements",
        CoverageFuzzing = "coverage_fuzzing",
        BrowserPerformance = "browser_performance",
        LoadPerformance = "load_performance",
        ApiFuzzing = "api_fuzzing",
        ClusterImageScanning = "cluster_image_scanning",
        Cyclonedx = "cyclonedx",
        Annotations = "annotations",
        RepositoryXray = "repository_xray",
        Jacoco = "jacoco",
    }
}

open_enum! {
    /// What created a pipeline.
    PipelineSource {
        Push = "push",
        Web = "web",
        Trigger = "trigger",
        Schedule = "schedule",
        Api = "api",
        External = "external",
        Pipeline = "pipeline",
        Chat = "chat",
        Webide = "webide",
        MergeRequestEvent = "merge_request_event",
        ExternalPullRequestEvent = "external_pull_request_event",
        ParentPipeline = "parent_pipeline",
        OndemandDastScan = "ondemand_dast_scan",
        OndemandDastValidation = "ondemand_dast_validation",
        SecurityOrchestrationPolicy = "security_orchestration_policy",
        ContainerRegistryPush = "container_registry_push",
        DuoWorkflow = "duo_workflow",
        PipelineExecutionPolicySchedule = "pipeline_execution_policy_schedule",
        Unknown = "unknown",
    }
}

open_enum! {
    /// The connection status of a runner.
    RunnerStatus {
        Online = "online",
        Offline = "offline",
        Stale = "stale",
        NeverContacted = "never_contacted",
        Paused = "paused",
        Active = "active",
    }
}

open_enum! {
    /// Where a runner is registered.
    RunnerType {
        InstanceType = "instance_type",
        GroupType = "group_type",
        ProjectType = "project_type",
    }
}

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
