//! The docs parser on each of the four formats (the vendored pages and small
//! pages written here), on pages it must refuse, and on arbitrary input.

use proptest::prelude::*;
use serde_json::json;
use xtask::docs::{Format, parse};

fn page(name: &str) -> String {
    std::fs::read_to_string(xtask::root().join("spec/docs").join(name)).unwrap()
}

const ROUTES: [&str; 11] = [
    "GET /projects/{id}/jobs",
    "GET /projects/{id}/pipelines/{pipeline_id}/jobs",
    "GET /projects/{id}/pipelines/{pipeline_id}/bridges",
    "GET /job",
    "GET /job/allowed_agents",
    "GET /projects/{id}/jobs/{job_id}",
    "GET /projects/{id}/jobs/{job_id}/trace",
    "POST /projects/{id}/jobs/{job_id}/cancel",
    "POST /projects/{id}/jobs/{job_id}/retry",
    "POST /projects/{id}/jobs/{job_id}/erase",
    "POST /projects/{id}/jobs/{job_id}/play",
];

#[test]
fn every_vendored_page_yields_the_eleven_endpoints_in_its_format() {
    for (file, format) in [
        ("000_ad083218a4a1e8d8.txt", Format::PipeTables),
        ("001_01e9df7486f28d1f.txt", Format::PipeTables),
        ("002_c807875181e17028.txt", Format::FlatMarkdown),
        ("003_da39fe1a31249185.txt", Format::DebianMirror),
        ("004_8e66e6f090344155.txt", Format::SpaceTables),
    ] {
        let parsed = parse(file, &page(file)).unwrap();
        assert_eq!(parsed.format, format, "{file}");
        let routes: Vec<String> = parsed.endpoints.iter().map(|e| e.route()).collect();
        assert_eq!(routes, ROUTES, "{file}");
        let titles: Vec<&str> = parsed.endpoints.iter().map(|e| e.title.as_str()).collect();
        assert_eq!(titles[0], "List project jobs", "{file}");
        assert_eq!(titles[5], "Get a single job", "{file}");
        assert_eq!(titles[9], "Erase a job", "{file}");
        // Ten endpoints answer JSON; the log answers text.
        let with_examples = parsed.endpoints.iter().filter(|e| e.response_example.is_some()).count();
        assert_eq!(with_examples, 10, "{file}");
        assert!(parsed.endpoints[6].response_example.is_none(), "{file}: the trace has no JSON");
        let list = &parsed.endpoints[0];
        assert_eq!(list.params[0].name, "id");
        assert!(list.params[0].required && list.params[0].ty == "integer/string");
        let scope = list.params.iter().find(|p| p.name == "scope").unwrap();
        assert_eq!(scope.ty, "string or array of strings", "{file}");
        assert!(!scope.required);
    }
}

#[test]
fn the_one_line_markdown_page_keeps_its_tables_and_fenced_examples() {
    let text = page("002_c807875181e17028.txt");
    assert_eq!(text.lines().count(), 1);
    let parsed = parse("002", &text).unwrap();
    let play = &parsed.endpoints[10];
    assert_eq!(play.title, "Run a job");
    assert_eq!(
        play.params.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["id", "job_id", "job_variables_attributes"]
    );
    assert_eq!(play.params[2].ty, "array of hashes");
    assert_eq!(play.request_example.as_ref().unwrap()["job_variables_attributes"][0]["key"], "TEST_VAR_1");
    assert_eq!(play.response_example.as_ref().unwrap()["name"], "rubocop");
    let agents = &parsed.endpoints[4];
    assert_eq!(agents.title, "Get GitLab agent by `CI_JOB_TOKEN`");
}

#[test]
fn the_oldest_page_has_no_newer_fields_and_lower_case_requiredness() {
    let parsed = parse("003", &page("003_da39fe1a31249185.txt")).unwrap();
    let job = parsed.endpoints[5].response_example.as_ref().unwrap();
    for newer in ["archived", "erased_at", "failure_reason", "project"] {
        assert!(job.get(newer).is_none(), "{newer}");
    }
    assert!(parsed.endpoints[0].params[0].required, "`yes` reads as required");
}

const FLAT: &str = "--- stage: Verify --- # Jobs API **(FREE)** ## Cancel a job Cancel one job ```plaintext \
POST /projects/:id/jobs/:job_id/cancel ``` | Attribute | Type | Required | Description | |-----|-----|-----|-----| \
| `id` | integer/string | Yes | The project. | | `job_id` | integer | Yes | A job. | | `force` | boolean | No | Force it. | \
Example of response ```json { \"id\": 1, \"status\": \"canceled\" } ``` ## Get a log file Get a log ```plaintext \
GET /projects/:id/jobs/:job_id/trace ``` | Attribute | Type | Required | Description | |--|--|--|--| \
| `id` | integer/string | Yes | The project. |";

const PIPES: &str = "Jobs API\nCancel a job\nCancel one job.\nPOST /projects/:id/jobs/:job_id/cancel\n\
Attribute | Type | Required | Description |\n---|---|---|---|\nid |\ninteger/string | Yes | The project. |\njob_id |\n\
integer | Yes | A job. |\nforce |\nboolean | No | Force it. |\ncurl --request POST \"https://x/api/v4/projects/1/jobs/1/cancel\"\n\
Example of response\n{\n\"id\": 1,\n\"status\": \"canceled\"\n}\n";

const SPACES: &str = "Jobs API\n\nCancel a job\n\nCancel one job.\n\nPOST /projects/:id/jobs/:job_id/cancel\n\
Attribute Type Required Description\nid integer/string Yes The project.\njob_id integer Yes A job.\nforce boolean No Force it.\n\
curl --request POST \"https://x/api/v4/projects/1/jobs/1/cancel?scope[]=x\"\n\nExample of response\n\n{\n  \"id\": 1,\n  \"status\": \"canceled\"\n}\n";

#[test]
fn small_pages_in_each_format_parse_alike() {
    let debian = format!(
        "mirror/doc/api/jobs.md\n2021-12-11 22:18:48 +05:30\n\n28 KiB\n\n{}",
        SPACES.replace("Yes", "yes").replace("No ", "no ")
    );
    for (text, format) in [
        (FLAT.to_owned(), Format::FlatMarkdown),
        (PIPES.to_owned(), Format::PipeTables),
        (SPACES.to_owned(), Format::SpaceTables),
        (debian, Format::DebianMirror),
    ] {
        let parsed = parse("small", &text).unwrap_or_else(|e| panic!("{format}: {e}"));
        assert_eq!(parsed.format, format);
        let cancel = &parsed.endpoints[0];
        assert_eq!(cancel.route(), "POST /projects/{id}/jobs/{job_id}/cancel", "{format}");
        assert_eq!(cancel.title, "Cancel a job", "{format}");
        let params: Vec<(&str, &str, bool)> =
            cancel.params.iter().map(|p| (p.name.as_str(), p.ty.as_str(), p.required)).collect();
        assert_eq!(
            params,
            [("id", "integer/string", true), ("job_id", "integer", true), ("force", "boolean", false)],
            "{format}"
        );
        assert_eq!(cancel.response_example, Some(json!({"id": 1, "status": "canceled"})), "{format}");
    }
}

#[test]
fn unreadable_pages_are_refused_naming_the_file_and_what_is_missing() {
    let err = parse("spec/docs/new.txt", "Just some prose about jobs.\nNothing else.").unwrap_err();
    assert_eq!(err.file, "spec/docs/new.txt");
    assert!(err.to_string().starts_with("spec/docs/new.txt: format not recognised"), "{err}");

    let err = parse("p.txt", "Attribute Type Required Description\nid integer Yes x\n").unwrap_err();
    assert!(err.what.contains("no endpoint declaration"), "{err}");

    let broken = SPACES.replace("{\n  \"id\": 1,", "{\n  \"id\": 1,,");
    let err = parse("p.txt", &broken).unwrap_err();
    assert!(err.what.contains("POST /projects/:id/jobs/:job_id/cancel: an example response is announced"), "{err}");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,400}") {
        let _ = parse("fuzz", &text);
    }

    #[test]
    fn docs_like_text_never_panics(parts in proptest::collection::vec(prop_oneof![
        Just("GET /projects/:id/jobs\n".to_owned()),
        Just("```plaintext POST /job ``` ".to_owned()),
        Just("Attribute Type Required Description\n".to_owned()),
        Just("| Attribute | Type | Required | Description | |---|---|---|---| ".to_owned()),
        Just("Attribute | Type | Required | Description |\n---|---|---|---|\n".to_owned()),
        Just("id integer Yes x\n".to_owned()),
        Just("id |\ninteger | Yes | x |\n".to_owned()),
        Just("Example of response\n".to_owned()),
        Just("{\"a\": [1, {\"b\": null}]}".to_owned()),
        Just("[{".to_owned()),
        Just("## Heading Text ".to_owned()),
        "\\PC{0,20}",
    ], 0..40)) {
        let _ = parse("fuzz", &parts.concat());
    }

    #[test]
    fn mutated_vendored_pages_never_panic(page_index in 0usize..5, cuts in proptest::collection::vec((0usize..30_000, 0usize..200, "\\PC{0,5}"), 1..6)) {
        let mut files: Vec<_> = std::fs::read_dir(xtask::root().join("spec/docs")).unwrap()
            .map(|e| e.unwrap().path()).filter(|p| p.extension().is_some_and(|x| x == "txt")).collect();
        files.sort();
        let mut text = std::fs::read_to_string(&files[page_index]).unwrap();
        for (at, len, insert) in cuts {
            let start = (0..=at.min(text.len())).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            let end = (start..=(start + len).min(text.len())).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(start);
            text.replace_range(start..end, &insert);
        }
        let _ = parse("mutated", &text);
    }
}

#[test]
fn pages_are_read_in_the_order_of_their_era_and_an_unlisted_page_is_refused() {
    let pages = xtask::docs::load_pages(&xtask::root()).unwrap();
    let eras: Vec<&str> = pages.iter().map(|p| p.era.as_str()).collect();
    assert_eq!(eras.first(), Some(&"14.x (2021-12)"));
    assert_eq!(eras.last(), Some(&"newest"));

    let root = std::env::temp_dir().join(format!("xtask-index-{}", std::process::id()));
    let dir = root.join(xtask::docs::PAGES_DIR);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pages.yaml"), "- file: a.txt\n  era: old\n").unwrap();
    std::fs::write(dir.join("a.txt"), page("004_8e66e6f090344155.txt")).unwrap();
    std::fs::write(dir.join("b.txt"), page("004_8e66e6f090344155.txt")).unwrap();
    let error = xtask::docs::load_pages(&root).unwrap_err();
    assert_eq!(error, "spec/docs/b.txt: not listed in spec/docs/pages.yaml (add it with its era)");

    std::fs::remove_file(dir.join("b.txt")).unwrap();
    std::fs::write(dir.join("pages.yaml"), "- file: a.txt\n  era: old\n- file: c.txt\n  era: new\n").unwrap();
    let error = xtask::docs::load_pages(&root).unwrap_err();
    assert!(error.starts_with("spec/docs/c.txt") || error.contains("c.txt"), "{error}");
    assert!(error.ends_with("(listed in spec/docs/pages.yaml)"), "{error}");
    std::fs::remove_dir_all(&root).unwrap();
}
