//! Job artifacts: downloads of any size to any `AsyncWrite` in constant
//! memory, through object-storage redirects, resumed after a broken
//! connection; and errors that say why an artifact is not there.
//!
//! GitLab answers the archive routes with the archive, or with a 302 to object
//! storage or a CDN on another host; the client follows it without GitLab's
//! credentials (`transport/redirect.rs`). A broken download is resumed only
//! where the answer proves it continues the same artifact (`transfer/`):
//! with its `ETag` or `Last-Modified`, the rest is asked for with `Range` and
//! `If-Range`, and a `206` must start at the next byte and name the same
//! size; without either, the whole artifact comes again, and the bytes
//! already written are skipped after a digest shows they are the same. No
//! byte is written twice, and two versions are never spliced. The client
//! asks for no compression, so byte offsets are offsets of the artifact
//! itself.

mod download;

use std::fmt;

use reqwest::Url;

use crate::{
    Client, Error, ErrorExt, ProjectId,
    operations::{Operation, rows},
    path_text::{encode_artifact_path, encode_ref},
};

/// What to download.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArtifactSource {
    /// A job's artifacts archive (zip).
    Archive {
        /// The job.
        job_id: i64,
    },
    /// The archive of the job named `job` in the latest successful pipeline
    /// of a branch or tag.
    ArchiveByRef {
        /// The branch or tag (`main`, `feature/login`).
        ref_name: String,
        /// The job's name.
        job: String,
    },
    /// One file of a job's archive, extracted by GitLab.
    File {
        /// The job.
        job_id: i64,
        /// The file's path in the archive (`reports/junit.xml`).
        path: String,
    },
    /// One file of the archive of the job named `job` in the latest
    /// successful pipeline of a branch or tag.
    FileByRef {
        /// The branch or tag.
        ref_name: String,
        /// The job's name.
        job: String,
        /// The file's path in the archive.
        path: String,
    },
}

/// How far a download has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// Bytes written so far.
    pub received: u64,
    /// The artifact's size, when the server said it (`Content-Length`) or
    /// the job's archive entry did.
    pub total: Option<u64>,
}

/// A finished download.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Downloaded {
    /// The artifact's bytes at the destination: written by this call, and
    /// any an earlier run left (`to_path`).
    pub bytes: u64,
    /// How many times a broken connection was resumed.
    pub resumed: u32,
    /// Bytes a `.part` file from an earlier run already held (`to_path`);
    /// 0 for a download from the start.
    pub from_earlier_run: u64,
}

/// Why an artifact is not there, read from GitLab's answer (and, for a
/// missing archive, from the job).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ArtifactProblem {
    /// The job has no archive: it kept none (its `artifacts:paths` matched
    /// nothing, or it has report artifacts only), or they were erased.
    NoArchive,
    /// The job's artifacts expired at this time.
    Expired {
        /// When they expired, as the job says.
        at: String,
    },
    /// The archive has no file at this path. Report artifacts (`junit`,
    /// `cobertura`, …) are only in the archive when their files are also
    /// listed in `artifacts:paths`.
    FileNotInArchive {
        /// The path asked for.
        path: String,
    },
    /// No such job in the project, or (by ref) no successful pipeline of the
    /// ref with a job of that name that kept artifacts.
    NoSuchJob,
    /// The project does not exist or the caller may not see it.
    NoSuchProject,
    /// The server does not know the route at all (GitLab's catch-all
    /// `404`, `{"error":"404 Not Found"}`): the client's URL is not a
    /// GitLab API root, or the server is older than the route.
    UnknownRoute,
    /// GitLab refused the path (a NUL byte or invalid UTF-8), or the client
    /// did (`.` or `..`, which would change the route).
    BadPath,
    /// The artifact changed between a broken connection and its resume (a
    /// by-ref download that now resolves to a newer job, an archive
    /// replaced): what was written is the start of the older version. Start
    /// again.
    Changed {
        /// Bytes written before the change showed.
        written: u64,
    },
    /// The connection broke more often than the client's retry policy
    /// allows (`RetryPolicy::max_attempts` in a row without progress,
    /// `RetryPolicy::max_resumes` in all).
    Broken {
        /// How many times the download was resumed.
        resumes: u32,
        /// Bytes written, all of them right.
        written: u64,
    },
}

impl fmt::Display for ArtifactProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArtifactProblem::NoArchive => f.write_str("the job has no artifacts archive (none kept, or erased)"),
            ArtifactProblem::Expired { at } => write!(f, "the job's artifacts expired at {at}"),
            ArtifactProblem::FileNotInArchive { path } => write!(
                f,
                "the archive has no file `{path}` (report artifacts are in it only when `artifacts:paths` lists them too)"
            ),
            ArtifactProblem::NoSuchJob => {
                f.write_str("no such job, or no successful pipeline of the ref with that job")
            }
            ArtifactProblem::NoSuchProject => f.write_str("no such project, or not visible to this token"),
            ArtifactProblem::UnknownRoute => f.write_str(
                "the server does not know this route (not a GitLab API root, or a GitLab older than the route)",
            ),
            ArtifactProblem::BadPath => f.write_str("the artifact path cannot be asked for"),
            ArtifactProblem::Changed { written } => write!(
                f,
                "the artifact changed while it was downloading ({written} bytes of the older version were written; start again)"
            ),
            ArtifactProblem::Broken { resumes, written } => {
                write!(f, "the connection kept breaking ({resumes} resumes, {written} bytes written)")
            }
        }
    }
}

/// Why a download failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum ArtifactError {
    /// GitLab (or the storage it redirected to) did not deliver it.
    Api {
        /// The error of the request.
        error: Error,
        /// What it means for artifacts, where that is known.
        problem: Option<ArtifactProblem>,
    },
    /// The writer refused the bytes.
    Write(std::io::Error),
}

impl fmt::Display for ArtifactError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArtifactError::Api { problem: Some(problem), error } => {
                write!(f, "{problem} ({})", error.describe())
            }
            ArtifactError::Api { error, problem: None } => {
                write!(f, "the artifact could not be read: {}", error.describe())
            }
            ArtifactError::Write(e) => write!(f, "the artifact could not be written: {e}"),
        }
    }
}

impl std::error::Error for ArtifactError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ArtifactError::Api { error, .. } => Some(error),
            ArtifactError::Write(e) => Some(e),
        }
    }
}

/// The same answers as for any error of the crate: the request's status and
/// GitLab's words where there was an answer; a writer's failure has none.
impl ErrorExt for ArtifactError {
    fn http_status(&self) -> Option<reqwest::StatusCode> {
        match self {
            ArtifactError::Api { error, .. } => error.http_status(),
            ArtifactError::Write(_) => None,
        }
    }

    fn api_error(&self) -> Option<&crate::ApiError> {
        match self {
            ArtifactError::Api { error, .. } => error.api_error(),
            ArtifactError::Write(_) => None,
        }
    }

    fn describe(&self) -> String {
        crate::error::redact_queries(&self.to_string())
    }

    fn request_sent(&self) -> bool {
        match self {
            ArtifactError::Api { error, .. } => error.request_sent(),
            ArtifactError::Write(_) => true,
        }
    }

    /// Also `true` for a connection that kept breaking and for an artifact
    /// that changed during the download: a new download may succeed.
    fn is_transient(&self) -> bool {
        match self {
            ArtifactError::Api {
                problem: Some(ArtifactProblem::Broken { .. } | ArtifactProblem::Changed { .. }),
                ..
            } => true,
            ArtifactError::Api { error, .. } => error.is_transient(),
            ArtifactError::Write(_) => false,
        }
    }
}

impl ArtifactError {
    /// What the error means for artifacts, where that is known.
    pub fn problem(&self) -> Option<&ArtifactProblem> {
        match self {
            ArtifactError::Api { problem, .. } => problem.as_ref(),
            ArtifactError::Write(_) => None,
        }
    }
}

/// A download of an artifact; made by [`Client::download_artifacts`].
#[must_use = "a download does nothing until `to_writer` is awaited"]
pub struct ArtifactDownload<'a> {
    client: &'a Client,
    project: ProjectId,
    source: ArtifactSource,
    search_recent: bool,
    deadline: Option<std::time::Duration>,
    progress: Option<Box<dyn FnMut(Progress) + Send + 'a>>,
    progress_interval: std::time::Duration,
    /// When progress was last reported, and what.
    reported: Option<std::time::Instant>,
    last_progress: Option<Progress>,
}

/// How often a download reports its progress at most, by default: a
/// progress bar redraws ten times a second, not once per chunk.
pub const DEFAULT_PROGRESS_INTERVAL: std::time::Duration = std::time::Duration::from_millis(100);

impl fmt::Debug for ArtifactDownload<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArtifactDownload")
            .field("project", &self.project)
            .field("source", &self.source)
            .field("search_recent", &self.search_recent)
            .finish_non_exhaustive()
    }
}

impl Client {
    /// Downloads an artifact archive or file; see [`ArtifactDownload`].
    ///
    /// ```no_run
    /// use gitlab_jobs::{ArtifactSource, Client};
    ///
    /// # async fn run(client: Client) -> Result<(), Box<dyn std::error::Error>> {
    /// let mut file = tokio::fs::File::create("artifacts.zip").await?;
    /// let source = ArtifactSource::ArchiveByRef { ref_name: "main".into(), job: "build".into() };
    /// let done = client
    ///     .download_artifacts("group/project", source)
    ///     .on_progress(|p| eprint!("\r{} of {:?} bytes", p.received, p.total))
    ///     .to_writer(&mut file)
    ///     .await?;
    /// # Ok(()) }
    /// ```
    pub fn download_artifacts(&self, project: impl Into<ProjectId>, source: ArtifactSource) -> ArtifactDownload<'_> {
        ArtifactDownload {
            client: self,
            project: project.into(),
            source,
            search_recent: false,
            deadline: None,
            progress: None,
            progress_interval: DEFAULT_PROGRESS_INTERVAL,
            reported: None,
            last_progress: None,
        }
    }
}

impl<'a> ArtifactDownload<'a> {
    /// For the by-ref sources: look through up to 100 recent successful
    /// pipelines of the ref, not only the latest (GitLab 18.7 and later;
    /// older servers ignore it).
    pub fn search_recent_successful_pipelines(mut self, search: bool) -> Self {
        self.search_recent = search;
        self
    }

    /// The longest the whole download may take, resumes included; none by
    /// default (the client's [`timeout`](crate::ClientBuilder::timeout)
    /// still bounds every silence). Past it the download ends with an error
    /// that says how many bytes were written.
    pub fn deadline(mut self, deadline: std::time::Duration) -> Self {
        self.deadline = Some(deadline);
        self
    }

    /// Called once the size is known (before the first byte, with
    /// `received: 0`, or the bytes an earlier run left), then as chunks are
    /// written, at most once per [`progress_interval`](Self::progress_interval)
    /// (100 ms by default), and once at the end with every byte counted.
    pub fn on_progress(mut self, progress: impl FnMut(Progress) + Send + 'a) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    /// The shortest time between two progress reports
    /// ([`DEFAULT_PROGRESS_INTERVAL`] unless set); `Duration::ZERO` reports
    /// every chunk.
    pub fn progress_interval(mut self, interval: std::time::Duration) -> Self {
        self.progress_interval = interval;
        self
    }

    /// The URL to ask, and the operation it belongs to.
    fn url(&self) -> Result<(String, &'static Operation), ArtifactProblem> {
        let base = format!(
            "{}/projects/{}/jobs",
            self.client.baseurl,
            progenitor_client::encode_path(&self.project.to_string())
        );
        let by_ref = |ref_name: &str, job: &str, tail: String| -> Result<String, ArtifactProblem> {
            let ref_name = encode_ref(ref_name).ok_or(ArtifactProblem::BadPath)?;
            let mut url =
                Url::parse(&format!("{base}/artifacts/{ref_name}/{tail}")).map_err(|_| ArtifactProblem::BadPath)?;
            url.query_pairs_mut().append_pair("job", job);
            if self.search_recent {
                url.query_pairs_mut().append_pair("search_recent_successful_pipelines", "true");
            }
            Ok(url.into())
        };
        let path = |path: &str| encode_artifact_path(path).ok_or(ArtifactProblem::BadPath);
        Ok(match &self.source {
            ArtifactSource::Archive { job_id } => {
                (format!("{base}/{job_id}/artifacts"), rows::download_job_artifacts())
            }
            ArtifactSource::File { job_id, path: file } => {
                (format!("{base}/{job_id}/artifacts/{}", path(file)?), rows::get_job_artifact_file())
            }
            ArtifactSource::ArchiveByRef { ref_name, job } => {
                (by_ref(ref_name, job, "download".into())?, rows::download_artifacts_by_ref())
            }
            ArtifactSource::FileByRef { ref_name, job, path: file } => {
                (by_ref(ref_name, job, format!("raw/{}", path(file)?))?, rows::get_artifact_file_by_ref())
            }
        })
    }
}
