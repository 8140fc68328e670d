//! The maintainer's tools behind `cargo xtask`: read GitLab's docs pages,
//! derive a spec from their examples, compare it with the hand-written spec,
//! and check every fixture against the generated types.

pub mod docs;
pub mod json_diff;

use std::path::{Path, PathBuf};

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
