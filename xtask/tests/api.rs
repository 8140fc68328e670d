//! The committed listing of the generated API is current, and a spec edit that
//! changes the API is named and classified: a required field made optional is
//! breaking, a new optional field or open-enum value is additive.

use xtask::api::{self, Change, Impact};

fn committed() -> String {
    xtask::files::read_text(&xtask::root().join(api::LISTING)).unwrap()
}

/// The generated code with one text replaced, once, inside `struct Job`.
fn edited_job(from: &str, to: &str) -> String {
    let source = gitlab_jobs::GENERATED_SOURCE;
    let start = source.find("pub struct Job {").unwrap();
    let end = start + source[start..].find("\n    }").unwrap();
    assert!(source[start..end].contains(from), "struct Job has `{from}`");
    format!("{}{}{}", &source[..start], source[start..end].replacen(from, to, 1), &source[end..])
}

fn change(impact: Impact, text: &str) -> Change {
    Change { impact, text: text.to_owned() }
}

#[test]
fn the_committed_listing_is_what_the_spec_generates() {
    let now = api::listing(gitlab_jobs::GENERATED_SOURCE).unwrap();
    let changes = api::changes(&committed(), &now);
    assert!(changes.is_empty(), "{} is out of date; run `{}`:\n{changes:#?}", api::LISTING, api::COMMAND);
    assert_eq!(committed(), now);
    for line in ["operation get_job: GET /projects/{id}/jobs/{job_id} -> Job", "type Job field name: String"] {
        assert!(now.lines().any(|l| l == line), "{line}");
    }
}

#[test]
fn a_required_field_made_optional_is_a_breaking_change() {
    let source =
        edited_job("pub name: ::std::string::String,", "pub name: ::std::option::Option<::std::string::String>,");
    let changes = api::changes(&committed(), &api::listing(&source).unwrap());
    assert_eq!(changes, [change(Impact::Breaking, "type Job field name changed from String to Option<String>")]);
    assert_eq!(changes[0].to_string(), "breaking: type Job field name changed from String to Option<String>");
}

#[test]
fn new_optional_fields_and_open_enum_values_are_additive_and_new_required_fields_breaking() {
    let source =
        edited_job("pub tag: bool,", "pub tag: bool, pub queued_by: ::std::option::Option<i64>, pub priority: i64,");
    let source = source.replacen("Archive = \"archive\",", "Archive = \"archive\", Sbom = \"sbom\",", 1);
    let changes = api::changes(&committed(), &api::listing(&source).unwrap());
    assert_eq!(
        changes,
        [
            change(Impact::Breaking, "type Job field priority added: i64"),
            change(Impact::Additive, "open enum ArtifactFileType variant Sbom added: \"sbom\""),
            change(Impact::Additive, "type Job field queued_by added: Option<i64>"),
        ]
    );
}

#[test]
fn a_removed_operation_is_breaking_with_each_of_its_setters() {
    let listing = committed();
    let without: String =
        listing.lines().filter(|l| !l.starts_with("operation erase_job")).map(|l| format!("{l}\n")).collect();
    let changes = api::changes(&listing, &without);
    assert_eq!(changes.len(), 3, "{changes:#?}");
    assert!(changes.iter().all(|c| c.impact == Impact::Breaking));
    assert!(changes[0].text.starts_with("operation erase_job removed (was POST /projects/{id}/jobs/{job_id}/erase"));
}
