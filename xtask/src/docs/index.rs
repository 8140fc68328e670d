//! Which docs pages the xtask reads, and in which order: `spec/docs/pages.yaml`
//! lists them by the GitLab era they describe, oldest first, because file names
//! carry no age and "the newest page" decides titles and parameter texts.

use std::path::Path;

use serde::Deserialize;

use super::Page;
use crate::files;

/// The vendored pages' folder and their index, relative to the repository root.
pub const PAGES_DIR: &str = "spec/docs";
pub const INDEX: &str = "spec/docs/pages.yaml";
/// Where the pages' examples are kept as fixtures, one folder per page.
pub const FIXTURES: &str = "tests/fixtures/docs";

/// One entry of the index.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub file: String,
    /// The GitLab releases the page describes, as a reader would say it.
    pub era: String,
}

/// Every page of the index, parsed, oldest era first. A `.txt` page missing
/// from the index, or an entry without its page, is an error naming it.
pub fn load_pages(root: &Path) -> Result<Vec<Page>, String> {
    let text = files::read_text(&root.join(INDEX))?;
    let entries: Vec<Entry> = serde_yaml_ng::from_str(&text).map_err(|e| format!("{INDEX}: {e}"))?;
    for file in files::files_under(&root.join(PAGES_DIR)) {
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        if name.ends_with(".txt") && !entries.iter().any(|e| e.file == name) {
            return Err(format!("{PAGES_DIR}/{name}: not listed in {INDEX} (add it with its era)"));
        }
    }
    entries
        .iter()
        .map(|entry| {
            let rel = format!("{PAGES_DIR}/{}", entry.file);
            let text = files::read_text(&root.join(&rel)).map_err(|e| format!("{e} (listed in {INDEX})"))?;
            let mut page = super::parse(&rel, &text).map_err(|e| e.to_string())?;
            page.era = entry.era.clone();
            Ok(page)
        })
        .collect()
}

/// The page whose file stem is `stem` (`004_8e66e6f090344155`).
pub fn find<'a>(pages: &'a [Page], stem: &str) -> Option<&'a Page> {
    pages.iter().find(|p| p.stem() == stem)
}

/// The page whose file stem is `stem`, to change in a test.
pub fn find_mut<'a>(pages: &'a mut [Page], stem: &str) -> Option<&'a mut Page> {
    pages.iter_mut().find(|p| p.stem() == stem)
}
