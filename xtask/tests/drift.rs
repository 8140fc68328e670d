//! The drift report fails, naming what changed, when the docs gain a field or
//! a parameter, when the spec loses an endpoint or types a field wrongly, and
//! when a listed departure no longer applies.

use serde_json::json;
use xtask::{
    departures::{self, Departure},
    docs::{self, Page, Param},
    drift,
};

fn inputs() -> (Vec<Page>, serde_json::Value, Vec<Departure>) {
    let root = xtask::root();
    (docs::load_pages(&root).unwrap(), xtask::spec::load(&root).unwrap().json, departures::load(&root).unwrap())
}

const NEWEST: &str = "004_8e66e6f090344155";
const FLAT_MARKDOWN: &str = "002_c807875181e17028";

/// The vendored page with this file stem.
fn page<'a>(pages: &'a mut [Page], stem: &str) -> &'a mut Page {
    docs::find_mut(pages, stem).unwrap_or_else(|| panic!("no docs page {stem}"))
}

fn lines(report: &drift::Report) -> Vec<String> {
    report.findings.iter().map(ToString::to_string).collect()
}

#[test]
fn the_repository_has_no_drift() {
    let (pages, spec, departures) = inputs();
    let report = drift::drift(&pages, &spec, &departures);
    assert!(report.is_clean(), "{:#?}", lines(&report));
    assert_eq!(report.departed.len(), departures.len());
}

#[test]
fn without_its_departures_the_artifacts_family_names_the_job_token_and_download_url() {
    let (pages, spec, departures) = inputs();
    let jobs_only: Vec<Departure> = departures.into_iter().filter(|d| !d.route.contains("/artifacts")).collect();

    let report = drift::drift(&pages, &spec, &jobs_only);

    assert!(report.stale.is_empty());
    assert_eq!(
        lines(&report),
        [
            "GET /projects/{id}/jobs/{job_id}/artifacts parameter job_token: the docs show `job_token` (string); the spec does not have it",
            "GET /projects/{id}/jobs/artifacts/{ref_name}/download parameter job_token: the docs show `job_token` (string); the spec does not have it",
            "GET /projects/{id}/jobs/{job_id}/artifacts/{artifact_path} parameter job_token: the docs show `job_token` (string); the spec does not have it",
            "GET /projects/{id}/jobs/artifacts/{ref_name}/raw/{artifact_path} parameter job_token: the docs show `job_token` (string); the spec does not have it",
            "POST /projects/{id}/jobs/{job_id}/artifacts/keep $.download_url: the docs show the field (a null value); the spec does not have it",
        ]
    );
}

#[test]
fn an_artifacts_endpoint_removed_from_the_spec_is_named() {
    let (pages, mut spec, departures) = inputs();
    spec["paths"].as_object_mut().unwrap().remove("/projects/{id}/artifacts");

    let report = drift::drift(&pages, &spec, &departures);

    assert_eq!(
        lines(&report),
        ["DELETE /projects/{id}/artifacts endpoint: the docs show this endpoint; the spec does not have it"]
    );
}

#[test]
fn a_new_field_in_one_docs_example_is_named() {
    let (mut pages, spec, departures) = inputs();
    let get_job = &mut page(&mut pages, NEWEST).endpoints[5];
    get_job.response_example.as_mut().unwrap()["commit"]["signature_status"] = json!("verified");

    let report = drift::drift(&pages, &spec, &departures);

    assert_eq!(
        lines(&report),
        [
            "GET /projects/{id}/jobs/{job_id} $.commit.signature_status: the docs show the field (a string value); the spec does not have it"
        ]
    );
}

#[test]
fn a_new_parameter_row_is_named() {
    let (mut pages, spec, departures) = inputs();
    page(&mut pages, FLAT_MARKDOWN).endpoints[0].params.push(Param {
        name: "name".into(),
        ty: "string".into(),
        required: false,
        description: "Only jobs with this name.".into(),
    });

    let report = drift::drift(&pages, &spec, &departures);

    assert_eq!(
        lines(&report),
        ["GET /projects/{id}/jobs parameter name: the docs show `name` (string); the spec does not have it"]
    );
}

#[test]
fn an_endpoint_removed_from_the_spec_is_named() {
    let (pages, mut spec, departures) = inputs();
    spec["paths"]["/projects/{id}/jobs/{job_id}/erase"].as_object_mut().unwrap().remove("post");

    let report = drift::drift(&pages, &spec, &departures);

    assert!(
        lines(&report).contains(
            &"POST /projects/{id}/jobs/{job_id}/erase endpoint: the docs show this endpoint; the spec does not have it"
                .to_owned()
        )
    );
    // Its departure no longer matches anything either.
    assert_eq!(report.stale.len(), 1);
    assert_eq!(report.stale[0].at, "$.download_url");
}

#[test]
fn an_integer_field_with_a_string_example_is_incompatible() {
    let (pages, mut spec, departures) = inputs();
    spec["components"]["schemas"]["Commit"]["properties"]["short_id"] = json!({"type": "integer"});

    let report = drift::drift(&pages, &spec, &departures);

    let found = lines(&report);
    assert!(
        found.iter().any(|l| l.starts_with(
            "GET /projects/{id}/jobs $[].commit.short_id: the docs show a string value; the spec types it as integer"
        )),
        "{found:#?}"
    );
}

#[test]
fn a_fraction_where_the_spec_says_integer_is_reported() {
    let (pages, mut spec, departures) = inputs();
    // Jobs show `0.173`; bridges only ever show `240`, which an integer would hold.
    spec["components"]["schemas"]["Job"]["properties"]["duration"] = json!({"type": "integer", "nullable": true});
    spec["components"]["schemas"]["Bridge"]["properties"]["duration"] = json!({"type": "integer", "nullable": true});

    let report = drift::drift(&pages, &spec, &departures);

    let found = lines(&report);
    assert!(
        found.contains(
            &"GET /projects/{id}/jobs $[].duration: the docs show a fractional number; the spec types it as integer"
                .to_owned()
        ),
        "{found:#?}"
    );
    assert!(!found.iter().any(|l| l.contains("/bridges")), "{found:#?}");
}

#[test]
fn a_scope_value_the_spec_does_not_list_is_reported() {
    let (mut pages, spec, departures) = inputs();
    let scope = page(&mut pages, NEWEST).endpoints[0].params.iter_mut().find(|p| p.name == "scope").unwrap();
    scope.description = scope.description.replace("or manual.", "manual, or quarantined.");

    let report = drift::drift(&pages, &spec, &departures);

    assert_eq!(
        lines(&report),
        [
            "GET /projects/{id}/jobs parameter scope value quarantined: the docs show value \"quarantined\"; the spec does not list it"
        ]
    );
}

#[test]
fn optional_and_nullable_spec_fields_accept_what_the_docs_always_show() {
    let (pages, mut spec, departures) = inputs();
    // `coverage` is nullable and not required in the spec; the docs always send it, often null.
    assert!(spec["components"]["schemas"]["Job"]["required"].as_array().unwrap().iter().all(|r| r != "coverage"));
    spec["components"]["schemas"]["Job"]["required"].as_array_mut().unwrap().push(json!("coverage"));
    spec["components"]["schemas"]["Job"]["properties"]["coverage"]["nullable"] = json!(false);

    let report = drift::drift(&pages, &spec, &departures);

    assert!(
        lines(&report).iter().any(|l| l.contains("$.coverage: the docs show `null`; the spec requires a value")),
        "{:#?}",
        lines(&report)
    );
}
