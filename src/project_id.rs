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
            ProjectId::Path(path) => f.write_str(path),
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

impl TryFrom<i64> for ProjectId {
    type Error = std::num::TryFromIntError;

    fn try_from(id: i64) -> Result<Self, Self::Error> {
        Ok(ProjectId::Id(u64::try_from(id)?))
    }
}

impl TryFrom<i32> for ProjectId {
    type Error = std::num::TryFromIntError;

    fn try_from(id: i32) -> Result<Self, Self::Error> {
        Ok(ProjectId::Id(u64::try_from(id)?))
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
        assert_eq!(ProjectId::try_from(7_i32).unwrap(), ProjectId::Id(7));
        assert!(ProjectId::try_from(-1_i64).is_err());
        assert_eq!(ProjectId::Path("a/b".into()).to_string(), "a/b");
    }
}
