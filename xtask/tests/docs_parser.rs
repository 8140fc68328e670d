//! The docs parser on each of the five formats (the vendored pages of both
//! families and small pages written here), on pages it must refuse, and on
//! arbitrary input; and the index of pages.

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

const MARKDOWN: &str = "---\nstage: Verify\ntitle: Jobs API\n---\n\n{{< details >}}\n\n- Tier: Free\n\n{{< /details >}}\n\n\
## Cancel a job\n\n{{< history >}}\n\n- Introduced in GitLab 9.5.\n\n{{< /history >}}\n\n> Cancel one job.\n\n\
```plaintext\nPOST /projects/:id/jobs/:job_id/cancel\n```\n\n\
| Attribute   | Type           | Required | Description  |\n|-------------|----------------|----------|--------------|\n\
| `id`        | integer/string | Yes      | The project. |\n| `job_id`    | integer        | Yes      | A job.       |\n\
| `force` **(PREMIUM)** | boolean | No | Force it. |\n\nExample request:\n\n\
```shell\n# Not a heading: the fence is still open.\ncurl --request POST \"https://x/api/v4/projects/1/jobs/1/cancel\"\n```\n\n\
Example of response\n\n```json\n{\n  \"id\": 1,\n  \"status\": \"canceled\"\n}\n```\n\n\
## Get a log file\n\n```plaintext\nGET /projects/:id/jobs/:job_id/trace\n```\n";

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
        (MARKDOWN.to_owned(), Format::Markdown),
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

const ARTIFACT_ROUTES: [&str; 7] = [
    "GET /projects/{id}/jobs/{job_id}/artifacts",
    "GET /projects/{id}/jobs/artifacts/{ref_name}/download",
    "GET /projects/{id}/jobs/{job_id}/artifacts/{artifact_path}",
    "GET /projects/{id}/jobs/artifacts/{ref_name}/raw/{artifact_path}",
    "POST /projects/{id}/jobs/{job_id}/artifacts/keep",
    "DELETE /projects/{id}/jobs/{job_id}/artifacts",
    "DELETE /projects/{id}/artifacts",
];

#[test]
fn both_artifacts_pages_yield_their_endpoints_as_markdown_source() {
    // The 14.x page predates the project-wide delete (GitLab 14.7).
    for (file, count) in
        [("job_artifacts/job_artifacts_e8d2c2579383.md", 6), ("job_artifacts/job_artifacts_051d82558176.md", 7)]
    {
        let parsed = parse(file, &page(file)).unwrap();
        assert_eq!(parsed.format, Format::Markdown, "{file}");
        let routes: Vec<String> = parsed.endpoints.iter().map(|e| e.route()).collect();
        assert_eq!(routes, ARTIFACT_ROUTES[..count], "{file}");
        let titles: Vec<&str> = parsed.endpoints.iter().map(|e| e.title.as_str()).collect();
        assert_eq!(titles[0], "Get job artifacts", "{file}");
        assert_eq!(titles[3], "Download a single artifact file from specific tag or branch", "{file}");
        assert_eq!(titles[4], "Keep artifacts", "{file}");

        // Downloads answer bytes and deletes nothing: only keep shows JSON, a job.
        let with_examples: Vec<&str> =
            parsed.endpoints.iter().filter(|e| e.response_example.is_some()).map(|e| e.path.as_str()).collect();
        assert_eq!(with_examples, ["/projects/:id/jobs/:job_id/artifacts/keep"], "{file}");
        let job = parsed.endpoints[4].response_example.as_ref().unwrap();
        assert_eq!((&job["id"], &job["status"], &job["download_url"]), (&json!(42), &json!("failed"), &json!(null)));
        assert!(parsed.endpoints.iter().all(|e| e.request_example.is_none()), "{file}");

        // The raw route: the query after the path is a parameter row, the
        // wildcard a path parameter, and `job_token` is optional under its tier marker.
        let raw = &parsed.endpoints[3];
        assert_eq!(raw.path, "/projects/:id/jobs/artifacts/:ref_name/raw/*artifact_path", "{file}");
        let mut params: Vec<(&str, &str, bool)> =
            raw.params.iter().map(|p| (p.name.as_str(), p.ty.as_str(), p.required)).collect();
        params.sort();
        assert_eq!(
            params,
            [
                ("artifact_path", "string", true),
                ("id", "integer/string", true),
                ("job", "string", true),
                ("job_token", "string", false),
                ("ref_name", "string", true),
            ],
            "{file}"
        );
        let keep = &parsed.endpoints[4];
        assert_eq!(keep.params.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["id", "job_id"], "{file}");
    }
}

#[test]
fn a_markdown_section_ends_at_the_next_heading_of_its_level() {
    let text = "# Artifacts API\n\n## Download a file\n\n```plaintext\nGET /projects/:id/jobs/artifacts/:ref_name/raw/*artifact_path?job=name\n```\n\n\
| Attribute | Type | Required | Description |\n|---|---|---|---|\n| `job` | string | Yes | The job's name. |\n\n\
### Notes\n\nA sub-section belongs to the endpoint.\n\n```json\n{\"name\": \"file.pdf\"}\n```\n\n## Troubleshooting\n\n\
| Attribute | Type | Required | Description |\n|---|---|---|---|\n| `other` | string | No | Not the endpoint's. |\n\n\
Example response:\n\n```json\n{\"message\": \"not the endpoint's either\"}\n```\n";
    let parsed = parse("small.md", text).unwrap();
    assert_eq!(parsed.format, Format::Markdown);
    assert_eq!(parsed.endpoints.len(), 1);
    let download = &parsed.endpoints[0];
    assert_eq!(download.route(), "GET /projects/{id}/jobs/artifacts/{ref_name}/raw/{artifact_path}");
    assert_eq!(download.title, "Download a file");
    assert_eq!(download.params.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["job"]);
    assert_eq!(download.response_example, Some(json!({"name": "file.pdf"})));
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

    let err = parse("p.md", "# Jobs API\n\n```shell\ncurl https://x\n```\n").unwrap_err();
    assert_eq!(err.to_string(), "p.md: found no endpoint declaration (a line such as `GET /projects/:id/jobs`)");

    let broken = MARKDOWN.replace("\"id\": 1,", "\"id\": 1,,");
    let err = parse("p.md", &broken).unwrap_err();
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
        Just("\n## Heading\n".to_owned()),
        Just("```plaintext\nGET /a/:b/*c?job=name\n```\n".to_owned()),
        Just("```json\n".to_owned()),
        Just("```\n".to_owned()),
        Just("| `a` **(PREMIUM)** | string | no | x |\n".to_owned()),
        Just("|---|---|---|---|\n".to_owned()),
        Just("---\n".to_owned()),
        Just("{{< history >}}\n".to_owned()),
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

    #[test]
    fn mutated_artifacts_pages_never_panic(newer in proptest::bool::ANY, cuts in proptest::collection::vec((0usize..16_000, 0usize..200, "\\PC{0,5}"), 1..6)) {
        let name = if newer { "job_artifacts_051d82558176.md" } else { "job_artifacts_e8d2c2579383.md" };
        let mut text = page(&format!("job_artifacts/{name}"));
        for (at, len, insert) in cuts {
            let start = (0..=at.min(text.len())).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(0);
            let end = (start..=(start + len).min(text.len())).rev().find(|i| text.is_char_boundary(*i)).unwrap_or(start);
            text.replace_range(start..end, &insert);
        }
        let _ = parse("mutated", &text);
    }
}

/// An index of one family, `test`, listing `files` with made-up eras.
fn index(files: &[&str]) -> String {
    let pages: String = files.iter().map(|f| format!("    - file: {f}\n      era: era of {f}\n")).collect();
    format!("- family: test\n  title: Test API\n  pages:\n{pages}")
}

#[test]
fn pages_are_read_in_the_order_of_their_era_and_an_unlisted_page_is_refused() {
    let pages = xtask::docs::load_pages(&xtask::root()).unwrap();
    let eras: Vec<&str> = pages.iter().filter(|p| p.family.name == "jobs").map(|p| p.era.as_str()).collect();
    assert_eq!(eras.first(), Some(&"14.x (2021-12)"));
    assert_eq!(eras.last(), Some(&"newest"));

    let root = std::env::temp_dir().join(format!("xtask-index-{}", std::process::id()));
    let dir = root.join(xtask::docs::PAGES_DIR);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("pages.yaml"), index(&["a.txt"])).unwrap();
    std::fs::write(dir.join("a.txt"), page("004_8e66e6f090344155.txt")).unwrap();
    std::fs::write(dir.join("b.txt"), page("004_8e66e6f090344155.txt")).unwrap();
    let error = xtask::docs::load_pages(&root).unwrap_err();
    assert_eq!(error, "spec/docs/b.txt: not listed in spec/docs/pages.yaml (add it with its era)");

    std::fs::remove_file(dir.join("b.txt")).unwrap();
    std::fs::write(dir.join("pages.yaml"), index(&["a.txt", "c.txt"])).unwrap();
    let error = xtask::docs::load_pages(&root).unwrap_err();
    assert!(error.starts_with("spec/docs/c.txt") || error.contains("c.txt"), "{error}");
    assert!(error.ends_with("(listed in spec/docs/pages.yaml)"), "{error}");
    std::fs::remove_dir_all(&root).unwrap();
}

#[test]
fn the_index_groups_pages_into_families_each_ordered_by_era() {
    let pages = xtask::docs::load_pages(&xtask::root()).unwrap();
    let families: Vec<(&str, &str, Vec<&str>)> = xtask::docs::families(&pages)
        .into_iter()
        .map(|(family, members)| {
            (family.name.as_str(), family.title.as_str(), members.iter().map(|p| p.era.as_str()).collect())
        })
        .collect();
    assert_eq!(
        families,
        [
            ("jobs", "GitLab CI Jobs API", vec!["14.x (2021-12)", "15.9+", "16.x", "16.x-17.x", "newest"]),
            ("artifacts", "GitLab CI Job Artifacts API", vec!["14.x (before 14.7)", "17.x-18.x"]),
        ]
    );
    let artifacts = xtask::docs::find(&pages, "job_artifacts_051d82558176").unwrap();
    assert_eq!(artifacts.file, "spec/docs/job_artifacts/job_artifacts_051d82558176.md");
    assert_eq!(artifacts.format, Format::Markdown);
}

#[test]
fn an_unlisted_markdown_page_in_a_folder_is_refused_but_a_readme_is_not_a_page() {
    let root = std::env::temp_dir().join(format!("xtask-index-md-{}", std::process::id()));
    let dir = root.join(xtask::docs::PAGES_DIR);
    std::fs::create_dir_all(dir.join("area")).unwrap();
    std::fs::write(dir.join("pages.yaml"), index(&["area/a.md"])).unwrap();
    std::fs::write(dir.join("area/a.md"), MARKDOWN).unwrap();
    std::fs::write(dir.join("README.md"), "# Vendored pages\n\n```plaintext\nGET /x\n```\n").unwrap();
    std::fs::write(dir.join("area/README.md"), "# Vendored pages\n").unwrap();
    let pages = xtask::docs::load_pages(&root).unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!((pages[0].family.name.as_str(), pages[0].era.as_str()), ("test", "era of area/a.md"));

    std::fs::write(dir.join("area/b.md"), MARKDOWN).unwrap();
    let error = xtask::docs::load_pages(&root).unwrap_err();
    assert_eq!(error, "spec/docs/area/b.md: not listed in spec/docs/pages.yaml (add it with its era)");

    // Fixture folders are named by stem: two pages may not share one.
    std::fs::create_dir_all(dir.join("other")).unwrap();
    std::fs::rename(dir.join("area/b.md"), dir.join("other/a.md")).unwrap();
    std::fs::write(dir.join("pages.yaml"), index(&["area/a.md", "other/a.md"])).unwrap();
    let error = xtask::docs::load_pages(&root).unwrap_err();
    assert!(error.starts_with("spec/docs/other/a.md: its name without folder"), "{error}");
    std::fs::remove_dir_all(&root).unwrap();
}
