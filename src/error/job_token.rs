//! Why GitLab refused a CI job token, read from its 403 message, so that a
//! CI tool can say what to change in the project's settings.

use std::fmt;

/// Why GitLab refused a CI job token (`403 Forbidden - …` from
/// `lib/api/helpers.rb`), so a CI tool can say what to change in the
/// project's CI/CD settings.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum JobTokenDenial {
    /// The target project's job token allowlist does not include the job's
    /// project. GitLab names both by their last path segment.
    NotAllowlisted {
        /// The project the job runs in.
        from: String,
        /// The project the request was for.
        to: String,
    },
    /// The allowlist entry lacks a fine-grained permission the endpoint needs.
    MissingPermissions {
        /// The project the request was for.
        project: String,
        /// The permissions GitLab names, such as `read_jobs`.
        permissions: Vec<String>,
    },
    /// The endpoint does not accept job tokens with fine-grained permissions.
    NotForJobTokens,
}

impl JobTokenDenial {
    /// Reads GitLab's 403 message; `None` for any other message.
    pub fn from_message(message: &str) -> Option<JobTokenDenial> {
        let reason = message.strip_prefix("403 Forbidden - ")?.trim_end_matches('.');
        if let Some(rest) = reason.strip_prefix("Authentication by CI/CD job token not allowed from ") {
            let (from, to) = rest.split_once(" to ")?;
            return Some(JobTokenDenial::NotAllowlisted { from: from.to_owned(), to: to.to_owned() });
        }
        if let Some(rest) = reason.strip_prefix("Insufficient permissions to access this resource in project ") {
            let (project, list) = rest.split_once(". The following token permission")?;
            let (_, list) = list.split_once("required: ")?;
            let permissions = list
                .split(", ")
                .flat_map(|part| part.split(" and "))
                .map(|p| p.trim().trim_start_matches("and ").trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect();
            return Some(JobTokenDenial::MissingPermissions { project: project.to_owned(), permissions });
        }
        (reason == "This action is unauthorized for CI/CD job tokens").then_some(JobTokenDenial::NotForJobTokens)
    }
}

impl fmt::Display for JobTokenDenial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JobTokenDenial::NotAllowlisted { from, to } => {
                write!(f, "project `{to}` does not allow CI job tokens from project `{from}` (its job token allowlist)")
            }
            JobTokenDenial::MissingPermissions { project, permissions } => write!(
                f,
                "the job token allowlist entry of project `{project}` lacks the permission(s) {}",
                permissions.join(", ")
            ),
            JobTokenDenial::NotForJobTokens => f.write_str("this endpoint does not accept CI job tokens"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gitlabs_job_token_refusals_are_recognised() {
        let denial = |m: &str| JobTokenDenial::from_message(m);
        assert_eq!(
            denial("403 Forbidden - Authentication by CI/CD job token not allowed from builder to deployer."),
            Some(JobTokenDenial::NotAllowlisted { from: "builder".into(), to: "deployer".into() })
        );
        assert_eq!(
            denial(
                "403 Forbidden - Insufficient permissions to access this resource in project group/app. \
                 The following token permission is required: read_jobs."
            ),
            Some(JobTokenDenial::MissingPermissions {
                project: "group/app".into(),
                permissions: vec!["read_jobs".into()]
            })
        );
        assert_eq!(
            denial(
                "403 Forbidden - Insufficient permissions to access this resource in project app. \
                 The following token permissions are required: read_jobs, read_pipelines and read_deployments."
            ),
            Some(JobTokenDenial::MissingPermissions {
                project: "app".into(),
                permissions: vec!["read_jobs".into(), "read_pipelines".into(), "read_deployments".into()]
            })
        );
        assert_eq!(
            denial("403 Forbidden - This action is unauthorized for CI/CD job tokens."),
            Some(JobTokenDenial::NotForJobTokens)
        );
        assert_eq!(denial("403 Forbidden"), None);
        assert_eq!(denial("403 Forbidden - Job is not retryable"), None);
    }
}
