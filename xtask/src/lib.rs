//! The maintainer's tools behind `cargo xtask`: read GitLab's docs pages,
//! derive a spec from their examples, compare it with the hand-written spec,
//! and check every fixture against the generated types.

pub mod derive;
pub mod docs;
pub mod drift;
pub mod infer;
pub mod json_diff;
pub mod summary;
pub mod validate;

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use serde_json::Value;

pub const SPEC: &str = "spec/openapi.yaml";

/// The hand-written spec as JSON, read as build.rs reads it: YAML with merge
/// keys (`<<`) expanded and the top-level `x-` blocks that only hold anchors dropped.
pub fn load_spec(root: &Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(root.join(SPEC)).map_err(|e| format!("{SPEC}: {e}"))?;
    spec_from_yaml(&text)
}

pub fn spec_from_yaml(text: &str) -> Result<Value, String> {
    let mut yaml: serde_yaml_ng::Value =
        serde_yaml_ng::from_str(text).map_err(|e| format!("{SPEC}: not valid YAML: {e}"))?;
    yaml.apply_merge().map_err(|e| format!("{SPEC}: a merge key cannot be expanded: {e}"))?;
    let mut json: Value = serde_yaml_ng::from_value(yaml).map_err(|e| format!("{SPEC}: {e}"))?;
    if let Some(top) = json.as_object_mut() {
        top.retain(|key, _| !key.starts_with("x-"));
    }
    Ok(json)
}

/// `GET /projects/{id}/jobs` → `list_project_jobs`, from the hand-written spec.
pub fn operation_ids(spec: &Value) -> BTreeMap<String, String> {
    let mut ids = BTreeMap::new();
    for (path, item) in spec["paths"].as_object().into_iter().flatten() {
        for (method, operation) in item.as_object().into_iter().flatten() {
            if let Some(id) = operation["operationId"].as_str() {
                ids.insert(format!("{} {path}", method.to_ascii_uppercase()), id.to_owned());
            }
        }
    }
    ids
}

/// The workspace root (the directory holding `spec/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}

/// Every vendored docs page, parsed, in file-name order.
pub fn docs_pages(root: &Path) -> Result<Vec<docs::Page>, String> {
    let dir = root.join("spec/docs");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "txt"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|path| {
            let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            docs::parse(&format!("spec/docs/{name}"), &text).map_err(|e| e.to_string())
        })
        .collect()
}
