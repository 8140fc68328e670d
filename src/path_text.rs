//! Path parameters that cannot change the route they are put in.
//!
//! The generated code percent-encodes a path parameter with
//! `progenitor_client::encode_path`, which leaves `\` and `.` alone, and the
//! request URL is then parsed, which reads `\` as `/` and resolves `.` and
//! `..` segments: a project path, ref or artifact path of `a\..\..\user`
//! (zip entry names come from whoever runs the pipeline) would send the
//! request, with the token, to another endpoint. The types here write such
//! characters so that they survive as data: `\` as the text `%5C` and a
//! segment of dots as `%2E`s, which `encode_path` then encodes again
//! (`%255C`). GitLab reads them back as those literal characters and finds no
//! such project, ref or file; the route never changes. No valid GitLab
//! project path, ref or (in practice) artifact path contains them.

use std::{borrow::Cow, fmt};

/// `text` with `\` and segments of only dots made inert for a URL path.
pub(crate) fn route_safe(text: &str) -> Cow<'_, str> {
    let dotted = |segment: &str| !segment.is_empty() && segment.bytes().all(|b| b == b'.');
    if !text.contains('\\') && !text.split('/').any(dotted) {
        return Cow::Borrowed(text);
    }
    let safe: Vec<String> = text
        .split('/')
        .map(|segment| if dotted(segment) { "%2E".repeat(segment.len()) } else { segment.replace('\\', "%5C") })
        .collect();
    Cow::Owned(safe.join("/"))
}

/// An artifact path as GitLab's single-file routes read it: its `/`
/// separators as they are, each segment percent-encoded. `None` for a path
/// that is empty or has a `.` or `..` segment, which URL parsing would
/// resolve, changing the route.
pub(crate) fn encode_artifact_path(path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    if path.is_empty() || segments.iter().any(|s| *s == "." || *s == "..") {
        return None;
    }
    let encoded: Vec<String> = segments.iter().map(|s| progenitor_client::encode_path(&route_safe(s))).collect();
    Some(encoded.join("/"))
}

/// A ref as one path segment: percent-encoded whole, `/` included (GitLab's
/// by-ref routes read it back with their `.+` requirement). `None` for an
/// empty ref or one of `.` or `..`.
pub(crate) fn encode_ref(ref_name: &str) -> Option<String> {
    if ref_name.is_empty() || ref_name == "." || ref_name == ".." {
        return None;
    }
    Some(progenitor_client::encode_path(&route_safe(ref_name)))
}

macro_rules! path_text {
    ($(#[$meta:meta])* $name:ident) => {
        $(#[$meta])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $name(pub String);

        impl fmt::Display for $name {
            /// The text as a path parameter carries it (see the module docs).
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&route_safe(&self.0))
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                $name(text.to_owned())
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                $name(text)
            }
        }

        impl From<&String> for $name {
            fn from(text: &String) -> Self {
                $name(text.clone())
            }
        }
    };
}

path_text! {
    /// A branch or tag name as a path parameter (`main`, `feature/login`).
    /// Setters take `&str` and `String` as they are.
    RefName
}

path_text! {
    /// A file's path inside an artifacts archive (`reports/junit.xml`); its
    /// `/` separators reach GitLab as they are. Setters take `&str` and
    /// `String` as they are.
    ArtifactPath
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_paths_keep_their_slashes_and_encode_the_rest() {
        assert_eq!(encode_artifact_path("reports/junit.xml").unwrap(), "reports/junit.xml");
        assert_eq!(encode_artifact_path("out dir/a#1?.txt").unwrap(), "out%20dir/a%231%3F.txt");
        assert_eq!(encode_artifact_path("bin/r\u{e9}sum\u{e9}%.pdf").unwrap(), "bin/r%C3%A9sum%C3%A9%25.pdf");
        assert_eq!(encode_artifact_path("a/../b"), None);
        assert_eq!(encode_artifact_path(".."), None);
        assert_eq!(encode_ref("feature/login").unwrap(), "feature%2Flogin");
        assert_eq!(encode_ref(".."), None);
    }

    #[test]
    fn backslashes_and_dot_segments_become_inert_text() {
        assert_eq!(route_safe("group/sub/project"), "group/sub/project");
        assert_eq!(route_safe("reports/junit.v1.xml"), "reports/junit.v1.xml");
        assert_eq!(route_safe(r"a\..\..\user"), "a%5C..%5C..%5Cuser");
        assert_eq!(route_safe("a/../../user"), "a/%2E%2E/%2E%2E/user");
        assert_eq!(route_safe(".."), "%2E%2E");
        assert_eq!(route_safe("."), "%2E");
        // The generated code's encoding then keeps them from the URL parser.
        let encoded = progenitor_client::encode_path(&route_safe(r"a\..\..\user"));
        let url = reqwest::Url::parse(&format!("https://gitlab.example.com/api/v4/projects/{encoded}/jobs")).unwrap();
        assert_eq!(url.path(), "/api/v4/projects/a%255C..%255C..%255Cuser/jobs");
    }
}
