//! What each GitLab version accepts: the trigger-jobs route that only the
//! newest servers have, the `ref` filter that older ones ignore, parameter
//! ranges GitLab validates, calls without a token, and job-token refusals.

mod common;

use common::*;
use futures::{StreamExt, TryStreamExt};
use gitlab_jobs::{Client, ErrorExt, JobTokenDenial, Paginate};
use httpmock::prelude::*;

const UNKNOWN_ROUTE: &str = r#"{"error":"404 Not Found"}"#;

fn bridges_page() -> String {
    fixture("real/pipeline_bridges_page.json")
}

#[tokio::test]
async fn list_pipeline_trigger_jobs_uses_the_new_route_on_servers_that_have_it() {
    let server = MockServer::start_async().await;
    let new_route = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v4/projects/group%2Fapp/pipelines/6/trigger_jobs")
                .header("private-token", PRIVATE_TOKEN)
                .query_param("scope[]", "success")
                .query_param("per_page", "50");
            json_response(then, 200, &bridges_page());
        })
        .await;
    let old_route = server
        .mock_async(|when, then| {
            when.path_includes("/bridges");
            json_response(then, 200, "[]");
        })
        .await;

    let bridges = client(&server)
        .list_pipeline_trigger_jobs()
        .id("group/app")
        .pipeline_id(6)
        .scope(vec![gitlab_jobs::JobScope::Success])
        .per_page(50u32)
        .send()
        .await
        .unwrap();

    new_route.assert_async().await;
    assert_eq!(old_route.calls_async().await, 0);
    assert_eq!(bridges.len(), 2);
    assert_round_trip(&serde_json::from_str(&bridges_page()).unwrap(), &*bridges);
}

#[tokio::test]
async fn an_older_server_is_asked_for_bridges_once_it_does_not_know_trigger_jobs() {
    let server = MockServer::start_async().await;
    let new_route = server
        .mock_async(|when, then| {
            when.method(GET).path("/api/v4/projects/1/pipelines/6/trigger_jobs");
            json_response(then, 404, UNKNOWN_ROUTE);
        })
        .await;
    let old_route = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v4/projects/1/pipelines/6/bridges")
                .header("private-token", PRIVATE_TOKEN)
                .query_param("scope[]", "failed");
            json_response(then, 200, &bridges_page());
        })
        .await;
    let client = client(&server);

    for _ in 0..3 {
        let bridges = client
            .list_pipeline_trigger_jobs()
            .id(1)
            .pipeline_id(6)
            .scope(vec![gitlab_jobs::JobScope::Failed])
            .send()
            .await
            .unwrap();
        assert_eq!(bridges.len(), 2);
    }

    // The client remembers: one 404, then straight to the old route.
    assert_eq!(new_route.calls_async().await, 1);
    assert_eq!(old_route.calls_async().await, 3);
}

#[tokio::test]
async fn a_stream_of_trigger_jobs_on_an_older_server_yields_each_once() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path_includes("/trigger_jobs");
            json_response(then, 404, UNKNOWN_ROUTE);
        })
        .await;
    let page = |n: &str, next: &str, ids: [i64; 2]| {
        let body: Vec<serde_json::Value> = ids
            .iter()
            .map(|id| {
                let mut bridge: serde_json::Value =
                    serde_json::from_str::<Vec<serde_json::Value>>(&bridges_page()).unwrap().remove(0);
                bridge["id"] = (*id).into();
                bridge
            })
            .collect();
        (n.to_owned(), next.to_owned(), serde_json::to_string(&body).unwrap())
    };
    for (n, next, body) in [page("1", "2", [10, 9]), page("2", "", [8, 7])] {
        server
            .mock_async(|when, then| {
                when.path("/api/v4/projects/1/pipelines/6/bridges").query_param("page", n.as_str());
                json_response(then, 200, &body).header("x-next-page", next.as_str()).header("x-total-pages", "2");
            })
            .await;
    }

    let ids: Vec<i64> = client(&server)
        .list_pipeline_trigger_jobs()
        .id(1)
        .pipeline_id(6)
        .stream()
        .map_ok(|bridge| bridge.id)
        .try_collect()
        .await
        .unwrap();

    assert_eq!(ids, [10, 9, 8, 7]);
}

#[tokio::test]
async fn a_missing_pipeline_is_an_error_not_a_fallback() {
    let server = MockServer::start_async().await;
    let new_route = server
        .mock_async(|when, then| {
            when.path_includes("/trigger_jobs");
            json_response(then, 404, r#"{"message":"404 Not found"}"#);
        })
        .await;
    let old_route = server
        .mock_async(|when, then| {
            when.path_includes("/bridges");
            json_response(then, 200, "[]");
        })
        .await;

    let error = client(&server).list_pipeline_trigger_jobs().id(1).pipeline_id(6).send().await.unwrap_err();

    assert_eq!(error.http_status().map(|s| s.as_u16()), Some(404));
    assert_eq!(error.gitlab_message(), Some("404 Not found"));
    new_route.assert_async().await;
    assert_eq!(old_route.calls_async().await, 0);
}

/// A job of `ref_name` with id `id`, from a real fixture.
fn job(id: i64, ref_name: &str) -> serde_json::Value {
    let mut job = fixture_json("real/job_newest.json");
    job["id"] = id.into();
    job["ref"] = ref_name.into();
    job
}

#[tokio::test]
async fn a_server_that_ignores_ref_still_yields_only_jobs_of_that_ref() {
    let server = MockServer::start_async().await;
    let base = server.base_url();
    // Keyset pages of a server from before the `ref` filter: every ref comes
    // back, and the first page holds none of the asked one.
    let pages = [
        (None, Some("c1"), vec![job(6, "dev"), job(5, "dev")]),
        (Some("c1"), Some("c2"), vec![job(4, "main"), job(3, "dev")]),
        (Some("c2"), None, vec![job(2, "main"), job(1, "feature/x")]),
    ];
    let mut mocks = Vec::new();
    for (cursor, next, jobs) in pages {
        let body = serde_json::to_string(&jobs).unwrap();
        let link = next.map(|c| format!(r#"<{base}/api/v4/projects/1/jobs?cursor={c}&pagination=keyset>; rel="next""#));
        mocks.push(
            server
                .mock_async(|when, then| {
                    let when = when.method(GET).path("/api/v4/projects/1/jobs").query_param("ref", "main");
                    match cursor {
                        Some(c) => when.query_param("cursor", c),
                        None => when.query_param_missing("cursor"),
                    };
                    let then = json_response(then, 200, &body);
                    if let Some(link) = &link {
                        then.header("link", link.as_str());
                    }
                })
                .await,
        );
    }

    let client = client(&server);
    let ids: Vec<i64> =
        client.list_project_jobs().id(1).ref_("main").stream().map_ok(|job| job.id).try_collect().await.unwrap();
    assert_eq!(ids, [4, 2], "only `main`, across a page the filter emptied");
    for mock in &mocks {
        mock.assert_async().await;
    }

    // One page through `send`: filtered the same way.
    let page = client
        .list_project_jobs()
        .id(1)
        .ref_("main")
        .pagination(gitlab_jobs::types::PaginationMode::Keyset)
        .cursor("c1")
        .send()
        .await
        .unwrap();
    assert_eq!(page.iter().map(|j| j.id).collect::<Vec<_>>(), [4]);
    assert_eq!(page.headers().get("x-gitlab-jobs-received").unwrap(), "2");
}

#[tokio::test]
async fn values_gitlab_refuses_are_errors_before_anything_is_sent() {
    let server = MockServer::start_async().await;
    let any = server
        .mock_async(|_, then| {
            json_response(then, 200, "[]");
        })
        .await;
    let client = client(&server);

    let too_many = client.list_project_jobs().id(1).per_page(101u32).send().await.unwrap_err();
    assert!(matches!(too_many, gitlab_jobs::Error::InvalidRequest(_)), "{too_many:?}");
    assert_eq!(
        too_many.describe(),
        "the request was not sent: per_page = 101 is out of range for list_project_jobs: \
         GitLab accepts from 1 to 100; nothing was sent"
    );
    let none = client.list_pipeline_jobs().id(1).pipeline_id(6).per_page(0u32).send().await.unwrap_err();
    assert!(none.to_string().contains("per_page = 0"), "{none}");
    let page_zero = client.list_pipeline_trigger_jobs().id(1).pipeline_id(6).page(0u32).send().await.unwrap_err();
    assert!(page_zero.to_string().contains("page = 0"), "{page_zero}");
    let Err(slice) = client.get_job_trace().id(1).job_id(2).byte_limit(512_001u32).send().await else {
        panic!("a byte_limit over 512,000 is refused");
    };
    assert!(slice.to_string().contains("byte_limit = 512001"), "{slice}");
    // A stream's first page request is checked the same way.
    let streamed = client.list_project_jobs().id(1).per_page(500u32).stream().next().await.unwrap().unwrap_err();
    assert!(streamed.to_string().contains("per_page = 500"), "{streamed}");
    assert_eq!(any.calls_async().await, 0, "nothing reached the server");

    // The edges are accepted.
    client.list_project_jobs().id(1).per_page(100u32).page(1u32).send().await.unwrap();
    client.list_project_jobs().id(1).per_page(1u32).send().await.unwrap();
    assert_eq!(any.calls_async().await, 2);
}

#[tokio::test]
async fn a_client_without_a_token_reads_a_public_projects_pipeline() {
    let server = MockServer::start_async().await;
    let jobs = server
        .mock_async(|when, then| {
            when.method(GET)
                .path("/api/v4/projects/gitlab-org%2Fgitlab/pipelines/6/jobs")
                .header_missing("private-token")
                .header_missing("job-token")
                .header_missing("authorization");
            json_response(then, 200, &fixture("docs/004_8e66e6f090344155/list_pipeline_jobs.json"));
        })
        .await;
    let anonymous = Client::builder(server.base_url()).build().unwrap();

    let page = anonymous.list_pipeline_jobs().id("gitlab-org/gitlab").pipeline_id(6).send().await.unwrap();

    jobs.assert_async().await;
    assert_eq!(page.len(), 2);
}

#[tokio::test]
async fn a_job_token_policy_refusal_is_recognised() {
    let server = MockServer::start_async().await;
    server
        .mock_async(|when, then| {
            when.path("/api/v4/projects/group%2Fdeployer/jobs").header("job-token", JOB_TOKEN);
            json_response(
                then,
                403,
                r#"{"message":"403 Forbidden - Authentication by CI/CD job token not allowed from builder to deployer."}"#,
            );
        })
        .await;
    server
        .mock_async(|when, then| {
            when.path("/api/v4/projects/group%2Fapp/jobs");
            json_response(
                then,
                403,
                r#"{"message":"403 Forbidden - Insufficient permissions to access this resource in project app. The following token permission is required: read_jobs."}"#,
            );
        })
        .await;
    let client = Client::builder(server.base_url()).job_token(JOB_TOKEN).build().unwrap();

    let refused = client.list_project_jobs().id("group/deployer").send().await.unwrap_err();
    assert_eq!(
        refused.job_token_denial(),
        Some(JobTokenDenial::NotAllowlisted { from: "builder".into(), to: "deployer".into() })
    );
    assert_eq!(
        refused.job_token_denial().unwrap().to_string(),
        "project `deployer` does not allow CI job tokens from project `builder` (its job token allowlist)"
    );
    let lacking = client.list_project_jobs().id("group/app").send().await.unwrap_err();
    assert_eq!(
        lacking.job_token_denial(),
        Some(JobTokenDenial::MissingPermissions { project: "app".into(), permissions: vec!["read_jobs".into()] })
    );
}
