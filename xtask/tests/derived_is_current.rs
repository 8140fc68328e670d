//! `cargo test` fails when spec/derived/ or the docs fixtures no longer match
//! what the vendored docs pages produce.

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
