//! The `:id` of GitLab's project routes, which is a number or a full path.

use std::fmt;

/// A project's numeric id (`42`) or full path (`group/sub/project`).
///
/// Every builder's `.id(..)` takes anything that converts into it, so both
/// `.id(42)` and `.id("group/sub/project")` work. On the wire a path is
/// percent-encoded (`group%2Fsub%2Fproject`), because GitLab's routes reject
/// a raw `/` inside `:id`.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ProjectId {
    /// A numeric project id.
    Id(u64),
    /// A full project path such as `group/sub/project`.
    Path(String),
}

impl fmt::Display for ProjectId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProjectId::Id(id) => write!(f, "{id}"),
            // A path that could change the route is written as inert text.
            ProjectId::Path(path) => f.write_str(&crate::path_text::route_safe(path)),
        }
    }
}

impl From<&str> for ProjectId {
    fn from(path: &str) -> Self {
        ProjectId::from(path.to_owned())
    }
}

impl From<String> for ProjectId {
    /// A string of digits is a numeric id, as GitLab itself reads it.
    fn from(path: String) -> Self {
        match path.parse::<u64>() {
            Ok(id) if !path.starts_with('+') => ProjectId::Id(id),
            _ => ProjectId::Path(path),
        }
    }
}

impl From<&String> for ProjectId {
    fn from(path: &String) -> Self {
        ProjectId::from(path.clone())
    }
}

impl From<u64> for ProjectId {
    fn from(id: u64) -> Self {
        ProjectId::Id(id)
    }
}

impl From<u32> for ProjectId {
    fn from(id: u32) -> Self {
        ProjectId::Id(id.into())
    }
}

/// Integer literals are `i32` unless told otherwise, so `42` must convert.
/// No project has a negative id; one is kept as its text, which GitLab
/// answers with 404 rather than this crate panicking or guessing.
impl From<i64> for ProjectId {
    fn from(id: i64) -> Self {
        u64::try_from(id).map_or_else(|_| ProjectId::Path(id.to_string()), ProjectId::Id)
    }
}

impl From<i32> for ProjectId {
    fn from(id: i32) -> Self {
        ProjectId::from(i64::from(id))
    }
}

#[cfg(test)]
mod tests {
    use super::ProjectId;

    #[test]
    fn digits_are_an_id_and_anything_else_a_path() {
        assert_eq!(ProjectId::from("42"), ProjectId::Id(42));
        assert_eq!(ProjectId::from("group/sub/project"), ProjectId::Path("group/sub/project".into()));
        assert_eq!(ProjectId::from("+42"), ProjectId::Path("+42".into()));
        assert_eq!(ProjectId::from(7_i32), ProjectId::Id(7));
        assert_eq!(ProjectId::from(-1_i64), ProjectId::Path("-1".into()));
        assert_eq!(ProjectId::Path("a/b".into()).to_string(), "a/b");
    }
}
