//! `cargo test` fails when spec/derived/ or the docs fixtures no longer match
//! what the vendored docs pages produce.

#[test]
fn derived_files_match_the_docs_pages() {
    let root = xtask::root();
    let pages = xtask::docs_pages(&root).unwrap();
    let spec = xtask::load_spec(&root).unwrap();
    let outputs = xtask::derive::outputs(&pages, &xtask::operation_ids(&spec));
    let stale = xtask::derive::stale(&root, &outputs);
    assert!(stale.is_empty(), "derived files are out of date; run `cargo xtask derive`:\n  {}", stale.join("\n  "));
}

#[test]
fn derive_is_deterministic() {
    let root = xtask::root();
    let pages = xtask::docs_pages(&root).unwrap();
    let ids = xtask::operation_ids(&xtask::load_spec(&root).unwrap());
    assert_eq!(xtask::derive::outputs(&pages, &ids), xtask::derive::outputs(&pages, &ids));
}

#[test]
fn a_changed_example_makes_the_check_name_its_fixture() {
    let root = xtask::root();
    let mut pages = xtask::docs_pages(&root).unwrap();
    let ids = xtask::operation_ids(&xtask::load_spec(&root).unwrap());
    pages[4].endpoints[5].response_example.as_mut().unwrap()["name"] = "renamed".into();
    let stale = xtask::derive::stale(&root, &xtask::derive::outputs(&pages, &ids));
    assert!(
        stale.contains(&"tests/fixtures/docs/004_8e66e6f090344155/get_job.json is out of date".to_owned()),
        "{stale:?}"
    );
    assert!(stale.contains(&"spec/derived/openapi.json is out of date".to_owned()) || stale.len() == 1, "{stale:?}");
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
