//! The maintainer's tools behind `cargo xtask`: read GitLab's docs pages,
//! derive a spec from their examples, compare it with the hand-written spec,
//! check every fixture against the generated types, and list the public API
//! the spec generates.
//!
//! Two inputs, each read by one module: `spec` (the hand-written spec, read
//! through `spec/load.rs` as build.rs reads it) and `docs` (the vendored docs
//! pages and what they say per route). The stages `derive`, `drift`,
//! `validate` and `api` each work over those inputs and never import one
//! another; `files` is what they share of the file system.

pub mod api;
pub mod departures;
pub mod derive;
pub mod docs;
pub mod drift;
pub mod files;
pub mod infer;
pub mod json_diff;
pub mod spec;
pub mod summary;
pub mod validate;

use std::path::{Path, PathBuf};

/// The workspace root (the directory holding `spec/`).
pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().map(Path::to_path_buf).unwrap_or_default()
}
