//! The spec is the only list of an open set's values: every value a schema
//! marked `x-open-enum` lists is a known variant of the compiled enum, and a
//! value added to the spec becomes one with no other edit.

#[path = "../spec/load.rs"]
mod spec;

use gitlab_jobs::{
    ArtifactEntryType, ArtifactFileType, FailureReason, JobScope, JobStatus, PipelineSource, PipelineStatus,
    RunnerStatus, RunnerType,
};

fn the_spec() -> spec::Document {
    spec::load(std::path::Path::new(env!("CARGO_MANIFEST_DIR"))).expect("the spec loads")
}

/// For one compiled open enum: the wire form of each known variant, and for
/// each of `values`, whether it parses as a known variant that prints back the same.
fn compiled<T>(values: &[String]) -> (Vec<String>, Vec<bool>)
where
    T: for<'a> From<&'a str> + std::fmt::Display + 'static,
    T: KnownList,
{
    let known = T::known().iter().map(ToString::to_string).collect();
    let parsed = values.iter().map(|v| T::is_known_value(v) && T::from(v.as_str()).to_string() == *v).collect();
    (known, parsed)
}

trait KnownList: Sized {
    fn known() -> &'static [Self];
    fn is_known_value(value: &str) -> bool;
}

macro_rules! known_list {
    ($($t:ident),+) => {$(
        impl KnownList for $t {
            fn known() -> &'static [Self] { $t::KNOWN }
            fn is_known_value(value: &str) -> bool { $t::from(value).is_known() }
        }
    )+};
}
known_list!(
    ArtifactEntryType,
    ArtifactFileType,
    FailureReason,
    JobScope,
    JobStatus,
    PipelineSource,
    PipelineStatus,
    RunnerStatus,
    RunnerType
);

#[test]
fn every_value_of_an_open_set_in_the_spec_is_a_known_variant_in_order() {
    let document = the_spec();
    let enums = spec::open_enums(&document.json).unwrap();
    assert!(enums.len() >= 8, "{enums:?}");
    for open in &enums {
        let values: Vec<String> = open.values.iter().map(|(wire, _)| wire.clone()).collect();
        let (known, parsed) = match open.name.as_str() {
            "ArtifactEntryType" => compiled::<ArtifactEntryType>(&values),
            "ArtifactFileType" => compiled::<ArtifactFileType>(&values),
            "FailureReason" => compiled::<FailureReason>(&values),
            "JobScope" => compiled::<JobScope>(&values),
            "JobStatus" => compiled::<JobStatus>(&values),
            "PipelineSource" => compiled::<PipelineSource>(&values),
            "PipelineStatus" => compiled::<PipelineStatus>(&values),
            "RunnerStatus" => compiled::<RunnerStatus>(&values),
            "RunnerType" => compiled::<RunnerType>(&values),
            other => panic!("the spec has an open enum `{other}` this test does not check yet; add it above"),
        };
        assert_eq!(known, values, "{}: KNOWN is the spec's list, in its order", open.name);
        assert!(parsed.iter().all(|ok| *ok), "{}: every listed value is a known variant", open.name);
    }
}

#[test]
fn a_value_added_to_the_spec_becomes_a_known_variant() {
    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(spec::SPEC)).unwrap();
    let marker = "enum: [unknown_failure,";
    assert!(text.contains(marker), "FailureReason's list starts with unknown_failure");
    let edited = text.replacen(marker, "enum: [brand_new_reason, unknown_failure,", 1);

    let document = spec::read(&edited).expect("the edited spec is still valid");
    let enums = spec::open_enums(&document.json).unwrap();
    let reason = enums.iter().find(|e| e.name == "FailureReason").unwrap();
    assert_eq!(reason.values[0], ("brand_new_reason".to_owned(), "BrandNewReason".to_owned()));

    // What build.rs would compile: the new variant inside FailureReason's call.
    let source = spec::open_enum_source(&enums);
    let call = source.split("crate::open_enum::open_enum!").find(|c| c.contains("FailureReason {")).unwrap();
    assert!(call.contains("BrandNewReason = \"brand_new_reason\","), "{call}");
    // And the crate as built today does not know it: the build, not this test, adds it.
    assert!(!FailureReason::from("brand_new_reason").is_known());
}

#[test]
fn variant_names_follow_the_values_and_clashes_are_build_errors() {
    assert_eq!(spec::variant_name("waiting_for_resource").as_deref(), Some("WaitingForResource"));
    assert_eq!(spec::variant_name("requirements_v2").as_deref(), Some("RequirementsV2"));
    assert_eq!(spec::variant_name("2fa").as_deref(), Some("V2fa"));
    assert_eq!(spec::variant_name("other").as_deref(), Some("Other_"));
    assert_eq!(spec::variant_name("--"), None);

    let text = std::fs::read_to_string(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(spec::SPEC)).unwrap();
    let clash = text.replacen("enum: [online,", "enum: [never-contacted, online,", 1);
    let error = spec::read(&clash).err().expect("two values with one variant name are refused");
    assert!(
        error.contains(
            "RunnerStatus: enum values `never-contacted` and `never_contacted` both become variant `NeverContacted`"
        ),
        "{error}"
    );
}
