//! Fixture validation fails, naming the file and JSON path, when the generated
//! types would lose or refuse what a fixture holds.

use serde_json::json;
use xtask::{departures, validate};

fn spec() -> serde_json::Value {
    xtask::spec::load(&xtask::root()).unwrap().json
}

fn departures() -> Vec<departures::Departure> {
    departures::load(&xtask::root()).unwrap()
}

fn fixture(path: &str, operation: &str, value: serde_json::Value) -> validate::Fixture {
    validate::Fixture { path: path.into(), operation: operation.into(), request: false, value }
}

#[test]
fn every_fixture_of_the_repository_survives_the_generated_types() {
    let root = xtask::root();
    let spec = spec();
    assert!(validate::check_table(&spec).is_empty());
    let fixtures = validate::fixtures(&root).unwrap();
    // 54 from the five Jobs pages, 2 (keep's job) from the two Job Artifacts pages.
    assert_eq!(fixtures.iter().filter(|f| f.path.starts_with("tests/fixtures/docs/")).count(), 56);
    assert_eq!(fixtures.iter().filter(|f| f.path.starts_with("tests/fixtures/real/")).count(), 33);
    for fixture in &fixtures {
        let problems = validate::validate(&spec, &departures(), fixture);
        assert!(problems.is_empty(), "{problems:#?}");
    }
}

#[test]
fn the_artifacts_answers_survive_their_generated_types() {
    let spec = spec();
    for (operation, value) in [
        (
            "list_job_artifacts_tree",
            json!([
                {"name": "reports", "path": "reports/", "type": "directory", "mode": "040755"},
                {"name": "junit.xml", "path": "junit.xml", "type": "file", "size": 1024, "mode": "100644"},
                {"name": "sbom.json", "path": "sbom.json", "type": "symlink", "size": 12, "mode": null}
            ]),
        ),
        ("delete_project_artifacts", json!({"message": "202 Accepted"})),
    ] {
        let problems = validate::validate(&spec, &departures(), &fixture("t.json", operation, value));
        assert!(problems.is_empty(), "{operation}: {problems:#?}");
    }

    let problems = validate::validate(
        &spec,
        &departures(),
        &fixture(
            "t.json",
            "list_job_artifacts_tree",
            json!([{"name": "a", "path": "a", "type": "file", "size": "1 KiB"}]),
        ),
    );
    assert!(problems[0].starts_with("t.json: does not parse: invalid type: string \"1 KiB\""), "{problems:#?}");
}

#[test]
fn a_field_the_types_do_not_know_is_named() {
    let job = xtask::root().join("tests/fixtures/real/job_newest.json");
    let mut value: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&job).unwrap()).unwrap();
    value["runner"]["maintenance_note"] = json!("drained for upgrade");

    let problems = validate::validate(
        &spec(),
        &departures(),
        &fixture("tests/fixtures/real/job_newest_plus.json", "get_job", value),
    );

    assert_eq!(
        problems,
        [
            "tests/fixtures/real/job_newest_plus.json: $.runner.maintenance_note: dropped (was \"drained for upgrade\") (the generated types lose it)",
            "tests/fixtures/real/job_newest_plus.json: $.runner.maintenance_note: the fixture shows the field (a string value); the spec does not have it",
        ]
    );
}

#[test]
fn a_value_of_the_wrong_type_is_refused_naming_the_file() {
    let problems = validate::validate(
        &spec(),
        &departures(),
        &fixture(
            "f.json",
            "get_job",
            json!({"id": "seven", "name": "x", "status": "failed", "stage": "test", "ref": "main",
            "tag": false, "allow_failure": false, "created_at": "2021-03-26T15:51:21.802Z", "web_url": "u", "artifacts": []}),
        ),
    );
    assert!(
        problems[0].starts_with("f.json: does not parse: invalid type: string \"seven\", expected i64"),
        "{problems:#?}"
    );
}

#[test]
fn the_type_table_follows_the_spec() {
    let mut spec = spec();
    spec["paths"]["/projects/{id}/jobs"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["items"] =
        json!({"$ref": "#/components/schemas/Bridge"});
    assert_eq!(
        validate::check_table(&spec),
        ["xtask/src/validate.rs: list_project_jobs is read as `Job[]` but the spec says `Bridge[]`"]
    );
}
