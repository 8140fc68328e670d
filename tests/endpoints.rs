//! One test per Jobs endpoint: the request on the wire (method, encoded path,
//! query, auth header, body) and the typed result, against a mock GitLab.

mod common;

use common::*;
use futures::TryStreamExt;
use gitlab_jobs::{
    FailureReason, JobScope, JobStatus,
    types::{self, JobOrderBy, PaginationMode, PlayedJob, SortDirection},
};
use httpmock::prelude::*;

const PROJECT_PATH_ENCODED: &str = "group%2Fsub%2Fproject";

#[tokio::test]
async fn list_project_jobs_sends_scope_as_rails_array_and_encodes_the_project_path() {
    let server = MockServer::start_async().await;
    let body = fixture("real/project_jobs_page.json");
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/api/v4/projects/{PROJECT_PATH_ENCODED}/jobs"))
                .header("private-token", PRIVATE_TOKEN)
                .header("accept", "application/json")
                // The raw query, so that the bracket form and the order are checked as sent.
                .is_true(|req| {
                    req.uri().query()
                        == Some("page=2&per_page=50&ref=main&scope%5B%5D=pending&scope%5B%5D=running&scope%5B%5D=waiting_for_approval")
                });
            json_response(then, 200, &body);
        })
        .await;

    let jobs = client(&server)
        .list_project_jobs()
        .id("group/sub/project")
        .scope(vec![JobScope::Pending, JobScope::Running, JobScope::from("waiting_for_approval")])
        .ref_("main")
        .per_page(50u32)
        .page(2u32)
        .send()
        .await
        .unwrap();

    mock.assert_async().await;
    assert_eq!(jobs.status(), 200);
    assert_eq!(jobs.len(), 4);
    assert_eq!(jobs[0].status, JobStatus::Running);
    assert_eq!(jobs[0].id, 11_215_821_050);
    assert!(jobs[0].runner_manager.is_none());
    assert_eq!(jobs[1].status, JobStatus::Other("waiting_for_approval".into()));
    assert_eq!(jobs[2].failure_reason, Some(FailureReason::ScriptFailure));
    assert_round_trip(&fixture_json("real/project_jobs_page.json"), &*jobs);
}

#[tokio::test]
async fn list_project_jobs_sends_keyset_parameters() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v4/projects/42/jobs").is_true(|req| {
                req.uri().query()
                    == Some("cursor=eyJpZCI6IjEwIn0%3D&order_by=id&pagination=keyset&per_page=100&sort=desc")
            });
            json_response(then, 200, "[]").header("link", "<http://x/next>; rel=\"first\"");
        })
        .await;

    let jobs = client(&server)
        .list_project_jobs()
        .id(42)
        .pagination(PaginationMode::Keyset)
        .order_by(JobOrderBy::Id)
        .sort(SortDirection::Desc)
        .cursor("eyJpZCI6IjEwIn0=")
        .per_page(100u32)
        .send()
        .await
        .unwrap();

    mock.assert_async().await;
    assert!(jobs.is_empty());
    assert_eq!(jobs.headers()["link"], "<http://x/next>; rel=\"first\"");
}

#[tokio::test]
async fn list_pipeline_jobs_sends_include_retried_and_scope() {
    let server = MockServer::start_async().await;
    let body = fixture("docs/004_8e66e6f090344155/list_pipeline_jobs.json");
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v4/projects/1/pipelines/6/jobs")
                .header("private-token", PRIVATE_TOKEN)
                .is_true(|req| req.uri().query() == Some("include_retried=true&scope%5B%5D=failed"));
            json_response(then, 200, &body);
        })
        .await;

    let jobs = client(&server)
        .list_pipeline_jobs()
        .id(1)
        .pipeline_id(6)
        .scope(vec![JobScope::Failed])
        .include_retried(true)
        .send()
        .await
        .unwrap();

    mock.assert_async().await;
    assert_eq!(jobs.iter().map(|j| j.id).collect::<Vec<_>>(), [6, 7]);
    assert_eq!(jobs[1].artifacts.len(), 4);
    assert_round_trip(&serde_json::from_str(&body).unwrap(), &*jobs);
}

#[tokio::test]
async fn list_pipeline_bridges_types_the_downstream_pipeline_null_until_triggered() {
    let server = MockServer::start_async().await;
    let body = fixture("real/pipeline_bridges_page.json");
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/api/v4/projects/{PROJECT_PATH_ENCODED}/pipelines/1297834512/bridges"))
                .header("private-token", PRIVATE_TOKEN)
                .is_true(|req| req.uri().query() == Some("scope%5B%5D=created&scope%5B%5D=success"));
            json_response(then, 200, &body);
        })
        .await;

    let bridges = client(&server)
        .list_pipeline_bridges()
        .id("group/sub/project")
        .pipeline_id(1_297_834_512)
        .scope(vec![JobScope::Created, JobScope::Success])
        .send()
        .await
        .unwrap();

    mock.assert_async().await;
    assert!(bridges[0].downstream_pipeline.is_none());
    let downstream = bridges[1].downstream_pipeline.as_ref().unwrap();
    assert_eq!(downstream.id, 1_297_834_600);
    assert_eq!(downstream.source, Some(gitlab_jobs::PipelineSource::Pipeline));
    assert_round_trip(&serde_json::from_str(&body).unwrap(), &*bridges);
}

#[tokio::test]
async fn get_current_job_sends_the_job_token() {
    let server = MockServer::start_async().await;
    let body = fixture("real/job_newest.json");
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v4/job")
                .header("job-token", JOB_TOKEN)
                .header_missing("private-token")
                .header_missing("authorization");
            json_response(then, 200, &body);
        })
        .await;
    let client = gitlab_jobs::Client::builder(server.url("/api/v4/")).job_token(JOB_TOKEN).build().unwrap();

    let job = client.get_current_job().send().await.unwrap();

    mock.assert_async().await;
    assert_eq!(job.id, 11_215_821_048);
    assert_eq!(job.runner_manager.as_ref().unwrap().version.as_deref(), Some("17.0.0"));
    assert_round_trip(&serde_json::from_str(&body).unwrap(), &*job);
}

#[tokio::test]
async fn get_allowed_agents_types_what_gitlab_emits() {
    let server = MockServer::start_async().await;
    let body = fixture("real/allowed_agents.json");
    let mock = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v4/job/allowed_agents").header("job-token", JOB_TOKEN);
            json_response(then, 200, &body);
        })
        .await;
    let client = gitlab_jobs::Client::builder(server.base_url()).job_token(JOB_TOKEN).build().unwrap();

    let agents = client.get_allowed_agents().send().await.unwrap();

    mock.assert_async().await;
    assert_eq!(agents.allowed_agents[0].config_project.path_with_namespace.as_deref(), Some("group/agents"));
    assert_eq!(agents.allowed_agents[0].configuration["default_namespace"], "production");
    assert_eq!(agents.project.groups.iter().map(|g| g.id).collect::<Vec<_>>(), [9970, 9971]);
    assert_eq!(agents.user.roles_in_project, ["maintainer"]);
    assert_eq!(agents.environment.as_ref().unwrap().tier, "production");
    assert_round_trip(&serde_json::from_str(&body).unwrap(), &*agents);
}

#[tokio::test]
async fn get_job_reads_a_job_with_a_64_bit_id() {
    let server = MockServer::start_async().await;
    let body = fixture("real/job_newest.json");
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v4/projects/278964/jobs/11215821048")
                .header("private-token", PRIVATE_TOKEN)
                .is_true(|req| req.uri().query().is_none());
            json_response(then, 200, &body);
        })
        .await;

    let job = client(&server).get_job().id(278_964).job_id(11_215_821_048_i64).send().await.unwrap();

    mock.assert_async().await;
    assert!(job.id > i64::from(u32::MAX));
    let commit = job.commit.as_ref().unwrap();
    assert_eq!(commit.created_at.offset().local_minus_utc(), 7200, "the committer's offset is kept");
    assert_eq!(commit.trailers["Signed-off-by"], "Ada <ada@example.com>");
    let trace = job.artifacts.iter().find(|a| a.file_type == gitlab_jobs::ArtifactFileType::Trace).unwrap();
    assert_eq!(trace.file_format, None);
    assert_eq!(job.pipeline.as_ref().unwrap().iid, Some(4321));
    assert_round_trip(&serde_json::from_str(&body).unwrap(), &*job);
}

#[tokio::test]
async fn get_job_trace_streams_plain_text_with_byte_range() {
    let server = MockServer::start_async().await;
    let log = "Running with gitlab-runner 17.0.0\n\u{1b}[0;m$ make test\nok\n";
    let mock = server
        .mock_async(|when, then| {
            when.method(GET)
                .path(format!("/api/v4/projects/{PROJECT_PATH_ENCODED}/jobs/8/trace"))
                .header("private-token", PRIVATE_TOKEN)
                .is_true(|req| req.uri().query() == Some("byte_limit=512000&byte_offset=1024"));
            then.status(200)
                .header("content-type", "text/plain")
                .header("content-disposition", "infile; filename=\"8.log\"")
                .body(log);
        })
        .await;

    let response = client(&server)
        .get_job_trace()
        .id("group/sub/project")
        .job_id(8)
        .byte_offset(1024u64)
        .byte_limit(512_000u32)
        .send()
        .await
        .unwrap();

    mock.assert_async().await;
    assert_eq!(response.headers()["content-disposition"], "infile; filename=\"8.log\"");
    let chunks: Vec<bytes::Bytes> = response.into_inner().into_inner().try_collect().await.unwrap();
    assert_eq!(chunks.concat(), log.as_bytes());
}

#[tokio::test]
async fn get_job_trace_of_a_job_without_log_is_empty() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v4/projects/1/jobs/9/trace");
            then.status(200).header("content-type", "text/plain").body("");
        })
        .await;

    let response = client(&server).get_job_trace().id(1).job_id(9).send().await.unwrap();

    let chunks: Vec<bytes::Bytes> = response.into_inner().into_inner().try_collect().await.unwrap();
    assert!(chunks.concat().is_empty());
}

#[tokio::test]
async fn cancel_job_posts_force_and_accepts_201() {
    let server = MockServer::start_async().await;
    let body = fixture("real/cancel_job.json");
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/api/v4/projects/{PROJECT_PATH_ENCODED}/jobs/11215821050/cancel"))
                .header("private-token", PRIVATE_TOKEN)
                .is_true(|req| req.uri().query() == Some("force=true"));
            json_response(then, 201, &body);
        })
        .await;

    let job = client(&server)
        .cancel_job()
        .id("group/sub/project")
        .job_id(11_215_821_050_i64)
        .force(true)
        .send()
        .await
        .unwrap();

    mock.assert_async().await;
    assert_eq!(job.status(), 201);
    assert_eq!(job.status, JobStatus::Canceling);
    assert_round_trip(&serde_json::from_str(&body).unwrap(), &*job);
}

#[tokio::test]
async fn retry_job_returns_the_new_job_and_sends_inputs() {
    let server = MockServer::start_async().await;
    let body = fixture("real/retry_new_job.json");
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v4/projects/278964/jobs/11215821048/retry")
                .header("private-token", PRIVATE_TOKEN)
                .header("content-type", "application/json")
                .json_body(serde_json::json!({"inputs": {"environment": "staging", "replicas": 3}}));
            json_response(then, 201, &body);
        })
        .await;
    let mut inputs = serde_json::Map::new();
    inputs.insert("environment".into(), "staging".into());
    inputs.insert("replicas".into(), 3.into());

    let job = client(&server)
        .retry_job()
        .id(278_964)
        .job_id(11_215_821_048_i64)
        .body(types::RetryJobRequest { inputs })
        .send()
        .await
        .unwrap();

    mock.assert_async().await;
    assert_eq!(job.status(), 201);
    assert_ne!(job.id, 11_215_821_048, "a retry is a new job");
    assert_eq!(job.status, JobStatus::Pending);
    assert_round_trip(&serde_json::from_str(&body).unwrap(), &*job);
}

#[tokio::test]
async fn retry_job_without_inputs_sends_an_empty_object() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v4/projects/1/jobs/1/retry").json_body(serde_json::json!({}));
            json_response(then, 201, &fixture("docs/004_8e66e6f090344155/retry_job.json"));
        })
        .await;

    let job = client(&server).retry_job().id(1).job_id(1).send().await.unwrap();

    mock.assert_async().await;
    assert_eq!(job.name, "rubocop");
}

#[tokio::test]
async fn erase_job_accepts_201_with_erased_at_set() {
    let server = MockServer::start_async().await;
    let body = fixture("real/erase_job.json");
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path("/api/v4/projects/278964/jobs/11215821048/erase")
                .header("private-token", PRIVATE_TOKEN);
            json_response(then, 201, &body);
        })
        .await;

    let job = client(&server).erase_job().id(278_964).job_id(11_215_821_048_i64).send().await.unwrap();

    mock.assert_async().await;
    assert!(job.erased_at.is_some());
    assert!(job.artifacts.is_empty() && job.artifacts_file.is_none());
    assert_round_trip(&serde_json::from_str(&body).unwrap(), &*job);
}

#[tokio::test]
async fn play_job_sends_variables_as_json() {
    let server = MockServer::start_async().await;
    let body = fixture("docs/004_8e66e6f090344155/play_job.json");
    let mock = server
        .mock_async(|when, then| {
            when.method(POST)
                .path(format!("/api/v4/projects/{PROJECT_PATH_ENCODED}/jobs/1/play"))
                .header("private-token", PRIVATE_TOKEN)
                .header("content-type", "application/json")
                .json_body(serde_json::json!({
                    "job_variables_attributes": [
                        {"key": "TEST_VAR_1", "value": "test1"},
                        {"key": "TEST_VAR_2", "value": "test2"}
                    ]
                }));
            json_response(then, 200, &body);
        })
        .await;
    let variables = vec![
        types::JobVariable { key: "TEST_VAR_1".into(), value: "test1".into() },
        types::JobVariable { key: "TEST_VAR_2".into(), value: "test2".into() },
    ];

    let played = client(&server)
        .play_job()
        .id("group/sub/project")
        .job_id(1)
        .body(types::PlayJobRequest { job_variables_attributes: variables, ..Default::default() })
        .send()
        .await
        .unwrap();

    mock.assert_async().await;
    let PlayedJob::Job(job) = &*played else { panic!("expected a job, got {played:?}") };
    assert_eq!(job.status, JobStatus::Pending);
    assert_round_trip(&serde_json::from_str(&body).unwrap(), &*played);
}

#[tokio::test]
async fn play_job_without_variables_sends_an_empty_object() {
    let server = MockServer::start_async().await;
    let mock = server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v4/projects/1/jobs/1/play").json_body(serde_json::json!({}));
            json_response(then, 200, &fixture("docs/003_da39fe1a31249185/play_job.json"));
        })
        .await;

    let played = client(&server).play_job().id(1).job_id(1).send().await.unwrap();

    mock.assert_async().await;
    assert!(matches!(&*played, PlayedJob::Job(job) if job.name == "rubocop"));
}

#[tokio::test]
async fn play_job_on_a_trigger_job_returns_the_bridge() {
    let server = MockServer::start_async().await;
    let body = fixture("real/play_bridge.json");
    server
        .mock_async(|when, then| {
            when.method(POST).path("/api/v4/projects/1/jobs/11215821102/play");
            json_response(then, 200, &body);
        })
        .await;

    let played = client(&server).play_job().id(1).job_id(11_215_821_102_i64).send().await.unwrap();

    let PlayedJob::Bridge(bridge) = &*played else { panic!("expected a bridge, got {played:?}") };
    assert_eq!(bridge.name, "deploy:manual");
    assert!(bridge.downstream_pipeline.is_none());
    assert_round_trip(&serde_json::from_str(&body).unwrap(), &*played);
}

/// Every example of every vendored docs version, served by the mock and read
/// through the endpoint it documents, keeps all of its data.
#[tokio::test]
async fn every_docs_example_parses_through_its_endpoint_without_losing_data() {
    let server = MockServer::start_async().await;
    let client = client(&server);
    let mut checked = 0;
    for version in docs_versions() {
        for (op, method, path) in [
            ("list_project_jobs", GET, "/api/v4/projects/1/jobs"),
            ("list_pipeline_jobs", GET, "/api/v4/projects/1/pipelines/6/jobs"),
            ("list_pipeline_bridges", GET, "/api/v4/projects/1/pipelines/6/bridges"),
            ("get_current_job", GET, "/api/v4/job"),
            ("get_allowed_agents", GET, "/api/v4/job/allowed_agents"),
            ("get_job", GET, "/api/v4/projects/1/jobs/8"),
            ("cancel_job", POST, "/api/v4/projects/1/jobs/1/cancel"),
            ("retry_job", POST, "/api/v4/projects/1/jobs/1/retry"),
            ("erase_job", POST, "/api/v4/projects/1/jobs/1/erase"),
            ("play_job", POST, "/api/v4/projects/1/jobs/1/play"),
        ] {
            let rel = format!("docs/{version}/{op}.json");
            let body = fixture(&rel);
            let status = if matches!(op, "cancel_job" | "retry_job" | "erase_job") { 201 } else { 200 };
            let mock = server
                .mock_async(|when, then| {
                    when.method(method).path(path);
                    json_response(then, status, &body);
                })
                .await;
            let typed: serde_json::Value = match op {
                "list_project_jobs" => to_value(client.list_project_jobs().id(1).send().await),
                "list_pipeline_jobs" => to_value(client.list_pipeline_jobs().id(1).pipeline_id(6).send().await),
                "list_pipeline_bridges" => to_value(client.list_pipeline_bridges().id(1).pipeline_id(6).send().await),
                "get_current_job" => to_value(client.get_current_job().send().await),
                "get_allowed_agents" => to_value(client.get_allowed_agents().send().await),
                "get_job" => to_value(client.get_job().id(1).job_id(8).send().await),
                "cancel_job" => to_value(client.cancel_job().id(1).job_id(1).send().await),
                "retry_job" => to_value(client.retry_job().id(1).job_id(1).send().await),
                "erase_job" => to_value(client.erase_job().id(1).job_id(1).send().await),
                "play_job" => to_value(client.play_job().id(1).job_id(1).send().await),
                other => unreachable!("{other}"),
            };
            mock.assert_async().await;
            mock.delete_async().await;
            let mut diffs = Vec::new();
            compare(&serde_json::from_str(&body).unwrap(), &typed, &rel, &mut diffs);
            // The docs' erase example shows `"download_url": null`, which GitLab
            // does not send; null and absent are the same to the comparison.
            assert!(diffs.is_empty(), "{rel}:\n{}", diffs.join("\n"));
            checked += 1;
        }
    }
    assert_eq!(checked, 50);
}

fn to_value<T: serde::Serialize>(
    result: Result<gitlab_jobs::ResponseValue<T>, gitlab_jobs::Error>,
) -> serde_json::Value {
    serde_json::to_value(result.expect("the docs example parses").into_inner()).unwrap()
}
