//! The file system as the xtask stages need it: reading text the same way on
//! every checkout, and writing or checking the files they generate.
//!
//! A checkout may turn `\n` into `\r\n` (Git's `core.autocrlf` on Windows), so
//! text is compared with its line endings normalised: such a checkout is not
//! out of date. Generated files are always written with `\n`.

use std::path::{Path, PathBuf};

/// A file a stage generates: where (relative to the repository root), and what.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    pub path: String,
    pub text: String,
}

/// A file's text with `\r\n` read as `\n`; an error names the file.
pub fn read_text(path: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(normalise(text))
}

fn normalise(text: String) -> String {
    if text.contains('\r') { text.replace("\r\n", "\n") } else { text }
}

/// What is out of date on disk, one line each: missing or different files.
/// Each line ends by naming the command that brings them up to date.
pub fn check(root: &Path, files: &[Generated], command: &str) -> Vec<String> {
    files
        .iter()
        .filter_map(|file| match read_text(&root.join(&file.path)) {
            Ok(text) if text == file.text => None,
            Ok(_) => Some(format!("{} is out of date; run `{command}`", file.path)),
            Err(_) => Some(format!("{} is missing; run `{command}`", file.path)),
        })
        .collect()
}

/// Writes the files whose content differs; returns how many it wrote.
pub fn write(root: &Path, files: &[Generated]) -> Result<usize, String> {
    let mut written = 0;
    for file in files {
        let path = root.join(&file.path);
        if read_text(&path).is_ok_and(|t| t == file.text) {
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        }
        std::fs::write(&path, &file.text).map_err(|e| format!("{}: {e}", path.display()))?;
        written += 1;
    }
    Ok(written)
}

/// Every file below `dir`, sorted; nothing if it does not exist.
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return files };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files.sort();
    files
}

/// `path` relative to `root`, with `/` separators, as the stages name files.
pub fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).to_string_lossy().replace('\\', "/")
}

/// Pretty JSON with a final newline, as every generated JSON file is written.
pub fn pretty_json(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkout_with_crlf_line_endings_is_up_to_date() {
        let root = std::env::temp_dir().join(format!("xtask-files-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("a.json"), "{\r\n  \"a\": 1\r\n}\r\n").unwrap();
        let file = Generated { path: "a.json".into(), text: "{\n  \"a\": 1\n}\n".into() };
        assert!(check(&root, std::slice::from_ref(&file), "cargo xtask derive").is_empty());
        assert_eq!(write(&root, std::slice::from_ref(&file)).unwrap(), 0, "nothing rewritten");

        std::fs::write(root.join("a.json"), "{\r\n  \"a\": 2\r\n}\r\n").unwrap();
        assert_eq!(check(&root, &[file], "cargo xtask derive"), ["a.json is out of date; run `cargo xtask derive`"]);
        std::fs::remove_dir_all(&root).unwrap();
    }
}
