//! URLs shaped as GitLab routes them, for the operations whose path
//! parameters the generated code cannot encode as GitLab expects.
//!
//! The generated code percent-encodes every path parameter whole, so the `/`
//! of an artifact path becomes `%2F`; GitLab's single-file routes want the
//! path's separators as they are. A path of `.` or `..` is resolved away by
//! URL parsing before the hook sees it, which changes the route: such a
//! request is refused here (see also `path_text.rs`).

use reqwest::Url;

/// How a row's URL is shaped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PathShape {
    /// As the generated code built it.
    Plain,
    /// `…/jobs/:job_id/artifacts/*artifact_path`.
    ArtifactFile,
    /// `…/jobs/artifacts/:ref_name/raw/*artifact_path`.
    ArtifactFileByRef,
    /// `…/jobs/artifacts/:ref_name/download`.
    ArchiveByRef,
}

/// Keeps the `/` of an artifact path in a request the generated code built,
/// and refuses one whose route was changed by a `.` or `..` in a path
/// parameter. `operation` names the request in the error.
pub(crate) fn shape(shape: PathShape, operation: &str, url: &mut Url) -> Result<(), String> {
    let (marker, needs) = match shape {
        PathShape::Plain => return Ok(()),
        PathShape::ArtifactFile => ("/artifacts/", "/jobs/"),
        PathShape::ArtifactFileByRef => ("/raw/", "/jobs/artifacts/"),
        PathShape::ArchiveByRef => {
            let path = url.path();
            if !(path.contains("/jobs/artifacts/") && path.ends_with("/download")) {
                return Err(format!("{operation}: a ref of `.` or `..` cannot be sent; nothing was sent"));
            }
            return Ok(());
        }
    };
    let path = url.path().to_owned();
    let Some(at) = path.rfind(marker).filter(|_| path.contains(needs)) else {
        return Err(format!("{operation}: an artifact path or ref of `.` or `..` cannot be sent; nothing was sent"));
    };
    let (head, tail) = path.split_at(at + marker.len());
    if tail.is_empty() {
        return Err(format!("{operation}: the artifact path is empty; nothing was sent"));
    }
    // `%2F` can only come from a `/` of the path: a `%` of the path itself is `%25`.
    let decoded = tail.replace("%2F", "/");
    if decoded.split('/').any(|s| s == "." || s == "..") {
        // Left as one encoded segment, GitLab reads it back and finds nothing.
        return Ok(());
    }
    url.set_path(&format!("{head}{decoded}"));
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_requests_get_their_slashes_back_and_dot_routes_are_refused() {
        let mut url =
            Url::parse("https://gitlab.example.com/api/v4/projects/1/jobs/2/artifacts/out%20dir%2Fa%231.txt").unwrap();
        shape(PathShape::ArtifactFile, "op", &mut url).unwrap();
        assert_eq!(url.path(), "/api/v4/projects/1/jobs/2/artifacts/out%20dir/a%231.txt");
        // A path of `..` was resolved away by URL parsing: the route changed.
        let mut url = Url::parse("https://gitlab.example.com/api/v4/projects/1/jobs/2/artifacts/..").unwrap();
        assert!(shape(PathShape::ArtifactFile, "op", &mut url).is_err());
        let mut url =
            Url::parse("https://gitlab.example.com/api/v4/projects/1/jobs/artifacts/../download?job=b").unwrap();
        assert!(shape(PathShape::ArchiveByRef, "op", &mut url).is_err());
        // `a/../b` stays one encoded segment, which GitLab does not find.
        let mut url = Url::parse("https://gitlab.example.com/api/v4/projects/1/jobs/2/artifacts/a%2F..%2Fb").unwrap();
        shape(PathShape::ArtifactFile, "op", &mut url).unwrap();
        assert_eq!(url.path(), "/api/v4/projects/1/jobs/2/artifacts/a%2F..%2Fb");
        let mut url =
            Url::parse("https://gitlab.example.com/api/v4/projects/1/jobs/artifacts/main/raw/a%2Fb?job=x").unwrap();
        shape(PathShape::ArtifactFileByRef, "op", &mut url).unwrap();
        assert_eq!(url.path(), "/api/v4/projects/1/jobs/artifacts/main/raw/a/b");
    }
}
