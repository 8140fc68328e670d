//! Which docs pages the xtask reads, and in which order: `spec/docs/pages.yaml`
//! groups them into families (the docs of one API area: the Jobs API, the Job
//! Artifacts API) and lists each family's pages by the GitLab era they
//! describe, oldest first, because file names carry no age and "the newest
//! page" decides titles and parameter texts.

use std::path::Path;

use serde::Deserialize;

use super::Page;
use crate::files;

/// The vendored pages' folder and their index, relative to the repository root.
pub const PAGES_DIR: &str = "spec/docs";
pub const INDEX: &str = "spec/docs/pages.yaml";
/// Where the pages' examples are kept as fixtures, one folder per page.
pub const FIXTURES: &str = "tests/fixtures/docs";

/// A family of pages: captures of one docs page across GitLab releases.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Family {
    /// `jobs`, `artifacts`: the spec's tag for the same operations.
    pub name: String,
    /// The API the pages describe, as the derived document names it.
    pub title: String,
}

/// One family of the index.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct FamilyEntry {
    family: String,
    title: String,
    pages: Vec<Entry>,
}

/// One page of the index.
#[derive(Clone, Debug, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// Relative to `spec/docs`: `004_8e66e6f090344155.txt`, `job_artifacts/job_artifacts_e8d2c2579383.md`.
    pub file: String,
    /// The GitLab releases the page describes, as a reader would say it.
    pub era: String,
}

/// Whether a file under `spec/docs` is a page, which the index must list:
/// a `.txt` or `.md` file other than a folder's README.
fn is_page(relative: &str) -> bool {
    let name = relative.rsplit('/').next().unwrap_or(relative);
    (name.ends_with(".txt") || name.ends_with(".md")) && !name.eq_ignore_ascii_case("README.md")
}

/// Every page of the index, parsed: family by family as the index lists
/// them, oldest era first within each. A page under `spec/docs` missing from
/// the index, an entry without its page, and a name given twice are errors
/// naming them.
pub fn load_pages(root: &Path) -> Result<Vec<Page>, String> {
    let text = files::read_text(&root.join(INDEX))?;
    let families: Vec<FamilyEntry> = serde_yaml_ng::from_str(&text).map_err(|e| format!("{INDEX}: {e}"))?;
    let entries: Vec<&Entry> = families.iter().flat_map(|f| &f.pages).collect();
    for file in files::files_under(&root.join(PAGES_DIR)) {
        let relative = files::relative(&root.join(PAGES_DIR), &file);
        if is_page(&relative) && !entries.iter().any(|e| e.file == relative) {
            return Err(format!("{PAGES_DIR}/{relative}: not listed in {INDEX} (add it with its era)"));
        }
    }
    for (i, family) in families.iter().enumerate() {
        if families.iter().take(i).any(|f| f.family == family.family) {
            return Err(format!("{INDEX}: family `{}` is listed twice", family.family));
        }
        if family.pages.is_empty() {
            return Err(format!("{INDEX}: family `{}` lists no pages", family.family));
        }
    }
    let mut pages: Vec<Page> = Vec::new();
    for family in &families {
        for entry in &family.pages {
            let rel = format!("{PAGES_DIR}/{}", entry.file);
            let text = files::read_text(&root.join(&rel)).map_err(|e| format!("{e} (listed in {INDEX})"))?;
            let mut page = super::parse(&rel, &text).map_err(|e| e.to_string())?;
            // Fixture folders are named by stem, so two pages may not share one.
            if let Some(other) = pages.iter().find(|p| p.stem() == page.stem()) {
                return Err(format!("{rel}: its name without folder and extension is also {}'s", other.file));
            }
            page.family = Family { name: family.family.clone(), title: family.title.clone() };
            page.era = entry.era.clone();
            pages.push(page);
        }
    }
    Ok(pages)
}

/// The pages grouped by family, in the order the families first appear.
pub fn families(pages: &[Page]) -> Vec<(&Family, Vec<&Page>)> {
    let mut grouped: Vec<(&Family, Vec<&Page>)> = Vec::new();
    for page in pages {
        match grouped.iter_mut().find(|(family, _)| family.name == page.family.name) {
            Some((_, members)) => members.push(page),
            None => grouped.push((&page.family, vec![page])),
        }
    }
    grouped
}

/// The page whose file stem is `stem` (`004_8e66e6f090344155`).
pub fn find<'a>(pages: &'a [Page], stem: &str) -> Option<&'a Page> {
    pages.iter().find(|p| p.stem() == stem)
}

/// The page whose file stem is `stem`, to change in a test.
pub fn find_mut<'a>(pages: &'a mut [Page], stem: &str) -> Option<&'a mut Page> {
    pages.iter_mut().find(|p| p.stem() == stem)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_text_and_markdown_files_but_not_readmes() {
        assert!(is_page("004_8e66e6f090344155.txt"));
        assert!(is_page("job_artifacts/job_artifacts_e8d2c2579383.md"));
        assert!(!is_page("README.md"));
        assert!(!is_page("job_artifacts/README.md"));
        assert!(!is_page("pages.yaml"));
    }
}
