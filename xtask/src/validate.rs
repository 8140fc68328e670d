//! `cargo xtask validate`: every fixture, read into the generated type of its
//! operation and written back, must say what it said (see `json_diff`), and
//! must fit the spec's own schema for that operation.
//!
//! Fixtures are the docs' examples of every family of pages
//! (`tests/fixtures/docs/<page>/<operation>.json`, and `.request.json` for
//! request bodies) and the hand-written real-world cases listed in
//! `tests/fixtures/real/manifest.json` with their operation.

use std::{collections::BTreeMap, path::Path};

use gitlab_jobs::types;
use serde::{Serialize, de::DeserializeOwned};
use serde_json::Value;

use crate::{
    departures::{self, Departure},
    docs, files, infer, json_diff, spec,
};

pub const REAL_MANIFEST: &str = "tests/fixtures/real/manifest.json";

/// One fixture and the operation whose response (or request) it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Fixture {
    pub path: String,
    pub operation: String,
    pub request: bool,
    pub value: Value,
}

/// The generated type each operation answers (or takes) and its name in the
/// spec, which `check_table` compares with the spec so the two cannot part.
const TYPES: &[(&str, bool, &str)] = &[
    ("list_project_jobs", false, "Job[]"),
    ("list_pipeline_jobs", false, "Job[]"),
    ("list_pipeline_bridges", false, "Bridge[]"),
    ("list_pipeline_trigger_jobs", false, "Bridge[]"),
    ("get_current_job", false, "Job"),
    ("get_allowed_agents", false, "AllowedAgents"),
    ("get_job", false, "Job"),
    ("cancel_job", false, "Job"),
    ("retry_job", false, "Job"),
    ("erase_job", false, "Job"),
    ("play_job", false, "PlayedJob"),
    ("play_job", true, "PlayJobRequest"),
    ("retry_job", true, "RetryJobRequest"),
    ("keep_job_artifacts", false, "Job"),
    ("list_job_artifacts_tree", false, "JobArtifactEntry[]"),
    ("delete_project_artifacts", false, "Accepted"),
];

fn through<T: DeserializeOwned + Serialize>(value: &Value) -> Result<Value, String> {
    let typed: T = serde_json::from_value(value.clone()).map_err(|e| format!("does not parse: {e}"))?;
    serde_json::to_value(&typed).map_err(|e| format!("does not serialize back: {e}"))
}

/// `value` read into the generated type named `type_name` and written back.
fn round_trip(type_name: &str, value: &Value) -> Result<Value, String> {
    match type_name {
        "Job[]" => through::<Vec<types::Job>>(value),
        "Bridge[]" => through::<Vec<types::Bridge>>(value),
        "Job" => through::<types::Job>(value),
        "AllowedAgents" => through::<types::AllowedAgents>(value),
        "PlayedJob" => through::<types::PlayedJob>(value),
        "PlayJobRequest" => through::<types::PlayJobRequest>(value),
        "RetryJobRequest" => through::<types::RetryJobRequest>(value),
        "JobArtifactEntry[]" => through::<Vec<types::JobArtifactEntry>>(value),
        "Accepted" => through::<types::Accepted>(value),
        other => Err(format!("no generated type is known for `{other}`")),
    }
}

/// The name of the schema an operation answers (or takes) in the spec:
/// `Job`, or `Job[]` for an array of them.
fn spec_type_name(spec: &Value, operation: &str, request: bool) -> Option<String> {
    let op = spec::operation(spec, operation)?;
    let schema =
        if request { spec::request_schema(spec, op.operation)? } else { spec::response_schema(spec, op.operation)? };
    let name = |s: &Value| s["$ref"].as_str().map(|r| r.rsplit('/').next().unwrap_or(r).to_owned());
    match schema["type"].as_str() {
        Some("array") => name(&schema["items"]).map(|n| format!("{n}[]")),
        _ => name(schema),
    }
}

/// Differences between the type table above and the spec.
pub fn check_table(spec: &Value) -> Vec<String> {
    TYPES
        .iter()
        .filter_map(|(operation, request, expected)| {
            let actual = spec_type_name(spec, operation, *request);
            (actual.as_deref() != Some(*expected)).then(|| {
                format!(
                    "xtask/src/validate.rs: {operation}{} is read as `{expected}` but the spec says `{}`",
                    if *request { " request" } else { "" },
                    actual.unwrap_or_else(|| "nothing".into())
                )
            })
        })
        .collect()
}

/// A real-world fixture's entry in the manifest: its operation, or for a
/// fixture that imitates one GitLab version, the version and the facts about
/// that version's responses it rests on.
#[derive(Clone, Debug, serde::Deserialize)]
#[serde(untagged)]
pub enum ManifestEntry {
    Operation(String),
    Version { operation: String, gitlab: String, facts: Vec<String> },
}

impl ManifestEntry {
    pub fn operation(&self) -> &str {
        match self {
            ManifestEntry::Operation(op) | ManifestEntry::Version { operation: op, .. } => op,
        }
    }
}

/// Every fixture: the docs' examples, and the real-world cases of the manifest.
pub fn fixtures(root: &Path) -> Result<Vec<Fixture>, String> {
    let mut found = Vec::new();
    let read = |path: &Path| -> Result<Value, String> {
        let text = files::read_text(path)?;
        serde_json::from_str(&text).map_err(|e| format!("{}: not JSON: {e}", path.display()))
    };
    let rel = |path: &Path| files::relative(root, path);
    for path in files::files_under(&root.join(docs::FIXTURES)) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let (operation, request) = match name.strip_suffix(".request.json") {
            Some(op) => (op.to_owned(), true),
            None => (name.trim_end_matches(".json").to_owned(), false),
        };
        found.push(Fixture { path: rel(&path), operation, request, value: read(&path)? });
    }
    let manifest: BTreeMap<String, ManifestEntry> =
        serde_json::from_value(read(&root.join(REAL_MANIFEST))?).map_err(|e| format!("{REAL_MANIFEST}: {e}"))?;
    let real_dir = root.join("tests/fixtures/real");
    for path in files::files_under(&real_dir) {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if path == root.join(REAL_MANIFEST) {
            continue;
        }
        let entry = manifest.get(&name).ok_or_else(|| format!("{}: not listed in {REAL_MANIFEST}", rel(&path)))?;
        found.push(Fixture {
            path: rel(&path),
            operation: entry.operation().to_owned(),
            request: false,
            value: read(&path)?,
        });
    }
    Ok(found)
}

/// The problems of one fixture, each naming the file and the JSON path. A
/// difference from the spec listed in the departures is not a problem.
pub fn validate(spec: &Value, departures: &[Departure], fixture: &Fixture) -> Vec<String> {
    let Some((_, _, type_name)) = TYPES.iter().find(|(op, req, _)| *op == fixture.operation && *req == fixture.request)
    else {
        return vec![format!("{}: no generated type is known for operation `{}`", fixture.path, fixture.operation)];
    };
    let mut problems = Vec::new();
    match round_trip(type_name, &fixture.value) {
        Err(why) => problems.push(format!("{}: {why}", fixture.path)),
        Ok(back) => {
            let mut diffs = Vec::new();
            json_diff::compare(&fixture.value, &back, "$", &mut diffs);
            problems.extend(diffs.into_iter().map(|d| format!("{}: {d} (the generated types lose it)", fixture.path)));
        }
    }
    // The spec's own schema, walked as drift walks it; open sets may hold any value.
    if let Some(op) = spec::operation(spec, &fixture.operation) {
        let target = if fixture.request {
            spec::request_schema(spec, op.operation)
        } else {
            spec::response_schema(spec, op.operation)
        };
        if let Some(target) = target {
            let shown = infer::infer(&fixture.value);
            let root = if fixture.request { "request $" } else { "$" };
            let route = op.route();
            spec::walk(spec, &shown, target, root, false, &mut |at, docs, spec| {
                if !departures::is_listed(departures, &route, &at) {
                    problems.push(format!("{}: {at}: the fixture shows {docs}; the spec {spec}", fixture.path))
                }
            });
        }
    }
    problems
}
