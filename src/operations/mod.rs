//! The operation table: for every operation of `spec/openapi.yaml`, how the
//! crate treats it. This is the only file of `src/` that spells operation
//! ids; the layers around it ask the table and never match on an id.
//!
//! A row says what the answer is (JSON, a file, nothing), whether the request
//! may be sent again, which adaptation to older servers applies
//! ([`compat`]), and how its URL is shaped ([`paths`]). Parameter ranges
//! come from the spec itself ([`validation`]). The request hooks read the
//! row of each generated call; the features build their own calls from rows.

pub(crate) mod compat;
pub(crate) mod paths;
pub(crate) mod validation;

use reqwest::Url;

use serde::de::DeserializeOwned;

use crate::{
    Error, ResponseValue, builder,
    transport::{Call, Deadline, Expect, Settings},
};
use compat::Adaptation;
use paths::PathShape;

/// How the crate treats one operation.
#[derive(Debug)]
pub(crate) struct Operation {
    /// The spec's `operationId`.
    pub(crate) id: &'static str,
    /// What a successful answer holds.
    pub(crate) answer: Answer,
    /// Whether sending the request again cannot do anything twice. Reads
    /// are; `retry` and `play` start new work each time, so sending one
    /// twice could start a job twice, and no write is repeated.
    pub(crate) idempotent: bool,
    pub(crate) adaptation: Adaptation,
    pub(crate) path: PathShape,
}

/// What a successful answer of an operation holds.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Answer {
    /// JSON, with the parse the generated `send()` will make of it.
    Json(Check),
    /// A file, streamed.
    File,
    /// Nothing (`204 No Content`).
    Nothing,
}

/// Parses a body as the generated code will, keeping nothing: whether that
/// parse fails, and why.
pub(crate) type Check = fn(&[u8]) -> serde_json::Result<()>;

/// The check parses from `str` after one UTF-8 check of the whole body,
/// which spares serde a check of every string (0.7 of the work of
/// `from_slice`, see BENCHMARKS.md); a body that is not UTF-8 is parsed as
/// bytes for serde's own error.
fn parses<T: DeserializeOwned>(body: &[u8]) -> serde_json::Result<()> {
    match std::str::from_utf8(body) {
        Ok(text) => serde_json::from_str::<T>(text).map(drop),
        Err(_) => serde_json::from_slice::<T>(body).map(drop),
    }
}

/// The parse of what the builder's `send()` returns, so that the type comes
/// from the generated signature and cannot be named wrong here.
const fn parse_of<B, F, T>(_send: fn(B) -> F) -> Check
where
    F: Future<Output = Result<ResponseValue<T>, Error>>,
    T: DeserializeOwned,
{
    parses::<T>
}

/// A read whose answer is JSON: the most common row.
const fn read(id: &'static str, check: Check) -> Operation {
    Operation {
        id,
        answer: Answer::Json(check),
        idempotent: true,
        adaptation: Adaptation::None,
        path: PathShape::Plain,
    }
}

/// A write whose answer is JSON, never repeated.
const fn write(id: &'static str, check: Check) -> Operation {
    Operation { idempotent: false, ..read(id, check) }
}

/// A read whose answer is a file.
const fn file(id: &'static str, path: PathShape) -> Operation {
    Operation { id, answer: Answer::File, idempotent: true, adaptation: Adaptation::None, path }
}

/// Every operation of the spec, in its order.
pub(crate) const OPERATIONS: &[Operation] = &[
    // Servers before 18.7 ignore `ref` and send every job (`compat.rs`).
    Operation {
        adaptation: Adaptation::RefFilter,
        ..read("list_project_jobs", parse_of(builder::ListProjectJobs::send))
    },
    read("list_pipeline_jobs", parse_of(builder::ListPipelineJobs::send)),
    // Servers before 19.2 lack `trigger_jobs` and answer on `bridges` (`compat.rs`).
    Operation {
        adaptation: Adaptation::BridgesFallback,
        ..read("list_pipeline_trigger_jobs", parse_of(builder::ListPipelineTriggerJobs::send))
    },
    read("list_pipeline_bridges", parse_of(builder::ListPipelineBridges::send)),
    read("get_current_job", parse_of(builder::GetCurrentJob::send)),
    read("get_allowed_agents", parse_of(builder::GetAllowedAgents::send)),
    read("get_job", parse_of(builder::GetJob::send)),
    file("get_job_trace", PathShape::Plain),
    write("cancel_job", parse_of(builder::CancelJob::send)),
    write("retry_job", parse_of(builder::RetryJob::send)),
    write("erase_job", parse_of(builder::EraseJob::send)),
    write("play_job", parse_of(builder::PlayJob::send)),
    file("download_job_artifacts", PathShape::Plain),
    Operation { answer: Answer::Nothing, idempotent: false, ..file("delete_job_artifacts", PathShape::Plain) },
    file("download_artifacts_by_ref", PathShape::ArchiveByRef),
    file("get_job_artifact_file", PathShape::ArtifactFile),
    file("get_artifact_file_by_ref", PathShape::ArtifactFileByRef),
    read("list_job_artifacts_tree", parse_of(builder::ListJobArtifactsTree::send)),
    write("keep_job_artifacts", parse_of(builder::KeepJobArtifacts::send)),
    write("delete_project_artifacts", parse_of(builder::DeleteProjectArtifacts::send)),
];

/// The row of an operation the table does not know: a JSON answer, never
/// repeated, nothing adapted. Only a spec edit without a row gets here, and
/// a test fails on that.
const UNKNOWN: Operation = write("(unknown operation)", parses::<serde::de::IgnoredAny>);

/// The row of `id`.
pub(crate) fn operation(id: &str) -> &'static Operation {
    OPERATIONS.iter().find(|op| op.id == id).unwrap_or(&UNKNOWN)
}

impl Operation {
    /// Checks and shapes a request of this operation before it is sent:
    /// parameters inside the spec's ranges, artifact paths as GitLab routes
    /// them. The error says why nothing was sent.
    pub(crate) fn prepare(&self, url: &mut Url) -> Result<(), String> {
        validation::check(self.id, url)?;
        paths::shape(self.path, self.id, url)
    }

    /// What the transport needs to know to send a request of this
    /// operation: a JSON or empty answer has the client's deadline, a file
    /// none.
    pub(crate) fn call<'a>(
        &'a self,
        settings: &Settings,
        on_headers: Option<&'a (dyn Fn(&reqwest::header::HeaderMap) + Send + Sync)>,
    ) -> Call<'a> {
        let (expect, deadline) = match self.answer {
            Answer::File => (Expect::File, None),
            Answer::Json(_) => (Expect::Json, settings.deadline.and_then(Deadline::after)),
            Answer::Nothing => (Expect::Nothing, settings.deadline.and_then(Deadline::after)),
        };
        Call { operation: self.id, expect, idempotent: self.idempotent, on_headers, deadline }
    }
}

/// The rows of the requests that features build by hand (the generated
/// builders have no `Range` setter), named after their operations.
pub(crate) mod rows {
    use super::{Operation, operation};

    /// A job's log, asked for with `Range` by the log features.
    pub(crate) fn get_job_trace() -> &'static Operation {
        operation("get_job_trace")
    }

    /// A job's artifacts archive.
    pub(crate) fn download_job_artifacts() -> &'static Operation {
        operation("download_job_artifacts")
    }

    /// The archive of a job of a ref's latest successful pipeline.
    pub(crate) fn download_artifacts_by_ref() -> &'static Operation {
        operation("download_artifacts_by_ref")
    }

    /// One file of a job's archive.
    pub(crate) fn get_job_artifact_file() -> &'static Operation {
        operation("get_job_artifact_file")
    }

    /// One file of the archive of a job of a ref's latest successful pipeline.
    pub(crate) fn get_artifact_file_by_ref() -> &'static Operation {
        operation("get_artifact_file_by_ref")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generated::SPEC_OPERATIONS;

    #[test]
    fn every_operation_of_the_spec_has_a_row_and_every_row_an_operation() {
        for (id, method, answer) in SPEC_OPERATIONS {
            let row = operation(id);
            assert_eq!(row.id, *id, "spec/openapi.yaml has `{id}`: add its row to src/operations/mod.rs");
            assert_eq!(row.idempotent, *method == "GET", "{id}: only reads may be sent again");
            let kind = match row.answer {
                Answer::Json(_) => "json",
                Answer::File => "file",
                Answer::Nothing => "none",
            };
            assert_eq!(kind, *answer, "{id}: the spec's success answer is {answer}");
        }
        for row in OPERATIONS {
            assert!(
                SPEC_OPERATIONS.iter().any(|(id, _, _)| *id == row.id),
                "{}: no such operation in the spec",
                row.id
            );
        }
        assert_eq!(OPERATIONS.len(), SPEC_OPERATIONS.len());
    }

    #[test]
    fn each_rows_check_is_the_parse_of_its_operations_type() {
        let check = |id: &str| match operation(id).answer {
            Answer::Json(check) => check,
            other => panic!("{id}: {other:?}"),
        };
        let job = include_str!("../../tests/fixtures/real/job_newest.json");
        let page = format!("[{job}]");
        // A list of jobs, a job, a list of artifact entries: each row takes
        // its own shape and refuses the others.
        assert!(check("list_project_jobs")(page.as_bytes()).is_ok());
        assert!(check("list_project_jobs")(job.as_bytes()).is_err());
        assert!(check("get_job")(job.as_bytes()).is_ok());
        assert!(check("get_job")(page.as_bytes()).is_err());
        assert!(check("retry_job")(br#"{"id":1}"#).is_err(), "a job has required fields");
        assert!(
            check("list_job_artifacts_tree")(br#"[{"name":"a","path":"a","type":"file","size":1,"mode":"100644"}]"#)
                .is_ok()
        );
        assert!(check("list_job_artifacts_tree")(page.as_bytes()).is_err());
    }

    #[test]
    fn an_unknown_operation_is_treated_as_a_write() {
        let row = operation("no_such_operation");
        assert!(!row.idempotent);
        assert!(matches!(row.answer, Answer::Json(_)));
    }

    fn url(query: &str) -> Url {
        Url::parse(&format!("https://gitlab.example.com/api/v4/projects/1/jobs?{query}")).unwrap()
    }

    #[test]
    fn values_outside_the_specs_ranges_are_refused_naming_the_range() {
        let check = |id: &str, query: &str| validation::check(operation(id).id, &url(query));
        assert_eq!(check("list_project_jobs", "per_page=100&page=1"), Ok(()));
        assert_eq!(
            check("list_project_jobs", "per_page=101").unwrap_err(),
            "per_page = 101 is out of range for list_project_jobs: GitLab accepts from 1 to 100; nothing was sent"
        );
        assert!(check("list_pipeline_jobs", "per_page=0").is_err());
        assert!(check("list_pipeline_jobs", "page=0").unwrap_err().contains("GitLab accepts 1 or more"));
        assert!(check("get_job_trace", "byte_limit=512001").is_err());
        assert_eq!(check("get_job_trace", "byte_limit=512000&byte_offset=99999999999"), Ok(()));
        // Another operation's parameter of the same name is not this one's.
        assert_eq!(check("get_job", "per_page=500"), Ok(()));
    }

    #[test]
    fn artifact_rows_shape_their_paths() {
        let mut url =
            Url::parse("https://gitlab.example.com/api/v4/projects/1/jobs/2/artifacts/out%20dir%2Fa%231.txt").unwrap();
        operation("get_job_artifact_file").prepare(&mut url).unwrap();
        assert_eq!(url.path(), "/api/v4/projects/1/jobs/2/artifacts/out%20dir/a%231.txt");
        let mut url =
            Url::parse("https://gitlab.example.com/api/v4/projects/1/jobs/artifacts/../download?job=b").unwrap();
        assert!(operation("download_artifacts_by_ref").prepare(&mut url).is_err());
    }
}
