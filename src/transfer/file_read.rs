//! One file read to its end across broken connections, resumed only where
//! the answer proves it continues the same file (the rules are `mod.rs`'s).

use bytes::Bytes;
use futures::StreamExt;
use reqwest::{
    Response, StatusCode,
    header::{self, HeaderMap, HeaderValue},
};

use super::{Body, Digest, content_range, get, refuse};
use crate::{
    Client, Error,
    operations::Operation,
    transport::{Deadline, retry::is_retryable_error},
};

/// What the first answer said of a file, to tell a later answer of another
/// version.
#[derive(Clone, Debug, Default)]
struct Version {
    /// A strong `ETag`, else `Last-Modified`: what `If-Range` may carry.
    validator: Option<HeaderValue>,
    /// The file's size, where the answer said it.
    size: Option<u64>,
}

impl Version {
    fn of(status: StatusCode, headers: &HeaderMap) -> Version {
        let etag = headers.get(header::ETAG).filter(|tag| !tag.as_bytes().starts_with(b"W/"));
        let validator = etag.or(headers.get(header::LAST_MODIFIED)).cloned();
        let size = match status {
            StatusCode::PARTIAL_CONTENT => content_range(headers).and_then(|(_, total)| total),
            _ => headers.get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.trim().parse().ok()),
        };
        Version { validator, size }
    }
}

/// Bytes of a file read again from its start that were delivered before:
/// skipped, and checked against the digest of what was delivered.
struct Skip {
    remaining: u64,
    digest: Digest,
    /// The digest the skipped bytes must have; `None` where the validator
    /// vouches for them.
    expected: Option<u64>,
}

/// What went wrong with a read, before it becomes the caller's error.
pub(crate) enum ReadError {
    /// GitLab (or the storage it redirected to) did not deliver the file.
    Api(Box<Error>),
    /// The connection broke too often: `resumes` resumes, the last break
    /// with this error.
    Broken { resumes: u32, error: Box<Error> },
    /// The file changed while it was read; nothing of the new version was
    /// delivered.
    Changed(Box<Error>),
}

impl ReadError {
    fn api(error: Error) -> ReadError {
        ReadError::Api(Box::new(error))
    }

    /// The error of the request, whatever the reason.
    pub(crate) fn into_error(self) -> Error {
        match self {
            ReadError::Api(error) | ReadError::Broken { error, .. } | ReadError::Changed(error) => *error,
        }
    }
}

/// What an earlier run left of a file: its bytes (their count and digest)
/// and what its first answer said.
pub(crate) struct Earlier {
    pub(crate) delivered: u64,
    pub(crate) digest: Digest,
    pub(crate) validator: Option<HeaderValue>,
    pub(crate) size: Option<u64>,
}

/// One file read to its end across broken connections; see the module.
pub(crate) struct FileRead<'a> {
    client: &'a Client,
    row: &'static Operation,
    url: String,
    growing: bool,
    deadline: Option<Deadline>,
    version: Version,
    body: Option<Body>,
    skip: Option<Skip>,
    delivered: u64,
    /// The digest of what was delivered, where a resume may need it.
    digest: Option<Digest>,
    /// Resumes so far, and breaks in a row without a byte delivered.
    resumes: u32,
    failures: u32,
    done: bool,
}

impl<'a> FileRead<'a> {
    /// A read of the file that `first` (a `200` the caller has checked)
    /// begins.
    pub(crate) fn new(
        client: &'a Client,
        row: &'static Operation,
        url: String,
        growing: bool,
        deadline: Option<Deadline>,
        first: Response,
    ) -> FileRead<'a> {
        let version = Version::of(first.status(), first.headers());
        let digest = (growing || version.validator.is_none()).then(Digest::default);
        let mut read = FileRead::at(client, row, url, growing, deadline, version, 0, digest);
        read.body = Some(Box::pin(first.bytes_stream()));
        read
    }

    /// A read that continues one an earlier run left off (`PartFile`): its
    /// first request asks for the rest as any resume does.
    pub(crate) fn resumed(
        client: &'a Client,
        row: &'static Operation,
        url: String,
        growing: bool,
        deadline: Option<Deadline>,
        earlier: Earlier,
    ) -> FileRead<'a> {
        let version = Version { validator: earlier.validator, size: earlier.size };
        FileRead::at(client, row, url, growing, deadline, version, earlier.delivered, Some(earlier.digest))
    }

    /// A read with no body open yet, `delivered` bytes into the file.
    #[allow(clippy::too_many_arguments)]
    fn at(
        client: &'a Client,
        row: &'static Operation,
        url: String,
        growing: bool,
        deadline: Option<Deadline>,
        version: Version,
        delivered: u64,
        digest: Option<Digest>,
    ) -> FileRead<'a> {
        FileRead {
            client,
            row,
            url,
            growing,
            deadline,
            version,
            body: None,
            skip: None,
            delivered,
            digest,
            resumes: 0,
            failures: 0,
            done: false,
        }
    }

    /// The file's size, where the first answer said it.
    pub(crate) fn size(&self) -> Option<u64> {
        self.version.size
    }

    /// The first answer's validator, to continue the file in a later run.
    pub(crate) fn validator(&self) -> Option<&HeaderValue> {
        self.version.validator.as_ref()
    }

    /// How many times the read was resumed.
    pub(crate) fn resumes(&self) -> u32 {
        self.resumes
    }

    /// The next new bytes of the file; `None` at its end.
    pub(crate) async fn next_chunk(&mut self) -> Result<Option<Bytes>, ReadError> {
        loop {
            if self.done {
                return Ok(None);
            }
            let Some(body) = self.body.as_mut() else {
                self.resume().await?;
                continue;
            };
            let chunk = match self.deadline {
                Some(deadline) => match tokio::time::timeout_at(deadline.at, body.next()).await {
                    Ok(chunk) => chunk,
                    Err(_) => return Err(ReadError::api(self.deadline_passed())),
                },
                None => body.next().await,
            };
            match chunk {
                Some(Ok(chunk)) => {
                    let Some(fresh) = self.skipped(chunk)? else { continue };
                    if fresh.is_empty() {
                        continue;
                    }
                    self.delivered = self.delivered.saturating_add(fresh.len() as u64);
                    if let Some(digest) = &mut self.digest {
                        digest.update(&fresh);
                    }
                    self.failures = 0;
                    return Ok(Some(fresh));
                }
                None => {
                    self.body = None;
                    if let Some(skip) = &self.skip
                        && skip.remaining > 0
                    {
                        let reason = format!(
                            "it is shorter than the {} bytes already delivered: the file changed while it was read",
                            self.delivered
                        );
                        return Err(ReadError::Changed(Box::new(Error::Custom(reason))));
                    }
                    // A body that ends short of the size it announced broke off.
                    if self.version.size.is_none_or(|size| self.delivered >= size) {
                        self.done = true;
                        return Ok(None);
                    }
                    self.broke(None)?;
                }
                Some(Err(error)) => {
                    self.body = None;
                    let error = self.client.inner.transport.shown_error(error);
                    if !is_retryable_error(&error) {
                        return Err(ReadError::api(Error::ResponseBodyError(error)));
                    }
                    self.broke(Some(error))?;
                }
            }
        }
    }

    /// Counts a break, and fails when there were too many.
    fn broke(&mut self, error: Option<reqwest::Error>) -> Result<(), ReadError> {
        self.failures += 1;
        let policy = &self.client.inner.transport.retry;
        if self.failures >= policy.attempts() || self.resumes >= policy.resumes() {
            let error = match error {
                Some(error) => Error::ResponseBodyError(error),
                None => Error::Custom(format!(
                    "the answer ended after {} of the {} bytes it announced",
                    self.delivered,
                    self.version.size.unwrap_or_default()
                )),
            };
            return Err(ReadError::Broken { resumes: self.resumes, error: Box::new(error) });
        }
        Ok(())
    }

    /// A chunk of the current body past the bytes to skip, or `None` while
    /// all of it is skipped; an error once the skipped bytes prove to be
    /// other than those delivered.
    fn skipped(&mut self, chunk: Bytes) -> Result<Option<Bytes>, ReadError> {
        let Some(skip) = &mut self.skip else { return Ok(Some(chunk)) };
        let take = skip.remaining.min(chunk.len() as u64) as usize;
        if skip.expected.is_some() {
            skip.digest.update(&chunk[..take]);
        }
        skip.remaining -= take as u64;
        if skip.remaining > 0 {
            return Ok(None);
        }
        if let Some(expected) = skip.expected
            && skip.digest.value() != expected
        {
            let reason = format!(
                "its first {} bytes differ from those already delivered: the file changed while it was read",
                self.delivered
            );
            return Err(ReadError::Changed(Box::new(Error::Custom(reason))));
        }
        self.skip = None;
        Ok(Some(chunk.slice(take..)))
    }

    /// Asks for the rest of the file, and checks that the answer continues it.
    async fn resume(&mut self) -> Result<(), ReadError> {
        self.resumes += 1;
        let mut headers = Vec::new();
        if let Some(validator) = &self.version.validator {
            let range = HeaderValue::from_str(&format!("bytes={}-", self.delivered))
                .map_err(|e| ReadError::api(Error::InvalidRequest(e.to_string())))?;
            headers.push((header::RANGE, range));
            headers.push((header::IF_RANGE, validator.clone()));
        }
        let response = get(self.client, self.row, &self.url, &headers, self.deadline).await.map_err(ReadError::api)?;
        let status = response.status();
        let now = Version::of(status, response.headers());
        match status {
            StatusCode::PARTIAL_CONTENT if self.version.validator.is_some() => {
                let range = content_range(response.headers());
                let Some((start, total)) = range else {
                    return Err(self.refused(response, "a 206 without a single Content-Range cannot be resumed"));
                };
                if start != self.delivered {
                    let reason =
                        format!("bytes from {} were asked for and it holds bytes from {start}", self.delivered);
                    return Err(self.refused(response, &reason));
                }
                // The same version (the validator matched) has the same size;
                // a log may have grown (a server whose validator does not
                // change as it grows).
                if let (Some(size), Some(total)) = (self.version.size, total)
                    && (size != total && !self.growing || total < self.delivered)
                {
                    let reason = format!("its Content-Range says {total} bytes where the file had {size}");
                    return Err(self.changed(response, &reason));
                }
                self.version.size =
                    if self.growing { total.or(self.version.size) } else { self.version.size.or(total) };
                self.skip = None;
            }
            StatusCode::OK => {
                let other_validator = matches!((&self.version.validator, &now.validator), (Some(a), Some(b)) if a != b);
                let other_size = matches!((self.version.size, now.size), (Some(a), Some(b)) if a != b);
                if !self.growing && (other_validator || other_size) {
                    return Err(self.changed(
                        response,
                        "it is another version of the file (its ETag, Last-Modified or size differ)",
                    ));
                }
                if now.size.is_some_and(|size| size < self.delivered) {
                    return Err(self.changed(response, "it is shorter than the bytes already delivered"));
                }
                // The validator vouches for the skipped bytes where it is the
                // same; elsewhere the digest checks them.
                let same = self.version.validator.is_some() && !other_validator && !self.growing;
                let expected = if same { None } else { self.digest.as_ref().map(Digest::value) };
                if !same && expected.is_none() {
                    return Err(self.changed(response, "it cannot be told from another version of the file"));
                }
                self.skip = Some(Skip { remaining: self.delivered, digest: Digest::default(), expected });
                if self.growing {
                    self.version = now;
                }
            }
            StatusCode::RANGE_NOT_SATISFIABLE
                if content_range(response.headers()).is_some_and(|(_, total)| total == Some(self.delivered)) =>
            {
                self.done = true;
                return Ok(());
            }
            status if status.is_success() || status.is_redirection() => {
                return Err(self.refused(response, "it is no answer to a resumed read"));
            }
            _ => return Err(ReadError::api(Error::UnexpectedResponse(response))),
        }
        self.body = Some(Box::pin(response.bytes_stream()));
        Ok(())
    }

    fn refused(&self, response: Response, reason: &str) -> ReadError {
        ReadError::api(refuse(self.client, response, reason.to_owned()))
    }

    fn changed(&self, response: Response, reason: &str) -> ReadError {
        let reason = format!("{reason}: the file changed after {} bytes were delivered", self.delivered);
        ReadError::Changed(Box::new(refuse(self.client, response, reason)))
    }

    fn deadline_passed(&self) -> Error {
        let limit = self.deadline.map_or(std::time::Duration::ZERO, |d| d.limit);
        Error::Custom(format!(
            "{}: not read whole within its deadline of {limit:?}; {} bytes were delivered",
            self.row.id, self.delivered
        ))
    }
}
