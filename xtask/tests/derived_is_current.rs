//! `cargo test` fails when spec/derived/ or the docs fixtures no longer match
//! what the vendored docs pages produce, one document per family of pages.

#[test]
fn derived_files_match_the_docs_pages() {
    let root = xtask::root();
    let pages = xtask::docs::load_pages(&root).unwrap();
    let spec = xtask::spec::load(&root).unwrap().json;
    let outputs = xtask::derive::outputs(&pages, &xtask::spec::operation_ids(&spec));
    let stale = xtask::derive::stale(&root, &outputs);
    assert!(stale.is_empty(), "derived files are out of date; run `cargo xtask derive`:\n  {}", stale.join("\n  "));
}

#[test]
fn derive_is_deterministic() {
    let root = xtask::root();
    let pages = xtask::docs::load_pages(&root).unwrap();
    let ids = xtask::spec::operation_ids(&xtask::spec::load(&root).unwrap().json);
    assert_eq!(xtask::derive::outputs(&pages, &ids), xtask::derive::outputs(&pages, &ids));
}

#[test]
fn a_changed_example_makes_the_check_name_its_fixture() {
    let root = xtask::root();
    let mut pages = xtask::docs::load_pages(&root).unwrap();
    let ids = xtask::spec::operation_ids(&xtask::spec::load(&root).unwrap().json);
    xtask::docs::find_mut(&mut pages, "004_8e66e6f090344155").unwrap().endpoints[5]
        .response_example
        .as_mut()
        .unwrap()["name"] = "renamed".into();
    let stale = xtask::derive::stale(&root, &xtask::derive::outputs(&pages, &ids));
    assert!(
        stale.contains(
            &"tests/fixtures/docs/004_8e66e6f090344155/get_job.json is out of date; run `cargo xtask derive`"
                .to_owned()
        ),
        "{stale:?}"
    );
    assert!(
        stale.contains(&"spec/derived/openapi.json is out of date; run `cargo xtask derive`".to_owned())
            || stale.len() == 1,
        "{stale:?}"
    );
}

#[test]
fn the_derived_document_is_openapi_3() {
    let text = std::fs::read_to_string(xtask::root().join(xtask::derive::DERIVED)).unwrap();
    let document: openapiv3::OpenAPI = serde_json::from_str(&text).unwrap();
    assert_eq!(document.paths.paths.len(), 11, "one path per operation");
    let schemas = &document.components.unwrap().schemas;
    for name in ["Job", "Bridge", "Pipeline", "User", "Commit", "AllowedAgents", "PlayJobRequest"] {
        assert!(schemas.contains_key(name), "{name}");
    }
}

#[test]
fn the_artifacts_family_has_a_document_of_its_own() {
    let path = xtask::derive::derived_path("artifacts");
    assert_eq!(path, "spec/derived/artifacts.openapi.json");
    assert_eq!(xtask::derive::derived_path("jobs"), xtask::derive::DERIVED);
    let text = std::fs::read_to_string(xtask::root().join(&path)).unwrap();
    let document: openapiv3::OpenAPI = serde_json::from_str(&text).unwrap();
    assert_eq!(document.info.title, "GitLab CI Job Artifacts API, as GitLab's docs pages describe it");
    let operations: Vec<String> = document
        .operations()
        .map(|(path, method, op)| format!("{method} {path} {}", op.operation_id.as_deref().unwrap_or("")))
        .collect();
    assert_eq!(operations.len(), 7, "{operations:#?}");
    assert!(
        operations
            .contains(&"get /projects/{id}/jobs/{job_id}/artifacts/{artifact_path} get_job_artifact_file".to_owned())
    );
    assert!(operations.contains(&"delete /projects/{id}/artifacts delete_project_artifacts".to_owned()));
    // Only keep shows JSON: a job, named as the spec names it.
    let schemas = &document.components.unwrap().schemas;
    assert_eq!(schemas.keys().collect::<Vec<_>>(), ["Commit", "Job"]);
}

#[test]
fn a_document_no_family_produces_is_named() {
    let root = xtask::root();
    let pages = xtask::docs::load_pages(&root).unwrap();
    let ids = xtask::spec::operation_ids(&xtask::spec::load(&root).unwrap().json);
    let outputs = xtask::derive::outputs(&pages, &ids);
    let tmp = std::env::temp_dir().join(format!("xtask-derive-{}", std::process::id()));
    xtask::files::write(&tmp, &outputs).unwrap();
    std::fs::write(tmp.join("spec/derived/pipelines.openapi.json"), "{}\n").unwrap();

    let stale = xtask::derive::stale(&tmp, &outputs);

    std::fs::remove_dir_all(&tmp).unwrap();
    assert_eq!(
        stale,
        ["spec/derived/pipelines.openapi.json is not produced by any docs page; run `cargo xtask derive`"]
    );
}
