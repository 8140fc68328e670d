//! The generated types against what real GitLab servers send: old servers,
//! new servers, values GitLab adds later, and fields this crate does not know.

mod common;

use common::*;
use gitlab_jobs::{
    ArtifactFileType, FailureReason, JobScope, JobStatus, PipelineSource, PipelineStatus, RunnerStatus, RunnerType,
    types::{AllowedAgents, Bridge, Job, PlayedJob},
};

fn parse<T: serde::de::DeserializeOwned>(rel: &str) -> T {
    serde_json::from_str(&fixture(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

#[test]
fn round_trip_comparison_sees_dropped_and_changed_values() {
    let mut diffs = Vec::new();
    let a = serde_json::json!({"a": 1, "b": null, "c": [], "d": "2015-12-24T16:51:14.000+01:00", "e": 0.010, "f": "x"});
    let same = serde_json::json!({"a": 1.0, "d": "2015-12-24T16:51:14+01:00", "e": 0.01, "f": "x"});
    compare(&a, &same, "$", &mut diffs);
    assert!(diffs.is_empty(), "{diffs:?}");
    // a changed, d lost its offset, e and f dropped, g added.
    let changed = serde_json::json!({"a": 2, "d": "2015-12-24T15:51:14Z", "g": true});
    compare(&a, &changed, "$", &mut diffs);
    assert_eq!(diffs.len(), 5, "{diffs:?}");
}

#[test]
fn unknown_status_and_failure_reason_parse_and_round_trip_unchanged() {
    let original = fixture_json("real/job_unknown_values.json");
    let job: Job = parse("real/job_unknown_values.json");

    assert_eq!(job.status, JobStatus::Other("waiting_for_approval".into()));
    assert!(!job.status.is_known());
    assert_eq!(job.failure_reason, Some(FailureReason::Other("gpu_quota_exceeded".into())));
    assert_eq!(job.artifacts.last().unwrap().file_type, ArtifactFileType::Other("sbom_v9".into()));
    let pipeline = job.pipeline.as_ref().unwrap();
    assert_eq!(pipeline.status, PipelineStatus::Other("awaiting_quorum".into()));
    assert_eq!(pipeline.source, Some(PipelineSource::Other("ai_agent_event".into())));
    let runner = job.runner.as_ref().unwrap();
    assert_eq!(runner.status, Some(RunnerStatus::Other("hibernating".into())));
    assert_eq!(runner.runner_type, Some(RunnerType::Other("fleet_type".into())));

    let back = serde_json::to_value(&job).unwrap();
    assert_eq!(back["status"], "waiting_for_approval");
    assert_eq!(back["failure_reason"], "gpu_quota_exceeded");
    assert_eq!(back["artifacts"][5]["file_type"], "sbom_v9");
    assert_eq!(back["pipeline"]["source"], "ai_agent_event");
    assert_eq!(back["runner"]["status"], "hibernating");
    assert_round_trip(&original, &job);
}

#[test]
fn known_values_are_typed_variants_and_print_as_gitlab_writes_them() {
    let job: Job = parse("real/job_newest.json");
    assert_eq!(job.status, JobStatus::Failed);
    assert!(job.status.is_finished());
    assert_eq!(job.failure_reason, Some(FailureReason::ScriptFailure));
    assert_eq!(job.failure_reason.as_ref().unwrap().to_string(), "script_failure");
    assert_eq!(JobStatus::WaitingForResource.as_str(), "waiting_for_resource");
    assert_eq!("waiting_for_resource".parse::<JobStatus>().unwrap(), JobStatus::WaitingForResource);
    assert_eq!(JobScope::from(JobStatus::Manual), JobScope::Manual);
    assert!(JobStatus::KNOWN.iter().all(|s| s.is_known() && s.as_str().parse::<JobStatus>().unwrap() == *s));
    assert!(!JobStatus::Running.is_finished() && !JobStatus::Manual.is_finished());
}

#[test]
fn a_job_from_a_2021_server_parses() {
    let job: Job = parse("real/job_2021.json");
    assert_eq!(job.id, 7);
    assert!(job.archived.is_none() && job.project.is_none() && job.erased_at.is_none());
    assert!(job.failure_reason.is_none() && job.queued_duration.is_none() && job.runner_manager.is_none());
    assert_eq!(job.user.as_ref().unwrap().skype.as_deref(), Some(""));
    assert_eq!(job.runner.as_ref().unwrap().ip_address.as_deref(), Some("127.0.0.1"));
    assert_round_trip(&fixture_json("real/job_2021.json"), &job);
}

#[test]
fn the_2021_docs_examples_parse_without_newer_fields() {
    let jobs: Vec<Job> = parse("docs/003_da39fe1a31249185/list_project_jobs.json");
    assert!(jobs.iter().all(|j| j.archived.is_none() && j.project.is_none() && j.erased_at.is_none()));
    let agents: AllowedAgents = parse("docs/003_da39fe1a31249185/get_allowed_agents.json");
    assert_eq!(agents.job.project_name.as_deref(), Some("project1"));
    assert_eq!(agents.pipeline.sha.as_deref(), Some("b83d6e391c22777fca1ed3012fce84f633d7fed0"));
    assert!(agents.project.groups.is_empty());
}

#[test]
fn ids_above_two_to_the_32_keep_every_digit() {
    let job: Job = parse("real/job_newest.json");
    assert_eq!(job.id, 11_215_821_048);
    assert_eq!(job.pipeline.as_ref().unwrap().id, 1_297_834_512);
    assert_eq!(serde_json::to_value(&job).unwrap()["id"], 11_215_821_048_u64);
}

#[test]
fn unknown_fields_are_ignored_at_every_level() {
    let mut value = fixture_json("real/job_newest.json");
    value["field_from_2027"] = serde_json::json!({"nested": [1, 2, 3]});
    value["pipeline"]["merge_train_position"] = 3.into();
    value["user"]["avatar_shape"] = "round".into();
    value["artifacts"][0]["checksum"] = "sha256:00".into();
    let job: Job = serde_json::from_value(value).unwrap();
    assert_eq!(job.id, 11_215_821_048);
}

#[test]
fn nulls_and_absent_conditional_keys_parse() {
    let jobs: Vec<Job> = parse("real/project_jobs_page.json");
    let running = &jobs[0];
    assert!(running.failure_reason.is_none(), "failure_reason is absent unless the job failed");
    assert!(running.artifacts_file.is_none(), "artifacts_file is absent without an archive");
    assert!(running.finished_at.is_none() && running.duration.is_none() && running.coverage.is_none());
    let bridges: Vec<Bridge> = parse("real/pipeline_bridges_page.json");
    assert!(bridges[0].downstream_pipeline.is_none() && bridges[0].started_at.is_none());
    let agents: AllowedAgents = parse("real/allowed_agents_personal_project.json");
    assert!(agents.project.groups.is_empty() && agents.environment.is_none() && agents.allowed_agents.is_empty());
}

#[test]
fn durations_parse_as_integers_and_fractions() {
    let bridges: Vec<Bridge> = parse("docs/004_8e66e6f090344155/list_pipeline_bridges.json");
    assert_eq!(bridges[0].duration, Some(240.0));
    let jobs: Vec<Job> = parse("docs/004_8e66e6f090344155/list_project_jobs.json");
    assert_eq!(jobs[0].duration, Some(0.173));
}

#[test]
fn played_job_tells_jobs_from_bridges() {
    assert!(matches!(parse::<PlayedJob>("real/play_bridge.json"), PlayedJob::Bridge(_)));
    assert!(matches!(parse::<PlayedJob>("real/job_newest.json"), PlayedJob::Job(_)));
    for version in docs_versions() {
        assert!(matches!(parse::<PlayedJob>(&format!("docs/{version}/play_job.json")), PlayedJob::Job(_)));
    }
}

#[test]
fn every_real_world_fixture_round_trips() {
    for (rel, kind) in [
        ("real/job_newest.json", "job"),
        ("real/job_2021.json", "job"),
        ("real/job_unknown_values.json", "job"),
        ("real/retry_new_job.json", "job"),
        ("real/erase_job.json", "job"),
        ("real/cancel_job.json", "job"),
        ("real/project_jobs_page.json", "jobs"),
        ("real/pipeline_bridges_page.json", "bridges"),
        ("real/play_bridge.json", "played"),
        ("real/allowed_agents.json", "agents"),
        ("real/allowed_agents_personal_project.json", "agents"),
    ] {
        let original = fixture_json(rel);
        match kind {
            "job" => assert_round_trip(&original, &parse::<Job>(rel)),
            "jobs" => assert_round_trip(&original, &parse::<Vec<Job>>(rel)),
            "bridges" => assert_round_trip(&original, &parse::<Vec<Bridge>>(rel)),
            "played" => assert_round_trip(&original, &parse::<PlayedJob>(rel)),
            "agents" => assert_round_trip(&original, &parse::<AllowedAgents>(rel)),
            _ => unreachable!(),
        }
    }
}

#[test]
fn a_wrong_type_fails_with_a_message_naming_the_field() {
    let mut value = fixture_json("real/job_newest.json");
    value["id"] = "not-a-number".into();
    let err = serde_json::from_value::<Job>(value).unwrap_err().to_string();
    assert!(err.contains("invalid type"), "{err}");
}

#[test]
fn timestamps_keep_their_offset_and_are_written_as_chrono_wrote_them() {
    let job: Job = parse("real/job_newest.json");
    let created: gitlab_jobs::Timestamp = job.created_at;
    assert_eq!(created, "2024-05-02T14:51:21.802Z".parse().unwrap());
    let commit = job.commit.as_ref().unwrap();
    let authored = commit.authored_date.unwrap();
    assert_eq!(authored.offset().local_minus_utc(), 7200, "the committer's offset is kept");
    assert_eq!(authored.to_utc().to_rfc3339(), "2024-05-02T14:51:14+00:00");

    // The text chrono's `DateTime<FixedOffset>` wrote before, by chrono itself.
    let chrono_json = |text: &str| serde_json::to_value(chrono::DateTime::parse_from_rfc3339(text).unwrap()).unwrap();
    let back = serde_json::to_value(&job).unwrap();
    assert_eq!(back["created_at"], chrono_json("2024-05-02T14:51:21.802Z"));
    assert_eq!(back["created_at"], "2024-05-02T14:51:21.802Z");
    assert_eq!(back["commit"]["authored_date"], chrono_json("2024-05-02T16:51:14.000+02:00"));
    assert_eq!(back["commit"]["authored_date"], "2024-05-02T16:51:14+02:00");
}

#[test]
fn an_invalid_timestamp_fails_with_a_message_naming_it() {
    let mut value = fixture_json("real/job_newest.json");
    value["started_at"] = "2024-04-31T14:51:30.722Z".into();
    let err = serde_json::from_value::<Job>(value).unwrap_err().to_string();
    assert!(err.contains(r#"invalid timestamp "2024-04-31T14:51:30.722Z""#), "{err}");
    let text = fixture("real/job_newest.json").replace("2024-05-02T14:51:30.722Z", "2024-05-02T14:51:30.722");
    let err = serde_json::from_str::<Job>(&text).unwrap_err().to_string();
    assert!(err.contains(r#"invalid timestamp "2024-05-02T14:51:30.722""#), "{err}");
}

/// The fixtures that imitate one GitLab version each, as the manifest lists them.
fn version_fixtures() -> Vec<(String, String, String)> {
    let manifest = fixture_json("real/manifest.json");
    manifest
        .as_object()
        .unwrap()
        .iter()
        .filter_map(|(file, entry)| {
            let version = entry.get("gitlab")?.as_str()?.to_owned();
            Some((format!("real/{file}"), entry["operation"].as_str()?.to_owned(), version))
        })
        .collect()
}

#[test]
fn responses_of_every_gitlab_version_from_12_to_19_parse_and_round_trip() {
    let fixtures = version_fixtures();
    let versions = |op: &[&str]| {
        let mut v: Vec<&str> =
            fixtures.iter().filter(|(_, o, _)| op.contains(&o.as_str())).map(|(_, _, v)| v.as_str()).collect();
        v.sort();
        v
    };
    let all: Vec<String> = (12..=19).map(|v| format!("{v}.x")).collect();
    assert_eq!(versions(&["list_project_jobs"]), all);
    assert_eq!(versions(&["list_pipeline_bridges", "list_pipeline_trigger_jobs"]), all);
    assert_eq!(versions(&["get_allowed_agents"]), all[2..], "the endpoint exists from 14.x");
    for (rel, operation, version) in &fixtures {
        let original = fixture_json(rel);
        match operation.as_str() {
            "list_project_jobs" => assert_round_trip(&original, &parse::<Vec<Job>>(rel)),
            "list_pipeline_bridges" | "list_pipeline_trigger_jobs" => {
                assert_round_trip(&original, &parse::<Vec<Bridge>>(rel))
            }
            "get_allowed_agents" => assert_round_trip(&original, &parse::<AllowedAgents>(rel)),
            other => panic!("{rel} ({version}): no check for {other}"),
        }
    }
}

#[test]
fn a_job_without_a_stage_record_parses_with_stage_none() {
    let jobs: Vec<Job> = parse("real/gitlab_18_jobs.json");
    let legacy = jobs.iter().find(|j| j.name == "legacy import").unwrap();
    assert_eq!(legacy.stage, None);
    assert_eq!(jobs[0].stage.as_deref(), Some("test"));
    assert_eq!(serde_json::to_value(legacy).unwrap()["stage"], serde_json::Value::Null, "null, not left out");
}

#[test]
fn a_commit_whose_data_is_gone_does_not_fail_the_job() {
    let mut value = fixture_json("real/job_newest.json");
    for key in ["id", "short_id", "parent_ids"] {
        value["commit"][key] = serde_json::Value::Null;
    }
    let job: Job = serde_json::from_value(value.clone()).unwrap();
    let commit = job.commit.as_ref().unwrap();
    assert_eq!((&commit.id, &commit.short_id, &commit.parent_ids), (&None, &None, &None));
    assert_eq!(commit.title, "Fix the flaky cache test");
    assert_round_trip(&value, &job);
}

#[test]
fn the_runners_creator_survives_a_round_trip() {
    let jobs: Vec<Job> = parse("real/gitlab_19_jobs.json");
    let runner = jobs[0].runner.as_ref().unwrap();
    let creator = runner.created_by.as_ref().unwrap();
    assert_eq!((creator.id, creator.username.as_str()), (7, "ops"));
    let back = serde_json::to_value(&jobs[0]).unwrap();
    assert_eq!(back["runner"]["created_by"]["username"], "ops");
    assert_eq!(back["runner"]["created_by"]["web_url"], "https://gitlab.example.com/ops");
}

#[test]
fn values_newer_and_older_servers_send_are_known_variants() {
    for reason in [
        "insufficient_bridge_permissions",
        "downstream_bridge_project_not_found",
        "invalid_bridge_trigger",
        "bridge_pipeline_is_child_pipeline",
        "downstream_pipeline_creation_failed",
        "secrets_provider_not_found",
        "reached_max_descendant_pipelines_depth",
        "stuck_pending_no_matching_runners",
        "job_token_expired",
    ] {
        assert!(FailureReason::from(reason).is_known(), "{reason}");
    }
    assert_eq!(FailureReason::from("invalid_bridge_trigger"), FailureReason::InvalidBridgeTrigger);
    assert_eq!(ArtifactFileType::from("requirements_v2"), ArtifactFileType::RequirementsV2);
    assert_eq!(ArtifactFileType::from("scip"), ArtifactFileType::Scip);
    assert_eq!(RunnerStatus::from("not_connected"), RunnerStatus::NotConnected);

    let bridges: Vec<Bridge> = parse("real/gitlab_19_trigger_jobs.json");
    assert_eq!(bridges[2].failure_reason, Some(FailureReason::ReachedMaxDescendantPipelinesDepth));
}
