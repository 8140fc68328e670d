//! Job artifacts: downloads of any size to any `AsyncWrite` in constant
//! memory, through object-storage redirects, resumed after a broken
//! connection; errors that say why an artifact is not there; and the paths of
//! the single-file routes as GitLab routes them.
//!
//! GitLab answers the archive routes with the archive, or with a 302 to object
//! storage or a CDN on another host; the client follows it without GitLab's
//! credentials (`redirect.rs`). A broken download asks again with
//! `Range: bytes=<received>-`: storage and GitLab's own file server answer
//! 206 and the download goes on; a server that answers 200 sends the whole
//! body again and the bytes already written are skipped. No byte is written
//! twice either way. The client asks for no compression (reqwest is built
//! without it), so byte offsets are offsets of the artifact itself.

use std::fmt;

use futures::StreamExt;
use reqwest::{
    StatusCode, Url,
    header::{self, HeaderValue},
};
use tokio::io::{AsyncWrite, AsyncWriteExt};

use crate::{ApiError, Client, Error, ErrorExt, ProjectId, job_log::skip_prefix, retry::is_retryable_error};

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
    /// Bytes written.
    pub bytes: u64,
    /// How many times a broken connection was resumed.
    pub resumed: u32,
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
    /// GitLab refused the path (a NUL byte or invalid UTF-8), or the client
    /// did (`.` or `..`, which would change the route).
    BadPath,
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
            ArtifactProblem::BadPath => f.write_str("the artifact path cannot be asked for"),
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

impl ArtifactError {
    /// What the error means for artifacts, where that is known.
    pub fn problem(&self) -> Option<&ArtifactProblem> {
        match self {
            ArtifactError::Api { problem, .. } => problem.as_ref(),
            ArtifactError::Write(_) => None,
        }
    }
}

/// An artifact path as GitLab routes it: its `/` separators as they are,
/// each segment percent-encoded. A path with a `.` or `..` segment cannot be
/// sent: URL parsing would resolve it and change the route.
pub(crate) fn encode_artifact_path(path: &str) -> Result<String, ArtifactProblem> {
    let segments: Vec<&str> = path.split('/').collect();
    if path.is_empty() || segments.iter().any(|s| *s == "." || *s == "..") {
        return Err(ArtifactProblem::BadPath);
    }
    let encoded: Vec<String> =
        segments.iter().map(|s| progenitor_client::encode_path(&crate::path_text::route_safe(s))).collect();
    Ok(encoded.join("/"))
}

/// A ref as a path segment: percent-encoded whole, `/` included.
fn encode_ref(ref_name: &str) -> Result<String, ArtifactProblem> {
    if ref_name.is_empty() || ref_name == "." || ref_name == ".." {
        return Err(ArtifactProblem::BadPath);
    }
    Ok(progenitor_client::encode_path(&crate::path_text::route_safe(ref_name)))
}

/// Keeps the `/` of an artifact path in a request the generated code built
/// (which percent-encodes it as `%2F`), and refuses one whose route was
/// changed by a `.` or `..` in a path parameter. Called by the request hook.
pub(crate) fn shape_request(operation: &str, url: &mut Url) -> Result<(), String> {
    let (marker, needs) = match operation {
        "get_job_artifact_file" => ("/artifacts/", "/jobs/"),
        "get_artifact_file_by_ref" => ("/raw/", "/jobs/artifacts/"),
        "download_artifacts_by_ref" => {
            let path = url.path();
            if !(path.contains("/jobs/artifacts/") && path.ends_with("/download")) {
                return Err(format!("{operation}: a ref of `.` or `..` cannot be sent; nothing was sent"));
            }
            return Ok(());
        }
        _ => return Ok(()),
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

/// A download of an artifact; made by [`Client::download_artifacts`].
#[must_use = "a download does nothing until `to_writer` is awaited"]
pub struct ArtifactDownload<'a> {
    client: &'a Client,
    project: ProjectId,
    source: ArtifactSource,
    search_recent: bool,
    progress: Option<Box<dyn FnMut(Progress) + Send + 'a>>,
}

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
        ArtifactDownload { client: self, project: project.into(), source, search_recent: false, progress: None }
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

    /// Called once the size is known (before the first byte, with
    /// `received: 0`) and after every chunk written.
    pub fn on_progress(mut self, progress: impl FnMut(Progress) + Send + 'a) -> Self {
        self.progress = Some(Box::new(progress));
        self
    }

    fn url(&self) -> Result<String, ArtifactProblem> {
        let base = format!(
            "{}/projects/{}/jobs",
            self.client.baseurl,
            progenitor_client::encode_path(&self.project.to_string())
        );
        let by_ref = |ref_name: &str, job: &str, tail: String| -> Result<String, ArtifactProblem> {
            let mut url = Url::parse(&format!("{base}/artifacts/{}/{tail}", encode_ref(ref_name)?))
                .map_err(|_| ArtifactProblem::BadPath)?;
            url.query_pairs_mut().append_pair("job", job);
            if self.search_recent {
                url.query_pairs_mut().append_pair("search_recent_successful_pipelines", "true");
            }
            Ok(url.into())
        };
        match &self.source {
            ArtifactSource::Archive { job_id } => Ok(format!("{base}/{job_id}/artifacts")),
            ArtifactSource::File { job_id, path } => {
                Ok(format!("{base}/{job_id}/artifacts/{}", encode_artifact_path(path)?))
            }
            ArtifactSource::ArchiveByRef { ref_name, job } => by_ref(ref_name, job, "download".into()),
            ArtifactSource::FileByRef { ref_name, job, path } => {
                by_ref(ref_name, job, format!("raw/{}", encode_artifact_path(path)?))
            }
        }
    }

    /// Writes the artifact to `writer` in constant memory and returns how
    /// many bytes were written. The writer is flushed at the end.
    pub async fn to_writer<W>(mut self, writer: &mut W) -> Result<Downloaded, ArtifactError>
    where
        W: AsyncWrite + Unpin + ?Sized,
    {
        let url = self.url().map_err(|problem| ArtifactError::Api {
            error: Error::InvalidRequest(problem.to_string()),
            problem: Some(problem),
        })?;
        let attempts = self.client.inner.retry.attempts();
        let mut received = 0u64;
        let mut resumed = 0u32;
        let mut failures = 0u32;
        let mut total: Option<u64> = None;
        // The first answer's size, to tell a resumed answer of another artifact.
        let mut first_size: Option<u64> = None;
        let mut size_asked = false;
        // What the first answer said about the artifact's version: a resumed
        // range is asked with `If-Range`, so a changed artifact comes whole.
        let mut validator: Option<HeaderValue> = None;
        loop {
            let mut headers = Vec::new();
            if received > 0 {
                let range = HeaderValue::from_str(&format!("bytes={received}-"))
                    .map_err(|e| self.api(Error::InvalidRequest(e.to_string())))?;
                headers.push((header::RANGE, range));
                if let Some(validator) = &validator {
                    headers.push((header::IF_RANGE, validator.clone()));
                }
            }
            let response = crate::hooks::get_raw(self.client, &url, &headers).await.map_err(|e| self.api(e))?;
            let status = response.status();
            let mut skip: u64;
            let this_validator =
                response.headers().get(header::ETAG).or(response.headers().get(header::LAST_MODIFIED)).cloned();
            let size = match status {
                StatusCode::OK => {
                    skip = received;
                    response.content_length()
                }
                StatusCode::PARTIAL_CONTENT => {
                    // A range answer must say which bytes it holds; one that
                    // does not (or holds several ranges) cannot be spliced.
                    let Some((start, size)) = crate::job_log::content_range(response.headers()) else {
                        return Err(self.api(Error::InvalidRequest(
                            "a 206 answer without a single Content-Range cannot be resumed".into(),
                        )));
                    };
                    if start > received {
                        let error = Error::InvalidRequest(format!(
                            "asked for bytes from {received}, the server sent bytes from {start}"
                        ));
                        return Err(self.api(error));
                    }
                    skip = received - start;
                    size
                }
                _ => return Err(self.explain(Error::UnexpectedResponse(response)).await),
            };
            if received == 0 {
                validator = this_validator;
                first_size = size;
            } else {
                // A resumed answer must be the same artifact: by its ETag or
                // Last-Modified, and by its size, where both answers say them.
                // (A by-ref download may meanwhile resolve to a newer job.)
                let changed = matches!((&validator, &this_validator), (Some(a), Some(b)) if a != b)
                    || matches!((first_size, size), (Some(a), Some(b)) if a != b);
                if changed {
                    return Err(self.api(Error::InvalidRequest(format!(
                        "the artifact changed while it was downloading ({received} bytes written); start again"
                    ))));
                }
            }
            total = total.or(size);
            if received == 0 {
                // Once: a retried first request needs no second look at the job.
                if total.is_none() && !size_asked {
                    size_asked = true;
                    total = self.archive_size().await;
                }
                self.report(Progress { received, total });
            }
            let mut body = response.bytes_stream();
            let mut broken = None;
            while let Some(chunk) = body.next().await {
                match chunk {
                    Ok(chunk) => {
                        let chunk = skip_prefix(chunk, &mut skip);
                        if chunk.is_empty() {
                            continue;
                        }
                        writer.write_all(&chunk).await.map_err(ArtifactError::Write)?;
                        received += chunk.len() as u64;
                        failures = 0;
                        self.report(Progress { received, total });
                    }
                    Err(error) => {
                        broken = Some(error);
                        break;
                    }
                }
            }
            match broken {
                None if total.is_none_or(|total| received >= total) => break,
                // The body ended early without an error: resume as after a break.
                None => failures += 1,
                Some(error) if is_retryable_error(&error) => failures += 1,
                Some(error) => return Err(self.api(Error::ResponseBodyError(error))),
            }
            if failures >= attempts {
                let why = format!("the connection broke {failures} times; {received} bytes were written");
                return Err(self.api(Error::InvalidRequest(why)));
            }
            resumed += 1;
        }
        writer.flush().await.map_err(ArtifactError::Write)?;
        Ok(Downloaded { bytes: received, resumed })
    }

    fn report(&mut self, progress: Progress) {
        if let Some(report) = self.progress.as_mut() {
            report(progress);
        }
    }

    fn api(&self, error: Error) -> ArtifactError {
        ArtifactError::Api { error, problem: None }
    }

    /// The size of a job's archive from the job, for a server that sends no
    /// `Content-Length`.
    async fn archive_size(&self) -> Option<u64> {
        let ArtifactSource::Archive { job_id } = &self.source else { return None };
        let job = self.client.get_job().id(self.project.clone()).job_id(*job_id).send().await.ok()?;
        job.artifacts_file.as_ref().and_then(|file| u64::try_from(file.size).ok())
    }

    /// The error, with what it means for artifacts.
    async fn explain(&self, error: Error) -> ArtifactError {
        let problem = match (error.http_status(), error.api_error()) {
            (Some(StatusCode::BAD_REQUEST), _) => Some(ArtifactProblem::BadPath),
            (Some(StatusCode::NOT_FOUND), Some(api)) => self.not_found(api).await,
            _ => None,
        };
        ArtifactError::Api { error, problem }
    }

    async fn not_found(&self, api: &ApiError) -> Option<ArtifactProblem> {
        let message = api.message.as_deref().unwrap_or_default();
        let plain = api.content_type.as_deref().is_some_and(|ct| ct.starts_with("text/plain"));
        match &self.source {
            // Workhorse's own answer: the archive is there, the entry is not.
            ArtifactSource::File { path, .. } | ArtifactSource::FileByRef { path, .. }
                if plain || message == "404 page not found" =>
            {
                return Some(ArtifactProblem::FileNotInArchive { path: path.clone() });
            }
            _ => {}
        }
        match message {
            "404 Project Not Found" => Some(ArtifactProblem::NoSuchProject),
            // The record-not-found handler: no such job (or, by ref, pipeline).
            "404 Not found" | "404 Job Not Found" => Some(ArtifactProblem::NoSuchJob),
            "404 Not Found" => Some(self.why_no_archive().await),
            _ => None,
        }
    }

    /// Expired or never kept: the job tells.
    async fn why_no_archive(&self) -> ArtifactProblem {
        let (ArtifactSource::Archive { job_id } | ArtifactSource::File { job_id, .. }) = &self.source else {
            return ArtifactProblem::NoArchive;
        };
        let Ok(job) = self.client.get_job().id(self.project.clone()).job_id(*job_id).send().await else {
            return ArtifactProblem::NoArchive;
        };
        let now = crate::Timestamp::from(chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()));
        match job.artifacts_expire_at {
            Some(at) if at < now => ArtifactProblem::Expired { at: at.to_rfc3339() },
            _ => ArtifactProblem::NoArchive,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_paths_keep_their_slashes_and_encode_the_rest() {
        assert_eq!(encode_artifact_path("reports/junit.xml").unwrap(), "reports/junit.xml");
        assert_eq!(encode_artifact_path("out dir/a#1?.txt").unwrap(), "out%20dir/a%231%3F.txt");
        assert_eq!(encode_artifact_path("bin/r\u{e9}sum\u{e9}%.pdf").unwrap(), "bin/r%C3%A9sum%C3%A9%25.pdf");
        assert_eq!(encode_artifact_path("a/../b"), Err(ArtifactProblem::BadPath));
        assert_eq!(encode_artifact_path(".."), Err(ArtifactProblem::BadPath));
        assert_eq!(encode_ref("feature/login").unwrap(), "feature%2Flogin");
    }

    #[test]
    fn generated_requests_get_their_slashes_back_and_dot_routes_are_refused() {
        let mut url =
            Url::parse("https://gitlab.example.com/api/v4/projects/1/jobs/2/artifacts/out%20dir%2Fa%231.txt").unwrap();
        shape_request("get_job_artifact_file", &mut url).unwrap();
        assert_eq!(url.path(), "/api/v4/projects/1/jobs/2/artifacts/out%20dir/a%231.txt");
        // A path of `..` was resolved away by URL parsing: the route changed.
        let mut url = Url::parse("https://gitlab.example.com/api/v4/projects/1/jobs/2/artifacts/..").unwrap();
        assert!(shape_request("get_job_artifact_file", &mut url).is_err());
        let mut url =
            Url::parse("https://gitlab.example.com/api/v4/projects/1/jobs/artifacts/../download?job=b").unwrap();
        assert!(shape_request("download_artifacts_by_ref", &mut url).is_err());
        // `a/../b` stays one encoded segment, which GitLab does not find.
        let mut url = Url::parse("https://gitlab.example.com/api/v4/projects/1/jobs/2/artifacts/a%2F..%2Fb").unwrap();
        shape_request("get_job_artifact_file", &mut url).unwrap();
        assert_eq!(url.path(), "/api/v4/projects/1/jobs/2/artifacts/a%2F..%2Fb");
    }
}
