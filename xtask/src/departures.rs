//! `spec/departures.yaml`: the reviewed, deliberate differences between the
//! docs pages and the spec, each with its reason. Drift accepts them, and
//! validation forgives a fixture that shows one.

use std::path::Path;

use serde::Deserialize;

pub const DEPARTURES: &str = "spec/departures.yaml";

/// One reviewed difference: where, and why the spec differs there.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Departure {
    /// `GET /projects/{id}/jobs/{job_id}`
    pub route: String,
    /// `$.download_url`, `parameter scope`, …
    pub at: String,
    pub reason: String,
}

/// The list under `root`.
pub fn load(root: &Path) -> Result<Vec<Departure>, String> {
    let text = crate::files::read_text(&root.join(DEPARTURES))?;
    serde_yaml_ng::from_str(&text).map_err(|e| format!("{DEPARTURES}: {e}"))
}

/// Whether a difference at (`route`, `at`) is a listed departure.
pub fn is_listed(departures: &[Departure], route: &str, at: &str) -> bool {
    departures.iter().any(|d| d.route == route && d.at == at)
}
